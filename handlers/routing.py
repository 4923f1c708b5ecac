"""Routes: which handler takes a message, and who may use it. The order lives in one place,
`bot/app.py`; `run` enforces the roles, so no handler checks them.

Roles: anyone is a citizen; an approved volunteer (tổ công nghệ số cộng đồng) is also a volunteer;
officers are the administrators (OFFICER_IDS in the settings) and the officers they add in the
chat. A route declares the role it needs (`who=`); someone without it gets one polite refusal
and nothing is done (tests/test_roles.py tries every route so declared as the others)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum, auto
from typing import TypeVar

from core.button_data import Action
from core.messages import Button, IncomingMessage, Reply
from core.officers import OutOfScope
from handlers.context import Context
from storage.base import ConversationState

Handler = Callable[[Context], Awaitable[list[Reply]]]
A = TypeVar("A", bound=Action)


class Role(Enum):
    CITIZEN = "citizen"  # anyone
    VOLUNTEER = "volunteer"  # an approved volunteer (read from the database first)
    OFFICER = "officer"  # an officer added in the chat, or an administrator
    ADMIN = "administrator"  # OFFICER_IDS in the settings


class On(Enum):
    COMMAND = auto()  # /name, matched against `names`
    ANY_COMMAND = auto()  # any /name not taken earlier
    BUTTON = auto()  # a button whose data decodes to one of `actions` (handlers.actions)
    STATE = auto()  # free text while the conversation is in one of the states in `names`
    TEXT = auto()  # any free text
    FILE = auto()  # a document
    IMAGE = auto()  # a photo, or an image sent as a file (read for codes); states in `names`
    UNSUPPORTED = auto()  # stickers, photos, voice, edits…


@dataclass(frozen=True)
class Route:
    on: On
    handler: Handler
    names: tuple[str, ...] = ()
    # A further condition on the message (e.g. "the text carries a receipt code").
    when: Callable[[Context], bool] | None = None
    actions: tuple[type[Action], ...] = ()  # On.BUTTON: the decoded actions it answers
    who: Role = Role.CITIZEN  # who may use it (`run`)
    # What someone without the role gets instead of the refusal (a citizen's file: "type").
    otherwise: Handler | None = None

    @property
    def in_step(self) -> bool:
        """Taken only in some states of the conversation (`names`)."""
        return self.on is On.STATE or (self.on is On.IMAGE and bool(self.names))

    def matches(self, ctx: Context) -> bool:
        return self._kind_matches(ctx) and (self.when is None or self.when(ctx))

    def _kind_matches(self, ctx: Context) -> bool:
        message = ctx.message
        command = message.command
        is_text = bool(message.text.strip()) and command is None and message.button is None
        match self.on:
            case On.COMMAND:
                return command is not None and command[0] in self.names
            case On.ANY_COMMAND:
                return command is not None
            case On.BUTTON if self.actions:
                return isinstance(ctx.action, self.actions)
            case On.BUTTON:  # any button (the last resort for data no action reads)
                return message.button is not None
            case On.STATE:
                return is_text and ctx.state.name in self.names
            case On.TEXT:
                return is_text
            case On.FILE:
                return message.file is not None
            case On.IMAGE:  # in one of the states in `names`, when there are any
                in_state = not self.names or ctx.state.name in self.names
                return message.image is not None and in_state
            case On.UNSUPPORTED:
                return message.unsupported is not None
            case _:
                return False


def command(handler: Handler, *names: str, who: Role = Role.CITIZEN) -> Route:
    return Route(On.COMMAND, handler, names, who=who)


def pressed(
    handler: Callable[[Context, A], Awaitable[list[Reply]]],
    action: type[A],
    *,
    who: Role = Role.CITIZEN,
) -> Route:
    """A button route whose handler receives the decoded action (its fields typed)."""

    async def with_action(ctx: Context) -> list[Reply]:
        decoded = ctx.action
        assert isinstance(decoded, action)
        return await handler(ctx, decoded)

    return Route(On.BUTTON, with_action, actions=(action,), who=who)


def tapped(handler: Handler, *actions: type[Action], who: Role = Role.CITIZEN) -> Route:
    """A button route for actions without fields: the handler needs only the context."""
    return Route(On.BUTTON, handler, actions=actions, who=who)


def in_state(handler: Handler, *states: str, who: Role = Role.CITIZEN) -> Route:
    return Route(On.STATE, handler, states, who=who)


def text_when(handler: Handler, condition: Callable[[Context], bool]) -> Route:
    return Route(On.TEXT, handler, when=condition)


# -- roles ---------------------------------------------------------------------------------------


async def run(route: Route, ctx: Context) -> list[Reply]:
    """The route's handler when the person may use it; else the one refusal, nothing done."""
    if await may_use(ctx, route.who):
        try:
            return await route.handler(ctx)
        except OutOfScope:  # issue 19: another commune's; checked before anything changes
            if route.in_step:
                await ctx.clear_state()
            own = ctx.services.knowledge.province.get(ctx.scope.commune_id)
            return [ctx.reply("other_commune.j2", own=own.name if own else None)]
    if route.otherwise is not None:
        return await route.otherwise(ctx)
    if route.in_step:  # a step they may no longer take (their role was removed): it ends
        await ctx.clear_state()
    return [refusal(ctx, route.who)]


async def may_use(ctx: Context, role: Role) -> bool:
    match role:
        case Role.VOLUNTEER:  # approved or erased in another process: seen at once
            await ctx.sync_volunteer_role()
            return ctx.is_volunteer
        case Role.OFFICER:
            return ctx.is_officer
        case Role.ADMIN:
            return ctx.is_admin
        case _:
            return True


def refusal(ctx: Context, role: Role) -> Reply:
    """Polite, and says where to go instead; an officer refused an administrator's command is
    told who can do it."""
    match role:
        case Role.VOLUNTEER:
            return ctx.reply("volunteers_only.j2")
        case Role.ADMIN if ctx.is_officer:
            return ctx.reply("admins_only.j2")
        case _:
            return ctx.reply("officers_only.j2")


# -- typed choices ---------------------------------------------------------------------------------
# A reply that waits for typed input (a receipt code, 4 digits) may also carry buttons. People
# who see numbered choices (the terminal, Zalo's long lists) or who do not see buttons as buttons
# type the number instead: the reply's buttons are kept in the conversation state under this key,
# and a bare number among them presses that button (`typed_choice`, applied by the dispatcher).
CHOICES = "choices"


def choice_data(rows: Sequence[Sequence[Button]]) -> list[list[str]]:
    """The buttons of a reply, in the order shown, as (label, data) pairs for the state."""
    return [[b.label, b.data] for row in rows for b in row]


def typed_choice(message: IncomingMessage, state: ConversationState) -> IncomingMessage:
    """A bare number typed while the state remembers the reply's buttons → that button."""
    choices = state.data.get(CHOICES)
    text = message.text.strip()
    if not choices or message.button is not None or not text.isdigit() or len(text) > 2:
        return message
    number = int(text)
    if not 1 <= number <= len(choices):
        return message
    label, data = choices[number - 1]
    return replace(message, text=str(label), button=str(data))
