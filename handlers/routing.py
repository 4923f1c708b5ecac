"""Routes: which handler takes a message. The order lives in one place, `bot/app.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum, auto
from typing import TypeVar

from core.button_data import Action
from core.messages import Button, IncomingMessage, Reply
from handlers.context import Context
from storage.base import ConversationState

Handler = Callable[[Context], Awaitable[list[Reply]]]
A = TypeVar("A", bound=Action)


class On(Enum):
    COMMAND = auto()  # /name, matched against `names`
    ANY_COMMAND = auto()  # any /name not taken earlier
    BUTTON = auto()  # a button whose data decodes to one of `actions` (handlers.actions)
    STATE = auto()  # free text while the conversation is in one of the states in `names`
    TEXT = auto()  # any free text
    FILE = auto()  # a document
    IMAGE = auto()  # a photo, or an image sent as a file (read for codes)
    UNSUPPORTED = auto()  # stickers, photos, voice, edits…


@dataclass(frozen=True)
class Route:
    on: On
    handler: Handler
    names: tuple[str, ...] = ()
    # A further condition on the message (e.g. "the text carries a receipt code").
    when: Callable[[Context], bool] | None = None
    actions: tuple[type[Action], ...] = ()  # On.BUTTON: the decoded actions it answers

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
            case On.IMAGE:
                return message.image is not None
            case On.UNSUPPORTED:
                return message.unsupported is not None
            case _:
                return False


def command(handler: Handler, *names: str) -> Route:
    return Route(On.COMMAND, handler, names)


def pressed(handler: Callable[[Context, A], Awaitable[list[Reply]]], action: type[A]) -> Route:
    """A button route whose handler receives the decoded action (its fields typed)."""

    async def run(ctx: Context) -> list[Reply]:
        decoded = ctx.action
        assert isinstance(decoded, action)
        return await handler(ctx, decoded)

    return Route(On.BUTTON, run, actions=(action,))


def tapped(handler: Handler, *actions: type[Action]) -> Route:
    """A button route for actions without fields: the handler needs only the context."""
    return Route(On.BUTTON, handler, actions=actions)


def in_state(handler: Handler, *states: str) -> Route:
    return Route(On.STATE, handler, states)


def text_when(handler: Handler, condition: Callable[[Context], bool]) -> Route:
    return Route(On.TEXT, handler, when=condition)


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
