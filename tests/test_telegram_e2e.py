"""End to end over real HTTP: the real python-telegram-bot stack against a Bot API stand-in
on 127.0.0.1 (tests/fake_telegram.py), our handlers and a real SQLite database."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram import Pacing
from bot.telegram_runner import TelegramBot, TelegramOptions
from core.clock import FixedClock
from core.dossiers import Status
from core.officers import AuditAction, AuditEntry, Officer
from handlers.context import Services
from storage.base import ChatRef, OutboxStatus
from tests.dossier_fixtures import CODE, dossier, with_hash
from tests.fake_telegram import FakeTelegram

CITIZEN = 5011
OFFICER = 900
NOW = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def options(fake: FakeTelegram, **changes: object) -> TelegramOptions:
    base = TelegramOptions(
        token=fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        officer_ids=(str(OFFICER),),
        pacing=Pacing(per_second=1000, per_chat_interval=0.0),
        outbox_interval=0.02,
        watch_at=dt.time(23, 59),  # the morning list has its own test
    )
    return TelegramOptions(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.fixture
async def running(fake: FakeTelegram, services: Services) -> AsyncIterator[TelegramBot]:
    telegram = TelegramBot(services, options(fake))
    telegram.channel.sleep = _no_wait(telegram)  # type: ignore[method-assign]
    await telegram.start()
    try:
        yield telegram
    finally:
        await telegram.stop()


def _no_wait(telegram: TelegramBot):  # type: ignore[no-untyped-def]
    """Honouring a 429 means waiting; the test records the wait instead of sleeping."""
    telegram.waited = []  # type: ignore[attr-defined]

    async def record(seconds: float) -> None:
        telegram.waited.append(seconds)  # type: ignore[attr-defined]

    return record


async def test_a_question_then_a_detail_button(fake: FakeTelegram, running: TelegramBot) -> None:
    fake.push_text(CITIZEN, "đăng ký kết hôn cần mang gì")
    card, documents = await fake.wait_for_messages(CITIZEN, 2)
    assert card.parse_mode == "HTML" and card.text.startswith("<b>Đăng ký kết hôn</b>")
    assert "Giấy tờ cần chuẩn bị" in documents.plain
    fake.push_callback(CITIZEN, documents.button_data("💰 Lệ phí"))
    [*_, fees] = await fake.wait_for_messages(CITIZEN, 3)
    assert "Lệ phí – Đăng ký kết hôn" in fees.plain
    await fake.wait_for_call("answerCallbackQuery")


async def test_lookup_follow_and_the_notification_after_an_import(
    fake: FakeTelegram, running: TelegramBot, services: Services
) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    fake.push_text(CITIZEN, f"mã hồ sơ {CODE.lower()}")
    [ask] = await fake.wait_for_messages(CITIZEN, 1)
    assert "4 chữ số cuối" in ask.plain
    fake.push_text(CITIZEN, "5678")
    [_, card] = await fake.wait_for_messages(CITIZEN, 2)
    assert "Nguyễn V*** A**" in card.plain and "0912" not in card.plain
    fake.push_callback(CITIZEN, card.button_data("🔔 Theo dõi hồ sơ này"))
    [*_, consent] = await fake.wait_for_messages(CITIZEN, 3)
    fake.push_callback(CITIZEN, consent.button_data("✅ Đồng ý theo dõi"))
    [*_, done] = await fake.wait_for_messages(CITIZEN, 4)
    assert "Đã theo dõi hồ sơ" in done.plain

    # The officer imports the software's new export: the status changed.
    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b.csv"
    )
    [*_, notice] = await fake.wait_for_messages(CITIZEN, 5)
    assert "Đã có kết quả – chờ trả" in notice.plain and CODE in notice.plain
    assert notice.button_data("Xem hồ sơ").startswith("h:v:")


async def test_a_429_on_a_notification_is_honoured(
    fake: FakeTelegram, running: TelegramBot, services: Services, clock: FixedClock
) -> None:
    chat = ChatRef("telegram", str(CITIZEN))
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    await services.storage.follows.follow(chat, dossier().code_key, None, "đồng ý", NOW)
    fake.fail_next("sendMessage", 429, retry_after=5, chat_id=CITIZEN)
    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b.csv"
    )
    await fake.wait_until(lambda: any(c.failed for c in fake.calls_of("sendMessage")))
    clock.advance(seconds=4)  # Telegram asked for 5 seconds: not yet
    assert await running.worker.deliver_due() == 0
    assert fake.messages_to(CITIZEN) == []
    clock.advance(seconds=2)
    [notice] = await fake.wait_for_messages(CITIZEN, 1)
    assert "Đã có kết quả" in notice.plain


async def test_a_429_on_a_reply_waits_the_time_asked(
    fake: FakeTelegram, running: TelegramBot
) -> None:
    fake.fail_next("sendMessage", 429, retry_after=3, chat_id=CITIZEN)
    fake.push_command(CITIZEN, "/start")
    [greeting] = await fake.wait_for_messages(CITIZEN, 1)
    assert "Xin chào ông/bà" in greeting.plain
    assert running.waited == [3.0]  # type: ignore[attr-defined]


async def test_restart_mid_delivery_loses_nothing_and_duplicates_nothing(
    fake: FakeTelegram, services: Services
) -> None:
    followers = [ChatRef("telegram", str(n)) for n in (601, 602, 603)]
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    for chat in followers:
        await services.storage.follows.follow(chat, dossier().code_key, None, "ok", NOW)
    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b.csv"
    )
    first = TelegramBot(services, options(fake))
    await first.start()
    await fake.wait_for_messages(601, 1)
    await first.stop()
    # A worker died after claiming the next change's messages, before sending them.
    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.RETURNED))], NOW, "import:c.csv"
    )
    claimed = await services.storage.outbox.claim_due(services.clock.now(), 10)
    assert len(claimed) == 3
    second = TelegramBot(services, options(fake))
    await second.start()
    try:
        for chat in followers:
            await fake.wait_for_messages(chat.chat_id, 2)
    finally:
        await second.stop()  # the worker finishes its round: every message is recorded
    counts = await services.storage.outbox.outbox_counts()
    assert counts[OutboxStatus.SENT] == 6 and counts[OutboxStatus.SENDING] == 0
    for chat in followers:
        texts = [m.plain for m in fake.messages_to(chat.chat_id)]
        assert len(texts) == 2, texts
        assert "Đã có kết quả" in texts[0] and "Đã trả kết quả" in texts[1]


async def test_the_same_update_twice_is_handled_once(
    fake: FakeTelegram, services: Services
) -> None:
    """Telegram may deliver an update again; we remember the ids we handled."""
    telegram = TelegramBot(services, options(fake))
    update_id = fake.push_text(CITIZEN, "/start")
    fake.push_raw(fake.updates[update_id])  # the same update, delivered again
    fake.push_text(CITIZEN, "/trogiup")
    await telegram.start()
    try:
        messages = await fake.wait_for_messages(CITIZEN, 2)
    finally:
        await telegram.stop()  # every update received has been handled
    assert "Tôi có thể giúp" in messages[1].plain
    assert len(fake.messages_to(CITIZEN)) == 2


async def test_groups_are_declined_politely_once(fake: FakeTelegram, running: TelegramBot) -> None:
    group = -1001234567890
    fake.push_text(group, "bot ơi khai sinh ở đâu", user_id=CITIZEN, chat_type="supergroup")
    [decline] = await fake.wait_for_messages(group, 1)
    assert "tin nhắn riêng" in decline.plain
    fake.push_text(group, "alo", user_id=CITIZEN, chat_type="supergroup")
    fake.push_text(CITIZEN, "/start")
    await fake.wait_for_messages(CITIZEN, 1)
    assert len(fake.messages_to(group)) == 1


async def test_stickers_and_edits_get_a_please_type(
    fake: FakeTelegram, running: TelegramBot
) -> None:
    fake.push_sticker(CITIZEN)
    fake.push_edited_text(CITIZEN, 1, "khai tử")
    first, second = await fake.wait_for_messages(CITIZEN, 2)
    assert "chỉ đọc được chữ" in first.plain
    assert "tin đã sửa" in second.plain


async def test_a_failing_handler_apologises_and_the_bot_keeps_serving(
    fake: FakeTelegram, running: TelegramBot, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    search = services.knowledge.search

    def broken(text: str) -> object:
        if "nổ" in text:
            raise RuntimeError("boom")
        return original(text)

    original = search.search
    monkeypatch.setattr(search, "search", broken)
    fake.push_text(CITIZEN, "nổ")
    [sorry] = await fake.wait_for_messages(CITIZEN, 1)
    assert "trục trặc" in sorry.plain and "boom" not in sorry.plain
    fake.push_text(CITIZEN, "khai tử")
    [_, answer] = await fake.wait_for_messages(CITIZEN, 2)
    assert "Đăng ký khai tử" in answer.plain


async def test_commands_menu_in_vietnamese_and_officers_own(
    fake: FakeTelegram, running: TelegramBot
) -> None:
    calls = await fake.wait_for_call("setMyCommands", 2)
    citizen = next(c for c in calls if "chat_id" not in str(c.params.get("scope")))
    names = [c["command"] for c in citizen.params["commands"]]
    assert names[:4] == ["start", "thutuc", "linhvuc", "tracuu"] and "xinloi" not in names
    assert citizen.params["commands"][1]["description"] == "Hỏi thủ tục"
    officer = next(c for c in calls if str(OFFICER) in str(c.params.get("scope")))
    assert "xinloi" in [c["command"] for c in officer.params["commands"]]


async def test_officer_gets_the_printable_apology_as_a_document(
    fake: FakeTelegram, running: TelegramBot, services: Services
) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    fake.push_command(OFFICER, f"/xinloi {CODE}")
    [ask] = await fake.wait_for_messages(OFFICER, 1)
    fake.push_callback(OFFICER, ask.button_data("Cần xác minh thêm thông tin"))
    await fake.wait_for_messages(OFFICER, 2)
    fake.push_text(OFFICER, "30/11/2026")
    [*_, preview] = await fake.wait_for_messages(OFFICER, 3)
    fake.push_callback(OFFICER, preview.button_data("✅ Ban hành và gửi"))
    [*_, issued, page] = await fake.wait_for_messages(OFFICER, 5)
    assert "01/VBXL" in issued.plain
    assert page.method == "sendDocument" and page.document is not None
    assert page.document.name.endswith(".pdf") and page.document.content.startswith(b"%PDF")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_checks_the_secret_token(fake: FakeTelegram, services: Services) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    telegram = TelegramBot(
        services,
        options(
            fake, webhook_url=url, listen="127.0.0.1", port=port, url_path="telegram",
            secret_token="s3cret",
        ),
    )  # fmt: skip
    await telegram.start()
    try:
        [hook] = await fake.wait_for_call("setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret"
        update = {
            "update_id": 777,
            "message": {
                "message_id": 1, "date": 1795395600,
                "chat": {"id": CITIZEN, "type": "private", "first_name": "Lan"},
                "from": {"id": CITIZEN, "is_bot": False, "first_name": "Lan"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }  # fmt: skip
        assert await fake.post_update(url, update, secret_token="wrong") == 403
        assert await fake.post_update(url, update, secret_token="s3cret") == 200
        [greeting] = await fake.wait_for_messages(CITIZEN, 1)
        assert "Xin chào ông/bà" in greeting.plain
        assert await fake.post_update(url, update, secret_token="s3cret") == 200  # resent
        await fake.wait_for_call("setWebhook")
        assert len(fake.messages_to(CITIZEN)) == 1
    finally:
        await telegram.stop()


async def test_the_morning_list_reaches_the_officer(fake: FakeTelegram, services: Services) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    telegram = TelegramBot(services, options(fake, watch_at=dt.time(7, 30)))
    await telegram.start()
    try:
        [morning] = await fake.wait_for_messages(OFFICER, 1)
    finally:
        await telegram.stop()
    assert "Hồ sơ cần xin lỗi" in morning.plain and "QUÁ HẠN" in morning.plain
    assert morning.button_data(f"Xin lỗi: {CODE}") == f"x:s:{dossier().code_key}"


async def test_the_report_chart_arrives_as_a_picture_and_the_tables_as_files(
    fake: FakeTelegram, running: TelegramBot, services: Services
) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    fake.push_command(OFFICER, "/baocao 2026")
    [text, chart, table, printable] = await fake.wait_for_messages(OFFICER, 4)
    assert "Năm 2026" in text.plain
    assert "Về dữ liệu của ông/bà" in text.plain  # first contact: the notice joins the text
    assert chart.method == "sendPhoto" and chart.document is not None
    assert chart.document.content.startswith(b"\x89PNG")
    assert table.method == "sendDocument" and table.document is not None
    assert table.document.name.endswith(".xlsx")
    assert printable.method == "sendDocument" and printable.document is not None
    assert printable.document.name.endswith(".pdf")
    assert printable.document.content.startswith(b"%PDF")


async def test_an_officer_added_in_the_chat_gets_the_officers_menu_at_once(
    fake: FakeTelegram, running: TelegramBot, services: Services
) -> None:
    await fake.wait_for_call("setMyCommands", 2)
    officer_menu = [name for name, _ in fake.commands[f"chat:{OFFICER}"]]
    fake.push_command(OFFICER, "/canbo them 5555 Lê Thị Hoa")
    [added] = await fake.wait_for_messages(OFFICER, 1)
    assert "Đã thêm cán bộ Lê Thị Hoa (5555)" in added.plain
    assert [name for name, _ in fake.commands["chat:5555"]] == officer_menu
    assert {"thongbao", "capnhat", "xinloi"} <= set(officer_menu)

    fake.push_command(OFFICER, "/canbo xoa 5555")
    await fake.wait_for_messages(OFFICER, 2)
    assert "chat:5555" not in fake.commands  # back to the citizens' menu (the default scope)

    # Telegram refuses the menu (the officer has not started the bot yet): the role works, and
    # the menu is set at the officer's first message.
    fake.fail_next("setMyCommands", 400)
    fake.push_command(OFFICER, "/canbo them 5556")
    await fake.wait_for_messages(OFFICER, 3)
    assert "chat:5556" not in fake.commands
    fake.push_command(5556, "/trehan")
    [due] = await fake.wait_for_messages(5556, 1)
    assert "dành cho cán bộ" not in due.plain
    assert [name for name, _ in fake.commands["chat:5556"]] == officer_menu


async def test_officers_added_before_get_their_menu_at_start_up(
    fake: FakeTelegram, services: Services
) -> None:
    officer = Officer("telegram", "5557", "Trần Bình", str(OFFICER), NOW)
    entry = AuditEntry(NOW, "telegram", str(OFFICER), None, AuditAction.OFFICER_ADDED, "5557")
    await services.storage.officers.add_officer(officer, entry)
    elsewhere = Officer("zalo", "5558", None, str(OFFICER), NOW)  # another channel's officer
    await services.storage.officers.add_officer(elsewhere, entry)
    telegram = TelegramBot(services, options(fake))
    await telegram.start()
    try:
        assert "xinloi" in [name for name, _ in fake.commands["chat:5557"]]
        assert "chat:5558" not in fake.commands
    finally:
        await telegram.stop()


async def test_numbers_typed_while_waiting_for_a_code(
    fake: FakeTelegram, running: TelegramBot, services: Services
) -> None:
    """Issue 14: during the lookup prompt a typed "1" presses its first button, "7" says what a
    code looks like; neither is a failed lookup, and every reply has buttons."""
    fake.push_text(CITIZEN, "/tracuu")
    [prompt] = await fake.wait_for_messages(CITIZEN, 1)
    assert prompt.button_data("🏠 Về đầu") == "menu:start"
    fake.push_text(CITIZEN, "7")
    [_, help_] = await fake.wait_for_messages(CITIZEN, 2)
    assert "chưa phải là mã hồ sơ" in help_.plain
    assert help_.button_data("📞 Gọi cho Bộ phận Một cửa") == "menu:contact"
    fake.push_text(CITIZEN, "1")
    [*_, home] = await fake.wait_for_messages(CITIZEN, 3)
    assert home.button_data("🔎 Tra cứu hồ sơ đã nộp") == "menu:lookup"
    since = NOW - dt.timedelta(hours=1)
    view = await services.storage.dossiers.find_dossier(
        "X", ChatRef("telegram", str(CITIZEN)), since
    )
    assert view.recent_failures == 0
