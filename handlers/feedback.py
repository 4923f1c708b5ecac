"""Feedback on administrative rules (phản ánh, kiến nghị): received, numbered, answered in writing.

/phananh → the person writes → a reference number ("PA-3/2026"), and every officer of the channel
is told through the outbox. An officer answers from that notice or from /phananh_ds (open items
first); the answer reaches the person through the outbox and is written to the audit log.
"""

from __future__ import annotations

from enum import StrEnum

from core.care import FEEDBACK_MAX_CHARS, FEEDBACK_MIN_CHARS
from core.messages import Reply
from core.officers import AuditAction
from core.text import fold
from handlers.actions import AnswerFeedback, CancelFeedback, WriteFeedback
from handlers.buttons import HOME_BUTTON
from handlers.context import Context, Services
from handlers.officers import audit_entry
from handlers.routing import Role, Route, command, in_state, pressed, tapped
from storage.base import ChatRef


class FeedbackState(StrEnum):
    WRITING = "feedback.writing"
    ANSWERING = "feedback.answering"  # data: feedback_id (an officer)


LIST_SIZE = 10
CANCEL_ROWS = [[CancelFeedback().button("Hủy")]]


EVERY_COMMUNE = "*"


async def officer_chats(
    services: Services, channel: str, commune_id: str | None = EVERY_COMMUNE
) -> list[ChatRef]:
    """Where officers of a channel read the bot: their private chats (chat id = user id, as on
    Telegram and the console; the apology watch assumes the same). Issue 19: of what concerns
    `commune_id`, only that commune's officers and the province's are told (None: a chat that
    chose no commune, the province's)."""
    ids = set(services.admins.on(channel))
    ids |= {o.user_id for o in await services.storage.officers.officers() if o.channel == channel}
    return [
        ChatRef(channel, user_id)
        for user_id in sorted(ids)
        if commune_id == EVERY_COMMUNE
        or services.officer_scope(channel, user_id).covers(commune_id)
    ]


# -- citizens -------------------------------------------------------------------------------------


async def feedback_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    if typed.strip():
        return await _receive(ctx, typed)
    return await write_pressed(ctx)


async def write_pressed(ctx: Context) -> list[Reply]:
    """/phananh, or "Gửi phản ánh, kiến nghị" on the office's contact card."""
    await ctx.set_state(FeedbackState.WRITING)
    return [ctx.reply("feedback_prompt.j2", CANCEL_ROWS)]


async def cancel_pressed(ctx: Context) -> list[Reply]:
    """The person (or an officer) stops writing."""
    await ctx.clear_state()
    return [ctx.reply("feedback_cancelled.j2", HOME_ROWS)]


async def feedback_typed(ctx: Context) -> list[Reply]:
    return await _receive(ctx, ctx.message.text)


# Typed instead of tapped (Zalo, or a keyboard without the button): leaving, not feedback.
CANCEL_WORDS = frozenset({"huy", "huy bo", "thoi", "bo qua", "khong gui"})
HOME_ROWS = [[HOME_BUTTON]]


async def _receive(ctx: Context, text: str) -> list[Reply]:
    text = " ".join(text.split())
    if fold(text) in CANCEL_WORDS:
        await ctx.clear_state()
        return [ctx.reply("feedback_cancelled.j2", HOME_ROWS)]
    if len(text) < FEEDBACK_MIN_CHARS:
        await ctx.set_state(FeedbackState.WRITING)
        return [ctx.reply("feedback_short.j2", CANCEL_ROWS, officer=False)]
    officers = await officer_chats(ctx.services, ctx.message.channel, ctx.commune_id)
    item = await ctx.storage.care.create_feedback(
        ctx.chat, text[:FEEDBACK_MAX_CHARS], ctx.now(), officers
    )
    await ctx.clear_state()
    return [ctx.reply("feedback_received.j2", HOME_ROWS, f=item)]


# -- officers -------------------------------------------------------------------------------------


async def feedback_list_command(ctx: Context) -> list[Reply]:
    return [await _list_reply(ctx)]


async def _list_reply(ctx: Context, note: str | None = None) -> Reply:
    commune = ctx.scope.commune_id  # issue 19: a commune's officer reads its own
    open_items = await ctx.storage.care.feedback_items(False, LIST_SIZE, commune)
    answered = await ctx.storage.care.feedback_items(True, 5, commune)
    rows = [[AnswerFeedback(f.id).button(f"Trả lời {f.number}")] for f in open_items]
    return ctx.reply("feedback_list.j2", rows, open_items=open_items, answered=answered, note=note)


async def answer_pressed(ctx: Context, action: AnswerFeedback) -> list[Reply]:
    item = await ctx.storage.care.get_feedback(action.feedback_id)
    if item is None:
        return [ctx.reply("feedback_unknown.j2")]
    ctx.act_for(item.commune_id)
    if item.answered:
        return [await _list_reply(ctx, note=f"Phản ánh {item.number} đã được trả lời.")]
    await ctx.set_state(FeedbackState.ANSWERING, feedback_id=item.id)
    return [ctx.reply("feedback_answer_prompt.j2", CANCEL_ROWS, f=item)]


async def answer_typed(ctx: Context) -> list[Reply]:
    answer = " ".join(ctx.message.text.split())
    if fold(answer) in CANCEL_WORDS:
        await ctx.clear_state()
        return [ctx.reply("feedback_cancelled.j2")]
    if len(answer) < FEEDBACK_MIN_CHARS:
        return [ctx.reply("feedback_short.j2", CANCEL_ROWS, officer=True)]
    feedback_id = int(ctx.state.data.get("feedback_id", 0))
    item = await ctx.storage.care.get_feedback(feedback_id)
    await ctx.clear_state()
    if item is None:
        return [ctx.reply("feedback_unknown.j2")]
    ctx.act_for(item.commune_id)
    entry = audit_entry(ctx, AuditAction.FEEDBACK_ANSWERED, item.number, answer[:200])
    answered = await ctx.storage.care.answer_feedback(
        feedback_id, answer[:FEEDBACK_MAX_CHARS], entry, ctx.now()
    )
    if answered is None:
        return [await _list_reply(ctx, note=f"Phản ánh {item.number} đã được trả lời trước đó.")]
    reached = answered.chat_id is not None
    return [await _list_reply(ctx, note=_sent_note(answered.number, reached))]


def _sent_note(number: str, reached: bool) -> str:
    if reached:
        return f"Đã gửi trả lời phản ánh {number} cho người gửi."
    return f"Đã ghi trả lời phản ánh {number}; người gửi đã xóa dữ liệu nên bot không gửi được."


routes: list[Route] = [
    command(feedback_command, "phananh"),
    command(feedback_list_command, "phananh_ds", who=Role.OFFICER),
    tapped(write_pressed, WriteFeedback),
    tapped(cancel_pressed, CancelFeedback),
    pressed(answer_pressed, AnswerFeedback, who=Role.OFFICER),
    in_state(feedback_typed, FeedbackState.WRITING),
    in_state(answer_typed, FeedbackState.ANSWERING, who=Role.OFFICER),
]
