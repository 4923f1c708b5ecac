"""A chat as a whole: its first message, the platform saying it is gone, and erasing it."""

from __future__ import annotations

import datetime as dt

from storage.base import ChatRef
from storage.sql.broadcasts import forget_subscriptions
from storage.sql.care import unlink_care
from storage.sql.conversations import forget_conversations
from storage.sql.dossiers import forget_lookups
from storage.sql.follows import forget_follows
from storage.sql.outbox import forget_messages
from storage.sql.session import Database
from storage.sql.tickets import forget_tickets
from storage.sql.workers import forget_inbox
from storage.sql.zalo import forget_zalo_traces

ZALO = "zalo"  # the Zalo adapter's channel name (bot.channels.zalo.CHANNEL)


class SqlChats:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def touch_chat(self, channel: str, chat_id: str, now: dt.datetime) -> bool:
        stamp = now.isoformat()
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "INSERT INTO chats (channel, chat_id, first_seen, last_seen, messages)"
                " VALUES (?, ?, ?, ?, 1) ON CONFLICT (channel, chat_id)"
                " DO UPDATE SET last_seen = excluded.last_seen, messages = chats.messages + 1"
                " RETURNING messages",
                (channel, chat_id, stamp, stamp),
            )
        return bool(row and row[0] == 1)

    async def set_chat_commune(self, chat: ChatRef, commune_id: str | None) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE chats SET commune_id = ? WHERE channel = ? AND chat_id = ?",
                (commune_id, chat.channel, chat.chat_id),
            )

    async def chat_commune(self, chat: ChatRef) -> str | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT commune_id FROM chats WHERE channel = ? AND chat_id = ?",
                (chat.channel, chat.chat_id),
            )
        return str(row[0]) if row and row[0] is not None else None

    async def deactivate_chat(self, chat: ChatRef) -> None:
        params = (chat.channel, chat.chat_id)
        async with self.db.transaction() as session:
            for table in ("follows", "subscriptions"):
                await session.execute(
                    f"UPDATE {table} SET active = 0 WHERE channel = ? AND chat_id = ?", params
                )

    async def forget_chat(self, chat: ChatRef) -> None:
        """/xoadulieu: every area's part, in one transaction. This list is the whole of it
        (tests/test_care.py checks that no table keeps a row linked to the chat)."""
        async with self.db.transaction() as session:
            await forget_tickets(session, chat)  # anonymised; an open one closed, its holder told
            await forget_follows(session, chat)  # follows, consents
            await forget_subscriptions(session, chat)
            await forget_lookups(session, chat)
            await forget_conversations(session, chat)
            await forget_messages(session, chat)  # the outbox, sent or not
            await forget_inbox(session, chat)  # handled updates' text (issue 18)
            await unlink_care(session, chat)  # ratings and feedback unlinked, volunteer gone
            await session.execute(
                "DELETE FROM chats WHERE channel = ? AND chat_id = ?", (chat.channel, chat.chat_id)
            )
            if chat.channel == ZALO:
                await forget_zalo_traces(session, chat.chat_id)
