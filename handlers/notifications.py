"""What the outbox's messages say, rendered when they are sent (per channel format).

The outbox stores what a message is about (a history event, an apology, a broadcast); the
text comes from the templates at send time. History events never change, so a
message resent after a crash says exactly what the first attempt said.
"""

from __future__ import annotations

import datetime as dt

from core.dossiers import STATUS_INFO
from core.messages import Button, Reply, TextFormat
from core.outbox import FREE_REPLY_ONLY as TICKET_KINDS
from core.outbox import OutboxKind, Withdrawn
from handlers.care_notices import CARE_KINDS, render_care
from handlers.context import Services, render
from handlers.ratings import with_rating_question
from handlers.ticket_notices import render_ticket
from handlers.volunteers import with_follow_label
from storage.base import OutboxItem


async def render_outbox(
    services: Services, item: OutboxItem, fmt: TextFormat
) -> Reply | Withdrawn | None:
    """The reply to send for an outbox item; None when there is nothing (left) to say."""
    payload = item.message.payload
    match item.message.kind:
        case OutboxKind.DOSSIER_STATUS:
            reply = await _dossier_status(services, int(payload["event_id"]), fmt)
            reply = await with_rating_question(services, item, reply)  # issue 7
            return await with_follow_label(services, item, reply)
        case OutboxKind.APOLOGY:
            reply = await _apology(services, int(payload["apology_id"]), fmt)
            return await with_follow_label(services, item, reply)  # issue 7
        case OutboxKind.APOLOGY_WATCH:
            return await _apology_watch(services, dt.date.fromisoformat(payload["day"]), fmt)
        case OutboxKind.BROADCAST:
            from handlers.broadcasts import broadcast_notice

            return await broadcast_notice(services, int(payload["broadcast_id"]), fmt)
        case OutboxKind.BROADCAST_REPORT:
            from handlers.broadcasts import broadcast_report

            return await broadcast_report(services, int(payload["broadcast_id"]), fmt)
        case OutboxKind.LOOKUP_SURGE:  # issue 15: someone is guessing codes or digits
            text = render(
                services,
                fmt,
                "notify_lookup_surge.j2",
                failures=payload["failures"],
                window=payload["window"],
                at=dt.datetime.fromisoformat(payload["at"]).strftime("%H:%M %d/%m/%Y"),
                is_officer=True,
            )
            return Reply(text=text, format=fmt)
        case kind if kind in CARE_KINDS:  # issue 7: ratings, reminders, feedback, volunteers
            return await render_care(services, item, fmt)
        case kind if kind in TICKET_KINDS:  # issue 21: questions handed to an officer
            return await render_ticket(services, item, fmt)
        case _:
            return None


async def _dossier_status(services: Services, event_id: int, fmt: TextFormat) -> Reply | None:
    storage = services.storage
    event = await storage.dossiers.event(event_id)
    if event is None or event.new_status is None:
        return None
    dossier = await storage.dossiers.get_dossier(event.code_key)
    if dossier is None:
        return None
    procedure = services.knowledge.catalogue.get(dossier.procedure_id)
    text = render(
        services,
        fmt,
        "notify_status.j2",
        d=dossier,
        info=STATUS_INFO[event.new_status],
        procedure_name=procedure.name if procedure else dossier.procedure_id,
        note=event.note,
    )
    view = Button("Xem hồ sơ", f"h:v:{dossier.code_key}")
    return Reply(text=text, buttons=((view,),), format=fmt)


async def _apology(services: Services, apology_id: int, fmt: TextFormat) -> Reply | None:
    """NĐ 61/2018 Điều 19 k.9: the person is told the reason and the new date."""
    from handlers.apologies import apology_text

    apology = await services.storage.apologies.get_apology(apology_id)
    dossier = await services.storage.dossiers.get_dossier(apology.code_key) if apology else None
    if apology is None or dossier is None:
        return None
    text = apology_text(
        services, fmt, dossier, apology.reason, apology.old_due, apology.new_due, apology.number
    )
    body = render(services, fmt, "notify_apology.j2", a=apology, text=text)
    view = Button("Xem hồ sơ", f"h:v:{dossier.code_key}")
    return Reply(text=body, buttons=((view,),), format=fmt)


async def _apology_watch(services: Services, day: dt.date, fmt: TextFormat) -> Reply:
    """The morning list for officers: what needs an apology now."""
    from handlers.apologies import morning_list

    return await morning_list(services, fmt, day)
