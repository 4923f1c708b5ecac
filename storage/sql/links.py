"""Dossier links (issue 20): hashed tokens of the receipt's QR and the Zalo follow codes.

Portable SQL (standard types, ISO text times, no SQLite-only function): every backend runs
these statements as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.dossiers import Dossier
from core.slips import LinkedDossier
from storage.sql.chores import delete_in_batches
from storage.sql.rows import DOSSIER_COLUMNS, DOSSIER_WIDTH, optional_time, prefixed, to_dossier
from storage.sql.session import Database

_COLUMNS = prefixed(DOSSIER_COLUMNS, "d")
# When a finished dossier finished: the software's resolution time, else its last status
# change, else its last update.
_LINKED = (
    f"SELECT {_COLUMNS}, l.revoked_at, d.updated_at,"
    " (SELECT MAX(e.at) FROM dossier_events e WHERE e.code_key = d.code_key"
    "  AND e.kind = 'status')"
    " FROM dossier_links l JOIN dossiers d ON d.code_key = l.code_key"
)


def _linked(row: Sequence[Any]) -> LinkedDossier:
    dossier = to_dossier(row[:DOSSIER_WIDTH])
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


class SqlLinks:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_dossier_links(self, links: Sequence[tuple[str, str]], now: dt.datetime) -> None:
        async with self.db.transaction() as session:
            await session.execute_many(
                "INSERT INTO dossier_links (token_hash, code_key, created_at) VALUES (?, ?, ?)",
                [(token_hash, key, now.isoformat()) for token_hash, key in links],
            )

    async def linked_dossier(self, token_hash: str) -> LinkedDossier | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(f"{_LINKED} WHERE l.token_hash = ?", (token_hash,))
        return _linked(row) if row else None

    async def revoke_dossier_links(self, code_key: str, now: dt.datetime) -> int:
        async with self.db.transaction() as session:
            return await session.execute(
                "UPDATE dossier_links SET revoked_at = ? WHERE code_key = ? AND revoked_at IS NULL",
                (now.isoformat(), code_key),
            )

    async def add_follow_code(
        self, code_hash: str, token_hash: str, expires_at: dt.datetime, now: dt.datetime
    ) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "INSERT INTO follow_codes (code_hash, token_hash, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (code_hash, token_hash, now.isoformat(), _utc(expires_at)),
            )

    async def followed_by_code(self, code_hash: str, now: dt.datetime) -> LinkedDossier | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                f"{_LINKED} JOIN follow_codes c ON c.token_hash = l.token_hash"
                " WHERE c.code_hash = ? AND c.expires_at > ?",
                (code_hash, _utc(now)),
            )
        return _linked(row) if row else None

    async def forget_follow_codes_before(self, moment: dt.datetime) -> int:
        return await delete_in_batches(self.db, "follow_codes", "expires_at < ?", [_utc(moment)])

    async def dossiers_received_between(
        self, start: dt.datetime, end: dt.datetime, commune_id: str | None = None
    ) -> list[Dossier]:
        where, params = ("", ()) if commune_id is None else (" AND commune_id = ?", (commune_id,))
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {DOSSIER_COLUMNS} FROM dossiers"
                f" WHERE received_at >= ? AND received_at < ?{where} ORDER BY received_at, code",
                (_local(start), _local(end), *params),
            )
        return [to_dossier(row) for row in rows]
