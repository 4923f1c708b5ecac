"""Benchmark of a broadcast to 10,000 subscribers over the real Telegram stack (stand-in Bot API
on 127.0.0.1 → python-telegram-bot → outbox worker with the channel's pacing), killed with
SIGKILL half-way and restarted.

    .venv/bin/python bench/broadcast.py [--subscribers 10000] [--rate 200] [--in-flight 2]

Prints the sustained sending rate as a share of the configured limit, the busiest second, how
long confirming the broadcast takes (recipients expanded into the outbox in one transaction),
and after the kill and restart: recipients served, duplicates, and the rows in flight at the
kill (read from the database before the restart). It fails unless everyone is served and
duplicates ≤ rows in flight. The worker runs in a child process (so that it can be killed); the
stand-in runs here and records every message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path (see bench/telegram.py).
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bot.app import load_knowledge, running_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from core.broadcasts import ALL_TOPICS, BroadcastDraft  # noqa: E402
from core.clock import SystemClock  # noqa: E402
from core.officers import AuditAction, AuditEntry  # noqa: E402
from storage.base import ChatRef, OutboxStatus  # noqa: E402

OFFICER = 900
FIRST_CHAT = 1_000_000
TEXT = (
    "Từ ngày 01/12/2026, Bộ phận Một cửa nhận hồ sơ cả sáng thứ Bảy (7:30 – 11:30).\n"
    "Ông/bà cần hỏi thủ tục, cứ nhắn cho bot."
)


async def worker(args: argparse.Namespace) -> None:
    """The child: the bot's outbox worker and nothing else, until SIGTERM (or SIGKILL)."""
    from bot.channels.telegram import Pacer, Pacing, TelegramSender, build_application
    from bot.delivery import OutboxWorker

    class LoggedPacer(Pacer):
        """Writes each grant's time (line by line: the process may be killed at any moment)."""

        async def wait(self, chat_id: str) -> None:
            await super().wait(chat_id)
            grants.write(f"{time.monotonic()}\n")

    settings = Settings(_env_file=None, data_dir=Path(args.data_dir))  # type: ignore[call-arg]
    application = build_application(args.token, args.base_url, args.base_url + "-files")
    await application.initialize()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    pacing = Pacing(per_second=args.rate, per_chat_interval=1.0, in_flight=args.in_flight)
    async with running_services(settings, clock=SystemClock()) as services:
        # Line-buffered, written as sends start: a bench, where a blocking write is the point.
        grants = Path(args.data_dir, "grants.log").open("a", buffering=1)  # noqa: ASYNC230, SIM115
        sender = TelegramSender(application.bot, pacer=LoggedPacer(pacing))
        # As the Telegram runner builds it: as many rows claimed as requests open at once.
        worker = OutboxWorker(
            services, {"telegram": sender}, batch=args.in_flight, concurrency=args.in_flight
        )
        await worker.run(stop, interval=0.05)
    await application.shutdown()


async def main(args: argparse.Namespace) -> None:
    from tests.fake_telegram import FakeTelegram

    work = Path(tempfile.mkdtemp(prefix="motcua-bench-broadcast-"))
    settings = Settings(_env_file=None, data_dir=work / "data")  # type: ignore[call-arg]
    knowledge = load_knowledge(settings)
    clock = SystemClock()
    recipients = [str(FIRST_CHAT + n) for n in range(args.subscribers)]
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        for chat_id in recipients:
            await services.storage.broadcasts.subscribe(
                ChatRef("telegram", chat_id), ALL_TOPICS, "ok", clock.now()
            )
        draft = BroadcastDraft(TEXT, ALL_TOPICS, None, "telegram", str(OFFICER), None, str(OFFICER))
        entry = AuditEntry(clock.now(), "telegram", str(OFFICER), None, AuditAction.BROADCAST_SENT)
        t0 = time.perf_counter()
        broadcast = await services.storage.broadcasts.create_broadcast(draft, entry, clock.now())
        confirm_ms = (time.perf_counter() - t0) * 1e3

    async with FakeTelegram() as fake:
        argv = [
            sys.executable, __file__, "--worker", "--data-dir", str(settings.data_dir),
            "--token", fake.token, "--base-url", fake.base_url, "--rate", str(args.rate),
            "--in-flight", str(args.in_flight),
        ]  # fmt: skip
        env = {**os.environ, "MOTCUA_LOG_LEVEL": "WARNING"}

        def delivered() -> list[str]:
            return [str(m.chat_id) for m in fake.sent if m.chat_id != OFFICER]

        # -- first run, killed half-way ----------------------------------------------------
        child = await asyncio.create_subprocess_exec(*argv, env=env)
        # Half-way, while requests are open: the kill leaves rows claimed (`sending`), one or
        # more of them maybe on the wire, the case that matters. Conditions are checked at every
        # request: they must cost O(1), or the stand-in (in this process) would slow the worker
        # down. Nothing goes to the officer before the end.
        half = args.subscribers // 2
        await fake.wait_until(lambda: len(fake.sent) >= half, timeout=600, what="half")
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
        first_run = [m for m in fake.sent if m.chat_id != OFFICER]
        # Sustained rate: from the 100th message (connections warm) to the kill.
        warm = first_run[100:]
        rate = (len(warm) - 1) / (warm[-1].at - warm[0].at)
        busiest = busiest_second([m.at for m in first_run])
        granted = [float(line) for line in (settings.data_dir / "grants.log").open()]
        # From a send's start to the stand-in's stamp (both clocks are the system's monotonic
        # one; the n-th send started is taken as the n-th to arrive).
        latency = sorted(m.at - g for m, g in zip(first_run, granted, strict=False))
        granted = granted[100 : len(first_run)]
        busiest_granted = busiest_second(granted)
        granted_rate = (len(granted) - 1) / (granted[-1] - granted[0])

        # Read before the restart (which puts them back to pending): the rows claimed when the
        # process died. Only these can reach a person twice.
        async with running_services(settings, clock=clock, knowledge=knowledge) as services:
            counts = await services.storage.outbox.outbox_counts()
        in_flight = counts[OutboxStatus.SENDING]
        sent_before = counts[OutboxStatus.SENT]

        # -- restart: recover what was in flight, deliver the rest, report ---------------------
        restarted = time.monotonic()
        child = await asyncio.create_subprocess_exec(*argv, env=env)
        try:
            await fake.wait_until(
                lambda: bool(fake.sent) and fake.sent[-1].chat_id == OFFICER,
                timeout=600,
                what="the final report (the last message: queued after every recipient's)",
            )
        finally:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
            await child.wait()
        restart_seconds = time.monotonic() - restarted
        served = Counter(delivered())
        report = fake.messages_to(OFFICER)[0].plain

    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        progress = await services.storage.broadcasts.broadcast_progress(broadcast.id)

    duplicates = sum(n - 1 for n in served.values())
    limit = args.rate
    guarantee = "holds" if duplicates <= in_flight else "BROKEN"
    lines = [
        f"python {sys.version.split()[0]}; {args.subscribers:,} subscribers, limit {limit:g}/s",
        f"confirming (recipients expanded into the outbox, one transaction): {confirm_ms:,.0f} ms",
        f"sustained rate before the kill: {rate:,.1f} messages/s = {100 * rate / limit:.1f} %"
        f" of the limit (sends started by the pacer: {granted_rate:,.1f}/s)",
        f"busiest second (sliding): {busiest_granted} sends started by the pacer,"
        f" {busiest} arrivals stamped by the stand-in; from start to stamp:"
        f" p50 {1e3 * latency[len(latency) // 2]:.1f} ms,"
        f" p99 {1e3 * latency[len(latency) * 99 // 100]:.1f} ms, max {1e3 * latency[-1]:.1f} ms",
        f"SIGKILL after {len(first_run):,} messages reached the stand-in; in the database then:"
        f" {sent_before:,} sent, {in_flight} in flight (`sending`, {args.in_flight} open at most)",
        f"after restart: {len(served):,}/{args.subscribers:,} recipients served,"
        f" {sum(served.values()):,} messages delivered, {duplicates} duplicate(s);"
        f" restart to final report {restart_seconds:.1f} s",
        f"duplicates ≤ in flight at the kill: {duplicates} ≤ {in_flight}: {guarantee}",
        f"outbox afterwards: sent {progress.sent:,}, failed {progress.failed},"
        f" left {progress.left}",
        "officer's final report: " + report.replace("\n", " | "),
    ]
    print("\n".join(lines))
    shutil.rmtree(work)
    if duplicates > in_flight or len(served) != args.subscribers:
        sys.exit("the delivery guarantee does not hold")


def busiest_second(times: list[float]) -> int:
    """The most messages that arrived within any one second (a sliding window)."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--in-flight", type=int, default=2, help="requests open at once")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    asyncio.run(worker(arguments) if arguments.worker else main(arguments))
