"""Issue 21's notices: questions handed to an officer, and the messages both ways.

An officer's message reaches the person under the office's name, never the officer's own; a
notice that lost its point before it went out (another officer took the question, the person
erased their data) is withdrawn, not sent.
"""

from __future__ import annotations

from core.messages import Reply, TextFormat
from core.outbox import Notice, Withdrawn
from core.tickets import Author, ClosedBy, Ticket, TicketMessage
from handlers import ticket_buttons as tb
from handlers.buttons import HOME_BUTTON
from handlers.context import Services, render
from handlers.tickets import CHANNEL_LABELS
from storage.base import OutboxItem


async def _ticket(services: Services, item: OutboxItem) -> Ticket | None:
    return await services.storage.tickets.get_ticket(int(item.message.payload["ticket_id"]))


async def new_question(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """To each officer, with "Nhận trả lời"."""
    ticket = await _ticket(services, item)
    if ticket is None:
        return None
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


async def officer_reply(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """To the person: an officer's message, under the office's name."""
    ticket = await _ticket(services, item)
    if ticket is None:
        return None
    message = await services.storage.tickets.ticket_message(int(item.message.payload["message_id"]))
    if message is None or not (message.text or message.photo):
        return None
    text = render(services, fmt, "notify_ticket_reply.j2", t=ticket, m=message)
    rows = ((tb.end_button(ticket),),) if ticket.is_open else ((HOME_BUTTON,),)
    return _with_photo(Reply(text=text, buttons=rows, format=fmt), [message])


async def from_person(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """To the officer holding the question: what the person wrote since."""
    ticket = await _ticket(services, item)
    if ticket is None:
        return None
    message = await services.storage.tickets.ticket_message(int(item.message.payload["message_id"]))
    if message is None or not (message.text or message.photo) or not ticket.is_open:
        return Withdrawn()  # erased, or the question ended before this went out
    text = render(services, fmt, "notify_ticket_citizen.j2", t=ticket, m=message, is_officer=True)
    rows = ((tb.claim_button(ticket, resume=True),),)
    return _with_photo(Reply(text=text, buttons=rows, format=fmt), [message])


async def passed(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """To the officer the question was passed to."""
    ticket = await _ticket(services, item)
    if ticket is None:
        return None
    holder = ticket.officer
    if not ticket.is_open or holder is None or holder.user_id != item.message.chat_id:
        return Withdrawn()  # closed, or passed on again meanwhile
    messages = await services.storage.tickets.ticket_messages(ticket.id)
    text = render(
        services,
        fmt,
        "notify_ticket_passed.j2",
        t=ticket,
        giver=str(item.message.payload.get("from", "")),
        count=len(messages),
        channel=CHANNEL_LABELS.get(ticket.channel or "", ticket.channel),
        is_officer=True,
    )
    return Reply(text=text, buttons=((tb.claim_button(ticket, resume=True),),), format=fmt)


async def closed(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """To the person when an officer closed it; to the officer when the person did (or erased
    their data)."""
    ticket = await _ticket(services, item)
    if ticket is None:
        return None
    if ticket.closed_by is ClosedBy.OFFICER:
        text = render(services, fmt, "notify_ticket_closed.j2", t=ticket)
        return Reply(text=text, buttons=((tb.ask_button(),), (HOME_BUTTON,)), format=fmt)
    text = render(services, fmt, "notify_ticket_ended.j2", t=ticket, is_officer=True)
    return Reply(text=text, buttons=((tb.desk_button(),),), format=fmt)


def _with_photo(reply: Reply, messages: list[TicketMessage]) -> Reply:
    """The first photo goes with the message (channels send a reply's text, then its file)."""
    photo = next((m.photo for m in messages if m.photo is not None), None)
    if photo is None:
        return reply
    return Reply(text=reply.text, buttons=reply.buttons, format=reply.format, file=photo.as_file())
