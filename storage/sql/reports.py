"""The quarterly figures' data: one query for the dossiers, one for the apologies, one for the
catalogue's history. Everything stops at the end of `last` (the report's "as of")."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from core.clock import VIETNAM
from core.dossiers import ReturnMethod, Status, SubmissionChannel
from core.report import CatalogueChanges, ReportData, ReportDossier
from storage.sql.rows import FINISHED, STOPPED, day_range
from storage.sql.session import Database

# Every dossier alive at some moment of the period: received before its end, and not finished
# before its start. A finished dossier's resolution moment is the export's date, else the first
# history event that recorded a finished status — looked up (through the index on code_key) only
# for those without the date. Dates are ISO text: comparing them as text is comparing time.
_REPORT_DOSSIERS = f"""
SELECT x.procedure_id, x.received_at, x.due_date, x.status, x.submission_channel,
       x.resolved_at, x.seen_at, COALESCE(a.n, 0), a.first_due, x.return_method, x.status_at_end,
       x.commune_id
FROM (
  SELECT d.code_key, d.procedure_id, d.received_at, d.due_date, d.status, d.submission_channel,
         d.resolved_at, d.return_method, d.commune_id,
         CASE WHEN d.status IN ({FINISHED}) AND d.resolved_at IS NULL THEN
           (SELECT MIN(e.at) FROM dossier_events e
            WHERE e.code_key = d.code_key AND e.new_status IN ({FINISHED}))
         END AS seen_at,
         -- The status at the end of the period, looked up only for a dossier that ever waited
         -- for the person (counted, restarted or waiting now: core.waiting) and not resolved
         -- before the end: the others were running whenever they were open.
         CASE WHEN (d.supplements > 0 OR d.clock_restarted_at IS NOT NULL
                    OR d.status IN ({STOPPED}))
                   AND (d.resolved_at IS NULL OR d.resolved_at >= ?) THEN
           (SELECT e.new_status FROM dossier_events e
            WHERE e.code_key = d.code_key AND e.new_status IS NOT NULL AND e.at < ?
            ORDER BY e.id DESC LIMIT 1)
         END AS status_at_end
  FROM dossiers d
  WHERE d.received_at < ? {{commune}}
) x
LEFT JOIN (SELECT code_key, COUNT(*) AS n, MIN(old_due) AS first_due FROM apologies
           WHERE issued_at < ? GROUP BY code_key) a ON a.code_key = x.code_key
WHERE x.status NOT IN ({FINISHED}) OR COALESCE(x.resolved_at, x.seen_at) IS NULL
   OR COALESCE(x.resolved_at, x.seen_at) >= ?
"""

_REPORT_APOLOGIES = """
SELECT d.procedure_id, d.commune_id FROM apologies a JOIN dossiers d ON d.code_key = a.code_key
WHERE a.issued_at >= ? AND a.issued_at < ? {commune}
"""
_ONE_COMMUNE = "AND d.commune_id = ?"  # issue 19: one commune's figures

# Distinct procedures per kind of change in the period (a procedure changed twice counts once).
_REPORT_CATALOGUE = """
SELECT change, COUNT(DISTINCT procedure_id) FROM catalogue_changes
WHERE at >= ? AND at < ? GROUP BY change
"""


REPORT_BATCH = 5_000  # dossiers decoded and counted at a time: memory stays flat, any period


class SqlReports:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def report_data(
        self, first: dt.date, last: dt.date, commune_id: str | None = None
    ) -> ReportData:
        dossiers: list[ReportDossier] = []

        def keep(rows: list[ReportDossier]) -> None:
            dossiers.extend(rows)

        data = await self.scan_report(first, last, keep, commune_id)
        return replace(data, dossiers=dossiers)

    async def scan_report(
        self,
        first: dt.date,
        last: dt.date,
        each: Callable[[list[ReportDossier]], None],
        commune_id: str | None = None,
        batch: int = REPORT_BATCH,
    ) -> ReportData:
        start, after = day_range(first, last)
        only = _ONE_COMMUNE if commune_id is not None else ""
        extra = (commune_id,) if commune_id is not None else ()
        dates: dict[str, dt.date] = {}

        def decoded(rows: list[Any]) -> None:
            # Thousands of new objects that form no cycle: the cyclic collector would rescan
            # them, over and over, for nothing (as in core.dossier_import); it resumes after.
            collecting = gc.isenabled()
            gc.disable()
            try:
                found = _rows(rows, dates)
            finally:
                if collecting:
                    gc.enable()
            each(found)

        apologies, changes = await self.db.snapshot_scan(
            (
                _REPORT_DOSSIERS.replace("{commune}", only),
                (after, after, after, *extra, after, start),
            ),
            decoded,
            batch,
            (_REPORT_APOLOGIES.replace("{commune}", only), (start, after, *extra)),
            (_REPORT_CATALOGUE, (start, after)),
        )
        counts = {change: int(n) for change, n in changes}
        catalogue = CatalogueChanges(
            counts.get("added", 0), counts.get("changed", 0), counts.get("removed", 0)
        )
        return ReportData(
            [], [row[0] for row in apologies], catalogue, [row[1] for row in apologies]
        )

    async def record_catalogue_changes(
        self, changes: Sequence[tuple[str, str]], source: str, now: dt.datetime
    ) -> None:
        async with self.db.transaction() as session:
            await session.execute_many(
                "INSERT INTO catalogue_changes (at, procedure_id, change, source)"
                " VALUES (?, ?, ?, ?)",
                [(now.isoformat(), procedure, change, source) for procedure, change in changes],
            )


_STATUSES = {status.value: status for status in Status}
_CHANNELS: dict[str | None, SubmissionChannel | None] = {c.value: c for c in SubmissionChannel}
_CHANNELS[None] = None
_METHODS: dict[str | None, ReturnMethod | None] = {m.value: m for m in ReturnMethod}
_METHODS[None] = None


def _local(text: str | None) -> dt.datetime | None:
    """ISO text → naive local time (history stamps are aware; imported dates are naive)."""
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment.astimezone(VIETNAM).replace(tzinfo=None) if moment.tzinfo else moment


def _rows(rows: list[Any], dates: dict[str, dt.date]) -> list[ReportDossier]:
    """A year of a big commune is 100,000 rows: enum values and repeated dates through dicts."""
    parse_moment, parse_date = dt.datetime.fromisoformat, dt.date.fromisoformat

    def day(text: str) -> dt.date:
        found = dates.get(text)
        if found is None:
            found = dates[text] = parse_date(text)
        return found

    found = []
    for row in rows:
        procedure, received, due_text, status, channel, resolved, seen, count, first_due = row[:9]
        method, at_end, commune = row[9], row[10], row[11]
        due = day(due_text)
        found.append(
            ReportDossier(
                procedure,
                parse_moment(received),  # stored naive, as imported
                due,
                day(first_due) if first_due else due,
                _STATUSES[status],
                _CHANNELS[channel],
                parse_moment(resolved) if resolved else None,
                _local(seen),
                count,
                _METHODS[method],
                _STATUSES[at_end] if at_end else None,
                commune,
            )
        )
    return found
