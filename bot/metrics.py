"""What the bot counts for Prometheus (issue 18 point 7), through prometheus_client.

Counted where it happens, in every process: messages handled per channel, the reply latency
(from the message's arrival to its replies sent), failed sends, lookups refused by the limits.
Several processes (`motcua run --workers N`, or systemd units) share one directory
(`PROMETHEUS_MULTIPROC_DIR`, set by `motcua run` for its workers) and the `/metrics` page adds
them up; without it, the page shows this process's own. What the database knows — inbox and
outbox depth, the oldest unsent notice, the catalogue in use — is read when the page is asked
for (`bot.health`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

from core.messages import Reply

if TYPE_CHECKING:
    from bot.delivery import Sender

MESSAGES = Counter("motcua_messages_handled", "Messages answered, by channel", ["channel"])
REPLY_SECONDS = Histogram(
    "motcua_reply_seconds",
    "From a message's arrival to its replies sent, by channel",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SEND_FAILURES = Counter(
    "motcua_send_failures", "Outbox sends that failed (retried later or given up)", ["channel"]
)
THROTTLED = Counter(
    "motcua_lookups_throttled", "Dossier lookups refused by the failed-lookup limits"
)


def message_handled(channel: str, seconds: float) -> None:
    """A message's replies sent, `seconds` after it arrived (it was counted when handled)."""
    REPLY_SECONDS.labels(channel).observe(seconds)


def observe(event: str, channel: str = "") -> None:
    """`services.observe`: what handlers report (they know nothing of Prometheus)."""
    if event == "lookup_throttled":
        THROTTLED.inc()


class CountingSender:
    """A channel's sender with its failures counted."""

    def __init__(self, channel: str, sender: Sender) -> None:
        self.channel = channel
        self.sender = sender
        self.text_format = sender.text_format

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        try:
            return await self.sender.send(chat_id, reply)
        except Exception:
            SEND_FAILURES.labels(self.channel).inc()
            raise


for _channel in ("telegram", "zalo"):  # shown at 0 from the start, as Prometheus advises
    MESSAGES.labels(_channel)
    SEND_FAILURES.labels(_channel)
