"""The bot's web server (`motcua run --channel zalo|all`): one ASGI app (Starlette on uvicorn)
serving Zalo's webhook, Telegram's webhook (`--channel all`) and the dossiers' status page,
with the Zalo channel's inbox processor, its outbox worker and an explicit lifecycle.

The webhook (`bot.webhooks`: size refused before reading, signature before parsing) answers as
soon as the event is in the database (Zalo wants a 200 within about
2 s and retries otherwise); everything else happens from that durable inbox, so a restart
loses nothing and a redelivered event is handled once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot import health, log_redaction
from bot.app import Dispatcher
from bot.care_jobs import DailyWatches
from bot.channels.zalo import (
    CHANNEL,
    SIGNATURE_HEADER,
    TokenKeeper,
    ZaloApi,
    ZaloChannel,
    ZaloDelivery,
    ZaloOptions,
    ZaloSender,
    format_reply,
    message_body,
)
from bot.delivery import OutboxWorker
from bot.lifecycle import hourly, serve_until_signalled
from bot.status_page import StatusPage
from bot.webhooks import WebhookServer, build_app, read_body, telegram_route, too_large
from core.messages import Reply
from handlers.context import Services
from storage.base import ChatRef
from storage.faults import fault_of

log = logging.getLogger(__name__)


def zalo_routes(channel: ZaloChannel, path: str) -> list[BaseRoute]:
    async def webhook(request: Request) -> Response:
        body = await read_body(request, channel.options.max_body)  # refused before reading
        if body is None:
            return too_large()
        try:
            status = await channel.accept(body, request.headers.get(SIGNATURE_HEADER))
        except Exception as error:
            fault = fault_of(error)
            if fault is None:
                raise
            # Not stored: Zalo sends the event again later (issue 15: a full or locked
            # database answers 503, never a traceback, and loses nothing).
            log.error("Zalo event not stored: database %s (%s)", fault, error)
            return JSONResponse({"error": 503, "message": "try again"}, status_code=503)
        if status == 200:
            return JSONResponse({"error": 0, "message": "ok"})
        return JSONResponse({"error": status, "message": "refused"}, status_code=status)

    async def alive(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return [Route(path, webhook, methods=["POST"]), Route(path, alive, methods=["GET"])]


class ZaloBot:
    """The Zalo channel with its workers: `start()`/`stop()` or `run_until_stopped()`."""

    def __init__(
        self,
        services: Services,
        options: ZaloOptions,
        *,
        extra_routes: Sequence[BaseRoute] = (),
        extra_alerts: Sequence[Callable[[str], Awaitable[None]]] = (),
        serve: bool = True,
        watches: bool = True,
    ) -> None:
        """`watches`: run the daily watches (officers' apology list, citizen care) here; False
        when another channel of the same process runs them (`--channel all`)."""
        self.services = services
        self.options = options
        log_redaction.protect(
            options.app_secret, options.oa_secret_key, options.access_token, options.refresh_token
        )
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0), limits=httpx.Limits(max_connections=64)
        )
        self.extra_alerts = list(extra_alerts)
        self.keeper = TokenKeeper(services, self.http, options, self.alert)
        self.api = ZaloApi(self.http, options, self.keeper)
        self.channel = ZaloChannel(Dispatcher(services), self.api, options, self.alert)
        self.delivery = ZaloDelivery(
            services,
            ZaloSender(self.api, services, options.rules),
            self.keeper,
            self.alert,
            policy=options.retry,
        )
        self.worker = OutboxWorker(
            services, deliveries={CHANNEL: self.delivery}, policy=options.retry
        )
        self.app = build_app([*zalo_routes(self.channel, options.webhook_path), *extra_routes])
        self.watches = (
            DailyWatches(services, self.officer_chats(), options.watch_at) if watches else None
        )
        self.serve = serve
        self.server: WebhookServer | None = None
        self.alerts: list[str] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def port(self) -> int:
        assert self.server is not None and self.server.servers
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    def officer_chats(self) -> list[ChatRef]:
        return [ChatRef(CHANNEL, officer) for officer in self.options.officer_ids]

    async def alert(self, text: str) -> None:
        """Tell the officers (on Zalo if tokens work, and through any other channel running);
        always logged."""
        log.error("officer alert: %s", text)
        self.alerts.append(text)
        for officer in self.options.officer_ids:
            if self.keeper.broken:
                break
            try:
                formatted = format_reply(Reply(text=text), self.options.rules)
                for message in formatted.messages:
                    await self.api.send_message("cs", message_body(officer, message))
            except Exception as error:
                log.error("alert to Zalo officer %s failed: %s", officer, error)
        for extra in self.extra_alerts:
            try:
                await extra(text)
            except Exception:
                log.exception("officer alert through another channel failed")

    async def start(self) -> None:
        await self.keeper.load()
        self._stop.clear()
        await self.worker.recover()
        if self.serve:
            self.server = WebhookServer(self.app, self.options.listen, self.options.port)
            await self.server.start()
        self._tasks += [
            asyncio.create_task(self.channel.run(self._stop)),
            asyncio.create_task(self.worker.run(self._stop, self.options.outbox_interval)),
            asyncio.create_task(self._forget_old_events()),
        ]
        if self.watches is not None:
            self._tasks.append(asyncio.create_task(self.watches.run(self._stop)))
        log.info("Zalo OA channel running (webhook %s)", self.options.webhook_path)

    async def stop(self) -> None:
        self._stop.set()
        if self.server is not None:
            await self.server.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.http.aclose()

    async def run_until_stopped(self) -> None:
        """For `motcua run --channel zalo`: until SIGINT/SIGTERM; SIGHUP reloads the catalogue."""
        await serve_until_signalled(self.services, self.start, self.stop)

    async def _forget_old_events(self) -> None:
        """Handled events are kept two weeks: longer than Zalo retries (about 12 h). Failed
        lookups are kept as long as a limit counts them."""

        async def forget() -> None:
            now, storage = self.services.clock.now(), self.services.storage
            # Longer than any replay the age check lets through (a pruned event id would
            # make the same signed bytes new again): at least twice the allowed age.
            keep = max(dt.timedelta(days=14), 2 * self.options.webhook_max_age)
            await storage.zalo.forget_inbox_before(now - keep)
            await storage.links.forget_follow_codes_before(now)  # the status page's
            limits = self.services.lookup.limits
            await storage.dossiers.forget_lookup_failures_before(now - limits.longest_window)

        await hourly(self._stop, forget)


# -- every channel in one process (`--channel all`) -------------------------------------------


class Channels:
    """What `motcua run --channel zalo|all` runs in one process: the Zalo bot and, with `all`,
    the Telegram bot (its webhook a route of the same server, or long polling beside it).

    The daily watches run once per process: with `all` the Telegram side runs them (its
    runner always does), its apology watch also telling the officers whose ids are Zalo's, and
    the Zalo bot runs none; with `zalo` the Zalo bot runs them."""

    def __init__(self, zalo: ZaloBot, telegram: Any = None, telegram_url: str | None = None):
        self.zalo = zalo
        self.telegram = telegram
        self.telegram_url = telegram_url

    @classmethod
    def build(
        cls, args: Any, settings: Any, services: Services, zalo_options: ZaloOptions
    ) -> Channels | str:
        """The channels, or what is missing (Vietnamese, for the console)."""
        # The status page the receipt's QR opens (issue 20) is served beside the webhooks.
        page = StatusPage(
            services, settings.templates_dir, per_minute=settings.status_page_per_minute
        )
        routes: list[BaseRoute] = [*page.routes(), *health.routes(services)]  # issue 18
        if args.channel != "all":
            return cls(ZaloBot(services, zalo_options, extra_routes=routes))
        from urllib.parse import urlsplit

        from bot.telegram_runner import TelegramBot, telegram_options  # only with Telegram

        options = telegram_options(args, settings)
        if isinstance(options, str):
            return options
        # Our one server takes Telegram's webhook too: the Telegram bot serves none itself.
        telegram = TelegramBot(services, options, serve_webhook=False)
        telegram.watch.officer_chats = [
            *(ChatRef("telegram", o) for o in options.officer_ids),
            *(ChatRef(CHANNEL, o) for o in zalo_options.officer_ids),
        ]
        if options.webhook_url:
            path = urlsplit(options.webhook_url).path or "/telegram"
            routes.append(
                telegram_route(telegram.application, path, options.secret_token, options.max_body)
            )
        zalo = ZaloBot(services, zalo_options, extra_routes=routes, watches=False)
        return cls(zalo, telegram, options.webhook_url)

    async def start_telegram(self) -> None:
        """The webhook (served by the Zalo bot's server) or long polling beside it."""
        if self.telegram is not None:
            await self.telegram.start()

    async def stop_telegram(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()


async def _run_channels(args: Any, settings: Any, zalo_options: ZaloOptions) -> int:
    from bot.app import running_services
    from bot.knowledge_files import write_pid_file

    async with running_services(settings) as services:
        # The catalogue and its index are loaded for good: keep them out of the collector's
        # full passes, which otherwise show as pauses in the webhook's acknowledgement times.
        gc.freeze()
        channels = Channels.build(args, settings, services, zalo_options)
        if isinstance(channels, str):
            print(channels, file=sys.stderr)
            return 2
        pid_file = write_pid_file(settings)
        try:
            await channels.start_telegram()
            await channels.zalo.run_until_stopped()
        finally:
            await channels.stop_telegram()
            pid_file.unlink(missing_ok=True)
    return 0


def run_from_cli(args: Any, settings: Any) -> int:
    """`motcua run --channel zalo|all`."""
    from bot.channels.zalo import options_from_settings

    overrides: dict[str, Any] = {}
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "listen", None):
        overrides["listen"] = args.listen
    options = options_from_settings(settings, **overrides)
    if isinstance(options, str):
        print(options, file=sys.stderr)
        return 2
    return asyncio.run(_run_channels(args, settings, options))


__all__ = [
    "CHANNEL",
    "Channels",
    "ZaloBot",
    "run_from_cli",
    "zalo_routes",
]
