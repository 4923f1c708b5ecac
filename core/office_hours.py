"""The office's opening hours as time, not text: when a person can expect an officer's answer,
and how much office time an answer took.

The hours come from the commune's settings (`knowledge/commune.yaml`, `hours.morning` and
`hours.afternoon`, e.g. "7:30 – 11:30"); the days from the working-day calendar (weekends,
public holidays and swapped days, `core.workdays`). The free-text `hours.days` line ("Thứ Hai –
Thứ Sáu (và sáng thứ Bảy nếu xã có lịch trực)") is for people to read and is not interpreted: a
Saturday duty morning is not counted as office time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from datetime import tzinfo
from typing import Protocol

# "7:30", "7h30", "7 giờ 30", "07.30", "7h", "13 giờ" — a time of day as communes write it.
_TIME = r"(\d{1,2})\s*(?::|\.|h|g|giờ)?\s*(\d{2})?"
_SESSION = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|đến|tới)\s*{_TIME}\s*$", re.IGNORECASE)
# How far ahead to look for the next opening: longer than any run of days off (Tết: ~9 days).
_LOOK_AHEAD_DAYS = 31


class WorkingDays(Protocol):
    """What office hours need of the working-day calendar (`core.workdays.WorkingCalendar`).
    A protocol, not an import: the catalogue checks the hours with `parse_session`, and the
    calendar reads the catalogue's files."""

    @property
    def tz(self) -> tzinfo: ...

    def is_working_day(self, day: dt.date) -> bool: ...


class HoursUnreadable(ValueError):
    """A session the commune wrote that is not "start – end" times of day."""


def parse_session(text: str) -> tuple[dt.time, dt.time]:
    """ "7:30 – 11:30" → (07:30, 11:30); HoursUnreadable if it is not a start before an end."""
    found = _SESSION.match(text)
    if found is None:
        raise HoursUnreadable(text)
    h1, m1, h2, m2 = (int(part) if part else 0 for part in found.groups())
    try:
        start, end = dt.time(h1, m1), dt.time(h2, m2)
    except ValueError as error:
        raise HoursUnreadable(text) from error
    if start >= end:
        raise HoursUnreadable(text)
    return start, end


@dataclass(frozen=True)
class OfficeHours:
    """Sessions of a working day (morning, afternoon), on the days the calendar says."""

    sessions: tuple[tuple[dt.time, dt.time], ...]
    calendar: WorkingDays

    @classmethod
    def of(cls, morning: str, afternoon: str, calendar: WorkingDays) -> OfficeHours:
        return cls((parse_session(morning), parse_session(afternoon)), calendar)

    def _day_sessions(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if not self.calendar.is_working_day(day):
            return []
        tz = self.calendar.tz
        return [
            (dt.datetime.combine(day, start, tz), dt.datetime.combine(day, end, tz))
            for start, end in self.sessions
        ]

    def is_open(self, moment: dt.datetime) -> bool:
        local = self._local(moment)
        return any(start <= local < end for start, end in self._day_sessions(local.date()))

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """When the office is next open at or after `moment` (`moment` itself when open)."""
        local = self._local(moment)
        for offset in range(_LOOK_AHEAD_DAYS):
            for start, end in self._day_sessions(local.date() + dt.timedelta(days=offset)):
                if local < end:
                    return max(start, local)
        raise ValueError(f"no office hours within {_LOOK_AHEAD_DAYS} days of {moment}")

    def office_time_between(self, first: dt.datetime, last: dt.datetime) -> dt.timedelta:
        """Office time in [first, last): what counts when the office says how fast it answers
        (a question sent on Friday evening and answered on Monday at 8:00 took 30 minutes)."""
        a, b = self._local(first), self._local(last)
        total = dt.timedelta()
        day = a.date()
        while day <= b.date():
            for start, end in self._day_sessions(day):
                overlap = min(end, b) - max(start, a)
                if overlap > dt.timedelta():
                    total += overlap
            day += dt.timedelta(days=1)
        return total

    def _local(self, moment: dt.datetime) -> dt.datetime:
        """Aware, in the calendar's time zone (naive moments are already Vietnam time)."""
        tz = self.calendar.tz
        return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def when_text(now: dt.datetime, opening: dt.datetime) -> str:
    """When an answer can be expected, as a person says it: "trong giờ làm việc hôm nay" when the
    office is open now, "chiều nay (từ 13:30)", "sáng mai (từ 7:30)", "sáng thứ Hai 08/12"."""
    local_now = now.astimezone(opening.tzinfo) if now.tzinfo else now.replace(tzinfo=opening.tzinfo)
    if opening <= local_now:
        return "trong giờ làm việc hôm nay"
    part = "sáng" if opening.hour < 12 else "chiều"
    at = f"từ {opening.hour}:{opening.minute:02d}"
    days = (opening.date() - local_now.date()).days
    if days == 0:
        return f"{part} nay ({at})"
    if days == 1:
        return f"{part} mai ({at})"
    return f"{part} {WEEKDAYS[opening.weekday()]} {opening:%d/%m} ({at})"


WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
