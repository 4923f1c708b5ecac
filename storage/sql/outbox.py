"""The outbox: every notification is a row before it is a message on the wire.

Delivery is at-least-once only for messages a worker had claimed (`sending`) when it died:
those are sent again after a restart. Every other message is delivered exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from core.outbox import outbox_kind
from storage.base import ChatRef, OutboxItem, OutboxMessage, OutboxStatus
from storage.sql.session import Database, Session


async def insert_outbox(session: Session, messages: Sequence[OutboxMessage], stamp: str) -> int:
    """Queue messages inside the caller's transaction (a known dedupe key is skipped)."""
    added = 0
    for message in messages:
        added += await session.execute(
            "INSERT INTO outbox (dedupe_key, channel, chat_id, kind, payload, status,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            (
                message.dedupe_key,
                message.channel,
                message.chat_id,
                message.kind,
                json.dumps(message.payload, ensure_ascii=False),
                stamp,
                stamp,
            ),
        )
    return added


async def forget_messages(session: Session, chat: ChatRef) -> None:
    """Part of erasing a chat: its messages, sent or not (a sent one still links the chat to a
    dossier)."""
    await session.execute(
        "DELETE FROM outbox WHERE channel = ? AND chat_id = ?", (chat.channel, chat.chat_id)
    )


class SqlOutbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def enqueue(self, messages: Sequence[OutboxMessage], now: dt.datetime) -> int:
        async with self.db.transaction() as session:
            return await insert_outbox(session, messages, now.isoformat())

    async def claim_due(
        self,
        now: dt.datetime,
        limit: int,
        channels: Sequence[str] | None = None,
        chat: ChatRef | None = None,
    ) -> list[OutboxItem]:
        where = "status = 'pending' AND next_attempt_at <= ?"
        params: list[object] = [now.isoformat()]
        if channels is not None:
            where += f" AND channel IN ({','.join('?' * len(channels))})"
            params += list(channels)
        if chat is not None:
            where += " AND channel = ? AND chat_id = ?"
            params += [chat.channel, chat.chat_id]
        async with self.db.connection() as session:
            # One statement, atomic by itself (one trip to the database, not four: the
            # Telegram worker claims a row or two per message).
            rows = await session.fetch_all(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN"
                # Broadcasts have a lower priority (1): a dossier's message queued behind
                # thousands of notices still goes out first.
                f" (SELECT id FROM outbox WHERE {where}"
                f" ORDER BY priority, next_attempt_at, id LIMIT ?{self.db.dialect.skip_locked})"
                " RETURNING id, dedupe_key, channel, chat_id, kind, payload, attempts, created_at,"
                " priority, next_attempt_at",
                [*params, limit],
            )
        rows.sort(key=lambda row: (row[8], row[9], row[0]))  # RETURNING keeps no order
        items = []
        for row in rows:
            kind = outbox_kind(row[4])
            if kind is None:  # written by a newer version sharing the database
                await self.mark_failed(row[0], f"unknown kind {row[4]!r}", now)
                continue
            items.append(
                OutboxItem(
                    id=row[0],
                    message=OutboxMessage(row[1], row[2], row[3], kind, json.loads(row[5])),
                    attempts=row[6],
                    created_at=dt.datetime.fromisoformat(row[7]),
                )
            )
        return items

    async def mark_sent(self, item_id: int, message_id: str | None, now: dt.datetime) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,"
                " last_error = NULL WHERE id = ?",
                (now.isoformat(), message_id, item_id),
            )

    async def mark_retry(self, item_id: int, error: str, next_attempt: dt.datetime) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (next_attempt.isoformat(), error[:500], item_id),
            )

    async def mark_failed(self, item_id: int, error: str, now: dt.datetime) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE outbox SET status = 'failed', last_error = ?, sent_at = NULL WHERE id = ?",
                (f"{now.isoformat()} {error}"[:500], item_id),
            )

    async def mark_cancelled(self, item_id: int, now: dt.datetime) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = ? WHERE id = ?",
                (f"{now.isoformat()} cancelled before sending", item_id),
            )

    async def mark_held(self, item_id: int, reason: str, now: dt.datetime) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE outbox SET status = 'held', last_error = ? WHERE id = ?",
                (f"{now.isoformat()} {reason}"[:500], item_id),
            )

    async def release_held(self, chat: ChatRef, now: dt.datetime) -> int:
        async with self.db.connection() as session:
            return await session.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?"
                " WHERE channel = ? AND chat_id = ? AND status = 'held'",
                (now.isoformat(), chat.channel, chat.chat_id),
            )

    async def recover_in_flight(self, channels: Sequence[str] | None = None) -> int:
        where, params = "status = 'sending'", []
        if channels is not None:
            where += f" AND channel IN ({','.join('?' * len(channels))})"
            params = list(channels)
        async with self.db.connection() as session:
            return await session.execute(
                f"UPDATE outbox SET status = 'pending' WHERE {where}", params
            )

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        async with self.db.connection() as session:
            rows = await session.fetch_all("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        counts = dict.fromkeys(OutboxStatus, 0)
        counts.update({OutboxStatus(status): count for status, count in rows})
        return counts

    async def oldest_unsent(self) -> dt.datetime | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT MIN(created_at) FROM outbox WHERE status IN ('pending', 'sending')"
            )
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None
