"""Typed button data: every button action declared once, with its prefix and its fields.

A button carries a short string that comes back when it is pressed (Telegram's callback data,
at most 64 bytes; Zalo's buttons carry a 12-character token standing for it, bot/channels/zalo,
so Telegram's limit is the one that binds). Each action is a frozen dataclass declared with a
unique prefix, e.g.

    @dataclass(frozen=True)
    class ShowSection(Action, prefix="p"):
        section: str
        procedure_id: str

`ShowSection("g", "khai-sinh").data` is "p:g:khai-sinh"; `ACTIONS.decode("p:g:khai-sinh")` gives
the action back, or None for data no action reads (an old or forged button). The wire format is
the prefix and the fields joined by ":", the same strings the bot always sent, so buttons already
on people's screens (and in the outbox, and in Zalo's saved tokens) keep working.

Checked where they can be: prefixes at import (unique, and none the start of another, so data
decodes one way only); field types when the catalogue of actions is checked (`Registry.check`,
run at import by handlers.actions); the 64-byte limit and ":" inside a field where data is built.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from core.messages import MAX_BUTTON_DATA, Button

SEPARATOR = ":"
_DIGITS = re.compile(r"[0-9]{1,18}")


class ButtonDataError(ValueError):
    """An action declared or built wrongly: a programming error, caught by the tests."""


A = TypeVar("A", bound="Action")


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    parse: Callable[[str], Any]
    optional: bool  # a trailing field with a default of None may be left out


def _parser(kind: Any) -> Callable[[str], Any]:
    if kind is str:
        return str
    if kind is int:

        def to_int(text: str) -> int:
            if not _DIGITS.fullmatch(text):
                raise ValueError(text)
            return int(text)

        return to_int
    if kind is dt.date:
        return dt.date.fromisoformat
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind
    raise ButtonDataError(f"button fields are str, int, date or an Enum, not {kind!r}")


def _unwrap_optional(kind: Any) -> tuple[Any, bool]:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(kind)) == 2:
            return args[0], True
    return kind, False


class Registry:
    """The actions of one program (handlers.actions.ACTIONS), by prefix."""

    def __init__(self) -> None:
        self._by_prefix: dict[tuple[str, ...], type[Action]] = {}
        self._fields: dict[type[Action], tuple[_Field, ...]] = {}

    def register(self, cls: type[Action]) -> None:
        prefix = cls.prefix_parts()
        if not all(prefix):
            raise ButtonDataError(f"{cls.__name__}: empty prefix part in {cls.PREFIX!r}")
        for other, owner in self._by_prefix.items():
            shorter = min(len(other), len(prefix))
            if other[:shorter] == prefix[:shorter]:
                raise ButtonDataError(
                    f"{cls.__name__}: prefix {cls.PREFIX!r} clashes with "
                    f"{owner.__name__}'s {owner.PREFIX!r} (data would decode two ways)"
                )
        self._by_prefix[prefix] = cls

    def actions(self) -> tuple[type[Action], ...]:
        return tuple(self._by_prefix.values())

    def fields(self, cls: type[Action]) -> tuple[_Field, ...]:
        known = self._fields.get(cls)
        if known is not None:
            return known
        if not dataclasses.is_dataclass(cls):
            raise ButtonDataError(f"{cls.__name__} must be a frozen dataclass")
        hints = typing.get_type_hints(cls)
        found = []
        for f in dataclasses.fields(cls):
            kind, optional = _unwrap_optional(hints[f.name])
            if optional and f.default is not None:
                raise ButtonDataError(f"{cls.__name__}.{f.name}: optional means default None")
            if found and found[-1].optional and not optional:
                raise ButtonDataError(f"{cls.__name__}.{f.name}: optional fields come last")
            found.append(_Field(f.name, _parser(kind), optional))
        self._fields[cls] = tuple(found)
        return self._fields[cls]

    def check(self) -> None:
        """Every action's fields readable (called once the actions are declared)."""
        for cls in self._by_prefix.values():
            self.fields(cls)

    def decode(self, data: str | None) -> Action | None:
        """The action a button's data stands for; None when no action reads it."""
        if not data:
            return None
        parts = data.split(SEPARATOR)
        for n in range(1, len(parts) + 1):
            cls = self._by_prefix.get(tuple(parts[:n]))
            if cls is not None:
                return self._build(cls, parts[n:])
        return None

    def _build(self, cls: type[Action], values: list[str]) -> Action | None:
        fields = self.fields(cls)
        required = sum(1 for f in fields if not f.optional)
        if not required <= len(values) <= len(fields):
            return None
        try:
            parsed = {f.name: f.parse(v) for f, v in zip(fields, values, strict=False)}
        except ValueError:
            return None
        return cls(**parsed)


ACTIONS = Registry()


class Action:
    """A button's action. Subclasses are frozen dataclasses declared with `prefix="…"`."""

    PREFIX: ClassVar[str] = ""
    REGISTRY: ClassVar[Registry] = ACTIONS

    def __init_subclass__(cls, prefix: str = "", registry: Registry | None = None) -> None:
        super().__init_subclass__()
        if registry is not None:
            cls.REGISTRY = registry
        if prefix:
            cls.PREFIX = prefix
            cls.REGISTRY.register(cls)

    @classmethod
    def prefix_parts(cls) -> tuple[str, ...]:
        return tuple(cls.PREFIX.split(SEPARATOR))

    @property
    def data(self) -> str:
        """The string the button carries: prefix, then the fields; within 64 bytes."""
        parts = [self.PREFIX]
        fields = self.REGISTRY.fields(type(self))
        values = [getattr(self, f.name) for f in fields]
        while values and values[-1] is None and fields[len(values) - 1].optional:
            values.pop()
        for f, value in zip(fields, values, strict=False):
            text = _encode(value)
            if SEPARATOR in text:
                name = f"{type(self).__name__}.{f.name}"
                raise ButtonDataError(f"{name} holds {SEPARATOR!r}: {text!r}")
            parts.append(text)
        data = SEPARATOR.join(parts)
        if len(data.encode("utf-8")) > MAX_BUTTON_DATA:
            raise ButtonDataError(
                f"{type(self).__name__}: button data over {MAX_BUTTON_DATA} bytes: {data!r}"
            )
        return data

    def button(self, label: str) -> Button:
        return Button(label, self.data)


def _encode(value: object) -> str:
    if value is None:
        raise ButtonDataError("only trailing optional fields may be None")
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
