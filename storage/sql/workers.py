"""Several worker processes on one database (issue 18): the inbox, chat leases, named leases,
notices between processes (`storage.base.WorkerStore`).

A chat is handed to one worker at a time by a row in `leases` named `chat/<channel>/<id>`,
taken in the same statement that finds the oldest waiting messages (their rows locked with
`SKIP LOCKED`, so that claimers running together look at different rows); a row already held
and not expired is left alone (`ON CONFLICT … DO UPDATE … WHERE expires_at <= now`: a second
claimer waits for the first's insert and then finds it live). The holder handles the chat's
messages in arrival order and deletes its lease when none is left; a holder that dies stops
renewing, and its chats are taken over once their leases expire.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from storage.base import ChatRef, InboxEvent
from storage.sql.chores import delete_in_batches
from storage.sql.session import Database, Session

ZALO = "zalo"  # Zalo's events are in zalo_inbox (storage.sql.zalo), stored by its webhook
_NAME = re.compile(r"^[a-z0-9_-]+$")
# A claim for n chats reads up to this many waiting messages per chat wanted.
SCAN_PER_CHAT = 4


@dataclass(frozen=True)
class _Source:
    """Where a channel's waiting messages are, and how they are ordered."""

    table: str
    key: str
    chat: str
    where: str
    order: str


def chat_lease(channel: str, chat_id: str) -> str:
    return f"chat/{channel}/{chat_id}"


async def forget_inbox(session: Session, chat: ChatRef) -> None:
    """Part of erasing a chat: the text of its handled updates (the ids stay, so that a
    redelivery is still refused); updates not handled yet stay, they are messages to answer."""
    await session.execute(
        "UPDATE inbox SET chat_id = '', payload = '{}', last_error = NULL"
        " WHERE channel = ? AND chat_id = ? AND status <> 'pending'",
        (chat.channel, chat.chat_id),
    )


class SqlWorkers:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _source(self, channel: str) -> _Source:
        if not _NAME.match(channel):  # it is written into the SQL below
            raise ValueError(f"not a channel name: {channel!r}")
        if channel == ZALO:
            arrival = self.db.dialect.arrival_order
            return _Source("zalo_inbox", "event_key", "user_id", "", f"received_at, {arrival}")
        return _Source("inbox", "event_id", "chat_id", f" AND channel = '{channel}'", "id")

    async def add_update(
        self, channel: str, event_id: str, chat_id: str, payload: str, now: dt.datetime
    ) -> bool:
        async with self.db.connection() as session:
            added = await session.execute(
                "INSERT INTO inbox (channel, event_id, chat_id, payload, status, received_at)"
                " VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT (channel, event_id) DO NOTHING",
                (channel, event_id, chat_id, payload, now.isoformat()),
            )
        return added > 0

    async def claim_chats(
        self, channel: str, worker: str, now: dt.datetime, until: dt.datetime, limit: int
    ) -> list[str]:
        source = self._source(channel)
        prefix = chat_lease(channel, "")
        stamp = now.isoformat()
        columns = [column.strip() for column in source.order.split(",")]
        picked = ", ".join(f"t.{column} AS o{n}" for n, column in enumerate(columns))
        order = ", ".join(f"t.{column}" for column in columns)
        first = ", ".join(f"MIN(o{n})" for n in range(len(columns)))
        async with self.db.connection() as session:
            # The oldest waiting messages of chats nobody holds (a few per chat wanted, since
            # a chat may have several waiting), their chats by their oldest message.
            rows = await session.fetch_all(
                "INSERT INTO leases (name, holder, expires_at)"
                f" SELECT '{prefix}' || chats.chat, CAST(? AS TEXT), CAST(? AS TEXT) FROM"
                f" (SELECT waiting.chat FROM (SELECT t.{source.chat} AS chat, {picked}"
                f" FROM {source.table} AS t WHERE t.status = 'pending'{source.where}"
                " AND NOT EXISTS (SELECT 1 FROM leases AS l"
                f" WHERE l.name = '{prefix}' || t.{source.chat} AND l.expires_at > ?)"
                f" ORDER BY {order} LIMIT ?{self.db.dialect.skip_locked}) AS waiting"
                f" GROUP BY waiting.chat ORDER BY {first} LIMIT ?) AS chats"
                " WHERE true"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " expires_at = excluded.expires_at WHERE leases.expires_at <= ?"
                " RETURNING name",
                (worker, until.isoformat(), stamp, limit * SCAN_PER_CHAT, limit, stamp),
            )
        return [str(row[0])[len(prefix) :] for row in rows]

    async def chat_events(self, channel: str, chat_id: str, limit: int) -> list[InboxEvent]:
        source = self._source(channel)
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {source.key}, {source.chat}, payload, received_at FROM {source.table}"
                f" WHERE {source.chat} = ? AND status = 'pending'{source.where}"
                f" ORDER BY {source.order} LIMIT ?",
                (chat_id, limit),
            )
        return [InboxEvent(row[0], row[1], row[2], _moment(row[3])) for row in rows]

    async def finish_update(
        self, channel: str, event_id: str, now: dt.datetime, error: str | None = None
    ) -> None:
        source = self._source(channel)
        async with self.db.connection() as session:
            await session.execute(
                f"UPDATE {source.table} SET status = ?, processed_at = ?, last_error = ?"
                f" WHERE {source.key} = ?{source.where}",
                ("failed" if error else "done", now.isoformat(), error, event_id),
            )

    async def release_chat(self, channel: str, chat_id: str, worker: str) -> bool:
        source = self._source(channel)
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "DELETE FROM leases WHERE name = ? AND holder = ? AND NOT EXISTS"
                f" (SELECT 1 FROM {source.table} WHERE {source.chat} = ?"
                f" AND status = 'pending'{source.where}) RETURNING name",
                (chat_lease(channel, chat_id), worker, chat_id),
            )
        return row is not None

    async def take_lease(
        self, name: str, worker: str, now: dt.datetime, until: dt.datetime
    ) -> bool:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " expires_at = excluded.expires_at"
                " WHERE leases.expires_at <= ? OR leases.holder = excluded.holder"
                " RETURNING name",
                (name, worker, until.isoformat(), now.isoformat()),
            )
        return row is not None

    async def renew_leases(self, worker: str, until: dt.datetime) -> int:
        async with self.db.connection() as session:
            return await session.execute(
                "UPDATE leases SET expires_at = ? WHERE holder = ?", (until.isoformat(), worker)
            )

    async def drop_leases(self, worker: str) -> int:
        async with self.db.connection() as session:
            return await session.execute("DELETE FROM leases WHERE holder = ?", (worker,))

    async def inbox_depth(self) -> dict[str, tuple[int, dt.datetime | None]]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                "SELECT channel, COUNT(*), MIN(received_at) FROM inbox"
                " WHERE status = 'pending' GROUP BY channel"
            )
            zalo = await session.fetch_one(
                "SELECT COUNT(*), MIN(received_at) FROM zalo_inbox WHERE status = 'pending'"
            )
        depth = {str(row[0]): (int(row[1]), _moment(row[2])) for row in rows}
        if zalo is not None and zalo[0]:
            depth[ZALO] = (int(zalo[0]), _moment(zalo[1]))
        return depth

    async def forget_handled_before(self, moment: dt.datetime) -> int:
        stamp = moment.isoformat()
        forgotten = await delete_in_batches(
            self.db, "inbox", "status IN ('done', 'failed') AND received_at < ?", [stamp]
        )
        async with self.db.connection() as session:  # leases of workers long gone
            await session.execute("DELETE FROM leases WHERE expires_at < ?", (stamp,))
        return forgotten

    async def notify(self, topic: str, payload: str = "") -> None:
        await self.db.notify(topic, payload)

    async def listen(self, topic: str, callback: Callable[[str], None]) -> None:
        await self.db.listen(topic, callback)


def _moment(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value)) if value else None
