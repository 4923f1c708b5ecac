"""Zalo's options and sending rules, every number from the settings (bot/settings.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.delivery import RetryPolicy
from bot.settings import Settings
from bot.webhooks import DEFAULT_MAX_BODY
from core.outbox import OutboxKind

CHANNEL = "zalo"
SIGNATURE_HEADER = "X-ZEvent-Signature"
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
    """Zalo's error codes grouped by what we do about them (MOTCUA_ZALO_ERRORS_*)."""

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


def options_from_settings(settings: Settings, **overrides: Any) -> ZaloOptions | str:
    """The channel's options, or what is missing (in Vietnamese, for the officer at the console)."""
    from urllib.parse import urlsplit

    zalo = settings.zalo

    def secret(value: Any) -> str:
        return value.get_secret_value() if value is not None else ""

    missing = [
        name
        for name, value in (
            ("ZALO_APP_ID", zalo.app_id),
            ("ZALO_APP_SECRET", secret(zalo.app_secret)),
            ("ZALO_OA_SECRET_KEY", secret(zalo.oa_secret_key)),
        )
        if not value
    ]
    if not (secret(zalo.access_token) or secret(zalo.refresh_token)):
        missing.append("ZALO_REFRESH_TOKEN (hoặc ZALO_ACCESS_TOKEN)")
    if missing:
        return (
            "Chưa đủ thông tin để chạy bot trên Zalo OA: thiếu "
            + ", ".join(missing)
            + ". Xem hướng dẫn kết nối OA trong docs/zalo.md, đặt các biến này vào tệp .env"
            " rồi chạy lại."
        )
    webhook_url = zalo.webhook_url or ""
    zns: dict[OutboxKind, ZnsTemplate] = {}
    if zalo.zns_template_status:
        zns[OutboxKind.DOSSIER_STATUS] = ZnsTemplate(
            zalo.zns_template_status, _fields(zalo.zns_status_fields)
        )
    if zalo.zns_template_apology:
        zns[OutboxKind.APOLOGY] = ZnsTemplate(
            zalo.zns_template_apology, _fields(zalo.zns_apology_fields)
        )
    rules = ZaloRules(
        cs_window=dt.timedelta(hours=zalo.cs_window_hours),
        cs_max_messages=zalo.cs_max_messages,
        interaction_window=dt.timedelta(days=zalo.interaction_days),
        transaction_messages=zalo.transaction_messages,
        reply_with_message_id=zalo.reply_with_message_id,
        quiet_start=zalo.quiet_start,
        quiet_end=zalo.quiet_end,
        text_limit=zalo.text_limit,
        max_buttons=zalo.max_buttons,
        button_title_limit=zalo.button_title_limit,
        messages_per_second=zalo.messages_per_second,
        token_refresh_ahead=dt.timedelta(minutes=zalo.token_refresh_minutes),
        errors=ZaloErrors(
            token=_codes(zalo.errors_token),
            rate=_codes(zalo.errors_rate),
            night=_codes(zalo.errors_night),
            no_interaction=_codes(zalo.errors_no_interaction),
            unfollowed=_codes(zalo.errors_unfollowed),
            zns_unreachable=_codes(zalo.errors_zns_unreachable),
        ),
        zns=zns,
    )
    values: dict[str, Any] = {
        "app_id": zalo.app_id,
        "app_secret": secret(zalo.app_secret),
        "oa_secret_key": secret(zalo.oa_secret_key),
        "access_token": secret(zalo.access_token) or None,
        "refresh_token": secret(zalo.refresh_token) or None,
        "api_base_url": zalo.api_base_url,
        "oauth_base_url": zalo.oauth_base_url,
        "zns_base_url": zalo.zns_base_url,
        "webhook_path": urlsplit(webhook_url).path or "/zalo/webhook",
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "officer_ids": tuple(settings.admins.on(CHANNEL)),
        "rules": rules,
        "watch_at": settings.apology_watch_time,
        "webhook_max_age": dt.timedelta(minutes=zalo.webhook_max_age_minutes),
        "max_body": settings.webhook_max_bytes,
        "image_hosts": tuple(h.strip() for h in zalo.image_hosts.split(",") if h.strip()),
    }
    values.update(overrides)
    return ZaloOptions(**values)
