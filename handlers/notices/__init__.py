"""What the outbox's messages say, rendered when they are sent (per channel format).

The outbox stores what a message is about (`core.outbox.OutboxKind` and a few ids); the text comes
from the templates at send time, here, one renderer per kind. History events never change, so a
message resent after a crash says exactly what the first attempt said. A renderer returns the
`Reply`, `Withdrawn` when the message lost its point before it went out (settled as cancelled),
or None when its data is gone (settled as failed).

Notices use what the conversations show (a procedure's button, an apology's text); nothing in
the conversations uses the notices (tests/test_imports.py): the outbox worker (`bot.delivery`)
is their only caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from core.messages import TextFormat
from core.outbox import Notice, OutboxKind
from handlers.context import Services
from handlers.notices import broadcasts, care, dossiers, officers, tickets
from storage.base import OutboxItem

NoticeRenderer = Callable[[Services, OutboxItem, TextFormat], Awaitable[Notice]]

RENDERERS: Mapping[OutboxKind, NoticeRenderer] = {
    OutboxKind.DOSSIER_STATUS: dossiers.status_changed,
    OutboxKind.APOLOGY: dossiers.apology,
    OutboxKind.READY_REMINDER: dossiers.ready_reminder,
    OutboxKind.APOLOGY_WATCH: officers.apology_watch,
    OutboxKind.LOOKUP_SURGE: officers.lookup_surge,
    OutboxKind.BROADCAST: broadcasts.notice,
    OutboxKind.BROADCAST_REPORT: broadcasts.report,
    OutboxKind.FEEDBACK_NEW: care.feedback_new,
    OutboxKind.FEEDBACK_ANSWER: care.feedback_answer,
    OutboxKind.VOLUNTEER_REQUEST: care.volunteer_request,
    OutboxKind.VOLUNTEER_DECISION: care.volunteer_decision,
    OutboxKind.TICKET_NEW: tickets.new_question,
    OutboxKind.TICKET_REPLY: tickets.officer_reply,
    OutboxKind.TICKET_CITIZEN: tickets.from_person,
    OutboxKind.TICKET_PASSED: tickets.passed,
    OutboxKind.TICKET_CLOSED: tickets.closed,
}
# A kind nobody renders would fail every such message at send time: refuse to start instead.
if _unrendered := set(OutboxKind) - set(RENDERERS):
    raise RuntimeError(f"outbox kinds without a renderer: {sorted(_unrendered)}")


async def render_outbox(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """The reply to send for an outbox item; Withdrawn or None when there is nothing to say."""
    return await RENDERERS[item.message.kind](services, item, fmt)


__all__ = ["RENDERERS", "NoticeRenderer", "render_outbox"]
