"""Time, passed in: the system clock in production, a settable one in tests (never sleep)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, aware, in Vietnam's time zone."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(VIETNAM)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start if start.tzinfo else start.replace(tzinfo=VIETNAM)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, moment: dt.datetime) -> None:
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)
