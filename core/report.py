"""The quarterly figures of the one-stop desk, counted from the dossiers (pure: no I/O).

The figures follow what communes report upward each quarter (e.g. Xã Đồng Lạc, Q2/2023: "tiếp nhận
1022 hồ sơ (trực tiếp 16, trực tuyến 986, kỳ trước chuyển sang 20), giải quyết trước hạn 898 =
89,2 %, đúng hạn 109 = 10,8 %, quá hạn 0; đang giải quyết 09 (chưa đến hạn)"), by field (lĩnh vực)
and with the apologies issued:

- **received**: carried over (received before the period, not finished at its start) plus those
  received in the period, by how they were submitted (directly, online, by post, not recorded);
- **resolved in the period**, compared with the due date: *early* (the result was ready before the
  due date), *on time* (on the due date), *late* (after it). A dossier that needed an apology is
  **late even if the new date was met**: the apology is written only "đối với hồ sơ quá hạn giải
  quyết" (NĐ 61/2018/NĐ-CP Điều 19 k.9, kept by NĐ 118/2025 — see DOMAIN.md), and the extension
  it asks for does not make the dossier timely. A refusal (từ chối) is an answer, so it counts as
  resolved; a withdrawn or stopped dossier (rút hồ sơ, dừng giải quyết) has no result and is
  counted apart ("withdrawn or stopped"), outside the percentages;
- **in progress at the end** of the period (or today, for a period not over yet): *waiting for the
  person* (in "Chờ bổ sung" or "Tạm dừng" at that moment: the time is stopped, core.waiting, so
  such a dossier is neither overdue nor "not yet due"), *overdue* (its due date — before any
  extension — is on or before the period's last day: a deadline ends at 24:00 of its last day,
  BLDS 2015 Điều 148, so a dossier due on the last day and still open at its end is late; for a
  period not over yet, one due today is not late yet), or *not yet due*;
- **apologies** issued in the period (Mẫu 04), the report line "việc xin lỗi tổ chức, cá nhân khi
  để xảy ra trễ hạn". Every figure, apologies included, stops at "as of";
- **returned by post** (dịch vụ bưu chính công ích, QĐ 45/2016/QĐ-TTg; the quarterly reports' line
  "tiếp nhận và trả kết quả qua dịch vụ bưu chính công ích") among those resolved, and the share of
  the period's dossiers **filed online**;
- **procedures added or changed** in the period, from the catalogue's history (every catalogue the
  officers installed), the reports' line "thủ tục mới ban hành, sửa đổi, bổ sung";
- **satisfaction**: the ratings citizens gave in the period (three questions
  scored 2/1/0, `handlers/ratings.py`), and feedback received and answered; "chưa có dữ liệu"
  when nobody rated.

When the resolution date is known only from the bot's history (the export had no "Ngày có kết quả"
column), the figures use the time the import first saw a finished status, and say how many.

Identity: carried over + received in the period = resolved + withdrawn or stopped + in progress.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from core.care import FeedbackCounts
from core.catalogue.models import LawVersion
from core.dossiers import CLOCK_STOPPED, STATUS_INFO, ReturnMethod, Status, SubmissionChannel
from core.law import LAWS
from core.text import fold

NOT_RESOLVED = frozenset({Status.STOPPED, Status.WITHDRAWN})  # finished without a result
UNKNOWN_FIELD = "Khác (thủ tục không còn trong danh mục)"


# --- Input ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportDossier:
    """What the figures need of one dossier (storage gives only these, in one query)."""

    procedure_id: str
    received_at: dt.datetime  # naive local time
    due_date: dt.date  # the current one (moved by an apology)
    original_due: dt.date  # before any extension: the date the dossier was late against
    status: Status
    submission_channel: SubmissionChannel | None
    resolved_at: dt.datetime | None  # from the export ("Ngày có kết quả"), naive local time
    finished_seen_at: dt.datetime | None  # the history's first finished status, naive local time
    apologies: int  # apologies issued for it up to the end of the period
    return_method: ReturnMethod | None = None
    # The status the history recorded at the end of the period (None: only the current one known).
    status_at_end: Status | None = None
    commune_id: str = ""  # issue 19: the commune of the province it belongs to


@dataclass(frozen=True)
class CatalogueChanges:
    """Procedures added to or changed in the catalogue during the period (its history)."""

    added: int = 0
    changed: int = 0
    removed: int = 0


@dataclass(frozen=True)
class ReportData:
    dossiers: list[ReportDossier]
    apology_procedures: list[str]  # the procedure of each apology issued in the period
    catalogue: CatalogueChanges | None = None
    apology_communes: list[str] = field(default_factory=list)  # each apology's dossier's commune

    def by_commune(self) -> dict[str, ReportData]:
        """Issue 19: the data split by the dossiers' communes (the catalogue's changes are the
        province's, the same for each)."""
        split: dict[str, ReportData] = {}

        def part(commune_id: str) -> ReportData:
            found = split.get(commune_id)
            if found is None:
                found = split[commune_id] = ReportData([], [], self.catalogue)
            return found

        for row in self.dossiers:
            part(row.commune_id).dossiers.append(row)
        communes = self.apology_communes or [""] * len(self.apology_procedures)
        for procedure_id, commune_id in zip(self.apology_procedures, communes, strict=True):
            part(commune_id).apology_procedures.append(procedure_id)
        return split


# --- Periods -------------------------------------------------------------------------------------

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # inclusive
    kind: PeriodKind = PeriodKind.RANGE

    @classmethod
    def quarter(cls, year: int, number: int) -> Period:
        if not 1 <= number <= 4:
            raise ValueError(f"quarter {number}")
        first = dt.date(year, 3 * number - 2, 1)
        after = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)
        return cls(first, after - dt.timedelta(days=1), PeriodKind.QUARTER)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), PeriodKind.YEAR)

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        """The quarter `day` falls in."""
        return cls.quarter(day.year, (day.month - 1) // 3 + 1)

    def previous_quarter(self) -> Period:
        return Period.containing(self.first - dt.timedelta(days=1))

    @property
    def label(self) -> str:
        """'Quý III/2026', 'Năm 2026', 'Từ 01/07/2026 đến 15/08/2026'."""
        match self.kind:
            case PeriodKind.QUARTER:
                return f"Quý {_ROMAN[(self.first.month - 1) // 3 + 1]}/{self.first.year}"
            case PeriodKind.YEAR:
                return f"Năm {self.first.year}"
            case _:
                return f"Từ {self.first:%d/%m/%Y} đến {self.last:%d/%m/%Y}"

    @property
    def slug(self) -> str:
        """For file names: '2026-Q3', '2026', '20260701-20260815'."""
        match self.kind:
            case PeriodKind.QUARTER:
                return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
            case PeriodKind.YEAR:
                return str(self.first.year)
            case _:
                return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"


_QUARTER_TEXT = [
    re.compile(r"(\d{4})\s*-?\s*q\s*([1-4])"),  # 2026-Q3, 2026 q3
    # Q3/2026, quý 3 2026, quý III năm 2026
    re.compile(r"(?:q|quy)\s*([1-4]|iv|iii|ii|i)\s*[/-]?\s*(?:nam\s*)?(\d{4})"),
]
_YEAR_TEXT = re.compile(r"(?:nam\s*)?(\d{4})")
_ROMAN_VALUE = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
FIRST_YEAR, LAST_YEAR = 2000, 2099  # as the import: the working-day calendar ends in 2100


def parse_period(
    text: str, today: dt.date, parse_date: Callable[[str, dt.date], dt.date | None]
) -> Period | None:
    """What officers type after /baocao (or give `motcua report`): nothing (this quarter),
    'quý trước', 'năm nay', 'năm trước', '2026-Q3', 'Q3/2026', 'quý III 2026', '2026',
    'năm 2026', or two dates '01/07/2026 30/09/2026'. None when it is none of these."""
    folded = fold(text).strip()
    this_quarter = Period.containing(today)
    match folded:
        case "" | "quy nay":
            return this_quarter
        case "quy truoc":
            return this_quarter.previous_quarter()
        case "nam nay":
            return Period.year(today.year)
        case "nam truoc":
            return Period.year(today.year - 1)
    compact = folded.replace(" ", "")
    for number, pattern in enumerate(_QUARTER_TEXT):
        if found := pattern.fullmatch(compact if number == 0 else folded):
            year_text, quarter_text = found.groups() if number == 0 else found.groups()[::-1]
            quarter = _ROMAN_VALUE.get(quarter_text) or int(quarter_text)
            if FIRST_YEAR <= int(year_text) <= LAST_YEAR:
                return Period.quarter(int(year_text), quarter)
    if (found := _YEAR_TEXT.fullmatch(folded)) and FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
        return Period.year(int(found.group(1)))
    words = text.split()
    if len(words) == 2:
        first, last = parse_date(words[0], today), parse_date(words[1], today)
        if first is not None and last is not None and first <= last:
            # Dates that make exactly a quarter or a year get its name.
            for named in (Period.containing(first), Period.year(first.year)):
                if (named.first, named.last) == (first, last):
                    return named
            return Period(first, last)
    return None


# --- Figures -------------------------------------------------------------------------------------


class Timeliness(StrEnum):
    EARLY = "early"
    ON_TIME = "on-time"
    LATE = "late"


@dataclass
class Figures:
    """One line of the report (a field, or the total)."""

    carried_over: int = 0
    received: dict[SubmissionChannel | None, int] = field(
        default_factory=lambda: dict.fromkeys((*SubmissionChannel, None), 0)
    )
    resolved: dict[Timeliness, int] = field(default_factory=lambda: dict.fromkeys(Timeliness, 0))
    withdrawn_or_stopped: int = 0
    not_yet_due: int = 0
    overdue: int = 0
    waiting: int = 0  # in progress, but waiting for the person: the time is stopped
    apologies: int = 0
    returned_by_post: int = 0  # among those resolved in the period

    @property
    def received_in_period(self) -> int:
        return sum(self.received.values())

    @property
    def total(self) -> int:
        """Every dossier handled in the period: carried over plus received."""
        return self.carried_over + self.received_in_period

    @property
    def resolved_total(self) -> int:
        return sum(self.resolved.values())

    @property
    def in_progress(self) -> int:
        return self.not_yet_due + self.overdue + self.waiting

    @property
    def received_online(self) -> int:
        return self.received[SubmissionChannel.ONLINE]

    @property
    def timely(self) -> int:
        """Early plus on time: the rate communes report ("trước hạn và đúng hạn")."""
        return self.resolved[Timeliness.EARLY] + self.resolved[Timeliness.ON_TIME]

    def add(self, other: Figures) -> None:
        self.carried_over += other.carried_over
        for channel, count in other.received.items():
            self.received[channel] += count
        for kind, count in other.resolved.items():
            self.resolved[kind] += count
        self.withdrawn_or_stopped += other.withdrawn_or_stopped
        self.not_yet_due += other.not_yet_due
        self.overdue += other.overdue
        self.waiting += other.waiting
        self.apologies += other.apologies
        self.returned_by_post += other.returned_by_post


@dataclass(frozen=True)
class Satisfaction:
    """Citizens' ratings (NĐ 61/2018 Điều 27–32; indicators scored 2/1/0). Extension point: filled
    once ratings are collected; until then the report carries None and says "chưa có dữ liệu"."""

    responses: int
    average: float  # on the 0–2 scale
    by_indicator: tuple[tuple[str, float], ...] = ()  # (indicator, average 0–2): core.care


@dataclass(frozen=True)
class LineCare:
    """Issue 19 point 6: one commune's satisfaction and feedback, on its line of the province's
    report (the total line keeps the province's, `PeriodReport.satisfaction`/`feedback`)."""

    satisfaction: Satisfaction | None = None
    feedback: FeedbackCounts | None = None


@dataclass(frozen=True)
class PeriodReport:
    period: Period
    as_of: dt.date  # "in progress" is counted at the end of this day
    total: Figures
    by_field: list[tuple[str, Figures]]  # most dossiers first
    dated_from_history: int  # resolutions dated by the bot's history, not the export
    satisfaction: Satisfaction | None = None
    feedback: FeedbackCounts | None = None  # phản ánh, kiến nghị received in the period (issue 7)
    catalogue: CatalogueChanges | None = None
    # The apology rule's citation under the law in force (core.law), for the footnote.
    apology_rule: str = LAWS[LawVersion.TT_03_2025].short_apology_rule
    # What `by_field`'s lines are: fields, or (issue 19, the province's report) communes.
    rows_label: str = "Lĩnh vực"
    # Issue 19: each commune's line's ratings and feedback (line name → care); empty for a
    # report by field, whose table has no such columns.
    care: tuple[tuple[str, LineCare], ...] = ()

    def care_of(self, line: str) -> LineCare:
        return dict(self.care).get(line) or LineCare()

    @property
    def complete(self) -> bool:
        """False while the period is not over: the figures are "so far"."""
        return self.as_of >= self.period.last


def count_text(n: int) -> str:
    """12345 → '12.345', as numbers are written in Vietnamese."""
    return f"{n:,}".replace(",", ".")


def percent(part: int, whole: int) -> str:
    """12 of 13 → '92,3 %' (Vietnamese decimal comma); '—' when there is nothing to divide."""
    if whole <= 0:
        return "—"
    return f"{100 * part / whole:.1f}".replace(".", ",") + " %"


def resolution_moment(row: ReportDossier) -> dt.datetime | None:
    """When the result was ready: the export's date, else the first finished status the history
    recorded; None while the dossier is not finished."""
    if not STATUS_INFO[row.status].finished:
        return None
    # An imported dossier always has its "created" event, so the second is never None in
    # practice; the receipt is the last resort rather than dropping the dossier.
    return row.resolved_at or row.finished_seen_at or row.received_at


def build_report(
    data: ReportData,
    period: Period,
    today: dt.date,
    field_of: Callable[[str], str | None],
    satisfaction: Satisfaction | None = None,
) -> PeriodReport:
    """Count every dossier into its buckets, per field and in total (module docstring)."""
    tally = Tally(period, today)
    tally.add(data.dossiers)
    tally.add_apologies(data.apology_procedures, data.apology_communes)
    return tally.by_field(field_of, satisfaction, data.catalogue)


class Tally:
    """The counting of `build_report`, fed batch by batch (issue 19: a province's year is
    millions of dossiers, none of which needs to be kept): figures per commune and procedure,
    then grouped into the report's lines — fields, or communes."""

    def __init__(self, period: Period, today: dt.date) -> None:
        self.period = period
        self.first, self.as_of = period.first, min(period.last, today)
        # At the end of a day already over, a dossier due that day is late (BLDS 2015 Điều 148:
        # the deadline ends at 24:00 of its last day); on the current day, not yet.
        self.end_is_over = self.as_of < today
        self.figures: dict[tuple[str, str], Figures] = {}  # (commune, procedure) → figures
        self.dated_from_history = 0

    def _figures(self, commune_id: str, procedure_id: str) -> Figures:
        found = self.figures.get((commune_id, procedure_id))
        if found is None:
            found = self.figures[(commune_id, procedure_id)] = Figures()
        return found

    def add(self, rows: Iterable[ReportDossier]) -> None:
        first, as_of, end_is_over = self.first, self.as_of, self.end_is_over
        for row in rows:
            received = row.received_at.date()
            if received > as_of:
                continue  # not received yet at the end of the period
            moment = resolution_moment(row)
            resolved = moment.date() if moment is not None else None
            if received < first and resolved is not None and resolved < first:
                continue  # finished before the period
            figures = self._figures(row.commune_id, row.procedure_id)
            if received < first:
                figures.carried_over += 1
            else:
                figures.received[row.submission_channel] += 1
            if resolved is not None and resolved <= as_of:
                if row.status in NOT_RESOLVED:
                    figures.withdrawn_or_stopped += 1
                else:
                    figures.resolved[timeliness(row, resolved)] += 1
                    self.dated_from_history += row.resolved_at is None
                    figures.returned_by_post += row.return_method is ReturnMethod.POSTAL
            elif (row.status_at_end or row.status) in CLOCK_STOPPED:
                figures.waiting += 1
            elif row.original_due < as_of or (row.original_due == as_of and end_is_over):
                figures.overdue += 1
            else:
                figures.not_yet_due += 1

    def add_apologies(self, procedures: Sequence[str], communes: Sequence[str] = ()) -> None:
        """The procedure (and, issue 19, the commune) of each apology issued in the period."""
        for procedure_id, commune_id in zip(
            procedures, communes or [""] * len(procedures), strict=True
        ):
            self._figures(commune_id, procedure_id).apologies += 1

    def lines(self, line_of: Callable[[str, str], str]) -> dict[str, Figures]:
        """The figures summed by `line_of(commune, procedure)`."""
        lines: dict[str, Figures] = {}
        for (commune_id, procedure_id), figures in self.figures.items():
            line = line_of(commune_id, procedure_id)
            found = lines.get(line)
            if found is None:
                found = lines[line] = Figures()
            found.add(figures)
        return lines

    def report(
        self,
        lines: dict[str, Figures],
        satisfaction: Satisfaction | None = None,
        catalogue: CatalogueChanges | None = None,
    ) -> PeriodReport:
        """The report whose total is every dossier counted, with `lines` most dossiers first."""
        total = Figures()
        for figures in self.figures.values():
            total.add(figures)
        ordered = sorted(
            lines.items(), key=lambda item: (-item[1].total, item[0] == UNKNOWN_FIELD, item[0])
        )
        return PeriodReport(
            self.period,
            self.as_of,
            total,
            ordered,
            self.dated_from_history,
            satisfaction,
            catalogue=catalogue,
        )

    def by_field(
        self,
        field_of: Callable[[str], str | None],
        satisfaction: Satisfaction | None = None,
        catalogue: CatalogueChanges | None = None,
    ) -> PeriodReport:
        names: dict[str, str] = {}

        def field_name(_commune_id: str, procedure_id: str) -> str:
            name = names.get(procedure_id)
            if name is None:
                name = names[procedure_id] = field_of(procedure_id) or UNKNOWN_FIELD
            return name

        return self.report(self.lines(field_name), satisfaction, catalogue)


def timeliness(row: ReportDossier, resolved: dt.date) -> Timeliness:
    """Compared with the due date; a dossier that needed an apology is late (module docstring)."""
    if row.apologies or resolved > row.due_date:
        return Timeliness.LATE
    return Timeliness.ON_TIME if resolved == row.due_date else Timeliness.EARLY


def field_lookup(procedures: Iterable[tuple[str, str]]) -> Callable[[str], str | None]:
    """(procedure id, field) pairs → the `field_of` that `build_report` takes."""
    by_id = dict(procedures)
    return by_id.get
