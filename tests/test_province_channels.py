"""Issue 19 point 9: a province's people on every channel — the terminal's transcript channel,
Telegram (the real python-telegram-bot stack over the stand-in Bot API) and Zalo (its stand-in
OA API and signed webhooks): a citizen of one commune, a volunteer across two communes, and the
province's officer with one row per commune. (Officers scoped to one commune: issue 19 point 4.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.knowledge_files import KnowledgeFiles
from bot.settings import Settings
from bot.telegram_runner import TelegramBot
from bot.webhook_server import ZaloBot
from core.dossiers import Status
from handlers.context import Knowledge, Services
from tests.conftest import make_settings
from tests.dossier_fixtures import CODE, OTHER_CODE, dossier, with_hash
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo, WebhookDriver
from tests.test_care import become_volunteer
from tests.test_telegram_e2e import _no_wait, options
from tests.test_zalo import press, say, zalo_options
from tests.transcript import Transcript

EXAMPLE = Path(__file__).parent / "data" / "province" / "province.yaml"
NOW = dt.datetime(2026, 11, 23, 9, 0)
TELEGRAM_CITIZEN, TELEGRAM_OFFICER = 5011, 900
ZALO_CITIZEN = "2468458835296117922"


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    """The example province (three communes, one overlay) instead of the shipped commune."""
    return KnowledgeFiles(make_settings(Path("."), province_file=EXAMPLE)).load()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, province_file=EXAMPLE, OFFICER_IDS="test:900, telegram:900")


async def two_communes_dossiers(services: Services) -> None:
    """One dossier of xã Bình An (agency 000.00.19.H47), one of phường Đông Hòa (H57.132)."""
    binh_an = replace(dossier(CODE, status=Status.READY), commune_id="binh-an")
    dong_hoa = replace(
        dossier(OTHER_CODE, phone="0987 654 321", procedure_id="dang-ky-khai-sinh"),
        commune_id="dong-hoa",
    )
    await services.storage.dossiers.apply_dossiers(
        [with_hash(binh_an), with_hash(dong_hoa)], NOW, "import:tinh.csv"
    )


# -- the terminal's transcript channel ---------------------------------------------------------


async def test_a_volunteer_follows_dossiers_of_two_communes(
    services: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    await two_communes_dossiers(services)
    await become_volunteer(chat, officer_chat)
    for code, digits, label in (
        (CODE, "5678", "Bà Lan – xác nhận hôn nhân"),
        (OTHER_CODE, "4321", "Ông Tư – khai sinh cháu"),
    ):
        await chat.say(code)
        chat.expect_not("xã, phường nào")  # the code names its commune
        await chat.say(digits)
        chat.expect(code)
        await chat.press("Theo dõi hồ sơ này")
        await chat.press("Đồng ý theo dõi")
        chat.expect("Hồ sơ này của ai?")
        await chat.say(label)
        chat.expect(f"Đã ghi: {label}")
    await chat.say("/hoso")
    chat.expect("Bà Lan – xác nhận hôn nhân", "Ông Tư – khai sinh cháu")
    # Đông Hòa's dossier is late: its card names the ward's office, not Bình An's.
    await chat.say(OTHER_CODE)
    chat.expect("quá ngày hẹn trả", "0200 3 222 222")
    chat.expect_not("0200 3 111 111")


async def test_the_province_officer_gets_a_row_per_commune(
    services: Services, officer_chat: Transcript
) -> None:
    await two_communes_dossiers(services)
    await officer_chat.say("/baocao 2026")
    officer_chat.expect(
        "Năm 2026", "Theo xã, phường", "xã Bình An", "phường Đông Hòa", "xã Tân Phú"
    )


# -- Telegram ------------------------------------------------------------------------------------


@pytest.fixture
async def telegram(services: Services) -> AsyncIterator[tuple[FakeTelegram, TelegramBot]]:
    async with FakeTelegram() as fake:
        bot = TelegramBot(services, options(fake))
        bot.channel.sleep = _no_wait(bot)  # type: ignore[method-assign]
        await bot.start()
        try:
            yield fake, bot
        finally:
            await bot.stop()


async def test_telegram_a_citizen_of_one_commune(
    telegram: tuple[FakeTelegram, TelegramBot],
) -> None:
    fake, _ = telegram
    fake.push_text(TELEGRAM_CITIZEN, "xin giấy xác nhận tình trạng hôn nhân")
    [ask] = await fake.wait_for_messages(TELEGRAM_CITIZEN, 1)
    assert "Ông/bà ở xã, phường nào của tỉnh Ví Dụ?" in ask.plain
    fake.push_callback(TELEGRAM_CITIZEN, ask.button_data("phường Đông Hòa"))
    sent = await fake.wait_for_messages(TELEGRAM_CITIZEN, 3)  # noted, then the card
    answer = "\n".join(m.plain for m in sent[1:])
    assert "Đã ghi nhận: ông/bà ở phường Đông Hòa" in answer
    assert "tình trạng hôn nhân" in answer
    # Asked once: the next question is answered at once, with the ward's own office and hours.
    count = len(sent)
    fake.push_text(TELEGRAM_CITIZEN, "bộ phận một cửa ở đâu, mấy giờ làm việc")
    sent = await fake.wait_for_messages(TELEGRAM_CITIZEN, count + 1)
    contact = "\n".join(m.plain for m in sent[count:])
    assert "xã, phường nào" not in contact
    assert "Thứ Hai – Thứ Bảy" in contact and "0200 3 222 222" in contact  # the ward's
    count = len(sent)
    fake.push_text(TELEGRAM_CITIZEN, "đổi xã")
    [*_, again] = await fake.wait_for_messages(TELEGRAM_CITIZEN, count + 1)
    assert "Ông/bà đang xem thông tin của phường Đông Hòa" in again.plain
    fake.push_callback(TELEGRAM_CITIZEN, again.button_data("xã Tân Phú"))
    [*_, chosen] = await fake.wait_for_messages(TELEGRAM_CITIZEN, count + 2)
    assert "Đã ghi nhận: ông/bà ở xã Tân Phú" in chosen.plain


async def test_telegram_the_province_officer_report(
    telegram: tuple[FakeTelegram, TelegramBot], services: Services
) -> None:
    fake, _ = telegram
    await two_communes_dossiers(services)
    fake.push_command(TELEGRAM_OFFICER, "/baocao 2026")
    [text, chart, table, printable] = await fake.wait_for_messages(TELEGRAM_OFFICER, 4)
    assert "Theo xã, phường" in text.plain
    assert "xã Bình An" in text.plain and "phường Đông Hòa" in text.plain
    assert chart.method == "sendPhoto" and table.document is not None
    assert table.document.name.endswith(".xlsx")
    assert printable.document is not None and printable.document.content.startswith(b"%PDF")


# -- Zalo ----------------------------------------------------------------------------------------


@pytest.fixture
async def zalo(services: Services) -> AsyncIterator[tuple[FakeZalo, ZaloBot, WebhookDriver]]:
    async with FakeZalo() as fake:
        bot = ZaloBot(services, zalo_options(fake))
        await bot.start()
        driver = WebhookDriver(
            f"http://127.0.0.1:{bot.port}/zalo/webhook", fake=fake, clock=services.clock
        )
        try:
            yield fake, bot, driver
        finally:
            await driver.close()
            await bot.stop()


async def test_zalo_a_citizen_of_one_commune(
    zalo: tuple[FakeZalo, ZaloBot, WebhookDriver],
) -> None:
    fake, bot, driver = zalo
    ask = await say(driver, bot, fake, ZALO_CITIZEN, "xac nhan tinh trang hon nhan")
    assert any("Ông/bà ở xã, phường nào của tỉnh Ví Dụ?" in s.text for s in ask)
    chosen = await say(driver, bot, fake, ZALO_CITIZEN, "binh an")
    text = "\n".join(s.text for s in chosen)
    assert "Đã ghi nhận: ông/bà ở xã Bình An" in text and "tình trạng hôn nhân" in text
    fees = await press(driver, bot, fake, ZALO_CITIZEN, "💰 Lệ phí")
    assert any("3.000" in s.text for s in fees)  # the province's amount, Bình An has none
    again = await say(driver, bot, fake, ZALO_CITIZEN, "doi xa")
    assert any("Ông/bà đang xem thông tin của xã Bình An" in s.text for s in again)
    chosen = await say(driver, bot, fake, ZALO_CITIZEN, "dong thanh")  # the former name
    assert any("Đã ghi nhận: ông/bà ở phường Đông Hòa" in s.text for s in chosen)
    fees = await say(driver, bot, fake, ZALO_CITIZEN, "lệ phí xác nhận tình trạng hôn nhân")
    assert any("Miễn" in s.text for s in fees)  # the ward's own amount: 0
    assert all(s.kind == "cs" for s in fake.to(ZALO_CITIZEN))
