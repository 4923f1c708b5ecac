"""Rows ↔ domain objects, and the column lists that go with them (shared by every area)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.apologies import Apology
from core.catalogue.models import LawVersion
from core.dossiers import (
    CLOCK_STOPPED,
    STATUS_INFO,
    Dossier,
    DossierEvent,
    EventKind,
    ReturnMethod,
    Status,
    SubmissionChannel,
)

DOSSIER_COLUMNS = (
    "code_key, code, procedure_id, applicant_name, phone, received_at, due_date, status,"
    " return_method, note, submission_channel, resolved_at, supplements, clock_restarted_at,"
    " address, commune_id"
)
DOSSIER_WIDTH = DOSSIER_COLUMNS.count(",") + 1  # a dossier's values at the start of a row
EVENT_COLUMNS = "id, code_key, at, kind, old_status, new_status, old_due, new_due, note, source"
APOLOGY_COLUMNS = (
    "id, code_key, number, issued_at, issued_by, issuer_name, reason, old_due, new_due, law_version"
)
# Finished statuses as an SQL list (constants from our own enum, not user input).
FINISHED = ", ".join(f"'{s.value}'" for s in Status if STATUS_INFO[s].finished)
# The statuses that stop the waiting clock (core.waiting), and "Chờ bổ sung".
STOPPED = ", ".join(f"'{s.value}'" for s in sorted(CLOCK_STOPPED))
SUPPLEMENT = Status.SUPPLEMENT.value

INSERT_EVENT = (
    "INSERT INTO dossier_events (code_key, at, kind, old_status, new_status, old_due, new_due,"
    " note, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def prefixed(columns: str, alias: str) -> str:
    """ "a, b" → "d.a, d.b"."""
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


def optional_time(text: str | None) -> dt.datetime | None:
    """A nullable timestamp column → a datetime, or None."""
    return dt.datetime.fromisoformat(text) if text else None


def day_range(first: dt.date, last: dt.date) -> tuple[str, str]:
    """Days `first`..`last` (inclusive) as a half-open range of ISO text: `>= start AND < after`."""
    return first.isoformat(), (last + dt.timedelta(days=1)).isoformat()


def dossier_row(dossier: Dossier, row_hash: str, stamp: str) -> tuple[Any, ...]:
    return (
        dossier.code_key,
        dossier.code,
        dossier.procedure_id,
        dossier.applicant_name,
        dossier.phone,
        dossier.received_at.isoformat(),
        dossier.due_date.isoformat(),
        dossier.status.value,
        dossier.return_method.value if dossier.return_method else None,
        dossier.note,
        dossier.submission_channel.value if dossier.submission_channel else None,
        dossier.resolved_at.isoformat() if dossier.resolved_at else None,
        max(dossier.supplements, int(dossier.status is Status.SUPPLEMENT)),  # a new dossier
        dossier.clock_restarted_at.isoformat() if dossier.clock_restarted_at else None,
        dossier.address,
        dossier.commune_id,
        row_hash,
        stamp,
    )


def event_row(code_key: str, event: Any, stamp: str, source: str) -> tuple[Any, ...]:
    return (
        code_key,
        stamp,
        event.kind.value,
        event.old_status.value if event.old_status else None,
        event.new_status.value if event.new_status else None,
        event.old_due.isoformat() if event.old_due else None,
        event.new_due.isoformat() if event.new_due else None,
        event.note,
        source,
    )


def to_dossier(row: Sequence[Any]) -> Dossier:
    return Dossier(
        code_key=row[0],
        code=row[1],
        procedure_id=row[2],
        applicant_name=row[3],
        phone=row[4],
        received_at=dt.datetime.fromisoformat(row[5]),
        due_date=dt.date.fromisoformat(row[6]),
        status=Status(row[7]),
        return_method=ReturnMethod(row[8]) if row[8] else None,
        note=row[9],
        submission_channel=SubmissionChannel(row[10]) if row[10] else None,
        resolved_at=optional_time(row[11]),
        supplements=row[12],
        clock_restarted_at=optional_time(row[13]),
        address=row[14],
        commune_id=row[15],
    )


def to_apology(row: Sequence[Any]) -> Apology:
    return Apology(
        id=row[0],
        code_key=row[1],
        number=row[2],
        issued_at=dt.datetime.fromisoformat(row[3]),
        issued_by=row[4],
        issuer_name=row[5],
        reason=row[6],
        old_due=dt.date.fromisoformat(row[7]),
        new_due=dt.date.fromisoformat(row[8]),
        law_version=LawVersion(row[9]),
    )


def to_event(row: Sequence[Any]) -> DossierEvent:
    return DossierEvent(
        id=row[0],
        code_key=row[1],
        at=dt.datetime.fromisoformat(row[2]),
        kind=EventKind(row[3]),
        old_status=Status(row[4]) if row[4] else None,
        new_status=Status(row[5]) if row[5] else None,
        old_due=dt.date.fromisoformat(row[6]) if row[6] else None,
        new_due=dt.date.fromisoformat(row[7]) if row[7] else None,
        note=row[8],
        source=row[9],
    )
