"""A per-chat rate limit: one chat's flood cannot hold up the others (issue 15: one Zalo user
sending 600 messages made another user's single question wait 65 s).

A token bucket per chat on the services' clock (settable in tests). A chat may send `burst`
messages at once and then `per_minute`; past that, its first message is answered once, politely
("ông/bà gửi nhanh quá…"), and the rest are dropped until the bucket refills (a dropped message
gets no answer: a flood is not answered by a flood). Defaults (settings `MOTCUA_CHAT_BURST`,
`MOTCUA_CHAT_MESSAGES_PER_MINUTE`): Telegram asks bots not to send more than about one message
per second to one chat (Bot FAQ, "My bot is hitting limits, how do I avoid this?"), and an answer
is one or two messages, so a chat cannot usefully be answered more than ~30 times a minute; 20 at
once covers an elder tapping buttons quickly or pasting several lines. The channels apply it
(through `bot.app.Dispatcher.admit`) before a message is queued or handled; `bot.fairness`
serves the admitted ones round-robin across chats.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from enum import Enum

from core.clock import Clock


@dataclass(frozen=True)
class RatePolicy:
    burst: int = 20
    per_minute: float = 30.0


class Admission(Enum):
    ADMIT = "admit"
    WARN = "warn"  # the first message over the limit: answer once, politely, do not handle
    DROP = "drop"  # over the limit and already told: no answer


@dataclass
class _Bucket:
    tokens: float
    at: float  # clock seconds of the last refill
    told: bool = False


class ChatRateLimit:
    """Token buckets per chat, on the services' clock; the least recently seen chats are
    forgotten past `max_chats` (a forgotten chat starts again with a full bucket)."""

    def __init__(self, policy: RatePolicy, clock: Clock, max_chats: int = 100_000) -> None:
        self.policy = policy
        self.clock = clock
        self.max_chats = max_chats
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def admit(self, chat: Hashable) -> Admission:
        now = self.clock.now().timestamp()
        policy = self.policy
        bucket = self._buckets.get(chat)
        if bucket is None:
            bucket = self._buckets[chat] = _Bucket(float(policy.burst), now)
            if len(self._buckets) > self.max_chats:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(chat)
            refill = (now - bucket.at) * policy.per_minute / 60.0
            bucket.tokens = min(float(policy.burst), bucket.tokens + max(refill, 0.0))
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.told = False
            return Admission.ADMIT
        if bucket.told:
            return Admission.DROP
        bucket.told = True
        return Admission.WARN
