"""Benchmark of one bot for a whole province (issue 19 point 8), on SQLite and PostgreSQL.

    .venv/bin/python bench/province.py [--scale 1.0] [--communes 100] [--backend both]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

At --scale 1: a generated province of 100 communes (names, former names, agency codes, an overlay
each that hides 2 shared procedures, overrides 2 and adds 1), 2,000,000 dossiers received over
2026 (1 Jan – 5 Dec) spread over the communes, 200,000 followers (a chat each, half of them with
a commune chosen), and a province-wide export of 100,000 rows. --scale 0.01 runs in seconds.

1. Knowledge: load and validate the province (every commune's effective catalogue), then build
   every commune's search; time and RSS after each (the bot's memory with 100 overlays loaded).
2. Fill a SQLite database (`apply_dossiers`, 20,000 a transaction; follows and chats in
   executemany batches); for PostgreSQL, copy it with `motcua migrate-db`'s code (binary COPY).
3. For each backend, through the whole handler (Dispatcher → storage → template):
   - dossier lookup: p50/p99 for the second-factor prompt and for the card;
   - guidance: p50/p99 of a citizen question in a chat whose commune is chosen (search in that
     commune's index and its effective catalogue, office and fees);
   - province report: `motcua report --quarter 2026-Q3` and `--year 2026` in a child process
     (its wall time and peak RSS);
   - import of a province-wide export (split by agency code, `motcua import-dossiers`'s code:
     parse + validate + plan + apply): rows per second.
Prints numbers with the load average; asserts only that the answers are the right ones.
Targets (issue 19): RSS per process ≤ 300 MB with 100 overlays.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import gc
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bot.app import Dispatcher, running_services  # noqa: E402
from bot.knowledge_files import KnowledgeFiles  # noqa: E402
from bot.settings import Settings  # noqa: E402
from core.clock import VIETNAM, FixedClock  # noqa: E402
from core.dossier_import import CommuneRule, parse_export, row_hash  # noqa: E402
from core.dossiers import Dossier, ReturnMethod, Status, SubmissionChannel  # noqa: E402
from core.messages import IncomingMessage, TextFormat  # noqa: E402
from core.province import name_key  # noqa: E402
from core.receipt_codes import code_key  # noqa: E402
from handlers.context import Knowledge, Services  # noqa: E402
from handlers.imports import apply_import, plan_import  # noqa: E402
from storage.postgres import PostgresStorage  # noqa: E402
from storage.sqlite import SqliteStorage  # noqa: E402
from storage.transfer import copy_to_postgres  # noqa: E402

NOW = dt.datetime(2026, 12, 5, 16, 0)  # the data's "today": the fill's last day
YEAR_START = dt.date(2026, 1, 1)
DAYS = (NOW.date() - YEAR_START).days + 1

# Syllables of (made-up) commune names: two make a name, unique across the province.
SYLLABLES = [
    "An", "Bình", "Hòa", "Phú", "Tân", "Đông", "Tây", "Nam", "Bắc", "Long", "Mỹ", "Phước",
    "Hưng", "Thuận", "Lộc", "Xuân", "Hải", "Sơn", "Phong", "Trung", "Vĩnh", "Quang", "Thành",
    "Lợi", "Hiệp", "Cường", "Thịnh", "Khánh", "Định", "Hậu",
]  # fmt: skip
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Minh", "Ngọc", "Phúc"]
# Shared procedures an overlay may hide or override (each commune picks its own few).
HIDEABLE = [
    "hoa-giai-tranh-chap-dat-dai", "dang-ky-thu-vien-tu-nhan", "sinh-hoat-ton-giao-tap-trung",
    "gia-dinh-van-hoa", "tang-giay-khen", "dang-ky-nghia-vu-quan-su",
]  # fmt: skip
OVERRIDABLE = ["dang-ky-thuong-tru", "dang-ky-tam-tru", "chung-thuc-ban-sao", "dang-ky-khai-tu"]
# Citizen questions timed for guidance (each finds a procedure no overlay hides).
QUESTIONS = [
    "xin giấy khai sinh cho con", "lam giay xac nhan tinh trang hon nhan", "đăng ký kết hôn",
    "chứng thực bản sao giấy tờ", "đăng ký tạm trú", "đăng ký thường trú cho con",
    "khai tu cho ba toi", "xin trợ cấp xã hội cho người già", "hộ nghèo làm thủ tục gì",
    "chung thuc chu ky", "trích lục khai sinh bản sao", "mai táng phí người có công",
]  # fmt: skip


@dataclass(frozen=True)
class Scale:
    communes: int
    dossiers: int
    followers: int
    import_rows: int
    lookups: int
    questions: int


# -- the generated province ---------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedCommune:
    id: str
    name: str
    agency: str


def commune_names(count: int, rng: random.Random) -> Iterator[tuple[str, list[str]]]:
    """(official name, two former names), all distinct."""
    pairs = [f"{a} {b}" for a in SYLLABLES for b in SYLLABLES if a != b]
    rng.shuffle(pairs)
    if len(pairs) < 3 * count:
        raise SystemExit(f"at most {len(pairs) // 3} communes can be named")
    for i in range(count):
        kind = "phường" if i % 4 == 0 else "xã"
        official, *former = pairs[3 * i : 3 * i + 3]
        yield f"{kind} {official}", [f"xã {name}" for name in former]


def write_province(folder: Path, count: int, rng: random.Random) -> list[GeneratedCommune]:
    """province.yaml and one overlay per commune; the communes in the file's order."""
    shared = yaml.safe_load((ROOT / "knowledge" / "procedures.yaml").read_text(encoding="utf-8"))
    template = next(p for p in shared["procedures"] if p["id"] == "tang-giay-khen")
    (folder / "overlays").mkdir(parents=True, exist_ok=True)
    communes, entries = [], []
    for i, (name, former) in enumerate(commune_names(count, rng)):
        ident = "-".join(name_key(name).split())
        agency = f"000.{10 + i // 100:02d}.{i % 100:02d}.H47"
        communes.append(GeneratedCommune(ident, name, agency))
        entry: dict[str, Any] = {
            "id": ident,
            "name": name,
            "former_names": former,
            "agency_codes": [agency],
            "address": f"Thôn {i % 9 + 1}, {name}",
            "phone": f"0200 3 {100_000 + i:06d}"[:14],
            "overlay": f"overlays/{ident}.yaml",
        }
        if i % 3 == 0:
            entry["local_fees"] = {"dang-ky-khai-sinh/qua-han": 4000 + i * 10}
        entries.append(entry)
        hidden = rng.sample(HIDEABLE, 2)
        local = dict(template)
        local.update(
            id=f"ho-tro-{ident}",
            name=f"Hỗ trợ hộ gia đình khó khăn của {name}",
            aliases=[f"hỗ trợ khó khăn {name}", f"trợ giúp hộ khó khăn ở {name}"],
            keywords=["hỗ trợ khó khăn"],
            related=[],
        )
        overlay = {
            "version": 1,
            "hide": hidden,
            "override": [
                {"id": pid, "where": f"Bộ phận Một cửa {name}, quầy số {n + 1}"}
                for n, pid in enumerate(rng.sample(OVERRIDABLE, 2))
            ],
            "add": [local],
        }
        (folder / "overlays" / f"{ident}.yaml").write_text(
            yaml.safe_dump(overlay, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    province = {
        "version": 1,
        "province": "tỉnh Ví Dụ",
        "defaults": {
            "hotline": "0200 3 999 999",
            "hours": {"days": "Thứ Hai – Thứ Sáu", "morning": "7:30 – 11:30",
                      "afternoon": "13:30 – 17:00"},
            "local_fees": {"dang-ky-khai-sinh/qua-han": 5000,
                           "xac-nhan-tinh-trang-hon-nhan/xac-nhan": 3000},
        },
        "communes": entries,
    }  # fmt: skip
    (folder / "province.yaml").write_text(
        yaml.safe_dump(province, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return communes


# -- dossiers -------------------------------------------------------------------------------


def code_of(communes: list[GeneratedCommune], n: int, total: int) -> str:
    """The n-th dossier's receipt code: commune n % C, dated by its rank in its commune."""
    count = len(communes)
    commune, m = communes[n % count], n // count
    per_commune = max(1, total // count)
    day = YEAR_START + dt.timedelta(days=min(DAYS - 1, m * DAYS // per_commune))
    return f"{commune.agency}-{day:%y%m%d}-{m % 10000:04d}"


def phone_of(n: int) -> str:
    return f"09{n * 7919 % 100_000_000:08d}"


def make_dossier(
    communes: list[GeneratedCommune], n: int, total: int, procedures: list[str]
) -> Dossier:
    text = code_of(communes, n, total)
    day = dt.datetime.strptime(text.rsplit("-", 2)[1], "%y%m%d")
    received = day.replace(hour=7 + n % 9, minute=n % 60)
    due = received.date() + dt.timedelta(days=3 + n % 8)
    age = (NOW - received).days
    resolved = None
    status = Status.PROCESSING
    if age > 12 or n % 3 == 0:
        # Most finished: a few days early or on time, 4 % late.
        late = n // len(communes) % 25 == 0  # every commune alike
        resolved = received + dt.timedelta(days=(due - received.date()).days + (3 if late else -1))
        resolved = min(resolved, NOW)
        status = Status.RETURNED if age > 20 else Status.READY
    return Dossier(
        code=text,
        code_key=code_key(text),
        procedure_id=procedures[n % len(procedures)],
        applicant_name=f"{FAMILY[n % 10]} Văn {GIVEN[n % 11]}",
        phone=phone_of(n),
        received_at=received,
        due_date=due,
        status=status,
        return_method=ReturnMethod.DESK,
        submission_channel=SubmissionChannel.ONLINE if n % 3 else SubmissionChannel.DIRECT,
        resolved_at=resolved,
        commune_id=communes[n % len(communes)].id,
    )


async def fill_sqlite(
    path: Path, communes: list[GeneratedCommune], knowledge: Knowledge, scale: Scale
) -> None:
    procedures = [p.id for p in knowledge.province.shared if p.id not in HIDEABLE]
    storage = await SqliteStorage.open(path)
    started = time.perf_counter()
    try:
        step = 20_000
        stamp = NOW.replace(tzinfo=VIETNAM)
        for first in range(0, scale.dossiers, step):
            batch = [
                make_dossier(communes, n, scale.dossiers, procedures)
                for n in range(first, min(first + step, scale.dossiers))
            ]
            await storage.dossiers.apply_dossiers([(d, row_hash(d)) for d in batch], stamp, "bench")
            print(f"\r  dossiers {first + len(batch):,}", end="", flush=True)
        took = time.perf_counter() - started
        print(f"\r  {scale.dossiers:,} dossiers through apply_dossiers in {took:.0f} s"
              f" ({scale.dossiers / took:,.0f}/s)")  # fmt: skip
    finally:
        await storage.close()
    # Followers: one chat each following one dossier (the bench's own executemany; the bot
    # writes them one consent at a time). Half the chats chose a commune for guidance.
    started = time.perf_counter()
    rng = random.Random(11)
    stamp_text = NOW.replace(tzinfo=VIETNAM).isoformat()
    with sqlite3.connect(path) as db:
        for first in range(0, scale.followers, 20_000):
            chats, follows = [], []
            for i in range(first, min(first + 20_000, scale.followers)):
                channel = ("telegram", "zalo")[i % 2]
                n = rng.randrange(scale.dossiers)
                commune = communes[n % len(communes)].id if i % 2 else None
                chats.append((channel, f"f{i}", stamp_text, stamp_text, commune))
                key = code_key(code_of(communes, n, scale.dossiers))
                follows.append((channel, f"f{i}", key, None, stamp_text))
            db.executemany(
                "INSERT INTO chats (channel, chat_id, first_seen, last_seen, commune_id)"
                " VALUES (?, ?, ?, ?, ?)",
                chats,
            )
            db.executemany(
                "INSERT INTO follows (channel, chat_id, code_key, label, followed_at, active)"
                " VALUES (?, ?, ?, ?, ?, 1)",
                follows,
            )
        db.execute("ANALYZE")
    took = time.perf_counter() - started
    print(f"  {scale.followers:,} followers (chats + follows) in {took:.1f} s")


# -- measurements ---------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timing(label: str, values: list[float]) -> None:
    print(f"  {label:<34} p50 {percentile(values, 0.5) * 1e3:7.2f} ms"
          f"   p99 {percentile(values, 0.99) * 1e3:7.2f} ms   ({len(values):,})")  # fmt: skip


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def knowledge_phase(settings: Settings) -> Knowledge:
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    knowledge = KnowledgeFiles(settings).load()
    loaded = time.perf_counter() - started
    gc.collect()
    after_load = rss_mb()
    started = time.perf_counter()
    for commune in knowledge.province:
        knowledge.search_of(commune.id)
    indexed = time.perf_counter() - started
    gc.collect()
    after_index = rss_mb()
    overlays = sum(1 for c in knowledge.province if c.overlay)
    print(
        f"  load + validate {len(knowledge.province)} communes ({overlays} overlays):"
        f" {loaded:.2f} s, RSS {before:.0f} → {after_load:.0f} MB"
    )
    print(f"  every commune's search built: {indexed:.2f} s, RSS {after_index:.0f} MB"
          f" (+{after_index - after_load:.0f} MB for the communes' searches)")  # fmt: skip
    return knowledge


async def lookups(services: Services, communes: list[GeneratedCommune], scale: Scale) -> None:
    dispatcher = Dispatcher(services)
    rng = random.Random(5)
    prompt, card = [], []
    for i in range(scale.lookups):
        n = rng.randrange(scale.dossiers)
        text = code_of(communes, n, scale.dossiers)
        chat = f"l{i % 500}"
        message = IncomingMessage("bench", chat, chat, text=text.lower())
        t0 = time.perf_counter()
        replies = await dispatcher.handle(message, TextFormat.HTML)
        prompt.append(time.perf_counter() - t0)
        message = IncomingMessage("bench", chat, chat, text=phone_of(n)[-4:])
        t0 = time.perf_counter()
        replies = await dispatcher.handle(message, TextFormat.HTML)
        card.append(time.perf_counter() - t0)
        assert replies and text in replies[0].text, replies[0].text
    timing("lookup, second-factor prompt", prompt)
    timing("lookup, dossier card (4 digits)", card)


async def guidance(services: Services, communes: list[GeneratedCommune], scale: Scale) -> None:
    """Chats spread over every commune; each chooses its commune once (not timed), then asks."""
    dispatcher = Dispatcher(services)
    chats = min(len(communes) * 2, scale.questions)
    for i in range(chats):
        commune = communes[i % len(communes)]
        chat = f"g{i}"
        first = IncomingMessage("bench", chat, chat, text="đăng ký khai sinh")
        await dispatcher.handle(first, TextFormat.HTML)
        named = IncomingMessage("bench", chat, chat, text=commune.name)
        replies = await dispatcher.handle(named, TextFormat.HTML)
        assert "Đã ghi nhận" in replies[0].text, replies[0].text
    timings = []
    for i in range(scale.questions):
        commune = communes[i % chats % len(communes)]
        chat = f"g{i % chats}"
        message = IncomingMessage("bench", chat, chat, text=QUESTIONS[i % len(QUESTIONS)])
        t0 = time.perf_counter()
        replies = await dispatcher.handle(message, TextFormat.HTML)
        timings.append(time.perf_counter() - t0)
        assert replies and "xã, phường nào" not in replies[0].text, replies[0].text
    timing("guidance (search + commune catalogue)", timings)
    del commune


def write_export(
    path: Path, communes: list[GeneratedCommune], knowledge: Knowledge, rows: int
) -> None:
    """A province-wide export of the one-stop software: every commune's December receipts."""
    names = [p.name for p in knowledge.province.shared if p.id not in HIDEABLE]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Mã hồ sơ", "Thủ tục", "Người nộp", "Số điện thoại", "Ngày tiếp nhận",
                      "Ngày hẹn trả", "Trạng thái", "Ghi chú"])  # fmt: skip
        for n in range(rows):
            commune = communes[n % len(communes)]
            m = n // len(communes)
            day = dt.date(2026, 12, 1) + dt.timedelta(days=m % 5)
            out.writerow([
                f"{commune.agency}-{day:%y%m%d}-{5000 + m // 5:04d}",
                names[n % len(names)],
                f"{FAMILY[n % 10]} Thị {GIVEN[n % 11]}",
                phone_of(n),
                f"{day:%d/%m/%Y} 09:30",
                "",
                ["Đã tiếp nhận", "Đang giải quyết", "Đã có kết quả"][n % 3],
                "",
            ])  # fmt: skip


async def import_export(services: Services, path: Path, rows: int) -> None:
    knowledge = services.knowledge
    t0 = time.perf_counter()
    parsed = parse_export(
        path, knowledge.catalogue, services.calendar, now=services.clock.now(),
        communes=CommuneRule(knowledge.province),
    )  # fmt: skip
    t1 = time.perf_counter()
    plan = await plan_import(services, parsed)
    assert not plan.errors and len(plan.rows) == rows, plan.errors[:3]
    outcome = await apply_import(services, plan, source=f"import:{path.name}")
    t2 = time.perf_counter()
    print(f"  import province-wide CSV, {rows:,} rows: parse+validate {t1 - t0:.2f} s,"
          f" plan+apply {t2 - t1:.2f} s → {rows / (t2 - t0):,.0f} rows/s"
          f" (created {outcome.created:,}); RSS {rss_mb():.0f} MB")  # fmt: skip


def report_child(env: dict[str, str], period: list[str], label: str) -> None:
    """`motcua report` as the officer runs it: its own process, its wall time and peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", *period],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"motcua report failed:\n{done.stderr[-2000:]}")
    lines = sum(1 for line in done.stdout.splitlines() if re.match(r"\d+\. (xã|phường) ", line))
    rss = f"peak RSS {peak / 1024:.0f} MB" if peak > before else "peak RSS ≤ the previous child's"
    print(f"  motcua report {label:<16} {took:6.2f} s ({lines} commune lines in the text), {rss}")


async def measure(
    label: str,
    settings: Settings,
    knowledge: Knowledge,
    communes: list[GeneratedCommune],
    scale: Scale,
    env: dict[str, str],
    export: Path,
) -> None:
    print(f"\n{label} (load average {load_average()})")
    clock = FixedClock(NOW.replace(tzinfo=VIETNAM))
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        await lookups(services, communes, scale)
        await guidance(services, communes, scale)
        gc.collect()
        print(f"  bot process RSS after lookups and guidance: {rss_mb():.0f} MB")
        report_child(env, ["--quarter", "2026-Q3"], "--quarter 2026-Q3")
        report_child(env, ["--year", "2026"], "--year 2026")
        await import_export(services, export, scale.import_rows)
    print(f"  load average after: {load_average()}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--knowledge-only", action="store_true", help="step 1 only (memory)")
    args = parser.parse_args()
    scale = Scale(
        communes=args.communes,
        dossiers=max(args.communes, int(2_000_000 * args.scale)),
        followers=max(10, int(200_000 * args.scale)),
        import_rows=max(args.communes, int(100_000 * args.scale)),
        lookups=max(50, min(5_000, int(50_000 * args.scale))),
        questions=max(200, min(3_000, int(30_000 * args.scale))),
    )
    work = Path(tempfile.mkdtemp(prefix="motcua-bench-province-"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average"
          f" {load_average()}; work in {work}")  # fmt: skip
    print(f"scale {args.scale}: {scale}")
    try:
        communes = write_province(work / "province", scale.communes, random.Random(19))
        province_file = work / "province" / "province.yaml"
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=work / "data", province_file=province_file
        )
        print("\nknowledge")
        knowledge = knowledge_phase(settings)
        if args.knowledge_only:
            return
        settings.data_dir.mkdir(parents=True)
        print(f"\nfill (load average {load_average()})")
        # The schema first (migrations), then the rows.
        async with running_services(settings, knowledge=knowledge):
            pass
        await fill_sqlite(settings.database_file, communes, knowledge, scale)
        size = sum(f.stat().st_size for f in settings.data_dir.iterdir())
        print(f"  SQLite database {size / 2**20:,.0f} MB")
        export = work / "province-export.csv"
        write_export(export, communes, knowledge, scale.import_rows)
        env = {
            **os.environ,
            "MOTCUA_PROVINCE_FILE": str(settings.province_file),
            "MOTCUA_DATA_DIR": str(settings.data_dir),
        }
        if args.backend in ("postgresql", "both"):
            base = args.postgres_url.rsplit("/", 1)[0]
            admin = await asyncpg.connect(args.postgres_url)
            try:
                await admin.execute("DROP DATABASE IF EXISTS motcua_bench_province WITH (FORCE)")
                await admin.execute("CREATE DATABASE motcua_bench_province")
                url = f"{base}/motcua_bench_province"
                source = await SqliteStorage.open(settings.database_file)
                target = await PostgresStorage.open(url, min_size=1, max_size=2)
                t0 = time.perf_counter()
                counts = await copy_to_postgres(source, target)
                took = time.perf_counter() - t0
                await target.close()
                await source.close()
                copied = sum(c.target for c in counts)
                print(f"  PostgreSQL: {copied:,} rows copied (migrate-db, COPY) in {took:.0f} s"
                      f" ({copied / took:,.0f} rows/s)")  # fmt: skip
                loaded = await asyncpg.connect(url)
                await loaded.execute("VACUUM ANALYZE")
                await loaded.close()
                if args.backend == "both":  # the SQLite figures on their own copy
                    await measure("SQLite", settings, knowledge, communes, scale, env, export)
                pg_settings = settings.model_copy(update={"database_url": url})
                await measure(
                    "PostgreSQL", pg_settings, knowledge, communes, scale,
                    {**env, "MOTCUA_DATABASE_URL": url}, export,
                )  # fmt: skip
            finally:
                await admin.execute("DROP DATABASE IF EXISTS motcua_bench_province WITH (FORCE)")
                await admin.close()
        else:
            await measure("SQLite", settings, knowledge, communes, scale, env, export)
        print(f"\npeak RSS of the bench process {peak_mb():.0f} MB")
    finally:
        if os.environ.get("MOTCUA_BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
