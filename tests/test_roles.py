"""Who may use what (issue 17 point 3). The authorisation matrix is read from the dispatcher's
routes (bot.app.ROUTES, each declaring its role: handlers.routing.Role), not written here: every
command, button action, step and file an officer, administrator or volunteer route takes is
tried by someone without the role. Each try gets the one polite refusal and changes nothing in
the database (every table compared before and after); a step refused ends."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import sqlite3
import typing
from dataclasses import dataclass

import pytest

from bot.app import ROUTES, Dispatcher
from bot.settings import Settings
from core.broadcasts import ALL_TOPICS
from core.button_data import ACTIONS, Action
from core.chat_rate import RatePolicy
from core.dossiers import Status
from handlers.actions import ApproveVolunteer
from handlers.commands import ADMIN_COMMANDS, CITIZEN_COMMANDS, OFFICER_COMMANDS
from handlers.context import Services
from handlers.procedure_view import field_slug
from handlers.routing import On, Role, Route
from storage.base import ConversationKey
from tests.dossier_fixtures import CODE, dossier, with_hash
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)
REFUSED = {
    Role.OFFICER: "dành cho cán bộ Bộ phận Một cửa",
    Role.ADMIN: "dành cho cán bộ",  # an officer is told it is the administrators'
    Role.VOLUNTEER: "dành cho tình nguyện viên",
}
CITIZEN, VOLUNTEER, OFFICER, PENDING = "300", "700", "555", "800"


@dataclass(frozen=True)
class Attempt:
    label: str
    role: Role
    state: str | None = None  # the step the person is put in first
    text: str = ""
    button: str | None = None
    file: bool = False
    image: bool = False
    otherwise: bool = False  # the route answers others in its own way (no refusal)


def _sample(name: str, kind: object, services: Services) -> object:
    kind = next((a for a in typing.get_args(kind) if a is not type(None)), kind)
    catalogue = services.knowledge.catalogue
    if kind is int:
        return 1  # the first feedback, ticket, broadcast, reason…
    if kind is dt.date:
        return dt.date(2026, 12, 1)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return Status.PROCESSING if kind is Status else next(iter(kind))
    return {
        "code_key": dossier().code_key,
        "user_id": PENDING if name == "user_id" else OFFICER,
        "channel": "test",
        "procedure_id": next(iter(catalogue)).id,
        "slug": field_slug(catalogue.fields[0]),
        "period": "2026-Q4",
        "section": "g",
        "topic": ALL_TOPICS,
        "answers": "2",
    }.get(name, "1")


def sample(cls: type[Action], services: Services) -> Action:
    """A realistic press: the seeded dossier, feedback, ticket, broadcast, pending volunteer."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    values = {f.name: _sample(f.name, hints[f.name], services) for f in fields}
    if cls in (ApproveVolunteer,):
        values["user_id"] = PENDING
    return cls(**values)


def attempts(routes: list[Route], services: Services) -> list[Attempt]:
    """Every way into a route that needs a role, derived from the route."""
    found = []
    for route in routes:
        if route.who is Role.CITIZEN:
            continue
        match route.on:
            case On.COMMAND:
                found += [Attempt(f"/{n}", route.who, text=f"/{n} {CODE}") for n in route.names]
            case On.BUTTON:
                for cls in route.actions:
                    data = sample(cls, services).data
                    found.append(Attempt(cls.__name__, route.who, button=data))
            case On.STATE:
                text = "Nội dung thử 555 đủ dài để ghi"
                found += [Attempt(s, route.who, state=s, text=text) for s in route.names]
            case On.IMAGE:
                found += [Attempt(f"ảnh {s}", route.who, s, image=True) for s in route.names]
            case On.FILE:
                found.append(Attempt("tệp", route.who, file=True, otherwise=bool(route.otherwise)))
            case _:
                raise AssertionError(f"a route with a role the test cannot try: {route}")
    return found


def snapshot(settings: Settings, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every row of every table (the bot's SQLite file, read beside the running bot)."""
    with sqlite3.connect(settings.database_file) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in skip
        ]
        return {t: sorted(db.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}


async def _try(chat: Transcript, attempt: Attempt, services: Services) -> None:
    if attempt.state is not None:
        key = ConversationKey(chat.channel, chat.user_id, chat.user_id)
        await services.storage.conversations.save_state(key, attempt.state, {}, NOW)
    if attempt.file:
        await chat.send_file("procedures.yaml", b"procedures: []\n")
    elif attempt.image:
        await chat.send_image("giay-to.jpg", b"\xff\xd8\xff\xe0 not really a photo")
    elif attempt.button is not None:
        await chat.press_data(attempt.button)
    else:
        await chat.say(attempt.text)


@pytest.fixture
async def populated(services: Services, officer_chat: Transcript) -> Dispatcher:
    """A dossier, a feedback item, an open question, a broadcast, an added officer, a pending
    and an approved volunteer: things a refused route could change."""
    services.chat_rate = RatePolicy(burst=10_000, per_minute=10_000)  # many tries per chat
    dispatcher = Dispatcher(services)
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    person = Transcript(dispatcher, user_id="200")
    await person.say("/dangkythongbao")
    await person.press("Nhận tất cả")
    await person.say("/phananh Đường vào xã ngập nước mỗi khi mưa to, xin xã xem xét")
    await person.say("/hoicanbo Tôi cần hỏi về hồ sơ đất đai của gia đình")
    admin = Transcript(dispatcher, user_id=officer_chat.user_id)
    await admin.say(f"/canbo them {OFFICER} Lê Thị Hoa")
    await admin.say("/thongbao Bộ phận Một cửa nghỉ chiều thứ Sáu để tập huấn nghiệp vụ.")
    await admin.press("Tất cả")
    await admin.press("Gửi cho")
    for user, approve in ((VOLUNTEER, True), (PENDING, False)):
        volunteer = Transcript(dispatcher, user_id=user)
        await volunteer.say("/tinhnguyenvien")
        await volunteer.press("Đồng ý")
        for answer in ("Trần Văn Bình", "Tổ 3", "Thôn Đông"):
            await volunteer.say(answer)
        if approve:
            await admin.press_data(ApproveVolunteer(user).data)
    assert await services.storage.broadcasts.recent_broadcasts(1)
    assert (await services.storage.tickets.open_tickets(1))[0].id == 1
    assert (await services.storage.care.get_feedback(1)) is not None
    return dispatcher


def test_the_matrix_is_declared_by_the_routes(services: Services) -> None:
    tried = attempts(ROUTES, services)
    commands = {a.label.lstrip("/"): a.role for a in tried if a.label.startswith("/")}
    citizen = {name for name, _ in CITIZEN_COMMANDS}
    officers = {name for name, _ in OFFICER_COMMANDS} - citizen
    assert {n for n, r in commands.items() if r is Role.ADMIN} == ADMIN_COMMANDS
    assert {n for n, r in commands.items() if r is Role.OFFICER} == officers - ADMIN_COMMANDS
    buttons = {a.label: a.role for a in tried if a.button is not None}
    # The buttons anyone may press, in full: a new action is either added here on purpose or
    # declares its role (and is then tried below).
    anyone = {
        "AskOfficer", "AskPrompt", "AskToFollow", "CancelFeedback", "CancelQuestion", "Contact",
        "DeclineFollow", "DeclineSubscription", "EndQuestion", "EraseMyData", "Follow", "GoHome",
        "JoinVolunteers", "KeepMyData", "ListFields", "LookupPrompt", "MyDossiers",
        "PrintChecklist", "Rate", "ShowField", "ShowSection", "SubscribeAll", "SubscribeField",
        "Unfollow", "Unsubscribe", "ViewDossier", "VolunteerNotNow", "WriteFeedback",
        "ChangeCommune", "ChooseCommune",  # issue 19: which commune a citizen is from
    }  # fmt: skip
    assert {cls.__name__ for cls in ACTIONS.actions()} - set(buttons) == anyone
    assert {"AskNameConsent", "NameConsentGiven", "ForwardText", "SkipLabel"} == {
        name for name, role in buttons.items() if role is Role.VOLUNTEER
    }
    assert {"AddOfficer", "AskRemoveOfficer", "AuditPage", "OfficerRoster", "RemoveOfficer"} == {
        name for name, role in buttons.items() if role is Role.ADMIN
    }
    assert any(a.state for a in tried) and any(a.image for a in tried)


@pytest.mark.parametrize("who", ["citizen", "volunteer"])
async def test_everything_an_officer_or_volunteer_may_do_is_refused_to_others(
    populated: Dispatcher, services: Services, settings: Settings, who: str
) -> None:
    user = CITIZEN if who == "citizen" else VOLUNTEER
    chat = Transcript(populated, user_id=user)
    await chat.say("/start")  # the chat's first contact is the dispatcher's, not the route's
    checked = 0
    for attempt in attempts(ROUTES, services):
        if who == "volunteer" and attempt.role is Role.VOLUNTEER:
            continue  # theirs
        skip = frozenset({"conversations"}) if attempt.state else frozenset()
        before = snapshot(settings, skip)
        await _try(chat, attempt, services)
        if attempt.otherwise:
            chat.expect_not("dành cho")
        else:
            assert REFUSED[attempt.role] in chat.text, (attempt, chat.text)
        assert snapshot(settings, skip) == before, attempt
        if attempt.state:  # the step it was in ends
            key = ConversationKey(chat.channel, user, user)
            assert (await services.storage.conversations.load_state(key)).name is None, attempt
        checked += 1
    assert checked >= 60


async def test_an_officer_is_refused_what_only_administrators_do(
    populated: Dispatcher, services: Services, settings: Settings
) -> None:
    chat = Transcript(populated, user_id=OFFICER)
    await chat.say("/start")
    admin_only = [a for a in attempts(ROUTES, services) if a.role is Role.ADMIN]
    assert len(admin_only) >= 7
    for attempt in admin_only:
        skip = frozenset({"conversations"}) if attempt.state else frozenset()
        before = snapshot(settings, skip)
        await _try(chat, attempt, services)
        assert "dành cho cán bộ quản trị" in chat.text, (attempt, chat.text)
        assert snapshot(settings, skip) == before, attempt
