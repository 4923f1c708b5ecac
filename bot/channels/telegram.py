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
import time
from collections import defaultdict
from collections.abc import Sequence
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

from bot.app import Dispatcher
from bot.delivery import RetryLater, Undeliverable
from core.messages import (
    FileTooLarge,
    IncomingFile,
    IncomingMessage,
    OutgoingFile,
    Reply,
    TextFormat,
    Unsupported,
)
from handlers.commands import CITIZEN_COMMANDS, OFFICER_COMMANDS

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


class Pacer:
    """Spaces messages out: a global rate and a minimum interval per chat (monotonic time)."""

    def __init__(self, pacing: Pacing) -> None:
        self.pacing = pacing
        self._lock = asyncio.Lock()
        self._next_global = 0.0
        self._next_chat: dict[str, float] = defaultdict(float)

    async def wait(self, chat_id: str) -> None:
        async with self._lock:
            now = time.monotonic()
            at = max(now, self._next_global, self._next_chat[chat_id])
            self._next_global = at + 1.0 / self.pacing.per_second
            self._next_chat[chat_id] = at + self.pacing.per_chat_interval
        if at > now:
            await asyncio.sleep(at - now)


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

    def __init__(self, bot: Bot, pacing: Pacing | None = None) -> None:
        self.bot = bot
        self.pacer = Pacer(pacing or Pacing())

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
        application: Application,  # type: ignore[type-arg]
        dispatcher: Dispatcher,
        *,
        officer_ids: Sequence[str] = (),
        allow_groups: bool = False,
        max_retry_after: float = 30.0,
    ) -> None:
        self.application = application
        self.dispatcher = dispatcher
        self.officer_ids = list(officer_ids)
        self.allow_groups = allow_groups
        self.max_retry_after = max_retry_after
        self._chat_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.sleep = asyncio.sleep  # tests record the waits instead
        self.files = TelegramFiles(application.bot)
        self._groups_told: set[str] = set()
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)

    @property
    def bot(self) -> Bot:
        return self.application.bot

    async def set_commands(self) -> None:
        """The "/" menu in Vietnamese; officers' commands only in officers' chats."""
        await self.bot.set_my_commands(
            [BotCommand(name, text) for name, text in CITIZEN_COMMANDS],
            scope=BotCommandScopeDefault(),
        )
        for officer in self.officer_ids:
            if not officer.lstrip("-").isdigit():
                continue
            try:
                await self.bot.set_my_commands(
                    [BotCommand(name, text) for name, text in OFFICER_COMMANDS],
                    scope=BotCommandScopeChat(int(officer)),
                )
            except TelegramError as error:  # the officer has not started the bot yet
                log.warning("cannot set officer commands for %s: %s", officer, error)

    async def on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        services = self.dispatcher.services
        if not await services.storage.first_delivery(
            CHANNEL, str(update.update_id), services.clock.now()
        ):
            log.info("update %s delivered again: already handled", update.update_id)
            return
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):  # stop the button's spinner at once
                await update.callback_query.answer()
        message = to_incoming(update)
        if message is None:
            return
        if not message.is_private and not self.allow_groups:
            await self._decline_group(message.chat_id)
            return
        # Messages of one chat are handled in order, chats in parallel.
        async with self._chat_locks[message.chat_id]:
            replies = await self.dispatcher.handle(message, TextFormat.HTML, self.files)
            pressed = None
            if update.callback_query is not None and update.callback_query.message is not None:
                pressed = update.callback_query.message.message_id
            for reply in replies:
                await self._reply(message.chat_id, reply, pressed)

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
        log.error("telegram update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(TelegramError):
                await self.bot.send_message(
                    update.effective_chat.id,
                    "Xin lỗi ông/bà, bot đang gặp trục trặc. Ông/bà thử lại sau ít phút.",
                )


def build_application(
    token: str, base_url: str, base_file_url: str, *, concurrent_updates: int = 64
) -> Application:  # type: ignore[type-arg]
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
