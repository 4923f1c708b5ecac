"""Running the bot on Telegram: long polling by default, a webhook for deployment.

One process runs the whole thing with an explicit lifecycle: services opened (database migrated,
catalogue validated), the Application initialised and started, the outbox worker and the daily
apology watch as tasks; on stop, everything closed in reverse order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from telegram import Update

from bot import health, log_redaction
from bot.app import Dispatcher
from bot.care_jobs import CareWatch
from bot.channels.telegram import (
    CHANNEL,
    Pacing,
    TelegramChannel,
    TelegramSender,
    build_application,
)
from bot.delivery import OutboxWorker, RetryPolicy
from bot.jobs import ApologyWatch
from bot.lifecycle import hourly, serve_until_signalled
from bot.settings import Settings
from bot.webhooks import DEFAULT_MAX_BODY, WebhookServer, build_app, telegram_route
from handlers.context import Services
from storage.base import ChatRef

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TelegramOptions:
    token: str
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    officer_ids: tuple[str, ...] = ()  # the admins' ids on this channel (OFFICER_IDS)
    allow_groups: bool = False
    pacing: Pacing = field(default_factory=Pacing)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    watch_at: dt.time = dt.time(7, 30)
    outbox_interval: float = 1.0
    # Webhook mode (deployment): Telegram posts updates to webhook_url, checked by secret_token.
    webhook_url: str | None = None
    listen: str = "0.0.0.0"  # a webhook must accept Telegram's connections
    port: int = 8443
    url_path: str = ""
    secret_token: str | None = None
    max_body: int = DEFAULT_MAX_BODY  # a bigger webhook request is refused unread


def telegram_options(args: argparse.Namespace, settings: Settings) -> TelegramOptions | str:
    """Options for the Telegram channel from settings and flags, or what is missing (Vietnamese)."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        return (
            "Chưa có mã bot Telegram. Tạo bot với @BotFather, rồi đặt biến môi trường "
            "TELEGRAM_BOT_TOKEN (hoặc ghi vào tệp .env) và chạy lại."
        )
    webhook_url = args.webhook_url or settings.telegram_webhook_url
    secret = args.secret_token or (
        settings.telegram_webhook_secret.get_secret_value()
        if settings.telegram_webhook_secret
        else None
    )
    if webhook_url and not webhook_url.startswith("https://"):
        return f"Địa chỉ webhook phải bắt đầu bằng https:// (đang là «{webhook_url}»)."
    if webhook_url and not secret:
        return (
            "Chế độ webhook cần một mã bí mật để kiểm tra yêu cầu đến từ Telegram: đặt "
            "TELEGRAM_WEBHOOK_SECRET (1–256 ký tự A–Z, a–z, 0–9, _ và -) hoặc dùng --secret-token."
        )
    return TelegramOptions(
        token=token,
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
        officer_ids=tuple(settings.admins.on("telegram")),
        allow_groups=settings.telegram_allow_groups,
        pacing=Pacing(
            per_second=settings.telegram_messages_per_second,
            per_chat_interval=settings.telegram_per_chat_interval,
        ),
        watch_at=settings.apology_watch_time,
        webhook_url=webhook_url,
        listen=args.listen or settings.webhook_listen,
        port=args.port or settings.webhook_port,
        url_path=urlsplit(webhook_url).path.lstrip("/") if webhook_url else "",
        secret_token=secret,
        max_body=settings.webhook_max_bytes,
    )


class TelegramBot:
    """The Telegram channel with its workers; `start()`/`stop()` or `run_until_stopped()`."""

    def __init__(
        self, services: Services, options: TelegramOptions, *, serve_webhook: bool = True
    ) -> None:
        """`serve_webhook`: False when another server of the process takes Telegram's webhook
        route (`--channel all`: the Zalo bot's)."""
        self.services = services
        self.options = options
        self.serve_webhook = serve_webhook
        self.server: WebhookServer | None = None
        log_redaction.protect(options.token, options.secret_token)  # in every request URL
        self.application = build_application(options.token, options.base_url, options.base_file_url)
        self.channel = TelegramChannel(
            self.application,
            Dispatcher(services),
            officer_ids=options.officer_ids,
            allow_groups=options.allow_groups,
        )
        self.worker = OutboxWorker(
            services,
            {CHANNEL: TelegramSender(self.application.bot, options.pacing)},
            policy=options.retry,
            # A few requests open at once, and no more rows claimed than that (see OutboxWorker).
            batch=options.pacing.in_flight,
            concurrency=options.pacing.in_flight,
        )
        self.watch = ApologyWatch(
            services,
            [ChatRef(CHANNEL, officer) for officer in options.officer_ids],
            options.watch_at,
        )
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        application, options = self.application, self.options
        await application.initialize()
        await self.channel.set_commands()
        await application.start()
        updater = application.updater
        assert updater is not None
        if options.webhook_url:
            # Our own server, not python-telegram-bot's (tornado reads any body up to 100 MB
            # before its handler runs): the size is refused unread, the secret checked first.
            if self.serve_webhook:
                route = telegram_route(
                    application, "/" + options.url_path, options.secret_token, options.max_body
                )
                routes = [route, *health.routes(self.services)]  # /healthz, /metrics
                self.server = WebhookServer(build_app(routes), options.listen, options.port)
                await self.server.start()
            await application.bot.set_webhook(
                options.webhook_url,
                secret_token=options.secret_token,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=10)
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self.worker.run(self._stop, options.outbox_interval)),
            asyncio.create_task(self.watch.run(self._stop)),
            asyncio.create_task(CareWatch(self.services).run(self._stop)),  # issue 7
            asyncio.create_task(self._forget_old_updates()),
        ]
        log.info("Telegram bot running (%s)", "webhook" if options.webhook_url else "polling")

    async def stop(self) -> None:
        self._stop.set()
        if self.server is not None:
            await self.server.stop()
            self.server = None
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        await self.channel.scheduler.stop()  # the messages in hand are answered first
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def run_until_stopped(self) -> None:
        """For `motcua run`: until SIGINT/SIGTERM; SIGHUP reloads the catalogue."""
        await serve_until_signalled(self.services, self.start, self.stop)

    async def _forget_old_updates(self) -> None:
        """Update ids are remembered for two weeks: enough for any redelivery. Failed lookups
        are kept as long as a limit counts them."""

        async def forget() -> None:
            now, storage = self.services.clock.now(), self.services.storage
            await storage.conversations.forget_updates_before(now - dt.timedelta(days=14))
            limits = self.services.lookup.limits
            await storage.dossiers.forget_lookup_failures_before(now - limits.longest_window)

        await hourly(self._stop, forget)
