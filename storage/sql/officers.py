"""Officers added in the chat, and the audit log of officers' actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.officers import AuditAction, AuditEntry, Officer
from storage.sql.session import Database, Session

_AUDIT_COLUMNS = "id, at, channel, actor, actor_name, action, target, detail, commune_id"


async def insert_audit(session: Session, entry: AuditEntry) -> None:
    """Record an officer's action inside the caller's transaction."""
    await session.execute(
        "INSERT INTO audit_log (at, channel, actor, actor_name, action, target, detail,"
        " commune_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.at.isoformat(),
            entry.channel,
            entry.actor,
            entry.actor_name,
            entry.action.value,
            entry.target,
            entry.detail,
            entry.commune_id,
        ),
    )


class SqlOfficers:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def officers(self) -> list[Officer]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                "SELECT channel, user_id, name, added_by, added_at, commune_id FROM officers"
                " ORDER BY channel, added_at, user_id"
            )
        return [
            Officer(r[0], r[1], r[2], r[3], dt.datetime.fromisoformat(r[4]), r[5]) for r in rows
        ]

    async def add_officer(self, officer: Officer, audit: AuditEntry) -> bool:
        async with self.db.transaction() as session:
            known = await session.fetch_one(
                "SELECT 1 FROM officers WHERE channel = ? AND user_id = ?",
                (officer.channel, officer.user_id),
            )
            await session.execute(
                "INSERT INTO officers (channel, user_id, name, added_by, added_at, commune_id)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, user_id)"
                " DO UPDATE SET name = COALESCE(excluded.name, officers.name),"
                " commune_id = excluded.commune_id",
                (
                    officer.channel,
                    officer.user_id,
                    officer.name,
                    officer.added_by,
                    officer.added_at.isoformat(),
                    officer.commune_id,
                ),
            )
            await insert_audit(session, audit)
        return known is None

    async def remove_officer(self, channel: str, user_id: str, audit: AuditEntry) -> bool:
        async with self.db.transaction() as session:
            removed = await session.execute(
                "DELETE FROM officers WHERE channel = ? AND user_id = ?", (channel, user_id)
            )
            if removed:
                await insert_audit(session, audit)
        return removed > 0

    async def record_audit(self, entry: AuditEntry) -> None:
        async with self.db.connection() as session:
            await insert_audit(session, entry)

    async def audit_entries(
        self, limit: int, offset: int = 0, commune_id: str | None = None
    ) -> list[AuditEntry]:
        where, params = ("WHERE commune_id = ?", (commune_id,)) if commune_id else ("", ())
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {_AUDIT_COLUMNS} FROM audit_log {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            )
        return [_audit(row) for row in rows]


def _audit(row: Sequence[Any]) -> AuditEntry:
    return AuditEntry(
        id=row[0],
        at=dt.datetime.fromisoformat(row[1]),
        channel=row[2],
        actor=row[3],
        actor_name=row[4],
        action=AuditAction(row[5]),
        target=row[6],
        detail=row[7],
        commune_id=row[8],
    )
