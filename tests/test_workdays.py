"""Working-day deadlines (core.workdays).

Expected dates are worked out by hand from the calendar, never by calling the code under test.
Weekdays used below (checked with Python's `calendar` module):
    Feb 2026: Mon 2, 9, 16, 23 · Apr 2026: Fri 24, Sun 26, Mon 27, Thu 30 · May 2026: Fri 1, Mon 4
    Aug 2026: Fri 21, Sat 22, Fri 28, Mon 31 · Sep 2026: Tue 1, Wed 2, Thu 3
    Nov 2026: Sat 7, Mon 9, Thu 12, Mon 16, Wed 18, Mon 23, Tue 24 · Dec 2026: Fri 4, Sat 5, Thu 31
    Jan 2027: Fri 1, Mon 4 · Feb 2027: Wed 3, Sat 6 (mùng 1 Tết), Thu 11 · Sep 2027: Thu 2, Mon 6
    Apr 2025: Fri 25, Sat 26, Mon 28 · May 2025: Thu 1, Fri 2, Mon 5 · 24/11/2025 is a Monday

Days off as listed by `holidays` 0.109 for VN (matching the announcements cited in its source):
    2025: 30/4 Wed, 1/5 Thu, and Fri 2/5 swapped with Sat 26/4 (worked).
    2026: 1/1 Thu; Tết Mon 16/2 – Fri 20/2; Giỗ Tổ Sun 26/4 → nghỉ bù Mon 27/4; 30/4 Thu; 1/5 Fri;
          Mon 31/8 swapped with Sat 22/8 (worked); 1/9 Tue (adjacent day); 2/9 Wed; 24/11 Tue.
    2027: 1/1 Fri; Tết Thu 4/2 – Wed 10/2 (the package's rule, not yet announced);
          2/9 Thu + adjacent Fri 3/9.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from core.workdays import (
    CalendarDay,
    CalendarOverrides,
    CalendarOverridesInvalid,
    WorkingCalendar,
    load_calendar_overrides,
)

D = dt.date
T = dt.datetime
KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


SHIPPED = KNOWLEDGE / "calendar_overrides.yaml"


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    """The calendar as shipped: the package plus knowledge/calendar_overrides.yaml."""
    # Module scope: hypothesis refuses function-scoped fixtures, and the calendar is immutable.
    return WorkingCalendar(load_calendar_overrides(SHIPPED))


def overrides(*, off: tuple[D, ...] = (), work: tuple[D, ...] = ()) -> CalendarOverrides:
    return CalendarOverrides(
        days_off=[CalendarDay(date=d, reason="thử") for d in off],
        working_days=[CalendarDay(date=d, reason="thử") for d in work],
    )


# --- Public holidays (Bộ luật Lao động 2019 Điều 112) ---------------------------------------------


def test_tet_2026(cal: WorkingCalendar) -> None:
    """BLLĐ 2019 Điều 112 khoản 1 điểm b: Tết Âm lịch 5 ngày — 2026: Mon 16/2 to Fri 20/2."""
    # Fri 13 and Mon 23 work; 14–15 and 21–22 are weekends, 16–20 are Tết.
    off = [day for day in range(13, 24) if not cal.is_working_day(D(2026, 2, day))]
    assert off == [14, 15, 16, 17, 18, 19, 20, 21, 22]
    # Fri 13/2 morning, 1 day: 14–22 are all off → Mon 23/2.
    assert cal.due_date(T(2026, 2, 13, 9, 0), 1) == D(2026, 2, 23)
    # Thu 12/2, 3 days: Fri 13 (1), Mon 23 (2), Tue 24 (3).
    assert cal.due_date(T(2026, 2, 12, 9, 0), 3) == D(2026, 2, 24)


def test_tet_2027(cal: WorkingCalendar) -> None:
    """BLLĐ 2019 Điều 112 khoản 1 điểm b and khoản 3 (the Prime Minister fixes the Tết days):
    mùng 1 Tết Đinh Mùi is Sat 6/2/2027; the package gives Thu 4/2 – Wed 10/2 off (the Saturday and
    Sunday Tết days compensated on the day before and the day after). Not yet announced: if the
    announcement differs, it goes in calendar_overrides.yaml."""
    assert not any(cal.is_working_day(D(2027, 2, day)) for day in range(4, 11))
    assert cal.is_working_day(D(2027, 2, 3)) and cal.is_working_day(D(2027, 2, 11))
    # Wed 3/2, 1 day → Thu 11/2; 5 days: Thu 11 (1), Fri 12 (2), Mon 15 (3), Tue 16 (4), Wed 17 (5).
    assert cal.due_date(T(2027, 2, 3, 10, 0), 1) == D(2027, 2, 11)
    assert cal.due_date(T(2027, 2, 3, 10, 0), 5) == D(2027, 2, 17)


def test_hung_kings_and_30_4_1_5_2026(cal: WorkingCalendar) -> None:
    """BLLĐ 2019 Điều 112 khoản 1 điểm c, d, đ (Giỗ Tổ 10/3 âm lịch, 30/4, 1/5) and Điều 111
    khoản 3 (a holiday on the weekly rest day is compensated on the next working day): Giỗ Tổ 2026
    is Sun 26/4 → Mon 27/4 off; 30/4 Thu and 1/5 Fri off."""
    # Wed 29/4, 1 day: Thu 30, Fri 1 off, weekend 2–3 → Mon 4/5; 2 days → Tue 5/5.
    assert cal.due_date(T(2026, 4, 29, 10, 0), 1) == D(2026, 5, 4)
    assert cal.due_date(T(2026, 4, 29, 10, 0), 2) == D(2026, 5, 5)
    # Fri 24/4, 3 days: Mon 27 off, Tue 28 (1), Wed 29 (2), Thu 30 + Fri 1 off, Mon 4/5 (3).
    assert cal.due_date(T(2026, 4, 24, 10, 0), 3) == D(2026, 5, 4)


def test_30_4_1_5_2025_with_swapped_saturday(cal: WorkingCalendar) -> None:
    """BLLĐ 2019 Điều 112 khoản 1 điểm c, d and the 2025 swap announced by the government:
    Fri 2/5/2025 off, Sat 26/4/2025 worked instead."""
    # Fri 25/4, 1 day → Sat 26/4 (working); 3 days: Sat 26 (1), Mon 28 (2), Tue 29 (3);
    # 4 days: 30/4, 1/5, 2/5 off, weekend 3–4 → Mon 5/5.
    assert cal.due_date(T(2025, 4, 25, 10, 0), 1) == D(2025, 4, 26)
    assert cal.due_date(T(2025, 4, 25, 10, 0), 3) == D(2025, 4, 29)
    assert cal.due_date(T(2025, 4, 25, 10, 0), 4) == D(2025, 5, 5)


def test_national_day_2026_with_adjacent_day(cal: WorkingCalendar) -> None:
    """BLLĐ 2019 Điều 112 khoản 1 điểm e (2/9 and one adjacent day): 2026 — Tue 1/9 and Wed 2/9,
    plus Mon 31/8 swapped with Sat 22/8."""
    assert [cal.is_working_day(D(2026, 8, day)) for day in (28, 29, 30, 31)] == [True] + [False] * 3
    assert not cal.is_working_day(D(2026, 9, 1)) and not cal.is_working_day(D(2026, 9, 2))
    # Fri 28/8, 1 day: 29/8–2/9 off → Thu 3/9; 2 days → Fri 4/9.
    assert cal.due_date(T(2026, 8, 28, 10, 0), 1) == D(2026, 9, 3)
    assert cal.due_date(T(2026, 8, 28, 10, 0), 2) == D(2026, 9, 4)


def test_national_day_2027_adjacent_day_after(cal: WorkingCalendar) -> None:
    """BLLĐ 2019 Điều 112 khoản 1 điểm e: 2/9/2027 is a Thursday, the adjacent day is Fri 3/9."""
    # Wed 1/9, 1 day: Thu 2, Fri 3 off, weekend 4–5 → Mon 6/9.
    assert cal.due_date(T(2027, 9, 1, 10, 0), 1) == D(2027, 9, 6)


def test_vietnam_culture_day_only_as_an_override_with_its_source(cal: WorkingCalendar) -> None:
    """Ngày Văn hóa Việt Nam 24/11: its legal basis is unconfirmed (Nghị quyết 30/NQ-CP asked for
    Bộ luật Lao động Điều 112 k.1 to be amended; DOMAIN.md). The package's 24/11 is not used: the
    shipped override file lists 24/11/2026 with that source, and without it the day is worked."""
    assert WorkingCalendar().is_working_day(D(2026, 11, 24))
    assert WorkingCalendar().is_working_day(D(2027, 11, 24))
    [entry] = [day for day in load_calendar_overrides(SHIPPED).days_off if day.date.month == 11]
    assert entry.date == D(2026, 11, 24) and "30/NQ-CP" in entry.reason
    assert not cal.is_working_day(D(2026, 11, 24))
    assert cal.is_working_day(D(2025, 11, 24))
    # Mon 23/11 morning, 1 day: Tue 24 off → Wed 25/11.
    assert cal.due_date(T(2026, 11, 23, 10, 0), 1) == D(2026, 11, 25)


# --- Swapped days ---------------------------------------------------------------------------------


def test_package_swaps_saturday_22_8_2026() -> None:
    """What the `holidays` package itself says about the 2026 National Day swap."""
    vn = holidays.country_holidays("VN", years=2026, language="en_US")
    assert vn[D(2026, 8, 31)] == "Day off (substituted from 08/22/2026)"
    assert D(2026, 8, 22) in vn.weekend_workdays


def test_swapped_working_saturday_from_package(cal: WorkingCalendar) -> None:
    """Swapped working day announced by the government (2026: Sat 22/8 worked for Mon 31/8)."""
    assert cal.is_working_day(D(2026, 8, 22))
    assert not cal.is_working_day(D(2026, 8, 15))  # an ordinary Saturday
    assert cal.next_working_day(D(2026, 8, 21)) == D(2026, 8, 22)
    # Fri 21/8 morning, 1 day → Sat 22/8.
    assert cal.due_date(T(2026, 8, 21, 10, 0), 1) == D(2026, 8, 22)
    # Received on that Saturday: it is a working day, so 1 day → Mon 24/8.
    assert cal.due_date(T(2026, 8, 22, 9, 0), 1) == D(2026, 8, 24)
    # Fri 21/8 at 15:01, same-day procedure → Sat 22/8.
    assert cal.due_date(T(2026, 8, 21, 15, 1), 0, on_receipt=True) == D(2026, 8, 22)


def test_saturday_added_by_overrides() -> None:
    """A swap the package lacks, from calendar_overrides.yaml (Sat 5/12/2026, invented)."""
    plain = WorkingCalendar()
    swapped = WorkingCalendar(overrides(work=(D(2026, 12, 5),)))
    assert not plain.is_working_day(D(2026, 12, 5))
    assert swapped.is_working_day(D(2026, 12, 5))
    # Fri 4/12, 1 day: Mon 7/12 normally, Sat 5/12 with the override.
    assert plain.due_date(T(2026, 12, 4, 10, 0), 1) == D(2026, 12, 7)
    assert swapped.due_date(T(2026, 12, 4, 10, 0), 1) == D(2026, 12, 5)


def test_day_off_added_by_overrides() -> None:
    """A weekday made a day off (Mon 7/12/2026, invented), and a package swap cancelled."""
    calendar = WorkingCalendar(overrides(off=(D(2026, 12, 7), D(2026, 8, 22))))
    # Fri 4/12, 1 day: weekend, Mon 7 off → Tue 8/12.
    assert calendar.due_date(T(2026, 12, 4, 10, 0), 1) == D(2026, 12, 8)
    assert not calendar.is_working_day(D(2026, 8, 22))
    # Fri 21/8, 1 day: Sat 22 now off, Sun 23 → Mon 24/8.
    assert calendar.due_date(T(2026, 8, 21, 10, 0), 1) == D(2026, 8, 24)


# --- Receipt time and day (Luật Hộ tịch Điều 5 k.3; NĐ 23/2015 Điều 7; BLDS 2015 Điều 147) -------


def test_receipt_at_15_00_is_on_time_15_01_is_late(cal: WorkingCalendar) -> None:
    """Luật Hộ tịch 2014 Điều 5 khoản 3 (hộ tịch), NĐ 23/2015/NĐ-CP Điều 7 (chứng thực): a request
    received after 15:00 is handled on the next working day. BLDS 2015 Điều 147: the receipt day
    itself is not counted."""
    # Wed 18/11/2026, 1 day: on time → Thu 19/11; late → counted from Thu 19 → Fri 20/11.
    assert cal.start_date(T(2026, 11, 18, 15, 0)) == D(2026, 11, 18)
    assert cal.start_date(T(2026, 11, 18, 15, 1)) == D(2026, 11, 19)
    assert cal.due_date(T(2026, 11, 18, 14, 59), 1) == D(2026, 11, 19)
    assert cal.due_date(T(2026, 11, 18, 15, 0), 1) == D(2026, 11, 19)
    assert cal.due_date(T(2026, 11, 18, 15, 0, 1), 1) == D(2026, 11, 20)  # strictly after 15:00:00
    assert cal.due_date(T(2026, 11, 18, 15, 1), 1) == D(2026, 11, 20)
    # Fri 20/11 at 15:01 → Mon 23/11 is the start, 1 day: Tue 24 off → Wed 25/11.
    assert cal.due_date(T(2026, 11, 20, 15, 1), 1) == D(2026, 11, 25)
    # The cut-off can be switched off for procedures that do not apply it.
    assert cal.due_date(T(2026, 11, 18, 16, 30), 1, cutoff_applies=False) == D(2026, 11, 19)


def test_on_receipt_same_day_or_next(cal: WorkingCalendar) -> None:
    """NĐ 23/2015/NĐ-CP Điều 7: chứng thực is done the day the request is received, or the next
    working day when received after 15:00."""
    assert cal.due_date(T(2026, 11, 18, 15, 0), 0, on_receipt=True) == D(2026, 11, 18)
    assert cal.due_date(T(2026, 11, 18, 15, 1), 0, on_receipt=True) == D(2026, 11, 19)
    # Mon 23/11 at 16:00: next working day is Wed 25/11 (Tue 24 off).
    assert cal.due_date(T(2026, 11, 23, 16, 0), 0, on_receipt=True) == D(2026, 11, 25)
    # Received on Sunday 8/11 → Mon 9/11.
    assert cal.due_date(T(2026, 11, 8, 9, 0), 0, on_receipt=True) == D(2026, 11, 9)
    with pytest.raises(ValueError):
        cal.due_date(T(2026, 11, 18, 9, 0), 2, on_receipt=True)


def test_receipt_on_weekend(cal: WorkingCalendar) -> None:
    """Luật Hộ tịch 2014 Điều 5 khoản 3 / NĐ 23/2015 Điều 7 and BLDS 2015 Điều 147: a request
    received on a day off counts as received on the next working day, which itself is not
    counted."""
    # Sat 7/11 morning (before 15:00 does not matter) and Sun 8/11 → start Mon 9/11, 1 day → Tue 10.
    assert cal.start_date(T(2026, 11, 7, 9, 0)) == D(2026, 11, 9)
    assert cal.due_date(T(2026, 11, 7, 9, 0), 1) == D(2026, 11, 10)
    assert cal.due_date(T(2026, 11, 8, 20, 0), 1) == D(2026, 11, 10)


def test_weekend_crossing(cal: WorkingCalendar) -> None:
    """BLDS 2015 Điều 147 (first day not counted) with ngày làm việc skipping Sat–Sun."""
    # Thu 12/11/2026, 3 days: Fri 13 (1), Mon 16 (2), Tue 17 (3).
    assert cal.due_date(T(2026, 11, 12, 10, 0), 3) == D(2026, 11, 17)
    # Fri 13/11, 5 days: Mon 16 … Fri 20.
    assert cal.due_date(T(2026, 11, 13, 10, 0), 5) == D(2026, 11, 20)
    # Across the new year: Wed 30/12/2026, 2 days: Thu 31 (1), Fri 1/1 off, weekend, Mon 4/1 (2).
    assert cal.due_date(T(2026, 12, 30, 10, 0), 2) == D(2027, 1, 4)


def test_zero_days(cal: WorkingCalendar) -> None:
    """n = 0: the start itself if it is a working day, else the next working day."""
    assert cal.add_working_days(D(2026, 11, 18), 0) == D(2026, 11, 18)
    assert cal.add_working_days(D(2026, 11, 21), 0) == D(2026, 11, 23)  # Sat → Mon
    assert cal.add_working_days(D(2026, 11, 24), 0) == D(2026, 11, 25)  # 24/11 off → Wed
    assert cal.due_date(T(2026, 11, 18, 9, 0), 0) == D(2026, 11, 18)
    with pytest.raises(ValueError):
        cal.add_working_days(D(2026, 11, 18), -1)


def test_timezone_aware_receipts(cal: WorkingCalendar) -> None:
    """Aware datetimes are read in Vietnam time (UTC+7): the 15:00 cut-off is local time."""
    utc = dt.UTC
    # 07:59Z = 14:59 in Hà Nội (on time) → Thu 19/11; 08:01Z = 15:01 (late) → Fri 20/11.
    assert cal.due_date(T(2026, 11, 18, 7, 59, tzinfo=utc), 1) == D(2026, 11, 19)
    assert cal.due_date(T(2026, 11, 18, 8, 1, tzinfo=utc), 1) == D(2026, 11, 20)
    # Fri 20/11 17:30Z = Sat 21/11 00:30 local → start Mon 23, 1 day (24 off) → Wed 25/11.
    assert cal.due_date(T(2026, 11, 20, 17, 30, tzinfo=utc), 1) == D(2026, 11, 25)
    tokyo = ZoneInfo("Asia/Tokyo")  # UTC+9: 16:30 there is 14:30 here
    assert cal.due_date(T(2026, 11, 18, 16, 30, tzinfo=tokyo), 1) == D(2026, 11, 19)


# --- Navigation and counting ----------------------------------------------------------------------


def test_next_and_previous_working_day(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(D(2026, 2, 13)) == D(2026, 2, 23)
    assert cal.next_working_day(D(2026, 11, 18)) == D(2026, 11, 19)  # strictly after
    assert cal.previous_working_day(D(2026, 2, 23)) == D(2026, 2, 13)
    assert cal.previous_working_day(D(2027, 1, 4)) == D(2026, 12, 31)  # across 1/1 and the year
    assert cal.previous_working_day(D(2026, 8, 24)) == D(2026, 8, 22)  # the swapped Saturday


def test_working_days_between(cal: WorkingCalendar) -> None:
    """Counts working days in (a, b] — the same rule as BLDS 2015 Điều 147 — for lateness."""
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1  # across Tết
    assert cal.working_days_between(D(2026, 2, 23), D(2026, 2, 13)) == -1
    assert cal.working_days_between(D(2026, 11, 18), D(2026, 11, 18)) == 0
    # Due Mon 23/2, returned Wed 25/2: Tue 24, Wed 25 → 2 days late.
    assert cal.working_days_between(D(2026, 2, 23), D(2026, 2, 25)) == 2
    # (Wed 30/12/2026, Tue 5/1/2027]: Thu 31, Mon 4, Tue 5 (Fri 1/1 off).
    assert cal.working_days_between(D(2026, 12, 30), D(2027, 1, 5)) == 3
    # All of 2026: 2026 starts and ends on a Thursday → 52·5 + 1 = 261 weekdays; weekday holidays
    # 1/1, 16–20/2 (5), 27/4, 30/4, 1/5, 31/8, 1/9, 2/9, 24/11 = 13; plus Sat 22/8 → 249.
    assert cal.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 249
    assert cal.working_days_between(D(2026, 12, 31), D(2025, 12, 31)) == -249


def test_years_outside_the_package_range_are_refused(cal: WorkingCalendar) -> None:
    # The package knows VN holidays for 1901–2100 only; beyond that it would silently list none.
    with pytest.raises(ValueError):
        cal.is_working_day(D(2101, 1, 3))


# --- Properties -----------------------------------------------------------------------------------

# Keeps n ≤ 60 working days inside the package's range (it ends in 2100).
_dates = st.dates(min_value=D(1995, 1, 1), max_value=D(2100, 6, 30))
# Built once with every year populated, so its own `is_working_day` sees all swapped Saturdays.
_PACKAGE = holidays.country_holidays("VN", years=range(1994, 2101))
_PROPERTY = settings(max_examples=300, derandomize=True, database=None, deadline=None)
# The package's own calendar, for the oracle: its 24/11 holidays restored as overrides (our
# calendar uses them only through the override file) and no other override.
_AS_PACKAGE = WorkingCalendar(
    overrides(off=tuple(d for d in _PACKAGE if (d.month, d.day) == (11, 24) and d.weekday() < 5))
)


@_PROPERTY
@given(start=_dates, n=st.integers(min_value=0, max_value=60))
def test_add_working_days_properties(start: D, n: int) -> None:
    cal = _AS_PACKAGE
    """BLDS 2015 Điều 147: n working days counted from the day after `start`."""
    due = cal.add_working_days(start, n)
    assert cal.is_working_day(due)
    assert due >= start
    days = [start + dt.timedelta(days=k) for k in range(1, (due - start).days + 1)]
    counted = sum(cal.is_working_day(day) for day in days)  # day-by-day, no bisect
    if n == 0:
        assert due == start or (not cal.is_working_day(start) and counted == 1)
    else:
        assert counted == n
        assert cal.working_days_between(start, due) == n
    # Independent oracle: the package's own day-by-day walk (no overrides here).
    assert _PACKAGE.get_nth_working_day(start, n) == due


@_PROPERTY
@given(
    received=st.datetimes(min_value=T(1995, 1, 1), max_value=T(2100, 6, 30)),
    n=st.integers(min_value=0, max_value=60),
)
def test_due_date_properties(received: T, n: int) -> None:
    cal = _AS_PACKAGE
    """The 15:00 rule (Luật Hộ tịch Điều 5 k.3) + BLDS 2015 Điều 147: exactly n working days lie
    in (start, due]."""
    start = cal.start_date(received)
    due = cal.due_date(received, n)
    assert cal.is_working_day(start) and cal.is_working_day(due)
    assert received.date() <= start <= due
    assert cal.working_days_between(start, due) == n


# --- Override file --------------------------------------------------------------------------------


def test_shipped_override_file_carries_2026_with_sources(cal: WorkingCalendar) -> None:
    """Văn bản 12729/VPCP-KGVX (25/12/2025): Friday 2/1/2026 off, Saturday 10/1/2026 worked.
    A marriage received on the holiday 01/01/2026 at 17:40 is due Monday 05/01, not Friday 02/01.
    Tết 2026: Monday 16 – Friday 20/2. Every entry names its source; 2025 and 2026 are reviewed."""
    loaded = load_calendar_overrides(SHIPPED)
    reasons = {day.date: day.reason for day in (*loaded.days_off, *loaded.working_days)}
    assert "12729/VPCP-KGVX" in reasons[D(2026, 1, 2)] and "12729" in reasons[D(2026, 1, 10)]
    assert not cal.is_working_day(D(2026, 1, 2)) and cal.is_working_day(D(2026, 1, 10))
    assert cal.due_date(T(2026, 1, 1, 17, 40), 0, on_receipt=True) == D(2026, 1, 5)
    assert cal.due_date(T(2026, 1, 9, 10, 0), 1) == D(2026, 1, 10)  # the worked Saturday
    assert [d for d in (D(2026, 2, 13) + dt.timedelta(n) for n in range(10))
            if not cal.is_working_day(d) and d.weekday() < 5] == [
        D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20)]  # fmt: skip
    assert all(reasons[day] for day in reasons)
    assert sorted(loaded.reviewed) == [2025, 2026]
    assert loaded.review_warnings(D(2025, 6, 1)) == []
    [warning] = loaded.review_warnings(D(2026, 12, 6))
    assert "2027" in warning and "motcua calendar 2027" in warning


def test_the_year_listing_names_each_source(cal: WorkingCalendar) -> None:
    """`motcua calendar 2026`: every weekday off and weekend day worked, with where it comes
    from, to compare with the Government's notice."""
    lines = {line.day: line for line in cal.year_listing(2026)}
    assert lines[D(2026, 1, 10)].working and "12729" in lines[D(2026, 1, 10)].origin
    assert not lines[D(2026, 1, 1)].working and "Tết Dương lịch" in lines[D(2026, 1, 1)].origin
    assert sum(1 for line in lines.values() if not line.working) == 14
    assert sorted(d for d, line in lines.items() if line.working) == [
        D(2026, 1, 10),
        D(2026, 8, 22),
    ]


def test_override_file_loads_entries(tmp_path: Path) -> None:
    path = tmp_path / "calendar_overrides.yaml"
    path.write_text(
        "# thử\n"
        "days_off:\n"
        "  - date: 2026-12-07\n"
        '    reason: "Nghỉ hoán đổi (Thông báo số 1/TB-thử)"\n'
        "working_days:\n"
        "  - date: '2026-12-05'\n"  # quoted: still a date
        "    reason: Làm bù\n",
        encoding="utf-8",
    )
    loaded = load_calendar_overrides(path)
    assert [day.date for day in loaded.days_off] == [D(2026, 12, 7)]
    assert [day.date for day in loaded.working_days] == [D(2026, 12, 5)]
    assert WorkingCalendar(loaded).due_date(T(2026, 12, 4, 10, 0), 2) == D(2026, 12, 8)
    # Fri 4/12 → Sat 5 (1), Mon 7 off, Tue 8 (2).


def test_override_file_empty_sections(tmp_path: Path) -> None:
    path = tmp_path / "calendar_overrides.yaml"
    path.write_text("days_off:\nworking_days:\n", encoding="utf-8")
    assert load_calendar_overrides(path) == CalendarOverrides()


def _errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "calendar_overrides.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarOverridesInvalid) as caught:
        load_calendar_overrides(path)
    return [str(error) for error in caught.value.errors]


def test_override_file_field_errors(tmp_path: Path) -> None:
    text = (
        "# thử\n"  # 1
        "days_off:\n"  # 2
        "  - date: 2026-12-07\n"  # 3
        "    reason: Nghỉ hoán đổi\n"  # 4
        "  - date: 07/12/2026\n"  # 5
        '    reason: ""\n'  # 6
        "  - date: 20261207\n"  # 7
        "    reason: Số liền\n"  # 8
        "working_days:\n"  # 9
        "  - date: 2026-12-05\n"  # 10
        "    ngay: x\n"  # 11
    )
    assert _errors(tmp_path, text) == [
        "calendar_overrides.yaml dòng 5, trường days_off[1].date: "
        "phải là ngày dạng NNNN-TT-NN (ví dụ 2026-11-23)",
        "calendar_overrides.yaml dòng 6, trường days_off[1].reason: không được để trống",
        "calendar_overrides.yaml dòng 7, trường days_off[2].date: "
        "phải là ngày dạng NNNN-TT-NN (ví dụ 2026-11-23)",
        "calendar_overrides.yaml dòng 10, trường working_days[0].reason: thiếu trường bắt buộc này",
        "calendar_overrides.yaml dòng 11, trường working_days[0].ngay: "
        "trường này không có trong mẫu danh mục (viết sai tên trường?)",
    ]


def test_override_file_duplicate_and_conflicting_dates(tmp_path: Path) -> None:
    text = (
        "days_off:\n"  # 1
        "  - date: 2026-12-07\n"  # 2
        "    reason: Nghỉ hoán đổi\n"  # 3
        "  - date: 2026-12-07\n"  # 4
        "    reason: Ghi trùng\n"  # 5
        "working_days:\n"  # 6
        "  - date: 2026-12-07\n"  # 7
        "    reason: Làm bù\n"  # 8
    )
    assert _errors(tmp_path, text) == [
        "calendar_overrides.yaml dòng 4, trường days_off[1].date: "
        "ngày 2026-12-07 đã được ghi ở dòng 2; mỗi ngày chỉ ghi một lần",
        "calendar_overrides.yaml dòng 7, trường working_days[0].date: "
        "ngày 2026-12-07 đã được ghi là ngày nghỉ ở dòng 2; "
        "một ngày không thể vừa là ngày nghỉ vừa là ngày làm việc",
    ]


def test_override_file_syntax_duplicate_key_and_missing(tmp_path: Path) -> None:
    tab = "days_off:\n\t- date: 2026-12-07\n"
    [message] = _errors(tmp_path, tab)
    assert message.startswith("calendar_overrides.yaml dòng 2: sai cú pháp YAML")
    twice = "days_off: []\nworking_days: []\ndays_off: []\n"
    assert _errors(tmp_path, twice) == [
        "calendar_overrides.yaml dòng 3, trường days_off: trường này bị lặp lại (đã có ở dòng 1)"
    ]
    with pytest.raises(CalendarOverridesInvalid) as caught:
        load_calendar_overrides(tmp_path / "khong-co.yaml")
    assert "không tìm thấy tệp" in str(caught.value.errors[0])
    assert caught.value.report().startswith("Tệp lịch ngày làm việc có 1 lỗi, chưa được áp dụng:")


def test_motcua_calendar_prints_the_year_and_check_catalogue_warns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`motcua calendar 2026` for the officer to compare with the notice; `check-catalogue`
    warns (exit 0) when this year or the next has not been reviewed."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    assert main(["calendar", "2026"]) == 0
    out = capsys.readouterr().out
    assert "Thứ Sáu   02/01/2026" in out and "Thứ Bảy   10/01/2026" in out
    assert "12729/VPCP-KGVX" in out and "Đã đối chiếu" in out
    assert main(["calendar", "2031"]) == 0
    assert "CHƯA được đối chiếu" in capsys.readouterr().out
    unreviewed = tmp_path / "lich.yaml"
    unreviewed.write_text("days_off: []\n", encoding="utf-8")
    monkeypatch.setenv("MOTCUA_CALENDAR_FILE", str(unreviewed))
    assert main(["check-catalogue"]) == 0
    assert "chưa được đối chiếu" in capsys.readouterr().err
