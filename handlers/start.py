"""Greeting, help, the office's contacts, small talk, and what to say when we cannot read."""

from __future__ import annotations

from core.messages import Button, Reply
from core.search import SmallTalk
from handlers.buttons import CONTACT_BUTTON, HOME_BUTTON, LOOKUP_BUTTON
from handlers.commands import officer_commands
from handlers.context import Context
from handlers.procedure_view import field_slug
from handlers.routing import On, Route, button, command
from handlers.ticket_buttons import ask_button


def main_menu() -> list[list[Button]]:
    return [
        [Button("❓ Hỏi về một thủ tục", "menu:ask")],
        [Button("📚 Xem thủ tục theo lĩnh vực", "menu:fields")],
        [LOOKUP_BUTTON],
        [CONTACT_BUTTON],
    ]


def fallback_buttons(ctx: Context) -> list[list[Button]]:
    """When we could not help: a person to ask (issue 21), the fields to browse, the office to
    call."""
    return [
        [ask_button()],
        *[[Button(field, f"f:{field_slug(field)}")] for field in ctx.catalogue.fields],
        [CONTACT_BUTTON],
    ]


async def start(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [ctx.reply("start.j2", main_menu())]


async def help_command(ctx: Context) -> list[Reply]:
    commands = officer_commands(admin=ctx.is_admin) if ctx.is_officer else []
    return [ctx.reply("help.j2", main_menu(), officer_commands=commands)]


def contact_buttons() -> list[list[Button]]:
    """After the phone and hours, the other ways to reach the office, by tapping (issue 7)."""
    return [
        [ask_button()],  # issue 21
        [Button("📝 Gửi phản ánh, kiến nghị", "pa:w")],
        [HOME_BUTTON],
    ]


async def contact(ctx: Context) -> list[Reply]:
    return [ctx.reply("contact.j2", contact_buttons())]


async def menu_button(ctx: Context) -> list[Reply]:
    match ctx.message.button:
        case "menu:ask":
            return [ctx.reply("ask_prompt.j2")]
        case "menu:contact":
            return [ctx.reply("contact.j2", contact_buttons())]
        case _:  # "Về đầu" leaves whatever step the person was in
            await ctx.clear_state()
            return [ctx.reply("start.j2", main_menu())]


def small_talk_reply(ctx: Context, kind: SmallTalk) -> Reply:
    match kind:
        case SmallTalk.CONTACT:
            return ctx.reply("contact.j2", contact_buttons())
        case SmallTalk.DOSSIER:  # a dossier already filed: how to look it up
            return ctx.reply("small_talk_dossier.j2", [[LOOKUP_BUTTON], [CONTACT_BUTTON]])
        case SmallTalk.GREETING:
            return ctx.reply("small_talk.j2", main_menu(), kind=kind.value)
        case _:
            return ctx.reply("small_talk.j2", [[HOME_BUTTON]], kind=kind.value)


async def unsupported(ctx: Context) -> list[Reply]:
    return [ctx.reply("unsupported.j2", kind=ctx.message.unsupported)]


async def unknown_command(ctx: Context) -> list[Reply]:
    name, _ = ctx.message.command or ("", "")
    return [ctx.reply("unknown_command.j2", main_menu(), name=name)]


routes: list[Route] = [
    command(start, "start", "batdau"),
    command(help_command, "trogiup", "help"),
    command(contact, "lienhe"),
    button(menu_button, "menu:ask", "menu:contact", "menu:start"),
    Route(On.UNSUPPORTED, unsupported),
]
unknown_command_route = Route(On.ANY_COMMAND, unknown_command)
