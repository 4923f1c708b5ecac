"""Apologies: issued in one transaction with the new due date, its history and its messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from core.apologies import Apology, ApologyRefused, ensure_extension_allowed, ensure_running
from core.dossiers import Dossier, EventDraft, EventKind, Status
from storage.base import ApologyDraft, ChatRef, IssuedApology, OutboxMessage
from storage.sqlite.connection import day_range
from storage.sqlite.dossiers import (
    _APOLOGY_COLUMNS,
    _DOSSIER_COLUMNS,
    _FINISHED,
    _INSERT_EVENT,
    DOSSIER_WIDTH,
    _apology,
    _dossier,
    _event_row,
)
from storage.sqlite.outbox import OutboxMixin


def apology_message(apology_id: int, code_key: str, chat: ChatRef) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=f"apology:{apology_id}:{chat.channel}:{chat.chat_id}",
        channel=chat.channel,
        chat_id=chat.chat_id,
        kind="apology",
        payload={"apology_id": apology_id, "code_key": code_key},
    )


class ApologiesMixin(OutboxMixin):
    async def issue_apology(
        self, draft: ApologyDraft, now: dt.datetime, max_extensions: int
    ) -> IssuedApology:
        async with self._lock, self._transaction():
            return await self._issue(draft, now, max_extensions)

    async def _issue(
        self, draft: ApologyDraft, now: dt.datetime, max_extensions: int
    ) -> IssuedApology:
        """Inside a transaction: checks again (another officer may have been quicker), numbers
        the apology within the year, moves the due date, records history, queues messages."""
        row = await self._one(
            f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE code_key = ?", (draft.code_key,)
        )
        if row is None:
            raise ApologyRefused("Không tìm thấy hồ sơ này trong dữ liệu của bot.")
        dossier = _dossier(row)
        ensure_running(dossier)
        done = await self._one(
            "SELECT COUNT(*) FROM apologies WHERE code_key = ?", (draft.code_key,)
        )
        ensure_extension_allowed(dossier.code, int(done[0]), max_extensions)
        stamp = now.isoformat()
        seq_row = await self._one(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM apologies WHERE year = ?", (now.year,)
        )
        seq = int(seq_row[0])
        number = f"{seq:02d}/{draft.number_suffix}"
        cursor = await self._db.execute(
            "INSERT INTO apologies (code_key, year, seq, number, issued_at, issued_by,"
            " issuer_name, reason, old_due, new_due, law_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                draft.code_key,
                now.year,
                seq,
                number,
                stamp,
                draft.issued_by,
                draft.issuer_name,
                draft.reason,
                dossier.due_date.isoformat(),
                draft.new_due.isoformat(),
                draft.law_version.value,
            ),
        )
        apology_id = cursor.lastrowid
        assert apology_id is not None
        await self._db.execute(
            "UPDATE dossiers SET due_date = ?, updated_at = ? WHERE code_key = ?",
            (draft.new_due.isoformat(), stamp, draft.code_key),
        )
        event = EventDraft(
            EventKind.DUE, old_due=dossier.due_date, new_due=draft.new_due, note=draft.reason
        )
        await self._db.execute(
            _INSERT_EVENT, _event_row(draft.code_key, event, stamp, f"xin-loi:{number}")
        )
        followers = [
            ChatRef(channel, chat_id)
            for channel, chat_id in await self._all(
                "SELECT channel, chat_id FROM follows WHERE code_key = ? AND active = 1",
                (draft.code_key,),
            )
        ]
        await self._insert_outbox(
            [apology_message(apology_id, draft.code_key, chat) for chat in followers], stamp
        )
        apology = Apology(
            apology_id,
            draft.code_key,
            number,
            now,
            draft.issued_by,
            draft.issuer_name,
            draft.reason,
            dossier.due_date,
            draft.new_due,
            draft.law_version,
        )
        return IssuedApology(apology, dossier, len(followers))

    async def get_apology(self, apology_id: int) -> Apology | None:
        async with self._lock:
            row = await self._one(
                f"SELECT {_APOLOGY_COLUMNS} FROM apologies WHERE id = ?", (apology_id,)
            )
        return _apology(row) if row else None

    async def apologies_for(self, code_key: str) -> list[Apology]:
        async with self._lock:
            rows = await self._all(
                f"SELECT {_APOLOGY_COLUMNS} FROM apologies WHERE code_key = ? ORDER BY id",
                (code_key,),
            )
        return [_apology(row) for row in rows]

    async def apologies_between(self, first: dt.date, last: dt.date) -> list[Apology]:
        async with self._lock:
            rows = await self._all(
                f"SELECT {_APOLOGY_COLUMNS} FROM apologies"
                " WHERE issued_at >= ? AND issued_at < ? ORDER BY issued_at, id",
                day_range(first, last),
            )
        return [_apology(row) for row in rows]

    async def running_dossiers_due_by(
        self, day: dt.date, statuses: Sequence[Status]
    ) -> list[tuple[Dossier, int]]:
        """Dossiers in these statuses due on or before `day`, with their number of apologies."""
        marks = ",".join("?" * len(statuses))
        columns = ", ".join(f"d.{c.strip()}" for c in _DOSSIER_COLUMNS.split(","))
        async with self._lock:
            rows = await self._all(
                f"SELECT {columns}, (SELECT COUNT(*) FROM apologies a"
                "  WHERE a.code_key = d.code_key)"
                f" FROM dossiers d WHERE d.status IN ({marks}) AND d.due_date <= ?"
                " ORDER BY d.due_date, d.code_key",
                [*(s.value for s in statuses), day.isoformat()],
            )
        return [(_dossier(row[:DOSSIER_WIDTH]), int(row[DOSSIER_WIDTH])) for row in rows]

    async def repeated_supplements(self, more_than: int, limit: int) -> list[Dossier]:
        async with self._lock:
            rows = await self._all(
                f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE supplements > ?"
                f" AND status NOT IN ({_FINISHED}) ORDER BY received_at, code_key LIMIT ?",
                (more_than, limit),
            )
        return [_dossier(row) for row in rows]

    async def job_last_day(self, job: str) -> dt.date | None:
        async with self._lock:
            row = await self._one("SELECT last_day FROM job_runs WHERE job = ?", (job,))
        return dt.date.fromisoformat(row[0]) if row else None

    async def record_job_day(self, job: str, day: dt.date, now: dt.datetime) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT INTO job_runs (job, last_day, ran_at) VALUES (?, ?, ?)"
                " ON CONFLICT (job) DO UPDATE SET last_day = excluded.last_day,"
                " ran_at = excluded.ran_at",
                (job, day.isoformat(), now.isoformat()),
            )
