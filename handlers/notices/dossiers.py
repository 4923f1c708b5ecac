"""Notices to a dossier's followers: its status changed, the office apologised, the result waits.

A volunteer follows many people's dossiers: their notices start with the name they gave the
dossier ("Bà Lan – khai sinh cháu"). The "Đã trả kết quả" notice carries the first rating
question (issue 7).
"""

from __future__ import annotations

from dataclasses import replace

from core.dossiers import STATUS_INFO, Status
from core.messages import Button, Reply, TextFormat
from core.outbox import Notice, Withdrawn
from handlers.actions import ViewDossier
from handlers.apologies import apology_text
from handlers.context import Services, render
from handlers.ratings import question_buttons, question_text
from storage.base import ChatRef, OutboxItem


def view_button(code_key: str) -> Button:
    return ViewDossier(code_key).button("Xem hồ sơ")


async def status_changed(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    storage = services.storage
    event = await storage.dossiers.event(int(item.message.payload["event_id"]))
    if event is None or event.new_status is None:
        return None
    dossier = await storage.dossiers.get_dossier(event.code_key)
    if dossier is None:
        return None
    # Issue 19: the dossier's commune's office and catalogue, not the first commune's.
    procedure = services.knowledge.catalogue_of(dossier.commune_id).get(dossier.procedure_id)
    text = render(
        services,
        fmt,
        "notify_status.j2",
        commune_id=dossier.commune_id or None,
        d=dossier,
        info=STATUS_INFO[event.new_status],
        procedure_name=procedure.name if procedure else dossier.procedure_id,
        note=event.note,
    )
    reply = Reply(text=text, buttons=((view_button(dossier.code_key),),), format=fmt)
    reply = await with_rating_question(services, item, reply)  # issue 7
    return await with_follow_label(services, item, reply)


async def apology(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """NĐ 61/2018 Điều 19 k.9: the person is told the reason and the new date."""
    apology_id = int(item.message.payload["apology_id"])
    issued = await services.storage.apologies.get_apology(apology_id)
    dossier = await services.storage.dossiers.get_dossier(issued.code_key) if issued else None
    if issued is None or dossier is None:
        return None
    text = apology_text(
        services, fmt, dossier, issued.reason, issued.old_due, issued.new_due, issued.number
    )
    commune = dossier.commune_id or None
    body = render(services, fmt, "notify_apology.j2", commune_id=commune, a=issued, text=text)
    reply = Reply(text=body, buttons=((view_button(dossier.code_key),),), format=fmt)
    return await with_follow_label(services, item, reply)  # issue 7


async def ready_reminder(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """Sent only if the result still waits and the chat still follows (checked at send time):
    else withdrawn."""
    message = item.message
    chat, code_key = ChatRef(message.channel, message.chat_id), str(message.payload["code_key"])
    storage = services.storage
    dossier = await storage.dossiers.get_dossier(code_key)
    if dossier is None:
        return None
    if dossier.status is not Status.READY or not await storage.follows.is_following(chat, code_key):
        return Withdrawn()
    procedure = services.knowledge.catalogue_of(dossier.commune_id).get(dossier.procedure_id)
    text = render(
        services,
        fmt,
        "notify_ready_reminder.j2",
        commune_id=dossier.commune_id or None,
        d=dossier,
        procedure_name=procedure.name if procedure else dossier.procedure_id,
        late=dossier.due_date < services.clock.now().date(),
    )
    return Reply(text=text, buttons=((view_button(code_key),),), format=fmt)


async def with_rating_question(services: Services, item: OutboxItem, reply: Reply) -> Reply:
    """The "Đã trả kết quả" notice carries the first question: one message, not two, for
    people who read little. Only the dossier's first "returned" event asks (a dossier marked
    returned again does not ask again), and never a chat that rated it already."""
    storage = services.storage
    event = await storage.dossiers.event(int(item.message.payload["event_id"]))
    if event is None or event.new_status is not Status.RETURNED:
        return reply
    earlier = await storage.dossiers.dossier_events(event.code_key, limit=50)
    if any(e.new_status is Status.RETURNED and e.id < event.id for e in earlier):
        return reply
    chat = ChatRef(item.message.channel, item.message.chat_id)
    dossier = await storage.dossiers.get_dossier(event.code_key)
    if dossier is None or await storage.care.has_rated(chat, event.code_key):
        return reply
    question = question_text(services, reply.format, dossier.code, "")
    buttons = (*question_buttons(event.code_key, ""), *reply.buttons)
    return replace(reply, text=f"{reply.text}\n\n{question}", buttons=buttons)


async def with_follow_label(services: Services, item: OutboxItem, reply: Reply) -> Reply:
    """A volunteer follows many people's dossiers: their notices and apologies start with the
    name they gave the dossier ("Bà Lan – khai sinh cháu")."""
    code_key = item.message.payload.get("code_key")
    if not code_key:
        return reply
    chat = ChatRef(item.message.channel, item.message.chat_id)
    label = await services.storage.follows.follow_label(chat, str(code_key))
    if not label:
        return reply
    return replace(reply, text=f"👤 {label}\n{reply.text}")
