"""How a long-running loop rides out a fault of the database (issue 15 point 5: the process keeps
serving, neither dying nor spinning).

The outbox worker, the Zalo inbox, the daily watches, the hourly chores and the terminal's
notification poller each run rounds forever. A round that fails on a locked, read-only, full,
corrupt or unreachable database (`storage.faults`) is logged in one line when the fault starts
(and when its kind changes), not once a round with a traceback; the wait before the next round
doubles from the loop's own interval up to `LONGEST`; the first good round logs that serving
resumed. Any other error is logged with its traceback, as before, and the loop keeps its pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from storage.faults import FaultKind, fault_of

log = logging.getLogger(__name__)

# The longest wait between rounds while a fault lasts: a minute, so that a lock released or a
# disk freed is noticed within a minute, and a fault lasting all night logs nothing more.
LONGEST = 60.0


class FaultBackoff:
    """`wait = backoff.succeeded()` after a good round, `wait = backoff.failed(error)` after a
    bad one: the seconds to wait before the next round, the log lines written."""

    def __init__(self, what: str, interval: float, longest: float = LONGEST) -> None:
        self.what = what
        self.interval = interval
        self.longest = max(longest, interval)
        self.fault: FaultKind | None = None
        self.failures = 0  # rounds failed on the database in a row

    def succeeded(self) -> float:
        if self.fault is not None:
            log.warning(
                "%s resumed: the database is usable again (%s for %d round(s))",
                self.what,
                self.fault,
                self.failures,
            )
        self.fault, self.failures = None, 0
        return self.interval

    def failed(self, error: BaseException) -> float:
        fault = fault_of(error)
        if fault is None:
            log.error("%s failed", self.what, exc_info=error)
            return self.interval
        self.failures += 1
        if fault != self.fault:
            log.error(
                "%s paused: database %s (%s); trying again, less often while it lasts",
                self.what,
                fault,
                error,
            )
        self.fault = fault
        return min(self.interval * 2 ** min(self.failures - 1, 20), self.longest)


async def run_rounds(
    stop: asyncio.Event, what: str, interval: float, one_round: Callable[[], Awaitable[object]]
) -> None:
    """Run `one_round` now and then every `interval` seconds until `stop` is set; a fault of the
    database makes the waits longer (`FaultBackoff`), it never ends the loop."""
    backoff = FaultBackoff(what, interval)
    while not stop.is_set():
        try:
            await one_round()
            wait = backoff.succeeded()
        except Exception as error:
            wait = backoff.failed(error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
