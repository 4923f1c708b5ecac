"""Several processes (issue 18 point 8): the whole stack over loopback — the stand-in Bot API
posting to the bot's webhook, `motcua run --workers N` (the receiving process and N workers),
PostgreSQL — for 1, 2 and 4 workers, and the single SQLite process beside them.

    .venv/bin/python bench/scale.py [--workers 1 2 4] [--messages 3000] [--seconds 8]
    .venv/bin/python bench/scale.py --lookup 10000000      # dossier lookups among 10 M

Per configuration:
- capacity: `--messages` updates posted as fast as the webhook takes them (64 at once, spread
  over 2,000 chats, each message gets one reply); messages/s from the first post to the last
  reply; CPU per message of the bot's processes (receiving + workers) and of PostgreSQL's;
- latency: updates posted at 80 % of that capacity for `--seconds`, one chat per message at a
  time; reply p50/p99 = from the POST to the reply reaching the stand-in.
The stand-in and the load run in this process (its CPU is printed too). The machine's cores
are shared by everything: read ratios from one run.

`--lookup N`: N dossiers COPYed into a fresh PostgreSQL database, then `find_dossier` (what a
lookup reply asks the database) for random codes, one at a time: p50/p99/max.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import resource
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import json  # noqa: E402

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from bench.load_mix import MESSAGES  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

ADMIN_URL = os.environ.get(
    "MOTCUA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        parent = int(text.rsplit(")", 1)[1].split()[1])
        found.append((int(entry.name), parent, name))
    return found


def cpu_of(root: int) -> tuple[float, float, dict[int, float]]:
    """CPU seconds so far of the bot's receiving process (`root`), of its workers (children)
    and of each PostgreSQL process (a backend that ends takes its figure with it: compare
    per process, `pg_delta`)."""
    table = processes()
    workers = [pid for pid, parent, _ in table if parent == root]
    postgres = {pid: cpu_seconds(pid) for pid, _, name in table if name == "postgres"}
    return cpu_seconds(root), sum(cpu_seconds(p) for p in workers), postgres


def pg_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Result:
    label: str
    rate: float
    cpu_front_ms: float
    cpu_bot_ms: float
    cpu_pg_ms: float
    cpu_here_ms: float
    offered: float
    p50: float
    p99: float
    latency_rate: float


class Bot:
    """`motcua run` in a process of its own, webhook mode, pointed at the stand-in."""

    def __init__(self, fake: FakeTelegram, work: Path, database: str | None, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "PROMETHEUS"))}
        env.update(
            MOTCUA_DATA_DIR=str(work / "data"),
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_BASE_URL=fake.base_url,
            TELEGRAM_BASE_FILE_URL=fake.base_file_url,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            MOTCUA_CHAT_BURST="100000",
            MOTCUA_CHAT_MESSAGES_PER_MINUTE="100000",
            MOTCUA_WORKER_CHATS="32",
        )
        argv = [sys.executable, "-m", "bot", "run", "--channel", "telegram"]
        argv += ["--webhook-url", "https://bench.invalid/telegram", "--listen", "127.0.0.1"]
        argv += ["--port", str(self.port)]
        if database is not None:
            env["MOTCUA_DATABASE_URL"] = database
            argv += ["--workers", str(workers)]
        self.workers = workers if database is not None else 0
        self.argv, self.env, self.work = argv, env, work
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        log = (self.work / "bot.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *self.argv, env=self.env, stdout=log, stderr=log
        )
        log.close()
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(trust_env=False) as client:
            while time.monotonic() < deadline:
                assert self.process.returncode is None, (self.work / "bot.log").read_text()
                with contextlib.suppress(httpx.HTTPError):
                    body = (await client.get(f"http://127.0.0.1:{self.port}/healthz")).json()
                    if body.get("workers", 0) == self.workers:
                        await asyncio.sleep(1.0)  # the workers' listeners and first claims
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError("the bot did not start:\n" + (self.work / "bot.log").read_text())

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()


class Connection:
    """One keep-alive HTTP/1.1 connection, as little CPU as possible per request (httpx spends
    about a millisecond per POST: the load generator would be what is measured)."""

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        try:
            return await self._post(body)
        except (ConnectionError, IndexError):  # closed while idle (keep-alive timeout)
            self.writer = None
            return await self._post(body)

    async def _post(self, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return int(status_line.split()[1])


class Load:
    """Posts updates to the bot and matches each reply to its update (per chat, in order)."""

    def __init__(self, fake: FakeTelegram, port: int, chats: int = 2000) -> None:
        self.fake, self.chats, self.port = fake, chats, port
        self.posted: dict[int, list[float]] = {}
        self.next = 0
        self.idle = [Connection(port, "/telegram") for _ in range(64)]

    async def post(self, chat: int | None = None) -> None:
        n = self.next
        self.next += 1
        chat = chat if chat is not None else 10_000 + n % self.chats
        update_id = self.fake.push_text(chat, MESSAGES[n % len(MESSAGES)])
        body = json.dumps(self.fake.updates[update_id]).encode()
        connection = self.idle.pop() if self.idle else Connection(self.port, "/telegram")
        self.posted.setdefault(chat, []).append(time.monotonic())
        try:
            status = await connection.post(body)
        finally:
            self.idle.append(connection)
        if status != 200:
            raise RuntimeError(f"the webhook answered {status}")

    def replies(self) -> int:
        return len(self.fake.sent)

    def latencies(self) -> list[float]:
        by_chat: dict[int, list[float]] = {}
        for message in self.fake.sent:
            by_chat.setdefault(int(message.chat_id), []).append(message.at)
        found = []
        for chat, posts in self.posted.items():
            for posted, replied in zip(posts, by_chat.get(chat, []), strict=False):
                found.append(replied - posted)
        return found

    async def wait_replies(self, count: int, limit: float = 300) -> None:
        deadline = time.monotonic() + limit
        while self.replies() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {self.replies()} of {count} replies")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        for connection in self.idle:
            if connection.writer is not None:
                connection.writer.close()


async def capacity(load: Load, messages: int) -> float:
    base = load.replies()
    start = time.monotonic()
    queue = iter(range(messages))

    async def poster() -> None:
        for _ in queue:
            await load.post()

    await asyncio.gather(*(poster() for _ in range(64)))
    await load.wait_replies(base + messages)
    return messages / (time.monotonic() - start)


async def steady(load: Load, rate: float, seconds: float) -> tuple[list[float], float]:
    """Open loop: one post every 1/rate s (each to a chat with nothing in flight)."""
    load.posted.clear()
    base_sent = len(load.fake.sent)
    total = int(rate * seconds)
    start = time.monotonic()
    tasks = []
    for n in range(total):
        at = start + n / rate
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(load.post(chat=100_000 + n)))
    await asyncio.gather(*tasks)
    await load.wait_replies(base_sent + total)
    elapsed = time.monotonic() - start
    return load.latencies(), total / elapsed


async def fresh_database(name: str) -> str:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


async def run_one(label: str, workers: int, postgres: bool, args: argparse.Namespace) -> Result:
    work = Path(tempfile.mkdtemp(prefix=f"motcua-scale-{label}-"))
    database = await fresh_database("motcua_bench_scale") if postgres else None
    try:
        async with FakeTelegram() as fake:
            bot = Bot(fake, work, database, workers)
            await bot.start()
            load = Load(fake, bot.port)
            try:
                await capacity(load, 400)  # warm-up: first contacts, caches, connections
                assert bot.process is not None
                front_before, bot_before, pg_before = cpu_of(bot.process.pid)
                here_before = resource.getrusage(resource.RUSAGE_SELF)
                rate = await capacity(load, args.messages)
                front_after, bot_after, pg_after = cpu_of(bot.process.pid)
                here_after = resource.getrusage(resource.RUSAGE_SELF)
                here = (here_after.ru_utime + here_after.ru_stime) - (
                    here_before.ru_utime + here_before.ru_stime
                )
                offered = 0.8 * rate
                latencies, achieved = await steady(load, offered, args.seconds)
            finally:
                await load.close()
                await bot.stop()
        per = 1000 / args.messages
        return Result(
            label,
            rate,
            (front_after - front_before) * per,
            (bot_after - bot_before) * per,
            pg_delta(pg_before, pg_after) * per if postgres else 0.0,
            here * per,
            offered,
            percentile(latencies, 0.5) * 1000,
            percentile(latencies, 0.99) * 1000,
            achieved,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if postgres:
            await drop_database("motcua_bench_scale")


async def lookups(count: int, samples: int) -> None:
    from core.receipt_codes import code_key
    from storage.base import ChatRef
    from storage.postgres import PostgresStorage

    url = await fresh_database("motcua_bench_lookup")
    storage = await PostgresStorage.open(url, min_size=1, max_size=2)
    try:
        started = time.monotonic()
        day = dt.date(2025, 1, 1)
        async with storage.db.pool.acquire() as connection:

            def records(first: int, last: int) -> list[tuple[Any, ...]]:
                rows = []
                for n in range(first, last):
                    received = day + dt.timedelta(days=n % 700)
                    code = f"H57.{n // 10_000_000 + 100}-{received:%y%m%d}-{n % 10_000_000:07d}"
                    rows.append((
                        code_key(code), code, "dang-ky-khai-sinh", "Nguyễn Văn An",
                        f"09{n % 100_000_000:08d}", f"{received.isoformat()}T09:30:00+07:00",
                        (received + dt.timedelta(days=5)).isoformat(), "dang-giai-quyet",
                        None, None, "row-hash", f"{received.isoformat()}T18:00:00+07:00",
                    ))  # fmt: skip
                return rows

            columns = [
                "code_key", "code", "procedure_id", "applicant_name", "phone", "received_at",
                "due_date", "status", "return_method", "note", "row_hash", "updated_at",
            ]  # fmt: skip
            step = 200_000
            for first in range(0, count, step):
                await connection.copy_records_to_table(
                    "dossiers", records=records(first, min(count, first + step)), columns=columns
                )
            await connection.execute("ANALYZE dossiers")
        loaded = time.monotonic() - started
        size = await storage.db.pool.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('dossiers'))"
        )
        print(f"{count:,} dossiers COPYed in {loaded:.0f} s ({count / loaded:,.0f}/s), {size}")
        chat = ChatRef("telegram", "42")
        since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        picks = [random.randrange(count) for _ in range(samples)]
        keys = [code_key(r[1]) for n in picks for r in records(n, n + 1)]
        for key in keys[:200]:  # warm-up
            await storage.dossiers.find_dossier(key, chat, since)
        timings = []
        found = 0
        for key in keys:
            start = time.perf_counter()
            view = await storage.dossiers.find_dossier(key, chat, since)
            timings.append(time.perf_counter() - start)
            found += view.dossier is not None
        missing = []
        for n in range(samples // 10):
            start = time.perf_counter()
            view = await storage.dossiers.find_dossier(f"H57999{n:010d}", chat, since)
            missing.append(time.perf_counter() - start)
            assert view.dossier is None
        assert found == len(keys)
        print(
            f"find_dossier among {count:,}: found p50 {percentile(timings, 0.5) * 1000:.2f} ms"
            f"  p99 {percentile(timings, 0.99) * 1000:.2f} ms  max {max(timings) * 1000:.2f} ms"
            f"  ({len(timings):,} lookups); not found p99"
            f" {percentile(missing, 0.99) * 1000:.2f} ms"
        )
    finally:
        await storage.close()
        if not os.environ.get("MOTCUA_BENCH_KEEP"):
            await drop_database("motcua_bench_lookup")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--lookup", type=int, default=0, metavar="DOSSIERS")
    parser.add_argument("--samples", type=int, default=20_000)
    args = parser.parse_args()
    if args.lookup:
        await lookups(args.lookup, args.samples)
        return
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at start")
    results = []
    if not args.no_sqlite:
        results.append(await run_one("sqlite 1 process", 0, False, args))
    for workers in args.workers:
        label = f"pg {workers} worker{'s' if workers > 1 else ''}"
        results.append(await run_one(label, workers, True, args))
    print("CPU per message: the receiving process, the workers, PostgreSQL, this process")
    print(
        f"{'':18} {'msg/s':>7} {'CPU recv':>9} {'workers':>9} {'pg':>8} {'load':>8}"
        f" {'at 80 %':>8} {'p50':>8} {'p99':>8}"
    )
    for r in results:
        print(
            f"{r.label:18} {r.rate:7.0f} {r.cpu_front_ms:7.2f}ms {r.cpu_bot_ms:7.2f}ms"
            f" {r.cpu_pg_ms:6.2f}ms {r.cpu_here_ms:6.2f}ms {r.latency_rate:6.0f}/s"
            f" {r.p50:6.1f}ms {r.p99:6.1f}ms"
        )
    one = next((r for r in results if r.label == "pg 1 worker"), None)
    two = next((r for r in results if r.label == "pg 2 workers"), None)
    if one and two:
        print(f"2 workers / 1 worker: {two.rate / one.rate:.2f}×")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    asyncio.run(main())
