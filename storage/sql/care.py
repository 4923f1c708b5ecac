"""Issue 7: ratings, feedback, volunteers, appointment-day reminders, unlinking old dossiers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.care import Feedback, Rating, Volunteer, VolunteerStatus, feedback_number
from core.dossiers import STATUS_INFO, Status
from core.officers import AuditEntry
from core.outbox import OutboxKind
from storage.base import ChatRef, OutboxMessage, OutboxStatus, Purpose
from storage.sql.officers import insert_audit
from storage.sql.outbox import insert_outbox
from storage.sql.rows import day_range, optional_time
from storage.sql.session import Database, Session

_FEEDBACK_COLUMNS = (
    "id, number, channel, chat_id, text, created_at, answer, answered_by, answerer_name,"
    " answered_at, commune_id"
)
_VOLUNTEER_COLUMNS = (
    "channel, user_id, chat_id, name, team, hamlet, status, requested_at, decided_by, decided_at,"
    " commune_id"
)
# Issue 19: feedback, volunteers (and tickets) belong to the commune their chat chose.
CHAT_COMMUNE = "(SELECT commune_id FROM chats WHERE channel = ? AND chat_id = ?)"
# Unlinking waits for the end: a result still waiting to be collected (READY) keeps its followers.
_FINISHED = tuple(s.value for s in Status if STATUS_INFO[s].finished and s is not Status.READY)


# The daily reminders: ready dossiers by (status, due_date), their follows by code_key.
READY_REMINDERS = (
    "SELECT f.code_key, f.channel, f.chat_id FROM follows f"
    " JOIN dossiers d ON d.code_key = f.code_key"
    " WHERE f.active = 1 AND d.status = ? AND d.due_date >= ? AND d.due_date <= ?"
)
# Follows per transaction, and a pause between two: on SQLite every reply waits for the batch
# under way, and a reply's three trips to storage must not each wait for one. At 5 M dossiers and
# 500,000 follows (bench/chores.py): 100 follows, no pause: reply p99 65–113 ms, worst 0.35–0.5 s;
# 50 follows, 2 ms: p99 21 ms, worst 87 ms (the chore takes 65 s instead of 30 s).
UNLINK_BATCH = 50
UNLINK_PAUSE = 0.002  # seconds


def _notice(kind: OutboxKind, key: str, chat: ChatRef, payload: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        f"{kind}:{key}:{chat.channel}:{chat.chat_id}", chat.channel, chat.chat_id, kind, payload
    )


async def unlink_care(session: Session, chat: ChatRef) -> None:
    """Part of erasing a chat: its ratings and feedback stay for the office's figures and
    records but are unlinked from it; a volunteer's registration goes."""
    params = (chat.channel, chat.chat_id)
    for table in ("ratings", "feedback"):
        await session.execute(
            f"UPDATE {table} SET channel = NULL, chat_id = NULL WHERE channel = ? AND chat_id = ?",
            params,
        )
    await session.execute("DELETE FROM volunteers WHERE channel = ? AND chat_id = ?", params)


class SqlCare:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- ratings ---------------------------------------------------------------------------------

    async def save_rating(self, chat: ChatRef, rating: Rating) -> bool:
        """Store a chat's rating of a dossier; False if this chat rated it already."""
        on_time, trips, attitude = rating.scores
        async with self.db.connection() as session:
            added = await session.execute(
                "INSERT INTO ratings (code_key, channel, chat_id, on_time, trips, attitude,"
                " rated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (code_key, channel, chat_id) DO NOTHING",
                (
                    rating.code_key,
                    chat.channel,
                    chat.chat_id,
                    on_time,
                    trips,
                    attitude,
                    rating.rated_at.isoformat(),
                ),
            )
        return added == 1

    async def has_rated(self, chat: ChatRef, code_key: str) -> bool:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT 1 FROM ratings WHERE code_key = ? AND channel = ? AND chat_id = ?",
                (code_key, chat.channel, chat.chat_id),
            )
        return row is not None

    async def ratings_between(self, first: dt.date, last: dt.date) -> list[Rating]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                "SELECT code_key, on_time, trips, attitude, rated_at FROM ratings"
                " WHERE rated_at >= ? AND rated_at < ? ORDER BY rated_at, id",
                day_range(first, last),
            )
        return [
            Rating(r[0], (int(r[1]), int(r[2]), int(r[3])), dt.datetime.fromisoformat(r[4]))
            for r in rows
        ]

    # -- feedback --------------------------------------------------------------------------------

    async def create_feedback(
        self, chat: ChatRef, text: str, now: dt.datetime, officers: Sequence[ChatRef]
    ) -> Feedback:
        """Number the item within the year and tell the officers, in one transaction."""
        stamp = now.isoformat()
        async with self.db.transaction() as session:
            await session.serialize_writes("feedback")  # numbered MAX + 1 within the year
            row = await session.fetch_one(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM feedback WHERE year = ?", (now.year,)
            )
            seq = int(row[0]) if row else 1
            number = feedback_number(seq, now.year)
            inserted = await session.fetch_one(
                "INSERT INTO feedback (year, seq, number, channel, chat_id, text, created_at,"
                f" commune_id) VALUES (?, ?, ?, ?, ?, ?, ?, {CHAT_COMMUNE}) RETURNING id",
                (
                    now.year,
                    seq,
                    number,
                    chat.channel,
                    chat.chat_id,
                    text,
                    stamp,
                    chat.channel,
                    chat.chat_id,
                ),
            )
            assert inserted is not None
            feedback_id = int(inserted[0])
            commune = await session.fetch_one(
                "SELECT commune_id FROM feedback WHERE id = ?", (feedback_id,)
            )
            await insert_outbox(
                session,
                [
                    _notice(
                        OutboxKind.FEEDBACK_NEW, str(feedback_id), c, {"feedback_id": feedback_id}
                    )
                    for c in officers
                ],
                stamp,
            )
        return Feedback(
            feedback_id,
            number,
            chat.channel,
            chat.chat_id,
            text,
            now,
            commune_id=commune[0] if commune else None,
        )

    async def get_feedback(self, feedback_id: int) -> Feedback | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                f"SELECT {_FEEDBACK_COLUMNS} FROM feedback WHERE id = ?", (feedback_id,)
            )
        return _feedback(row) if row else None

    async def feedback_items(
        self, answered: bool, limit: int, commune_id: str | None = None
    ) -> list[Feedback]:
        """Open items oldest first (answer them in order); answered ones newest first."""
        where, order = (
            ("answer IS NOT NULL", "answered_at DESC")
            if answered
            else ("answer IS NULL", "created_at")
        )
        params: tuple[object, ...] = (limit,)
        if commune_id is not None:
            where, params = f"{where} AND commune_id = ?", (commune_id, limit)
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {_FEEDBACK_COLUMNS} FROM feedback WHERE {where} ORDER BY {order}, id"
                " LIMIT ?",
                params,
            )
        return [_feedback(r) for r in rows]

    async def feedback_between(self, first: dt.date, last: dt.date) -> list[Feedback]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {_FEEDBACK_COLUMNS} FROM feedback WHERE created_at >= ? AND created_at < ?"
                " ORDER BY created_at, id",
                day_range(first, last),
            )
        return [_feedback(r) for r in rows]

    async def answer_feedback(
        self, feedback_id: int, answer: str, audit: AuditEntry, now: dt.datetime
    ) -> Feedback | None:
        """Record the answer (once), queue it to the person, log the officer's action; None if
        the item is unknown or already answered."""
        stamp = now.isoformat()
        async with self.db.transaction() as session:
            answered = await session.execute(
                "UPDATE feedback SET answer = ?, answered_by = ?, answerer_name = ?,"
                " answered_at = ? WHERE id = ? AND answer IS NULL",
                (answer, audit.actor, audit.actor_name, stamp, feedback_id),
            )
            if answered != 1:
                return None
            row = await session.fetch_one(
                f"SELECT {_FEEDBACK_COLUMNS} FROM feedback WHERE id = ?", (feedback_id,)
            )
            assert row is not None
            feedback = _feedback(row)
            if feedback.channel is not None and feedback.chat_id is not None:
                chat = ChatRef(feedback.channel, feedback.chat_id)
                payload = {"feedback_id": feedback_id}
                await insert_outbox(
                    session,
                    [_notice(OutboxKind.FEEDBACK_ANSWER, str(feedback_id), chat, payload)],
                    stamp,
                )
            await insert_audit(session, audit)
        return feedback

    # -- volunteers ------------------------------------------------------------------------------

    async def request_volunteer(
        self, volunteer: Volunteer, now: dt.datetime, officers: Sequence[ChatRef]
    ) -> None:
        """A new or renewed request (pending again); the officers are told."""
        v, stamp = volunteer, now.isoformat()
        async with self.db.transaction() as session:
            await session.execute(
                f"INSERT INTO volunteers ({_VOLUNTEER_COLUMNS})"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, {CHAT_COMMUNE})"
                " ON CONFLICT (channel, user_id)"
                " DO UPDATE SET chat_id = excluded.chat_id, name = excluded.name,"
                " team = excluded.team, hamlet = excluded.hamlet, status = excluded.status,"
                " requested_at = excluded.requested_at, decided_by = NULL, decided_at = NULL,"
                " commune_id = excluded.commune_id",
                (
                    v.channel,
                    v.user_id,
                    v.chat_id,
                    v.name,
                    v.team,
                    v.hamlet,
                    VolunteerStatus.PENDING.value,
                    stamp,
                    v.channel,
                    v.chat_id,
                ),
            )
            key = f"{v.channel}:{v.user_id}:{stamp}"
            payload = {"channel": v.channel, "user_id": v.user_id}
            await insert_outbox(
                session,
                [_notice(OutboxKind.VOLUNTEER_REQUEST, key, c, payload) for c in officers],
                stamp,
            )

    async def get_volunteer(self, channel: str, user_id: str) -> Volunteer | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                f"SELECT {_VOLUNTEER_COLUMNS} FROM volunteers WHERE channel = ? AND user_id = ?",
                (channel, user_id),
            )
        return _volunteer(row) if row else None

    async def volunteers(self, commune_id: str | None = None) -> list[Volunteer]:
        where, params = ("WHERE commune_id = ?", (commune_id,)) if commune_id else ("", ())
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {_VOLUNTEER_COLUMNS} FROM volunteers {where}"
                " ORDER BY status, requested_at",
                params,
            )
        return [_volunteer(r) for r in rows]

    async def decide_volunteer(
        self, channel: str, user_id: str, approve: bool, audit: AuditEntry, now: dt.datetime
    ) -> Volunteer | None:
        """Approve or refuse a pending request, tell the volunteer, log it, record the consent
        to volunteer access; None if there is no pending request (decided already)."""
        status = VolunteerStatus.APPROVED if approve else VolunteerStatus.REFUSED
        stamp = now.isoformat()
        async with self.db.transaction() as session:
            decided = await session.execute(
                "UPDATE volunteers SET status = ?, decided_by = ?, decided_at = ?"
                " WHERE channel = ? AND user_id = ? AND status = ?",
                (
                    status.value,
                    audit.actor,
                    stamp,
                    channel,
                    user_id,
                    VolunteerStatus.PENDING.value,
                ),
            )
            if decided != 1:
                return None
            row = await session.fetch_one(
                f"SELECT {_VOLUNTEER_COLUMNS} FROM volunteers WHERE channel = ? AND user_id = ?",
                (channel, user_id),
            )
            assert row is not None
            volunteer = _volunteer(row)
            chat = ChatRef(volunteer.channel, volunteer.chat_id)
            payload = {"channel": channel, "user_id": user_id}
            await insert_outbox(
                session,
                [_notice(OutboxKind.VOLUNTEER_DECISION, f"{user_id}:{stamp}", chat, payload)],
                stamp,
            )
            await insert_audit(session, audit)
        return volunteer

    # -- daily care: reminders, unlinking --------------------------------------------------------

    async def queue_ready_reminders(self, first: dt.date, last: dt.date, now: dt.datetime) -> int:
        """For dossiers whose result waits to be collected and whose appointment day is within
        `first`..`last`: one reminder per following chat, ever."""
        async with self.db.transaction() as session:
            rows = await session.fetch_all(
                READY_REMINDERS, (Status.READY.value, first.isoformat(), last.isoformat())
            )
            messages = [
                _notice(
                    OutboxKind.READY_REMINDER,
                    code_key,
                    ChatRef(channel, chat_id),
                    {"code_key": code_key},
                )
                for code_key, channel, chat_id in rows
            ]
            return await insert_outbox(session, messages, now.isoformat())

    async def unlink_finished_before(
        self, moment: dt.datetime, now: dt.datetime, batch: int = UNLINK_BATCH
    ) -> int:
        """Unlink chats from dossiers finished (returned, refused…) before `moment`: the follow
        goes, its consents are marked withdrawn, the rating is unlinked, the dossier's messages
        to the chat are deleted. Returns how many links were removed.

        The daily chore walks the follows (not the dossiers: a finished dossier's follows go
        after a month, so they stay few however many dossiers the office holds) in the order of
        their primary key, `batch` at a time, each batch one short transaction."""
        unlinked, after = 0, ("", "", "")
        sql = unlink_batch_sql(self.db)
        while True:
            async with self.db.transaction() as session:
                rows = await session.fetch_all(sql, (*_FINISHED, moment.isoformat(), *after, batch))
                stale = [(c, i, k) for c, i, k, old in rows if old]
                if stale:
                    await _unlink(session, self.db, stale, now.isoformat())
            unlinked += len(stale)
            if len(rows) < batch:
                return unlinked
            after = tuple(rows[-1][:3])
            await asyncio.sleep(UNLINK_PAUSE)  # waiting replies finish before the next batch


async def _unlink(
    session: Session, db: Database, links: list[tuple[str, str, str]], stamp: str
) -> None:
    for start in range(0, len(links), _LINKS_PER_STATEMENT):
        await _unlink_some(session, db, links[start : start + _LINKS_PER_STATEMENT], stamp)


_LINKS_PER_STATEMENT = 1000  # 3 parameters each: below both engines' limits (32,766; 32,767)


async def _unlink_some(
    session: Session, db: Database, links: list[tuple[str, str, str]], stamp: str
) -> None:
    """Four statements for the whole batch (as `follows.drop_follow` does for one link): the
    follows go; their consents, and a volunteer's consent to see the name, are withdrawn; the
    ratings stay for the figures, unlinked (a chat that no longer follows cannot rate again);
    the dossiers' messages to the chats go, except one a worker is sending right now."""
    values = ", ".join(["(?, ?, ?)"] * len(links))
    linked = f"WITH l (channel, chat_id, code_key) AS (VALUES {values}) "
    keys = [value for link in links for value in link]
    in_links = "(channel, chat_id, code_key) IN (SELECT channel, chat_id, code_key FROM l)"
    await session.execute(
        f"{linked}UPDATE consents SET withdrawn_at = ? WHERE withdrawn_at IS NULL"
        " AND purpose IN (?, ?) AND id IN (SELECT c.id FROM consents c JOIN l"
        " ON c.channel = l.channel AND c.chat_id = l.chat_id AND c.detail LIKE l.code_key || ':%')",
        [*keys, stamp, Purpose.FOLLOW_DOSSIER.value, Purpose.VOLUNTEER.value],
    )
    await session.execute(f"{linked}DELETE FROM follows WHERE {in_links}", keys)
    await session.execute(
        f"{linked}UPDATE ratings SET channel = NULL, chat_id = NULL WHERE {in_links}", keys
    )
    await session.execute(
        f"{linked}DELETE FROM outbox WHERE status <> ? AND id IN (SELECT o.id FROM outbox o"
        " JOIN l ON o.channel = l.channel AND o.chat_id = l.chat_id"
        f" AND {db.dialect.json_text('o.payload', 'code_key')} = l.code_key)",
        [*keys, OutboxStatus.SENDING.value],
    )


def unlink_batch_sql(db: Database) -> str:
    """The next `?` follows after a key, each with whether its dossier finished before the
    moment (its last status change, else its last update): found through the follows' primary
    key, the dossiers' and the history's (code_key, id) index."""
    marks = ",".join("?" * len(_FINISHED))
    return (
        "SELECT f.channel, f.chat_id, f.code_key,"
        f" CASE WHEN d.status IN ({marks}) AND COALESCE((SELECT MAX(e.at) FROM dossier_events e"
        "   WHERE e.code_key = d.code_key AND e.new_status IS NOT NULL), d.updated_at) < ?"
        "  THEN 1 ELSE 0 END"
        " FROM follows f JOIN dossiers d ON d.code_key = f.code_key"
        " WHERE (f.channel, f.chat_id, f.code_key) > (?, ?, ?)"
        " ORDER BY f.channel, f.chat_id, f.code_key LIMIT ?"
    )


def _feedback(row: Sequence[Any]) -> Feedback:
    return Feedback(
        id=int(row[0]),
        number=row[1],
        channel=row[2],
        chat_id=row[3],
        text=row[4],
        created_at=dt.datetime.fromisoformat(row[5]),
        answer=row[6],
        answered_by=row[7],
        answerer_name=row[8],
        answered_at=optional_time(row[9]),
        commune_id=row[10],
    )


def _volunteer(row: Sequence[Any]) -> Volunteer:
    return Volunteer(
        channel=row[0],
        user_id=row[1],
        chat_id=row[2],
        name=row[3],
        team=row[4],
        hamlet=row[5],
        status=VolunteerStatus(row[6]),
        requested_at=dt.datetime.fromisoformat(row[7]),
        decided_by=row[8],
        decided_at=optional_time(row[9]),
        commune_id=row[10],
    )
