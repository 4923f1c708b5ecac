"""A procedure's checklist to print or forward: documents with boxes to tick, fees, time, where
to go and the office's hours — as a chat message and a printable A5 page (HTML, print or save
as PDF), so that a volunteer can hand it to an elder. Button "ck:<procedure id>" on the card."""

from __future__ import annotations

from core.catalogue.models import Procedure
from core.messages import Button, OutgoingFile, Reply, TextFormat
from handlers import procedure_view as view
from handlers.context import Context, Services, render
from handlers.routing import Route, button

PREFIX = "ck"  # "ck:<procedure id>": within 64 bytes for ids of up to 60 characters


def _values(services: Services, procedure: Procedure) -> dict[str, object]:
    catalogue = services.knowledge.catalogue
    return {
        "p": procedure,
        "kinds": view.DOCUMENT_KIND,
        "fees": catalogue.fee_lines(procedure),
        "time_text": view.time_text(procedure.processing_time),
        "filing_short": view.filing_text(procedure),
    }


def printable_checklist(services: Services, procedure: Procedure) -> OutgoingFile:
    html = render(
        services, TextFormat.HTML, "print/checklist.html.j2", **_values(services, procedure)
    )
    name = f"giay-to-{procedure.id}.html"
    caption = f"Danh sách giấy tờ – {procedure.name} (in khổ A5)"
    return OutgoingFile(name, html.encode("utf-8"), "text/html", caption)


async def checklist_button_pressed(ctx: Context) -> list[Reply]:
    procedure_id = (ctx.message.button or "").partition(":")[2]
    procedure = ctx.catalogue.get(procedure_id)
    if procedure is None:
        from handlers.start import fallback_buttons

        return [ctx.reply("stale_button.j2", fallback_buttons(ctx))]
    text = ctx.render("checklist.j2", **_values(ctx.services, procedure))
    rows = ((Button("Tóm tắt thủ tục", f"p:c:{procedure.id}"),),)
    return [
        Reply(text=text, buttons=rows, format=ctx.format),
        ctx.reply("checklist_print.j2", file=printable_checklist(ctx.services, procedure)),
    ]


routes: list[Route] = [button(checklist_button_pressed, PREFIX)]
