"""Zalo Official Account: the webhook inbox, followers and their reply window, button tokens,
OAuth tokens. Only the Zalo adapter uses these (`storage.base.ZaloStore`).

The inbox is written with a group commit: webhook requests that arrive while a write is under
way are stored together by the next write, one statement and one commit for all of them, and
each request is answered only once its own row is committed. Under load this turns N trips to
the database (and N commits) into one; a lone request is written at once, alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence

from storage.base import InboxEvent, ZaloFollower, ZaloTokens
from storage.sql.chores import delete_in_batches
from storage.sql.rows import optional_time
from storage.sql.session import Database, Session

# Rows per inbox write: 4 parameters each, far below SQLite's limit on parameters.
INBOX_GROUP_MAX = 256

_Row = tuple[str, str, str, str]


async def forget_zalo_traces(session: Session, user_id: str) -> None:
    """The person's Zalo traces: follower state, reply window, last numbered list, and the text
    of their handled webhook events (the keys stay, so a redelivery is still refused). Events
    not handled yet stay: they are messages still to answer."""
    await session.execute("DELETE FROM zalo_followers WHERE user_id = ?", (user_id,))
    await session.execute(
        "UPDATE zalo_inbox SET user_id = '', payload = '{}', last_error = NULL"
        " WHERE user_id = ? AND status <> 'pending'",
        (user_id,),
    )


class SqlZalo:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._inbox_queue: list[tuple[_Row, asyncio.Future[bool]]] = []
        self._inbox_writer: asyncio.Task[None] | None = None

    # -- the inbox: stored before Zalo gets its 200, processed afterwards --
    async def inbox_add(self, event_key: str, user_id: str, payload: str, now: dt.datetime) -> bool:
        """Store an event; True once it is committed, False if its key was stored before.
        Events arriving meanwhile are committed together (see the module's docstring)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._inbox_queue.append(((event_key, user_id, payload, now.isoformat()), future))
        if self._inbox_writer is None or self._inbox_writer.done():
            self._inbox_writer = asyncio.create_task(self._write_inbox())
        return await future

    async def _write_inbox(self) -> None:
        while self._inbox_queue:
            async with self.db.connection() as session:
                # Taken only now, under the lock: whatever queued while we waited goes too.
                group = self._inbox_queue[:INBOX_GROUP_MAX]
                del self._inbox_queue[: len(group)]
                try:
                    stored = await _insert_inbox_rows(session, [row for row, _ in group])
                except BaseException as error:
                    for _, future in group:
                        if not future.done():
                            future.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
            for (_row, future), new in zip(group, _first_of_each(group, stored), strict=True):
                if not future.done():  # the request may have been cancelled meanwhile
                    future.set_result(new)

    async def inbox_pending(self, limit: int, per_user: int | None = None) -> list[InboxEvent]:
        # Issue 15: one person's flood of events does not fill the batch ahead of the others:
        # each person's n-th event comes after everyone's (n-1)-th (a window function, in
        # SQLite since 3.25 and in PostgreSQL).
        arrival = self.db.dialect.arrival_order
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                "SELECT event_key, user_id, payload FROM ("
                " SELECT event_key, user_id, payload, received_at, "
                f"{arrival} AS arrival, ROW_NUMBER() OVER (PARTITION BY user_id"
                f" ORDER BY received_at, {arrival}) AS turn"
                " FROM zalo_inbox WHERE status = 'pending') AS pending"
                " WHERE turn <= ? ORDER BY turn, received_at, arrival LIMIT ?",
                (per_user if per_user is not None else limit, limit),
            )
        return [InboxEvent(row[0], row[1], row[2]) for row in rows]

    async def inbox_done(
        self,
        event_keys: Sequence[str],
        now: dt.datetime,
        error: str | None = None,
        *,
        keep_payload: bool = True,
    ) -> None:
        status = "failed" if error else "done"
        payload = "" if keep_payload else ", payload = '{}'"
        async with self.db.connection() as session:
            await session.execute_many(
                f"UPDATE zalo_inbox SET status = ?, processed_at = ?, last_error = ?{payload}"
                " WHERE event_key = ?",
                [(status, now.isoformat(), error, key) for key in event_keys],
            )

    async def inbox_counts(self) -> dict[str, int]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                "SELECT status, COUNT(*) FROM zalo_inbox GROUP BY status"
            )
        return {status: count for status, count in rows}

    async def forget_inbox_before(self, moment: dt.datetime) -> int:
        # Handled or failed (never pending), spelled so that the (status, received_at) index
        # finds them.
        return await delete_in_batches(
            self.db,
            "zalo_inbox",
            "status IN ('done', 'failed') AND received_at < ?",
            [moment.isoformat()],
        )

    async def forget_zalo_user(self, user_id: str) -> None:
        async with self.db.transaction() as session:
            await forget_zalo_traces(session, user_id)

    # -- followers and the reply window --
    async def zalo_interaction(
        self, user_id: str, now: dt.datetime, message_id: str | None = None
    ) -> None:
        """The person wrote or pressed a button: the free window starts again; replies carry
        the id of their message (`message_id`, kept until the next one)."""
        stamp = now.isoformat()
        async with self.db.connection() as session:
            await session.execute(
                "INSERT INTO zalo_followers (user_id, followed, last_interaction, cs_sent,"
                " last_message_id, updated_at) VALUES (?, 1, ?, 0, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET"
                " last_interaction = excluded.last_interaction, cs_sent = 0,"
                " last_message_id = COALESCE(excluded.last_message_id,"
                " zalo_followers.last_message_id), updated_at = excluded.updated_at",
                (user_id, stamp, message_id, stamp),
            )

    async def zalo_set_followed(self, user_id: str, followed: bool, now: dt.datetime) -> None:
        stamp = now.isoformat()
        async with self.db.connection() as session:
            await session.execute(
                "INSERT INTO zalo_followers (user_id, followed, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET followed = excluded.followed,"
                " updated_at = excluded.updated_at",
                (user_id, int(followed), stamp),
            )

    async def zalo_follower(self, user_id: str) -> ZaloFollower | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT followed, last_interaction, cs_sent, choices, last_message_id"
                " FROM zalo_followers"
                " WHERE user_id = ?",
                (user_id,),
            )
        if row is None:
            return None
        return ZaloFollower(
            user_id=user_id,
            followed=bool(row[0]),
            last_interaction=optional_time(row[1]),
            cs_sent=int(row[2]),
            choices=tuple(json.loads(row[3])) if row[3] else (),
            last_message_id=row[4],
        )

    async def zalo_count_cs(self, user_id: str, sent: int = 1) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE zalo_followers SET cs_sent = cs_sent + ? WHERE user_id = ?",
                (sent, user_id),
            )

    async def zalo_set_choices(self, user_id: str, tokens: Sequence[str]) -> None:
        """The buttons of the last reply, in order, for a person who types their number."""
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE zalo_followers SET choices = ? WHERE user_id = ?",
                (json.dumps(list(tokens)), user_id),
            )

    # -- button tokens --
    async def zalo_save_buttons(
        self, buttons: Sequence[tuple[str, str, str]], now: dt.datetime
    ) -> None:
        """(token, data, label) triples; a token already known is kept as it is."""
        async with self.db.connection() as session:
            await session.execute_many(
                "INSERT INTO zalo_buttons (token, data, label, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (token) DO NOTHING",
                [(token, data, label, now.isoformat()) for token, data, label in buttons],
            )

    async def zalo_button(self, token: str) -> tuple[str, str] | None:
        """(data, label) for a token, or None if it is unknown."""
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT data, label FROM zalo_buttons WHERE token = ?", (token,)
            )
        return (row[0], row[1]) if row else None

    # -- OAuth tokens --
    async def zalo_tokens(self) -> ZaloTokens | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT access_token, refresh_token, expires_at, seed FROM zalo_tokens WHERE id = 1"
            )
        if row is None:
            return None
        return ZaloTokens(row[0], row[1], dt.datetime.fromisoformat(row[2]), row[3])

    async def zalo_save_tokens(self, tokens: ZaloTokens, now: dt.datetime) -> None:
        """One statement, one transaction: the single-use refresh token is never half-written."""
        async with self.db.transaction() as session:
            await session.execute(
                "INSERT INTO zalo_tokens (id, access_token, refresh_token, expires_at,"
                " refreshed_at, seed) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
                " expires_at = excluded.expires_at, refreshed_at = excluded.refreshed_at,"
                " seed = COALESCE(excluded.seed, zalo_tokens.seed)",
                (
                    tokens.access_token,
                    tokens.refresh_token,
                    tokens.expires_at.isoformat(),
                    now.isoformat(),
                    tokens.seed,
                ),
            )


async def _insert_inbox_rows(session: Session, rows: Sequence[_Row]) -> set[str]:
    """One INSERT for every row (one implicit transaction); the keys actually inserted."""
    values = ", ".join(["(?, ?, ?, ?)"] * len(rows))
    inserted = await session.fetch_all(
        "INSERT INTO zalo_inbox (event_key, user_id, payload, received_at) VALUES "
        + values
        + " ON CONFLICT (event_key) DO NOTHING RETURNING event_key",
        [value for row in rows for value in row],
    )
    return {row[0] for row in inserted}


def _first_of_each(group: Sequence[tuple[_Row, object]], inserted: set[str]) -> list[bool]:
    """Whether each queued row was new: a key inserted counts once, for its first request
    (Zalo may send the same event twice within one group)."""
    seen: set[str] = set()
    result = []
    for (key, *_rest), _future in group:
        result.append(key in inserted and key not in seen)
        seen.add(key)
    return result
