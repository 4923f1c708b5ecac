"""Webhook events in: the signature (checked on the raw bytes, before any JSON), parsing,
and what an event says (who, which message, a photo, its kind)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from core.messages import (
    IncomingFile,
    Unsupported,
    is_image,
)

# -- webhook events in -----------------------------------------------------------------------


def event_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The header value Zalo sends: `mac=` + hex SHA-256 of app id + body + timestamp + key."""
    digest = hashlib.sha256(
        app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()
    ).hexdigest()
    return f"mac={digest}"


def parse_event(body: bytes) -> dict[str, Any]:
    """JSON with every integer kept as its digits: Zalo's ids do not fit a double."""
    event = json.loads(body, parse_int=str)
    if not isinstance(event, dict):
        raise ValueError("a Zalo event is a JSON object")
    return event


# The signature covers the body and the body's own `timestamp`: the timestamp is read from the
# raw bytes, so the signature is checked before any JSON is parsed (issue 15: an unsigned body,
# however big or deeply nested, is never parsed). A few candidates at most (the key could also
# appear inside a nested object); the parsed event must then carry the timestamp that verified.
_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,20})"?')
_MAX_TIMESTAMP_CANDIDATES = 4


def signed_timestamp(
    header: str | None, body: bytes, app_id: str, oa_secret_key: str
) -> str | None:
    """The body's timestamp if `header` is Zalo's signature of this body, else None."""
    if not header or not header.strip().startswith("mac="):
        return None
    given = header.strip().encode()
    for tried, found in enumerate(_TIMESTAMP.finditer(body)):
        if tried == _MAX_TIMESTAMP_CANDIDATES:
            break
        timestamp = found.group(1).decode()
        expected = event_signature(app_id, body, timestamp, oa_secret_key)
        if hmac.compare_digest(given, expected.encode()):
            return timestamp
    return None


def event_user(event: Mapping[str, Any]) -> str:
    """The person the event is about (a string, whatever its size)."""
    for key in ("sender", "follower", "user"):
        holder = event.get(key)
        if isinstance(holder, dict) and holder.get("id"):
            return str(holder["id"])
    return str(event.get("user_id_by_app") or "")


def event_message_id(event: Mapping[str, Any]) -> str | None:
    message = event.get("message")
    if isinstance(message, dict) and message.get("msg_id"):
        return str(message["msg_id"])
    return None


def event_key(event: Mapping[str, Any]) -> str:
    """What makes an event unique: the message id, else name, person and time."""
    message = event.get("message")
    if isinstance(message, dict) and message.get("msg_id"):
        return f"msg:{message['msg_id']}"
    return f"{event.get('event_name', '?')}:{event_user(event)}:{event.get('timestamp', '')}"


UNSUPPORTED_EVENTS = {
    "user_send_image": Unsupported.PHOTO,
    "user_send_gif": Unsupported.PHOTO,
    "user_send_sticker": Unsupported.STICKER,
    "user_send_audio": Unsupported.VOICE,
    "user_send_video": Unsupported.VIDEO,
    "user_send_location": Unsupported.LOCATION,
    "user_send_business_card": Unsupported.CONTACT,
    "user_send_file": Unsupported.OTHER,
    "user_send_link": Unsupported.OTHER,
}


def event_image(event: Mapping[str, Any]) -> IncomingFile | None:
    """A photo (user_send_image) or an image file (user_send_file) → the image to read; its
    `platform_ref` is the attachment's URL on Zalo's servers."""
    name = event.get("event_name")
    if name not in ("user_send_image", "user_send_file"):
        return None
    message = event.get("message")
    attachments = message.get("attachments") if isinstance(message, dict) else None
    for attachment in attachments if isinstance(attachments, list) else []:
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        if not isinstance(payload, dict) or not isinstance(payload.get("url"), str):
            continue
        file_name = str(payload.get("name") or "anh.jpg")
        if name == "user_send_file" and not is_image(file_name, None):
            return None
        size = str(payload.get("size") or "")
        return IncomingFile(file_name, payload["url"], None, int(size) if size.isdigit() else None)
    return None


class EventKind(StrEnum):
    MESSAGE = "message"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    IGNORED = "ignored"


def classify(event: Mapping[str, Any]) -> EventKind:
    match event.get("event_name"):
        case "user_send_text":
            return EventKind.MESSAGE
        case "follow":
            return EventKind.FOLLOW
        case "unfollow":
            return EventKind.UNFOLLOW
        case str() as name if name in UNSUPPORTED_EVENTS:
            return EventKind.MESSAGE
        case _:  # the OA's own messages echoed back, "seen", "received", reactions…
            return EventKind.IGNORED


def is_fresh(event: Mapping[str, Any], now: dt.datetime, max_age: dt.timedelta) -> bool:
    try:
        sent = dt.datetime.fromtimestamp(int(str(event.get("timestamp"))) / 1000, dt.UTC)
    except (TypeError, ValueError):
        return False
    return abs(now - sent) <= max_age
