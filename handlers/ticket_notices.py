"""What issue 21's outbox messages say, rendered when they are sent (as `handlers.notifications`).

An officer's message reaches the person under the office's name, never the officer's own; a
notice that lost its point before it went out (another officer took the question, the person
erased their data) is withdrawn, not sent.
"""

from __future__ import annotations

from core.messages import Button, Reply, TextFormat
from core.outbox import OutboxKind, Withdrawn
from core.tickets import Author, ClosedBy, Ticket, TicketMessage
from handlers import ticket_buttons as tb
from handlers.context import Services, render
from storage.base import OutboxItem

CHANNEL_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "console": "máy tính (terminal)"}
HOME = Button("🏠 Về đầu", "menu:start")


async def render_ticket(
    services: Services, item: OutboxItem, fmt: TextFormat
) -> Reply | Withdrawn | None:
    """A Reply; Withdrawn when it lost its point; None when its data is gone."""
    message, payload = item.message, item.message.payload
    ticket = await services.storage.tickets.get_ticket(int(payload["ticket_id"]))
    if ticket is None:
        return None
    match message.kind:
        case OutboxKind.TICKET_NEW:
            return await _new(services, ticket, fmt)
        case OutboxKind.TICKET_REPLY:
            return await _reply(services, ticket, int(payload["message_id"]), fmt)
        case OutboxKind.TICKET_CITIZEN:
            return await _from_person(services, ticket, int(payload["message_id"]), fmt)
        case OutboxKind.TICKET_PASSED:
            holder = ticket.officer
            if not ticket.is_open or holder is None or holder.user_id != message.chat_id:
                return Withdrawn()  # closed, or passed on again meanwhile
            return await _passed(services, ticket, str(payload.get("from", "")), fmt)
        case OutboxKind.TICKET_CLOSED:
            return _closed(services, ticket, fmt)
        case _:
            return None


async def _new(services: Services, ticket: Ticket, fmt: TextFormat) -> Reply | Withdrawn:
    if not ticket.is_open or ticket.officer is not None or ticket.chat_id is None:
        return Withdrawn()  # taken, ended or erased before this officer was told
    messages = await services.storage.tickets.ticket_messages(ticket.id)
    text = render(
        services,
        fmt,
        "notify_ticket_new.j2",
        t=ticket,
        messages=[m for m in messages if m.author is Author.CITIZEN],
        channel=CHANNEL_LABELS.get(ticket.channel or "", ticket.channel),
        is_officer=True,
    )
    return _with_photo(
        Reply(text=text, buttons=((tb.claim_button(ticket),),), format=fmt), messages
    )


async def _reply(
    services: Services, ticket: Ticket, message_id: int, fmt: TextFormat
) -> Reply | None:
    message = await services.storage.tickets.ticket_message(message_id)
    if message is None or not (message.text or message.photo):
        return None
    text = render(services, fmt, "notify_ticket_reply.j2", t=ticket, m=message)
    rows = ((tb.end_button(ticket),),) if ticket.is_open else ((HOME,),)
    return _with_photo(Reply(text=text, buttons=rows, format=fmt), [message])


async def _from_person(
    services: Services, ticket: Ticket, message_id: int, fmt: TextFormat
) -> Reply | Withdrawn:
    message = await services.storage.tickets.ticket_message(message_id)
    if message is None or not (message.text or message.photo) or not ticket.is_open:
        return Withdrawn()  # erased, or the question ended before this went out
    text = render(services, fmt, "notify_ticket_citizen.j2", t=ticket, m=message, is_officer=True)
    rows = ((tb.claim_button(ticket, resume=True),),)
    return _with_photo(Reply(text=text, buttons=rows, format=fmt), [message])


async def _passed(services: Services, ticket: Ticket, giver: str, fmt: TextFormat) -> Reply:
    messages = await services.storage.tickets.ticket_messages(ticket.id)
    text = render(
        services,
        fmt,
        "notify_ticket_passed.j2",
        t=ticket,
        giver=giver,
        count=len(messages),
        channel=CHANNEL_LABELS.get(ticket.channel or "", ticket.channel),
        is_officer=True,
    )
    return Reply(text=text, buttons=((tb.claim_button(ticket, resume=True),),), format=fmt)


def _closed(services: Services, ticket: Ticket, fmt: TextFormat) -> Reply:
    """To the person when an officer closed it; to the officer when the person did (or erased
    their data)."""
    if ticket.closed_by is ClosedBy.OFFICER:
        text = render(services, fmt, "notify_ticket_closed.j2", t=ticket)
        return Reply(text=text, buttons=((tb.ask_button(),), (HOME,)), format=fmt)
    text = render(services, fmt, "notify_ticket_ended.j2", t=ticket, is_officer=True)
    return Reply(text=text, buttons=((tb.desk_button(),),), format=fmt)


def _with_photo(reply: Reply, messages: list[TicketMessage]) -> Reply:
    """The first photo goes with the message (channels send a reply's text, then its file)."""
    photo = next((m.photo for m in messages if m.photo is not None), None)
    if photo is None:
        return reply
    return Reply(text=reply.text, buttons=reply.buttons, format=reply.format, file=photo.as_file())
