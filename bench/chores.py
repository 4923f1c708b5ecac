"""Benchmark: replies while the daily unlinking chore runs over a big database (issue 18 point 5).

    .venv/bin/python bench/chores.py [--dossiers 1000000] [--follows 100000]
        [--backend sqlite|postgresql|both] [--postgres-url postgresql://postgres@127.0.0.1/postgres]

1. Builds (once, cached under --work) a SQLite database of N dossiers (90 % returned two months
   ago, 10 % running) through `apply_dossiers`, and F follows, half of them of returned dossiers
   (the links the chore removes). For PostgreSQL, copies it with `motcua migrate-db`'s code
   (rows/s printed) into a template database.
2. For each backend, on a fresh copy each time: "one transaction" (every follow walked in one
   transaction, `batch` = all, as the chore held its lock before), "batches of 50" (as it is),
   and "no chore" for as long as the batched chore took (the machine's own noise). Meanwhile 4
   reply tasks do what a reply does to storage — load the conversation state, look a dossier
   up (`find_dossier`), save the state — back to back with 2 ms pauses.
3. Prints the chore's duration and the replies' latency while it ran: p50, p99, worst.
Target: worst reply ≤ 100 ms while the chore runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from core.dossiers import Dossier, ReturnMethod, Status  # noqa: E402
from core.receipt_codes import code_key  # noqa: E402
from storage.base import ChatRef, ConversationKey, Storage  # noqa: E402
from storage.postgres import PostgresStorage  # noqa: E402
from storage.sqlite import SqliteStorage  # noqa: E402
from storage.transfer import copy_to_postgres  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
LOADED = NOW - dt.timedelta(days=60)  # when the data was imported: long finished
REPLIERS = 4


def code(n: int) -> str:
    return f"000.00.19.H{n % 90 + 10:02d}-26{n // 10_000_000 % 10:01d}{n % 10_000_000:07d}"


def make(n: int) -> Dossier:
    returned = n % 10 != 0
    text = code(n)
    return Dossier(
        code=text,
        code_key=code_key(text),
        procedure_id="xac-nhan-tinh-trang-hon-nhan",
        applicant_name="Nguyễn Văn An",
        phone="0912 345 678",
        received_at=dt.datetime(2026, 9, 1, 9, 0),
        due_date=dt.date(2026, 9, 10),
        status=Status.RETURNED if returned else Status.PROCESSING,
        return_method=ReturnMethod.DESK,
        note=None,
    )


async def build(path: Path, dossiers: int, follows: int) -> None:
    started = time.perf_counter()
    storage = await SqliteStorage.open(path)
    try:
        step = 20_000
        for start in range(0, dossiers, step):
            batch = [make(n) for n in range(start, min(start + step, dossiers))]
            await storage.dossiers.apply_dossiers(
                [(d, f"h{d.code_key}") for d in batch], LOADED, "bench"
            )
            print(f"\r  dossiers {start + len(batch):,}", end="", flush=True)
        # Half the follows on returned dossiers (n % 10 != 0), half on running ones (n % 10 == 0).
        rng = random.Random(7)
        for i in range(follows):
            n = rng.randrange(dossiers // 10) * 10 + (0 if i % 2 else rng.randrange(1, 10))
            chat = ChatRef("telegram", str(100_000 + i))
            await storage.follows.follow(chat, code_key(code(n)), None, "đồng ý", LOADED)
        print(f"\r  built {dossiers:,} dossiers, {follows:,} follows in"
              f" {time.perf_counter() - started:.0f} s")  # fmt: skip
    finally:
        await storage.close()


async def replies(
    storage: Storage, dossiers: int, stop: asyncio.Event
) -> list[tuple[float, float]]:
    """(start, latency in ms) of each reply's storage work."""
    timings: list[tuple[float, float]] = []
    rng = random.Random()

    async def one(worker: int) -> None:
        key = ConversationKey("telegram", str(worker), str(worker))
        chat = ChatRef("telegram", str(worker))
        while not stop.is_set():
            start = time.perf_counter()
            await storage.conversations.load_state(key)
            await storage.dossiers.find_dossier(
                code_key(code(rng.randrange(dossiers))), chat, NOW - dt.timedelta(minutes=10)
            )
            await storage.conversations.save_state(key, "dossier.viewing", {"n": 1}, NOW)
            timings.append((start, (time.perf_counter() - start) * 1000))
            await asyncio.sleep(0.002)

    await asyncio.gather(*(one(w) for w in range(REPLIERS)))
    return timings


async def measure(
    storage: Storage, dossiers: int, batch: int | None, idle: float = 3.0
) -> dict[str, float]:
    """Replies while the chore runs (`batch` follows per transaction), or for `idle` seconds
    without it (`batch` None: what this machine gives anyway, for comparison)."""
    stop = asyncio.Event()
    replying = asyncio.create_task(replies(storage, dossiers, stop))
    await asyncio.sleep(1.0)
    began = time.perf_counter()
    unlinked = 0
    if batch is None:
        await asyncio.sleep(idle)
    else:
        moment = NOW - dt.timedelta(days=30)
        unlinked = await storage.care.unlink_finished_before(moment, NOW, batch)
    ended = time.perf_counter()
    await asyncio.sleep(0.3)
    stop.set()
    # Every reply that was under way at some moment of the chore.
    during = [ms for start, ms in await replying if start <= ended and start + ms / 1000 >= began]
    during.sort()
    return {
        "chore_s": ended - began,
        "unlinked": unlinked,
        "replies": len(during),
        "p50": statistics.median(during) if during else 0.0,
        "p99": during[int(len(during) * 0.99)] if during else 0.0,
        "worst": during[-1] if during else 0.0,
    }


def report(backend: str, mode: str, r: dict[str, float]) -> None:
    print(f"  {backend:<10} {mode:<16} time {r['chore_s']:7.2f} s  unlinked {r['unlinked']:>8,.0f}"
          f"  replies {r['replies']:>6,.0f}  p50 {r['p50']:6.2f} ms  p99 {r['p99']:7.2f} ms"
          f"  worst {r['worst']:8.2f} ms")  # fmt: skip


# "no chore" last, as long as the batched chore took: the worst reply of a quiet period of the
# same length on the same (shared, noisy) machine.
MODES: list[tuple[str, int | None]] = [
    ("one transaction", 10**9),
    ("batches of 50", 50),
    ("no chore", None),
]


def fresh_copy(source: Path, copy: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copy(source, copy)
    return copy


async def run_sqlite(source: Path, work: Path, dossiers: int) -> None:
    idle = 3.0
    for mode, batch in MODES:
        copy = fresh_copy(source, work / "run.sqlite3")
        storage = await SqliteStorage.open(copy)
        try:
            result = await measure(storage, dossiers, batch, idle)
            report("sqlite", mode, result)
            idle = result["chore_s"]
        finally:
            await storage.close()


async def run_postgres(source: Path, admin_url: str, dossiers: int) -> None:
    base = admin_url.rsplit("/", 1)[0]
    admin = await asyncpg.connect(admin_url)
    try:
        for name in ("motcua_bench_loaded", "motcua_bench_run"):
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute("CREATE DATABASE motcua_bench_loaded")
        sqlite = await SqliteStorage.open(source)
        target = await PostgresStorage.open(f"{base}/motcua_bench_loaded", min_size=1, max_size=2)
        started = time.perf_counter()
        counts = await copy_to_postgres(sqlite, target)
        took = time.perf_counter() - started
        await target.close()
        await sqlite.close()
        rows = sum(c.target for c in counts)
        print(f"  migrate-db: {rows:,} rows in {took:.1f} s ({rows / took:,.0f} rows/s)")
        loaded = await asyncpg.connect(f"{base}/motcua_bench_loaded")
        await loaded.execute("VACUUM ANALYZE")
        await loaded.close()
        idle = 3.0
        for mode, batch in MODES:
            await admin.execute("DROP DATABASE IF EXISTS motcua_bench_run WITH (FORCE)")
            await admin.execute("CREATE DATABASE motcua_bench_run TEMPLATE motcua_bench_loaded")
            storage = await PostgresStorage.open(f"{base}/motcua_bench_run", max_size=8)
            try:
                result = await measure(storage, dossiers, batch, idle)
                report("postgresql", mode, result)
                idle = result["chore_s"]
            finally:
                await storage.close()
        for name in ("motcua_bench_loaded", "motcua_bench_run"):
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--follows", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--work", type=Path, default=Path("/tmp/motcua-bench-chores"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    source = args.work / f"source-{args.dossiers}-{args.follows}.sqlite3"
    if not source.exists():
        partial = source.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        await build(partial, args.dossiers, args.follows)
        partial.rename(source)
    print(f"{args.dossiers:,} dossiers, {args.follows:,} follows ({source.stat().st_size >> 20} MB"
          f" SQLite); {REPLIERS} reply tasks")  # fmt: skip
    if args.backend in ("sqlite", "both"):
        await run_sqlite(source, args.work, args.dossiers)
    if args.backend in ("postgresql", "both"):
        await run_postgres(source, args.postgres_url, args.dossiers)


if __name__ == "__main__":
    asyncio.run(main())
