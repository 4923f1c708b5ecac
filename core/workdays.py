"""Working-day arithmetic for dossier deadlines (thời hạn tính bằng ngày làm việc).

Rules (see /work/shared/DOMAIN.md, "Deadlines in working days"):
- a working day is Monday–Friday minus public holidays (Bộ luật Lao động 2019 Điều 112), plus the
  Saturdays the government swaps into working days, minus the weekdays it swaps into days off;
- the first day is not counted (Bộ luật Dân sự 2015 Điều 147);
- a request received after the cut-off (15:00) or on a day off is handled from the next working day
  where the procedure says so (`cutoff_15h`: hộ tịch, Luật Hộ tịch 2014 Điều 5 k.3; chứng thực,
  NĐ 23/2015/NĐ-CP Điều 7). NĐ 61/2018 Điều 18 k.2 is about passing a dossier on, not this rule.

Holidays and known swaps come from the `holidays` package (`country_holidays("VN")`, whose public
`is_working_day` already honours its `weekend_workdays`). Announcements it lacks go in
`knowledge/calendar_overrides.yaml`, loaded by `load_calendar_overrides`, each with its source;
the file also says which years an officer has checked against the Government's notices
(`reviewed`), and `motcua check-catalogue` warns when this year or the next is not checked.

24/11 (Ngày Văn hóa Việt Nam) is in the package from 2026, but its legal basis is not confirmed:
Nghị quyết 30/NQ-CP (02/2026) asked for Bộ luật Lao động Điều 112 khoản 1 to be amended to add
it. So the package's 24/11 is not used: it is a day off only when the override file lists it,
with its source (UNCONFIRMED_PACKAGE_DAYS).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo

import holidays
from pydantic import BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from core.catalogue.errors import CatalogueError, CatalogueInvalid
from core.catalogue.loader import located_errors, read_located
from core.catalogue.models import NonEmpty, Strict

VIETNAM_TZ = "Asia/Ho_Chi_Minh"
DEFAULT_CUTOFF = dt.time(15, 0)
# (month, day) the package lists as holidays whose legal basis is not confirmed (module docstring):
# working days unless the override file lists them as days off.
UNCONFIRMED_PACKAGE_DAYS = frozenset({(11, 24)})


# --- Override file -------------------------------------------------------------------------------


def _no_numbers(value: Any) -> Any:
    # YAML reads 20260822 as an int, which pydantic would take as a Unix timestamp; an officer never
    # means that, so report it as a badly written date instead.
    if isinstance(value, int | float):
        raise PydanticCustomError("date_type", "date must be written as YYYY-MM-DD")
    return value


def _none_is_empty(value: Any) -> Any:
    # "days_off:" left with no entries is YAML null; treat it as an empty list, not an error.
    return [] if value is None else value


OverrideDate = Annotated[dt.date, BeforeValidator(_no_numbers)]


class CalendarDay(Strict):
    date: OverrideDate
    reason: NonEmpty  # what the announcement says, with its number (Thông báo số …)


DayList = Annotated[list[CalendarDay], BeforeValidator(_none_is_empty)]


class CalendarOverrides(Strict):
    # Weekdays (or swapped Saturdays) the government made days off.
    days_off: DayList = Field(default_factory=list)
    # Weekend days (or package holidays) that are working days.
    working_days: DayList = Field(default_factory=list)
    # Years an officer compared with the Government's notices: year → who, when, against what.
    reviewed: dict[int, NonEmpty] = Field(default_factory=dict)

    def review_warnings(self, today: dt.date) -> list[str]:
        """This year and the next must have been checked against the Government's notices."""
        return [
            f"Lịch ngày làm việc năm {year} chưa được đối chiếu với thông báo nghỉ lễ, hoán đổi "
            f"ngày làm việc của Chính phủ: kiểm tra bằng «motcua calendar {year}», thêm các ngày "
            f"còn thiếu vào tệp lịch và ghi năm {year} vào mục «reviewed»."
            for year in (today.year, today.year + 1)
            if year not in self.reviewed
        ]


class CalendarOverridesInvalid(CatalogueInvalid):
    """The override file has problems: nothing in it may be used; keep the running calendar."""

    def __init__(self, errors: list[CatalogueError]) -> None:
        super().__init__(errors)
        self.args = (f"{len(errors)} lỗi trong tệp lịch ngày làm việc",)

    def report(self) -> str:
        lines = [f"Tệp lịch ngày làm việc có {len(self.errors)} lỗi, chưa được áp dụng:"]
        return "\n".join(lines + [f"- {error}" for error in self.errors])


def load_calendar_overrides(path: Path) -> CalendarOverrides:
    errors: list[CatalogueError] = []
    located = read_located(path, errors)
    parsed: CalendarOverrides | None = None
    if located is not None:
        try:
            parsed = CalendarOverrides.model_validate(located.data)
        except ValidationError as exc:
            errors.extend(located_errors(exc, located, path.name))
    if parsed is not None and located is not None:
        # A date listed twice, or both as day off and working day, is an editing mistake: refuse it
        # rather than guess which entry the officer meant.
        seen: dict[dt.date, tuple[str, int]] = {}
        for section in ("days_off", "working_days"):
            for index, day in enumerate(getattr(parsed, section)):
                line = located.line_of((section, index, "date"))
                where = f"{section}[{index}].date"
                if day.date not in seen:
                    seen[day.date] = (section, line or 0)
                    continue
                first_section, first_line = seen[day.date]
                message = (
                    f"ngày {day.date.isoformat()} đã được ghi ở dòng {first_line}; "
                    "mỗi ngày chỉ ghi một lần"
                    if first_section == section
                    else f"ngày {day.date.isoformat()} đã được ghi là ngày nghỉ ở dòng "
                    f"{first_line}; một ngày không thể vừa là ngày nghỉ vừa là ngày làm việc"
                )
                errors.append(CatalogueError(path.name, line, message, None, where))
    if errors or parsed is None:
        raise CalendarOverridesInvalid(errors)
    return parsed


# --- Calendar ------------------------------------------------------------------------------------


class _Year(NamedTuple):
    first: int  # ordinal of 1 January
    flags: bytes  # flags[ordinal - first] == 1 on a working day
    work: list[int]  # ordinals of the working days, ascending (for bisect)


class CalendarLine(NamedTuple):
    day: dt.date
    working: bool  # True: a weekend day worked; False: a weekday off
    origin: str  # where it comes from, in Vietnamese


class WorkingCalendar:
    """Working days of the commune office. Build once at startup and pass it to whoever needs it."""

    def __init__(
        self,
        overrides: CalendarOverrides | None = None,
        cutoff: dt.time = DEFAULT_CUTOFF,
        timezone: str = VIETNAM_TZ,
    ) -> None:
        overrides = overrides or CalendarOverrides()
        self.overrides = overrides
        self.cutoff = cutoff
        self.tz = ZoneInfo(timezone)
        self._extra_off = frozenset(day.date for day in overrides.days_off)
        self._extra_work = frozenset(day.date for day in overrides.working_days)
        self._years: dict[int, _Year] = {}

    # Per-year tables: one `holidays` lookup per day once, then every query is an index or a bisect.
    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = self._build_year(year)
        return table

    def _build_year(self, year: int) -> _Year:
        # Outside this range the package silently returns no holidays, which would give wrong
        # deadlines instead of an error.
        if not holidays.VN.start_year <= year <= holidays.VN.end_year:
            raise ValueError(
                f"Lịch ngày làm việc chỉ tính được cho các năm {holidays.VN.start_year}–"
                f"{holidays.VN.end_year} (năm được hỏi: {year})"
            )
        # One instance per year populates that year eagerly, so its swapped Saturdays are already in
        # `weekend_workdays` when `is_working_day` looks at them.
        source = holidays.country_holidays("VN", years=year)
        first = dt.date(year, 1, 1).toordinal()
        last = dt.date(year, 12, 31).toordinal()
        flags = bytearray()
        for ordinal in range(first, last + 1):
            day = dt.date.fromordinal(ordinal)
            working = source.is_working_day(day) or day in self._extra_work
            if (day.month, day.day) in UNCONFIRMED_PACKAGE_DAYS and day.weekday() < 5:
                working = True  # unless listed in days_off, just below
            flags.append(working and day not in self._extra_off)
        work = [first + offset for offset, flag in enumerate(flags) if flag]
        return _Year(first, bytes(flags), work)

    def year_listing(self, year: int) -> list[CalendarLine]:
        """The year's weekdays off and weekend days worked, each with where it comes from: what
        `motcua calendar YEAR` prints for an officer to compare with the Government's notice."""
        source = holidays.country_holidays("VN", years=year, language="vi")
        reasons = {day.date: day.reason for day in self.overrides.days_off}
        reasons.update({day.date: day.reason for day in self.overrides.working_days})
        lines = []
        day = dt.date(year, 1, 1)
        while day.year == year:
            weekend = day.weekday() >= 5
            working = self.is_working_day(day)
            if weekend == working:  # a weekday off, or a weekend day worked
                if day in reasons:
                    origin = f"tệp lịch: {reasons[day]}"
                else:
                    name = source.get(day)
                    origin = f"thư viện lịch: {name}" if name else "thư viện lịch"
                lines.append(CalendarLine(day, working, origin))
            day += dt.timedelta(days=1)
        return lines

    def is_working_day(self, d: dt.date) -> bool:
        table = self._year(d.year)
        return table.flags[d.toordinal() - table.first] == 1

    def next_working_day(self, d: dt.date) -> dt.date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: dt.date) -> dt.date:
        """The last working day strictly before `d`."""
        year = d.year
        table = self._year(year)
        index = bisect_left(table.work, d.toordinal())
        while index == 0:
            year -= 1
            table = self._year(year)
            index = len(table.work)
        return dt.date.fromordinal(table.work[index - 1])

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (BLDS 2015 Điều 147: the first day is not counted).

        n=0 gives `start` itself when it is a working day, otherwise the next working day.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        year = start.year
        table = self._year(year)
        ordinal = start.toordinal()
        if n == 0:
            if table.flags[ordinal - table.first]:
                return start
            n = 1
        index = bisect_right(table.work, ordinal)
        while index + n > len(table.work):
            n -= len(table.work) - index
            year += 1
            table = self._year(year)
            index = 0
        return dt.date.fromordinal(table.work[index + n - 1])

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]; negative when b < a (e.g. days late)."""
        if b < a:
            return -self.working_days_between(b, a)
        first, last = self._year(a.year), self._year(b.year)
        if a.year == b.year:
            return bisect_right(first.work, b.toordinal()) - bisect_right(first.work, a.toordinal())
        count = len(first.work) - bisect_right(first.work, a.toordinal())
        count += sum(len(self._year(year).work) for year in range(a.year + 1, b.year))
        return count + bisect_right(last.work, b.toordinal())

    def local(self, moment: dt.datetime) -> dt.datetime:
        """Naive datetimes are already Vietnam local time; aware ones are converted."""
        return moment if moment.tzinfo is None else moment.astimezone(self.tz)

    def start_date(self, received_at: dt.datetime, *, cutoff_applies: bool = True) -> dt.date:
        """The day the request counts as received: the receipt day if it is a working day and the
        receipt is not after the cut-off (15:00:00 is on time, 15:00:01 is late), else the next
        working day."""
        moment = self.local(received_at)
        day = moment.date()
        table = self._year(day.year)
        if table.flags[day.toordinal() - table.first] and not (
            cutoff_applies and moment.time() > self.cutoff
        ):
            return day
        return self.add_working_days(day, 1)

    def due_date(
        self,
        received_at: dt.datetime,
        working_days: int,
        *,
        on_receipt: bool = False,
        cutoff_applies: bool = True,
    ) -> dt.date:
        """The day the result is due.

        `on_receipt`: the result is returned the day the request counts as received (`working_days`
        must then be 0, as in the catalogue). Otherwise the `working_days`-th working day after it.
        """
        if on_receipt and working_days:
            raise ValueError("on_receipt procedures have no working_days")
        start = self.start_date(received_at, cutoff_applies=cutoff_applies)
        return start if on_receipt else self.add_working_days(start, working_days)
