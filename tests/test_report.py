"""The quarterly figures (/baocao, `motcua report`): every number checked against a fixture built
by hand, with the bucket of each dossier written beside it.

Q3/2026 runs from 01/07/2026 to 30/09/2026; "today" is 23/11/2026, so Q3 is complete.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import functools
import hashlib
import io
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import report_cli
from bot.app import running_services
from bot.cli import main
from core.apologies import parse_date
from core.catalogue.models import LawVersion
from core.clock import VIETNAM
from core.dossier_import import parse_export, row_hash
from core.dossiers import Dossier, ReturnMethod, Status, SubmissionChannel
from core.messages import Reply
from core.report import (
    UNKNOWN_FIELD,
    CatalogueChanges,
    Figures,
    Period,
    PeriodKind,
    ReportData,
    ReportDossier,
    Tally,
    Timeliness,
    build_report,
    parse_period,
    percent,
)
from core.report_files import (
    COLUMNS,
    RATE_COLUMN,
    footnotes,
    notes,
    report_csv,
    report_png,
    report_xlsx,
    table_rows,
)
from core.report_pdf import report_pdf
from core.workdays import WorkingCalendar
from handlers.commands import OFFICER_COMMANDS
from handlers.context import Knowledge, Services
from storage.base import ApologyDraft, Storage
from storage.sqlite import SqliteStorage
from tests.dossier_fixtures import dossier
from tests.pdf_reading import A4_LANDSCAPE_POINTS, read_pdf
from tests.storage_backends import sqlite_file
from tests.transcript import Transcript

Q3 = Period.quarter(2026, 3)
TODAY = dt.date(2026, 11, 23)
FIELDS = {"ht": "Hộ tịch", "ct": "Chứng thực"}  # "xx": a procedure no longer in the catalogue
DIRECT, ONLINE, POSTAL = (
    SubmissionChannel.DIRECT,
    SubmissionChannel.ONLINE,
    SubmissionChannel.POSTAL,
)
EARLY, ON_TIME, LATE = Timeliness.EARLY, Timeliness.ON_TIME, Timeliness.LATE


def d(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


def at(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment)


def row(
    procedure: str,
    received: str,
    due: str,
    status: Status,
    channel: SubmissionChannel | None,
    *,
    resolved: str | None = None,
    seen: str | None = None,
    original_due: str | None = None,
    apologies: int = 0,
    method: ReturnMethod | None = None,
) -> ReportDossier:
    return ReportDossier(
        procedure_id=procedure,
        received_at=at(received),
        due_date=d(due),
        original_due=d(original_due or due),
        status=status,
        submission_channel=channel,
        resolved_at=at(resolved) if resolved else None,
        finished_seen_at=at(seen) if seen else None,
        apologies=apologies,
        return_method=method,
    )


R = Status.RETURNED
ROWS = [
    # A: received before Q3, result on its due date inside Q3 → carried over, ON TIME (the due
    #    date itself is on time).
    row("ht", "2026-06-20T09:00", "2026-07-03", R, DIRECT, resolved="2026-07-03T16:00"),
    # B: received and finished before Q3 → not in the report at all.
    row("ht", "2026-06-10T09:00", "2026-06-15", R, DIRECT, resolved="2026-06-14T10:00"),
    # C: received online on Q3's first morning, result before the due date → online, EARLY;
    #    the result went by post.
    row(
        "ht",
        "2026-07-01T08:00",
        "2026-07-06",
        R,
        ONLINE,
        resolved="2026-07-02T10:00",
        method=ReturnMethod.POSTAL,
    ),
    # D: online, result 5 days after the due date → online, LATE.
    row("ct", "2026-07-10T09:00", "2026-07-15", R, ONLINE, resolved="2026-07-20T09:00"),
    # E: an apology moved the due date 05/08 → 12/08 and the new date was met (10/08) → direct,
    #    LATE all the same: the apology is for "hồ sơ quá hạn" (NĐ 61/2018 Đ19 k9, DOMAIN.md).
    row(
        "ct",
        "2026-08-01T09:00",
        "2026-08-12",
        R,
        DIRECT,
        resolved="2026-08-10T09:00",
        original_due="2026-08-05",
        apologies=1,
    ),
    # F: by post, result on 01/10, after Q3's end → IN PROGRESS at the end, NOT YET DUE (02/10).
    row("ht", "2026-09-25T09:00", "2026-10-02", R, POSTAL, resolved="2026-10-01T09:00"),
    # G: channel not recorded, still processing, due 10/09 → unknown channel, OVERDUE.
    row("ht", "2026-09-01T09:00", "2026-09-10", Status.PROCESSING, None),
    # H: waiting for documents at Q3's end → direct, WAITING (its own line: the time is stopped;
    #    NĐ 61/2018 Điều 19 k.4).
    row("ct", "2026-09-15T09:00", "2026-09-30", Status.SUPPLEMENT, DIRECT),
    # N: still processing, due on Q3's last day → direct, OVERDUE at the end of Q3 (the deadline
    #    ended at 24:00 on 30/09: BLDS 2015 Điều 148).
    row("ct", "2026-09-25T09:00", "2026-09-30", Status.PROCESSING, DIRECT),
    # I: withdrawn in Q3 (date from the history) → online, WITHDRAWN OR STOPPED, no percentage.
    row("ht", "2026-08-15T09:00", "2026-08-20", Status.WITHDRAWN, ONLINE, seen="2026-08-18T08:00"),
    # J: procedure gone from the catalogue; result date known only from the history (08/07, due
    #    09/07) → field "Khác", direct, EARLY, dated from history.
    row("xx", "2026-07-05T09:00", "2026-07-09", Status.READY, DIRECT, seen="2026-07-08T10:00"),
    # K: received after Q3 → not in Q3.
    row("ht", "2026-10-05T09:00", "2026-10-09", Status.PROCESSING, None),
    # L: received in May, still not finished → carried over, OVERDUE.
    row("ct", "2026-05-01T09:00", "2026-05-10", Status.PROCESSING, DIRECT),
    # M: received in June, refused (an answer: counts as resolved) on 01/07, due 02/07 → carried
    #    over, EARLY.
    row(
        "ct", "2026-06-28T09:00", "2026-07-02", Status.REFUSED, DIRECT, resolved="2026-07-01T09:00"
    ),
]
APOLOGIES_IN_Q3 = ["ct"]  # E's apology


def test_counting_batch_by_batch_gives_the_same_figures() -> None:
    """Issue 19: the province's year is counted as the rows come (`Tally`, batches of any
    size, nothing kept) with the figures of `build_report`; lines by commune sum to the total."""
    whole = build_report(ReportData(ROWS, APOLOGIES_IN_Q3), Q3, TODAY, FIELDS.get)
    communes = ["binh-an", "dong-hoa", ""]
    placed = [replace(r, commune_id=communes[n % 3]) for n, r in enumerate(ROWS)]
    for size in (1, 2, 5, len(ROWS)):
        tally = Tally(Q3, TODAY)
        for start in range(0, len(placed), size):
            tally.add(placed[start : start + size])
        tally.add_apologies(APOLOGIES_IN_Q3, ["dong-hoa"])
        report = tally.by_field(FIELDS.get)
        assert report.total == whole.total and report.by_field == whole.by_field
        assert report.dated_from_history == whole.dated_from_history
        by_commune = tally.lines(lambda commune, _procedure: commune)
        assert set(by_commune) == set(communes)
        summed = Figures()
        for commune in communes:
            part = [r for r in placed if r.commune_id == commune]
            apologies = APOLOGIES_IN_Q3 if commune == "dong-hoa" else []
            alone = build_report(ReportData(part, apologies), Q3, TODAY, FIELDS.get).total
            assert by_commune[commune] == alone
            summed.add(by_commune[commune])
        assert summed == whole.total


def test_the_hand_built_quarter() -> None:
    report = build_report(ReportData(ROWS, APOLOGIES_IN_Q3), Q3, TODAY, FIELDS.get)
    t = report.total
    assert report.complete and report.as_of == d("2026-09-30")
    assert t.carried_over == 3  # A, L, M
    assert t.received == {DIRECT: 4, ONLINE: 3, POSTAL: 1, None: 1}  # E H J N · C D I · F · G
    assert t.received_in_period == 9 and t.total == 12
    assert t.resolved == {EARLY: 3, ON_TIME: 1, LATE: 2}  # C J M · A · D E
    assert t.withdrawn_or_stopped == 1  # I
    assert (t.not_yet_due, t.overdue, t.waiting) == (1, 3, 1)  # F · G L N · H
    assert t.apologies == 1 and t.returned_by_post == 1  # E's apology · C by post
    assert report.dated_from_history == 1  # J (I is withdrawn, not resolved)
    # Every dossier handled is resolved, withdrawn or still in progress.
    assert t.total == t.resolved_total + t.withdrawn_or_stopped + t.in_progress
    assert percent(t.timely, t.resolved_total) == "66,7 %"
    assert percent(t.resolved[LATE], t.resolved_total) == "33,3 %"

    fields = dict(report.by_field)
    assert [name for name, _ in report.by_field] == ["Chứng thực", "Hộ tịch", UNKNOWN_FIELD]
    ht, ct, other = fields["Hộ tịch"], fields["Chứng thực"], fields[UNKNOWN_FIELD]
    # Hộ tịch: A (carried, on time), C (online, early), F (post, not yet due), G (unknown
    # channel, overdue), I (online, withdrawn).
    assert (ht.carried_over, ht.received, ht.total) == (
        1,
        {DIRECT: 0, ONLINE: 2, POSTAL: 1, None: 1},
        5,
    )
    assert ht.resolved == {EARLY: 1, ON_TIME: 1, LATE: 0}
    assert (ht.withdrawn_or_stopped, ht.not_yet_due, ht.overdue, ht.apologies) == (1, 1, 1, 0)
    # Chứng thực: L and M carried over; D (online, late), E (direct, late), H (direct, waiting),
    # N (direct, overdue).
    assert (ct.carried_over, ct.received, ct.total) == (
        2,
        {DIRECT: 3, ONLINE: 1, POSTAL: 0, None: 0},
        6,
    )
    assert ct.resolved == {EARLY: 1, ON_TIME: 0, LATE: 2}
    assert (ct.withdrawn_or_stopped, ct.not_yet_due, ct.overdue, ct.apologies) == (0, 0, 2, 1)
    assert ct.waiting == 1
    # J alone.
    assert (other.total, other.received[DIRECT], other.resolved[EARLY]) == (1, 1, 1)


def test_a_quarter_not_over_counts_up_to_today() -> None:
    """Q4 on 23/11/2026: "in progress" is counted today; F was resolved on 01/10 (carried over
    from Q3, early), K arrived in Q4; G, L, N are still running and now overdue, H waits."""
    report = build_report(ReportData(ROWS, []), Period.quarter(2026, 4), TODAY, FIELDS.get)
    t = report.total
    assert not report.complete and report.as_of == TODAY
    assert t.carried_over == 5  # F G H L N
    assert t.received == {DIRECT: 0, ONLINE: 0, POSTAL: 0, None: 1}  # K
    assert t.resolved == {EARLY: 1, ON_TIME: 0, LATE: 0}  # F
    assert (t.not_yet_due, t.overdue, t.waiting) == (0, 4, 1)  # G L N K · H


def test_due_today_is_not_late_yet_but_due_on_the_last_day_of_a_past_period_is() -> None:
    """BLDS 2015 Điều 148: a deadline ends at 24:00 of its last day. A running dossier due on
    30/09 is overdue in Q3's figures (taken after 30/09), not in figures taken on 30/09 itself."""
    due_last_day = row("ct", "2026-09-25T09:00", "2026-09-30", Status.PROCESSING, DIRECT)
    data = ReportData([due_last_day], [])
    after = build_report(data, Q3, d("2026-10-01"), FIELDS.get).total
    assert (after.overdue, after.not_yet_due) == (1, 0)
    during = build_report(data, Q3, d("2026-09-30"), FIELDS.get).total
    assert (during.overdue, during.not_yet_due) == (0, 1)


def test_the_status_at_the_end_of_the_period_decides_waiting() -> None:
    """A dossier waiting at the end of Q3 and running again now is counted as waiting in Q3;
    one running at the end of Q3 and waiting now is counted by its date in Q3."""
    then_waiting = replace(
        row("ct", "2026-09-01T09:00", "2026-09-10", Status.PROCESSING, DIRECT),
        status_at_end=Status.SUPPLEMENT,
    )
    then_running = replace(
        row("ct", "2026-09-01T09:00", "2026-09-10", Status.SUPPLEMENT, DIRECT),
        status_at_end=Status.PROCESSING,
    )
    t = build_report(ReportData([then_waiting, then_running], []), Q3, TODAY, FIELDS.get).total
    assert (t.waiting, t.overdue) == (1, 1)


def test_an_extended_dossier_still_running_is_overdue_against_its_first_date() -> None:
    """The apology moved the date to 12/10, but the dossier was due 05/10: at 06/10 it is late."""
    extended = row(
        "ct",
        "2026-10-01T09:00",
        "2026-10-12",
        Status.PROCESSING,
        DIRECT,
        original_due="2026-10-05",
        apologies=1,
    )
    report = build_report(
        ReportData([extended], []), Period.quarter(2026, 4), d("2026-10-06"), FIELDS.get
    )
    assert report.total.overdue == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("2026-10-01", "2026-12-31", PeriodKind.QUARTER)),
        ("quý trước", ("2026-07-01", "2026-09-30", PeriodKind.QUARTER)),
        ("Quy truoc", ("2026-07-01", "2026-09-30", PeriodKind.QUARTER)),
        ("năm nay", ("2026-01-01", "2026-12-31", PeriodKind.YEAR)),
        ("năm trước", ("2025-01-01", "2025-12-31", PeriodKind.YEAR)),
        ("2026-Q1", ("2026-01-01", "2026-03-31", PeriodKind.QUARTER)),
        ("Q2/2026", ("2026-04-01", "2026-06-30", PeriodKind.QUARTER)),
        ("quý III 2026", ("2026-07-01", "2026-09-30", PeriodKind.QUARTER)),
        ("quý 4 năm 2025", ("2025-10-01", "2025-12-31", PeriodKind.QUARTER)),
        ("2025", ("2025-01-01", "2025-12-31", PeriodKind.YEAR)),
        ("01/07/2026 30/09/2026", ("2026-07-01", "2026-09-30", PeriodKind.QUARTER)),
        ("15/07/2026 15/08/2026", ("2026-07-15", "2026-08-15", PeriodKind.RANGE)),
    ],
)
def test_periods_as_officers_type_them(text: str, expected: tuple[str, str, PeriodKind]) -> None:
    period = parse_period(text, TODAY, parse_date)
    assert period is not None
    assert (period.first.isoformat(), period.last.isoformat(), period.kind) == expected


@pytest.mark.parametrize(
    "text", ["abc", "Q5/2026", "30/09/2026 01/07/2026", "1850", "31/02/2026 x"]
)
def test_what_is_not_a_period(text: str) -> None:
    assert parse_period(text, TODAY, parse_date) is None


def test_labels() -> None:
    assert Q3.label == "Quý III/2026" and Q3.slug == "2026-Q3"
    assert Period.year(2026).label == "Năm 2026"
    assert Period(d("2026-07-15"), d("2026-08-15")).label == "Từ 15/07/2026 đến 15/08/2026"


# -- files ------------------------------------------------------------------------------------


def test_the_table_and_the_chart() -> None:
    report = build_report(ReportData(ROWS, APOLOGIES_IN_Q3), Q3, TODAY, FIELDS.get)
    book = load_workbook(io.BytesIO(report_xlsx(report, "UBND XÃ TÂN HƯƠNG")))
    sheet = book.active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "UBND XÃ TÂN HƯƠNG"
    total = next(r for r in values if r[1] == "Tổng cộng")
    # Total, carried, in period, direct, online, post, unknown, resolved, early, on time, late,
    # rate, withdrawn, in progress, not due, overdue, apologies.
    assert total[2:13] == [12, 3, 9, 4, 3, 1, 1, 6, 3, 1, 2]
    assert total[13] == pytest.approx(4 / 6)
    # withdrawn, in progress, not due, overdue, waiting, apologies, returned by post
    assert total[14:] == [1, 5, 1, 3, 1, 1, 1]
    assert any("chưa có dữ liệu" in str(r[0]) for r in values)  # satisfaction

    lines = list(csv.reader(io.StringIO(report_csv(report, "UBND").decode("utf-8-sig"))))
    total_line = next(line for line in lines if len(line) > 1 and line[1] == "Tổng cộng")
    assert total_line[2] == "12" and total_line[13] == "66,7"

    png = report_png(report)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_the_table_as_an_a4_landscape_pdf() -> None:
    """Issue 16 §6: the XLSX's lines, header and rows, read back from the PDF."""
    report = build_report(ReportData(ROWS, APOLOGIES_IN_Q3), Q3, TODAY, FIELDS.get)
    pages, sizes, text = read_pdf(report_pdf(report, "UBND XÃ TÂN HƯƠNG"))
    assert pages == 1 and sizes[0] == pytest.approx(A4_LANDSCAPE_POINTS, abs=0.5)
    for line in notes(report, "UBND XÃ TÂN HƯƠNG"):
        assert line in text, line
    # Every column's name (cells wrap: compare without spaces), the groups once each.
    squeezed = text.replace(" ", "")
    for _, name in COLUMNS:
        assert name.replace(" ", "") in squeezed, name
    for group in {group for group, _ in COLUMNS if group}:
        assert text.count(group) == 1, group
    # Every row as in the XLSX, cell by cell in order (the rate as "66,7%").
    for row in table_rows(report):
        cells = [
            (f"{100 * v:.1f}%".replace(".", ",") if isinstance(v, float) else "–")
            if i == RATE_COLUMN
            else str(v)
            for i, v in enumerate(row)
            if v != ""
        ]
        assert " ".join(cells).replace(" ", "") in squeezed, row
    assert "Tổng cộng 12 3 9 4 3 1 1 6 3 1 2 66,7% 1 5 1 3 1 1 1" in text
    for line in footnotes(report):
        assert line.strip() in text, line


# -- storage: the one query, the history as a fallback, apologies ---------------------------


def stored(
    code: str,
    received: str,
    due: str,
    status: Status,
    *,
    procedure: str = "xac-nhan-tinh-trang-hon-nhan",  # Hộ tịch
    channel: SubmissionChannel | None = None,
    resolved: str | None = None,
) -> Dossier:
    item = dossier(code, procedure_id=procedure, status=status, received=at(received), due=d(due))
    return replace(item, submission_channel=channel, resolved_at=at(resolved) if resolved else None)


async def load(storage: Storage, when: str, *items: Dossier) -> None:
    """An import at `when` (Vietnam time), as `motcua import-dossiers` applies it."""
    moment = at(when).replace(tzinfo=VIETNAM)
    await storage.dossiers.apply_dossiers([(i, row_hash(i)) for i in items], moment, "import:x.csv")


# `storage`: a fresh database of every backend in turn (tests/conftest.py).


async def test_the_figures_from_the_database(storage: Storage) -> None:
    """Dossiers imported at different moments; the numbers by hand as above."""
    ct = "chung-thuc-ban-sao"  # Chứng thực
    s1 = stored("S1", "2026-06-20T09:00", "2026-07-03", Status.PROCESSING)
    await load(storage, "2026-06-25T17:00", s1)
    # S1 finishes: the export gives no date, the history does (02/07) → carried over, EARLY.
    await load(storage, "2026-07-02T10:00", replace(s1, status=Status.RETURNED))
    # S2: online, result on its due date (given by the export) → ON TIME.
    s2 = stored(
        "S2",
        "2026-07-01T09:00",
        "2026-07-03",
        Status.RETURNED,
        channel=ONLINE,
        resolved="2026-07-03T15:00",
    )
    await load(storage, "2026-07-04T08:00", s2)
    # S3: direct; an apology on 07/07 moves 08/07 → 15/07; result 14/07 → LATE all the same.
    s3 = stored(
        "S3", "2026-07-06T09:00", "2026-07-08", Status.PROCESSING, procedure=ct, channel=DIRECT
    )
    await load(storage, "2026-07-06T17:00", s3)
    draft = ApologyDraft(
        s3.code_key,
        "Cần xác minh thêm",
        d("2026-07-15"),
        "900",
        "Cán bộ",
        LawVersion.TT_03_2025,
        "VBXL",
    )
    await storage.apologies.issue_apology(draft, at("2026-07-07T09:00").replace(tzinfo=VIETNAM), 1)
    s3_done = replace(
        s3, status=Status.RETURNED, due_date=d("2026-07-15"), resolved_at=at("2026-07-14T10:00")
    )
    await load(storage, "2026-07-14T17:00", s3_done)
    # S4: received and finished in June → not in Q3.
    s4 = stored(
        "S4", "2026-06-01T09:00", "2026-06-04", Status.RETURNED, resolved="2026-06-03T09:00"
    )
    await load(storage, "2026-06-06T08:00", s4)
    # S5: by post on 28/09, due 05/10, running → NOT YET DUE at the end of Q3.
    s5 = stored("S5", "2026-09-28T09:00", "2026-10-05", Status.PROCESSING, channel=POSTAL)
    await load(storage, "2026-09-28T17:00", s5)
    # S6: first imported on 01/11, already returned, without a date: the history can only say
    # "finished by 01/11" → still IN PROGRESS at the end of Q3, and OVERDUE (due 06/08).
    await load(
        storage,
        "2026-11-01T08:00",
        stored("S6", "2026-08-03T09:00", "2026-08-06", Status.RETURNED),
    )

    data = await storage.reports.report_data(Q3.first, Q3.last)
    assert len(data.dossiers) == 5  # S4 is not even read
    fields = {s1.procedure_id: "Hộ tịch", ct: "Chứng thực"}
    report = build_report(data, Q3, TODAY, fields.get)
    t = report.total
    assert t.carried_over == 1  # S1
    assert t.received == {DIRECT: 1, ONLINE: 1, POSTAL: 1, None: 1}  # S3 · S2 · S5 · S6
    assert t.resolved == {EARLY: 1, ON_TIME: 1, LATE: 1}  # S1 · S2 · S3
    assert (t.not_yet_due, t.overdue) == (1, 1)  # S5 · S6
    assert t.apologies == 1  # S3's, issued 07/07
    assert report.dated_from_history == 1  # S1
    assert dict(report.by_field)["Chứng thực"].resolved[LATE] == 1


async def test_waiting_apologies_and_the_catalogue_stop_at_as_of(storage: Storage) -> None:
    """Every figure stops at "as of": the status the history had then (W waited for the person
    at the end of Q3 and runs again now), the apologies issued by then, the procedures added or
    changed in the period (the catalogue's history)."""
    w = stored("W", "2026-09-20T09:00", "2026-09-23", Status.SUPPLEMENT)
    await load(storage, "2026-09-20T17:00", w)
    await load(storage, "2026-10-05T09:00", replace(w, status=Status.PROCESSING))
    x = stored("X", "2026-09-28T09:00", "2026-09-29", Status.PROCESSING)
    await load(storage, "2026-09-28T17:00", x)
    late = ApologyDraft(
        x.code_key, "Chờ xác minh", d("2026-10-06"), "900", None, LawVersion.TT_03_2025, "VBXL"
    )
    await storage.apologies.issue_apology(late, at("2026-09-29T08:00").replace(tzinfo=VIETNAM), 1)
    changes = [("moi-1", "added"), ("moi-2", "added"), ("cu", "changed"), ("cu", "changed")]
    await storage.reports.record_catalogue_changes(changes, "test", at("2026-08-01T10:00"))
    await storage.reports.record_catalogue_changes(
        [("sau", "added")], "test", at("2026-10-02T10:00")
    )

    fields = {w.procedure_id: "Hộ tịch"}.get
    report = build_report(await storage.reports.report_data(Q3.first, Q3.last), Q3, TODAY, fields)
    assert (report.total.waiting, report.total.overdue, report.total.apologies) == (1, 1, 1)
    assert report.catalogue == CatalogueChanges(added=2, changed=1, removed=0)
    # Figures as of 28/09 (today, for a period not over): X's apology (29/09) is not there yet.
    early = build_report(
        await storage.reports.report_data(Q3.first, d("2026-09-28")), Q3, d("2026-09-28"), fields
    )
    assert early.total.apologies == 0 and early.total.not_yet_due == 1


async def test_the_report_columns_are_stored_and_kept(storage: Storage) -> None:
    """A later export without the columns does not erase what an earlier one gave."""
    s3 = stored(
        "S3",
        "2026-07-06T09:00",
        "2026-07-08",
        Status.RETURNED,
        channel=DIRECT,
        resolved="2026-07-07T10:00",
    )
    await load(storage, "2026-07-07T17:00", s3)
    found = await storage.dossiers.get_dossier(s3.code_key)
    assert found == s3
    later = replace(s3, submission_channel=None, resolved_at=None, note="đã trả")
    await load(storage, "2026-07-09T17:00", later)
    found = await storage.dossiers.get_dossier(s3.code_key)
    assert found == replace(s3, note="đã trả")
    # Reopened (back to processing): the old resolution date no longer holds.
    await load(storage, "2026-07-10T17:00", replace(later, status=Status.PROCESSING))
    found = await storage.dossiers.get_dossier(s3.code_key)
    assert found is not None and found.resolved_at is None


# -- import ---------------------------------------------------------------------------------

HEADER = "Mã hồ sơ,Thủ tục,Người nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái"


def _parse(tmp_path: Path, knowledge: Knowledge, header: str, *lines: str) -> object:
    path = tmp_path / "x.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return parse_export(path, knowledge.catalogue, WorkingCalendar())


def test_import_reads_the_channel_and_the_result_date(tmp_path: Path, knowledge: Knowledge) -> None:
    header = HEADER + ",Kênh nộp,Ngày hoàn thành"
    parsed = _parse(
        tmp_path,
        knowledge,
        header,
        "A-1,chung-thuc-ban-sao,Lê Văn B,01/07/2026 09:00,03/07/2026,Đã trả kết quả,Trực tuyến,"
        "02/07/2026 15:30",
        "A-2,chung-thuc-ban-sao,Lê Văn C,01/07/2026,03/07/2026,Đang xử lý,DVC,",
        "A-3,chung-thuc-ban-sao,Lê Văn D,01/07/2026,03/07/2026,Đang xử lý,Bưu điện,",
    )
    assert parsed.ok, parsed.errors  # type: ignore[attr-defined]
    first, second, third = (r.dossier for r in parsed.rows)  # type: ignore[attr-defined]
    assert first.submission_channel is SubmissionChannel.ONLINE
    assert first.resolved_at == at("2026-07-02T15:30")
    assert second.submission_channel is SubmissionChannel.ONLINE and second.resolved_at is None
    assert third.submission_channel is SubmissionChannel.POSTAL


def test_import_refuses_wrong_report_values(tmp_path: Path, knowledge: Knowledge) -> None:
    header = HEADER + ",Hình thức nộp,Ngày có kết quả"
    parsed = _parse(
        tmp_path,
        knowledge,
        header,
        "A-1,chung-thuc-ban-sao,Lê Văn B,01/07/2026,03/07/2026,Đã trả kết quả,Chim bồ câu,",
        "A-2,chung-thuc-ban-sao,Lê Văn C,05/07/2026,08/07/2026,Đã trả kết quả,,01/07/2026",
        "A-3,chung-thuc-ban-sao,Lê Văn D,01/07/2026,03/07/2026,Đang xử lý,,02/07/2026",
        "A-4,chung-thuc-ban-sao,Lê Văn E,01/07/2026,03/07/2026,Đã trả kết quả,,31/06/2026",
    )
    errors = [str(e) for e in parsed.errors]  # type: ignore[attr-defined]
    assert len(errors) == 4, errors
    assert "dòng 2, cột «Hình thức nộp»: «Chim bồ câu» không phải hình thức nộp" in errors[0]
    assert "dòng 3, cột «Ngày có kết quả»: «01/07/2026» trước ngày tiếp nhận" in errors[1]
    assert "dòng 4, cột «Ngày có kết quả»" in errors[2] and "chưa xong" in errors[2]
    assert "không phải ngày có thật" in errors[3]


def test_rows_without_the_new_columns_keep_their_hash() -> None:
    """Re-importing an old export after the upgrade must change nothing and notify nobody."""
    item = dossier()
    old = "\x1f".join(
        (
            item.code_key,
            item.procedure_id,
            item.applicant_name,
            item.phone or "",
            item.received_at.isoformat(),
            item.due_date.isoformat(),
            item.status,
            item.return_method or "",
            item.note or "",
        )
    )
    assert row_hash(item) == hashlib.sha256(old.encode()).hexdigest()
    assert row_hash(replace(item, submission_channel=SubmissionChannel.DIRECT)) != row_hash(item)
    assert row_hash(replace(item, resolved_at=at("2026-11-18T10:00"))) != row_hash(item)


# -- the chat and the command line ------------------------------------------------------------


async def _seed(services: Services) -> None:
    early = stored(
        "R-1",
        "2026-07-01T09:00",
        "2026-07-06",
        Status.RETURNED,
        channel=ONLINE,
        resolved="2026-07-02T09:00",
    )
    late = stored(
        "R-2",
        "2026-07-01T09:00",
        "2026-07-06",
        Status.RETURNED,
        channel=DIRECT,
        resolved="2026-07-08T09:00",
    )
    await load(services.storage, "2026-07-09T08:00", early, late)


async def test_officers_get_the_figures_the_chart_and_the_table(
    services: Services, officer_chat: Transcript
) -> None:
    await _seed(services)
    replies: list[Reply] = await officer_chat.say("/baocao quý III 2026")
    officer_chat.expect(
        "Số liệu giải quyết thủ tục hành chính – Quý III/2026",
        "Tiếp nhận: 2 hồ sơ",
        "Trực tuyến: 1 (50,0 %)",
        "Trước hạn: 1 (50,0 %)",
        "Quá hạn: 1 (50,0 %)",
        "Mức độ hài lòng của người dân: chưa có dữ liệu",
        "1. Hộ tịch: 2 hồ sơ",
    )
    files = [r.file for r in replies if r.file]
    assert [f.name for f in files] == [
        "bao-cao-2026-Q3.png",
        "bao-cao-2026-Q3.xlsx",
        "bao-cao-2026-Q3.pdf",
    ]
    assert files[0].content.startswith(b"\x89PNG") and files[1].content.startswith(b"PK")
    assert files[2].mime_type == "application/pdf" and read_pdf(files[2].content)[0] == 1
    assert {"◀ Quý II/2026", "Quý này (Quý IV/2026)", "Cả năm 2026"} <= {
        b.label for b in officer_chat.buttons
    }
    await officer_chat.press("Quý II/2026")
    officer_chat.expect("Quý II/2026", "Không có hồ sơ nào")
    await officer_chat.say("/baocao")  # this quarter, so far
    officer_chat.expect("Quý IV/2026", "tính đến hết ngày 23/11/2026")
    await officer_chat.say("/baocao hôm qua")
    officer_chat.expect("Chưa hiểu kỳ báo cáo «hôm qua»", "/baocao 01/07/2026 30/09/2026")
    await officer_chat.say("/baocao 2027-Q1")
    officer_chat.expect("Kỳ «2027-Q1» chưa bắt đầu")


async def test_citizens_cannot_see_the_figures(services: Services, chat: Transcript) -> None:
    await _seed(services)
    for command in ("/baocao", "/baocao 2026"):
        await chat.say(command)
        chat.expect("dành cho cán bộ")
        assert not any(r.file for r in chat.last)
    await chat.press_data("bc:2026-Q3")
    chat.expect("dành cho cán bộ")


def test_the_menu_lists_the_command_for_officers() -> None:
    assert ("baocao", "Số liệu báo cáo quý") in OFFICER_COMMANDS


async def test_motcua_report_prints_and_writes_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    knowledge: Knowledge,
) -> None:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    # The catalogue already loaded (for speed); the command runs its own event loop, in a thread.
    monkeypatch.setattr(
        report_cli, "running_services", functools.partial(running_services, knowledge=knowledge)
    )
    png, xlsx, pdf = tmp_path / "q3.png", tmp_path / "q3.xlsx", tmp_path / "q3.pdf"
    args = ["report", "--quarter", "2026-Q3", "--png", str(png), "--xlsx", str(xlsx)]
    args += ["--pdf", str(pdf)]
    assert await asyncio.to_thread(main, args) == 0
    out = capsys.readouterr().out
    assert "Quý III/2026" in out and "Không có hồ sơ nào" in out
    assert png.read_bytes().startswith(b"\x89PNG") and xlsx.read_bytes().startswith(b"PK")
    assert "QUÝ III/2026" in read_pdf(pdf.read_bytes())[2]
    assert (
        await asyncio.to_thread(main, ["report", "--from", "30/09/2026", "--to", "1/7/2026"]) == 2
    )
    assert "Kỳ báo cáo không hợp lệ" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["report", "--quarter", "2026"]) == 2


def test_the_shipped_sample_carries_the_report_columns(knowledge: Knowledge) -> None:
    sample = Path(__file__).parent.parent / "knowledge" / "mau-xuat-ho-so.csv"
    parsed = parse_export(sample, knowledge.catalogue, WorkingCalendar())
    assert parsed.ok, parsed.errors
    dossiers = [r.dossier for r in parsed.rows]
    channels = [item.submission_channel for item in dossiers]
    assert (channels.count(DIRECT), channels.count(ONLINE), channels.count(POSTAL)) == (6, 3, 1)
    for item in dossiers:  # a result date exactly for the finished ones
        assert (item.resolved_at is not None) == item.info.finished, item.code


async def test_the_report_reads_beside_the_main_connection(tmp_path: Path) -> None:
    """A year's report reads ~0.7 s at 100,000 dossiers: on a file it uses its own read-only
    connection, so it neither waits for nor blocks the one that answers citizens."""
    storage = await sqlite_file(tmp_path)
    try:
        s1 = stored("S1", "2026-07-01T09:00", "2026-07-06", Status.PROCESSING)
        await load(storage, "2026-07-01T17:00", s1)
        assert isinstance(storage, SqliteStorage)
        async with storage.db.lock:  # the main connection is busy (e.g. a long import)
            data = await asyncio.wait_for(
                storage.reports.report_data(Q3.first, Q3.last), timeout=10
            )
        assert [d.status for d in data.dossiers] == [Status.PROCESSING]
        # Later writes are seen by the next report (the read transaction was closed).
        await load(storage, "2026-07-02T17:00", replace(s1, status=Status.RETURNED))
        data = await storage.reports.report_data(Q3.first, Q3.last)
        assert [d.status for d in data.dossiers] == [Status.RETURNED]
    finally:
        await storage.close()
