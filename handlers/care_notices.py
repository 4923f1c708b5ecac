"""What issue 7's outbox messages say (rendered at send time, like `handlers.notifications`)."""

from __future__ import annotations

from typing import Any

from core.dossiers import Status
from core.messages import Button, Reply, TextFormat
from core.outbox import OutboxKind
from handlers.context import Services, render
from storage.base import ChatRef, OutboxItem

CARE_KINDS = frozenset(
    {
        OutboxKind.READY_REMINDER,
        OutboxKind.FEEDBACK_NEW,
        OutboxKind.FEEDBACK_ANSWER,
        OutboxKind.VOLUNTEER_REQUEST,
        OutboxKind.VOLUNTEER_DECISION,
    }
)


def moot() -> Any:
    """The message became pointless before it went out (result collected, chat unlinked,
    another officer answered): it is cancelled, not failed. Imported late: notifications
    imports this module."""
    from core.outbox import Withdrawn

    return Withdrawn()


async def render_care(services: Services, item: OutboxItem, fmt: TextFormat) -> Any:
    """A Reply; `moot()` when it is no longer needed; None when its data is gone."""
    message = item.message
    payload, chat = message.payload, ChatRef(message.channel, message.chat_id)
    match message.kind:
        case OutboxKind.READY_REMINDER:
            return await _ready_reminder(services, chat, str(payload["code_key"]), fmt)
        case OutboxKind.FEEDBACK_NEW:
            return await _feedback_new(services, int(payload["feedback_id"]), fmt)
        case OutboxKind.FEEDBACK_ANSWER:
            return await _feedback_answer(services, int(payload["feedback_id"]), fmt)
        case OutboxKind.VOLUNTEER_REQUEST | OutboxKind.VOLUNTEER_DECISION:
            from handlers.volunteers import volunteer_notice

            channel, user_id = str(payload["channel"]), str(payload["user_id"])
            return await volunteer_notice(services, message.kind, channel, user_id, fmt)
        case _:
            return None


async def _ready_reminder(services: Services, chat: ChatRef, code_key: str, fmt: TextFormat) -> Any:
    """Sent only if the result still waits and the chat still follows (checked at send time)."""
    storage = services.storage
    dossier = await storage.dossiers.get_dossier(code_key)
    if dossier is None:
        return None
    if dossier.status is not Status.READY or not await storage.follows.is_following(chat, code_key):
        return moot()
    procedure = services.knowledge.catalogue.get(dossier.procedure_id)
    text = render(
        services,
        fmt,
        "notify_ready_reminder.j2",
        d=dossier,
        procedure_name=procedure.name if procedure else dossier.procedure_id,
        late=dossier.due_date < services.clock.now().date(),
    )
    return Reply(text=text, buttons=((Button("Xem hồ sơ", f"h:v:{code_key}"),),), format=fmt)


async def _feedback_new(services: Services, feedback_id: int, fmt: TextFormat) -> Any:
    item = await services.storage.care.get_feedback(feedback_id)
    if item is None:
        return None
    if item.answered:  # another officer was quicker
        return moot()
    text = render(services, fmt, "notify_feedback_new.j2", f=item, is_officer=True)
    return Reply(text=text, buttons=((Button("✍️ Trả lời", f"pa:a:{item.id}"),),), format=fmt)


async def _feedback_answer(services: Services, feedback_id: int, fmt: TextFormat) -> Reply | None:
    item = await services.storage.care.get_feedback(feedback_id)
    if item is None or item.answer is None or item.chat_id is None:
        return None
    return Reply(text=render(services, fmt, "notify_feedback_answer.j2", f=item), format=fmt)
