"""Browsing the catalogue by field (lĩnh vực): for people who prefer tapping to typing."""

from __future__ import annotations

from core.messages import Reply
from handlers.actions import ListFields, ShowField, procedure_card
from handlers.context import Context
from handlers.procedure_view import field_slug
from handlers.routing import Route, command, pressed, tapped
from handlers.start import fallback_buttons


def fields_reply(ctx: Context) -> Reply:
    rows = [
        [ShowField(field_slug(field)).button(f"{field} ({len(ctx.catalogue.in_field(field))})")]
        for field in ctx.catalogue.fields
    ]
    return ctx.reply("fields.j2", rows)


async def list_fields(ctx: Context) -> list[Reply]:
    return [fields_reply(ctx)]


async def field_button(ctx: Context, action: ShowField) -> list[Reply]:
    field = next((f for f in ctx.catalogue.fields if field_slug(f) == action.slug), None)
    if field is None:
        return [ctx.reply("stale_button.j2", fallback_buttons(ctx))]
    procedures = ctx.catalogue.in_field(field)
    rows = [[procedure_card(p.id).button(p.name)] for p in procedures]
    rows.append([ListFields().button("⬅ Các lĩnh vực khác")])
    return [ctx.reply("field_procedures.j2", rows, field=field, procedures=procedures)]


routes: list[Route] = [
    command(list_fields, "linhvuc"),
    tapped(list_fields, ListFields),
    pressed(field_button, ShowField),
]
