"""Telegram, through python-telegram-bot 22: updates in, replies and notifications out.

The adapter only translates. A Telegram `Update` becomes a neutral `IncomingMessage`; the one
dispatcher answers; the `Reply` objects become Telegram messages (HTML parse mode, inline
keyboards, documents). Nothing below `handlers/` knows Telegram exists.

Durable state is ours, not python-telegram-bot's (its persistence flushes every 60 s and its job
queue lives in memory): handled update ids, conversation state, the outbox and the daily jobs
are in our database.
"""

from __future__ import annotations

import os

# Opt in to python-telegram-bot's coming behaviour (durations as timedelta) instead of a
# deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import asyncio
import contextlib
import io
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot import metrics
from bot.app import Dispatcher
from bot.delivery import RetryLater, Undeliverable
from bot.fairness import FairScheduler
from core.chat_rate import Admission
from core.messages import (
    FileTooLarge,
    IncomingFile,
    IncomingMessage,
    OutgoingFile,
    Reply,
    TextFormat,
    Unsupported,
    is_image,
)
from handlers.commands import CITIZEN_COMMANDS, OFFICER_COMMANDS
from storage.faults import fault_of

log = logging.getLogger(__name__)

CHANNEL = "telegram"


class Rejected(Undeliverable):
    """Telegram refused this message (not the chat): record the failure, keep the follower."""


def to_incoming(update: Update) -> IncomingMessage | None:
    """A Telegram update → the neutral message; None for updates that are not for us
    (channel posts, membership changes, polls…)."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        if message is None or query.data is None:
            return None
        chat = message.chat
        return IncomingMessage(
            CHANNEL,
            str(chat.id),
            str(query.from_user.id),
            button=query.data,
            is_private=chat.type == "private",
            display_name=query.from_user.full_name,
        )
    if update.edited_message is not None:
        return _from_message(update.edited_message, Unsupported.EDITED)
    if update.message is not None:
        return _from_message(update.message, None)
    return None


def _from_message(message: object, forced: Unsupported | None) -> IncomingMessage | None:
    from telegram import Message

    assert isinstance(message, Message)
    user = message.from_user
    if user is None:
        return None
    base = {
        "channel": CHANNEL,
        "chat_id": str(message.chat.id),
        "user_id": str(user.id),
        "is_private": message.chat.type == "private",
        "display_name": user.full_name,
    }
    if forced is not None:
        return IncomingMessage(**base, unsupported=forced)  # type: ignore[arg-type]
    match message:
        case Message(text=str() as text):
            return IncomingMessage(**base, text=text)  # type: ignore[arg-type]
        case Message(photo=photos) if photos:
            # Telegram sends several sizes, smallest first: the largest reads best.
            largest = photos[-1]
            image = IncomingFile("anh.jpg", largest.file_id, "image/jpeg", largest.file_size)
            return IncomingMessage(**base, text=message.caption or "", image=image)  # type: ignore[arg-type]
        case Message(document=document) if document is not None and is_image(
            document.file_name or "", document.mime_type
        ):
            image = IncomingFile(
                name=document.file_name or "anh",
                platform_ref=document.file_id,
                mime_type=document.mime_type,
                size=document.file_size,
            )
            return IncomingMessage(**base, text=message.caption or "", image=image)  # type: ignore[arg-type]
        case Message(document=document) if document is not None:
            file = IncomingFile(
                name=document.file_name or "tep",
                platform_ref=document.file_id,
                mime_type=document.mime_type,
                size=document.file_size,
            )
            return IncomingMessage(**base, text=message.caption or "", file=file)  # type: ignore[arg-type]
        case _:
            return IncomingMessage(**base, unsupported=_unsupported_kind(message))  # type: ignore[arg-type]


def _unsupported_kind(message: object) -> Unsupported:
    for attribute, kind in (
        ("sticker", Unsupported.STICKER),
        ("photo", Unsupported.PHOTO),
        ("voice", Unsupported.VOICE),
        ("audio", Unsupported.VOICE),
        ("video", Unsupported.VIDEO),
        ("video_note", Unsupported.VIDEO),
        ("animation", Unsupported.VIDEO),
        ("location", Unsupported.LOCATION),
        ("contact", Unsupported.CONTACT),
    ):
        if getattr(message, attribute, None):
            return kind
    return Unsupported.OTHER


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


def parse_mode(reply: Reply) -> str | None:
    return ParseMode.HTML if reply.format is TextFormat.HTML else None


@dataclass(frozen=True)
class Pacing:
    """Telegram's limits: about 30 messages per second overall, 1 per second per chat."""

    per_second: float = 30.0
    per_chat_interval: float = 1.0
    # How far behind its schedule the sender may fall and still catch up, sending the missed
    # slots back to back (a token bucket this deep); the one-second cap holds all the same.
    catch_up: float = 0.2
    # Telegram counts arrivals, and requests take more or less time to arrive: the schedule
    # spreads `per_second` sends over a second and this much more (the cap is one second).
    margin: float = 0.01
    # Requests open at once: enough to hide the round trip at `per_second` (Telegram answers in
    # about 0.1 s), no more: each of them may go out twice if the process dies.
    in_flight: int = 4


class Pacer:
    """Spaces sends out under Telegram's limits, on a schedule of absolute times.

    Slots follow each other every (1 + margin)/per_second on a fixed schedule. A send that starts
    late (the event loop woke a millisecond after its slot, the request before took longer, the
    process lost the processor for a while) does not push the later slots back: the missed ones
    are caught up, up to `catch_up` seconds of them. Sleeping "one interval after the last send"
    loses every such delay; it ran at 91–98 % of the limit.

    Two rules hold whatever happens, on the times sends really start: at most `per_second` in
    any one second, and `per_chat_interval` between two sends to one chat. Grants are made one
    at a time in the order asked (the lock is held through the sleep) and recorded when they
    happen. `monotonic` and `sleep` are passed in: tests run the pacer on a settable clock.
    """

    def __init__(
        self,
        pacing: Pacing,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.pacing = pacing
        self.monotonic = monotonic
        self.sleep = sleep
        self._lock = asyncio.Lock()
        self._interval = (1.0 + pacing.margin) / pacing.per_second
        self._catch_up = max(0.0, pacing.catch_up)
        self._next_slot = self._last_sent = -math.inf
        # The last `per_second` send times: a new send waits until the oldest is a second old.
        self._recent: deque[float] = deque(maxlen=max(1, math.floor(pacing.per_second)))
        self._chat_free: dict[str, float] = {}
        self._prune_at = 4096

    async def wait(self, chat_id: str) -> None:
        async with self._lock:
            now = self.monotonic()
            if now - self._last_sent >= 1.0:  # idle, not late: no missed slots to catch up
                self._next_slot = now
            at = max(self._next_slot, now - self._catch_up, self._chat_free.get(chat_id, -math.inf))
            if len(self._recent) == self._recent.maxlen:
                at = max(at, self._recent[0] + 1.0)
            self._next_slot = at + self._interval  # from the slot, not from the late send
            if at > now:
                await self.sleep(at - now)
            sent = self._last_sent = self.monotonic()
            self._recent.append(sent)
            self._chat_free[chat_id] = sent + self.pacing.per_chat_interval
            if len(self._chat_free) > self._prune_at:  # forget chats free again (amortised)
                self._chat_free = {c: t for c, t in self._chat_free.items() if t > sent}
                self._prune_at = max(4096, 2 * len(self._chat_free))


async def send_reply(
    bot: Bot, chat_id: str, reply: Reply, edit_message_id: int | None = None
) -> int:
    """Send one reply (text with its buttons, then its file); returns the message id."""
    markup = keyboard(reply)
    message_id = 0
    if edit_message_id is not None and reply.edit and reply.file is None:
        with contextlib.suppress(BadRequest):  # "message is not modified" and the like
            await bot.edit_message_text(
                reply.text,
                chat_id=chat_id,
                message_id=edit_message_id,
                parse_mode=parse_mode(reply),
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return edit_message_id
    if reply.text:
        sent = await bot.send_message(
            chat_id,
            reply.text,
            parse_mode=parse_mode(reply),
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        message_id = sent.message_id
    if (file := reply.file) is not None:
        upload = InputFile(io.BytesIO(file.content), filename=file.name)
        if is_photo(file):  # shown in the chat, readable at once on a phone
            sent = await bot.send_photo(chat_id, upload, caption=file.caption)
        else:
            sent = await bot.send_document(chat_id, upload, caption=file.caption)
        message_id = message_id or sent.message_id
    return message_id


# Bot API sendPhoto: at most 10 MB; JPEG, PNG (and WebP) are shown as pictures. Anything else,
# or bigger, goes as a document.
PHOTO_MAX_BYTES = 10 * 2**20
PHOTO_TYPES = frozenset({"image/png", "image/jpeg"})


def is_photo(file: OutgoingFile) -> bool:
    return file.mime_type in PHOTO_TYPES and len(file.content) <= PHOTO_MAX_BYTES


def delivery_error(error: TelegramError) -> Exception:
    """Telegram's errors → what the outbox worker should do about them."""
    match error:
        case RetryAfter():
            return RetryLater(str(error), retry_after=_seconds(error.retry_after))
        case Forbidden():
            return Undeliverable(str(error))  # blocked by the user, kicked, deactivated
        case ChatMigrated():
            return Undeliverable(f"chat moved to {error.new_chat_id}")
        case BadRequest() if "chat not found" in error.message.lower():
            return Undeliverable(str(error))
        case BadRequest():
            return Rejected(str(error))
        case TimedOut() | NetworkError() | InvalidToken():
            return RetryLater(str(error))
        case _:
            return RetryLater(str(error))


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


class TelegramSender:
    """The outbox's way out to Telegram: paced, with errors mapped for the worker."""

    text_format = TextFormat.HTML

    def __init__(self, bot: Bot, pacing: Pacing | None = None, pacer: Pacer | None = None) -> None:
        self.bot = bot
        self.pacer = pacer or Pacer(pacing or Pacing())

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        await self.pacer.wait(chat_id)
        try:
            return str(await send_reply(self.bot, chat_id, reply))
        except TelegramError as error:
            raise delivery_error(error) from error


class TelegramFiles:
    """`FileSource` over the Bot API: getFile, then the download (bots may fetch up to 20 MB)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def fetch(self, file: IncomingFile, max_bytes: int) -> bytes:
        if file.size is not None and file.size > max_bytes:
            raise FileTooLarge(file.name)
        remote = await self.bot.get_file(file.platform_ref)
        if remote.file_size is not None and remote.file_size > max_bytes:
            raise FileTooLarge(file.name)
        content = bytes(await remote.download_as_bytearray())
        if len(content) > max_bytes:
            raise FileTooLarge(file.name)
        return content


class TelegramChannel:
    """Receives updates through an `Application` and answers through the dispatcher."""

    def __init__(
        self,
        application: Application,
        dispatcher: Dispatcher,
        *,
        officer_ids: Sequence[str] = (),
        allow_groups: bool = False,
        max_retry_after: float = 30.0,
        workers: int = 16,
    ) -> None:
        self.application = application
        self.dispatcher = dispatcher
        self.officer_ids = list(officer_ids)
        self.allow_groups = allow_groups
        self.max_retry_after = max_retry_after
        # Issue 15: admitted messages are served round-robin across chats, each chat's in order.
        self.scheduler: FairScheduler[str, tuple[IncomingMessage, Update]] = FairScheduler(
            self._scheduled, workers=workers
        )
        self._arrived: dict[int, float] = {}  # update id → when it came (the reply latency)
        self.sleep = asyncio.sleep  # tests record the waits instead
        self.files = TelegramFiles(application.bot)
        self._groups_told: set[str] = set()
        self._officer_menus: set[str] = set()  # chats showing the officers' menu (this process)
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)
        dispatcher.services.menus[CHANNEL] = self  # /canbo sets the menu of whom it adds
        dispatcher.services.channels.add(CHANNEL)  # issue 21: officers here hear of questions

    @property
    def bot(self) -> Bot:
        return self.application.bot

    async def set_commands(self) -> None:
        """The "/" menu in Vietnamese; officers' commands only in officers' chats: the admins'
        (settings) and the officers added in the chat (database)."""
        await self.bot.set_my_commands(
            [BotCommand(name, text) for name, text in CITIZEN_COMMANDS],
            scope=BotCommandScopeDefault(),
        )
        stored = await self.dispatcher.services.storage.officers.officers()
        added = [o.user_id for o in stored if o.channel == CHANNEL]
        for officer in dict.fromkeys([*self.officer_ids, *added]):
            await self.officer_menu(officer, True)

    async def officer_menu(self, user_id: str, officer: bool) -> None:
        """The officers' menu in this user's private chat (its id is the user's), or back to the
        citizens' (the default scope). A failure is logged: the menu is set again at the
        officer's next message."""
        if not user_id.lstrip("-").isdigit():
            return
        scope = BotCommandScopeChat(int(user_id))
        try:
            if officer:
                commands = [BotCommand(name, text) for name, text in OFFICER_COMMANDS]
                await self.bot.set_my_commands(commands, scope=scope)
                self._officer_menus.add(user_id)
            else:
                self._officer_menus.discard(user_id)
                await self.bot.delete_my_commands(scope=scope)
        except TelegramError as error:  # e.g. the officer has not started the bot yet
            log.warning("cannot set the command menu of %s: %s", user_id, error)

    async def on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        services = self.dispatcher.services
        if not await services.storage.conversations.first_delivery(
            CHANNEL, str(update.update_id), services.clock.now()
        ):
            log.info("update %s delivered again: already handled", update.update_id)
            return
        arrived = time.perf_counter()
        message = await self._admitted(update)
        if message is not None:
            self._arrived[update.update_id] = arrived
            self.scheduler.start()
            self.scheduler.submit(message.chat_id, (message, update))

    async def _scheduled(self, item: tuple[IncomingMessage, Update]) -> None:
        await self._handle(item)
        arrived = self._arrived.pop(item[1].update_id, None)
        if arrived is not None:  # /metrics (issue 18): from arrival to the replies sent
            metrics.message_handled(CHANNEL, time.perf_counter() - arrived)

    async def handle_stored(self, update: Update) -> None:
        """An update from the inbox (several worker processes, issue 18: the inbox refused
        redeliveries and hands a chat's updates out one at a time, in order)."""
        message = await self._admitted(update)
        if message is not None:
            await self._handle((message, update))

    async def _admitted(self, update: Update) -> IncomingMessage | None:
        """The update as a message to answer, or None when it was dealt with here (not for
        us, a group, a chat sending too fast)."""
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):  # stop the button's spinner at once
                await update.callback_query.answer()
        message = to_incoming(update)
        if message is None:
            return None
        if not message.is_private and not self.allow_groups:
            await self._decline_group(message.chat_id)
            return None
        if (
            message.is_private
            and message.user_id not in self._officer_menus
            and self.dispatcher.services.is_officer(CHANNEL, message.user_id)
        ):  # the menu could not be set before (the officer had not started the bot)
            await self.officer_menu(message.user_id, True)
        match self.dispatcher.admit(message):  # a chat sending too fast (core.chat_rate)
            case Admission.DROP:
                return None
            case Admission.WARN:
                log.info(
                    "Telegram chat %s sends too fast: told once, the rest dropped", message.chat_id
                )
                for reply in self.dispatcher.too_fast(message, TextFormat.HTML):
                    await self._reply(message.chat_id, reply, None)
                return None
            case _:
                return message

    async def _handle(self, item: tuple[IncomingMessage, Update]) -> None:
        """One chat's message, its turn come (`FairScheduler`): the dispatcher, the replies."""
        message, update = item
        try:
            replies = await self.dispatcher.handle(message, TextFormat.HTML, self.files)
            pressed = None
            if update.callback_query is not None and update.callback_query.message is not None:
                pressed = update.callback_query.message.message_id
            for reply in replies:
                await self._reply(message.chat_id, reply, pressed)
        except Exception as error:
            await self._apologise(update, error)

    async def _reply(self, chat_id: str, reply: Reply, pressed: int | None) -> None:
        """Replies to the person who is chatting go out at once (not through the outbox);
        a 429 is honoured by waiting the time Telegram asks, once."""
        for attempt in range(2):
            try:
                await send_reply(self.bot, chat_id, reply, pressed)
                return
            except RetryAfter as error:
                wait = _seconds(error.retry_after)
                if attempt or wait > self.max_retry_after:
                    raise
                await self.sleep(wait)

    async def _decline_group(self, chat_id: str) -> None:
        if chat_id in self._groups_told:
            return
        self._groups_told.add(chat_id)
        with contextlib.suppress(TelegramError):
            await self.bot.send_message(
                chat_id,
                "Bot chỉ trả lời trong tin nhắn riêng. Ông/bà vui lòng nhắn riêng cho bot.",
            )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything the adapter itself failed at: logged with its traceback; the person gets a
        short apology when we know who it is."""
        await self._apologise(update, context.error)

    async def _apologise(self, update: object, error: BaseException | None) -> None:
        fault = fault_of(error)
        if fault is None:
            log.error("telegram update failed", exc_info=error)
        else:  # a fault of the database (issue 15): one line, no traceback
            log.error("telegram update not handled: database %s (%s)", fault, error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(TelegramError):
                await self.bot.send_message(
                    update.effective_chat.id,
                    "Xin lỗi ông/bà, bot đang gặp trục trặc. Ông/bà thử lại sau ít phút.",
                )


def build_application(
    token: str, base_url: str, base_file_url: str, *, concurrent_updates: int = 64
) -> Application:
    """The real python-telegram-bot stack; the base URLs point at Telegram or at a self-hosted
    Bot API server (or, in tests, at a stand-in on 127.0.0.1)."""
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .concurrent_updates(concurrent_updates)
        .connection_pool_size(64)
        .build()
    )
