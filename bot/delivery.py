"""Delivering the outbox: claim due messages, render, send, record — one worker per process.

Delivery guarantees. Every notification is written to the outbox in the same transaction as the
change it reports, so nothing is lost. A worker marks a message `sending` before it sends and
`sent` (with the platform's message id) after; if the process dies in between, the message is
sent again after the restart. That is the only way to get a duplicate: no chat platform offers an
idempotency key for sending, so delivery is at-least-once for messages in flight and exactly once
for all others. Rows are claimed only as sends can start (see OutboxWorker), so the rows in flight
at a crash are few: for Telegram, the requests open at once (`Pacing.in_flight`).

Broadcasts follow the same rule: their recipients become rows when the officer confirms, with a
lower priority than dossiers' messages. Cancelling marks the pending rows `cancelled`; a row
already claimed is marked so when the worker renders it, so only a message already on the wire
can still go out. When a round handles a broadcast's last row, the officer's report is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from core.messages import Reply, TextFormat, split_reply
from core.outbox import OutboxKind, Withdrawn
from handlers.context import Services
from handlers.notices import render_outbox
from storage.base import ChatRef, OutboxItem
from storage.faults import fault_of

log = logging.getLogger(__name__)


class SendError(Exception):
    """A send that did not happen; the two subclasses say what to do next."""


class RetryLater(SendError):
    """Temporary: network trouble, rate limit (with the wait the platform asked for)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Undeliverable(SendError):
    """Permanent for this chat: the person blocked the bot, the chat no longer exists."""


class Sender(Protocol):
    """A channel's way out. Returns the platform's message id (None if it has none)."""

    text_format: TextFormat

    async def send(self, chat_id: str, reply: Reply) -> str | None: ...


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: dt.timedelta = dt.timedelta(seconds=5)
    max_delay: dt.timedelta = dt.timedelta(hours=1)
    max_attempts: int = 12

    def delay(self, attempts: int, retry_after: float | None) -> dt.timedelta:
        if retry_after is not None:
            return dt.timedelta(seconds=retry_after)
        return min(self.first_delay * 2 ** max(0, attempts - 1), self.max_delay)


class OutboxWorker:
    """Claims due messages and sends them: `batch` rows claimed (`sending`) at most at a time,
    `concurrency` sends running at once.

    One at a time (the default) suits channels whose sends must not overlap (Zalo's quota and
    routing). Telegram sends a few at once, so that a request's round trip does not eat into the
    pace; it then claims no more rows than it sends at once (`batch` = `concurrency`), so the
    rows `sending` when a process dies — the only ones that can be sent twice — are just those.
    Messages to one chat are never sent at the same time, and go out in the order claimed.
    """

    def __init__(
        self,
        services: Services,
        senders: Mapping[str, Sender],
        *,
        policy: RetryPolicy | None = None,
        batch: int = 50,
        concurrency: int = 1,
        only_chat: ChatRef | None = None,
    ) -> None:
        self.services = services
        self.senders = dict(senders)
        self.policy = policy or RetryPolicy()
        self.batch = max(batch, concurrency)
        self.concurrency = concurrency
        self.only_chat = only_chat  # the terminal chat delivers only its own messages

    async def recover(self) -> int:
        """At start-up: what a previous worker had in flight is due again."""
        recovered = await self.services.storage.outbox.recover_in_flight(list(self.senders))
        if recovered:
            log.warning("resending %d outbox message(s) left in flight", recovered)
        return recovered

    async def deliver_due(self) -> int:
        """Send everything due now; returns how many messages were handled.

        Rows are claimed again whenever fewer than `concurrency` are left to start (one at a time:
        when the claimed batch is done), until a claim comes back short: nothing more is due."""
        handled, drained = 0, False
        claimed: deque[OutboxItem] = deque()  # claimed, not started yet
        running: set[asyncio.Task[None]] = set()
        last_in_chat: dict[tuple[str, str], asyncio.Task[None]] = {}
        broadcasts: set[int] = set()
        try:
            while True:
                if not drained and len(claimed) + len(running) < self.concurrency:
                    room = self.batch - len(claimed) - len(running)
                    items = await self.services.storage.outbox.claim_due(
                        self.services.clock.now(), room, list(self.senders), self.only_chat
                    )
                    claimed.extend(items)
                    handled += len(items)
                    drained = len(items) < room
                while claimed and len(running) < self.concurrency:
                    item = claimed.popleft()
                    chat = (item.message.channel, item.message.chat_id)
                    task = asyncio.create_task(self._deliver_after(last_in_chat.get(chat), item))
                    running.add(task)
                    last_in_chat[chat] = task
                    if item.message.kind is OutboxKind.BROADCAST:
                        broadcasts.add(int(item.message.payload["broadcast_id"]))
                if not running:
                    break
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                running -= done
                for task in done:
                    task.result()  # only a crash gets here (_deliver handles every error)
                last_in_chat = {c: t for c, t in last_in_chat.items() if not t.done()}
        finally:
            for task in running:  # stopped or crashed: the rows stay `sending`, resent later
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        if broadcasts:  # a broadcast whose last message was just handled: its report (once)
            await self.services.storage.broadcasts.finish_broadcasts(
                sorted(broadcasts), self.services.clock.now()
            )
        return handled

    async def _deliver_after(self, previous: asyncio.Task[None] | None, item: OutboxItem) -> None:
        if previous is not None:  # the chat's message claimed before this one goes first
            await asyncio.wait([previous])
        await self._deliver(item)

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        recovered = False
        fault = None
        while not stop.is_set():
            try:
                if not recovered:  # after a crash, resend what was in flight (once, first)
                    await self.recover()
                    recovered = True
                await self.deliver_due()
                if fault is not None:
                    log.info("outbox delivery resumed after the database %s", fault)
                fault = None
            except Exception as error:
                # A fault of the database (full, locked…) is logged once, not every second.
                now_fault = fault_of(error)
                if now_fault is None:
                    log.exception("outbox delivery round failed")
                elif now_fault != fault:
                    log.error("outbox delivery paused: database %s (%s)", now_fault, error)
                fault = now_fault
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def _deliver(self, item: OutboxItem) -> None:
        storage, now = self.services.storage, self.services.clock.now()
        message = item.message
        sender = self.senders[message.channel]
        reply = await render_or_settle(self.services, item, sender.text_format)
        if reply is None:
            return
        try:
            message_id = None
            for part in split_reply(reply):
                sent_id = await sender.send(message.chat_id, part)
                message_id = message_id or sent_id
        except Undeliverable as exc:
            log.info("chat %s/%s unreachable: %s", message.channel, message.chat_id, exc)
            await storage.outbox.mark_failed(item.id, f"undeliverable: {exc}", now)
            await storage.chats.deactivate_chat(ChatRef(message.channel, message.chat_id))
        except Exception as exc:  # RetryLater and anything unexpected: try again later
            if not isinstance(exc, RetryLater):
                log.exception("sending outbox message %s failed", message.dedupe_key)
            retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
            if item.attempts >= self.policy.max_attempts:
                await storage.outbox.mark_failed(
                    item.id, f"gave up after {item.attempts}: {exc}", now
                )
            else:
                delay = self.policy.delay(item.attempts, retry_after)
                await storage.outbox.mark_retry(
                    item.id, str(exc) or type(exc).__name__, now + delay
                )
        else:
            await storage.outbox.mark_sent(item.id, message_id, now)


async def render_or_settle(services: Services, item: OutboxItem, fmt: TextFormat) -> Reply | None:
    """The message's text, or None when it is settled without sending: rendering failed, its
    data was removed (failed), or it was withdrawn (cancelled, e.g. a broadcast stopped)."""
    storage, now = services.storage, services.clock.now()
    try:
        reply = await render_outbox(services, item, fmt)
    except Exception:
        log.exception("cannot render outbox message %s", item.message.dedupe_key)
        await storage.outbox.mark_failed(item.id, "render failed", now)
        return None
    if reply is None:
        await storage.outbox.mark_failed(item.id, "nothing to say (data removed)", now)
        return None
    if isinstance(reply, Withdrawn):
        await storage.outbox.mark_cancelled(item.id, now)
        return None
    return reply
