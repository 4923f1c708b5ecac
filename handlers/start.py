"""Greeting, help, the office's contacts, small talk, and what to say when we cannot read."""

from __future__ import annotations

from core.messages import Button, Reply
from core.search import SmallTalk
from handlers.actions import AskPrompt, Contact, GoHome, ListFields, ShowField, WriteFeedback
from handlers.buttons import CONTACT_BUTTON, HOME_BUTTON, LOOKUP_BUTTON
from handlers.commands import officer_commands
from handlers.context import Context
from handlers.procedure_view import field_slug
from handlers.routing import On, Route, command, pressed, tapped
from handlers.ticket_buttons import ask_button


def main_menu() -> list[list[Button]]:
    return [
        [AskPrompt().button("❓ Hỏi về một thủ tục")],
        [ListFields().button("📚 Xem thủ tục theo lĩnh vực")],
        [LOOKUP_BUTTON],
        [CONTACT_BUTTON],
    ]


def fallback_buttons(ctx: Context) -> list[list[Button]]:
    """When we could not help: a person to ask (issue 21), the fields to browse, the office to
    call."""
    return [
        [ask_button()],
        *[[ShowField(field_slug(field)).button(field)] for field in ctx.catalogue.fields],
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
        [WriteFeedback().button("📝 Gửi phản ánh, kiến nghị")],
        [HOME_BUTTON],
    ]


async def contact(ctx: Context) -> list[Reply]:
    return [ctx.reply("contact.j2", contact_buttons())]


async def contact_pressed(ctx: Context, action: Contact) -> list[Reply]:
    ctx.about_commune(action.commune)  # issue 19: under a dossier card, its commune's office
    return await contact(ctx)


async def ask_prompt(ctx: Context) -> list[Reply]:
    return [ctx.reply("ask_prompt.j2")]


async def go_home(ctx: Context) -> list[Reply]:
    """ "Về đầu" leaves whatever step the person was in."""
    await ctx.clear_state()
    return [ctx.reply("start.j2", main_menu())]


async def stale_button(ctx: Context) -> list[Reply]:
    """Data no action reads (handlers.actions): a button from an older version, or forged."""
    return [ctx.reply("stale_button.j2", fallback_buttons(ctx))]


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
    tapped(ask_prompt, AskPrompt),
    pressed(contact_pressed, Contact),
    tapped(go_home, GoHome),
    Route(On.UNSUPPORTED, unsupported),
]
unknown_command_route = Route(On.ANY_COMMAND, unknown_command)
# After every button route (bot/app.py): a button whose data no action reads.
stale_button_route = Route(On.BUTTON, stale_button, when=lambda ctx: ctx.action is None)
