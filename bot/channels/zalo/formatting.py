"""Replies out: text split under Zalo's limit, buttons as template buttons standing for a
short token (or a numbered list), consultation and transaction message bodies, ZNS phones."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

from bot.channels.zalo.options import ZaloRules
from core.messages import (
    Reply,
    TextFormat,
    split_reply,
)

BUTTON_PREFIX = "#b:"
BUTTON_TOKEN = re.compile(r"^#b:([A-Za-z0-9_-]{6,32})$")


def button_token(data: str) -> str:
    """A short, stable token for a button's data (what comes back when it is pressed)."""
    digest = hashlib.sha256(data.encode()).digest()[:9]
    return base64.urlsafe_b64encode(digest).decode()


# -- messages out ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutMessage:
    """One Zalo message: text and at most `max_buttons` buttons (label, token)."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Formatted:
    messages: list[OutMessage]
    saved_buttons: list[tuple[str, str, str]]  # (token, data, label) to remember
    choices: list[str] | None  # numbered list shown: tokens in order


def format_reply(reply: Reply, rules: ZaloRules) -> Formatted:
    """A `Reply` → Zalo messages: text split under Zalo's limit, buttons as template buttons
    (a numbered list when there are more than Zalo shows), a file replaced by a note."""
    text = reply.text
    buttons = reply.all_buttons
    saved = [(button_token(b.data), b.data, b.label) for b in buttons]
    choices: list[str] | None = None
    if reply.file is not None:
        text += (
            f"\n\n(Tệp «{reply.file.name}» không gửi được qua Zalo. Ông/bà vui lòng nhận tại "
            "Bộ phận Một cửa.)"
        )
    if len(buttons) > rules.max_buttons:
        lines = [f"{n}. {b.label}" for n, b in enumerate(buttons, 1)]
        text += "\n\n" + "\n".join(lines) + "\n(Gõ số để chọn.)"
        choices = [token for token, _data, _label in saved]
        shown: tuple[tuple[str, str], ...] = ()
    else:
        shown = tuple((label[: rules.button_title_limit], token) for token, _data, label in saved)
    parts = split_reply(Reply(text=text, format=TextFormat.PLAIN), rules.text_limit)
    messages = [OutMessage(part.text) for part in parts]
    if shown:
        messages[-1] = replace(messages[-1], buttons=shown)
    return Formatted(messages, saved, choices)


def message_body(user_id: str, message: OutMessage, reply_to: str | None = None) -> dict[str, Any]:
    """A consultation message. `reply_to`, the id of the person's message it answers, makes it
    a free reply: Zalo's OA help desk says one with only `user_id` counts as proactive (quota)."""
    recipient = {"user_id": user_id} if reply_to is None else {"message_id": reply_to}
    body: dict[str, Any] = {"recipient": recipient, "message": {"text": message.text}}
    if message.buttons:
        body["message"]["attachment"] = {
            "type": "template",
            "payload": {
                "buttons": [
                    {"title": label, "type": "oa.query.hide", "payload": BUTTON_PREFIX + token}
                    for label, token in message.buttons
                ]
            },
        }
    return body


def transaction_body(user_id: str, message: OutMessage) -> dict[str, Any]:
    """A transaction message: a header (the first line) and the rest as text."""
    head, _, rest = message.text.partition("\n")
    elements: list[dict[str, Any]] = [{"type": "header", "content": head, "align": "left"}]
    if rest.strip():
        elements.append({"type": "text", "content": rest.strip(), "align": "left"})
    payload: dict[str, Any] = {
        "template_type": "transaction_event",
        "language": "VI",
        "elements": elements,
    }
    if message.buttons:
        payload["buttons"] = [
            {"title": label, "type": "oa.query.hide", "payload": BUTTON_PREFIX + token}
            for label, token in message.buttons
        ]
    return {
        "recipient": {"user_id": user_id},
        "message": {"attachment": {"type": "template", "payload": payload}},
    }


def zns_phone(phone: str) -> str | None:
    """'0912 345 678' / '+84912345678' → '84912345678' (the form ZNS takes)."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("84"):
        return digits
    if digits.startswith("0") and len(digits) >= 10:
        return "84" + digits[1:]
    return None
