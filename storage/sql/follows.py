"""Chats following dossiers, the names volunteers give them, and the consents they rest on."""

from __future__ import annotations

import datetime as dt

from storage.base import ChatRef, Follow, Purpose
from storage.sql.rows import DOSSIER_COLUMNS, DOSSIER_WIDTH, prefixed, to_dossier
from storage.sql.session import Database, Session


async def insert_consent(
    session: Session, chat: ChatRef, purpose: Purpose, detail: str, stamp: str
) -> None:
    await session.execute(
        "INSERT INTO consents (channel, chat_id, purpose, detail, granted_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (chat.channel, chat.chat_id, purpose.value, detail, stamp),
    )


async def drop_follow(session: Session, chat: ChatRef, code_key: str, stamp: str) -> int:
    """Delete a chat's follow of a dossier; the follow's consent, and a volunteer's consent to
    see the name (issue 7), end with it. How many follows were deleted (0 or 1)."""
    removed = await session.execute(
        "DELETE FROM follows WHERE channel = ? AND chat_id = ? AND code_key = ?",
        (chat.channel, chat.chat_id, code_key),
    )
    await session.execute(
        "UPDATE consents SET withdrawn_at = ? WHERE channel = ? AND chat_id = ?"
        " AND purpose IN (?, ?) AND detail LIKE ? AND withdrawn_at IS NULL",
        (
            stamp,
            chat.channel,
            chat.chat_id,
            Purpose.FOLLOW_DOSSIER.value,
            Purpose.VOLUNTEER.value,
            f"{code_key}:%",
        ),
    )
    return removed


async def forget_follows(session: Session, chat: ChatRef) -> None:
    """Part of erasing a chat: its follows and every consent it gave."""
    for table in ("follows", "consents"):
        await session.execute(
            f"DELETE FROM {table} WHERE channel = ? AND chat_id = ?", (chat.channel, chat.chat_id)
        )


class SqlFollows:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(
        self, chat: ChatRef, code_key: str, label: str | None, consent_text: str, now: dt.datetime
    ) -> None:
        stamp = now.isoformat()
        async with self.db.transaction() as session:
            await session.execute(
                "INSERT INTO follows (channel, chat_id, code_key, label, followed_at, active)"
                " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (channel, chat_id, code_key)"
                " DO UPDATE SET active = 1, label = COALESCE(excluded.label, follows.label)",
                (chat.channel, chat.chat_id, code_key, label, stamp),
            )
            await insert_consent(
                session, chat, Purpose.FOLLOW_DOSSIER, f"{code_key}: {consent_text}", stamp
            )

    async def unfollow(self, chat: ChatRef, code_key: str, now: dt.datetime) -> bool:
        async with self.db.transaction() as session:
            removed = await drop_follow(session, chat, code_key, now.isoformat())
        return removed > 0

    async def follows(self, chat: ChatRef) -> list[Follow]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {prefixed(DOSSIER_COLUMNS, 'd')}, f.label, f.followed_at FROM follows f"
                " JOIN dossiers d ON d.code_key = f.code_key"
                " WHERE f.channel = ? AND f.chat_id = ? AND f.active = 1"
                " ORDER BY f.followed_at, d.code_key",
                (chat.channel, chat.chat_id),
            )
        width = DOSSIER_WIDTH
        return [
            Follow(to_dossier(row[:width]), row[width], dt.datetime.fromisoformat(row[width + 1]))
            for row in rows
        ]

    async def is_following(self, chat: ChatRef, code_key: str) -> bool:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT 1 FROM follows WHERE channel = ? AND chat_id = ? AND code_key = ?"
                " AND active = 1",
                (chat.channel, chat.chat_id, code_key),
            )
        return row is not None

    async def label_follow(self, chat: ChatRef, code_key: str, label: str) -> bool:
        """Name a followed dossier ("Bà Lan – khai sinh cháu"); False if the chat does not
        follow it."""
        async with self.db.connection() as session:
            changed = await session.execute(
                "UPDATE follows SET label = ? WHERE channel = ? AND chat_id = ? AND code_key = ?"
                " AND active = 1",
                (label, chat.channel, chat.chat_id, code_key),
            )
        return changed == 1

    async def follow_label(self, chat: ChatRef, code_key: str) -> str | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT label FROM follows WHERE channel = ? AND chat_id = ? AND code_key = ?"
                " AND active = 1",
                (chat.channel, chat.chat_id, code_key),
            )
        return row[0] if row else None

    async def record_consent(
        self, chat: ChatRef, purpose: Purpose, detail: str, now: dt.datetime
    ) -> None:
        async with self.db.connection() as session:
            await insert_consent(session, chat, purpose, detail, now.isoformat())

    async def has_dossier_consent(self, chat: ChatRef, purpose: Purpose, code_key: str) -> bool:
        """A consent of this purpose about one dossier, given and not withdrawn."""
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT 1 FROM consents WHERE channel = ? AND chat_id = ? AND purpose = ?"
                " AND detail LIKE ? AND withdrawn_at IS NULL",
                (chat.channel, chat.chat_id, purpose.value, f"{code_key}:%"),
            )
        return row is not None
