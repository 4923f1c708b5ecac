"""Telegram updates (literal JSON from the Bot API) → neutral messages, and errors → actions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram import Rejected, delivery_error, keyboard, to_incoming
from bot.delivery import RetryLater, Undeliverable
from core.messages import Button, Reply, TextFormat, Unsupported

DATA = Path(__file__).parent / "data" / "telegram"
BOT = Bot("123456:TEST")


def update(name: str) -> Update:
    return Update.de_json(json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")), BOT)


def test_text() -> None:
    message = to_incoming(update("text"))
    assert message is not None
    assert (message.channel, message.chat_id, message.user_id) == (
        "telegram",
        "7011223344",
        "7011223344",
    )
    assert message.text == "làm giấy khai sinh cần gì" and message.is_private
    assert message.display_name == "Lan Nguyễn" and message.command is None


def test_command_addressed_to_the_bot() -> None:
    message = to_incoming(update("command"))
    assert message is not None
    assert message.command == ("tracuu", "000.00.19.H47-261116-0007")


def test_button_press() -> None:
    message = to_incoming(update("callback"))
    assert message is not None
    assert message.button == "p:g:dang-ky-khai-sinh" and message.chat_id == "7011223344"


def test_document() -> None:
    message = to_incoming(update("document"))
    assert message is not None and message.file is not None
    assert message.file.name == "xuat-ho-so-23-11.xlsx"
    assert message.file.platform_ref == "BQACAgUAAxkBAAIBZ2V" and message.file.size == 18432
    assert message.text == "dữ liệu hôm nay"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("sticker", Unsupported.STICKER),
        ("voice", Unsupported.VOICE),
        ("edited", Unsupported.EDITED),
    ],
)
def test_things_we_cannot_read(name: str, kind: Unsupported) -> None:
    message = to_incoming(update(name))
    assert message is not None and message.unsupported is kind


def test_a_photo_is_an_image_to_read() -> None:
    """Issue 20: photos are read for QR codes and barcodes (the largest size Telegram sent)."""
    message = to_incoming(update("photo"))
    assert message is not None and message.image is not None and message.unsupported is None
    assert message.image.platform_ref == update("photo").message.photo[-1].file_id


def test_group_and_channel() -> None:
    group = to_incoming(update("group"))
    assert group is not None and not group.is_private
    assert to_incoming(update("channel_post")) is None


def test_keyboard_keeps_rows_and_data() -> None:
    reply = Reply(
        "x",
        buttons=(
            (Button("Giấy tờ", "p:g:a"), Button("Lệ phí", "p:l:a")),
            (Button("Thời gian", "p:t:a"),),
        ),
        format=TextFormat.HTML,
    )
    markup = keyboard(reply)
    assert markup is not None
    rows = markup.inline_keyboard
    assert [[b.callback_data for b in row] for row in rows] == [["p:g:a", "p:l:a"], ["p:t:a"]]
    assert keyboard(Reply("x")) is None


def test_button_data_over_64_bytes_is_refused_at_the_source() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        Button("x", "p:g:" + "a" * 61)


def test_errors_map_to_what_the_worker_does() -> None:
    retry = delivery_error(RetryAfter(7))
    assert isinstance(retry, RetryLater) and retry.retry_after == 7
    assert isinstance(
        delivery_error(Forbidden("Forbidden: bot was blocked by the user")), Undeliverable
    )
    assert isinstance(delivery_error(BadRequest("Bad Request: chat not found")), Undeliverable)
    rejected = delivery_error(BadRequest("Bad Request: can't parse entities"))
    assert isinstance(rejected, Rejected)
    assert isinstance(delivery_error(TimedOut()), RetryLater)
    assert isinstance(delivery_error(NetworkError("reset")), RetryLater)
