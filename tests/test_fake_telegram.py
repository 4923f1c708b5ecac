"""The Telegram stand-in, checked with python-telegram-bot's own `Bot` over real HTTP: if PTB parses
what the fake answers and raises the right errors, end-to-end tests built on it can be trusted."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from tests.fake_telegram import FakeTelegram

DATA = Path(__file__).parent / "data" / "telegram"
# PTB drops "Bad Request: " from a description and .capitalize()s the rest ("Chat not found",
# "Bot_command_invalid"), hence the case-insensitive matches below.


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error here) on reading an int time period such as RetryAfter.retry_after
    # or Voice.duration unless this opt-in to timedelta values is set.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"b:{label}")] for label in labels]
    )


async def test_get_me_is_the_bot(fake: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "motcua_test_bot"
    assert bot.id == 123456
    assert bot.can_join_groups
    assert [call.method for call in fake.calls] == ["getMe"]  # Bot.initialize() asks once


async def test_send_message_is_recorded_and_parsed(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(
        42, "<b>Khai sinh</b> &amp; lệ phí", parse_mode="HTML", reply_markup=keyboard("Xem")
    )

    assert message.text == "Khai sinh & lệ phí"  # Telegram answers with the markup parsed away
    assert message.chat.id == 42
    assert message.from_user is not None and message.from_user.is_bot
    assert message.reply_markup == keyboard("Xem")
    [sent] = fake.messages_to(42)
    assert (sent.text, sent.parse_mode, sent.message_id) == (
        "<b>Khai sinh</b> &amp; lệ phí",
        "HTML",
        message.message_id,
    )
    assert sent.plain == "Khai sinh & lệ phí"
    assert sent.buttons == [["Xem"]]
    assert sent.reply_markup == {"inline_keyboard": [[{"text": "Xem", "callback_data": "b:Xem"}]]}
    assert fake.calls[-1].params["chat_id"] == 42


async def test_html_telegram_rejects_is_a_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
        await bot.send_message(42, "dòng một<br>dòng hai", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        too_long = InlineKeyboardButton("Xem", callback_data="đăng ký khai sinh " * 4)
        await bot.send_message(42, "chọn", reply_markup=InlineKeyboardMarkup([[too_long]]))


async def test_pushed_updates_reach_ptb_as_the_right_kinds(fake: FakeTelegram, bot: Bot) -> None:
    pressed_on = await bot.send_message(7, "Chọn thủ tục", reply_markup=keyboard("Khai sinh"))
    fake.push_text(7, "làm giấy khai sinh cần gì")
    fake.push_command(7, "/tracuu 000.00.19.H47-261116-0007")
    fake.push_callback(7, "b:Khai sinh")
    fake.push_document(7, "to-khai.pdf", b"%PDF-1.7", "application/pdf", caption="hồ sơ")
    fake.push_sticker(7)
    fake.push_photo(7)
    fake.push_voice(7)
    fake.push_edited_text(7, 3, "làm giấy khai tử cần gì")

    text, command, callback, document, sticker, photo, voice, edited = await bot.get_updates()

    assert text.message is not None and text.message.text == "làm giấy khai sinh cần gì"
    assert text.effective_user is not None and text.effective_user.id == 7
    assert command.message is not None
    assert command.message.parse_entities([MessageEntity.BOT_COMMAND]) == {
        command.message.entities[0]: "/tracuu"
    }
    query = callback.callback_query
    assert query is not None and query.data == "b:Khai sinh"
    assert query.message is not None and query.message.message_id == pressed_on.message_id
    assert document.message is not None and document.message.document is not None
    assert document.message.document.file_name == "to-khai.pdf"
    assert document.message.caption == "hồ sơ"
    assert sticker.message is not None and sticker.message.sticker is not None
    assert sticker.message.sticker.emoji == "👍"
    assert photo.message is not None and photo.message.photo
    assert voice.message is not None and voice.message.voice is not None
    assert voice.message.voice.duration == dt.timedelta(seconds=4)
    assert edited.edited_message is not None and edited.message is None
    assert [u.update_id for u in (text, edited)] == [1, 8]


async def test_updates_stay_until_confirmed_by_offset(fake: FakeTelegram, bot: Bot) -> None:
    first = fake.push_text(7, "một")
    second = fake.push_text(7, "hai")

    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates()] == [first, second]  # not confirmed
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()

    # Delivered again with the same id, as after a crash before confirmation.
    fake.push_raw(fake.updates[first])
    assert [u.update_id for u in await bot.get_updates(offset=second + 1)] == [first]
    assert await bot.get_updates(offset=second + 1) == ()


async def test_long_poll_answers_when_an_update_arrives(fake: FakeTelegram, bot: Bot) -> None:
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_until(lambda: fake.polls_waiting == 1)
    started = time.monotonic()
    fake.push_raw(json.loads((DATA / "group.json").read_text()))
    [update] = await polling

    assert time.monotonic() - started < 1  # the push wakes the poll; no waiting out the 5 s
    assert update.update_id == 100000009
    assert update.effective_chat is not None and update.effective_chat.type == "supergroup"


async def test_send_document_records_the_uploaded_bytes(fake: FakeTelegram, bot: Bot) -> None:
    content = b"PK\x03\x04\r\n\x00\xff--boundary-like--\r\n"
    message = await bot.send_document(
        900, InputFile(io.BytesIO(content), filename="Xuất hồ sơ.xlsx"), caption="dữ liệu"
    )

    [sent] = fake.messages_to(900)
    assert sent.method == "sendDocument"
    assert sent.document is not None
    assert (sent.document.name, sent.document.content) == ("Xuất hồ sơ.xlsx", content)
    assert sent.text == "dữ liệu"
    assert message.document is not None and message.document.file_name == "Xuất hồ sơ.xlsx"
    assert message.document.file_size == len(content)


async def test_get_file_downloads_the_registered_bytes(fake: FakeTelegram, bot: Bot) -> None:
    fake.push_document(900, "xuat.xlsx", b"rows of dossiers", "application/vnd.ms-excel")
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.document is not None

    file = await bot.get_file(update.message.document.file_id)

    assert file.file_path is not None and file.file_path.startswith(fake.base_file_url)
    assert await file.download_as_bytearray() == b"rows of dossiers"


async def test_flood_wait_surfaces_as_retry_after(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", 429, retry_after=3)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(42, "xin chào")
    await bot.send_message(42, "xin chào")  # only the next call fails

    assert raised.value.retry_after == dt.timedelta(seconds=3)
    assert [(c.method, c.failed) for c in fake.calls[1:]] == [
        ("sendMessage", True),
        ("sendMessage", False),
    ]
    assert len(fake.messages_to(42)) == 1


async def test_blocked_user_is_forbidden_for_that_chat_only(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", 403, chat_id=7)

    await bot.send_message(8, "vẫn gửi được")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(7, "không gửi được")


async def test_unknown_chat_is_a_bad_request(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", 400)

    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(7, "xin chào")


async def test_edits_follow_telegram(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(7, "Chọn", reply_markup=keyboard("Một"))
    fake.push_callback(7, "b:Một")
    [update] = await bot.get_updates()
    assert update.callback_query is not None

    assert await update.callback_query.answer()
    await bot.edit_message_text("Đã chọn", chat_id=7, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Đã chọn", chat_id=7, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await update.callback_query.answer()  # a query is answered once

    assert [m.method for m in fake.messages_to(7)] == ["sendMessage", "editMessageText"]
    assert fake.messages_to(7)[-1].buttons == []  # an edit without markup drops the keyboard


async def test_commands_are_recorded_per_scope(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    await bot.set_my_commands(
        [BotCommand("tracuu", "Tra cứu hồ sơ")], scope=BotCommandScopeChat(900)
    )

    assert fake.commands == {
        "default": [("start", "Bắt đầu")],
        "chat:900": [("tracuu", "Tra cứu hồ sơ")],
    }
    assert fake.calls[-1].params["scope"] == {"type": "chat", "chat_id": 900}
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("tra_cứu", "có dấu")])


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    await context.bot.send_message(
        update.effective_chat.id, f"đã nhận: {update.effective_message.text}"
    )


def application(fake: FakeTelegram) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(TypeHandler(Update, echo))
    return app


async def test_an_application_polls_and_stops_cleanly(fake: FakeTelegram) -> None:
    app = application(fake)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=10)

    update_id = fake.push_text(7, "xin chào")
    [reply] = await fake.wait_for_messages(7, 1)
    await app.updater.stop()  # with a long poll pending: must not wait out its 10 s
    await app.stop()
    await app.shutdown()

    assert reply.text == "đã nhận: xin chào"
    methods = [c.method for c in fake.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    # On stop PTB polls once more without waiting, to confirm what it fetched.
    last_poll = fake.calls_of("getUpdates")[-1].params
    assert (last_poll["offset"], last_poll["timeout"]) == (update_id + 1, 0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_application_takes_webhook_posts(fake: FakeTelegram) -> None:
    app = application(fake)
    port = free_port()
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        webhook_url=f"http://127.0.0.1:{port}/hook",
        secret_token="bi-mat",
    )
    try:
        update_id = fake.push_text(7, "xin chào")
        wrong_secret = await fake.post_update(fake.webhook_url or "", fake.updates[update_id], "x")
        delivered = await fake.deliver_to_webhook(update_id)
        [reply] = await fake.wait_for_messages(7, 1)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    assert (wrong_secret, delivered) == (403, 200)
    assert reply.text == "đã nhận: xin chào"
    assert fake.calls_of("setWebhook")[0].params["secret_token"] == "bi-mat"
