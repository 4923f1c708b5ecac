"""Worker processes (issue 18, PostgreSQL): any number of them answer what the receiving
process (`bot.front`) stored in the inbox.

- `InboxWorker` leases chats with a message waiting (`storage.workers.claim_chats`), handles
  each chat's messages one at a time in arrival order, releases the chat when none is left,
  and renews its leases while it lives; a killed worker's chats are taken over once its leases
  expire (`MOTCUA_WORKER_LEASE_SECONDS`). Conversation state is read from the database for
  every message (`bot.app.Dispatcher.handle`), so a chat may move between workers.
- `LeasedSender`: one process sends a channel's outbox at a time (the lease `sender/<channel>`),
  so the platform's rate (Telegram: 30 a second) holds however many workers run; whoever
  takes the lease over first makes due again what the previous holder had in flight.
- The daily watches run in one process (`storage.jobs.exclusively`: an advisory lock); a new
  catalogue reaches every worker (`LISTEN/NOTIFY` on "catalogue").
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import metrics
from bot.app import reload_knowledge
from bot.backoff import FaultBackoff
from bot.care_jobs import DailyWatches
from bot.delivery import OutboxWorker
from bot.lifecycle import hourly, serve_until_signalled
from handlers.context import Services
from storage.base import ChatRef, InboxEvent

log = logging.getLogger(__name__)

INBOX_TOPIC = "inbox"  # a new message is waiting
CATALOGUE_TOPIC = "catalogue"  # a new catalogue was installed: reload it

ChatHandler = Callable[[InboxEvent], Awaitable[None]]


def worker_name() -> str:
    """Unique among the processes sharing the database: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkerOptions:
    name: str
    lease: dt.timedelta = dt.timedelta(seconds=30)
    chats_at_once: int = 16  # chats handled at once by this process
    poll_interval: float = 1.0  # without a notice, the inbox is looked at this often
    batch: int = 20  # a chat's messages read at a time


class InboxWorker:
    """Leases chats and answers their messages, one at a time per chat (see the module)."""

    def __init__(
        self, services: Services, handlers: Mapping[str, ChatHandler], options: WorkerOptions
    ) -> None:
        self.services = services
        self.handlers = dict(handlers)
        self.options = options
        self.wake = asyncio.Event()
        self.handled = 0
        self._active: dict[tuple[str, str], asyncio.Task[None]] = {}

    @property
    def storage(self) -> Any:
        return self.services.storage.workers

    def _until(self) -> tuple[dt.datetime, dt.datetime]:
        now = self.services.clock.now()
        return now, now + self.options.lease

    async def run(self, stop: asyncio.Event) -> None:
        await self.storage.listen(INBOX_TOPIC, lambda _payload: self.wake.set())
        heartbeat = asyncio.create_task(self._renew_until(stop))
        # A fault of the database pauses the claims: one log line, longer polls (bot.backoff).
        backoff = FaultBackoff("inbox claims", self.options.poll_interval)
        try:
            while not stop.is_set():
                self.wake.clear()
                try:
                    await self.claim()
                    wait = backoff.succeeded()
                except Exception as error:
                    wait = backoff.failed(error)
                await self._wait(stop, wait)
        finally:
            heartbeat.cancel()
            tasks = list(self._active.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(heartbeat, *tasks, return_exceptions=True)
            with contextlib.suppress(Exception):  # hand the chats back now, not at expiry
                await self.storage.drop_leases(self.options.name)

    async def _wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Until a notice of new work, a chat finished (room for another), or the poll."""
        waits = [asyncio.create_task(self.wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()

    async def claim(self) -> int:
        """Lease as many chats as there is room for, and start on each; how many."""
        started = 0
        for channel in self.handlers:
            room = self.options.chats_at_once - len(self._active)
            if room <= 0:
                break
            now, until = self._until()
            chats = await self.storage.claim_chats(channel, self.options.name, now, until, room)
            for chat in chats:
                key = (channel, chat)
                task = asyncio.create_task(self._serve_chat(channel, chat))
                self._active[key] = task
                task.add_done_callback(functools.partial(self._finished, key))
                started += 1
        return started

    def _finished(self, key: tuple[str, str], _task: asyncio.Task[None]) -> None:
        self._active.pop(key, None)
        self.wake.set()  # room for another chat

    async def _serve_chat(self, channel: str, chat: str) -> None:
        handler = self.handlers[channel]
        try:
            while True:
                events = await self.storage.chat_events(channel, chat, self.options.batch)
                for event in events:
                    await self._handle(channel, handler, event)
                # Released only if nothing came meanwhile (else: the next round).
                if await self.storage.release_chat(channel, chat, self.options.name):
                    return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database: the lease expires, the chat is retried
            log.error("chat %s/%s left for later: %s", channel, chat, error)

    async def _handle(self, channel: str, handler: ChatHandler, event: InboxEvent) -> None:
        start = time.perf_counter()
        await handler(event)
        self.handled += 1
        # From its arrival (stored by the receiving process) to its replies sent.
        if event.received_at is not None:
            seconds = (self.services.clock.now() - event.received_at).total_seconds()
        else:
            seconds = time.perf_counter() - start
        metrics.message_handled(channel, max(seconds, 0.0))

    async def _renew_until(self, stop: asyncio.Event) -> None:
        every = self.options.lease.total_seconds() / 3
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            if stop.is_set():
                return
            try:
                await self.storage.renew_leases(self.options.name, self._until()[1])
            except Exception as error:
                log.error("leases not renewed: %s", error)


class LeasedSender:
    """Delivers one channel's outbox while this process holds the channel's sender lease."""

    RATE_WINDOW = 1.0  # seconds: the platforms count their limits per second

    def __init__(
        self,
        services: Services,
        channel: str,
        worker: OutboxWorker,
        name: str,
        lease: dt.timedelta,
        interval: float = 1.0,
    ) -> None:
        self.services = services
        self.channel = channel
        self.worker = worker
        self.name = name
        self.lease = lease
        self.interval = interval
        self.holding = False

    async def hold(self) -> bool:
        now = self.services.clock.now()
        mine: bool = await self.services.storage.workers.take_lease(
            f"sender/{self.channel}", self.name, now, now + self.lease
        )
        if mine and not self.holding:
            log.info("sending the %s outbox from %s", self.channel, self.name)
            # A previous holder may have sent until a moment ago: a second's pause keeps the
            # platform's per-second limit across the handover.
            await asyncio.sleep(self.RATE_WINDOW)
            await self.worker.recover()  # what the previous holder had in flight is due again
        self.holding = mine
        return mine

    async def run(self, stop: asyncio.Event) -> None:
        renew = self.lease.total_seconds() / 3
        # A fault of the database: one log line, longer waits while it lasts (bot.backoff).
        backoff = FaultBackoff(f"{self.channel} outbox", self.interval)
        while not stop.is_set():
            try:
                if await self.hold():
                    delivery = asyncio.create_task(self.worker.deliver_due())
                    while not delivery.done():  # a long broadcast: the lease renewed meanwhile
                        await asyncio.wait([delivery], timeout=renew)
                        if not delivery.done() and not await self.hold():
                            delivery.cancel()  # another process sends now
                    with contextlib.suppress(asyncio.CancelledError):
                        delivery.result()
                wait = backoff.succeeded()
            except Exception as error:
                wait = backoff.failed(error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)


async def listen_for_catalogue(services: Services) -> None:
    """Reload the catalogue whenever another process installed a new one."""
    reloads: set[asyncio.Task[None]] = set()

    def heard(_payload: str) -> None:
        task = asyncio.create_task(reload_knowledge(services))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    await services.storage.workers.listen(CATALOGUE_TOPIC, heard)


async def forget_old(services: Services, stop: asyncio.Event) -> None:
    """The hourly clean-ups of the inbox and of old update ids and failed lookups (in one
    process at a time)."""

    async def forget() -> None:
        storage, now = services.storage, services.clock.now()
        async with storage.jobs.exclusively("forget") as mine:
            if not mine:
                return
            await storage.workers.forget_handled_before(now - dt.timedelta(days=14))
            await storage.conversations.forget_updates_before(now - dt.timedelta(days=14))
            await storage.zalo.forget_inbox_before(now - dt.timedelta(days=14))
            await storage.links.forget_follow_codes_before(now)
            limits = services.lookup.limits
            await storage.dossiers.forget_lookup_failures_before(now - limits.longest_window)

    await hourly(stop, forget)


# -- the worker process (`motcua worker`) -------------------------------------------------------


class WorkerProcess:
    """What one worker process runs for the channels asked: the inbox, the senders, the watches."""

    def __init__(self, services: Services, options: WorkerOptions) -> None:
        self.services = services
        self.options = options
        self.handlers: dict[str, ChatHandler] = {}
        self.senders: list[LeasedSender] = []
        self.officer_chats: list[ChatRef] = []
        self.watch_at = dt.time(7, 30)
        self.closers: list[Callable[[], Awaitable[object]]] = []
        self.inbox: InboxWorker | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def add_telegram(self, telegram: Any) -> None:
        """`telegram`: bot.telegram_runner.TelegramOptions."""
        from telegram import Update

        from bot.app import Dispatcher
        from bot.channels.telegram import CHANNEL, TelegramChannel, TelegramSender
        from bot.channels.telegram import build_application as build

        application = build(telegram.token, telegram.base_url, telegram.base_file_url)
        await application.initialize()
        self.closers.append(application.shutdown)
        channel = TelegramChannel(
            application,
            Dispatcher(self.services),
            officer_ids=telegram.officer_ids,
            allow_groups=telegram.allow_groups,
        )
        workers = self.services.storage.workers

        async def handle(event: InboxEvent) -> None:
            update = Update.de_json(json.loads(event.payload), application.bot)
            await channel.handle_stored(update)  # its own failures become an apology
            await workers.finish_update(CHANNEL, event.event_key, self.services.clock.now())

        self.handlers[CHANNEL] = handle
        pacing = telegram.pacing
        outbox = OutboxWorker(
            self.services,
            {CHANNEL: metrics.CountingSender(CHANNEL, TelegramSender(application.bot, pacing))},
            policy=telegram.retry,
            batch=pacing.in_flight,
            concurrency=pacing.in_flight,
        )
        self.senders.append(
            LeasedSender(
                self.services,
                CHANNEL,
                outbox,
                self.options.name,
                self.options.lease,
                telegram.outbox_interval,
            )
        )
        self.officer_chats += [ChatRef(CHANNEL, o) for o in telegram.officer_ids]
        self.watch_at = telegram.watch_at

    async def add_zalo(self, zalo: Any) -> None:
        """`zalo`: bot.channels.zalo.ZaloOptions."""
        from bot.channels.zalo import CHANNEL
        from bot.webhook_server import ZaloBot

        bot = ZaloBot(self.services, zalo, serve=False, watches=False)
        await bot.keeper.load()
        self.closers.append(bot.http.aclose)
        self.handlers[CHANNEL] = bot.channel.handle_stored  # marks the event done itself
        self.senders.append(
            LeasedSender(
                self.services,
                CHANNEL,
                bot.worker,
                self.options.name,
                self.options.lease,
                zalo.outbox_interval,
            )
        )
        self.officer_chats += bot.officer_chats()
        self.watch_at = zalo.watch_at

    async def start(self) -> None:
        self._stop.clear()
        await listen_for_catalogue(self.services)
        watches = DailyWatches(self.services, self.officer_chats, self.watch_at)
        self.inbox = InboxWorker(self.services, self.handlers, self.options)
        self._tasks = [
            asyncio.create_task(self.inbox.run(self._stop)),
            *(asyncio.create_task(sender.run(self._stop)) for sender in self.senders),
            asyncio.create_task(watches.run(self._stop)),
            asyncio.create_task(forget_old(self.services, self._stop)),
        ]
        log.info("worker %s running (%s)", self.options.name, ", ".join(self.handlers))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for close in reversed(self.closers):
            with contextlib.suppress(Exception):
                await close()


def channels_of(choice: str) -> Sequence[str]:
    return {"telegram": ("telegram",), "zalo": ("zalo",), "all": ("telegram", "zalo")}[choice]


def channel_options(args: Any, settings: Any, **zalo_overrides: Any) -> tuple[Any, Any] | None:
    """The Telegram and Zalo options `--channel` asks for (None where not asked), or None
    after printing what is missing from the settings."""
    telegram, zalo = None, None
    if "telegram" in channels_of(args.channel):
        from bot.telegram_runner import telegram_options

        telegram = telegram_options(args, settings)
        if isinstance(telegram, str):
            print(telegram, file=sys.stderr)
            return None
    if "zalo" in channels_of(args.channel):
        from bot.channels.zalo import options_from_settings

        zalo = options_from_settings(settings, **zalo_overrides)
        if isinstance(zalo, str):
            print(zalo, file=sys.stderr)
            return None
    return telegram, zalo


async def _run_worker(args: Any, settings: Any) -> int:
    from bot.app import running_services

    chosen = channel_options(args, settings)
    if chosen is None:
        return 2
    telegram, zalo = chosen
    options = WorkerOptions(
        name=worker_name(),
        lease=dt.timedelta(seconds=settings.worker_lease_seconds),
        chats_at_once=settings.worker_chats,
    )
    async with running_services(settings) as services:
        process = WorkerProcess(services, options)
        if telegram is not None:
            await process.add_telegram(telegram)
        if zalo is not None:
            await process.add_zalo(zalo)
        await serve_until_signalled(services, process.start, process.stop)
    return 0


NEEDS_POSTGRES = (
    "Chạy nhiều tiến trình cần PostgreSQL: đặt MOTCUA_DATABASE_URL=postgresql://… (xem "
    "docs/postgresql.md). Với SQLite, chạy một tiến trình: motcua run --channel …"
)


def run_worker_from_cli(args: Any, settings: Any) -> int:
    """`motcua worker --channel telegram|zalo|all`."""
    if not settings.database_url:
        print(NEEDS_POSTGRES, file=sys.stderr)
        return 2
    return asyncio.run(_run_worker(args, settings))
