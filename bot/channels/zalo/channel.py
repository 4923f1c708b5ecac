"""The channel: signed webhook events stored in the inbox, answered from there by the one
dispatcher, replies sent as consultation messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot.app import Dispatcher
from bot.backoff import FaultBackoff
from bot.channels.zalo.api import Alert, TokensBroken, ZaloApi, ZaloApiError, ZaloFiles
from bot.channels.zalo.events import (
    UNSUPPORTED_EVENTS,
    EventKind,
    classify,
    event_image,
    event_key,
    event_message_id,
    event_user,
    is_fresh,
    parse_event,
    signed_timestamp,
)
from bot.channels.zalo.formatting import BUTTON_TOKEN, format_reply, message_body
from bot.channels.zalo.options import CHANNEL, ZaloOptions, ZaloRules
from bot.delivery import RetryLater
from core.chat_rate import Admission
from core.clock import Clock
from core.messages import (
    IncomingMessage,
    Reply,
    TextFormat,
)
from handlers.context import Services
from storage.base import ChatRef, InboxEvent, Stores, ZaloStore
from storage.faults import fault_of

log = logging.getLogger(__name__)

# How long handling an event may wait for webhook acknowledgements to be stored first: under a
# flood of webhooks the conversations still move on.
ACK_PRIORITY_MAX_WAIT = 0.05


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
        if not is_fresh(event, now, options.webhook_max_age):
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
        if isinstance(name, str) and name in UNSUPPORTED_EVENTS:
            return IncomingMessage(CHANNEL, user, user, unsupported=UNSUPPORTED_EVENTS[name])
        message = event.get("message")
        text = str(message.get("text", "")) if isinstance(message, dict) else ""
        pressed = await self._pressed(user, text.strip())
        if pressed is not None:
            data, label = pressed
            return IncomingMessage(CHANNEL, user, user, text=label, button=data)
        return IncomingMessage(CHANNEL, user, user, text=text)

    async def _pressed(self, user: str, text: str) -> tuple[str, str] | None:
        """A button's token coming back, or the number of a choice in the last list."""
        found = BUTTON_TOKEN.match(text)
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
