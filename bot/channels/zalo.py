"""Zalo Official Account: signed webhook events in, OA API v3 and ZNS messages out.

The adapter only translates, as the Telegram one does: a webhook event becomes a neutral
`IncomingMessage`, the one dispatcher answers, the `Reply` objects become Zalo messages. Nothing
below `handlers/` knows Zalo exists.

Zalo's rules, and where they come from. Zalo's developer pages (developers.zalo.me) could not be
read from here; every number is a setting (bot/settings.py, `zalo_*`) and the README lists what
the commune should check. Checked on 2026-12-04 against public pages:
- Webhook: header `X-ZEvent-Signature: mac=<hex sha256(app id + raw body + timestamp + OA secret
  key)>`, the timestamp being the body's `timestamp`; the OA secret key, not the app secret.
  Confirmed by two independent implementations (chatwoot's Zalo OA webhook job,
  app/jobs/webhooks/zalo_events_job.rb; vtsw/sample-project-backend ZaloAuthenticator.js).
  Zalo wants a 200 within about 2 s, else it retries: from secondary sources only.
- Consultation (cs) messages: POST https://openapi.zalo.me/v3.0/oa/message/cs (also
  /transaction, /promotion), header `access_token`. Zalo OA's own help desk
  (zalooa.freshdesk.com, "Các loại tin của Zalo Official Account") says: 8 free replies within
  48 h of the person's message, the count starting again with each new message; the 9th or a
  reply after 48 h counts as a proactive (quota) message; and an API message sent with only a
  `user_id` and no `message_id` also counts as proactive. Text up to 2000 characters: SDK docs
  (@warriorteam/redai-zalo-sdk on unpkg.com) only.
- ZNS: POST https://business.openapi.zalo.me/message/template {"phone", "template_id",
  "template_data", "tracking_id"} (redai SDK's ZNSService; glama.ai zalo-mcp); error codes from
  Zalo Cloud's own page zalo.cloud/zns/guidelines/handle-error-code (-108 phone invalid; the
  page accepts 84xxx and 0xxx numbers). ZNS is paid per message.
- Tokens: POST https://oauth.zaloapp.com/v4/oa/access_token, header `secret_key` (app secret),
  form refresh_token, app_id, grant_type=refresh_token; the refresh token works once and lasts
  3 months, the access token 25 h (hexasync.vn guide); we use the `expires_in` Zalo returns.
- Not confirmed by any page found: the night-time refusal 22:00–06:00 and its code (-133), the
  7 days after which transaction messages stop (-230), the codes -220, -124, -213, -227, -32.
- Buttons: a template attachment whose buttons of type `oa.query.hide` send their payload back
  as the person's text; unconfirmed, so the payload is a short token we can always recognise.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import httpx

from bot import log_redaction
from bot.app import Dispatcher
from bot.backoff import FaultBackoff
from bot.delivery import OutboxWorker, RetryLater, RetryPolicy, render_or_settle
from bot.webhooks import DEFAULT_MAX_BODY
from core.chat_rate import Admission
from core.clock import Clock
from core.dossiers import STATUS_INFO
from core.messages import (
    FileTooLarge,
    IncomingFile,
    IncomingMessage,
    Reply,
    TextFormat,
    Unsupported,
    is_image,
    split_reply,
)
from core.outbox import FREE_REPLY_ONLY, OutboxKind
from handlers.context import Services
from storage.base import ChatRef, InboxEvent, OutboxItem, Stores, ZaloStore, ZaloTokens
from storage.faults import fault_of

log = logging.getLogger(__name__)

CHANNEL = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
BUTTON_PREFIX = "#b:"
_TOKEN = re.compile(r"^#b:([A-Za-z0-9_-]{6,32})$")
Alert = Callable[[str], Awaitable[None]]
# How long handling an event may wait for webhook acknowledgements to be stored first: under a
# flood of webhooks the conversations still move on.
ACK_PRIORITY_MAX_WAIT = 0.05
# Replay window of signed events (setting MOTCUA_ZALO_WEBHOOK_MAX_AGE_MINUTES): Slack refuses
# signed requests more than 5 minutes from its clock ("Verifying requests from Slack"), Stripe's
# signature tolerance is 5 minutes by default; 10 leaves room for clock skew and Zalo's first
# retries. Handled event ids are kept two weeks (ZaloBot), far longer.
DEFAULT_MAX_AGE = dt.timedelta(minutes=10)


# -- configuration ---------------------------------------------------------------------------


def _codes(text: str) -> frozenset[int]:
    return frozenset(int(part) for part in text.replace(";", ",").split(",") if part.strip())


def _fields(text: str) -> dict[str, str]:
    """'ma_ho_so=code, trang_thai=status' → {'ma_ho_so': 'code', 'trang_thai': 'status'}."""
    pairs = (part.split("=", 1) for part in text.split(",") if "=" in part)
    return {name.strip(): source.strip() for name, source in pairs}


@dataclass(frozen=True)
class ZaloErrors:
    """Zalo's error codes grouped by what we do about them (settings `zalo_errors_*`)."""

    token: frozenset[int] = frozenset({-216, -220, -124})
    rate: frozenset[int] = frozenset({-32})
    night: frozenset[int] = frozenset({-133})
    no_interaction: frozenset[int] = frozenset({-230})
    unfollowed: frozenset[int] = frozenset({-213, -227})
    zns_unreachable: frozenset[int] = frozenset({-108, -114, -118, -119})


@dataclass(frozen=True)
class ZnsTemplate:
    template_id: str
    fields: dict[str, str]  # template parameter → source (code, status, due…)


@dataclass(frozen=True)
class ZaloRules:
    """Zalo's sending rules, every number from the settings."""

    cs_window: dt.timedelta = dt.timedelta(hours=48)
    cs_max_messages: int = 8  # 0 = no limit
    interaction_window: dt.timedelta = dt.timedelta(days=7)
    transaction_messages: bool = False
    reply_with_message_id: bool = True  # cs messages refer to the person's last message
    quiet_start: dt.time = dt.time(22, 0)
    quiet_end: dt.time = dt.time(6, 0)
    text_limit: int = 2000
    max_buttons: int = 5
    button_title_limit: int = 100
    messages_per_second: float = 10.0
    token_refresh_ahead: dt.timedelta = dt.timedelta(hours=1)
    paused_retry: dt.timedelta = dt.timedelta(minutes=5)
    errors: ZaloErrors = field(default_factory=ZaloErrors)
    zns: Mapping[OutboxKind, ZnsTemplate] = field(default_factory=dict)

    def is_quiet(self, moment: dt.datetime) -> bool:
        t = moment.timetz().replace(tzinfo=None)
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= t < self.quiet_end
        return t >= self.quiet_start or t < self.quiet_end

    def morning_after(self, moment: dt.datetime) -> dt.datetime:
        """When the quiet hours around `moment` end."""
        end = moment.replace(
            hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0
        )
        return end if end > moment else end + dt.timedelta(days=1)


@dataclass(frozen=True)
class ZaloOptions:
    app_id: str
    app_secret: str
    oa_secret_key: str
    access_token: str | None = None
    refresh_token: str | None = None
    api_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    zns_base_url: str = "https://business.openapi.zalo.me"
    webhook_path: str = "/zalo/webhook"
    listen: str = "0.0.0.0"
    port: int = 8443
    officer_ids: tuple[str, ...] = ()  # the admins' ids on this channel (OFFICER_IDS)
    rules: ZaloRules = field(default_factory=ZaloRules)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    outbox_interval: float = 1.0
    inbox_batch: int = 200
    # Events of one person in one batch (issue 15): a flood waits its turns behind the others.
    inbox_per_user: int = 10
    # People whose events are handled at once; more only lengthens the queue on the database
    # that the webhook's acknowledgements wait in.
    inbox_concurrency: int = 8
    # Signed events older than this (by Zalo's timestamp) are refused: a captured request cannot
    # be replayed later (handled event ids are kept far longer than this; see ZaloBot).
    webhook_max_age: dt.timedelta = DEFAULT_MAX_AGE
    max_body: int = DEFAULT_MAX_BODY  # a bigger webhook request is refused unread
    watch_at: dt.time = dt.time(7, 30)  # the officers' morning apology list (bot.jobs)
    # Photos people send are fetched only from these hosts (Zalo's CDN) and their subdomains.
    image_hosts: tuple[str, ...] = ("zadn.vn", "zdn.vn", "zalo.me", "zaloapp.com")


def options_from_settings(settings: Any, **overrides: Any) -> ZaloOptions | str:
    """The channel's options, or what is missing (in Vietnamese, for the officer at the console)."""
    from urllib.parse import urlsplit

    def secret(value: Any) -> str:
        return value.get_secret_value() if value is not None else ""

    missing = [
        name
        for name, value in (
            ("ZALO_APP_ID", settings.zalo_app_id),
            ("ZALO_APP_SECRET", secret(settings.zalo_app_secret)),
            ("ZALO_OA_SECRET_KEY", secret(settings.zalo_oa_secret_key)),
        )
        if not value
    ]
    if not (secret(settings.zalo_access_token) or secret(settings.zalo_refresh_token)):
        missing.append("ZALO_REFRESH_TOKEN (hoặc ZALO_ACCESS_TOKEN)")
    if missing:
        return (
            "Chưa đủ thông tin để chạy bot trên Zalo OA: thiếu "
            + ", ".join(missing)
            + ". Xem mục «Running on Zalo» trong README, đặt các biến này vào tệp .env"
            " rồi chạy lại."
        )
    webhook_url = settings.zalo_webhook_url or ""
    zns: dict[OutboxKind, ZnsTemplate] = {}
    if settings.zalo_zns_template_status:
        zns[OutboxKind.DOSSIER_STATUS] = ZnsTemplate(
            settings.zalo_zns_template_status, _fields(settings.zalo_zns_status_fields)
        )
    if settings.zalo_zns_template_apology:
        zns[OutboxKind.APOLOGY] = ZnsTemplate(
            settings.zalo_zns_template_apology, _fields(settings.zalo_zns_apology_fields)
        )
    rules = ZaloRules(
        cs_window=dt.timedelta(hours=settings.zalo_cs_window_hours),
        cs_max_messages=settings.zalo_cs_max_messages,
        interaction_window=dt.timedelta(days=settings.zalo_interaction_days),
        transaction_messages=settings.zalo_transaction_messages,
        reply_with_message_id=settings.zalo_reply_with_message_id,
        quiet_start=settings.zalo_quiet_start,
        quiet_end=settings.zalo_quiet_end,
        text_limit=settings.zalo_text_limit,
        max_buttons=settings.zalo_max_buttons,
        button_title_limit=settings.zalo_button_title_limit,
        messages_per_second=settings.zalo_messages_per_second,
        token_refresh_ahead=dt.timedelta(minutes=settings.zalo_token_refresh_minutes),
        errors=ZaloErrors(
            token=_codes(settings.zalo_errors_token),
            rate=_codes(settings.zalo_errors_rate),
            night=_codes(settings.zalo_errors_night),
            no_interaction=_codes(settings.zalo_errors_no_interaction),
            unfollowed=_codes(settings.zalo_errors_unfollowed),
            zns_unreachable=_codes(settings.zalo_errors_zns_unreachable),
        ),
        zns=zns,
    )
    values: dict[str, Any] = {
        "app_id": settings.zalo_app_id,
        "app_secret": secret(settings.zalo_app_secret),
        "oa_secret_key": secret(settings.zalo_oa_secret_key),
        "access_token": secret(settings.zalo_access_token) or None,
        "refresh_token": secret(settings.zalo_refresh_token) or None,
        "api_base_url": settings.zalo_api_base_url,
        "oauth_base_url": settings.zalo_oauth_base_url,
        "zns_base_url": settings.zalo_zns_base_url,
        "webhook_path": urlsplit(webhook_url).path or "/zalo/webhook",
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "officer_ids": tuple(settings.admins.on(CHANNEL)),
        "rules": rules,
        "watch_at": settings.apology_watch_time,
        "webhook_max_age": dt.timedelta(minutes=settings.zalo_webhook_max_age_minutes),
        "max_body": settings.webhook_max_bytes,
        "image_hosts": tuple(h.strip() for h in settings.zalo_image_hosts.split(",") if h.strip()),
    }
    values.update(overrides)
    return ZaloOptions(**values)


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


_UNSUPPORTED_EVENTS = {
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


class ZaloFiles:
    """`FileSource` for pictures people send on Zalo: downloaded from Zalo's servers, only from
    the configured hosts (never from an address an event could name), at most `max_bytes`
    (the download stops there), nothing written to disk."""

    def __init__(self, http: httpx.AsyncClient, hosts: Sequence[str]) -> None:
        self.http = http
        self.hosts = tuple(h.casefold().lstrip(".") for h in hosts)

    def allowed(self, url: str) -> bool:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        host = (parts.hostname or "").casefold()
        if parts.scheme not in ("https", "http") or not host:
            return False
        if parts.scheme == "http" and host != "127.0.0.1":  # plain HTTP: loopback tests only
            return False
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    async def fetch(self, file: IncomingFile, max_bytes: int) -> bytes:
        if file.size is not None and file.size > max_bytes:
            raise FileTooLarge(file.name)
        if not self.allowed(file.platform_ref):
            raise OSError(f"picture not on Zalo's servers: {file.platform_ref[:80]}")
        try:
            async with self.http.stream("GET", file.platform_ref) as response:
                if response.status_code != 200:
                    raise OSError(f"Zalo answered HTTP {response.status_code} for a picture")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise FileTooLarge(file.name)
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > max_bytes:
                        raise FileTooLarge(file.name)
        except httpx.HTTPError as error:
            raise OSError(f"picture not downloaded: {error!r}") from error
        return bytes(content)


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
        case str() as name if name in _UNSUPPORTED_EVENTS:
            return EventKind.MESSAGE
        case _:  # the OA's own messages echoed back, "seen", "received", reactions…
            return EventKind.IGNORED


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


# -- the API ---------------------------------------------------------------------------------


class ZaloApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo error {code}: {message}")
        self.code = code
        self.message = message


class TokensBroken(Exception):
    """The access token cannot be renewed: sending stops until an officer fixes the tokens."""


def seed_of(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


class TokenKeeper:
    """The OA's access token, renewed ahead of expiry; each new (single-use) refresh token is
    in the database before the old one could be needed again."""

    def __init__(
        self,
        services: Services,
        http: httpx.AsyncClient,
        options: ZaloOptions,
        alert: Alert,
    ) -> None:
        self.services = services
        self.http = http
        self.options = options
        self.alert = alert
        self.tokens: ZaloTokens | None = None
        self.broken = False
        self.unsaved = False  # renewed while the database could not take them (`_save`)
        self.refreshes = 0
        self._lock = asyncio.Lock()

    @property
    def store(self) -> ZaloStore:
        return self.services.storage.zalo

    async def load(self) -> None:
        """The database's tokens, unless the settings carry a refresh token they do not descend
        from (the officer authorised the OA again): then the settings' tokens."""
        now = self.services.clock.now()
        stored = await self.store.zalo_tokens()
        configured = self.options.refresh_token
        seed = seed_of(configured) if configured else None
        if stored is not None and (seed is None or stored.seed == seed):
            log_redaction.protect(stored.access_token, stored.refresh_token)
            self.tokens = stored
            return
        access = self.options.access_token or ""
        # An access token of unknown age is used until Zalo refuses it; without one, the
        # first use refreshes.
        expires = now + self.options.rules.token_refresh_ahead * 2 if access else now
        self.tokens = ZaloTokens(access, configured or "", expires, seed)
        await self.store.zalo_save_tokens(self.tokens, now)

    async def access_token(self) -> str:
        if self.broken:
            raise TokensBroken("Zalo tokens need renewing by an officer")
        if self.tokens is None:
            await self.load()
        assert self.tokens is not None
        if self.unsaved:
            await self._save()
        ahead = self.options.rules.token_refresh_ahead
        if self.services.clock.now() >= self.tokens.expires_at - ahead:
            await self.refresh(self.tokens.access_token)
        return self.tokens.access_token

    async def refresh(self, stale: str) -> None:
        """Renew once for a token found stale; concurrent callers wait for that one renewal."""
        async with self._lock:
            if self.broken:
                raise TokensBroken("Zalo tokens need renewing by an officer")
            assert self.tokens is not None
            if self.tokens.access_token != stale:
                return  # another coroutine renewed it meanwhile
            try:
                fresh = await self._request(self.tokens)
            except Exception as error:
                self.broken = True
                log.error("Zalo token refresh failed: %s", error)
                await self.alert(
                    "Bot không gia hạn được mã truy cập Zalo OA, nên đã tạm dừng gửi tin trên "
                    "Zalo (không tin nào bị mất). Đề nghị cấp lại quyền cho ứng dụng, đặt "
                    "ZALO_REFRESH_TOKEN mới rồi khởi động lại bot."
                )
                raise TokensBroken(str(error)) from error
            # Refresh tokens are single-use: the new pair is kept in memory before it is saved,
            # so a fault of the database (issue 15) cannot lose it with the old one spent.
            self.tokens = fresh
            self.refreshes += 1
            await self._save()

    async def _save(self) -> None:
        """Save the tokens in use; on a fault of the database keep them in memory and save them
        at their next use (`access_token`)."""
        assert self.tokens is not None
        try:
            await self.store.zalo_save_tokens(self.tokens, self.services.clock.now())
        except Exception as error:
            fault = fault_of(error)
            if fault is None:
                raise
            self.unsaved = True
            log.error("Zalo tokens renewed, not saved yet: database %s (%s)", fault, error)
        else:
            self.unsaved = False

    async def _request(self, current: ZaloTokens) -> ZaloTokens:
        if not current.refresh_token:
            raise ZaloApiError(0, "no refresh token")
        response = await self.http.post(
            f"{self.options.oauth_base_url}/v4/oa/access_token",
            headers={"secret_key": self.options.app_secret},
            data={
                "refresh_token": current.refresh_token,
                "app_id": self.options.app_id,
                "grant_type": "refresh_token",
            },
        )
        body = response.json(parse_int=str)
        if not isinstance(body, dict) or not body.get("access_token"):
            code = int(body.get("error", 0)) if isinstance(body, dict) else 0
            raise ZaloApiError(code, str(body)[:200])
        lifetime = float(body.get("expires_in") or 3600)
        log_redaction.protect(str(body["access_token"]), str(body.get("refresh_token") or ""))
        return ZaloTokens(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or ""),
            expires_at=self.services.clock.now() + dt.timedelta(seconds=lifetime),
            seed=current.seed,
        )


class RatePacer:
    """At most `per_second` requests overall (monotonic time)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            at = max(now, self._next)
            self._next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


class ZaloApi:
    """The OA API and ZNS through one shared httpx client; a stale token is renewed and the
    call tried once more."""

    def __init__(self, http: httpx.AsyncClient, options: ZaloOptions, keeper: TokenKeeper) -> None:
        self.http = http
        self.options = options
        self.keeper = keeper
        self.pacer = RatePacer(options.rules.messages_per_second)

    async def send_message(self, kind: str, body: dict[str, Any]) -> str:
        """kind: cs, transaction or promotion. Returns Zalo's message id."""
        data = await self._call(f"{self.options.api_base_url}/v3.0/oa/message/{kind}", body)
        return str(data.get("message_id", ""))

    async def send_zns(
        self, phone: str, template_id: str, fields: dict[str, str], tracking_id: str
    ) -> str:
        body = {
            "phone": phone,
            "template_id": template_id,
            "template_data": fields,
            "tracking_id": tracking_id,
        }
        data = await self._call(f"{self.options.zns_base_url}/message/template", body)
        return str(data.get("msg_id", ""))

    async def _call(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(2):
            token = await self.keeper.access_token()
            await self.pacer.wait()
            try:
                response = await self.http.post(url, headers={"access_token": token}, json=body)
                answer = response.json(parse_int=str)
            except (httpx.HTTPError, ValueError) as error:
                raise RetryLater(f"Zalo unreachable: {error!r}") from error
            if response.status_code >= 500 or not isinstance(answer, dict):
                raise RetryLater(f"Zalo answered HTTP {response.status_code}")
            code = int(answer.get("error", 0) or 0)
            if code == 0:
                data = answer.get("data")
                return data if isinstance(data, dict) else {}
            if code in self.options.rules.errors.token and attempt == 0:
                await self.keeper.refresh(token)
                continue
            raise ZaloApiError(code, str(answer.get("message", "")))
        raise AssertionError("unreachable")


# -- the channel: inbox → dispatcher → cs replies ---------------------------------------------


class ZaloChannel:
    """Accepts signed webhook events into the inbox and answers them from there."""

    def __init__(
        self, dispatcher: Dispatcher, api: ZaloApi, options: ZaloOptions, alert: Alert
    ) -> None:
        self.dispatcher = dispatcher
        self.api = api
        self.options = options
        self.alert = alert
        # Issue 21: officers of this process hear of questions asked here; answers to people
        # on Zalo wait outside the free window, and people are told how to see them.
        dispatcher.services.channels.add(CHANNEL)
        dispatcher.services.reply_windows[CHANNEL] = options.rules.cs_window
        self.files = ZaloFiles(api.http, options.image_hosts)
        self.wake = asyncio.Event()
        self._processing = asyncio.Lock()
        # Acknowledgements come first: while a webhook request is storing its event, no new
        # event is started (those running finish), so Zalo's 200 waits on the database only
        # behind a few statements, never behind a whole batch of conversations.
        self._storing = 0
        self._no_acks_waiting = asyncio.Event()
        self._no_acks_waiting.set()

    @property
    def services(self) -> Services:
        return self.dispatcher.services

    @property
    def storage(self) -> Stores:
        return self.services.storage

    async def accept(self, body: bytes, signature: str | None) -> int:
        """A webhook request → the HTTP status to answer (200 once the event is stored). In
        order: the signature (401), then parsing (400), then the event's age (400)."""
        options = self.options
        timestamp = signed_timestamp(signature, body, options.app_id, options.oa_secret_key)
        if timestamp is None:
            return 401
        try:
            event = parse_event(body)
        except ValueError:
            return 400
        if str(event.get("timestamp", "")) != timestamp:
            return 400  # signed with another "timestamp" than the event's own
        now = self.services.clock.now()
        if not _fresh(event, now, options.webhook_max_age):
            log.warning(
                "Zalo event %s refused: sent at %s, more than %s from now (a replay, or a "
                "redelivery after a long outage)",
                event_key(event),
                timestamp,
                options.webhook_max_age,
            )
            return 400
        self._storing += 1
        self._no_acks_waiting.clear()
        try:
            stored = await self.storage.zalo.inbox_add(
                event_key(event), event_user(event), body.decode("utf-8", "replace"), now
            )
        finally:
            self._storing -= 1
            if not self._storing:
                self._no_acks_waiting.set()
        if stored:
            self.wake.set()
        return 200

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        # A fault of the database (full, locked…) pauses the inbox, logged once (bot.backoff);
        # an event stored meanwhile (the database takes writes again) wakes it at once.
        backoff = FaultBackoff("Zalo inbox", interval)
        while not stop.is_set():
            try:
                await self.process_pending()
                wait = backoff.succeeded()
            except Exception as error:
                wait = backoff.failed(error)
            waiter = asyncio.create_task(self.wake.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=wait, return_when="FIRST_COMPLETED")
            waiter.cancel()
            stopper.cancel()
            self.wake.clear()

    async def process_pending(self) -> int:
        """Handle every stored event (each person's in order, people in parallel)."""
        handled = 0
        async with self._processing:
            while True:
                events = await self.storage.zalo.inbox_pending(
                    self.options.inbox_batch, self.options.inbox_per_user
                )
                if not events:
                    return handled
                by_user: dict[str, list[InboxEvent]] = {}
                for stored in events:
                    by_user.setdefault(stored.user_id, []).append(stored)
                slots = asyncio.Semaphore(max(1, self.options.inbox_concurrency))
                await asyncio.gather(
                    *(self._handle_user(group, slots) for group in by_user.values())
                )
                handled += len(events)

    async def _handle_user(self, events: Sequence[InboxEvent], slots: asyncio.Semaphore) -> None:
        async with slots:
            for stored in events:
                await self._handle_stored(stored)

    async def handle_stored(self, stored: InboxEvent) -> None:
        """One stored event, handed out by another process's claim (issue 18, bot.workers)."""
        await self._handle_stored(stored)

    async def _handle_stored(self, stored: InboxEvent) -> None:
        if not self._no_acks_waiting.is_set():  # yield to acknowledgements, though not forever
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._no_acks_waiting.wait(), ACK_PRIORITY_MAX_WAIT)
        error, photo = None, False
        try:
            event = parse_event(stored.payload.encode())
            photo = event_image(event) is not None
            await self.handle_event(event)
        except Exception as exc:  # logged, recorded; the next events still go on
            if fault_of(exc) is not None:
                raise  # the database, not the event: it stays pending, tried again next round
            log.exception("Zalo event %s failed", stored.event_key)
            error = repr(exc)[:300]
        # A photo's address on Zalo's servers is not kept once it was read (issue 20).
        await self.storage.zalo.inbox_done(
            [stored.event_key], self.services.clock.now(), error, keep_payload=not photo
        )

    async def handle_event(self, event: Mapping[str, Any]) -> None:
        user = event_user(event)
        now = self.services.clock.now()
        match classify(event):
            case EventKind.FOLLOW:
                await self.storage.zalo.zalo_set_followed(user, True, now)
                await self.storage.zalo.zalo_interaction(user, now)
                await self.storage.outbox.release_held(ChatRef(CHANNEL, user), now)
                await self._answer(IncomingMessage(CHANNEL, user, user, text="/start"))
            case EventKind.UNFOLLOW:
                await self.storage.zalo.zalo_set_followed(user, False, now)
                await self.storage.chats.deactivate_chat(ChatRef(CHANNEL, user))
            case EventKind.MESSAGE:
                await self.storage.zalo.zalo_interaction(user, now, event_message_id(event))
                # Answers that waited for the person's message go out now (issue 21).
                await self.storage.outbox.release_held(ChatRef(CHANNEL, user), now)
                message = await self.to_incoming(event)
                if message is None:
                    return
                match self.dispatcher.admit(message):  # a person sending too fast (core.chat_rate)
                    case Admission.DROP:
                        return
                    case Admission.WARN:
                        log.info("Zalo user %s sends too fast: told once, the rest dropped", user)
                        await self._send(
                            message, self.dispatcher.too_fast(message, TextFormat.PLAIN)
                        )
                    case _:
                        await self._answer(message)
            case EventKind.IGNORED:
                return
            case _:
                log.warning("Zalo event not understood: %s", event.get("event_name"))

    async def to_incoming(self, event: Mapping[str, Any]) -> IncomingMessage | None:
        user = event_user(event)
        if not user:
            return None
        name = event.get("event_name")
        image = event_image(event)
        if image is not None:
            return IncomingMessage(CHANNEL, user, user, image=image)
        if isinstance(name, str) and name in _UNSUPPORTED_EVENTS:
            return IncomingMessage(CHANNEL, user, user, unsupported=_UNSUPPORTED_EVENTS[name])
        message = event.get("message")
        text = str(message.get("text", "")) if isinstance(message, dict) else ""
        pressed = await self._pressed(user, text.strip())
        if pressed is not None:
            data, label = pressed
            return IncomingMessage(CHANNEL, user, user, text=label, button=data)
        return IncomingMessage(CHANNEL, user, user, text=text)

    async def _pressed(self, user: str, text: str) -> tuple[str, str] | None:
        """A button's token coming back, or the number of a choice in the last list."""
        found = _TOKEN.match(text)
        if found:
            return await self.storage.zalo.zalo_button(found.group(1))
        if text.isdigit():
            follower = await self.storage.zalo.zalo_follower(user)
            if follower and follower.choices and 1 <= int(text) <= len(follower.choices):
                return await self.storage.zalo.zalo_button(follower.choices[int(text) - 1])
        return None

    async def _answer(self, message: IncomingMessage) -> None:
        await self._send(
            message, await self.dispatcher.handle(message, TextFormat.PLAIN, self.files)
        )

    async def _send(self, message: IncomingMessage, replies: Sequence[Reply]) -> None:
        for reply in replies:
            try:
                await send_cs(
                    self.api,
                    self.storage.zalo,
                    self.options.rules,
                    message.chat_id,
                    reply,
                    self.services.clock,
                )
            except TokensBroken:
                log.error("reply to Zalo user %s not sent: tokens broken", message.chat_id)
                return
            except (ZaloApiError, RetryLater) as error:
                # The person is typing now: a reply that fails is logged, not queued (the
                # conversation moved on); notices go through the outbox and are never lost.
                log.error("reply to Zalo user %s failed: %s", message.chat_id, error)
                return


async def send_cs(
    api: ZaloApi, zalo: ZaloStore, rules: ZaloRules, user: str, reply: Reply, clock: Clock
) -> str:
    """A reply as consultation messages; buttons remembered, the window's count updated."""
    formatted = format_reply(reply, rules)
    if formatted.saved_buttons:
        await zalo.zalo_save_buttons(formatted.saved_buttons, clock.now())
    if formatted.choices is not None:
        await zalo.zalo_set_choices(user, formatted.choices)
    reply_to = None
    if rules.reply_with_message_id:
        follower = await zalo.zalo_follower(user)
        reply_to = follower.last_message_id if follower is not None else None
    first = ""
    for message in formatted.messages:
        sent = await api.send_message("cs", message_body(user, message, reply_to))
        await zalo.zalo_count_cs(user)
        first = first or sent
    return first


def _fresh(event: Mapping[str, Any], now: dt.datetime, max_age: dt.timedelta) -> bool:
    try:
        sent = dt.datetime.fromtimestamp(int(str(event.get("timestamp"))) / 1000, dt.UTC)
    except (TypeError, ValueError):
        return False
    return abs(now - sent) <= max_age


# -- the outbox on Zalo: cs in the window, then transaction, then ZNS ------------------------


class Route(StrEnum):
    CS = "cs"
    TRANSACTION = "transaction"
    OUTSIDE = "outside"  # ZNS if possible, else the officers are told


class _Deferred(Exception):
    def __init__(self, until: dt.datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until


class ZaloSender:
    """The outbox's `Sender` for Zalo (plain text); used for consultation messages."""

    text_format = TextFormat.PLAIN

    def __init__(self, api: ZaloApi, services: Services, rules: ZaloRules) -> None:
        self.api = api
        self.services = services
        self.rules = rules

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        return await send_cs(
            self.api, self.services.storage.zalo, self.rules, chat_id, reply, self.services.clock
        )


class ZaloOutboxWorker(OutboxWorker):
    """The outbox worker, with Zalo's rules deciding how each notice goes out."""

    def __init__(
        self,
        services: Services,
        sender: ZaloSender,
        keeper: TokenKeeper,
        alert: Alert,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(services, {CHANNEL: sender}, policy=policy)
        self.sender = sender
        self.keeper = keeper
        self.alert = alert
        self.rules = sender.rules
        self.routes: list[tuple[str, str]] = []  # (dedupe key, how it went), for tests and logs

    async def deliver_due(self) -> int:
        if self.keeper.broken:  # stop sending rather than losing messages
            return 0
        return await super().deliver_due()

    def route(self, follower: Any, now: dt.datetime, parts: int) -> Route:
        if follower is None or follower.last_interaction is None:
            return Route.OUTSIDE
        last = follower.last_interaction
        if last.tzinfo is None:  # naive times are local (Vietnam), as the clock's
            last = last.replace(tzinfo=now.tzinfo)
        since = now - last
        room = self.rules.cs_max_messages == 0 or (
            follower.cs_sent + parts <= self.rules.cs_max_messages
        )
        if since < self.rules.cs_window and room:
            return Route.CS
        if self.rules.transaction_messages and since < self.rules.interaction_window:
            return Route.TRANSACTION
        return Route.OUTSIDE

    async def _deliver(self, item: OutboxItem) -> None:
        storage, now = self.services.storage, self.services.clock.now()
        message = item.message
        chat = ChatRef(message.channel, message.chat_id)
        reply = await render_or_settle(self.services, item, TextFormat.PLAIN)
        if reply is None:
            return
        follower = await storage.zalo.zalo_follower(message.chat_id)
        if follower is not None and not follower.followed:
            await storage.outbox.mark_failed(item.id, "undeliverable: unfollowed the OA", now)
            await storage.chats.deactivate_chat(chat)
            return
        parts = len(format_reply(reply, self.rules).messages)
        route = self.route(follower, now, parts)
        if message.kind in FREE_REPLY_ONLY:  # issue 21: a conversation, not a notice
            if route is not Route.CS:
                self.routes.append((message.dedupe_key, "held"))
                await storage.outbox.mark_held(item.id, "waits for the person's next message", now)
                return
            reply = self._last_free_reply(item, reply, follower, parts)
        errors = self.rules.errors
        try:
            try:
                if route is Route.CS:
                    sent_id: str | None = await self.sender.send(message.chat_id, reply)
                elif route is Route.TRANSACTION:
                    sent_id = await self._transaction(message.chat_id, reply)
                else:
                    sent_id = await self._outside_window(item, now)
            except ZaloApiError as error:
                if error.code not in errors.no_interaction or route is Route.OUTSIDE:
                    raise
                route = Route.OUTSIDE
                sent_id = await self._outside_window(item, now)
        except _Deferred as deferred:
            self.routes.append((message.dedupe_key, f"deferred:{deferred}"))
            await storage.outbox.mark_retry(item.id, str(deferred), deferred.until)
        except TokensBroken as error:
            await storage.outbox.mark_retry(
                item.id, f"sending stopped: {error}", now + self.rules.paused_retry
            )
        except ZaloApiError as error:
            await self._api_error(item, chat, error, now)
        except Exception as exc:  # RetryLater and anything unexpected: try again later
            await self._retry(item, exc, now)
        else:
            if sent_id is None:
                return  # handled (failed and officers told) in _outside_window
            self.routes.append(
                (message.dedupe_key, route.value if sent_id[:4] != "zns:" else "zns")
            )
            await self.record_sent(item, sent_id, now)

    def _last_free_reply(self, item: OutboxItem, reply: Reply, follower: Any, parts: int) -> Reply:
        """An officer's answer that uses the last free message Zalo allows before the person
        writes again says how to get the next ones (they wait: no paid message is sent)."""
        limit = self.rules.cs_max_messages
        if item.message.kind is not OutboxKind.TICKET_REPLY or not limit or follower is None:
            return reply
        if follower.cs_sent + parts < limit:
            return reply
        note = (
            "\n\n(Zalo chỉ cho bot gửi tiếp sau khi ông/bà nhắn lại: muốn nhận tiếp trả lời "
            "của cán bộ, ông/bà nhắn một tin bất kỳ.)"
        )
        return replace(reply, text=reply.text + note)

    async def _transaction(self, user: str, reply: Reply) -> str:
        formatted = format_reply(reply, self.rules)
        await self.services.storage.zalo.zalo_save_buttons(
            formatted.saved_buttons, self.services.clock.now()
        )
        first = ""
        for part in formatted.messages:
            sent = await self.sender.api.send_message("transaction", transaction_body(user, part))
            first = first or sent
        return first

    async def _outside_window(self, item: OutboxItem, now: dt.datetime) -> str | None:
        """Outside the free window: a ZNS template to the dossier's phone when the person
        consented (followed the dossier here) and a template exists; else the officers are told
        and the message is recorded as failed — never dropped silently."""
        storage = self.services.storage
        message = item.message
        template = self.rules.zns.get(message.kind)
        fields = await self._zns_fields(item) if template else None
        if template is not None and fields is not None:
            phone, code_key, values = fields
            consented = await storage.follows.is_following(
                ChatRef(message.channel, message.chat_id), code_key
            )
            if consented and phone:
                if self.rules.is_quiet(now):
                    raise _Deferred(self.rules.morning_after(now), "night: ZNS deferred")
                data = {name: values.get(source, "") for name, source in template.fields.items()}
                msg_id = await self.sender.api.send_zns(
                    phone, template.template_id, data, message.dedupe_key
                )
                return f"zns:{msg_id}"
        reason = "outside Zalo's reply window, no ZNS possible"
        await storage.outbox.mark_failed(item.id, f"undeliverable: {reason}", now)
        self.routes.append((message.dedupe_key, "officers"))
        if message.kind in (OutboxKind.DOSSIER_STATUS, OutboxKind.APOLOGY):
            code = fields[2].get("code", fields[1]) if fields else message.payload
            await self.alert(
                f"Không gửi được thông báo ({message.kind}) cho người theo dõi hồ sơ {code} trên "
                "Zalo: người dân đã quá thời hạn tương tác với OA và chưa thể gửi ZNS. Đề nghị "
                "cán bộ liên hệ trực tiếp (điện thoại trong hồ sơ)."
            )
        else:
            log.warning("outbox %s not sent on Zalo: %s", message.dedupe_key, reason)
        return None

    async def _zns_fields(self, item: OutboxItem) -> tuple[str | None, str, dict[str, str]] | None:
        storage = self.services.storage
        payload = item.message.payload
        if item.message.kind is OutboxKind.DOSSIER_STATUS:
            event = await storage.dossiers.event(int(payload["event_id"]))
            dossier = await storage.dossiers.get_dossier(event.code_key) if event else None
            if event is None or dossier is None or event.new_status is None:
                return None
            procedure = self.services.knowledge.catalogue.get(dossier.procedure_id)
            values = {
                "code": dossier.code,
                "procedure": procedure.name if procedure else dossier.procedure_id,
                "status": STATUS_INFO[event.new_status].label,
                "due": f"{dossier.due_date:%d/%m/%Y}",
            }
        elif item.message.kind is OutboxKind.APOLOGY:
            apology = await storage.apologies.get_apology(int(payload["apology_id"]))
            dossier = await storage.dossiers.get_dossier(apology.code_key) if apology else None
            if apology is None or dossier is None:
                return None
            values = {
                "code": dossier.code,
                "old_due": f"{apology.old_due:%d/%m/%Y}",
                "new_due": f"{apology.new_due:%d/%m/%Y}",
                "reason": apology.reason,
            }
        else:
            return None
        phone = zns_phone(dossier.phone) if dossier.phone else None
        return phone, dossier.code_key, values

    async def _api_error(
        self, item: OutboxItem, chat: ChatRef, error: ZaloApiError, now: dt.datetime
    ) -> None:
        storage, errors = self.services.storage, self.rules.errors
        if error.code in errors.night:
            until = self.rules.morning_after(now)
            self.routes.append((item.message.dedupe_key, "deferred:night"))
            await storage.outbox.mark_retry(item.id, f"night-time refusal: {error}", until)
        elif error.code in errors.rate:
            await self._retry(item, RetryLater(str(error)), now)
        elif error.code in errors.unfollowed:
            await storage.zalo.zalo_set_followed(chat.chat_id, False, now)
            await storage.outbox.mark_failed(item.id, f"undeliverable: {error}", now)
            await storage.chats.deactivate_chat(chat)
        elif error.code in errors.zns_unreachable or error.code in errors.no_interaction:
            await storage.outbox.mark_failed(item.id, f"undeliverable: {error}", now)
            self.routes.append((item.message.dedupe_key, "officers"))
            await self.alert(
                f"Không gửi được thông báo cho một người dân trên Zalo ({error.message}, mã "
                f"{error.code}). Đề nghị cán bộ liên hệ trực tiếp."
            )
        elif error.code in errors.token:
            await self._retry(item, RetryLater(str(error)), now)  # renewed once already
        else:
            await self._retry(item, RetryLater(str(error)), now)

    async def _retry(self, item: OutboxItem, exc: Exception, now: dt.datetime) -> None:
        storage = self.services.storage
        if not isinstance(exc, RetryLater):
            log.exception("sending outbox message %s failed", item.message.dedupe_key)
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        if item.attempts >= self.policy.max_attempts:
            await storage.outbox.mark_failed(item.id, f"gave up after {item.attempts}: {exc}", now)
        else:
            delay = self.policy.delay(item.attempts, retry_after)
            await storage.outbox.mark_retry(item.id, str(exc) or type(exc).__name__, now + delay)
