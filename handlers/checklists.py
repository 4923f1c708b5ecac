"""A procedure's checklist to print or forward: documents with boxes to tick, fees, time, where
to go and the office's hours — as a chat message and a printable A5 PDF (core.checklist_pdf;
phones open a PDF, not HTML), so that a volunteer can hand it to an elder. Button
`PrintChecklist` on the card."""

from __future__ import annotations

import asyncio

from core.catalogue.models import Procedure
from core.checklist_pdf import Checklist, ChecklistDocument, checklist_pdf
from core.messages import OutgoingFile, Reply
from core.render import money
from handlers import procedure_view as view
from handlers.actions import PrintChecklist, procedure_card
from handlers.context import Context, Services
from handlers.routing import Route, pressed
from handlers.start import fallback_buttons


def _values(services: Services, procedure: Procedure) -> dict[str, object]:
    catalogue = services.knowledge.catalogue
    return {
        "p": procedure,
        "kinds": view.DOCUMENT_KIND,
        "fees": catalogue.fee_lines(procedure),
        "time_text": view.time_text(procedure.processing_time),
        "filing_short": view.filing_text(procedure),
    }


def checklist_of(services: Services, procedure: Procedure) -> Checklist:
    catalogue = services.knowledge.catalogue
    commune = catalogue.commune
    documents = []
    for d in procedure.documents:
        text = f"{d.name} – {view.DOCUMENT_KIND[d.kind]}"
        if d.copies > 1:
            text += f", {d.copies} bản"
        if d.conditional:
            text += " (nếu thuộc trường hợp này)"
        documents.append(ChecklistDocument(text, d.form))
    fees = []
    for line in catalogue.fee_lines(procedure):
        if line.unknown:
            amount = "hỏi Bộ phận Một cửa"
        else:
            amount = money(line.amount)
            if line.fee.unit and line.amount:
                amount += f" / {line.fee.unit}"
        fees.append(f"{line.fee.label}: {amount}")
    hours = commune.hours
    return Checklist(
        office=commune.office_name,
        procedure=procedure.name,
        code=procedure.code,
        documents=tuple(documents),
        fees=tuple(fees),
        time=view.time_text(procedure.processing_time),
        where=procedure.where,
        filing=view.filing_text(procedure),
        hours=(hours.days, f"Sáng {hours.morning}, chiều {hours.afternoon}")
        + ((hours.note,) if hours.note else ()),
        address=commune.address,
        phone=commune.phone,
        reviewed=procedure.last_reviewed,
    )


def printable_checklist(services: Services, procedure: Procedure) -> OutgoingFile:
    pdf = checklist_pdf(checklist_of(services, procedure))
    name = f"giay-to-{procedure.id}.pdf"
    caption = f"Danh sách giấy tờ – {procedure.name} (in khổ A5)"
    return OutgoingFile(name, pdf.content, "application/pdf", caption)


async def printable(services: Services, procedure: Procedure) -> OutgoingFile:
    """Drawn in a worker thread: a PDF takes tens of milliseconds."""
    return await asyncio.to_thread(printable_checklist, services, procedure)


async def checklist_button_pressed(ctx: Context, action: PrintChecklist) -> list[Reply]:
    procedure = ctx.catalogue.get(action.procedure_id)
    if procedure is None:
        return [ctx.reply("stale_button.j2", fallback_buttons(ctx))]
    text = ctx.render("checklist.j2", **_values(ctx.services, procedure))
    rows = ((procedure_card(procedure.id).button("Tóm tắt thủ tục"),),)
    return [
        Reply(text=text, buttons=rows, format=ctx.format),
        ctx.reply("checklist_print.j2", file=await printable(ctx.services, procedure)),
    ]


routes: list[Route] = [pressed(checklist_button_pressed, PrintChecklist)]
