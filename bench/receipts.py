"""Benchmark of issue 20: reading photos of receipts, and the status page over HTTP.

    .venv/bin/python bench/receipts.py [--photos 40] [--requests 3000] [--dossiers 10000]

1. Decoding: generated phone photos of slips and receipts (tests/receipt_images.py: the bot's
   QR, the software's QR link, a Code 128 barcode; turned, a little perspective, blur, noise,
   JPEG) at 1, 2, 3 and 4 megapixels, `--photos` of each size: time per photo through
   `read_codes` (what the chat runs in a worker thread), p50/p99/max, and how many were read.
2. The status page: `GET /hs/<token>` served by uvicorn/Starlette as in `motcua run`, against a
   database of `--dossiers` dossiers, each with a token; the load from another process (plain
   HTTP/1.1, kept-alive connections, a different token each request), closed loop, with 1 and 10
   connections: requests/s and p50/p99. Run twice: with the Zalo section (one follow code
   written per view) and without (the page only reads).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from starlette.applications import Starlette  # noqa: E402

from bot.app import load_knowledge, running_services  # noqa: E402
from bot.settings import TEMPLATES_DIR, Settings  # noqa: E402
from bot.status_page import StatusPage  # noqa: E402
from bot.webhooks import WebhookServer  # noqa: E402
from core.clock import FixedClock  # noqa: E402
from core.code_reader import read_codes  # noqa: E402
from core.slips import LinkPolicy, interpret_codes, new_token, token_hash  # noqa: E402
from tests.dossier_fixtures import dossier, with_hash  # noqa: E402
from tests.receipt_images import KINDS, photo  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def decoding(count: int) -> None:
    print(f"decoding {count} generated photos per size (read_codes, one thread)")
    for megapixels in (1, 2, 3, 4):
        rng = random.Random(megapixels)
        shots = [photo(rng, KINDS[i % len(KINDS)], megapixels=megapixels) for i in range(count)]
        times, read = [], 0
        for shot in shots:
            started = time.perf_counter()
            texts = read_codes(shot.jpeg)
            times.append((time.perf_counter() - started) * 1000)
            scanned = interpret_codes(texts)
            read += bool(scanned) and (scanned.token or scanned.dossier_code) == shot.expected  # type: ignore[union-attr]
        size = statistics.mean(len(s.jpeg) for s in shots) / 1024
        print(
            f"  {megapixels} MP (JPEG ~{size:,.0f} KB): p50 {percentile(times, 0.5):.0f} ms, "
            f"p99 {percentile(times, 0.99):.0f} ms, max {max(times):.0f} ms; "
            f"read {read}/{count}"
        )


async def page_load(requests: int, dossiers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp))  # type: ignore[call-arg]
        clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0))
        async with running_services(
            settings, clock=clock, knowledge=load_knowledge(settings)
        ) as services:
            now = dt.datetime(2026, 11, 20, 9, 0)
            batch, tokens = [], []
            for n in range(dossiers):
                code = f"000.00.19.H47-2611{n % 28 + 1:02d}-{n:05d}"
                batch.append(with_hash(dossier(code)))
            await services.storage.dossiers.apply_dossiers(batch, now, "import:bench.csv")
            links = []
            for item, _ in batch:
                token = new_token()
                tokens.append(token)
                links.append((token_hash(token), item.code_key))
            await services.storage.links.add_dossier_links(links, clock.now())
            token_file = Path(tmp) / "tokens.json"
            token_file.write_text(json.dumps(tokens))
            for zalo in (True, False):
                services.links = LinkPolicy(
                    public_url="https://motcua.example.gov.vn",
                    telegram_username="motcua_bot",
                    zalo_oa_url="https://zalo.me/388613280878808645" if zalo else None,
                )
                page = StatusPage(services, TEMPLATES_DIR, per_minute=10**9)
                server = WebhookServer(Starlette(routes=page.routes()), "127.0.0.1", 0)
                await server.start()
                port = server.port
                label = "with the Zalo follow code (a write)" if zalo else "read only"
                for concurrency in (1, 10):
                    result = await _spawn(port, token_file, requests, concurrency)
                    print(
                        f"  status page, {label}, {concurrency} connection(s): "
                        f"{result['rate']:,.0f} requests/s; p50 {result['p50']:.1f} ms, "
                        f"p99 {result['p99']:.1f} ms"
                    )
                await server.stop()


async def _spawn(port: int, tokens: Path, requests: int, concurrency: int) -> dict[str, float]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        str(port),
        str(tokens),
        str(requests),
        str(concurrency),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    return json.loads(out)  # type: ignore[no-any-return]


async def client(port: int, tokens_file: str, requests: int, concurrency: int) -> None:
    tokens = json.loads(await asyncio.to_thread(Path(tokens_file).read_text))
    latencies: list[float] = []
    order = iter(range(requests))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for n in order:
                request = (
                    f"GET /hs/{tokens[n % len(tokens)]} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                ).encode()
                sent = time.perf_counter()
                writer.write(request)
                status = await reader.readuntil(b"\r\n")
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - sent)
                assert status.split()[1] == b"200", status
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rate": requests / elapsed,
                "p50": percentile(latencies, 0.5) * 1000,
                "p99": percentile(latencies, 0.99) * 1000,
            }
        )
    )


def main() -> None:
    if sys.argv[1:2] == ["--client"]:
        port, tokens, requests, concurrency = sys.argv[2:6]
        asyncio.run(client(int(port), tokens, int(requests), int(concurrency)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--dossiers", type=int, default=10000)
    args = parser.parse_args()
    decoding(args.photos)
    print(f"status page: {args.dossiers:,} dossiers with a token each, {args.requests} requests")
    asyncio.run(page_load(args.requests, args.dossiers))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
