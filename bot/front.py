"""The receiving process of `motcua run --workers N` (issue 18, PostgreSQL).

It answers the platforms at once and handles nothing itself: Telegram's updates (its webhook,
or the one long poller) go into the inbox table, Zalo's events into Zalo's inbox, each
acknowledged as soon as its row is committed (a redelivered id is a no-op); a notice wakes the
workers. It serves the status page, `/healthz` and `/metrics`, and starts N worker processes
(`motcua worker`, `bot.workers`), starting again any that dies. With `--workers 0` it starts
none: the workers are units of their own (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot import health
from bot.lifecycle import serve_until_signalled
from bot.webhooks import WebhookServer, build_app, telegram_body
from bot.workers import INBOX_TOPIC, NEEDS_POSTGRES, channel_options
from handlers.context import Services
from storage.faults import fault_of

log = logging.getLogger(__name__)


class Notifier:
    """Wakes the workers after new rows: one NOTIFY at a time, the pokes meanwhile folded into
    the next one (under load, one notice per round trip rather than one per update)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._again = False
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while self._again:
            self._again = False
            try:
                await self.services.storage.workers.notify(INBOX_TOPIC)
            except Exception as error:  # the workers look at the inbox every second anyway
                log.warning("inbox notice not sent: %s", error)


def update_chat(data: dict[str, Any]) -> str | None:
    """The chat an update belongs to (a message's, a pressed button's message's), from the raw
    JSON; None for updates without one (inline queries…), which are not for us."""
    for value in data.values():
        if not isinstance(value, dict):
            continue
        chat = value.get("chat")
        if chat is None and isinstance(value.get("message"), dict):
            chat = value["message"].get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return str(chat["id"])
    return None


async def store_update(services: Services, data: dict[str, Any], text: str) -> bool | None:
    """Into the inbox: True if new, False if delivered before, None if not for us."""
    chat = update_chat(data)
    update_id = data.get("update_id")
    if chat is None or not isinstance(update_id, int):
        return None
    return await services.storage.workers.add_update(
        "telegram", str(update_id), chat, text, services.clock.now()
    )


def telegram_inbox_route(
    services: Services, path: str, secret: str | None, max_body: int, notifier: Notifier
) -> BaseRoute:
    """Telegram's webhook in front of workers: size refused unread, secret checked, the update
    stored and acknowledged (a full or unreachable database answers 503: Telegram retries)."""

    async def webhook(request: Request) -> Response:
        body = await telegram_body(request, secret, max_body)
        if isinstance(body, Response):
            return body
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("an update is a JSON object")
        except ValueError:
            return Response(status_code=400)
        try:
            stored = await store_update(services, data, body.decode("utf-8", "replace"))
        except Exception as error:
            if fault_of(error) is None:
                raise
            log.error("Telegram update not stored: database %s (%s)", fault_of(error), error)
            return Response(status_code=503)
        if stored:
            notifier.poke()
        return Response(status_code=200)

    return Route(path, webhook, methods=["POST"])


class _PokingZalo:
    """Zalo's channel as its webhook route sees it, waking the workers after each new event."""

    def __init__(self, channel: Any, notifier: Notifier) -> None:
        self.channel = channel
        self.options = channel.options
        self.notifier = notifier

    async def accept(self, body: bytes, signature: str | None) -> int:
        status: int = await self.channel.accept(body, signature)
        if status == 200:
            self.notifier.poke()
        return status


class Supervisor:
    """N worker processes, each started again a second after it ends (unless stopping)."""

    RESTART_AFTER = 1.0

    def __init__(self, count: int, argv: Sequence[str], env: dict[str, str]) -> None:
        self.count = count
        self.argv = list(argv)
        self.env = env
        self.processes: list[asyncio.subprocess.Process | None] = [None] * count
        self.restarts = 0
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def alive(self) -> int:
        return sum(1 for p in self.processes if p is not None and p.returncode is None)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._keep(n)) for n in range(self.count)]

    async def _keep(self, n: int) -> None:
        while not self._stopping:
            process = await asyncio.create_subprocess_exec(*self.argv, env=self.env)
            self.processes[n] = process
            code = await process.wait()
            if self._stopping:
                return
            self.restarts += 1
            log.warning("worker %d (pid %d) ended with %s: started again", n, process.pid, code)
            await asyncio.sleep(self.RESTART_AFTER)

    async def stop(self, grace: float = 15.0) -> None:
        self._stopping = True
        running = [p for p in self.processes if p is not None and p.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in running)), grace)
        except TimeoutError:
            for process in running:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def metrics_dir(settings: Any) -> Path:
    """Where the workers' counters meet (prometheus_client's multiprocess mode)."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(configured) if configured else Path(settings.data_dir) / "metrics"


class Front:
    def __init__(
        self,
        services: Services,
        settings: Any,
        channel: str,
        workers: int,
        telegram: Any = None,
        zalo: Any = None,
    ) -> None:
        self.services = services
        self.settings = settings
        self.channel = channel
        self.telegram = telegram
        self.zalo = zalo
        self.notifier = Notifier(services)
        self.metrics_dir = metrics_dir(settings)
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir)}
        argv = [sys.executable, "-m", "bot", "worker", "--channel", channel]
        self.supervisor = Supervisor(workers, argv, env)
        self.server: WebhookServer | None = None
        self.application: Any = None
        self.zalo_bot: Any = None

    def routes(self) -> list[BaseRoute]:
        from bot.status_page import StatusPage

        page = StatusPage(
            self.services,
            self.settings.templates_dir,
            per_minute=self.settings.status_page_per_minute,
        )
        return [
            *page.routes(),
            *health.routes(self.services, self.metrics_dir, lambda: self.supervisor.alive),
        ]

    async def start(self) -> None:
        if self.supervisor.count:  # its own workers: an earlier run's counters are not theirs
            shutil.rmtree(self.metrics_dir, ignore_errors=True)
        self.metrics_dir.mkdir(parents=True, exist_ok=True)
        routes = self.routes()
        if self.zalo is not None:
            from bot.webhook_server import ZaloBot, zalo_routes

            self.zalo_bot = ZaloBot(self.services, self.zalo, serve=False, watches=False)
            poking = _PokingZalo(self.zalo_bot.channel, self.notifier)
            routes += zalo_routes(cast(Any, poking), self.zalo.webhook_path)
        if self.telegram is not None:
            routes += await self._start_telegram()
        listen, port = self._address()
        self.server = WebhookServer(build_app(routes), listen, port)
        await self.server.start()
        if self.telegram is not None and self.telegram.webhook_url is None:
            assert self.application is not None and self.application.updater is not None
            await self.application.updater.start_polling(timeout=10)
        await self.supervisor.start()
        log.info("receiving on port %d; %d worker(s)", self.server.port, self.supervisor.count)

    def _address(self) -> tuple[str, int]:
        if self.zalo is not None:
            return self.zalo.listen, self.zalo.port
        return self.telegram.listen, self.telegram.port

    async def _start_telegram(self) -> list[BaseRoute]:
        from telegram import Update
        from telegram.ext import ApplicationHandlerStop, TypeHandler

        from bot.app import Dispatcher
        from bot.channels.telegram import TelegramChannel, build_application

        options = self.telegram
        # One update at a time: the long poller stores each chat's updates in the order Telegram
        # gave them (the inbox's order is the order workers answer in); storing is one insert.
        self.application = build_application(
            options.token, options.base_url, options.base_file_url, concurrent_updates=1
        )
        await self.application.initialize()
        channel = TelegramChannel(  # for the command menus only: workers answer
            self.application, Dispatcher(self.services), officer_ids=options.officer_ids
        )
        await channel.set_commands()
        if options.webhook_url:
            path = urlsplit(options.webhook_url).path or "/telegram"
            await self.application.bot.set_webhook(
                options.webhook_url,
                secret_token=options.secret_token,
                allowed_updates=Update.ALL_TYPES,
            )
            return [
                telegram_inbox_route(
                    self.services, path, options.secret_token, options.max_body, self.notifier
                )
            ]

        async def store(update: Update, _context: Any) -> None:  # the one long poller
            data = update.to_dict()
            if await store_update(self.services, data, json.dumps(data, ensure_ascii=False)):
                self.notifier.poke()
            raise ApplicationHandlerStop  # the channel's own handler does not run here

        self.application.add_handler(TypeHandler(Update, store), group=-1)
        await self.application.start()
        return []

    async def stop(self) -> None:
        await self.supervisor.stop()
        if self.server is not None:
            await self.server.stop()
        if self.application is not None:
            updater = self.application.updater
            if updater is not None and updater.running:
                await updater.stop()
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
        if self.zalo_bot is not None:
            await self.zalo_bot.http.aclose()


async def _run_front(args: Any, settings: Any) -> int:
    from bot.app import running_services
    from bot.knowledge_files import write_pid_file

    overrides = {k: v for k in ("port", "listen") if (v := getattr(args, k, None))}
    chosen = channel_options(args, settings, **overrides)
    if chosen is None:
        return 2
    telegram, zalo = chosen
    async with running_services(settings) as services:
        front = Front(services, settings, args.channel, args.workers, telegram, zalo)
        pid_file = write_pid_file(settings)
        try:
            await serve_until_signalled(services, front.start, front.stop)
        finally:
            pid_file.unlink(missing_ok=True)
    return 0


def run_front_from_cli(args: Any, settings: Any) -> int:
    """`motcua run --channel telegram|zalo|all --workers N`."""
    if not settings.database_url:
        print(NEEDS_POSTGRES, file=sys.stderr)
        return 2
    if args.channel == "console":
        print("--workers dùng với --channel telegram, zalo hoặc all.", file=sys.stderr)
        return 2
    return asyncio.run(_run_front(args, settings))
