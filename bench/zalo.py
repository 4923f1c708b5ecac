"""Benchmark of the Zalo OA channel over real HTTP on 127.0.0.1.

    .venv/bin/python bench/zalo.py [--events 5000] [--concurrency 10] [--rate 500] [--replies 2000]

1. Accepting: signed `user_send_text` webhooks, the inbox processor stopped, so each request is
   exactly what Zalo waits for: signature check, the event committed to SQLite, the 200.
   a. closed loop: `--concurrency` connections, each posting its next event as soon as the last
      is answered (the server saturated): events per second, acknowledgement p50/p99;
   b. open loop (`--rate`, 0 to skip): events sent on a fixed schedule at that rate over up to
      `--concurrency` connections, as Zalo sends them whatever our answers' pace; the time is
      counted from each event's scheduled moment, so a late answer also delays the next ones.
   Target (issue 8): ≥ 500 accepted events/s, p99 ≤ 50 ms.
2. End to end (`--replies`, 0 to skip): messages from 100 people, posted closed loop → inbox →
   handlers → a `cs` message to the stand-in of Zalo's API (in the bot's process); replies per
   second until the last one, and the acknowledgements' p50/p99 while conversations are handled.

The load generator runs in another process and speaks plain HTTP/1.1 over kept-alive sockets
(pre-signed requests, a few microseconds each), so that its own work stays off the measure; the
bot and the stand-in share one process.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bot.app import load_knowledge, running_services  # noqa: E402
from bot.channels.zalo import SIGNATURE_HEADER, ZaloOptions, ZaloRules  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.webhook_server import ZaloBot  # noqa: E402
from core.clock import FixedClock  # noqa: E402

BENCH_NOW = dt.datetime(2026, 11, 23, 9, 0)
from tests.fake_zalo import FakeZalo, WebhookDriver  # noqa: E402

MESSAGES = ["/start", "đăng ký khai tử", "/trogiup", "chung thuc di chuc", "/lienhe"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def options(fake: FakeZalo) -> ZaloOptions:
    return fake.options(rules=ZaloRules(messages_per_second=100_000))


async def _spawn_client(url: str, *flags: str) -> dict[str, float]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", url, *flags, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    return json.loads(out)  # type: ignore[no-any-return]


async def accept(bot: ZaloBot, events: int, concurrency: int, rate: float) -> None:
    """The load comes from another process (as Zalo's does), so that the client's own HTTP
    work does not share the bot's core."""
    bot.channel.process_pending = _idle  # type: ignore[method-assign]  # measure the ack only
    url = f"http://127.0.0.1:{bot.port}/zalo/webhook"
    storage = bot.services.storage
    result = await _spawn_client(url, "--events", str(events), "--concurrency", str(concurrency))
    assert (await storage.zalo.inbox_counts()).get("pending") == events
    print(
        f"accepted {events} signed events, {concurrency} clients, closed loop: "
        f"{result['rate']:,.0f} events/s; ack p50 {result['p50']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms"
    )
    if rate:
        flags = ["--events", str(events), "--concurrency", str(max(concurrency, 1))]
        result = await _spawn_client(
            url, *flags, "--client-rate", str(rate), "--offset", str(events)
        )
        assert (await storage.zalo.inbox_counts()).get("pending") == 2 * events
        print(
            f"accepted {events} signed events sent at {rate:,.0f}/s over up to {concurrency} "
            f"connections: {result['rate']:,.0f} events/s; ack p50 {result['p50']:.1f} ms, "
            f"p99 {result['p99']:.1f} ms"
        )


async def client(
    url: str, events: int, concurrency: int, people: int, rate: float, offset: int
) -> None:
    """The load generator (child process): pre-signed requests, `concurrency` kept-alive
    connections; closed loop, or open loop at `rate` events per second."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    # Sent "now" on the bot's clock: it refuses events older than its replay window.
    driver = WebhookDriver(url, clock=FixedClock(BENCH_NOW))
    requests = []
    for n in range(offset, offset + events):
        body = driver.payload(
            "user_send_text",
            f"9{n % people:018d}",
            MESSAGES[n % len(MESSAGES)],
            msg_id=f"{n:020d}bench",  # unique across the client processes of one run
        )
        head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{SIGNATURE_HEADER}: {driver.sign(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    await driver.close()
    latencies: list[float] = []
    next_index = iter(range(events))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for n in next_index:
                if rate:
                    sent = started + n / rate
                    delay = sent - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                else:
                    sent = time.perf_counter()
                writer.write(requests[n])
                status_line = await reader.readuntil(b"\r\n")
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - sent)
                assert status_line.split()[1] == b"200", status_line
        finally:
            writer.close()

    wall, started = time.time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    result = {
        "rate": events / elapsed,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "started": wall,
    }
    print(json.dumps(result))


async def end_to_end(bot: ZaloBot, fake: FakeZalo, replies: int, concurrency: int) -> None:
    """Messages from 100 people, posted by another process; timed from the first post to
    the last reply reaching the stand-in."""
    before = len(fake.sent)
    url = f"http://127.0.0.1:{bot.port}/zalo/webhook"
    flags = ["--events", str(replies), "--concurrency", str(concurrency), "--people", "100"]
    result = await _spawn_client(url, *flags)
    await fake.wait_until(lambda: len(fake.sent) - before >= replies, 600)
    elapsed = time.time() - result["started"]
    print(
        f"end to end: {replies} messages from 100 people, {concurrency} clients, answered in "
        f"{elapsed:.1f} s: {replies / elapsed:,.0f} replies/s; meanwhile ack p50 "
        f"{result['p50']:.1f} ms, p99 {result['p99']:.1f} ms"
    )


async def _idle() -> int:
    return 0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--people", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--client-rate", type=float, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        await client(
            args.client, args.events, args.concurrency, args.people, args.client_rate, args.offset
        )
        return
    work = Path(tempfile.mkdtemp(prefix="motcua-bench-zalo-"))
    settings = Settings(_env_file=None, data_dir=work / "data")  # type: ignore[call-arg]
    knowledge = load_knowledge(settings)
    if args.gc_freeze:
        gc.freeze()  # as `motcua run --channel zalo` does once the catalogue is loaded
    clock = FixedClock(BENCH_NOW)
    try:
        async with FakeZalo() as fake:
            async with running_services(settings, clock=clock, knowledge=knowledge) as services:
                bot = ZaloBot(services, options(fake), watches=False)
                await bot.start()
                try:
                    await accept(bot, args.events, args.concurrency, args.rate)
                finally:
                    await bot.stop()
            # A fresh database: the first part's events stay unprocessed in the other one.
            second = Settings(_env_file=None, data_dir=work / "data2")  # type: ignore[call-arg]
            async with running_services(second, clock=clock, knowledge=knowledge) as services:
                bot = ZaloBot(services, options(fake), watches=False)
                await bot.start()
                try:
                    if args.replies:
                        await end_to_end(bot, fake, args.replies, args.concurrency)
                finally:
                    await bot.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
