"""Delivering the outbox: claim due messages, render, send, record — one worker per process.

Delivery guarantees. Every notification is written to the outbox in the same transaction as the
change it reports, so nothing is lost. A worker marks a message `sending` before it sends and
`sent` (with the platform's message id) after; if the process dies in between, the message is
sent again after the restart. That is the only way to get a duplicate: no chat platform offers an
idempotency key for sending, so delivery is at-least-once for messages in flight and exactly once
for all others. Rows are claimed only as sends can start (see OutboxWorker), so the rows in flight
at a crash are few: for Telegram, the requests open at once (`Pacing.in_flight`).

How a claimed row reaches its chat is the channel's: most channels only need a `Sender` (send
one message, get its id), and the worker's `SenderDelivery` renders, sends and settles. A channel
with its own rules gives a `Delivery` instead (Zalo: consultation messages in the free window,
then transaction messages, then ZNS — bot/channels/zalo/delivery.py). The worker claims, orders
and hands each row to its channel's delivery, the one extension point, and records what was sent.

Broadcasts follow the same rule: their recipients become rows when the officer confirms, with a
lower priority than dossiers' messages. Cancelling marks the pending rows `cancelled`; a row
already claimed is marked so when the worker renders it, so only a message already on the wire
can still go out. When a round handles a broadcast's last row, the officer's report is queued.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.backoff import run_rounds
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
class Sent:
    """A row's message went out: the worker records it (OutboxWorker.record_sent)."""

    message_id: str | None
    at: dt.datetime


class Delivery(Protocol):
    """How one claimed outbox row reaches its channel. `deliver` returns `Sent` when the
    message went out (the worker records it, so that a sent message whose record fails is not
    sent again); otherwise it settles the row itself (retried later, held, failed, cancelled)
    and returns None. A fault of the database it meets is raised (the worker's round stops)."""

    @property
    def paused(self) -> bool:
        """Sending stopped for now (e.g. Zalo's tokens cannot be renewed): none of the
        channel's rows is claimed, none is lost."""
        ...

    async def deliver(self, item: OutboxItem) -> Sent | None: ...


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
    """Claims due messages and hands each to its channel's `Delivery` (a `Sender`'s is
    `SenderDelivery`): `batch` rows claimed (`sending`) at most at a time, `concurrency` sends
    running at once.

    One at a time (the default) suits channels whose sends must not overlap (Zalo's quota and
    routing). Telegram sends a few at once, so that a request's round trip does not eat into the
    pace; it then claims no more rows than it sends at once (`batch` = `concurrency`), so the
    rows `sending` when a process dies — the only ones that can be sent twice — are just those.
    Messages to one chat are never sent at the same time, and go out in the order claimed.
    """

    def __init__(
        self,
        services: Services,
        senders: Mapping[str, Sender] | None = None,
        *,
        deliveries: Mapping[str, Delivery] | None = None,
        policy: RetryPolicy | None = None,
        batch: int = 50,
        concurrency: int = 1,
        only_chat: ChatRef | None = None,
    ) -> None:
        self.services = services
        self.policy = policy or RetryPolicy()
        self.deliveries: dict[str, Delivery] = {
            channel: SenderDelivery(services, sender, self.policy)
            for channel, sender in (senders or {}).items()
        }
        self.deliveries.update(deliveries or {})
        self.batch = max(batch, concurrency)
        self.concurrency = concurrency
        self.only_chat = only_chat  # the terminal chat delivers only its own messages
        # Left by a round that failed on the database (see deliver_due): rows to make due
        # again, sends to record, broadcasts to finish.
        self._left_over: list[int] = []
        self._unrecorded: dict[int, tuple[str | None, dt.datetime]] = {}
        self._finishing: set[int] = set()

    @property
    def channels(self) -> list[str]:
        """The channels whose rows this worker claims now (a paused delivery's wait)."""
        return [channel for channel, delivery in self.deliveries.items() if not delivery.paused]

    async def recover(self) -> int:
        """At start-up: what a previous worker had in flight is due again."""
        recovered = await self.services.storage.outbox.recover_in_flight(list(self.deliveries))
        if recovered:
            log.warning("resending %d outbox message(s) left in flight", recovered)
        return recovered

    async def deliver_due(self) -> int:
        """Send everything due now; returns how many messages were handled.

        Rows are claimed again whenever fewer than `concurrency` are left to start (one at a time:
        when the claimed batch is done), until a claim comes back short: nothing more is due.

        A round that fails (a fault of the database: locked, full…) starts nothing more, lets
        the sends under way finish, and raises. What it leaves is settled first thing in the
        next good round: rows claimed but not sent are due again, sends whose record failed
        are recorded as sent (not sent twice), broadcasts it finished get their report."""
        await self._settle_left_over()
        channels = self.channels
        if not channels:
            return 0
        handled, drained = 0, False
        claimed: deque[OutboxItem] = deque()  # claimed, not started yet
        running: set[asyncio.Task[None]] = set()
        last_in_chat: dict[tuple[str, str], asyncio.Task[None]] = {}
        failure: BaseException | None = None
        try:
            while True:
                if (
                    failure is None
                    and not drained
                    and len(claimed) + len(running) < self.concurrency
                ):
                    room = self.batch - len(claimed) - len(running)
                    items = await self.services.storage.outbox.claim_due(
                        self.services.clock.now(), room, channels, self.only_chat
                    )
                    claimed.extend(items)
                    handled += len(items)
                    drained = len(items) < room
                while failure is None and claimed and len(running) < self.concurrency:
                    item = claimed.popleft()
                    chat = (item.message.channel, item.message.chat_id)
                    task = asyncio.create_task(self._deliver_after(last_in_chat.get(chat), item))
                    running.add(task)
                    last_in_chat[chat] = task
                    if item.message.kind is OutboxKind.BROADCAST:
                        self._finishing.add(int(item.message.payload["broadcast_id"]))
                if not running:
                    break
                failure = await _wait_for_some(running) or failure
                last_in_chat = {c: t for c, t in last_in_chat.items() if not t.done()}
        finally:
            for task in running:  # stopped: the rows stay `sending`, resent after a restart
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            self._left_over.extend(item.id for item in claimed)  # never started
        if failure is not None:
            # Raised with no reference left in this frame (its traceback holds the frame): no
            # cycle left for the collector (CPython 3.11 can then fail a later ast.parse).
            error, failure = failure, None
            try:
                raise error
            finally:
                del error
        if self._finishing:  # a broadcast whose last message was just handled: its report (once)
            await self.services.storage.broadcasts.finish_broadcasts(
                sorted(self._finishing), self.services.clock.now()
            )
            self._finishing.clear()
        return handled

    async def _deliver_after(self, previous: asyncio.Task[None] | None, item: OutboxItem) -> None:
        if previous is not None:  # the chat's message claimed before this one goes first
            await asyncio.wait([previous])
            if previous.cancelled() or previous.exception() is not None:
                self._left_over.append(item.id)  # not before the earlier one: both due again
                return
        try:
            await self.deliver(item)
        except Exception as error:
            # The database failed, not the message: due again (unless it went out: record_sent).
            # Any other crash leaves the row `sending` (sent again after a restart).
            if fault_of(error) is not None and item.id not in self._unrecorded:
                self._left_over.append(item.id)
            raise

    async def deliver(self, item: OutboxItem) -> None:
        """One claimed row, through its channel's delivery; what went out is recorded."""
        sent = await self.deliveries[item.message.channel].deliver(item)
        if sent is not None:
            await self.record_sent(item, sent.message_id, sent.at)

    async def record_sent(self, item: OutboxItem, message_id: str | None, now: dt.datetime) -> None:
        """The row is sent. If the database cannot take that now, the worker remembers it and
        records it in its next good round: a sent message is not sent again."""
        try:
            await self.services.storage.outbox.mark_sent(item.id, message_id, now)
        except Exception as error:
            if fault_of(error) is not None:
                self._unrecorded[item.id] = (message_id, now)
            raise

    async def _settle_left_over(self) -> None:
        """What a failed round left `sending` (see deliver_due)."""
        outbox = self.services.storage.outbox
        for item_id, (message_id, when) in list(self._unrecorded.items()):
            await outbox.mark_sent(item_id, message_id, when)
            del self._unrecorded[item_id]
        while self._left_over:
            item_id = self._left_over[0]
            await outbox.mark_retry(
                item_id, "not sent: the database failed", self.services.clock.now()
            )
            self._left_over.pop(0)

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Rounds until `stop`; a fault of the database pauses delivery, it does not end it
        (bot.backoff: one log line, longer waits while it lasts)."""
        recovered = False

        async def one_round() -> None:
            nonlocal recovered
            if not recovered:  # after a crash, resend what was in flight (once, first)
                await self.recover()
                recovered = True
            await self.deliver_due()

        await run_rounds(stop, "outbox delivery", interval, one_round)


class SenderDelivery:
    """The delivery of a channel that only needs a `Sender`: render, send each part."""

    paused = False

    def __init__(self, services: Services, sender: Sender, policy: RetryPolicy) -> None:
        self.services = services
        self.sender = sender
        self.policy = policy

    async def deliver(self, item: OutboxItem) -> Sent | None:
        storage, now = self.services.storage, self.services.clock.now()
        message = item.message
        reply = await render_or_settle(self.services, item, self.sender.text_format)
        if reply is None:
            return None
        try:
            message_id = None
            for part in split_reply(reply):
                sent_id = await self.sender.send(message.chat_id, part)
                message_id = message_id or sent_id
        except Undeliverable as exc:
            log.info("chat %s/%s unreachable: %s", message.channel, message.chat_id, exc)
            await storage.outbox.mark_failed(item.id, f"undeliverable: {exc}", now)
            await storage.chats.deactivate_chat(ChatRef(message.channel, message.chat_id))
        except Exception as exc:  # RetryLater and anything unexpected: try again later
            await retry_or_give_up(self.services, self.policy, item, exc, now)
        else:
            return Sent(message_id, now)
        return None


async def retry_or_give_up(
    services: Services, policy: RetryPolicy, item: OutboxItem, exc: Exception, now: dt.datetime
) -> None:
    """A send that failed for now (RetryLater, or anything unexpected: logged): due again after
    the policy's delay (or the wait the platform asked for) counted from `now`, when the
    delivery began; failed after its last attempt."""
    storage = services.storage
    if not isinstance(exc, RetryLater):
        log.exception("sending outbox message %s failed", item.message.dedupe_key)
    retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
    if item.attempts >= policy.max_attempts:
        await storage.outbox.mark_failed(item.id, f"gave up after {item.attempts}: {exc}", now)
    else:
        delay = policy.delay(item.attempts, retry_after)
        await storage.outbox.mark_retry(item.id, str(exc) or type(exc).__name__, now + delay)


async def _wait_for_some(running: set[asyncio.Task[None]]) -> BaseException | None:
    """Wait for one or more sends to end (removed from `running`); the error of one that
    failed: only a crash or a fault of the database gets here (deliveries settle the rest)."""
    done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    running -= done
    errors = [task.exception() for task in done]
    return next((error for error in errors if error is not None), None)


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
