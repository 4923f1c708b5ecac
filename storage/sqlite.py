"""The SQLite backend, through aiosqlite: one file in the data folder, WAL, foreign keys.

Queries stay portable (standard types, `INSERT … ON CONFLICT … DO UPDATE`, no SQLite-only
functions) so that a PostgreSQL backend can reuse their shape.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from storage.base import ConversationKey, ConversationState
from storage.migrate import apply_migrations


class SqliteStorage:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStorage:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            await apply_migrations(connection)
        except BaseException:
            await connection.close()
            raise
        return cls(connection)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        async with self._db.execute("SELECT MAX(version) FROM schema_migrations") as cursor:
            row = await cursor.fetchone()
        return int(row[0] or 0) if row else 0

    # -- conversations ----------------------------------------------------------------------

    async def load_state(self, key: ConversationKey) -> ConversationState:
        async with self._db.execute(
            "SELECT state, data FROM conversation_state"
            " WHERE channel = ? AND chat_id = ? AND user_id = ?",
            (key.channel, key.chat_id, key.user_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return ConversationState()
        return ConversationState(row[0], json.loads(row[1]))

    async def save_state(
        self, key: ConversationKey, name: str | None, data: dict[str, Any], now: dt.datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO conversation_state (channel, chat_id, user_id, state, data, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, chat_id, user_id)"
            " DO UPDATE SET state = excluded.state, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (
                key.channel,
                key.chat_id,
                key.user_id,
                name,
                json.dumps(data, ensure_ascii=False),
                now.isoformat(),
            ),
        )

    async def clear_state(self, key: ConversationKey) -> None:
        await self._db.execute(
            "DELETE FROM conversation_state WHERE channel = ? AND chat_id = ? AND user_id = ?",
            (key.channel, key.chat_id, key.user_id),
        )

    async def touch_chat(self, channel: str, chat_id: str, now: dt.datetime) -> bool:
        stamp = now.isoformat()
        cursor = await self._db.execute(
            "INSERT INTO chats (channel, chat_id, first_seen, last_seen) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, chat_id) DO NOTHING",
            (channel, chat_id, stamp, stamp),
        )
        if cursor.rowcount == 1:
            return True
        await self._db.execute(
            "UPDATE chats SET last_seen = ? WHERE channel = ? AND chat_id = ?",
            (stamp, channel, chat_id),
        )
        return False
