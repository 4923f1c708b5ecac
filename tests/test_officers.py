"""Officers' roles (/canbo), the audit log (/nhatky), and the role check on every officer
command: admins come from the settings (OFFICER_IDS="test:900" in tests), officers are added in the
chat per channel, citizens are refused everything an officer can do."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.app import ROUTES, Dispatcher, running_services
from bot.settings import Settings
from core.clock import FixedClock
from core.officers import AdminIdInvalid, AdminIds, AuditAction, AuditEntry
from handlers.commands import CITIZEN_COMMANDS, OFFICER_COMMANDS
from handlers.context import Knowledge, Services
from handlers.officers import AUDIT_LABELS
from handlers.routing import On
from storage.base import ChatRef
from tests.conftest import make_settings
from tests.dossier_fixtures import CODE, dossier, with_hash
from tests.test_apologies import issue
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)


def routed_commands() -> tuple[set[str], set[str]]:
    """Every command the dispatcher answers, split into citizens' (a route that serves one of
    the citizens' menu commands, with its aliases) and the rest: the officers'."""
    citizen_menu = {name for name, _ in CITIZEN_COMMANDS}
    citizens, others = set(), set()
    for route in ROUTES:
        if route.on is On.COMMAND:
            (citizens if citizen_menu & set(route.names) else others).update(route.names)
    return citizens, others


# Taken from the routes, not from the menu: an officer command missing from the menu is still
# tested (and the menu test below fails).
OFFICER_ONLY = sorted(routed_commands()[1])
# Buttons an old message (or a forged payload) could still carry.
OFFICER_BUTTONS = ["x:s:abc", "x:c", "b:p", "b:c", "b:s:1", "b:xy:1", "cb:a", "cb:xy:555", "nk:10"]


def test_every_officer_command_is_in_the_refusal_test_and_in_the_officers_menu() -> None:
    """The refusal tests below take the dispatcher's routes as they are: a new officer command
    is checked without anyone remembering to add it. Each is in the officers' menu."""
    known = {
        "baocao", "canbo", "capnhat", "nhatky", "phananh_ds", "thongbao", "thongbao_ds",
        "tinhnguyenvien_ds", "trehan", "xinloi", "xinloi_ds",
    }  # fmt: skip
    assert known <= set(OFFICER_ONLY)
    menu = {name for name, _ in OFFICER_COMMANDS} - {name for name, _ in CITIZEN_COMMANDS}
    assert set(OFFICER_ONLY) == menu
    assert {name for name, _ in CITIZEN_COMMANDS} <= routed_commands()[0]


def test_every_audit_action_has_a_label() -> None:
    assert set(AUDIT_LABELS) == set(AuditAction)


@pytest.mark.parametrize("name", OFFICER_ONLY)
@pytest.mark.parametrize("args", ["", " them 100 An", " 1"])
async def test_a_citizen_is_refused_every_officer_command(
    services: Services, chat: Transcript, name: str, args: str
) -> None:
    await chat.say(f"/{name}{args}")
    chat.expect("dành cho cán bộ")
    assert [b.data for b in chat.buttons] == ["menu:start"]  # only the way back (issue 14)
    assert await services.storage.officers.audit_entries(10) == []
    assert await services.storage.officers.officers() == []
    assert await services.storage.broadcasts.recent_broadcasts(10) == []


@pytest.mark.parametrize("data", OFFICER_BUTTONS)
async def test_a_citizen_is_refused_every_officer_button(
    services: Services, chat: Transcript, data: str
) -> None:
    await chat.press_data(data)
    chat.expect("dành cho cán bộ")
    assert await services.storage.officers.audit_entries(10) == []


async def test_an_admin_adds_an_officer_who_can_work_at_once_but_not_administer(
    services: Services, officer_chat: Transcript, dispatcher: Dispatcher
) -> None:
    newcomer = Transcript(dispatcher, user_id="555")
    await newcomer.say("/thongbao")
    newcomer.expect("dành cho cán bộ Bộ phận Một cửa")

    await officer_chat.say("/canbo them 555 Lê Thị Hoa")
    officer_chat.expect("Đã thêm cán bộ Lê Thị Hoa (555)", "1. Lê Thị Hoa – mã 555")

    await newcomer.say("/thongbao")
    newcomer.expect("Gửi thông báo cho người đăng ký")
    await newcomer.press("Hủy")
    for admin_command in ("/canbo", "/canbo them 556 Ai Đó", "/nhatky"):
        await newcomer.say(admin_command)
        newcomer.expect("dành cho cán bộ quản trị")
    # Officers are per channel: the same id on another channel is a citizen.
    elsewhere = Transcript(dispatcher, user_id="555", channel="console")
    await elsewhere.say("/trehan")
    elsewhere.expect("dành cho cán bộ Bộ phận Một cửa")

    entries = await services.storage.officers.audit_entries(10)
    assert [(e.action, e.actor, e.target, e.detail) for e in entries] == [
        (AuditAction.OFFICER_ADDED, "900", "555", "Lê Thị Hoa")
    ]


async def test_added_officers_survive_a_restart_and_removal_takes_effect_at_once(
    settings: Settings, clock: FixedClock, knowledge: Knowledge
) -> None:
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        admin = Transcript(Dispatcher(services), user_id="900")
        await admin.say("/canbo them 555 Lê Thị Hoa")
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        dispatcher = Dispatcher(services)
        officer, admin = Transcript(dispatcher, "555"), Transcript(dispatcher, "900")
        await officer.say("/trehan")
        officer.expect_not("dành cho cán bộ")
        await admin.say("/canbo")
        await admin.press("Xóa Lê Thị Hoa")
        admin.expect("Xóa quyền cán bộ của 555?")
        await admin.press("🗑 Xóa")
        admin.expect("Đã xóa cán bộ 555.", "Chưa có cán bộ nào do quản trị thêm.")
        await officer.say("/trehan")
        officer.expect("dành cho cán bộ")
        actions = [e.action for e in await services.storage.officers.audit_entries(10)]
        assert actions == [AuditAction.OFFICER_REMOVED, AuditAction.OFFICER_ADDED]


async def test_adding_by_button_and_what_cannot_be_done(
    services: Services, officer_chat: Transcript
) -> None:
    await officer_chat.say("/canbo")
    await officer_chat.press("Thêm cán bộ")
    officer_chat.expect("gõ mã người dùng")
    await officer_chat.say("777 Trần Văn Bình")
    officer_chat.expect("Đã thêm cán bộ Trần Văn Bình (777).")
    await officer_chat.say("/canbo them 777")
    officer_chat.expect("777 đã là cán bộ")
    await officer_chat.say("/canbo them <script>")
    officer_chat.expect("không phải mã người dùng")
    await officer_chat.say("/canbo xoa 900")
    officer_chat.expect("quản trị khai trong cấu hình (OFFICER_IDS): không xóa trong chat")
    await officer_chat.say("/canbo xoa 123")
    officer_chat.expect("123 không có trong danh sách.")
    await officer_chat.say("/canbo thang 1")
    officer_chat.expect("Cách dùng:")
    actions = [e.action for e in await services.storage.officers.audit_entries(10)]
    assert actions == [AuditAction.OFFICER_ADDED, AuditAction.OFFICER_ADDED]  # added, renamed


async def test_an_issued_apology_is_in_the_audit_log(
    services: Services, officer_chat: Transcript
) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    await services.storage.follows.follow(
        ChatRef("telegram", "301"), dossier().code_key, None, "ok", NOW
    )
    await issue(officer_chat)
    officer_chat.expect("Đã ban hành văn bản xin lỗi số 01/VBXL")
    [entry] = await services.storage.officers.audit_entries(10)
    assert entry.action is AuditAction.APOLOGY_ISSUED and entry.actor == "900"
    assert entry.target == CODE
    assert entry.detail is not None and entry.detail.startswith("Số 01/VBXL; hẹn mới 30/11/2026")
    await officer_chat.say("/nhatky")
    officer_chat.expect(f"Ban hành văn bản xin lỗi {CODE}", "Người làm: 900")


async def test_the_audit_log_is_paged_newest_first(
    services: Services, officer_chat: Transcript, clock: FixedClock
) -> None:
    for n in range(1, 13):
        clock.advance(minutes=1)
        await services.storage.officers.record_audit(
            AuditEntry(
                clock.now(), "telegram", "900", "Chị Lan", AuditAction.BROADCAST_SENT, f"#{n}"
            )
        )
    await officer_chat.say("/nhatky")
    officer_chat.expect(
        "1. 09:12 ngày 23/11/2026 – Gửi thông báo #12", "10. 09:03", "Chị Lan (900)"
    )
    officer_chat.expect_not("#2\n", "#1\n")
    assert [b.label for b in officer_chat.buttons] == ["Cũ hơn ▶"]
    await officer_chat.press("Cũ hơn")
    officer_chat.expect("11. 09:02 ngày 23/11/2026 – Gửi thông báo #2", "12. 09:01")
    assert [b.label for b in officer_chat.buttons] == ["◀ Mới hơn"]


# -- identity per channel (issue 15) -----------------------------------------------------------


def test_admin_ids_carry_their_channel_and_bare_numbers_warn() -> None:
    admins = AdminIds.parse(["telegram:123", "zalo:4560000000000000001", "789", " "])
    assert ("telegram", "123") in admins and ("zalo", "4560000000000000001") in admins
    assert ("telegram", "789") in admins  # bare: Telegram's, as before
    assert ("zalo", "123") not in admins and ("zalo", "789") not in admins
    assert ("console", "123") in admins  # the terminal is the machine's own operator
    assert [w for w in admins.warnings if "«789»" in w and "telegram:789" in w]
    assert len(admins.warnings) == 1
    assert admins.on("zalo") == ["4560000000000000001"] and admins.on("telegram") == ["123", "789"]
    with pytest.raises(AdminIdInvalid):
        AdminIds.parse(["telegram:12 34"])


async def test_colliding_ids_on_two_channels_are_two_people(
    tmp_path: Path, clock: FixedClock, knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    """A Zalo user whose number equals a Telegram admin's is a citizen; an officer added on
    Telegram is not an officer on Zalo."""
    settings = make_settings(tmp_path, OFFICER_IDS="telegram:555, 777")
    with caplog.at_level(logging.WARNING):
        async with running_services(settings, clock=clock, knowledge=knowledge) as services:
            assert any("«777»" in r.getMessage() for r in caplog.records)
            dispatcher = Dispatcher(services)
            admin = Transcript(dispatcher, "555", channel="telegram")
            twin = Transcript(dispatcher, "555", channel="zalo")
            await admin.say("/canbo them 1234 Chị Hoa")
            admin.expect("Đã thêm cán bộ Chị Hoa (1234)")
            for command in ("/canbo", "/nhatky", "/trehan", "/xinloi_ds"):
                await twin.say(command)
                twin.expect("dành cho cán bộ")
            assert not services.is_officer("zalo", "555")
            assert services.is_officer("telegram", "1234")
            assert not services.is_officer("zalo", "1234")
            added_twin = Transcript(dispatcher, "1234", channel="zalo")
            await added_twin.say("/trehan")
            added_twin.expect("dành cho cán bộ")
            bare = Transcript(dispatcher, "777", channel="telegram")
            await bare.say("/nhatky")
            bare.expect("Nhật ký")
            zalo_bare = Transcript(dispatcher, "777", channel="zalo")
            await zalo_bare.say("/nhatky")
            zalo_bare.expect("dành cho cán bộ")


async def test_help_lists_the_officers_commands_to_officers_only(
    officer_chat: Transcript, dispatcher: Dispatcher, chat: Transcript
) -> None:
    """Issue 14: /trogiup for officers lists their commands — the same list as their menu."""
    officer_only = [(n, t) for n, t in OFFICER_COMMANDS if (n, t) not in CITIZEN_COMMANDS]
    await officer_chat.say("/trogiup")  # an admin (OFFICER_IDS)
    for name, text in officer_only:
        officer_chat.expect(f"/{name} – {text}")
    await officer_chat.say("/canbo them 555 Lê Thị Hoa")
    officer = Transcript(dispatcher, user_id="555")  # an officer added in the chat
    await officer.say("/help")
    officer.expect("/trehan – ", "/xinloi – ", "/baocao – ", "/hotro – ")
    officer.expect_not("/canbo", "/nhatky")  # for admins only
    await chat.say("/trogiup")
    chat.expect("/dangkythongbao")
    chat.expect_not("Dành cho cán bộ", "/trehan", "/thongbao –", "/canbo")
