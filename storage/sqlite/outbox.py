"""The outbox: every notification is a row before it is a message on the wire.

Delivery is at-least-once only for messages a worker had claimed (`sending`) when it died:
those are sent again after a restart. Every other message is delivered exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from storage.base import ChatRef, OutboxItem, OutboxMessage, OutboxStatus
from storage.sqlite.connection import SqliteConnection


class OutboxMixin(SqliteConnection):
    async def enqueue(self, messages: Sequence[OutboxMessage], now: dt.datetime) -> int:
        async with self._lock, self._transaction():
            return await self._insert_outbox(messages, now.isoformat())

    async def _insert_outbox(self, messages: Sequence[OutboxMessage], stamp: str) -> int:
        added = 0
        for message in messages:
            cursor = await self._db.execute(
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
            added += cursor.rowcount
        return added

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
        async with self._lock:
            # One statement, atomic by itself (one trip to the database thread, not four: the
            # Telegram worker claims a row or two per message).
            rows = await self._all(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN"
                # Broadcasts have a lower priority (1): a dossier's message queued behind
                # thousands of notices still goes out first.
                f" (SELECT id FROM outbox WHERE {where}"
                " ORDER BY priority, next_attempt_at, id LIMIT ?)"
                " RETURNING id, dedupe_key, channel, chat_id, kind, payload, attempts, created_at,"
                " priority, next_attempt_at",
                [*params, limit],
            )
        rows.sort(key=lambda row: (row[8], row[9], row[0]))  # RETURNING keeps no order
        return [
            OutboxItem(
                id=row[0],
                message=OutboxMessage(row[1], row[2], row[3], row[4], json.loads(row[5])),
                attempts=row[6],
                created_at=dt.datetime.fromisoformat(row[7]),
            )
            for row in rows
        ]

    async def mark_sent(self, item_id: int, message_id: str | None, now: dt.datetime) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,"
                " last_error = NULL WHERE id = ?",
                (now.isoformat(), message_id, item_id),
            )

    async def mark_retry(self, item_id: int, error: str, next_attempt: dt.datetime) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (next_attempt.isoformat(), error[:500], item_id),
            )

    async def mark_failed(self, item_id: int, error: str, now: dt.datetime) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET status = 'failed', last_error = ?, sent_at = NULL WHERE id = ?",
                (f"{now.isoformat()} {error}"[:500], item_id),
            )

    async def mark_cancelled(self, item_id: int, now: dt.datetime) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = ? WHERE id = ?",
                (f"{now.isoformat()} cancelled before sending", item_id),
            )

    async def mark_held(self, item_id: int, reason: str, now: dt.datetime) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE outbox SET status = 'held', last_error = ? WHERE id = ?",
                (f"{now.isoformat()} {reason}"[:500], item_id),
            )

    async def release_held(self, chat: ChatRef, now: dt.datetime) -> int:
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?"
                " WHERE channel = ? AND chat_id = ? AND status = 'held'",
                (now.isoformat(), chat.channel, chat.chat_id),
            )
        return cursor.rowcount

    async def recover_in_flight(self, channels: Sequence[str] | None = None) -> int:
        where, params = "status = 'sending'", []
        if channels is not None:
            where += f" AND channel IN ({','.join('?' * len(channels))})"
            params = list(channels)
        async with self._lock:
            cursor = await self._db.execute(
                f"UPDATE outbox SET status = 'pending' WHERE {where}", params
            )
        return cursor.rowcount

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        async with self._lock:
            rows = await self._all("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        counts = dict.fromkeys(OutboxStatus, 0)
        counts.update({OutboxStatus(status): count for status, count in rows})
        return counts
