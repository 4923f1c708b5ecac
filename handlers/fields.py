"""Browsing the catalogue by field (lĩnh vực): for people who prefer tapping to typing."""

from __future__ import annotations

from core.messages import Button, Reply
from handlers.context import Context
from handlers.procedure_view import field_slug
from handlers.routing import Route, button, command
from handlers.start import fallback_buttons


def fields_reply(ctx: Context) -> Reply:
    rows = [
        [Button(f"{field} ({len(ctx.catalogue.in_field(field))})", f"f:{field_slug(field)}")]
        for field in ctx.catalogue.fields
    ]
    return ctx.reply("fields.j2", rows)


async def list_fields(ctx: Context) -> list[Reply]:
    return [fields_reply(ctx)]


async def field_button(ctx: Context) -> list[Reply]:
    slug = (ctx.message.button or "").partition(":")[2]
    field = next((f for f in ctx.catalogue.fields if field_slug(f) == slug), None)
    if field is None:
        return [ctx.reply("stale_button.j2", fallback_buttons(ctx))]
    procedures = ctx.catalogue.in_field(field)
    rows = [[Button(p.name, f"p:c:{p.id}")] for p in procedures]
    rows.append([Button("⬅ Các lĩnh vực khác", "menu:fields")])
    return [ctx.reply("field_procedures.j2", rows, field=field, procedures=procedures)]


routes: list[Route] = [
    command(list_fields, "linhvuc"),
    button(list_fields, "menu:fields"),
    button(field_button, "f"),
]
