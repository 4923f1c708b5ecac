"""Issue 7's notices: feedback to the officers and their answer to the person, a volunteer's
request to the officers and their decision to the volunteer. One that lost its point before it
went out (another officer was quicker) is withdrawn."""

from __future__ import annotations

from core.care import VolunteerStatus
from core.messages import Reply, TextFormat
from core.outbox import Notice, Withdrawn
from handlers.actions import AnswerFeedback
from handlers.context import Services, render
from handlers.volunteers import decision_buttons
from storage.base import OutboxItem


async def feedback_new(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    feedback = await services.storage.care.get_feedback(int(item.message.payload["feedback_id"]))
    if feedback is None:
        return None
    if feedback.answered:  # another officer was quicker
        return Withdrawn()
    text = render(services, fmt, "notify_feedback_new.j2", f=feedback, is_officer=True)
    answer = AnswerFeedback(feedback.id).button("✍️ Trả lời")
    return Reply(text=text, buttons=((answer,),), format=fmt)


async def feedback_answer(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    feedback = await services.storage.care.get_feedback(int(item.message.payload["feedback_id"]))
    if feedback is None or feedback.answer is None or feedback.chat_id is None:
        return None
    return Reply(text=render(services, fmt, "notify_feedback_answer.j2", f=feedback), format=fmt)


async def volunteer_request(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    payload = item.message.payload
    user_id = str(payload["user_id"])
    volunteer = await services.storage.care.get_volunteer(str(payload["channel"]), user_id)
    if volunteer is None:
        return None
    if volunteer.status is not VolunteerStatus.PENDING:
        return Withdrawn()  # another officer decided already
    text = render(services, fmt, "notify_volunteer_request.j2", v=volunteer, is_officer=True)
    return Reply(text=text, buttons=(tuple(decision_buttons(user_id)),), format=fmt)


async def volunteer_decision(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    payload = item.message.payload
    volunteer = await services.storage.care.get_volunteer(
        str(payload["channel"]), str(payload["user_id"])
    )
    if volunteer is None:
        return None
    text = render(services, fmt, "notify_volunteer_decision.j2", v=volunteer)
    return Reply(text=text, format=fmt)
