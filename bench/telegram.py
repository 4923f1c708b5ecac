"""Benchmark of the whole Telegram stack: stand-in Bot API → python-telegram-bot → handlers →
storage → stand-in Bot API, over real HTTP on 127.0.0.1.

    .venv/bin/python bench/telegram.py [--chats 100] [--per-chat 30]

Every chat sends its messages at once (a mix of commands and questions that each get one
reply); the script measures messages per second until the last reply and, per message, the
time from its arrival at the stand-in to the bot's reply. Target (issue 5): ≥ 300 messages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and this file's name would hide
# the `telegram` package: import from the project root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.load_mix import MESSAGES  # noqa: E402
from bot.app import load_knowledge, running_services  # noqa: E402
from bot.channels.telegram import Pacing  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.telegram_runner import TelegramBot, TelegramOptions  # noqa: E402
from core.clock import FixedClock  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--per-chat", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="motcua-bench-tg-"))
    # Every chat sends far more than a person would: the per-chat flood limit is not measured.
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=work / "data", chat_burst=10**6, chat_messages_per_minute=1e9
    )
    knowledge = load_knowledge(settings)
    total = args.chats * args.per_chat
    async with (
        FakeTelegram() as fake,
        running_services(
            settings, clock=FixedClock(dt.datetime(2026, 11, 23, 9)), knowledge=knowledge
        ) as services,
    ):
        options = TelegramOptions(
            token=fake.token,
            base_url=fake.base_url,
            base_file_url=fake.base_file_url,
            pacing=Pacing(per_second=1000, per_chat_interval=0.0),
            watch_at=dt.time(23, 59),
        )
        telegram = TelegramBot(services, options)
        await telegram.start()
        # Warm up: one round trip so that connections and caches exist.
        fake.push_text(1, "/start")
        await fake.wait_for_messages(1, 1)

        chats = [10_000 + n for n in range(args.chats)]
        pushed: dict[int, list[float]] = {chat: [] for chat in chats}
        start = time.monotonic()
        for i in range(args.per_chat):
            for chat in chats:
                text = MESSAGES[(i + chat) % len(MESSAGES)]
                if text.startswith("/"):
                    fake.push_command(chat, text)
                else:
                    fake.push_text(chat, text)
                pushed[chat].append(time.monotonic())
        expected = len(fake.sent) + total
        await fake.wait_until(lambda: len(fake.sent) >= expected, timeout=600, what="all replies")
        elapsed = time.monotonic() - start

        # One message at a time: the latency a person feels when the bot is not busy.
        single: list[float] = []
        for i in range(200):
            before = len(fake.messages_to(2))
            t0 = time.monotonic()
            fake.push_text(2, MESSAGES[i % len(MESSAGES)])
            await fake.wait_until(lambda b=before: len(fake.messages_to(2)) > b)
            single.append(time.monotonic() - t0)
        await telegram.stop()

    latencies = [
        reply.at - sent_at
        for chat in chats
        for sent_at, reply in zip(pushed[chat], fake.messages_to(chat), strict=False)
    ]
    print(f"python {sys.version.split()[0]}; {args.chats} chats × {args.per_chat} messages")
    print(f"throughput: {total / elapsed:,.0f} messages/s ({total:,} messages in {elapsed:.2f} s)")
    print(
        f"reply latency, {total:,} messages queued at once: "
        f"p50 {percentile(latencies, 0.5) * 1e3:,.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1e3:,.0f} ms"
    )
    print(
        f"reply latency, one message at a time (200): "
        f"p50 {percentile(single, 0.5) * 1e3:,.1f} ms, p99 {percentile(single, 0.99) * 1e3:,.1f} ms"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (bot and stand-in in one process): {peak:,.0f} MB")
    shutil.rmtree(work)


if __name__ == "__main__":
    asyncio.run(main())
