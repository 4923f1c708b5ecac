"""Conversation state, and incoming updates already handled."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from storage.base import ChatRef, ConversationKey, ConversationState
from storage.sql.chores import delete_in_batches
from storage.sql.session import Database, Session


async def forget_conversations(session: Session, chat: ChatRef) -> None:
    """Part of erasing a chat: the step each of its conversations was at."""
    await session.execute(
        "DELETE FROM conversation_state WHERE channel = ? AND chat_id = ?",
        (chat.channel, chat.chat_id),
    )


class SqlConversations:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def load_state(self, key: ConversationKey) -> ConversationState:
        async with self.db.connection() as session:
            row = await session.fetch_one(
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
        async with self.db.connection() as session:
            await session.execute(
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
        async with self.db.connection() as session:
            await session.execute(
                "DELETE FROM conversation_state WHERE channel = ? AND chat_id = ? AND user_id = ?",
                (key.channel, key.chat_id, key.user_id),
            )

    async def first_delivery(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        async with self.db.connection() as session:
            added = await session.execute(
                "INSERT INTO processed_updates (channel, update_id, received_at)"
                " VALUES (?, ?, ?) ON CONFLICT (channel, update_id) DO NOTHING",
                (channel, update_id, now.isoformat()),
            )
        return added == 1

    async def forget_updates_before(self, moment: dt.datetime) -> int:
        return await delete_in_batches(
            self.db, "processed_updates", "received_at < ?", [moment.isoformat()]
        )
