"""A commune's year, replayed day by day: does every late dossier reach the officers in time, and
do the quarterly figures match a count made without the bot?

    .venv/bin/python bench/year.py [--year 2026] [--days 366] [--late 0.015] [--seed 16]

1. Generates the year the one-stop software would see: the volume and field mix of source report
   000 (xã Tân Hương 2023: 2,108 dossiers — chứng thực 1,116, văn hóa 602, hộ tịch 206, liên
   thông khai sinh 77, bảo trợ xã hội 57, người có công 48, thư viện 1, tôn giáo 1; 98 % filed
   online), received on working days, a share after 15:00. Each dossier's due date comes from the
   catalogue and the working-day calendar, as the software computes it; its result is ready before
   or on that date, except `--late` of them (1–2 %), which the office finishes 1–3 working days
   late. Late dossiers are drawn among those due at least two working days after receipt: one due
   the working day after it arrives is imported that evening, after that morning's list.
2. Replays the year with the settable clock, through the bot's own paths:
   - every working day at 07:30 the apology watch (`bot.jobs.ApologyWatch`) and the officers'
     list (`handlers.apologies.due_list`); the officer apologises for each listed dossier that
     will really be late — half through the chat's path (`check_new_date`, then
     `issue_apology`, as /xinloi), half through the software (a later date and a reason in the
     evening's export, issued by the import);
   - every working day at 17:45 the software's export of the day's changes (CSV) is imported
     (`parse_export`, `plan_import`, `apply_import`); a tenth of the dossiers are followed by a
     chat when they first appear;
   - the outbox worker delivers every message after each step, to a counting sender.
3. Prints: late dossiers, how many were on the list at least one working day before their due
   date, missed, false alarms per morning (listed dossiers that were not going to be late),
   notifications, and each quarter's (and the year's) figures from `/baocao` beside a count made
   here from the generated data (written separately from core/report.py).

Exit status 1 on any missed late dossier, any mismatch, or any message not delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import load_knowledge, running_services  # noqa: E402
from bot.delivery import OutboxWorker  # noqa: E402
from bot.jobs import ApologyWatch  # noqa: E402
from bot.settings import Settings  # noqa: E402
from core.apologies import check_new_date  # noqa: E402
from core.catalogue import Catalogue  # noqa: E402
from core.catalogue.models import Procedure, TimeKind  # noqa: E402
from core.clock import VIETNAM, FixedClock  # noqa: E402
from core.dossier_import import parse_export  # noqa: E402
from core.dossiers import SubmissionChannel  # noqa: E402
from core.law import law_in_force  # noqa: E402
from core.messages import Reply, TextFormat  # noqa: E402
from core.receipt_codes import code_key  # noqa: E402
from core.report import Period, Timeliness  # noqa: E402
from core.workdays import WorkingCalendar  # noqa: E402
from handlers.apologies import due_list  # noqa: E402
from handlers.context import Knowledge, Services  # noqa: E402
from handlers.imports import apply_import, plan_import  # noqa: E402
from handlers.report import period_report  # noqa: E402
from storage.base import ApologyDraft, ChatRef, OutboxStatus  # noqa: E402

# Source report 000: dossiers per field in a year (the catalogue's field names).
FIELD_MIX = {
    "Chứng thực": 1116,
    "Văn hóa": 602,
    "Hộ tịch": 206,
    "Liên thông": 77,
    "Bảo trợ xã hội": 57,
    "Người có công": 48,
    "Thư viện": 1,
    "Tôn giáo": 1,
}
ONLINE_SHARE = 2059 / 2108  # "trực tuyến mức độ 3, 4: 2.059 hồ sơ"
FOLLOWED_SHARE = 0.1
OFFICER = ChatRef("telegram", "900")
MORNING, APOLOGY_TIME, EVENING = dt.time(7, 30), dt.time(8, 15), dt.time(17, 45)
HEADER = ["Mã hồ sơ", "Mã thủ tục", "Người nộp", "Số điện thoại", "Ngày tiếp nhận", "Ngày hẹn trả",
          "Trạng thái", "Ngày có kết quả", "Hình thức nộp", "Lý do trễ hạn"]  # fmt: skip
STATUS_WORDS = {"received": "Đã tiếp nhận", "processing": "Đang giải quyết",
                "ready": "Đã có kết quả", "returned": "Đã trả kết quả"}  # fmt: skip


@dataclass
class Truth:
    """One dossier as the one-stop software knows it (and the office's plan for it)."""

    code: str
    procedure: str
    field: str
    received: dt.datetime
    online: bool
    due: dt.date  # the date on the receipt
    ready: dt.datetime  # when the result is ready ("Ngày có kết quả")
    late: bool
    followed: bool
    new_due: dt.date | None = None  # the apology's date, once issued
    apologised_on: dt.date | None = None
    by_software: bool = False  # the apology comes through the export (else through the chat)
    flagged: list[dt.date] = field(default_factory=list)  # mornings it was on the list
    exported: str | None = None  # the status in the software's last export

    @property
    def key(self) -> str:
        return code_key(self.code)


# --- The year the software sees ------------------------------------------------------------


def procedures_by_field(catalogue: Catalogue) -> dict[str, list[Procedure]]:
    found: dict[str, list[Procedure]] = {name: [] for name in FIELD_MIX}
    for procedure in catalogue:
        if procedure.field in found:
            found[procedure.field].append(procedure)
    missing = [name for name, procedures in found.items() if not procedures]
    if missing:
        raise SystemExit(f"the catalogue has no procedure in field(s): {', '.join(missing)}")
    return found


def due_of(procedure: Procedure, received: dt.datetime, calendar: WorkingCalendar) -> dt.date:
    time_ = procedure.processing_time
    cutoff = time_.cutoff_15h
    match time_.kind:
        case TimeKind.WORKING_DAYS:
            return calendar.due_date(received, time_.working_days, cutoff_applies=cutoff)
        case TimeKind.CALENDAR_DAYS:
            last = received.date() + dt.timedelta(days=time_.calendar_days)
            return last if calendar.is_working_day(last) else calendar.next_working_day(last)
        case _:
            return calendar.due_date(received, 0, on_receipt=True, cutoff_applies=cutoff)


def generate(
    year: int, catalogue: Catalogue, calendar: WorkingCalendar, late_share: float, seed: int
) -> list[Truth]:
    rng = random.Random(seed)
    days = [
        dt.date(year, 1, 1) + dt.timedelta(n)
        for n in range((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)
    ]
    working = [d for d in days if calendar.is_working_day(d)]
    fields = procedures_by_field(catalogue)
    plan = [name for name, count in FIELD_MIX.items() for _ in range(count)]
    rng.shuffle(plan)
    dossiers: list[Truth] = []
    sequence: Counter[dt.date] = Counter()
    for n, field_name in enumerate(plan):
        day = working[n * len(working) // len(plan)]
        minutes = rng.randint(7 * 60 + 30, 16 * 60 + 45)  # a share after 15:00
        received = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
        candidates = fields[field_name]
        # Chứng thực bản sao is most of chứng thực; otherwise procedures alike.
        weights = [6 if p.id == "chung-thuc-ban-sao" else 1 for p in candidates]
        procedure = rng.choices(candidates, weights)[0]
        due = due_of(procedure, received, calendar)
        sequence[day] += 1
        code = f"000.00.19.H47-{day:%y%m%d}-{sequence[day]:04d}"
        start = calendar.start_date(received, cutoff_applies=procedure.processing_time.cutoff_15h)
        span = [d for d in _dates(start, due) if calendar.is_working_day(d)] or [due]
        ready_day = rng.choice(span) if rng.random() < 0.9 else due
        if ready_day < received.date():
            ready_day = received.date()
        ready_at = (
            dt.time(16, 30)
            if ready_day > received.date()
            else min(dt.time(16, 50), (received + dt.timedelta(minutes=40)).time())
        )
        dossiers.append(
            Truth(
                code=code,
                procedure=procedure.id,
                field=field_name,
                received=received,
                online=rng.random() < ONLINE_SHARE,
                due=due,
                ready=dt.datetime.combine(ready_day, ready_at),
                late=False,
                followed=rng.random() < FOLLOWED_SHARE,
            )
        )
    # The late ones: among dossiers due at least two working days after receipt (module doc).
    eligible = [t for t in dossiers if calendar.working_days_between(t.received.date(), t.due) >= 2]
    for n, truth in enumerate(rng.sample(eligible, round(late_share * len(dossiers)))):
        truth.late = True
        truth.by_software = n % 2 == 1
        late_by = rng.randint(1, 3)
        truth.ready = dt.datetime.combine(
            calendar.add_working_days(truth.due, late_by), dt.time(10, 0)
        )
    return dossiers


def _dates(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


# --- The software's export of a day ------------------------------------------------------------


def status_on(truth: Truth, moment: dt.datetime, calendar: WorkingCalendar) -> str | None:
    """What the software says at `moment` (None: not received yet)."""
    if moment < truth.received:
        return None
    if moment >= truth.ready:
        returned_on = calendar.next_working_day(truth.ready.date())
        return "returned" if moment.date() >= returned_on else "ready"
    return "processing" if moment.date() > truth.received.date() else "received"


def export_rows(
    dossiers: list[Truth], day: dt.date, calendar: WorkingCalendar, catalogue: Catalogue
) -> list[tuple[Truth, bool, list[str]]]:
    """The rows the software exports at the end of `day`: every dossier whose state changed since
    its last export (new, moved on — on a day off too —, or given a new date with a reason by the
    officer), each with its truth and whether its status changed."""
    end = dt.datetime.combine(day, EVENING)
    rows = []
    for t in dossiers:
        now_status = status_on(t, end, calendar)
        if now_status is None:
            continue
        moved = now_status != t.exported
        t.exported = now_status
        reason = ""
        if t.by_software and t.new_due is not None and t.apologised_on == day:
            reason = "Cần xác minh thêm hồ sơ tại cơ quan khác"
        if not moved and not reason:
            continue
        procedure = catalogue.get(t.procedure)
        assert procedure is not None
        due = t.new_due or t.due
        ready = t.ready.strftime("%d/%m/%Y %H:%M") if now_status in ("ready", "returned") else ""
        rows.append((t, moved, [
            t.code, procedure.code or procedure.id, "Nguyễn Văn An", "0912345678",
            t.received.strftime("%d/%m/%Y %H:%M"), due.strftime("%d/%m/%Y"),
            STATUS_WORDS[now_status], ready, "Trực tuyến" if t.online else "Trực tiếp", reason,
        ]))  # fmt: skip
    return rows


# --- Delivery -------------------------------------------------------------------------------


class CountingSender:
    text_format = TextFormat.PLAIN

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        text = reply.text
        if "Trạng thái mới:" in text:
            kind = "status"
        elif "Văn bản xin lỗi" in text or "xin lỗi" in text.lower():
            kind = "apology"
        else:
            kind = "other"
        if chat_id == OFFICER.chat_id:
            kind = "officer"
        self.sent[kind] += 1
        return str(sum(self.sent.values()))


# --- The replay -----------------------------------------------------------------------------


@dataclass
class Replay:
    services: Services
    clock: FixedClock
    dossiers: list[Truth]
    folder: Path
    sender: CountingSender = field(default_factory=CountingSender)
    false_alarms: list[int] = field(default_factory=list)
    import_errors: list[str] = field(default_factory=list)
    expected_status_notices: int = 0
    expected_apology_notices: int = 0

    @property
    def calendar(self) -> WorkingCalendar:
        return self.services.calendar

    def at(self, day: dt.date, moment: dt.time) -> None:
        self.clock.set(dt.datetime.combine(day, moment, tzinfo=VIETNAM))

    async def deliver(self, worker: OutboxWorker) -> None:
        await worker.deliver_due()

    async def morning(self, day: dt.date, watch: ApologyWatch, worker: OutboxWorker) -> None:
        self.at(day, MORNING)
        await watch.run_if_due()
        listed = {d.code_key: extended for d, _, extended in await due_list(self.services, day)}
        by_key = {t.key: t for t in self.dossiers if t.key in listed}
        alarms = 0
        for key, extended in listed.items():
            truth = by_key[key]
            truth.flagged.append(day)
            if not truth.late:
                alarms += 1
            elif truth.new_due is None and not extended:
                await self.apologise(truth, day)
        self.false_alarms.append(alarms)
        await self.deliver(worker)

    async def apologise(self, truth: Truth, day: dt.date) -> None:
        """The officer asks for the date the work will really be done (the next working day
        after it, to be safe)."""
        new_due = self.calendar.next_working_day(truth.ready.date())
        truth.new_due, truth.apologised_on = new_due, day
        if truth.followed:
            self.expected_apology_notices += 1
        if truth.by_software:
            return  # the evening's export carries the new date and the reason
        self.at(day, APOLOGY_TIME)
        storage = self.services.storage
        dossier = await storage.dossiers.get_dossier(truth.key)
        assert dossier is not None, truth.code
        commune = self.services.knowledge.catalogue.commune
        check_new_date(dossier, new_due, self.calendar, 0, self.services.apology_rules,
                       law_in_force(commune).apology_rule)  # fmt: skip
        draft = ApologyDraft(
            truth.key, "Cần xác minh thêm hồ sơ tại cơ quan khác", new_due, OFFICER.chat_id,
            "Cán bộ một cửa", commune.law_version, commune.apology_number_suffix,
        )  # fmt: skip
        await storage.apologies.issue_apology(draft, self.clock.now(), 1)

    async def evening(self, day: dt.date, worker: OutboxWorker) -> None:
        self.at(day, EVENING)
        catalogue = self.services.knowledge.catalogue
        rows = export_rows(self.dossiers, day, self.calendar, catalogue)
        if not rows:
            return
        path = self.folder / f"xuat-{day:%Y%m%d}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(row for _, _, row in rows)
        parsed = parse_export(path, catalogue, self.calendar, now=self.clock.now())
        plan = await plan_import(self.services, parsed)
        errors = [str(e) for e in plan.errors] + parsed.file_errors
        if errors:
            self.import_errors += [f"{day}: {e}" for e in errors]
        await apply_import(self.services, plan, f"import:{path.name}")
        for truth, moved, _ in rows:
            if truth.followed and truth.received.date() == day:
                await self.services.storage.follows.follow(
                    ChatRef("telegram", f"c{truth.key[-8:]}"), truth.key, None, "đồng ý",
                    self.clock.now(),
                )  # fmt: skip
            elif truth.followed and moved:
                self.expected_status_notices += 1  # followed since its first evening
        await self.deliver(worker)


# --- The independent count ------------------------------------------------------------------

KEYS = ("carried", "received", "direct", "online", "early", "on_time", "late", "not_due",
        "overdue", "apologies")  # fmt: skip


def independent_count(dossiers: list[Truth], period: Period) -> dict[str, Counter[str]]:
    """The quarter's figures from the generated data, by field and in total: written from the
    report's definitions (core/report.py's docstring), not from its code."""
    first, last = period.first, period.last
    counts: dict[str, Counter[str]] = {}
    for t in dossiers:
        received, ready = t.received.date(), t.ready.date()
        if received > last or ready < first:
            continue
        c = counts.setdefault(t.field, Counter())
        if received < first:
            c["carried"] += 1
        else:
            c["received"] += 1
            c["online" if t.online else "direct"] += 1
        if ready <= last:
            if t.new_due is not None or ready > t.due:
                c["late"] += 1
            elif ready == t.due:
                c["on_time"] += 1
            else:
                c["early"] += 1
        elif t.due <= last:  # the period is over: due on its last day and open is overdue
            c["overdue"] += 1
        else:
            c["not_due"] += 1
    for t in dossiers:
        if t.apologised_on is not None and first <= t.apologised_on <= last:
            counts.setdefault(t.field, Counter())["apologies"] += 1
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    counts["Tổng cộng"] = total
    return counts


async def bot_figures(services: Services, period: Period) -> dict[str, Counter[str]]:
    report = await period_report(services, period)
    out: dict[str, Counter[str]] = {}
    for name, f in [*report.by_field, ("Tổng cộng", report.total)]:
        out[name] = Counter({
            "carried": f.carried_over, "received": f.received_in_period,
            "direct": f.received[SubmissionChannel.DIRECT],
            "online": f.received[SubmissionChannel.ONLINE],
            "early": f.resolved[Timeliness.EARLY], "on_time": f.resolved[Timeliness.ON_TIME],
            "late": f.resolved[Timeliness.LATE], "not_due": f.not_yet_due,
            "overdue": f.overdue, "apologies": f.apologies,
        })  # fmt: skip
    return out


def compare(bot: dict[str, Counter[str]], mine: dict[str, Counter[str]]) -> list[str]:
    problems = []
    for name in sorted(set(bot) | set(mine)):
        for key in KEYS:
            a, b = bot.get(name, Counter())[key], mine.get(name, Counter())[key]
            if a != b:
                problems.append(f"{name} {key}: /baocao {a}, independent {b}")
    return problems


# --- Main -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    late: int
    flagged_in_time: int
    apologised_in_time: int
    missed: list[str]
    mismatches: list[str]
    undelivered: int
    import_errors: list[str]

    @property
    def ok(self) -> bool:
        return not (self.missed or self.mismatches or self.undelivered or self.import_errors)


async def replay(
    knowledge: Knowledge, *, year: int, days: int, late_share: float, seed: int, quiet: bool
) -> Outcome:
    say = (lambda *a: None) if quiet else print
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, data_dir=Path(folder))  # type: ignore[call-arg]
        clock = FixedClock(dt.datetime(year, 1, 1, 0, 0))
        async with running_services(settings, clock=clock, knowledge=knowledge) as services:
            started = time.perf_counter()
            dossiers = generate(year, knowledge.catalogue, services.calendar, late_share, seed)
            last_day = dt.date(year, 1, 1) + dt.timedelta(days - 1)
            say(f"{len(dossiers):,} dossiers generated for {year}; replaying up to {last_day}")
            run = Replay(services, clock, dossiers, Path(folder))
            worker = OutboxWorker(services, {"telegram": run.sender})
            watch = ApologyWatch(services, [OFFICER], MORNING)
            quarters_done: list[Period] = []
            mismatches: list[str] = []
            day = dt.date(year, 1, 1)
            while day <= last_day:
                if services.calendar.is_working_day(day):
                    await run.morning(day, watch, worker)
                    await run.evening(day, worker)
                quarter = Period.containing(day)
                if day == quarter.last:
                    quarters_done.append(quarter)
                day += dt.timedelta(1)
            # The figures, asked the day after the replay (every period asked is over).
            clock.set(dt.datetime.combine(day, dt.time(9, 0), tzinfo=VIETNAM))
            whole = Period.year(year) if day.year > year else Period(dt.date(year, 1, 1), last_day)
            periods = [*quarters_done, whole]
            say(f"\n{'period':<28} {'figure':<10} {'/baocao':>8} {'independent':>12}")
            for period in periods:
                mine = independent_count(dossiers, period)
                bot = await bot_figures(services, period)
                problems = compare(bot, mine)
                mismatches += [f"{period.label}: {p}" for p in problems]
                for key in KEYS:
                    say(f"{period.label:<28} {key:<10} {bot['Tổng cộng'][key]:>8} "
                        f"{mine['Tổng cộng'][key]:>12}")  # fmt: skip
                say(f"{period.label:<28} by field: {problems or 'all equal'}")
            replayed = [t for t in dossiers if t.received.date() <= last_day]
            late = [t for t in replayed if t.late and t.due <= last_day]
            in_time = [
                t for t in late
                if any(services.calendar.working_days_between(f, t.due) >= 1 for f in t.flagged)
            ]  # fmt: skip
            missed = [t.code for t in late if t not in in_time]
            apologised = [
                t for t in late
                if t.apologised_on is not None
                and services.calendar.working_days_between(t.apologised_on, t.due) >= 1
            ]  # fmt: skip
            counts = await services.storage.outbox.outbox_counts()
            undelivered = sum(n for status, n in counts.items() if status is not OutboxStatus.SENT)
            elapsed = time.perf_counter() - started
            mornings = run.false_alarms or [0]
            say(f"\nlate dossiers: {len(late)}; on the officers' list ≥ 1 working day before "
                f"due: {len(in_time)}; missed: {len(missed)}; apologised ≥ 1 working day before "
                f"due: {len(apologised)}")  # fmt: skip
            say(f"false alarms per morning (listed, not going to be late): mean "
                f"{sum(mornings) / len(mornings):.1f}, max {max(mornings)}, "
                f"over {len(mornings)} mornings")  # fmt: skip
            say(f"notifications sent: {dict(run.sender.sent)}; expected to followers: status "
                f"{run.expected_status_notices}, apology {run.expected_apology_notices}; "
                f"undelivered: {undelivered}")  # fmt: skip
            for error in run.import_errors[:5]:
                say(f"import error: {error}")
            say(f"replay: {elapsed:.1f} s")
            sent = run.sender.sent
            undelivered += abs(sent["status"] - run.expected_status_notices)
            undelivered += abs(sent["apology"] - run.expected_apology_notices)
            missed += [f"{t.code}: no apology a working day before due" for t in late
                       if t in in_time and t not in apologised]  # fmt: skip
            return Outcome(
                len(late),
                len(in_time),
                len(apologised),
                missed,
                mismatches,
                undelivered,
                run.import_errors,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--days", type=int, default=366, help="replay this many days (all: 366)")
    parser.add_argument("--late", type=float, default=0.015, help="share of late dossiers")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    knowledge = load_knowledge(Settings(_env_file=None))  # type: ignore[call-arg]
    days = min(args.days, (dt.date(args.year + 1, 1, 1) - dt.date(args.year, 1, 1)).days)
    outcome = asyncio.run(
        replay(
            knowledge, year=args.year, days=days, late_share=args.late, seed=args.seed, quiet=False
        )
    )
    for problem in outcome.missed + outcome.mismatches:
        print(f"FAIL: {problem}")
    print("OK" if outcome.ok else "FAILED")
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
