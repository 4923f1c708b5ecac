"""A person when the bot cannot help: hand the conversation to an officer, and back (issue 21).

A person taps "💬 Hỏi cán bộ" (on every not-found reply, the contact card, a dossier code not
found) or types /hoicanbo, writes the question (a photo of papers where the channel has photos),
and gets a number ("HT-12/2026") and when to expect an answer (office hours). Every officer is
told through the outbox with "Nhận trả lời"; /hotro lists open questions oldest first. The
officer who claims it (exactly one wins) answers from their own chat: each message is relayed
through the outbox under the office's name. They may pass it on, and close it; every action is in
the audit log.

While the ticket is open the bot does not answer the person's free text itself: it hands it to
the officer and says so. Commands and buttons still work. It answers again when the ticket is
closed, or once nobody wrote in it for `TicketPolicy.silence`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from enum import StrEnum

from core.dossiers import STATUS_INFO, mask_name
from core.messages import Button, Reply, TextFormat
from core.office_hours import HoursUnreadable, OfficeHours, when_text
from core.officers import LOCAL_CHANNELS, AuditAction
from core.report import Period
from core.text import fold
from core.tickets import (
    MESSAGE_MAX_CHARS,
    QUESTION_MIN_CHARS,
    Author,
    ClosedBy,
    OfficerRef,
    Photo,
    Ticket,
    TicketContext,
    duration_text,
    ticket_figures,
)
from handlers import procedures
from handlers import ticket_buttons as tb
from handlers.actions import (
    AskOfficer,
    CancelQuestion,
    ChoosePassTarget,
    ClaimTicket,
    CloseTicket,
    EndQuestion,
    PassTicket,
    PauseTicket,
    TicketDesk,
)
from handlers.buttons import HOME_BUTTON
from handlers.context import Context, Services, render
from handlers.feedback import EVERY_COMMUNE, officer_chats
from handlers.officers import audit_entry
from handlers.routing import On, Role, Route, command, in_state, pressed, tapped
from storage.base import ChatRef


class TicketState(StrEnum):
    WRITING = "ticket.writing"  # a person writes the question; data: context (what the bot knew)
    ANSWERING = "ticket.answering"  # an officer's messages go to the person; data: ticket_id


DESK_SIZE = 10
CHANNEL_LABELS = {"telegram": "Telegram", "zalo": "Zalo", "console": "máy tính (terminal)"}
CANCEL_WORDS = frozenset({"huy", "huy bo", "thoi", "bo qua", "khong hoi nua"})
PROCEDURE_VIEWING = "procedure.viewing"  # handlers.procedures.ProcedureState.VIEWING
DOSSIER_VIEWING = "dossier.viewing"  # handlers.dossiers.DossierState.VIEWING


# -- who is told, and when an answer can be expected -------------------------------------------


async def desk_chats(
    services: Services, citizen_channel: str, commune_id: str | None = EVERY_COMMUNE
) -> list[ChatRef]:
    """Every officer's private chat, on every channel officers use — those this process serves,
    and those of the admins (`OFFICER_IDS`) and officers added in the chat, which another
    process may serve (Zalo and Telegram run apart on one PostgreSQL): a Zalo person may be
    answered from Telegram. The terminal counts only where it runs. Issue 19: of a question
    from `commune_id`, that commune's officers and the province's."""
    stored = await services.storage.officers.officers()
    channels = (
        {citizen_channel}
        | services.channels
        | {channel for channel, _ in services.admins.ids if channel not in LOCAL_CHANNELS}
        | {o.channel for o in stored if o.channel not in LOCAL_CHANNELS}
    )
    chats: list[ChatRef] = []
    for channel in sorted(channels):
        chats += await officer_chats(services, channel, commune_id)
    return chats


def office_hours(services: Services) -> OfficeHours | None:
    hours = services.knowledge.catalogue.commune.hours
    try:
        return OfficeHours.of(hours.morning, hours.afternoon, services.calendar)
    except HoursUnreadable:  # checked when the catalogue loads; never fail a person over it
        return None


def expected_answer(services: Services, now: dt.datetime) -> str:
    hours = office_hours(services)
    if hours is None:
        return "trong giờ làm việc"
    return when_text(now, hours.next_opening(now))


def window_hours(services: Services, channel: str | None) -> int | None:
    """On a channel whose free replies end after a while (Zalo: 48 h), how long."""
    window = services.reply_windows.get(channel or "")
    return round(window.total_seconds() / 3600) if window else None


def me(ctx: Context) -> OfficerRef:
    m = ctx.message
    return OfficerRef(m.channel, m.user_id, m.display_name)


# -- the dispatcher's look-up --------------------------------------------------------------------


async def open_ticket_for(ctx: Context) -> Ticket | None:
    """The chat's open ticket, for the routes below. Only free text and photos need it, and only
    from a chat whose conversation carries the hint that it asked an officer: every other
    message costs nothing (one indexed read for those)."""
    m = ctx.message
    free_text = bool(m.text.strip()) and m.command is None and m.button is None
    if not (free_text or _is_photo(ctx)) or not m.is_private or not ctx.may_have_ticket:
        return None
    ticket = await ctx.storage.tickets.chat_ticket(ctx.chat)
    if ticket is None:
        ctx.hint_ticket(False)  # closed since: saved with the conversation
    return ticket


def _is_photo(ctx: Context) -> bool:
    return ctx.message.image is not None


def quiet(ctx: Context) -> bool:
    ticket = ctx.open_ticket
    return ticket is not None and ticket.quiet(ctx.now(), ctx.services.tickets.silence)


# -- a person asks -----------------------------------------------------------------------------


async def ask_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    context = await _what_the_bot_knew(ctx)
    if typed.strip():
        return await _receive(ctx, typed, None, context)
    return await _ask(ctx, context)


async def _ask(ctx: Context, context: TicketContext) -> list[Reply]:
    ticket = await ctx.storage.tickets.chat_ticket(ctx.chat)
    if ticket is not None:  # asked already: the conversation with the officer goes on
        await ctx.storage.tickets.touch_ticket(ticket.id, ctx.now())
        ctx.hint_ticket(True)
        return [
            ctx.reply("ticket_already_open.j2", [[tb.end_button(ticket)], [HOME_BUTTON]], t=ticket)
        ]
    await ctx.set_state(TicketState.WRITING, context=context.to_json())
    return [
        ctx.reply(
            "ticket_prompt.j2",
            [[tb.cancel_button()]],
            photos=ctx.files is not None,  # channels that can fetch a photo sent in the chat
            when=expected_answer(ctx.services, ctx.now()),
        )
    ]


async def question_typed(ctx: Context) -> list[Reply]:
    context = TicketContext.from_json(ctx.state.data.get("context"))
    return await _receive(ctx, ctx.message.text, None, context)


async def _receive(
    ctx: Context, text: str, photo: Photo | None, context: TicketContext
) -> list[Reply]:
    text = " ".join(text.split())
    if photo is None and fold(text) in CANCEL_WORDS:
        await ctx.clear_state()
        return [ctx.reply("ticket_cancelled.j2", [[HOME_BUTTON]])]
    if photo is None and len(text) < QUESTION_MIN_CHARS:
        await ctx.set_state(TicketState.WRITING, context=context.to_json())
        return [ctx.reply("ticket_short.j2", [[tb.cancel_button()]])]
    officers = await desk_chats(ctx.services, ctx.message.channel, ctx.commune_id)
    now = ctx.now()
    # The hint is saved before the ticket exists: a crash between leaves a hint to no ticket
    # (dropped at the next message), never a ticket the dispatcher would not look for.
    ctx.forget_questions()
    ctx.hint_ticket(True)
    await ctx.clear_state()
    ticket, new = await ctx.storage.tickets.open_ticket(
        ctx.chat, text[:MESSAGE_MAX_CHARS], photo, context, now, officers
    )
    if not new:  # opened meanwhile (another device, a double tap): the words join it
        await ctx.storage.tickets.add_citizen_message(
            ticket.id, text[:MESSAGE_MAX_CHARS], photo, now
        )
    return [
        ctx.reply(
            "ticket_opened.j2",
            [[tb.end_button(ticket)], [HOME_BUTTON]],
            t=ticket,
            when=expected_answer(ctx.services, now),
            window_hours=window_hours(ctx.services, ctx.message.channel),
            nobody=not officers,
        )
    ]


async def _what_the_bot_knew(ctx: Context) -> TicketContext:
    """The last questions, the procedure shown, a dossier looked up (masked): so that the
    officer does not ask again what the person already told the bot."""
    questions = tuple(str(q) for q in ctx.memory.get("asked", ()))
    procedure = None
    if ctx.state.name == PROCEDURE_VIEWING:
        shown = ctx.catalogue.get(str(ctx.state.data.get("procedure", "")))
        procedure = shown.name if shown else None
    dossier = None
    code_key = str(ctx.state.data.get("code_key", "")) if ctx.state.name == DOSSIER_VIEWING else ""
    found = await ctx.storage.dossiers.get_dossier(code_key) if code_key else None
    if found is None:  # else the dossier the chat followed last, if any
        follows = await ctx.storage.follows.follows(ctx.chat)
        found = follows[-1].dossier if follows else None
    if found is not None:
        named = ctx.catalogue.get(found.procedure_id)
        dossier = " · ".join(
            (
                found.code,
                named.name if named else found.procedure_id,
                mask_name(found.applicant_name),
                STATUS_INFO[found.status].label,
            )
        )
    return TicketContext(questions, procedure, dossier)


# -- while the ticket is open, what the person sends goes to the officer ------------------------


async def while_open(ctx: Context) -> list[Reply]:
    ticket = ctx.open_ticket
    assert ticket is not None
    text = " ".join(ctx.message.text.split())[:MESSAGE_MAX_CHARS]
    return await _relay_from_person(ctx, ticket, text, None)


async def _relay_from_person(
    ctx: Context, ticket: Ticket, text: str, photo: Photo | None
) -> list[Reply]:
    added = await ctx.storage.tickets.add_citizen_message(ticket.id, text, photo, ctx.now())
    if added is None:  # closed a moment ago: the bot answers again
        return await procedures.answer_text(ctx, text) if text else []
    return [
        ctx.reply(
            "ticket_relayed.j2",
            [[tb.end_button(ticket)]],
            t=ticket,
            window_hours=window_hours(ctx.services, ctx.message.channel),
        )
    ]


async def photo_sent(ctx: Context) -> list[Reply]:
    """A photo (of papers): part of the question, or of the conversation."""
    photo, refused = await _fetch_photo(ctx)
    if refused is not None:
        return refused
    assert photo is not None
    caption = " ".join(ctx.message.text.split())[:MESSAGE_MAX_CHARS]
    if ctx.state.name == TicketState.WRITING:
        context = TicketContext.from_json(ctx.state.data.get("context"))
        return await _receive(ctx, caption, photo, context)
    assert ctx.open_ticket is not None
    return await _relay_from_person(ctx, ctx.open_ticket, caption, photo)


async def _fetch_photo(ctx: Context) -> tuple[Photo | None, list[Reply] | None]:
    image = ctx.message.image
    limit = ctx.services.photos.max_bytes  # the same limit as for photos of receipts
    if image is None or ctx.files is None:
        return None, [ctx.reply("ticket_photo_failed.j2", mb=limit // 2**20)]
    try:
        content = await ctx.files.fetch(image, limit)
    except Exception:  # too large, or the platform would not give it: say so, keep the rest
        return None, [ctx.reply("ticket_photo_failed.j2", mb=limit // 2**20)]
    return Photo(image.name, image.mime_type or "image/jpeg", content), None


def photo_expected(ctx: Context) -> bool:
    return _is_photo(ctx) and (ctx.state.name == TicketState.WRITING or quiet(ctx))


async def answer_photo(ctx: Context) -> list[Reply]:
    """A photo an officer sends while answering: part of the answer."""
    photo, refused = await _fetch_photo(ctx)
    if refused is not None:
        return refused
    assert photo is not None
    return await _answer(ctx, " ".join(ctx.message.text.split())[:MESSAGE_MAX_CHARS], photo)


# -- officers ----------------------------------------------------------------------------------


async def desk_command(ctx: Context) -> list[Reply]:
    return [await _desk_reply(ctx)]


async def _desk_reply(ctx: Context, note: str | None = None) -> Reply:
    commune = ctx.scope.commune_id  # issue 19: a commune's officer answers its own
    tickets = await ctx.storage.tickets.open_tickets(DESK_SIZE, commune)
    total = await ctx.storage.tickets.count_open_tickets(commune)
    mine = me(ctx)
    rows = [
        [tb.claim_button(t, resume=mine.same(t.officer))]
        for t in tickets
        if t.officer is None or mine.same(t.officer)
    ]
    return ctx.reply(
        "ticket_desk.j2",
        rows,
        tickets=tickets,
        more=max(total - len(tickets), 0),
        mine=mine,
        channels=CHANNEL_LABELS,
        note=note,
    )


async def ask_pressed(ctx: Context) -> list[Reply]:
    return await _ask(ctx, await _what_the_bot_knew(ctx))


async def cancel_pressed(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [ctx.reply("ticket_cancelled.j2", [[HOME_BUTTON]])]


async def end_pressed(ctx: Context, action: EndQuestion) -> list[Reply]:
    return await _end_by_person(ctx, action.ticket_id)


async def desk_pressed(ctx: Context) -> list[Reply]:
    return [await _desk_reply(ctx)]


async def pause_pressed(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [await _desk_reply(ctx, note="Đã tạm dừng; câu hỏi vẫn do ông/bà giữ.")]


async def claim_pressed(ctx: Context, action: ClaimTicket) -> list[Reply]:
    return await _with_ticket(ctx, action.ticket_id, _claim)


async def choose_pressed(ctx: Context, action: ChoosePassTarget) -> list[Reply]:
    return await _with_ticket(ctx, action.ticket_id, _choose_officer)


async def pass_pressed(ctx: Context, action: PassTicket) -> list[Reply]:

    async def to_target(ctx: Context, ticket: Ticket) -> list[Reply]:
        return await _pass(ctx, ticket, action.channel, action.user_id)

    return await _with_ticket(ctx, action.ticket_id, to_target)


async def close_pressed(ctx: Context, action: CloseTicket) -> list[Reply]:
    return await _with_ticket(ctx, action.ticket_id, _close)


async def _with_ticket(
    ctx: Context, ticket_id: int, then: Callable[[Context, Ticket], Awaitable[list[Reply]]]
) -> list[Reply]:
    ticket = await ctx.storage.tickets.get_ticket(ticket_id)
    if ticket is None:
        return [ctx.reply("ticket_unknown.j2")]
    ctx.act_for(ticket.commune_id)  # issue 19: another commune's question is refused
    return await then(ctx, ticket)


async def _claim(ctx: Context, ticket: Ticket) -> list[Reply]:
    entry = audit_entry(ctx, AuditAction.TICKET_CLAIMED, ticket.number)
    claim = await ctx.storage.tickets.claim_ticket(ticket.id, me(ctx), entry)
    current = claim.ticket or ticket
    if not claim.won:
        return [ctx.reply("ticket_taken.j2", [[tb.desk_button()]], t=current)]
    await ctx.set_state(TicketState.ANSWERING, ticket_id=ticket.id)
    messages = await ctx.storage.tickets.ticket_messages(ticket.id)
    replies = [
        ctx.reply(
            "ticket_claimed.j2",
            _holder_rows(current),
            t=current,
            messages=messages,
            channels=CHANNEL_LABELS,
            authors=Author,
            window_hours=window_hours(ctx.services, current.channel),
        )
    ]
    return replies + [
        Reply(text="", format=ctx.format, file=m.photo.as_file()) for m in messages if m.photo
    ]


def _holder_rows(ticket: Ticket) -> list[list[Button]]:
    return [[tb.pass_button(ticket), tb.close_button(ticket)], [tb.pause_button()]]


async def answer_typed(ctx: Context) -> list[Reply]:
    return await _answer(ctx, " ".join(ctx.message.text.split()), None)


async def _answer(ctx: Context, text: str, photo: Photo | None) -> list[Reply]:
    ticket = await ctx.storage.tickets.get_ticket(int(ctx.state.data.get("ticket_id", 0)))
    if ticket is not None:
        ctx.act_for(ticket.commune_id)
    if ticket is None or not ticket.is_open or not me(ctx).same(ticket.officer):
        await ctx.clear_state()
        return [ctx.reply("ticket_not_yours.j2", [[tb.desk_button()]], t=ticket)]
    detail = f"{len(text)} ký tự" + (", 1 ảnh" if photo else "")  # never the words themselves
    entry = audit_entry(ctx, AuditAction.TICKET_REPLIED, ticket.number, detail)
    sent = await ctx.storage.tickets.add_officer_message(
        ticket.id, me(ctx), text[:MESSAGE_MAX_CHARS], photo, entry
    )
    if sent is None:
        await ctx.clear_state()
        return [ctx.reply("ticket_not_yours.j2", [[tb.desk_button()]], t=ticket)]
    return [
        ctx.reply(
            "ticket_sent.j2",
            _holder_rows(ticket),
            t=ticket,
            erased=ticket.chat_id is None,
            waits=await _answer_waits(ctx, ticket),
            window_hours=window_hours(ctx.services, ticket.channel),
        )
    ]


async def _answer_waits(ctx: Context, ticket: Ticket) -> bool:
    """On Zalo, past the window after the person's last message the answer waits for them."""
    window = ctx.services.reply_windows.get(ticket.channel or "")
    if window is None:
        return False
    messages = await ctx.storage.tickets.ticket_messages(ticket.id)
    last = max((m.at for m in messages if m.author is Author.CITIZEN), default=ticket.created_at)
    return ctx.now() - last >= window


async def _choose_officer(ctx: Context, ticket: Ticket) -> list[Reply]:
    if not ticket.is_open or not me(ctx).same(ticket.officer):
        return [ctx.reply("ticket_not_yours.j2", [[tb.desk_button()]], t=ticket)]
    others = [o for o in await _desk_officers(ctx) if not me(ctx).same(o)]
    rows = [[tb.pass_to_button(ticket, o)] for o in others]
    rows.append([tb.claim_button(ticket, resume=True)])
    return [ctx.reply("ticket_pass_choose.j2", rows, t=ticket, nobody=not others)]


async def _desk_officers(ctx: Context) -> list[OfficerRef]:
    stored = {(o.channel, o.user_id): o.name for o in await ctx.storage.officers.officers()}
    chats = await desk_chats(ctx.services, ctx.message.channel, ctx.acting_commune)
    return [OfficerRef(c.channel, c.chat_id, stored.get((c.channel, c.chat_id))) for c in chats]


async def _pass(ctx: Context, ticket: Ticket, channel: str, user_id: str) -> list[Reply]:
    target = next(
        (o for o in await _desk_officers(ctx) if (o.channel, o.user_id) == (channel, user_id)),
        None,
    )
    if target is None or me(ctx).same(target):
        return [ctx.reply("stale_button.j2")]
    entry = audit_entry(
        ctx, AuditAction.TICKET_PASSED, ticket.number, f"cho {target.label} ({channel})"
    )
    passed = await ctx.storage.tickets.pass_ticket(ticket.id, me(ctx), target, entry)
    if passed is None:
        return [ctx.reply("ticket_not_yours.j2", [[tb.desk_button()]], t=ticket)]
    await ctx.clear_state()
    note = f"Đã chuyển câu hỏi {ticket.number} cho {target.label}."
    return [await _desk_reply(ctx, note=note)]


async def _close(ctx: Context, ticket: Ticket) -> list[Reply]:
    entry = audit_entry(ctx, AuditAction.TICKET_CLOSED, ticket.number)
    closed = await ctx.storage.tickets.close_ticket(
        ticket.id, ClosedBy.OFFICER, ctx.now(), officer=me(ctx), audit=entry
    )
    if closed is None:
        return [ctx.reply("ticket_not_yours.j2", [[tb.desk_button()]], t=ticket)]
    if ctx.state.name == TicketState.ANSWERING:
        await ctx.clear_state()
    note = f"Đã kết thúc câu hỏi {ticket.number}; người hỏi được báo."
    return [await _desk_reply(ctx, note=note)]


async def _end_by_person(ctx: Context, ticket_id: int) -> list[Reply]:
    ticket = await ctx.storage.tickets.chat_ticket(ctx.chat)
    if ticket is None or ticket.id != ticket_id:
        return [ctx.reply("ticket_ended.j2", [[HOME_BUTTON]], t=None)]
    await ctx.storage.tickets.close_ticket(ticket.id, ClosedBy.CITIZEN, ctx.now(), chat=ctx.chat)
    return [ctx.reply("ticket_ended.j2", [[HOME_BUTTON]], t=ticket)]


async def close_before_erasing(ctx: Context) -> None:
    """/xoadulieu: an open ticket is closed on the clock (its holder is told) before the
    chat's data goes; storage keeps the ticket anonymised."""
    ticket = await ctx.storage.tickets.chat_ticket(ctx.chat)
    if ticket is not None:
        await ctx.storage.tickets.close_ticket(ticket.id, ClosedBy.ERASED, ctx.now(), chat=ctx.chat)


# -- figures for /baocao (a section of its own beside the dossiers' figures) ----------------------


async def tickets_section(services: Services, fmt: TextFormat, period: Period) -> str:
    """Questions handed to officers in the period: received, answered, office time to the first
    answer (median, 90th percentile), still open. "" when there were none."""
    hours = office_hours(services)
    tickets = await services.storage.tickets.tickets_between(period.first, period.last)
    if not tickets or hours is None:
        return ""
    figures = ticket_figures(tickets, hours)
    text = render(
        services, fmt, "report_tickets.j2", f=figures, duration=duration_text, is_officer=True
    )
    return f"\n\n{text}"


# -- routes (bot/app.py places them) -------------------------------------------------------------

OFFICER = Role.OFFICER
routes: list[Route] = [
    command(ask_command, tb.ASK_COMMAND),
    command(desk_command, tb.DESK_COMMAND, who=OFFICER),
    tapped(ask_pressed, AskOfficer),
    tapped(cancel_pressed, CancelQuestion),
    pressed(end_pressed, EndQuestion),
    tapped(desk_pressed, TicketDesk, who=OFFICER),
    tapped(pause_pressed, PauseTicket, who=OFFICER),
    pressed(claim_pressed, ClaimTicket, who=OFFICER),
    pressed(choose_pressed, ChoosePassTarget, who=OFFICER),
    pressed(pass_pressed, PassTicket, who=OFFICER),
    pressed(close_pressed, CloseTicket, who=OFFICER),
    in_state(question_typed, TicketState.WRITING),
    in_state(answer_typed, TicketState.ANSWERING, who=OFFICER),
]
# Before a photo is read for a receipt's code (issue 20): a photo of papers sent while a question
# is answered, written, or open is part of that conversation.
answer_photo_route = Route(On.IMAGE, answer_photo, (TicketState.ANSWERING,), who=OFFICER)
photo_route = Route(On.IMAGE, photo_sent, when=photo_expected)
# After the steps a person started by a button (a dossier code, its digits), before a receipt code
# or a question: while an officer answers, free text is theirs.
quiet_route = Route(On.TEXT, while_open, when=quiet)
