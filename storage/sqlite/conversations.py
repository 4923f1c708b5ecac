"""Conversation state and the chats the bot has talked to."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from storage.base import ConversationKey, ConversationState
from storage.sqlite.connection import SqliteConnection


class ConversationsMixin(SqliteConnection):
    async def load_state(self, key: ConversationKey) -> ConversationState:
        async with self._lock:
            row = await self._one(
                "SELECT state, data FROM conversation_state"
                " WHERE channel = ? AND chat_id = ? AND user_id = ?",
                (key.channel, key.chat_id, key.user_id),
            )
        if row is None:
            return ConversationState()
        return ConversationState(row[0], json.loads(row[1]))

    async def save_state(
        self, key: ConversationKey, name: str | None, data: dict[str, Any], now: dt.datetime
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT INTO conversation_state"
                " (channel, chat_id, user_id, state, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
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
        async with self._lock:
            await self._db.execute(
                "DELETE FROM conversation_state WHERE channel = ? AND chat_id = ? AND user_id = ?",
                (key.channel, key.chat_id, key.user_id),
            )

    async def touch_chat(self, channel: str, chat_id: str, now: dt.datetime) -> bool:
        stamp = now.isoformat()
        async with self._lock:
            row = await self._one(
                "INSERT INTO chats (channel, chat_id, first_seen, last_seen, messages)"
                " VALUES (?, ?, ?, ?, 1) ON CONFLICT (channel, chat_id)"
                " DO UPDATE SET last_seen = excluded.last_seen, messages = chats.messages + 1"
                " RETURNING messages",
                (channel, chat_id, stamp, stamp),
            )
        return bool(row and row[0] == 1)

    async def first_delivery(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                "INSERT INTO processed_updates (channel, update_id, received_at)"
                " VALUES (?, ?, ?) ON CONFLICT (channel, update_id) DO NOTHING",
                (channel, update_id, now.isoformat()),
            )
        return cursor.rowcount == 1

    async def forget_updates_before(self, moment: dt.datetime) -> int:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM processed_updates WHERE received_at < ?", (moment.isoformat(),)
            )
        return cursor.rowcount
