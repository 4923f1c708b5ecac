"""Issue 21: tickets — questions handed to an officer — and the messages both ways.

Every change that tells someone is one transaction with its outbox rows (and, for an officer's
action, its audit line). Claiming is a conditional UPDATE: two officers pressing "Nhận trả lời"
at once are serialised by the database and exactly one matches the row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from core.officers import AuditEntry
from core.outbox import OutboxKind
from core.tickets import (
    Author,
    Claim,
    ClosedBy,
    OfficerRef,
    Photo,
    Ticket,
    TicketContext,
    TicketMessage,
    TicketStatus,
    ticket_number,
)
from storage.base import ChatRef, OutboxMessage
from storage.sql.officers import insert_audit
from storage.sql.outbox import insert_outbox
from storage.sql.rows import day_range, optional_time
from storage.sql.session import Database, Session

_TICKET_COLUMNS = (
    "id, number, channel, chat_id, status, context, created_at, last_activity_at,"
    " officer_channel, officer_id, officer_name, claimed_at, first_answer_at, closed_at,"
    " closed_by, commune_id"
)
_MESSAGE_COLUMNS = (
    "id, ticket_id, author, text, at, officer_channel, officer_id, officer_name, photo,"
    " photo_name, photo_type"
)
_OPEN = TicketStatus.OPEN.value


def _to(chat: ChatRef, kind: OutboxKind, key: str, payload: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        f"{kind}:{key}:{chat.channel}:{chat.chat_id}", chat.channel, chat.chat_id, kind, payload
    )


def _officer_chat(officer: OfficerRef) -> ChatRef:
    return ChatRef(officer.channel, officer.user_id)


class SqlTickets:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def open_ticket(
        self,
        chat: ChatRef,
        text: str,
        photo: Photo | None,
        context: TicketContext,
        now: dt.datetime,
        officers: Sequence[ChatRef],
    ) -> tuple[Ticket, bool]:
        stamp = now.isoformat()
        async with self.db.transaction() as session:
            # One open ticket per chat, numbered MAX + 1 within the year: checked, then written.
            await session.serialize_writes("tickets")
            existing = await _chat_ticket(session, chat)
            if existing is not None:
                return existing, False
            row = await session.fetch_one(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM tickets WHERE year = ?", (now.year,)
            )
            seq = int(row[0]) if row else 1
            inserted = await session.fetch_one(
                "INSERT INTO tickets (year, seq, number, channel, chat_id, status, context,"
                " created_at, last_activity_at, commune_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " (SELECT commune_id FROM chats WHERE channel = ? AND chat_id = ?)) RETURNING id",
                (
                    now.year,
                    seq,
                    ticket_number(seq, now.year),
                    chat.channel,
                    chat.chat_id,
                    _OPEN,
                    json.dumps(context.to_json(), ensure_ascii=False),
                    stamp,
                    stamp,
                    chat.channel,
                    chat.chat_id,
                ),
            )
            assert inserted is not None
            ticket_id = int(inserted[0])
            await _insert_message(session, ticket_id, Author.CITIZEN, None, text, photo, stamp)
            payload = {"ticket_id": ticket_id}
            await insert_outbox(
                session,
                [_to(c, OutboxKind.TICKET_NEW, str(ticket_id), payload) for c in officers],
                stamp,
            )
            ticket = await _ticket_by_id(session, ticket_id)
        assert ticket is not None
        return ticket, True

    async def chat_ticket(self, chat: ChatRef) -> Ticket | None:
        async with self.db.connection() as session:
            return await _chat_ticket(session, chat)

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        async with self.db.connection() as session:
            return await _ticket_by_id(session, ticket_id)

    async def ticket_messages(self, ticket_id: int) -> list[TicketMessage]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {_MESSAGE_COLUMNS} FROM ticket_messages WHERE ticket_id = ? ORDER BY id",
                (ticket_id,),
            )
        return [_message(r) for r in rows]

    async def ticket_message(self, message_id: int) -> TicketMessage | None:
        async with self.db.connection() as session:
            row = await session.fetch_one(
                f"SELECT {_MESSAGE_COLUMNS} FROM ticket_messages WHERE id = ?", (message_id,)
            )
        assert row is not None
        return _message(row) if row else None

    async def add_citizen_message(
        self, ticket_id: int, text: str, photo: Photo | None, now: dt.datetime
    ) -> TicketMessage | None:
        stamp = now.isoformat()
        async with self.db.transaction() as session:
            changed = await session.execute(
                "UPDATE tickets SET last_activity_at = ? WHERE id = ? AND status = ?",
                (stamp, ticket_id, _OPEN),
            )
            if changed != 1:
                return None
            message_id = await _insert_message(
                session, ticket_id, Author.CITIZEN, None, text, photo, stamp
            )
            ticket = await _ticket_by_id(session, ticket_id)
            if ticket is not None and ticket.officer is not None:
                holder = _officer_chat(ticket.officer)
                payload = {"ticket_id": ticket_id, "message_id": message_id}
                await insert_outbox(
                    session,
                    [_to(holder, OutboxKind.TICKET_CITIZEN, str(message_id), payload)],
                    stamp,
                )
            row = await session.fetch_one(
                f"SELECT {_MESSAGE_COLUMNS} FROM ticket_messages WHERE id = ?", (message_id,)
            )
        assert row is not None
        return _message(row)

    async def touch_ticket(self, ticket_id: int, now: dt.datetime) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "UPDATE tickets SET last_activity_at = ? WHERE id = ? AND status = ?",
                (now.isoformat(), ticket_id, _OPEN),
            )

    async def claim_ticket(self, ticket_id: int, officer: OfficerRef, audit: AuditEntry) -> Claim:
        stamp = audit.at.isoformat()
        async with self.db.transaction() as session:
            # The whole race is this statement: only a row still open and unheld matches.
            changed = await session.execute(
                "UPDATE tickets SET officer_channel = ?, officer_id = ?, officer_name = ?,"
                " claimed_at = ?, last_activity_at = ?"
                " WHERE id = ? AND status = ? AND officer_id IS NULL",
                (
                    officer.channel,
                    officer.user_id,
                    officer.name,
                    stamp,
                    stamp,
                    ticket_id,
                    _OPEN,
                ),
            )
            won = changed == 1
            if won:
                await insert_audit(session, audit)
            ticket = await _ticket_by_id(session, ticket_id)
        if not won and ticket is not None and ticket.is_open and officer.same(ticket.officer):
            won = True  # the holder pressing again: back to answering, nothing to record
        return Claim(won, ticket)

    async def add_officer_message(
        self,
        ticket_id: int,
        officer: OfficerRef,
        text: str,
        photo: Photo | None,
        audit: AuditEntry,
    ) -> TicketMessage | None:
        stamp = audit.at.isoformat()
        async with self.db.transaction() as session:
            changed = await session.execute(
                "UPDATE tickets SET last_activity_at = ?,"
                " first_answer_at = COALESCE(first_answer_at, ?)"
                " WHERE id = ? AND status = ? AND officer_channel = ? AND officer_id = ?",
                (stamp, stamp, ticket_id, _OPEN, officer.channel, officer.user_id),
            )
            if changed != 1:
                return None
            message_id = await _insert_message(
                session, ticket_id, Author.OFFICER, officer, text, photo, stamp
            )
            ticket = await _ticket_by_id(session, ticket_id)
            if ticket is not None and ticket.channel is not None and ticket.chat_id is not None:
                person = ChatRef(ticket.channel, ticket.chat_id)
                payload = {"ticket_id": ticket_id, "message_id": message_id}
                await insert_outbox(
                    session, [_to(person, OutboxKind.TICKET_REPLY, str(message_id), payload)], stamp
                )
            await insert_audit(session, audit)
            row = await session.fetch_one(
                f"SELECT {_MESSAGE_COLUMNS} FROM ticket_messages WHERE id = ?", (message_id,)
            )
        assert row is not None
        return _message(row)

    async def pass_ticket(
        self, ticket_id: int, holder: OfficerRef, to: OfficerRef, audit: AuditEntry
    ) -> Ticket | None:
        stamp = audit.at.isoformat()
        async with self.db.transaction() as session:
            changed = await session.execute(
                "UPDATE tickets SET officer_channel = ?, officer_id = ?, officer_name = ?,"
                " claimed_at = ?, last_activity_at = ?"
                " WHERE id = ? AND status = ? AND officer_channel = ? AND officer_id = ?",
                (
                    to.channel,
                    to.user_id,
                    to.name,
                    stamp,
                    stamp,
                    ticket_id,
                    _OPEN,
                    holder.channel,
                    holder.user_id,
                ),
            )
            if changed != 1:
                return None
            payload = {"ticket_id": ticket_id, "from": holder.label}
            await insert_outbox(
                session,
                [_to(_officer_chat(to), OutboxKind.TICKET_PASSED, f"{ticket_id}:{stamp}", payload)],
                stamp,
            )
            await insert_audit(session, audit)
            return await _ticket_by_id(session, ticket_id)

    async def close_ticket(
        self,
        ticket_id: int,
        closed_by: ClosedBy,
        now: dt.datetime,
        *,
        officer: OfficerRef | None = None,
        chat: ChatRef | None = None,
        audit: AuditEntry | None = None,
    ) -> Ticket | None:
        stamp = now.isoformat()
        where, params = "id = ? AND status = ?", [ticket_id, _OPEN]
        if officer is not None:
            where += " AND officer_channel = ? AND officer_id = ?"
            params += [officer.channel, officer.user_id]
        if chat is not None:
            where += " AND channel = ? AND chat_id = ?"
            params += [chat.channel, chat.chat_id]
        async with self.db.transaction() as session:
            changed = await session.execute(
                "UPDATE tickets SET status = ?, closed_at = ?, closed_by = ?,"
                f" last_activity_at = ? WHERE {where}",
                [TicketStatus.CLOSED.value, stamp, closed_by.value, stamp, *params],
            )
            if changed != 1:
                return None
            ticket = await _ticket_by_id(session, ticket_id)
            assert ticket is not None
            await _queue_closed(session, ticket, closed_by, stamp)
            if audit is not None:
                await insert_audit(session, audit)
        return ticket

    async def open_tickets(self, limit: int, commune_id: str | None = None) -> list[Ticket]:
        where, params = _open_in(commune_id)
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE {where}"
                " ORDER BY created_at, id LIMIT ?",
                (*params, limit),
            )
        return [_ticket(r) for r in rows]

    async def count_open_tickets(self, commune_id: str | None = None) -> int:
        where, params = _open_in(commune_id)
        async with self.db.connection() as session:
            row = await session.fetch_one(f"SELECT COUNT(*) FROM tickets WHERE {where}", params)
        return int(row[0]) if row else 0

    async def tickets_between(self, first: dt.date, last: dt.date) -> list[Ticket]:
        async with self.db.connection() as session:
            rows = await session.fetch_all(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE created_at >= ? AND created_at < ?"
                " ORDER BY created_at, id",
                day_range(first, last),
            )
        return [_ticket(r) for r in rows]


def _open_in(commune_id: str | None) -> tuple[str, tuple[str, ...]]:
    """Open tickets, of one commune (issue 19) or of every one."""
    if commune_id is None:
        return "status = ?", (_OPEN,)
    return "status = ? AND commune_id = ?", (_OPEN, commune_id)


async def _chat_ticket(session: Session, chat: ChatRef) -> Ticket | None:
    row = await session.fetch_one(
        f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE channel = ? AND chat_id = ? AND status = ?",
        (chat.channel, chat.chat_id, _OPEN),
    )
    return _ticket(row) if row else None


async def _ticket_by_id(session: Session, ticket_id: int) -> Ticket | None:
    row = await session.fetch_one(
        f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)
    )
    return _ticket(row) if row else None


async def _queue_closed(session: Session, ticket: Ticket, closed_by: ClosedBy, stamp: str) -> None:
    """An officer closed it: the person is told. The person closed it (or erased their
    data): the officer holding it is told."""
    if closed_by is ClosedBy.OFFICER:
        told = (
            ChatRef(ticket.channel, ticket.chat_id)
            if ticket.channel is not None and ticket.chat_id is not None
            else None
        )
    else:
        told = _officer_chat(ticket.officer) if ticket.officer is not None else None
    if told is not None:
        payload = {"ticket_id": ticket.id}
        await insert_outbox(
            session, [_to(told, OutboxKind.TICKET_CLOSED, str(ticket.id), payload)], stamp
        )


async def _insert_message(
    session: Session,
    ticket_id: int,
    author: Author,
    officer: OfficerRef | None,
    text: str,
    photo: Photo | None,
    stamp: str,
) -> int:
    inserted = await session.fetch_one(
        "INSERT INTO ticket_messages (ticket_id, author, officer_channel, officer_id,"
        " officer_name, text, photo, photo_name, photo_type, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            ticket_id,
            author.value,
            officer.channel if officer else None,
            officer.user_id if officer else None,
            officer.name if officer else None,
            text,
            photo.content if photo else None,
            photo.name if photo else None,
            photo.mime_type if photo else None,
            stamp,
        ),
    )
    assert inserted is not None
    return int(inserted[0])


async def forget_tickets(session: Session, chat: ChatRef) -> None:
    """Part of erasing a chat (/xoadulieu): every ticket of the chat stays for the office's
    record and figures, anonymised — unlinked from the chat, its context, texts and photos
    emptied (who answered and when stay). The erase handler closes an open ticket first, on the
    clock (`close_ticket`, ClosedBy.ERASED); one still open here is closed at its last activity,
    and its holder told."""
    still_open = await _chat_ticket(session, chat)
    if still_open is not None:
        await session.execute(
            "UPDATE tickets SET status = ?, closed_at = last_activity_at, closed_by = ?"
            " WHERE id = ?",
            (TicketStatus.CLOSED.value, ClosedBy.ERASED.value, still_open.id),
        )
        stamp = still_open.last_activity_at.isoformat()
        await _queue_closed(session, still_open, ClosedBy.ERASED, stamp)
    await session.execute(
        "UPDATE ticket_messages SET text = '', photo = NULL, photo_name = NULL,"
        " photo_type = NULL WHERE ticket_id IN"
        " (SELECT id FROM tickets WHERE channel = ? AND chat_id = ?)",
        (chat.channel, chat.chat_id),
    )
    await session.execute(
        "UPDATE tickets SET channel = NULL, chat_id = NULL, context = '{}'"
        " WHERE channel = ? AND chat_id = ?",
        (chat.channel, chat.chat_id),
    )


def _officer(channel: str | None, user_id: str | None, name: str | None) -> OfficerRef | None:
    return OfficerRef(channel, user_id, name) if channel and user_id else None


def _ticket(row: Sequence[Any]) -> Ticket:
    return Ticket(
        id=int(row[0]),
        number=row[1],
        channel=row[2],
        chat_id=row[3],
        status=TicketStatus(row[4]),
        context=TicketContext.from_json(json.loads(row[5])),
        created_at=dt.datetime.fromisoformat(row[6]),
        last_activity_at=dt.datetime.fromisoformat(row[7]),
        officer=_officer(row[8], row[9], row[10]),
        claimed_at=optional_time(row[11]),
        first_answer_at=optional_time(row[12]),
        closed_at=optional_time(row[13]),
        closed_by=ClosedBy(row[14]) if row[14] else None,
        commune_id=row[15],
    )


def _message(row: Sequence[Any]) -> TicketMessage:
    photo = Photo(row[9], row[10], bytes(row[8])) if row[8] is not None else None
    return TicketMessage(
        id=int(row[0]),
        ticket_id=int(row[1]),
        author=Author(row[2]),
        text=row[3],
        at=dt.datetime.fromisoformat(row[4]),
        officer=_officer(row[5], row[6], row[7]),
        photo=photo,
    )
