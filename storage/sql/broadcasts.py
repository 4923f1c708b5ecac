"""Subscriptions to the office's notices, and broadcasts expanded into the outbox.

A broadcast's recipients become outbox rows in the same transaction as the broadcast itself
(one INSERT … SELECT): a crash leaves either the whole broadcast queued or nothing, and the
outbox's guarantee holds for every recipient — exactly once, except the messages a worker had
in flight when it died, which are sent again (at least once).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from core.broadcasts import (
    ALL_TOPICS,
    VOLUNTEERS,
    AudienceSizes,
    Broadcast,
    BroadcastDraft,
    BroadcastProgress,
    NoRecipients,
)
from core.care import VolunteerStatus
from core.officers import AuditEntry
from core.outbox import OutboxKind
from storage.base import ChatRef, OutboxMessage, Purpose
from storage.sql.follows import insert_consent
from storage.sql.officers import insert_audit
from storage.sql.outbox import insert_outbox
from storage.sql.rows import optional_time
from storage.sql.session import Database, Session

_BROADCAST_COLUMNS = (
    "id, text, topic, procedure_id, channel, created_by, creator_name, report_chat, created_at,"
    " recipients, cancelled_at, reported_at, communes"
)
BROADCAST_PRIORITY = 1  # after every dossier's message (priority 0)
# The volunteers' audience: approved volunteers' chats (table of issue 7, storage/sqlite/care.py).
_VOLUNTEER_CHATS = (
    f"SELECT channel, chat_id FROM volunteers WHERE status = '{VolunteerStatus.APPROVED.value}'"
)


def _in_communes(communes: Sequence[str], table: str) -> tuple[str, list[str]]:
    """Issue 19 point 7: the chats of these communes (the commune each chat chose); nothing
    for the whole province."""
    if not communes:
        return "", []
    marks = ",".join("?" * len(communes))
    if table == "volunteers":
        return f" AND commune_id IN ({marks})", list(communes)
    return (
        f" AND EXISTS (SELECT 1 FROM chats c WHERE c.channel = {table}.channel"
        f" AND c.chat_id = {table}.chat_id AND c.commune_id IN ({marks}))",
        list(communes),
    )


def _communes_text(communes: Sequence[str]) -> str | None:
    return f",{','.join(communes)}," if communes else None


def report_message(broadcast_id: int, channel: str, chat_id: str) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=f"broadcast-report:{broadcast_id}",
        channel=channel,
        chat_id=chat_id,
        kind=OutboxKind.BROADCAST_REPORT,
        payload={"broadcast_id": broadcast_id},
    )


async def forget_subscriptions(session: Session, chat: ChatRef) -> None:
    """Part of erasing a chat: its subscriptions to notices."""
    await session.execute(
        "DELETE FROM subscriptions WHERE channel = ? AND chat_id = ?", (chat.channel, chat.chat_id)
    )


class SqlBroadcasts:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- subscriptions ----------------------------------------------------------------------

    async def subscribe(
        self, chat: ChatRef, topic: str, consent_text: str, now: dt.datetime
    ) -> None:
        stamp, params = now.isoformat(), (chat.channel, chat.chat_id)
        async with self.db.transaction() as session:
            if topic == ALL_TOPICS:  # every notice: the fields chosen before are included
                await session.execute(
                    "DELETE FROM subscriptions WHERE channel = ? AND chat_id = ? AND topic <> ?",
                    (*params, ALL_TOPICS),
                )
            elif await session.fetch_one(
                "SELECT 1 FROM subscriptions WHERE channel = ? AND chat_id = ? AND topic = ?"
                " AND active = 1",
                (*params, ALL_TOPICS),
            ):
                return  # already receives every notice, this field's included
            await session.execute(
                "INSERT INTO subscriptions (channel, chat_id, topic, subscribed_at, active)"
                " VALUES (?, ?, ?, ?, 1) ON CONFLICT (channel, chat_id, topic)"
                " DO UPDATE SET active = 1",
                (*params, topic, stamp),
            )
            await insert_consent(session, chat, Purpose.NOTICES, f"{topic}: {consent_text}", stamp)

    async def unsubscribe(self, chat: ChatRef, now: dt.datetime) -> int:
        params = (chat.channel, chat.chat_id)
        async with self.db.transaction() as session:
            removed = await session.execute(
                "DELETE FROM subscriptions WHERE channel = ? AND chat_id = ?", params
            )
            await session.execute(
                "UPDATE consents SET withdrawn_at = ? WHERE channel = ? AND chat_id = ?"
                " AND purpose = ? AND withdrawn_at IS NULL",
                (now.isoformat(), *params, Purpose.NOTICES.value),
            )
        return removed

    async def subscriptions(self, chat: ChatRef) -> list[str]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                "SELECT topic FROM subscriptions WHERE channel = ? AND chat_id = ? AND active = 1"
                " ORDER BY topic",
                (chat.channel, chat.chat_id),
            )
        return [row[0] for row in rows]

    async def audience_sizes(self, communes: Sequence[str] = ()) -> AudienceSizes:
        where, params = _in_communes(communes, "subscriptions")
        among, volunteer_params = _in_communes(communes, "volunteers")
        async with self.db.connection() as session:
            everyone = await session.fetch_one(
                "SELECT COUNT(*) FROM (SELECT DISTINCT channel, chat_id FROM subscriptions"
                f" WHERE active = 1{where}) AS chats",
                params,
            )
            rows = await session.fetch_all(
                f"SELECT topic, COUNT(*) FROM subscriptions WHERE active = 1{where} GROUP BY topic",
                params,
            )
            volunteers = await session.fetch_one(
                f"SELECT COUNT(*) FROM ({_VOLUNTEER_CHATS}{among}) AS chats", volunteer_params
            )
        counts = {topic: count for topic, count in rows}
        return AudienceSizes(
            everyone=int(everyone[0]) if everyone else 0,
            all_topics=counts.pop(ALL_TOPICS, 0),
            by_field=counts,
            volunteers=int(volunteers[0]) if volunteers else 0,
        )

    # -- broadcasts -------------------------------------------------------------------------

    async def create_broadcast(
        self, draft: BroadcastDraft, audit: AuditEntry, now: dt.datetime
    ) -> Broadcast:
        stamp = now.isoformat()
        if draft.topic == VOLUNTEERS:
            among, params = _in_communes(draft.communes, "volunteers")
            chats = _VOLUNTEER_CHATS + among
        else:
            audience, params = "active = 1", []
            if draft.topic != ALL_TOPICS:
                audience += " AND topic IN (?, ?)"
                params = [draft.topic, ALL_TOPICS]
            among, more = _in_communes(draft.communes, "subscriptions")
            audience, params = audience + among, params + more
            chats = f"SELECT channel, chat_id FROM subscriptions WHERE {audience}"
        async with self.db.transaction() as session:
            inserted = await session.fetch_one(
                "INSERT INTO broadcasts (text, topic, procedure_id, channel, created_by,"
                " creator_name, report_chat, created_at, recipients, communes)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?) RETURNING id",
                (
                    draft.text,
                    draft.topic,
                    draft.procedure_id,
                    draft.channel,
                    draft.created_by,
                    draft.creator_name,
                    draft.report_chat,
                    stamp,
                    _communes_text(draft.communes),
                ),
            )
            assert inserted is not None
            broadcast_id = int(inserted[0])
            # Each chat once, however many of its topics match.
            recipients = await session.execute(
                "INSERT INTO outbox (dedupe_key, channel, chat_id, kind, payload, status,"
                " next_attempt_at, created_at, broadcast_id, priority)"
                " SELECT CAST(? AS TEXT) || ':' || CAST(? AS TEXT) || ':' || channel || ':'"
                " || chat_id, channel, chat_id, CAST(? AS TEXT), CAST(? AS TEXT), 'pending',"
                " CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER)"
                f" FROM ({chats}) AS audience GROUP BY channel, chat_id",
                [
                    OutboxKind.BROADCAST.value,
                    str(broadcast_id),
                    OutboxKind.BROADCAST.value,
                    json.dumps({"broadcast_id": broadcast_id}),
                    stamp,
                    stamp,
                    broadcast_id,
                    BROADCAST_PRIORITY,
                    *params,
                ],
            )
            if recipients <= 0:
                raise NoRecipients(draft.topic)  # rolls the broadcast back
            await session.execute(
                "UPDATE broadcasts SET recipients = ? WHERE id = ?", (recipients, broadcast_id)
            )
            detail = f"{recipients} người nhận · {audit.detail}" if audit.detail else None
            await insert_audit(
                session, dataclasses.replace(audit, target=f"#{broadcast_id}", detail=detail)
            )
        return Broadcast(
            id=broadcast_id,
            text=draft.text,
            topic=draft.topic,
            procedure_id=draft.procedure_id,
            channel=draft.channel,
            created_by=draft.created_by,
            creator_name=draft.creator_name,
            report_chat=draft.report_chat,
            created_at=now,
            recipients=recipients,
            communes=draft.communes,
        )

    async def get_broadcast(self, broadcast_id: int) -> Broadcast | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
            )
        return _broadcast(row) if row else None

    async def broadcast_progress(self, broadcast_id: int) -> BroadcastProgress:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                "SELECT status, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
                (broadcast_id,),
            )
        return _progress(rows)

    async def recent_broadcasts(
        self, limit: int, commune_id: str | None = None
    ) -> list[tuple[Broadcast, BroadcastProgress]]:
        where, params = (
            ("", ()) if commune_id is None else (" WHERE communes = ?", (f",{commune_id},",))
        )
        async with self.db.connection() as session:
            broadcasts = [
                _broadcast(row)
                for row in await session.fetch_all(
                    f"SELECT {_BROADCAST_COLUMNS} FROM broadcasts{where} ORDER BY id DESC LIMIT ?",
                    (*params, limit),
                )
            ]
            ids = [b.id for b in broadcasts]
            if not ids:
                return []
            rows = await session.fetch_all(
                "SELECT broadcast_id, status, COUNT(*) FROM outbox"
                f" WHERE broadcast_id IN ({','.join('?' * len(ids))})"
                " GROUP BY broadcast_id, status",
                ids,
            )
        by_id: dict[int, list[tuple[str, int]]] = {}
        for broadcast_id, status, count in rows:
            by_id.setdefault(broadcast_id, []).append((status, count))
        return [(b, _progress(by_id.get(b.id, []))) for b in broadcasts]

    async def cancel_broadcast(
        self, broadcast_id: int, audit: AuditEntry, now: dt.datetime
    ) -> int | None:
        stamp = now.isoformat()
        async with self.db.transaction() as session:
            marked = await session.execute(
                "UPDATE broadcasts SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
                (stamp, broadcast_id),
            )
            if marked == 0:
                return None
            # Claimed messages (`sending`) are the worker's: it sees the cancellation when it
            # renders them and marks them cancelled, unless one is already on the wire.
            cancelled = await session.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = ?"
                " WHERE broadcast_id = ? AND status = 'pending'",
                (f"{stamp} cancelled before sending", broadcast_id),
            )
            detail = f"{cancelled} tin chưa gửi đã hủy" + (
                f" · {audit.detail}" if audit.detail else ""
            )
            await insert_audit(
                session, dataclasses.replace(audit, target=f"#{broadcast_id}", detail=detail)
            )
        return cancelled

    async def finish_broadcasts(self, broadcast_ids: Sequence[int], now: dt.datetime) -> list[int]:
        stamp, reported = now.isoformat(), []
        async with self.db.transaction() as session:
            for broadcast_id in broadcast_ids:
                row = await session.fetch_one(
                    "SELECT channel, report_chat FROM broadcasts b WHERE id = ?"
                    " AND cancelled_at IS NULL AND reported_at IS NULL AND NOT EXISTS"
                    " (SELECT 1 FROM outbox o WHERE o.broadcast_id = b.id"
                    " AND o.status IN ('pending', 'sending'))",
                    (broadcast_id,),
                )
                if row is None:
                    continue
                await session.execute(
                    "UPDATE broadcasts SET reported_at = ? WHERE id = ?", (stamp, broadcast_id)
                )
                channel, report_chat = row
                if report_chat is not None:
                    await insert_outbox(
                        session, [report_message(broadcast_id, channel, report_chat)], stamp
                    )
                reported.append(broadcast_id)
        return reported


def _progress(rows: Sequence[Sequence[Any]]) -> BroadcastProgress:
    counts = {str(status): int(count) for status, count in rows}
    return BroadcastProgress(
        pending=counts.get("pending", 0),
        sending=counts.get("sending", 0),
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        cancelled=counts.get("cancelled", 0),
    )


def _broadcast(row: Sequence[Any]) -> Broadcast:
    return Broadcast(
        id=row[0],
        text=row[1],
        topic=row[2],
        procedure_id=row[3],
        channel=row[4],
        created_by=row[5],
        creator_name=row[6],
        report_chat=row[7],
        created_at=dt.datetime.fromisoformat(row[8]),
        recipients=row[9],
        cancelled_at=optional_time(row[10]),
        reported_at=optional_time(row[11]),
        communes=tuple(c for c in (row[12] or "").split(",") if c),
    )
