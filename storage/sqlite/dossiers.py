"""Dossiers, their history, follows, consents and failed lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import aiosqlite

from core.apologies import Apology
from core.catalogue.models import LawVersion
from core.dossiers import (
    CLOCK_STOPPED,
    STATUS_INFO,
    Dossier,
    DossierEvent,
    EventKind,
    ReturnMethod,
    Status,
    SubmissionChannel,
    changes_between,
    notifies,
)
from core.lookup_limits import FailureCounts, FailureWindows
from storage.base import (
    ApologyDraft,
    ApplyOutcome,
    ChatRef,
    Follow,
    IssuedApology,
    LookupView,
    OutboxMessage,
    Purpose,
)
from storage.sqlite.connection import optional_time
from storage.sqlite.outbox import OutboxMixin

_DOSSIER_COLUMNS = (
    "code_key, code, procedure_id, applicant_name, phone, received_at, due_date, status,"
    " return_method, note, submission_channel, resolved_at, supplements, clock_restarted_at"
)
DOSSIER_WIDTH = _DOSSIER_COLUMNS.count(",") + 1  # a dossier's values at the start of a row
_EVENT_COLUMNS = "id, code_key, at, kind, old_status, new_status, old_due, new_due, note, source"
_APOLOGY_COLUMNS = (
    "id, code_key, number, issued_at, issued_by, issuer_name, reason, old_due, new_due, law_version"
)
# SQLite allows 32,766 parameters; keep IN (...) lists well below.
_BATCH = 500


def status_message(event_id: int, code_key: str, chat: ChatRef) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=f"status:{event_id}:{chat.channel}:{chat.chat_id}",
        channel=chat.channel,
        chat_id=chat.chat_id,
        kind="dossier-status",
        payload={"event_id": event_id, "code_key": code_key},
    )


class DossiersMixin(OutboxMixin):
    async def get_dossier(self, code_key: str) -> Dossier | None:
        async with self._lock:
            row = await self._one(
                f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE code_key = ?", (code_key,)
            )
        return _dossier(row) if row else None

    async def find_dossier(
        self, code_key: str, chat: ChatRef, failures_since: dt.datetime
    ) -> LookupView:
        columns = ", ".join(f"d.{c.strip()}" for c in _DOSSIER_COLUMNS.split(","))
        apology = ", ".join(f"a.{c.strip()}" for c in _APOLOGY_COLUMNS.split(","))
        async with self._lock:
            row = await self._one(
                "SELECT (SELECT COUNT(*) FROM lookup_failures l"
                "  WHERE l.channel = ? AND l.chat_id = ? AND l.at >= ?),"
                f" {columns}, EXISTS (SELECT 1 FROM follows f WHERE f.code_key = d.code_key"
                f"  AND f.channel = ? AND f.chat_id = ? AND f.active = 1), {apology}"
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
        end = 1 + DOSSIER_WIDTH  # then: following, the apology's columns
        dossier = _dossier(row[1:end]) if row[1] is not None else None
        issued = _apology(row[end + 1 :]) if row[end + 1] is not None else None
        return LookupView(int(row[0]), dossier, bool(row[end]) if dossier else False, issued)

    async def get_dossiers(self, code_keys: Sequence[str]) -> dict[str, Dossier]:
        async with self._lock:
            return await self._dossiers_by_key(code_keys)

    async def _dossiers_by_key(self, code_keys: Sequence[str]) -> dict[str, Dossier]:
        found: dict[str, Dossier] = {}
        for start in range(0, len(code_keys), _BATCH):
            batch = list(code_keys[start : start + _BATCH])
            marks = ",".join("?" * len(batch))
            for row in await self._all(
                f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE code_key IN ({marks})", batch
            ):
                found[row[0]] = _dossier(row)
        return found

    async def dossier_events(self, code_key: str, limit: int = 10) -> list[DossierEvent]:
        async with self._lock:
            return [
                _event(row)
                for row in await self._all(
                    f"SELECT {_EVENT_COLUMNS} FROM dossier_events WHERE code_key = ?"
                    " ORDER BY id DESC LIMIT ?",
                    (code_key, limit),
                )
            ]

    async def event(self, event_id: int) -> DossierEvent | None:
        async with self._lock:
            row = await self._one(
                f"SELECT {_EVENT_COLUMNS} FROM dossier_events WHERE id = ?", (event_id,)
            )
        return _event(row) if row else None

    async def count_dossiers(self) -> int:
        async with self._lock:
            row = await self._one("SELECT COUNT(*) FROM dossiers")
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
        async with self._lock, self._transaction() as db:
            for start in range(0, len(dossiers), _BATCH):
                batch = dossiers[start : start + _BATCH]
                keys = [d.code_key for d, _ in batch]
                hashes = await self._hashes(keys)
                existing = await self._dossiers_by_key([k for k in keys if k in hashes])
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
                    upserts.append(_dossier_row(dossier, row_hash, stamp))
                    for event in changes_between(old, dossier):
                        row = _event_row(dossier.code_key, event, stamp, source)
                        if notifies(event):
                            notifying.append((dossier, row))
                        else:
                            plain_events.append(row)
                await db.executemany(
                    f"INSERT INTO dossiers ({_DOSSIER_COLUMNS}, row_hash, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (code_key) DO UPDATE SET code = excluded.code,"
                    " procedure_id = excluded.procedure_id,"
                    " applicant_name = excluded.applicant_name, phone = excluded.phone,"
                    " received_at = excluded.received_at, due_date = excluded.due_date,"
                    " status = excluded.status, return_method = excluded.return_method,"
                    " note = excluded.note,"
                    # An export without the report's columns does not erase what an earlier one
                    # gave; a dossier no longer finished loses its resolution date.
                    " submission_channel ="
                    "  COALESCE(excluded.submission_channel, dossiers.submission_channel),"
                    " resolved_at = CASE WHEN excluded.resolved_at IS NOT NULL"
                    "  THEN excluded.resolved_at WHEN excluded.status IN"
                    f" ({_FINISHED}) THEN dossiers.resolved_at ELSE NULL END,"
                    # The waiting clock (core.waiting): one more request each time the dossier
                    # enters "Chờ bổ sung"; the moment it leaves a waiting state is kept.
                    f" supplements = dossiers.supplements + CASE WHEN excluded.status = '{_SUPP}'"
                    f"  AND dossiers.status <> '{_SUPP}' THEN 1 ELSE 0 END,"
                    " clock_restarted_at = CASE WHEN dossiers.status IN"
                    f"  ({_STOPPED}) AND excluded.status NOT IN ({_STOPPED})"
                    "  THEN excluded.updated_at ELSE dossiers.clock_restarted_at END,"
                    " row_hash = excluded.row_hash,"
                    " updated_at = excluded.updated_at",
                    upserts,
                )
                await db.executemany(_INSERT_EVENT, plain_events)
                status_changes += len(notifying)
                notifications += await self._notify_followers(notifying, stamp)
            # ApologiesMixin._issue (SqliteStorage has both): same checks as an officer's apology.
            issue = self._issue  # type: ignore[attr-defined]
            issued: list[IssuedApology] = [
                await issue(draft, now, max_extensions) for draft in apologies
            ]
        notifications += sum(item.followers for item in issued)
        return ApplyOutcome(
            created, updated, unchanged, status_changes, notifications, tuple(issued)
        )

    async def _hashes(self, keys: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(keys))
        rows = await self._all(
            f"SELECT code_key, row_hash FROM dossiers WHERE code_key IN ({marks})", keys
        )
        return {row[0]: row[1] for row in rows}

    async def _notify_followers(
        self, notifying: list[tuple[Dossier, tuple[Any, ...]]], stamp: str
    ) -> int:
        """Status events are inserted one by one (their ids name the messages); each active
        follower gets one outbox message in the same transaction as the change."""
        if not notifying:
            return 0
        keys = list({dossier.code_key for dossier, _ in notifying})
        followers: dict[str, list[ChatRef]] = {}
        for start in range(0, len(keys), _BATCH):
            batch = keys[start : start + _BATCH]
            marks = ",".join("?" * len(batch))
            for code_key, channel, chat_id in await self._all(
                f"SELECT code_key, channel, chat_id FROM follows WHERE active = 1"
                f" AND code_key IN ({marks})",
                batch,
            ):
                followers.setdefault(code_key, []).append(ChatRef(channel, chat_id))
        messages = []
        for dossier, row in notifying:
            cursor = await self._db.execute(_INSERT_EVENT, row)
            event_id = cursor.lastrowid
            assert event_id is not None
            messages += [
                status_message(event_id, dossier.code_key, chat)
                for chat in followers.get(dossier.code_key, [])
            ]
        return await self._insert_outbox(messages, stamp)

    # -- follows, consent ------------------------------------------------------------------

    async def follow(
        self, chat: ChatRef, code_key: str, label: str | None, consent_text: str, now: dt.datetime
    ) -> None:
        stamp = now.isoformat()
        async with self._lock, self._transaction() as db:
            await db.execute(
                "INSERT INTO follows (channel, chat_id, code_key, label, followed_at, active)"
                " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (channel, chat_id, code_key)"
                " DO UPDATE SET active = 1, label = COALESCE(excluded.label, follows.label)",
                (chat.channel, chat.chat_id, code_key, label, stamp),
            )
            await insert_consent(
                db, chat, Purpose.FOLLOW_DOSSIER, f"{code_key}: {consent_text}", stamp
            )

    async def unfollow(self, chat: ChatRef, code_key: str, now: dt.datetime) -> bool:
        async with self._lock, self._transaction() as db:
            removed = await drop_follow(db, chat, code_key, now.isoformat())
        return removed > 0

    async def follows(self, chat: ChatRef) -> list[Follow]:
        columns = ", ".join(f"d.{c.strip()}" for c in _DOSSIER_COLUMNS.split(","))
        async with self._lock:
            rows = await self._all(
                f"SELECT {columns}, f.label, f.followed_at FROM follows f"
                " JOIN dossiers d ON d.code_key = f.code_key"
                " WHERE f.channel = ? AND f.chat_id = ? AND f.active = 1"
                " ORDER BY f.followed_at, d.code_key",
                (chat.channel, chat.chat_id),
            )
        width = DOSSIER_WIDTH
        return [
            Follow(_dossier(row[:width]), row[width], dt.datetime.fromisoformat(row[width + 1]))
            for row in rows
        ]

    async def is_following(self, chat: ChatRef, code_key: str) -> bool:
        async with self._lock:
            return (
                await self._one(
                    "SELECT 1 FROM follows WHERE channel = ? AND chat_id = ? AND code_key = ?"
                    " AND active = 1",
                    (chat.channel, chat.chat_id, code_key),
                )
                is not None
            )

    async def deactivate_chat(self, chat: ChatRef) -> None:
        async with self._lock:
            await self._db.execute(
                "UPDATE follows SET active = 0 WHERE channel = ? AND chat_id = ?",
                (chat.channel, chat.chat_id),
            )
            await self._db.execute(
                "UPDATE subscriptions SET active = 0 WHERE channel = ? AND chat_id = ?",
                (chat.channel, chat.chat_id),
            )

    async def forget_chat(self, chat: ChatRef) -> None:
        params = (chat.channel, chat.chat_id)
        async with self._lock, self._transaction() as db:
            for table in (
                "follows",
                "subscriptions",
                "consents",
                "lookup_failures",
                "conversation_state",
                "chats",
            ):
                await db.execute(f"DELETE FROM {table} WHERE channel = ? AND chat_id = ?", params)
            # Its messages too, sent or not: a sent one still links the chat to a dossier.
            await db.execute("DELETE FROM outbox WHERE channel = ? AND chat_id = ?", params)

    # -- lookups ---------------------------------------------------------------------------

    async def record_lookup_failure(
        self,
        chat: ChatRef,
        now: dt.datetime,
        user_id: str | None = None,
        code_key: str | None = None,
    ) -> None:
        async with self._lock:
            await self._db.execute(
                "INSERT INTO lookup_failures (channel, chat_id, at, user_id, code_key)"
                " VALUES (?, ?, ?, ?, ?)",
                (chat.channel, chat.chat_id, now.isoformat(), user_id, code_key),
            )

    async def lookup_failures(
        self, chat: ChatRef, user_id: str, code_key: str, since: FailureWindows
    ) -> FailureCounts:
        async with self._lock:
            row = await self._one(
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
        return FailureCounts(*(int(value) for value in row))

    async def forget_lookup_failures_before(self, moment: dt.datetime) -> int:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM lookup_failures WHERE at < ?", (moment.isoformat(),)
            )
        return cursor.rowcount

    async def lookup_failures_since(self, chat: ChatRef, since: dt.datetime) -> int:
        async with self._lock:
            row = await self._one(
                "SELECT COUNT(*) FROM lookup_failures"
                " WHERE channel = ? AND chat_id = ? AND at >= ?",
                (chat.channel, chat.chat_id, since.isoformat()),
            )
        return int(row[0]) if row else 0


async def insert_consent(
    db: aiosqlite.Connection, chat: ChatRef, purpose: Purpose, detail: str, stamp: str
) -> None:
    await db.execute(
        "INSERT INTO consents (channel, chat_id, purpose, detail, granted_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (chat.channel, chat.chat_id, purpose.value, detail, stamp),
    )


async def drop_follow(db: aiosqlite.Connection, chat: ChatRef, code_key: str, stamp: str) -> int:
    """Delete a chat's follow of a dossier; the follow's consent, and a volunteer's consent to
    see the name (issue 7), end with it. How many follows were deleted (0 or 1)."""
    cursor = await db.execute(
        "DELETE FROM follows WHERE channel = ? AND chat_id = ? AND code_key = ?",
        (chat.channel, chat.chat_id, code_key),
    )
    await db.execute(
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
    return cursor.rowcount


# Finished statuses as an SQL list (constants from our own enum, not user input).
_FINISHED = ", ".join(f"'{s.value}'" for s in Status if STATUS_INFO[s].finished)
_STOPPED = ", ".join(f"'{s.value}'" for s in sorted(CLOCK_STOPPED))
_SUPP = Status.SUPPLEMENT.value

_INSERT_EVENT = (
    "INSERT INTO dossier_events (code_key, at, kind, old_status, new_status, old_due, new_due,"
    " note, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _dossier_row(dossier: Dossier, row_hash: str, stamp: str) -> tuple[Any, ...]:
    return (
        dossier.code_key,
        dossier.code,
        dossier.procedure_id,
        dossier.applicant_name,
        dossier.phone,
        dossier.received_at.isoformat(),
        dossier.due_date.isoformat(),
        dossier.status.value,
        dossier.return_method.value if dossier.return_method else None,
        dossier.note,
        dossier.submission_channel.value if dossier.submission_channel else None,
        dossier.resolved_at.isoformat() if dossier.resolved_at else None,
        max(dossier.supplements, int(dossier.status is Status.SUPPLEMENT)),  # a new dossier
        dossier.clock_restarted_at.isoformat() if dossier.clock_restarted_at else None,
        row_hash,
        stamp,
    )


def _event_row(code_key: str, event: Any, stamp: str, source: str) -> tuple[Any, ...]:
    return (
        code_key,
        stamp,
        event.kind.value,
        event.old_status.value if event.old_status else None,
        event.new_status.value if event.new_status else None,
        event.old_due.isoformat() if event.old_due else None,
        event.new_due.isoformat() if event.new_due else None,
        event.note,
        source,
    )


def _dossier(row: Sequence[Any]) -> Dossier:
    return Dossier(
        code_key=row[0],
        code=row[1],
        procedure_id=row[2],
        applicant_name=row[3],
        phone=row[4],
        received_at=dt.datetime.fromisoformat(row[5]),
        due_date=dt.date.fromisoformat(row[6]),
        status=Status(row[7]),
        return_method=ReturnMethod(row[8]) if row[8] else None,
        note=row[9],
        submission_channel=SubmissionChannel(row[10]) if row[10] else None,
        resolved_at=optional_time(row[11]),
        supplements=row[12],
        clock_restarted_at=optional_time(row[13]),
    )


def _apology(row: Sequence[Any]) -> Apology:
    return Apology(
        id=row[0],
        code_key=row[1],
        number=row[2],
        issued_at=dt.datetime.fromisoformat(row[3]),
        issued_by=row[4],
        issuer_name=row[5],
        reason=row[6],
        old_due=dt.date.fromisoformat(row[7]),
        new_due=dt.date.fromisoformat(row[8]),
        law_version=LawVersion(row[9]),
    )


def _event(row: Sequence[Any]) -> DossierEvent:
    return DossierEvent(
        id=row[0],
        code_key=row[1],
        at=dt.datetime.fromisoformat(row[2]),
        kind=EventKind(row[3]),
        old_status=Status(row[4]) if row[4] else None,
        new_status=Status(row[5]) if row[5] else None,
        old_due=dt.date.fromisoformat(row[6]) if row[6] else None,
        new_due=dt.date.fromisoformat(row[7]) if row[7] else None,
        note=row[8],
        source=row[9],
    )
