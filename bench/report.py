"""Benchmark of the quarterly figures (/baocao, `motcua report`) on a large database.

    .venv/bin/python bench/report.py [--dossiers 100000] [--apologies 500] [--rounds 5]

1. Fills a fresh SQLite database with N dossiers received over 2026 (through
   `Storage.apply_dossiers`): 60 % imported with the export's "Ngày có kết quả", 20 % finished by
   a second import without it (their date comes from the history), 20 % still running; a few
   hundred apologies through `Storage.issue_apology`.
2. Times, for Q3/2026 and for the whole year: the storage query (`report_data`), the counting
   (`build_report`), the chat message, the PNG chart, the XLSX table and the PDF table (median
   of the rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import load_knowledge, running_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from core.catalogue.models import LawVersion  # noqa: E402
from core.clock import VIETNAM, FixedClock  # noqa: E402
from core.dossier_import import row_hash  # noqa: E402
from core.dossiers import Dossier, Status, SubmissionChannel  # noqa: E402
from core.messages import TextFormat  # noqa: E402
from core.receipt_codes import code_key  # noqa: E402
from core.report import Period, build_report  # noqa: E402
from core.report_files import report_png, report_xlsx  # noqa: E402
from core.report_pdf import report_pdf  # noqa: E402
from handlers.report import report_text  # noqa: E402
from storage.base import ApologyDraft  # noqa: E402

YEAR_START = dt.datetime(2026, 1, 2, 8, 0)
NOW = dt.datetime(2026, 12, 28, 9, 0)
CHANNELS = [SubmissionChannel.ONLINE] * 6 + [SubmissionChannel.DIRECT] * 3 + [None]


def make(n: int, total: int, procedures: list[str], rng: random.Random) -> Dossier:
    received = YEAR_START + dt.timedelta(minutes=n * (360 * 24 * 60) // total)
    due = received.date() + dt.timedelta(days=rng.randint(0, 10))
    text = f"000.00.19.H47-{received:%y%m%d}-{n % 10000:04d}{n // 10000}"
    return Dossier(
        code=text,
        code_key=code_key(text),
        procedure_id=procedures[n % len(procedures)],
        applicant_name="Nguyễn Văn An",
        phone=None,
        received_at=received,
        due_date=due,
        status=Status.PROCESSING,
        submission_channel=CHANNELS[n % len(CHANNELS)],
    )


def median_ms(samples: list[float]) -> str:
    return f"{1000 * statistics.median(samples):8.1f} ms"


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    knowledge = load_knowledge(Settings(_env_file=None))  # type: ignore[call-arg]
    procedures = [p.id for p in knowledge.catalogue]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, data_dir=Path(folder))  # type: ignore[call-arg]
        clock = FixedClock(NOW)
        async with running_services(settings, clock=clock, knowledge=knowledge) as services:
            storage = services.storage
            started = time.perf_counter()
            running = [make(n, args.dossiers, procedures, rng) for n in range(args.dossiers)]
            first = []
            for n, item in enumerate(running):
                if n % 5 < 3:  # finished, with the export's date
                    done = item.received_at + dt.timedelta(days=rng.randint(0, 12), hours=2)
                    item = replace(item, status=Status.RETURNED, resolved_at=done)
                first.append(item)
            stamp = YEAR_START.replace(tzinfo=VIETNAM)
            for start in range(0, len(first), 20_000):
                batch = first[start : start + 20_000]
                await storage.dossiers.apply_dossiers(
                    [(d, row_hash(d)) for d in batch], stamp, "bench"
                )
            # 20 % finished later by an export without the date: the history dates them.
            later = [replace(d, status=Status.READY) for n, d in enumerate(first) if n % 5 == 3]
            for start in range(0, len(later), 20_000):
                batch = later[start : start + 20_000]
                moment = (batch[0].received_at + dt.timedelta(days=3)).replace(tzinfo=VIETNAM)
                await storage.dossiers.apply_dossiers(
                    [(d, row_hash(d)) for d in batch], moment, "bench"
                )
            for item in rng.sample([d for n, d in enumerate(first) if n % 5 == 4], args.apologies):
                draft = ApologyDraft(
                    item.code_key,
                    "Cần xác minh thêm",
                    item.due_date + dt.timedelta(days=7),
                    "900",
                    "Cán bộ",
                    LawVersion.TT_03_2025,
                    "VBXL",
                )
                issued_at = dt.datetime.combine(item.due_date, dt.time(8)).replace(tzinfo=VIETNAM)
                await storage.apologies.issue_apology(draft, issued_at, 1)
            filled = time.perf_counter() - started
            print(f"{args.dossiers:,} dossiers, {args.apologies} apologies: {filled:.1f} s to fill")
            size = (Path(folder) / "motcua.sqlite3").stat().st_size
            print(f"database: {size / 1e6:.1f} MB")
            print()
            print(f"{'period':<14}{'rows read':>10}{'query':>12}{'count':>12}{'message':>12}"
                  f"{'PNG':>12}{'XLSX':>12}{'PDF':>12}{'whole /baocao':>16}")  # fmt: skip
            for period in (Period.quarter(2026, 3), Period.year(2026)):
                query, count, text, png, xlsx, pdf, whole = [], [], [], [], [], [], []
                rows = 0
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    data = await storage.reports.report_data(period.first, period.last)
                    t1 = time.perf_counter()
                    report = build_report(
                        data,
                        period,
                        NOW.date(),
                        lambda p: knowledge.catalogue.get(p).field,  # type: ignore[union-attr]
                    )
                    t2 = time.perf_counter()
                    report_text(services, TextFormat.HTML, report)
                    t3 = time.perf_counter()
                    report_png(report)
                    t4 = time.perf_counter()
                    report_xlsx(report, "UBND XÃ")
                    t5 = time.perf_counter()
                    report_pdf(report, "UBND XÃ")
                    t6 = time.perf_counter()
                    rows = len(data.dossiers)
                    query.append(t1 - t0)
                    count.append(t2 - t1)
                    text.append(t3 - t2)
                    png.append(t4 - t3)
                    xlsx.append(t5 - t4)
                    pdf.append(t6 - t5)
                    whole.append(t6 - t0)
                print(
                    f"{period.label:<14}{rows:>10,}{median_ms(query):>12}{median_ms(count):>12}"
                    f"{median_ms(text):>12}{median_ms(png):>12}{median_ms(xlsx):>12}{median_ms(pdf):>12}"
                    f"{median_ms(whole):>16}"
                )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--apologies", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
