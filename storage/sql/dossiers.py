"""Dossiers imported from the one-stop software, their history, and failed lookups."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any

from core.dossiers import Dossier, DossierEvent, changes_between, notifies
from core.lookup_limits import FailureCounts, FailureWindows
from core.outbox import OutboxKind
from storage.base import (
    ApologyDraft,
    ApplyOutcome,
    ChatRef,
    IssuedApology,
    LookupView,
    OutboxMessage,
)
from storage.sql.apologies import issue_in
from storage.sql.chores import delete_in_batches
from storage.sql.outbox import insert_outbox
from storage.sql.rows import (
    APOLOGY_COLUMNS,
    DOSSIER_COLUMNS,
    DOSSIER_WIDTH,
    EVENT_COLUMNS,
    FINISHED,
    INSERT_EVENT,
    STOPPED,
    SUPPLEMENT,
    dossier_row,
    event_row,
    prefixed,
    to_apology,
    to_dossier,
    to_event,
)
from storage.sql.session import Database, Session

# SQLite allows 32,766 parameters; keep IN (...) lists well below.
BATCH = 500
ASSIGN_BATCH = 5000  # dossiers given their commune per statement (a one-off at start-up)


def status_message(event_id: int, code_key: str, chat: ChatRef) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=f"status:{event_id}:{chat.channel}:{chat.chat_id}",
        channel=chat.channel,
        chat_id=chat.chat_id,
        kind=OutboxKind.DOSSIER_STATUS,
        payload={"event_id": event_id, "code_key": code_key},
    )


async def forget_lookups(session: Session, chat: ChatRef) -> None:
    """Part of erasing a chat: its failed lookups."""
    await session.execute(
        "DELETE FROM lookup_failures WHERE channel = ? AND chat_id = ?",
        (chat.channel, chat.chat_id),
    )


class SqlDossiers:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_dossier(self, code_key: str) -> Dossier | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE code_key = ?", (code_key,)
            )
        return to_dossier(row) if row else None

    async def find_dossier(
        self, code_key: str, chat: ChatRef, failures_since: dt.datetime
    ) -> LookupView:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT (SELECT COUNT(*) FROM lookup_failures l"
                "  WHERE l.channel = ? AND l.chat_id = ? AND l.at >= ?),"
                f" {prefixed(DOSSIER_COLUMNS, 'd')},"
                " EXISTS (SELECT 1 FROM follows f WHERE f.code_key = d.code_key"
                "  AND f.channel = ? AND f.chat_id = ? AND f.active = 1),"
                f" {prefixed(APOLOGY_COLUMNS, 'a')}"
                " FROM (SELECT 1) AS one LEFT JOIN dossiers d ON d.code_key = ?"
                " LEFT JOIN apologies a ON a.id ="
                "  (SELECT MAX(id) FROM apologies x WHERE x.code_key = d.code_key)",
                (
                    chat.channel,
                    chat.chat_id,
                    failures_since.isoformat(),
                    chat.channel,
                    chat.chat_id,
                    code_key,
                ),
            )
        assert row is not None  # (SELECT 1) LEFT JOIN …: always one row
        end = 1 + DOSSIER_WIDTH  # then: following, the apology's columns
        dossier = to_dossier(row[1:end]) if row[1] is not None else None
        issued = to_apology(row[end + 1 :]) if row[end + 1] is not None else None
        return LookupView(int(row[0]), dossier, bool(row[end]) if dossier else False, issued)

    async def get_dossiers(self, code_keys: Sequence[str]) -> dict[str, Dossier]:
        async with self.db.connection() as session:
            return await _dossiers_by_key(session, code_keys)

    async def dossier_events(self, code_key: str, limit: int = 10) -> list[DossierEvent]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {EVENT_COLUMNS} FROM dossier_events WHERE code_key = ?"
                " ORDER BY id DESC LIMIT ?",
                (code_key, limit),
            )
        return [to_event(row) for row in rows]

    async def event(self, event_id: int) -> DossierEvent | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                f"SELECT {EVENT_COLUMNS} FROM dossier_events WHERE id = ?", (event_id,)
            )
        return to_event(row) if row else None

    async def assign_communes(
        self, agencies: Sequence[tuple[str, str]], rest: str | None = None
    ) -> int:
        """Dossiers without a commune ('', imported before the province file) get the commune
        of their code's agency segment (`agencies`: agency key, commune id), the rest `rest`
        (the only commune of a province of one), ASSIGN_BATCH rows per statement; how many."""
        async with self.db.connection() as session:
            if (
                await session.fetch_one("SELECT 1 FROM dossiers WHERE commune_id = '' LIMIT 1")
                is None
            ):
                return 0  # every start-up after the first: one look through the index
        assigned = 0
        steps: list[tuple[str, list[Any]]] = [
            ("substr(code_key, 1, ?) = ? AND length(code_key) = ?", [len(a), a, len(a) + 10, c])
            for a, c in agencies
        ]
        if rest:
            steps.append(("1 = 1", [rest]))
        for where, params in steps:
            *match, commune = params
            while True:
                async with self.db.connection() as session:
                    count = await session.execute(
                        "UPDATE dossiers SET commune_id = ? WHERE code_key IN"
                        " (SELECT code_key FROM dossiers WHERE commune_id = ''"
                        f" AND {where} LIMIT ?)",
                        [commune, *match, ASSIGN_BATCH],
                    )
                assigned += count
                if count < ASSIGN_BATCH:
                    break
                await asyncio.sleep(0)  # let waiting replies take the connection first
        return assigned

    async def count_dossiers(self) -> int:
        async with self.db.connection() as session:
            row = await session.fetch_one("SELECT COUNT(*) FROM dossiers")
        return int(row[0]) if row else 0

    async def apply_dossiers(
        self,
        dossiers: Sequence[tuple[Dossier, str]],
        now: dt.datetime,
        source: str,
        apologies: Sequence[ApologyDraft] = (),
        max_extensions: int = 1,
    ) -> ApplyOutcome:
        stamp = now.isoformat()
        created = updated = unchanged = status_changes = notifications = 0
        async with self.db.transaction() as session:
            # Rows are compared with what is stored, then written: one import at a time.
            await session.serialize_writes("dossiers")
            for start in range(0, len(dossiers), BATCH):
                batch = dossiers[start : start + BATCH]
                keys = [d.code_key for d, _ in batch]
                hashes = await _hashes(session, keys)
                existing = await _dossiers_by_key(session, [k for k in keys if k in hashes])
                upserts: list[tuple[Any, ...]] = []
                plain_events: list[tuple[Any, ...]] = []
                notifying: list[tuple[Dossier, Any]] = []
                for dossier, row_hash in batch:
                    if hashes.get(dossier.code_key) == row_hash:
                        unchanged += 1
                        continue
                    old = existing.get(dossier.code_key)
                    created += old is None
                    updated += old is not None
                    upserts.append(dossier_row(dossier, row_hash, stamp))
                    for event in changes_between(old, dossier):
                        row = event_row(dossier.code_key, event, stamp, source)
                        if notifies(event):
                            notifying.append((dossier, row))
                        else:
                            plain_events.append(row)
                if upserts:
                    await session.execute_many(_UPSERT_DOSSIER, upserts)
                if plain_events:
                    await session.execute_many(INSERT_EVENT, plain_events)
                status_changes += len(notifying)
                notifications += await _notify_followers(session, notifying, stamp)
            # The same checks as an officer's apology, in the same transaction.
            issued: list[IssuedApology] = [
                await issue_in(session, draft, now, max_extensions) for draft in apologies
            ]
        notifications += sum(item.followers for item in issued)
        return ApplyOutcome(
            created, updated, unchanged, status_changes, notifications, tuple(issued)
        )

    # -- lookups ---------------------------------------------------------------------------

    async def record_lookup_failure(
        self,
        chat: ChatRef,
        now: dt.datetime,
        user_id: str | None = None,
        code_key: str | None = None,
    ) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "INSERT INTO lookup_failures (channel, chat_id, at, user_id, code_key)"
                " VALUES (?, ?, ?, ?, ?)",
                (chat.channel, chat.chat_id, now.isoformat(), user_id, code_key),
            )

    async def lookup_failures(
        self, chat: ChatRef, user_id: str, code_key: str, since: FailureWindows
    ) -> FailureCounts:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT"
                " (SELECT COUNT(*) FROM lookup_failures"
                "  WHERE channel = ? AND chat_id = ? AND at >= ?),"
                " (SELECT COUNT(*) FROM lookup_failures"
                "  WHERE channel = ? AND user_id = ? AND at >= ?),"
                " (SELECT COUNT(*) FROM lookup_failures WHERE code_key = ? AND at >= ?),"
                " (SELECT COUNT(*) FROM lookup_failures WHERE at >= ?)",
                (
                    chat.channel,
                    chat.chat_id,
                    since.chat.isoformat(),
                    chat.channel,
                    user_id,
                    since.user.isoformat(),
                    code_key,
                    since.dossier.isoformat(),
                    since.everyone.isoformat(),
                ),
            )
        assert row is not None
        return FailureCounts(*(int(value) for value in row))

    async def forget_lookup_failures_before(self, moment: dt.datetime) -> int:
        return await delete_in_batches(self.db, "lookup_failures", "at < ?", [moment.isoformat()])

    async def lookup_failures_since(self, chat: ChatRef, since: dt.datetime) -> int:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                "SELECT COUNT(*) FROM lookup_failures"
                " WHERE channel = ? AND chat_id = ? AND at >= ?",
                (chat.channel, chat.chat_id, since.isoformat()),
            )
        return int(row[0]) if row else 0


_UPSERT_DOSSIER = (
    f"INSERT INTO dossiers ({DOSSIER_COLUMNS}, row_hash, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (code_key) DO UPDATE SET code = excluded.code,"
    " procedure_id = excluded.procedure_id,"
    " applicant_name = excluded.applicant_name, phone = excluded.phone,"
    " received_at = excluded.received_at, due_date = excluded.due_date,"
    " status = excluded.status, return_method = excluded.return_method,"
    " note = excluded.note,"
    # An export without the report's columns does not erase what an earlier one gave; a dossier
    # no longer finished loses its resolution date.
    " submission_channel ="
    "  COALESCE(excluded.submission_channel, dossiers.submission_channel),"
    " resolved_at = CASE WHEN excluded.resolved_at IS NOT NULL"
    "  THEN excluded.resolved_at WHEN excluded.status IN"
    f" ({FINISHED}) THEN dossiers.resolved_at ELSE NULL END,"
    # The waiting clock (core.waiting): one more request each time the dossier enters "Chờ bổ
    # sung"; the moment it leaves a waiting state is kept.
    f" supplements = dossiers.supplements + CASE WHEN excluded.status = '{SUPPLEMENT}'"
    f"  AND dossiers.status <> '{SUPPLEMENT}' THEN 1 ELSE 0 END,"
    " clock_restarted_at = CASE WHEN dossiers.status IN"
    f"  ({STOPPED}) AND excluded.status NOT IN ({STOPPED})"
    "  THEN excluded.updated_at ELSE dossiers.clock_restarted_at END,"
    " address = COALESCE(excluded.address, dossiers.address),"
    " commune_id = CASE WHEN excluded.commune_id <> '' THEN excluded.commune_id"
    "  ELSE dossiers.commune_id END,"
    " row_hash = excluded.row_hash,"
    " updated_at = excluded.updated_at"
)


async def _dossiers_by_key(session: Session, code_keys: Sequence[str]) -> dict[str, Dossier]:
    found: dict[str, Dossier] = {}
    for start in range(0, len(code_keys), BATCH):
        batch = list(code_keys[start : start + BATCH])
        marks = ",".join("?" * len(batch))
        for row in await session.fetch_all(
            f"SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE code_key IN ({marks})", batch
        ):
            found[row[0]] = to_dossier(row)
    return found


async def _hashes(session: Session, keys: list[str]) -> dict[str, str]:
    marks = ",".join("?" * len(keys))
    rows = await session.fetch_all(
        f"SELECT code_key, row_hash FROM dossiers WHERE code_key IN ({marks})", keys
    )
    return {row[0]: row[1] for row in rows}


async def _notify_followers(
    session: Session, notifying: list[tuple[Dossier, tuple[Any, ...]]], stamp: str
) -> int:
    """Status events are inserted one by one (their ids name the messages); each active
    follower gets one outbox message in the same transaction as the change."""
    if not notifying:
        return 0
    keys = list({dossier.code_key for dossier, _ in notifying})
    followers: dict[str, list[ChatRef]] = {}
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        marks = ",".join("?" * len(batch))
        for code_key, channel, chat_id in await session.fetch_all(
            f"SELECT code_key, channel, chat_id FROM follows WHERE active = 1"
            f" AND code_key IN ({marks})",
            batch,
        ):
            followers.setdefault(code_key, []).append(ChatRef(channel, chat_id))
    messages = []
    for dossier, row in notifying:
        inserted = await session.fetch_one(INSERT_EVENT + " RETURNING id", row)
        assert inserted is not None
        event_id = int(inserted[0])
        messages += [
            status_message(event_id, dossier.code_key, chat)
            for chat in followers.get(dossier.code_key, [])
        ]
    return await insert_outbox(session, messages, stamp)
