"""Issue 21 on every channel: a person and an officer talking through the bot in the terminal,
on Telegram (the real python-telegram-bot against the Bot API stand-in) and on Zalo (signed
webhooks, the OA API stand-in) — including a Zalo person answered by a Telegram officer, and
Zalo's free reply window: an answer outside it waits for the person, no paid message is sent."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Dispatcher
from bot.channels.console import ConsoleChannel
from bot.channels.zalo import ZaloRules
from bot.telegram_runner import TelegramBot
from bot.webhook_server import ZaloBot
from core.clock import FixedClock
from handlers.context import Services
from storage.base import OutboxStatus
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo, WebhookDriver
from tests.test_telegram_e2e import options as telegram_options

OFFICE = "Trung tâm Phục vụ hành chính công xã Bình An"
ZALO_PERSON = "2468458835296117922"
TELEGRAM_PERSON = 5011
OFFICER = 900  # an admin on Telegram (tests/conftest.py: OFFICER_IDS)


# -- the terminal -------------------------------------------------------------------------------


class Terminal:
    """One `motcua chat` session (non-interactive), as a person types in it."""

    def __init__(self, dispatcher: Dispatcher, user_id: str, files: Path) -> None:
        self.out = io.StringIO()
        self.console = ConsoleChannel(
            dispatcher, user_id, files_dir=files, stdin=io.StringIO(), stdout=self.out
        )
        self.console.interactive = False
        self._read = 0

    async def type(self, line: str) -> str:
        """What the screen shows after the line: the replies, then any notice for this chat."""
        await self.console.say(line)
        text = self.out.getvalue()
        shown, self._read = text[self._read :], len(text)
        return shown

    def number_of(self, label: str) -> str:
        for n, button in enumerate(self.console.choices, 1):
            if label in button.label:
                return str(n)
        raise AssertionError(f"no {label!r} among {[b.label for b in self.console.choices]}")


async def test_two_terminals_a_person_and_an_officer(
    services: Services, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    """Two `motcua chat` sessions on one database, as two people at two keyboards."""
    person = Terminal(dispatcher, "100", tmp_path)
    officer = Terminal(dispatcher, "900", tmp_path)  # OFFICER_IDS: an admin in the terminal
    await person.type("/hoicanbo")
    shown = await person.type("Giấy khai sinh bản sao mất thì xin lại ở đâu?")
    assert "Số: HT-1/2026" in shown
    shown = await officer.type("/hotro")
    assert "HT-1/2026" in shown and "🔔 Thông báo mới" in shown  # the notice, in their terminal
    shown = await officer.type(officer.number_of("Nhận trả lời HT-1/2026"))
    assert "Ông/bà đã nhận trả lời câu hỏi HT-1/2026" in shown and "bản sao mất" in shown
    shown = await officer.type("Ông/bà xin trích lục khai sinh tại xã, mang CCCD.")
    assert "Đã gửi cho người hỏi" in shown
    shown = await person.type("Cảm ơn cán bộ")
    assert "Đã chuyển cho cán bộ" in shown  # the bot stays quiet…
    assert f"{OFFICE} trả lời (câu hỏi HT-1/2026)" in shown  # …and the answer arrives
    assert "trích lục khai sinh" in shown
    shown = await officer.type("/hotro")
    assert "Cảm ơn cán bộ" in shown  # what the person wrote reached the officer
    shown = await officer.type(officer.number_of("Trả lời tiếp"))
    await officer.type(officer.number_of("Kết thúc câu hỏi"))
    shown = await person.type("đăng ký khai tử")
    assert "Bot trả lời tự động trở lại" in shown and "Đăng ký khai tử" in shown


# -- Telegram -----------------------------------------------------------------------------------


@pytest.fixture
async def telegram_server() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def telegram(telegram_server: FakeTelegram, services: Services) -> AsyncIterator[TelegramBot]:
    bot = TelegramBot(services, telegram_options(telegram_server))
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def test_telegram_person_and_officer(
    telegram_server: FakeTelegram, telegram: TelegramBot, services: Services
) -> None:
    tg = telegram_server
    tg.push_command(TELEGRAM_PERSON, "/hoicanbo")
    await tg.wait_for_messages(TELEGRAM_PERSON, 1)
    tg.push_text(TELEGRAM_PERSON, "Con tôi 17 tuổi làm căn cước ở đâu?")
    [_, opened] = await tg.wait_for_messages(TELEGRAM_PERSON, 2)
    assert "Số: HT-1/2026" in opened.plain
    [notice] = await tg.wait_for_messages(OFFICER, 1)
    assert "Câu hỏi mới HT-1/2026" in notice.plain and "qua Telegram" in notice.plain
    tg.push_callback(OFFICER, notice.button_data("🙋 Nhận trả lời HT-1/2026"))
    [_, claimed] = await tg.wait_for_messages(OFFICER, 2)
    assert "Ông/bà đã nhận trả lời câu hỏi HT-1/2026" in claimed.plain
    # A photo of papers from the person reaches the officer as a photo.
    tg.push_photo(TELEGRAM_PERSON, b"\xff\xd8\xff\xe0 giay to", caption="Giấy này ạ")
    [*_, relayed] = await tg.wait_for_messages(TELEGRAM_PERSON, 3)
    assert "Đã chuyển cho cán bộ" in relayed.plain
    sent = await tg.wait_for_messages(OFFICER, 4)
    photo = [m for m in sent if m.method == "sendPhoto"]
    assert photo and photo[0].document is not None
    assert photo[0].document.content == b"\xff\xd8\xff\xe0 giay to"
    tg.push_text(OFFICER, "Căn cước làm tại Công an xã, không phải Bộ phận Một cửa.")
    [*_, answer] = await tg.wait_for_messages(TELEGRAM_PERSON, 4)
    assert answer.plain.startswith(f"💬 {OFFICE} trả lời (câu hỏi HT-1/2026):")
    assert "Công an xã" in answer.plain and "Lan" not in answer.plain  # not the officer's name
    tg.push_callback(TELEGRAM_PERSON, answer.button_data("✅ Kết thúc hỏi cán bộ"))
    [*_, ended] = await tg.wait_for_messages(TELEGRAM_PERSON, 5)
    assert "Đã kết thúc câu hỏi HT-1/2026" in ended.plain
    await tg.wait_until(
        lambda: any("Người hỏi đã kết thúc" in m.plain for m in tg.messages_to(OFFICER))
    )


# -- Zalo, answered from Telegram ----------------------------------------------------------------


def zalo_rules(**changes: object) -> ZaloRules:
    return ZaloRules(messages_per_second=10_000, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def zalo_server() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


async def _both(
    services: Services, tg: FakeTelegram, fake: FakeZalo, rules: ZaloRules
) -> tuple[TelegramBot, ZaloBot, WebhookDriver]:
    """`motcua run --channel all`, as far as the test needs: both bots on one database."""
    telegram = TelegramBot(services, telegram_options(tg))
    zalo = ZaloBot(services, fake.options(rules=rules), watches=False)
    await telegram.start()
    await zalo.start()
    url = f"http://127.0.0.1:{zalo.port}/zalo/webhook"
    return telegram, zalo, WebhookDriver(url, fake=fake, clock=services.clock)


async def _officer_sees(tg: FakeTelegram, fragment: str) -> None:
    await tg.wait_until(lambda: any(fragment in m.plain for m in tg.messages_to(OFFICER)))


async def _zalo_says(driver: WebhookDriver, zalo: ZaloBot, text: str) -> None:
    assert (await driver.text(ZALO_PERSON, text)).status_code == 200
    await zalo.channel.process_pending()


async def test_a_zalo_person_answered_by_a_telegram_officer(
    services: Services, telegram_server: FakeTelegram, zalo_server: FakeZalo, clock: FixedClock
) -> None:
    tg, fake = telegram_server, zalo_server
    telegram, zalo, driver = await _both(services, tg, fake, zalo_rules())
    try:
        await _zalo_says(driver, zalo, "/hoicanbo")
        await _zalo_says(driver, zalo, "Tôi ở xa, có nộp hồ sơ khai tử qua bưu điện được không?")
        opened = fake.to(ZALO_PERSON)[-1]
        assert "Số: HT-1/2026" in opened.text and "48 giờ" in opened.text  # how to see answers
        # A photo from Zalo (downloaded from Zalo's server) goes with the question.
        url = fake.add_image("giay.jpg", b"\xff\xd8 zalo photo")
        body = driver.payload("user_send_image", ZALO_PERSON).replace(
            b"https://photo-stal-1.zadn.vn/abc.jpg", url.encode()
        )
        assert (await driver.post(body)).status_code == 200
        await zalo.channel.process_pending()
        assert "Đã chuyển cho cán bộ" in fake.to(ZALO_PERSON)[-1].text

        [notice] = await tg.wait_for_messages(OFFICER, 1)  # on Telegram
        assert "Câu hỏi mới HT-1/2026" in notice.plain and "qua Zalo" in notice.plain
        tg.push_callback(OFFICER, notice.button_data("🙋 Nhận trả lời HT-1/2026"))
        await _officer_sees(tg, "Ông/bà đã nhận trả lời câu hỏi HT-1/2026")
        # The photo, with the notice (if it came first) or after the conversation.
        await tg.wait_until(lambda: any(m.method == "sendPhoto" for m in tg.messages_to(OFFICER)))
        tg.push_text(OFFICER, "Được ạ, ông/bà gửi qua bưu điện kèm bản sao giấy tờ.")
        await _officer_sees(tg, "Đã gửi cho người hỏi")
        await zalo.worker.deliver_due()
        answer = fake.to(ZALO_PERSON)[-1]
        assert answer.kind == "cs" and answer.text.startswith(f"💬 {OFFICE} trả lời")
        assert "bưu điện" in answer.text

        # Two days later Zalo's free window has closed: the answer waits, nothing paid is sent.
        clock.advance(hours=49)
        tg.push_text(OFFICER, "Ông/bà nhớ ghi rõ địa chỉ người nhận.")
        await _officer_sees(tg, "trả lời sẽ đến khi họ nhắn lại")
        before = len(fake.sent)
        await zalo.worker.deliver_due()
        assert len(fake.sent) == before and ("held" in [how for _, how in zalo.delivery.routes])
        counts = await services.storage.outbox.outbox_counts()
        assert counts[OutboxStatus.HELD] == 1
        # The person writes: the window opens again and the answer goes out as a free reply.
        await _zalo_says(driver, zalo, "xem trả lời")
        await zalo.worker.deliver_due()
        assert "ghi rõ địa chỉ" in fake.to(ZALO_PERSON)[-1].text
        assert {s.kind for s in fake.sent} == {"cs"}  # no transaction message, no ZNS
    finally:
        await driver.close()
        await zalo.stop()
        await telegram.stop()


async def test_zalo_the_last_free_message_says_how_to_get_the_next(
    services: Services, telegram_server: FakeTelegram, zalo_server: FakeZalo
) -> None:
    tg, fake = telegram_server, zalo_server
    telegram, zalo, driver = await _both(services, tg, fake, zalo_rules(cs_max_messages=2))
    try:
        await _zalo_says(driver, zalo, "/hoicanbo Nhà tôi có người mất, làm giấy báo tử ở đâu?")
        [notice] = await tg.wait_for_messages(OFFICER, 1)
        tg.push_callback(OFFICER, notice.button_data("🙋 Nhận trả lời HT-1/2026"))
        await tg.wait_for_messages(OFFICER, 2)
        for n, text in enumerate(
            ("Giấy báo tử do bệnh viện cấp.", "Rồi ông/bà đăng ký khai tử."), 3
        ):
            tg.push_text(OFFICER, text)
            await tg.wait_for_messages(OFFICER, n)
        await zalo.worker.deliver_due()
        # One free message was left after the bot's own reply: the first answer uses it.
        last_free = fake.to(ZALO_PERSON)[-1]
        assert "báo tử do bệnh viện" in last_free.text and "nhắn một tin bất kỳ" in last_free.text
        assert [how for _, how in zalo.delivery.routes][-1] == "held"
        await _zalo_says(driver, zalo, "vâng")
        await zalo.worker.deliver_due()
        assert "đăng ký khai tử" in fake.to(ZALO_PERSON)[-1].text
    finally:
        await driver.close()
        await zalo.stop()
        await telegram.stop()
