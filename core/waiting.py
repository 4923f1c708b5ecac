"""The waiting clock: a dossier waiting for the person is not late, and its time restarts.

- While a dossier waits for the person ("Chờ bổ sung hồ sơ") or is suspended as the law allows
  ("Tạm dừng"), the office's time does not run (`core.dossiers.CLOCK_STOPPED`): it is not late, it
  is not on the officers' apology list, and no apology can be issued for it.
- A supplement may be asked for **only once** (NĐ 61/2018/NĐ-CP Điều 15 khoản 3, Điều 19 khoản 4;
  NĐ 118/2025/NĐ-CP Điều 17 khoản 2 điểm a, as amended by NĐ 309/2026/NĐ-CP Điều 8: guidance
  "đầy đủ trong một lần" — read in a third-party copy of NĐ 309/2026, see docs/law.md). Each time a
  dossier enters "Chờ bổ sung" is counted; the officers' morning list flags one asked more than
  once.
- When the dossier leaves the waiting state, its processing time restarts (NĐ 61/2018 Điều 19
  khoản 4; NĐ 118/2025 Điều 17 khoản 3 as amended: the time runs "từ thời điểm hồ sơ đã được tiếp
  nhận đầy đủ"): the due date is the catalogue's processing time counted from that moment — unless
  the one-stop software's export gives the date, which wins.

Some procedures allow a longer time when the facts must be verified (kết hôn: "trường hợp cần xác
minh điều kiện kết hôn ... không quá 05 ngày làm việc", Luật Hộ tịch 2014 Điều 18 khoản 2; the
catalogue's `extra_days_if_verification`). The officer sets it on the dossier (/capnhat, "Cần xác
minh", `verification_due`) or the one-stop software's export carries the date; either way the
due date follows, and an export without a date never moves a dossier's date earlier.

The import (`handlers.imports`) and /capnhat (`handlers.status_updates`) set the due date with
`due_after_change`; the storage counts the requests and records the restart when it writes the
status (one rule, in the upsert of `storage/sqlite/dossiers.py`, so no caller can forget it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from core.catalogue.models import Procedure, TimeKind
from core.dossiers import CLOCK_STOPPED, Dossier, is_running
from core.workdays import WorkingCalendar

# The law allows one request to supplement (module docstring): more is flagged to officers.
MAX_SUPPLEMENTS = 1

DueFrom = Callable[[dt.datetime], dt.date]


def due_from(procedure: Procedure, calendar: WorkingCalendar) -> DueFrom:
    """The due date of `procedure` for a dossier complete at a given moment (the 15:00 rule, the
    first day not counted, working days: `core.workdays`)."""
    time = procedure.processing_time

    def due(moment: dt.datetime) -> dt.date:
        match time.kind:
            case TimeKind.WORKING_DAYS:
                return calendar.due_date(moment, time.working_days, cutoff_applies=time.cutoff_15h)
            case TimeKind.CALENDAR_DAYS:
                # BLDS 2015 Điều 147–148: first day not counted; a last day off moves to the next
                # working day.
                last = calendar.local(moment).date() + dt.timedelta(days=time.calendar_days)
                return last if calendar.is_working_day(last) else calendar.next_working_day(last)
            case _:
                return calendar.due_date(moment, 0, on_receipt=True, cutoff_applies=time.cutoff_15h)

    return due


def due_after_change(
    old: Dossier | None,
    new: Dossier,
    now: dt.datetime,
    *,
    due_given: bool,
    due_after_restart: DueFrom | None,
) -> dt.date:
    """The due date `new` should carry when the software's view of a dossier becomes `new`.

    `due_given`: the one-stop software gave the date, which wins. Otherwise a dossier leaving the
    waiting state gets the processing time again from `now`, and one whose time restarted earlier
    keeps the date computed then (the export alone would give the date counted from the receipt).
    """
    if old is None or due_given:
        return new.due_date
    if old.status in CLOCK_STOPPED and new.status not in CLOCK_STOPPED:
        return due_after_restart(now) if due_after_restart is not None else new.due_date
    if old.clock_restarted_at is not None:
        return old.due_date
    # A later date already on the dossier (the verification time, an apology's new date) is a
    # promise made to the person: an export without a date does not take it back.
    return max(old.due_date, new.due_date)


def verification_due(
    procedure: Procedure, dossier: Dossier, calendar: WorkingCalendar
) -> dt.date | None:
    """The due date when the officer says the dossier needs verifying: the catalogue's time plus
    `extra_days_if_verification` working days, counted like the time itself (from receipt, or
    from the restart after a supplement). None when the procedure allows no such time, the
    dossier is not being handled, or its date is already as late."""
    time = procedure.processing_time
    if not time.extra_days_if_verification or not is_running(dossier.status):
        return None
    match time.kind:
        case TimeKind.WORKING_DAYS:
            base = time.working_days
        case TimeKind.ON_RECEIPT:
            base = 0
        case _:  # the law counts plain days: no verification time in working days
            return None
    start = dossier.clock_restarted_at or dossier.received_at
    due = calendar.due_date(
        start, base + time.extra_days_if_verification, cutoff_applies=time.cutoff_15h
    )
    return due if due > dossier.due_date else None


def too_many_supplements(dossier: Dossier) -> bool:
    return dossier.supplements > MAX_SUPPLEMENTS
