"""Benchmark of the Zalo OA channel over real HTTP on 127.0.0.1.

    .venv/bin/python bench/zalo.py [--events 5000] [--concurrency 10] [--replies 2000]

1. Accepting: signed `user_send_text` webhooks posted by `--concurrency` clients at once, the
   inbox processor stopped, so each request is exactly what Zalo waits for: signature check,
   the event stored in SQLite, the 200. Events per second and the acknowledgement time per
   request (p50, p99). Target (issue 8): ≥ 500 accepted events/s, p99 ≤ 50 ms.
2. End to end: `--replies` messages from 100 people (each gets one reply), posted by another
   process → inbox → handlers → a `cs` message to the stand-in of Zalo's API (in the bot's
   process); replies per second until the last one.

The bot and the stand-in share one process and one core; the load generator runs apart.
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
from bot.channels.zalo import ZaloOptions, ZaloRules  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.zalo_runner import ZaloBot  # noqa: E402
from core.clock import FixedClock  # noqa: E402
from tests.fake_zalo import APP_ID, APP_SECRET, OA_SECRET, FakeZalo, WebhookDriver  # noqa: E402

MESSAGES = ["/start", "đăng ký khai tử", "/trogiup", "chung thuc di chuc", "/lienhe"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def options(fake: FakeZalo) -> ZaloOptions:
    return ZaloOptions(
        app_id=APP_ID,
        app_secret=APP_SECRET,
        oa_secret_key=OA_SECRET,
        access_token=fake.access_token,
        refresh_token=fake.refresh_token,
        api_base_url=fake.base_url,
        oauth_base_url=fake.base_url,
        zns_base_url=fake.base_url,
        listen="127.0.0.1",
        port=0,
        rules=ZaloRules(messages_per_second=100_000),
        outbox_interval=3600,
    )


async def accept(bot: ZaloBot, events: int, concurrency: int) -> None:
    """The load comes from another process (as Zalo's does), so that the client's own HTTP
    work does not share the bot's core."""
    bot.channel.process_pending = _idle  # type: ignore[method-assign]  # measure the ack only
    url = f"http://127.0.0.1:{bot.port}/zalo/webhook"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        url,
        "--events",
        str(events),
        "--concurrency",
        str(concurrency),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    result = json.loads(out)
    counts = await bot.services.storage.inbox_counts()  # type: ignore[attr-defined]
    assert counts.get("pending") == events, counts
    print(
        f"accepted {events} signed events with {concurrency} concurrent clients: "
        f"{result['rate']:,.0f} events/s; ack p50 {result['p50']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms"
    )


async def client(url: str, events: int, concurrency: int, people: int) -> None:
    """The load generator (child process): pre-signed bodies, `concurrency` connections."""
    driver = WebhookDriver(url)
    bodies = [
        driver.payload("user_send_text", f"9{n % people:018d}", MESSAGES[n % len(MESSAGES)])
        for n in range(events)
    ]
    queue = [(body, driver.sign(body)) for body in reversed(bodies)]
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            body, signature = queue.pop()
            started = time.perf_counter()
            response = await driver.post(body, signature)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code

    wall, started = time.time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await driver.close()
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
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        f"http://127.0.0.1:{bot.port}/zalo/webhook",
        "--events",
        str(replies),
        "--concurrency",
        str(concurrency),
        "--people",
        "100",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    started = json.loads(out)["started"]
    await fake.wait_until(lambda: len(fake.sent) - before >= replies, 600)
    elapsed = time.time() - started
    print(
        f"end to end: {replies} messages from 100 people answered in {elapsed:.1f} s: "
        f"{replies / elapsed:,.0f} replies/s"
    )


async def _idle() -> int:
    return 0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--people", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        await client(args.client, args.events, args.concurrency, args.people)
        return
    work = Path(tempfile.mkdtemp(prefix="motcua-bench-zalo-"))
    settings = Settings(_env_file=None, data_dir=work / "data")  # type: ignore[call-arg]
    knowledge = load_knowledge(settings)
    if args.gc_freeze:
        gc.freeze()  # as `motcua run --channel zalo` does once the catalogue is loaded
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0))
    try:
        async with FakeZalo() as fake:
            async with running_services(settings, clock=clock, knowledge=knowledge) as services:
                bot = ZaloBot(services, options(fake))
                await bot.start()
                try:
                    await accept(bot, args.events, args.concurrency)
                finally:
                    await bot.stop()
            # A fresh database: the first part's events stay unprocessed in the other one.
            second = Settings(_env_file=None, data_dir=work / "data2")  # type: ignore[call-arg]
            async with running_services(second, clock=clock, knowledge=knowledge) as services:
                bot = ZaloBot(services, options(fake))
                await bot.start()
                try:
                    await end_to_end(bot, fake, args.replies, args.concurrency)
                finally:
                    await bot.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
