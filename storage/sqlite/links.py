"""Dossier links (issue 20): hashed tokens of the receipt's QR and the Zalo follow codes.

Portable SQL (standard types, ISO text times, no SQLite-only function), so that a PostgreSQL
backend can take the statements as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.dossiers import Dossier
from core.slips import LinkedDossier
from storage.sqlite.connection import SqliteConnection, optional_time
from storage.sqlite.dossiers import _DOSSIER_COLUMNS, DOSSIER_WIDTH, _dossier

_COLUMNS = ", ".join(f"d.{c.strip()}" for c in _DOSSIER_COLUMNS.split(","))
# When a finished dossier finished: the software's resolution time, else its last status
# change, else its last update.
_LINKED = (
    f"SELECT {_COLUMNS}, l.revoked_at, d.updated_at,"
    " (SELECT MAX(e.at) FROM dossier_events e WHERE e.code_key = d.code_key"
    "  AND e.kind = 'status')"
    " FROM dossier_links l JOIN dossiers d ON d.code_key = l.code_key"
)


def _linked(row: Sequence[Any]) -> LinkedDossier:
    dossier = _dossier(row[:DOSSIER_WIDTH])
    revoked_at, updated_at, last_change = row[DOSSIER_WIDTH : DOSSIER_WIDTH + 3]
    finished_at = None
    if dossier.info.finished:
        finished_at = dossier.resolved_at or optional_time(last_change or updated_at)
    return LinkedDossier(dossier, revoked=revoked_at is not None, finished_at=finished_at)


def _utc(moment: dt.datetime) -> str:
    """Expiry times compared as text: all in UTC, whatever zone the caller's clock is in."""
    return moment.astimezone(dt.UTC).isoformat()


def _local(moment: dt.datetime) -> str:
    """Receipt times are stored as naive local times (as the one-stop software writes them)."""
    return moment.replace(tzinfo=None).isoformat()


class LinksMixin(SqliteConnection):
    async def add_dossier_links(self, links: Sequence[tuple[str, str]], now: dt.datetime) -> None:
        async with self._lock, self._transaction() as db:
            await db.executemany(
                "INSERT INTO dossier_links (token_hash, code_key, created_at) VALUES (?, ?, ?)",
                [(token_hash, key, now.isoformat()) for token_hash, key in links],
            )

    async def linked_dossier(self, token_hash: str) -> LinkedDossier | None:
        async with self._lock:
            row = await self._one(f"{_LINKED} WHERE l.token_hash = ?", (token_hash,))
        return _linked(row) if row else None

    async def revoke_dossier_links(self, code_key: str, now: dt.datetime) -> int:
        async with self._lock, self._transaction() as db:
            cursor = await db.execute(
                "UPDATE dossier_links SET revoked_at = ? WHERE code_key = ? AND revoked_at IS NULL",
                (now.isoformat(), code_key),
            )
            return cursor.rowcount

    async def add_follow_code(
        self, code_hash: str, token_hash: str, expires_at: dt.datetime, now: dt.datetime
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT INTO follow_codes (code_hash, token_hash, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (code_hash, token_hash, now.isoformat(), _utc(expires_at)),
            )

    async def followed_by_code(self, code_hash: str, now: dt.datetime) -> LinkedDossier | None:
        async with self._lock:
            row = await self._one(
                f"{_LINKED} JOIN follow_codes c ON c.token_hash = l.token_hash"
                " WHERE c.code_hash = ? AND c.expires_at > ?",
                (code_hash, _utc(now)),
            )
        return _linked(row) if row else None

    async def forget_follow_codes_before(self, moment: dt.datetime) -> int:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM follow_codes WHERE expires_at < ?", (_utc(moment),)
            )
            return cursor.rowcount

    async def dossiers_received_between(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[Dossier]:
        async with self._lock:
            rows = await self._all(
                f"SELECT {_DOSSIER_COLUMNS} FROM dossiers"
                " WHERE received_at >= ? AND received_at < ? ORDER BY received_at, code",
                (_local(start), _local(end)),
            )
        return [_dossier(row) for row in rows]
