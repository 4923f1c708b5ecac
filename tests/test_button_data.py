"""Typed button data (core.button_data): the codec, and the bot's own actions (handlers.actions)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import typing

import pytest

from core.button_data import ACTIONS, Action, ButtonDataError, Registry
from core.messages import MAX_BUTTON_DATA
from handlers import actions

LOCAL = Registry()


class Colour(enum.StrEnum):
    RED = "r"
    BLUE = "b"


@dataclasses.dataclass(frozen=True)
class Paint(Action, prefix="t:paint", registry=LOCAL):
    item: str
    times: int
    colour: Colour
    on: dt.date
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class Home(Action, prefix="t:home", registry=LOCAL):
    pass


def test_an_action_round_trips_through_its_data() -> None:
    paint = Paint("door", 2, Colour.BLUE, dt.date(2026, 11, 25))
    assert paint.data == "t:paint:door:2:b:2026-11-25"
    assert LOCAL.decode(paint.data) == paint
    noted = dataclasses.replace(paint, note="x")
    assert noted.data == "t:paint:door:2:b:2026-11-25:x"
    assert LOCAL.decode(noted.data) == noted
    assert LOCAL.decode("t:home") == Home()
    assert Home().button("Về").data == "t:home"


@pytest.mark.parametrize(
    "data",
    [
        "",
        "t",  # a prefix's first part only
        "t:paint:door:2:b",  # a field missing
        "t:paint:door:2:b:2026-11-25:x:y",  # one too many
        "t:paint:door:two:b:2026-11-25",  # not a number
        "t:paint:door:-2:b:2026-11-25",
        "t:paint:door:2:green:2026-11-25",  # not a colour
        "t:paint:door:2:b:2026-02-30",  # not a date
        "t:home:1",
        "zz:home",
    ],
)
def test_data_no_action_reads_decodes_to_none(data: str) -> None:
    assert LOCAL.decode(data) is None


def test_a_prefix_is_unique_and_never_the_start_of_another() -> None:
    registry = Registry()

    @dataclasses.dataclass(frozen=True)
    class First(Action, prefix="a:b", registry=registry):
        pass

    for clash in ("a:b", "a", "a:b:c"):
        with pytest.raises(ButtonDataError, match="clashes with First"):
            type("Second", (Action,), {}, prefix=clash, registry=registry)
    type("Third", (Action,), {}, prefix="a:bc", registry=registry)  # another part: fine


def test_the_64_byte_limit_and_the_separator_are_checked_where_data_is_built() -> None:
    assert len(Paint("d" * 40, 1, Colour.RED, dt.date(2026, 1, 1)).data) <= MAX_BUTTON_DATA
    with pytest.raises(ButtonDataError, match="over 64 bytes"):
        _ = Paint("đ" * 30, 1, Colour.RED, dt.date(2026, 1, 1)).data  # 2 bytes a letter
    with pytest.raises(ButtonDataError, match="holds ':'"):
        _ = Paint("a:b", 1, Colour.RED, dt.date(2026, 1, 1)).data


def test_field_types_are_checked() -> None:
    registry = Registry()

    @dataclasses.dataclass(frozen=True)
    class Odd(Action, prefix="odd", registry=registry):
        amount: float

    with pytest.raises(ButtonDataError, match="str, int, date or an Enum"):
        registry.check()


def _sample(kind: object) -> object:
    kind = next((a for a in typing.get_args(kind) if a is not type(None)), kind)
    if kind is int:
        return 12
    if kind is dt.date:
        return dt.date(2026, 11, 25)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return next(iter(kind))
    return "000.00.19.H47-261116-0001"


def sample(cls: type[Action]) -> Action:
    """An instance of any action, its fields filled by type (also used by tests/test_roles.py)."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    return cls(**{f.name: _sample(hints[f.name]) for f in fields})


@pytest.mark.parametrize("cls", ACTIONS.actions(), ids=lambda c: c.__name__)
def test_every_action_of_the_bot_round_trips(cls: type[Action]) -> None:
    action = sample(cls)
    assert ACTIONS.decode(action.data) == action
    assert cls.__module__ == actions.__name__  # declared in one place


def test_the_strings_already_on_screens_still_decode() -> None:
    """Buttons sent before the codec (and kept in the outbox, Zalo's tokens, old messages)."""
    known = {
        "menu:start": actions.GoHome(),
        "p:g:khai-sinh": actions.ShowSection("g", "khai-sinh"),
        "h:v:00000019H47260101": actions.ViewDossier("00000019H47260101"),
        "tv:h": actions.MyDossiers(),
        "dg:KEY:21": actions.Rate("KEY", "21"),
        "pa:a:1": actions.AnswerFeedback(1),
        "ht:pt:3:zalo:123": actions.PassTicket(3, "zalo", "123"),
        "b:a": actions.ChooseAudience(),
        "x:d:2026-11-25": actions.ProposedDate(dt.date(2026, 11, 25)),
        "bc:2026-Q3": actions.ShowReport("2026-Q3"),
        "nk:10": actions.AuditPage(10),
    }
    for data, action in known.items():
        assert ACTIONS.decode(data) == action
        assert action.data == data


def test_every_action_is_answered_by_one_route() -> None:
    from bot.app import ROUTES

    for cls in ACTIONS.actions():
        owners = [route for route in ROUTES if cls in route.actions]
        assert len(owners) == 1, (cls.__name__, owners)
