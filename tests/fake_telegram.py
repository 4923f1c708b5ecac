"""A stand-in for the Telegram Bot API on 127.0.0.1, for end-to-end tests.

The real python-telegram-bot (its httpx client, its parsing, its error mapping) talks to this
server as it would to api.telegram.org; a test pushes updates in, reads what the bot sent and
makes the next calls fail as Telegram does. Model: opsdroid's `ExternalAPIMockServer`.

What PTB 22 sends: `POST {base_url}{token}/{method}` with the parameters as form fields
(x-www-form-urlencoded: strings as they are, everything else JSON-encoded, so `reply_markup`,
`scope` and `allowed_updates` arrive as JSON text and numbers as digits), or multipart/form-data
when a file is uploaded. It reads `{"ok": true, "result": ...}`; for an error it looks only at the
HTTP status, the `description` and `parameters.retry_after`, so the status must be the error code.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

JSON = dict[str, Any]
log = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 10 * 2**20  # Bot API: "The photo must be at most 10 MB in size"

# Parameters that are free text: a text of "123" or "true" must stay a string. Every other form
# field is JSON-decoded, which is how PTB encoded it.
_TEXT_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "title",
        "description",
        "short_description",
        "name",
        "query",
        "emoji",
    ]
)
# The tags Telegram's HTML parse mode accepts; anything else (<br>, <p>, <div>) is a 400.
_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    ]
)
_TAG = re.compile(r"<(/?)([^\s>/]*)[^>]*>")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_DEFAULT_ERRORS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
}


@dataclass(frozen=True)
class UploadedFile:
    name: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class Call:
    """One request the bot made, recorded once answered (a long poll, when it returns); `at` is
    `time.monotonic()` when it arrived, for pacing checks."""

    method: str
    params: JSON
    at: float
    failed: bool = False
    files: dict[str, UploadedFile] = field(default_factory=dict)


@dataclass(frozen=True)
class SentMessage:
    """A sendMessage, sendDocument, sendPhoto or editMessageText the bot got through."""

    method: str
    chat_id: int
    message_id: int
    text: str | None  # the text or caption as the bot sent it, markup included
    parse_mode: str | None
    reply_markup: JSON | None
    document: UploadedFile | None
    at: float

    @property
    def plain(self) -> str:
        """What the person reads: HTML tags dropped and entities unescaped."""
        return visible_text(self.text or "", self.parse_mode)

    @property
    def buttons(self) -> list[list[str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[button["text"] for button in row] for row in rows]

    def button_data(self, label: str) -> str:
        for row in (self.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} on message {self.message_id}: {self.buttons}")


class TelegramError(Exception):
    """A Bot API error answer: HTTP status = error_code, as Telegram does."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def response(self) -> JSONResponse:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return JSONResponse(body, status_code=self.code)


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text after Telegram's entity parsing; raises the 400 Telegram gives for bad HTML.
    MarkdownV2 is passed through unchecked: the bot does not use it."""
    if (parse_mode or "").upper() != "HTML":
        return text
    pieces: list[str] = []
    open_tags: list[str] = []
    position = 0
    for tag in _TAG.finditer(text):
        pieces.append(text[position : tag.start()])
        position = tag.end()
        offset = len(text[: tag.start()].encode())
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if name not in _HTML_TAGS:
            raise TelegramError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" '
                f"at byte offset {offset}",
            )
        if not closing:
            open_tags.append(name)
        elif open_tags and open_tags[-1] == name:
            open_tags.pop()
        else:
            expected = f"</{open_tags[-1]}>" if open_tags else "nothing"
            raise TelegramError(
                400,
                "Bad Request: can't parse entities: Unmatched end tag at byte offset "
                f'{offset}, expected "{expected}", found "</{name}>"',
            )
    if open_tags:
        raise TelegramError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{open_tags[-1]}"',
        )
    pieces.append(text[position:])
    body = "".join(pieces)
    if "<" in body:
        offset = len(text[: text.rfind("<")].encode())
        raise TelegramError(
            400, f"Bad Request: can't parse entities: Unclosed start tag at byte offset {offset}"
        )
    return html.unescape(body)


def _utf16_length(text: str) -> int:
    # Telegram's limits (4096 for a text, 1024 for a caption) count UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _decode(name: str, value: Any) -> Any:
    if name in _TEXT_PARAMS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # "@channelname" and file ids are plain strings


def _form_param(disposition: str, key: str) -> str | None:
    found = re.search(rf'\b{key}="([^"]*)"', disposition)
    if found is None:
        return None
    # httpx escapes quotes and control characters in names as %XX (HTML5 form encoding).
    return re.sub(r"%(22|[01][0-9A-F])", lambda m: chr(int(m.group(1), 16)), found.group(1))


def _parse_multipart(body: bytes, content_type: str) -> tuple[JSON, dict[str, UploadedFile]]:
    """Fields and files of a multipart/form-data body. Hand-rolled because Starlette's
    `request.form()` needs python-multipart, and httpx's encoding is all we have to read."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary is None:
        raise TelegramError(400, "Bad Request: multipart body without a boundary")
    fields: JSON = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(b"--" + boundary.group(1).encode())[1:-1]:
        head, _, content = part.partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode().strip().split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _form_param(disposition, "name") or ""
        filename = _form_param(disposition, "filename")
        if filename is None:
            fields[name] = _decode(name, content.decode())
        else:
            mime_type = headers.get("content-type", "application/octet-stream")
            files[name] = UploadedFile(filename, content, mime_type)
    return fields, files


async def _read_params(request: Request) -> tuple[JSON, dict[str, UploadedFile]]:
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if content_type.startswith("multipart/form-data"):
        return _parse_multipart(body, content_type)
    if content_type.startswith("application/json"):
        try:
            raw: JSON = json.loads(body) if body else {}
        except ValueError:
            raise TelegramError(400, "Bad Request: can't parse JSON object") from None
    elif body:
        raw = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    else:
        raw = dict(request.query_params)  # the Bot API accepts GET with a query string too
    return {name: _decode(name, value) for name, value in raw.items()}, {}


@dataclass
class _Failure:
    method: str
    error: TelegramError
    chat_id: int | str | None
    times: int


@dataclass
class _Pending:
    update: JSON
    delivered: bool = False

    @property
    def kind(self) -> str:
        return next((key for key in self.update if key != "update_id"), "")


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    name: str
    mime_type: str


@dataclass(frozen=True)
class _Request:
    method: str
    params: JSON
    files: dict[str, UploadedFile]
    at: float


class _Signal:
    """Wakes every waiter at each change; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it listens, stopping when told rather than at its next
    0.1 s tick, and leaving signals alone: it runs inside the test's event loop, and Ctrl+C
    belongs to pytest."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()
        self.exit_requested = asyncio.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.listening.set()

    async def main_loop(self) -> None:
        await self.on_tick(0)  # sets the Date header once; a test is over long before a day
        await self.exit_requested.wait()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


Handler = Callable[[_Request], Awaitable[Any]]


class FakeTelegram:
    """The Bot API on loopback: `async with FakeTelegram() as fake:` then point PTB at
    `fake.base_url` / `fake.base_file_url`."""

    def __init__(self, token: str = "123456:TEST", username: str = "motcua_test_bot") -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Một Cửa Bot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.sent: list[SentMessage] = []
        self.updates: dict[int, JSON] = {}  # everything pushed, by update_id (kept after delivery)
        self.commands: dict[str, list[tuple[str, str]]] = {}  # by scope: "default", "chat:900"
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.port = 0
        self.polls_waiting = 0  # getUpdates requests holding a long poll open right now
        # Seconds a send takes to answer (the network and Telegram): kill tests and the scale
        # bench need messages in flight for a while.
        self.send_latency = 0.0
        self._pending: list[_Pending] = []
        self._failures: list[_Failure] = []
        self._files: dict[str, _StoredFile] = {}
        self._chats: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._open_queries: set[str] = set()
        self._next_update_id = 1
        self._next_message_id = 1
        self._next_file = 1
        self._changed = _Signal()
        self._closing = False
        self._errors: list[BaseException] = []
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }
        # Telegram matches method names case-insensitively.
        self._canonical = {name.lower(): name for name in self._handlers}

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{file_path:path}", self._download, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,  # the OS picks a free port; read back below
            log_config=None,  # leave logging to pytest instead of uvicorn's dictConfig
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(), name="fake-telegram")
        listening = asyncio.create_task(self._server.listening.wait())
        await asyncio.wait({self._task, listening}, return_when=asyncio.FIRST_COMPLETED)
        if not listening.done():
            listening.cancel()
            await self._task  # raises what stopped uvicorn
            raise RuntimeError("the fake Telegram server stopped during startup")
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        # Long polls would hold uvicorn's graceful shutdown until their timeout: answer them now.
        self._closing = True
        self._changed.fire()
        self._server.should_exit = True
        self._server.exit_requested.set()
        await self._task
        self._server = self._task = None
        if self._errors:
            raise AssertionError("the fake Telegram server itself failed") from self._errors[0]

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.stop()
        except AssertionError:
            if exc is None:  # else the test's own failure says more; the fake's is logged
                raise

    # -- what the bot did --------------------------------------------------------------------

    def messages_to(self, chat_id: int | str) -> list[SentMessage]:
        return [m for m in self.sent if str(m.chat_id) == str(chat_id)]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # The waits take a timeout (ASYNC109) so that a stuck test fails with what was missing.
    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 10,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Returns once `condition()` holds; it is re-checked at each call, push and poll, so
        there is no sleeping."""
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    await self._changed.wait()
        except TimeoutError:
            seen = [c.method for c in self.calls]
            raise AssertionError(f"{what} not met within {timeout}s; calls: {seen}") from None

    async def wait_for_messages(
        self,
        chat_id: int | str,
        count: int,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """The first `count` messages (sends and edits) to the chat, once they are there."""
        try:
            await self.wait_until(lambda: len(self.messages_to(chat_id)) >= count, timeout)
        except AssertionError:
            texts = [m.text for m in self.messages_to(chat_id)]
            raise AssertionError(
                f"chat {chat_id}: expected {count} messages within {timeout}s, got {texts}"
            ) from None
        return self.messages_to(chat_id)[:count]

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> list[Call]:
        await self.wait_until(lambda: len(self.calls_of(method)) >= count, timeout, method)
        return self.calls_of(method)[:count]

    # -- failures ----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) get this Telegram error.
        Descriptions default to Telegram's own: 429 flood wait, 403 blocked, 400 chat not found."""
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        description = description or _DEFAULT_ERRORS.get(error_code, f"Error {error_code}")
        error = TelegramError(error_code, description, retry_after)
        self._failures.append(_Failure(method, error, chat_id, times))

    def _take_failure(self, method: str, params: JSON) -> TelegramError | None:
        for failure in self._failures:
            if failure.method != method:
                continue
            if failure.chat_id is not None and str(failure.chat_id) != str(params.get("chat_id")):
                continue
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)
            return failure.error
        return None

    # -- updates in --------------------------------------------------------------------------

    def register_file(
        self,
        content: bytes,
        file_name: str = "file.bin",
        mime_type: str = "",
        kind: str = "documents",
    ) -> str:
        """Makes bytes downloadable through getFile; returns the file_id."""
        number = self._next_file
        self._next_file += 1
        suffix = file_name[file_name.rfind(".") :] if "." in file_name else ""
        stored = _StoredFile(
            file_id=f"FILE{number:04d}",
            file_unique_id=f"U{number:04d}",
            file_path=f"{kind}/file_{number}{suffix}",
            content=content,
            name=file_name,
            mime_type=mime_type or "application/octet-stream",
        )
        self._files[stored.file_id] = stored
        return stored.file_id

    def push_raw(self, update: JSON) -> int:
        """Queues an update as given; an `update_id` already used means Telegram delivering the
        same update again."""
        update = dict(update)
        update_id = int(update.setdefault("update_id", self._next_update_id))
        self._next_update_id = max(self._next_update_id, update_id + 1)
        self.updates[update_id] = update
        self._pending.append(_Pending(update))
        self._changed.fire()
        return update_id

    def push_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Lan",
        entities: list[JSON] | None = None,
    ) -> int:
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._push_message(chat_id, user_id, chat_type, first_name, content)

    def push_command(
        self,
        chat_id: int,
        command: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Lan",
    ) -> int:
        """`command` is the whole text, e.g. "/tracuu 000.00.19.H47-261116-0007"."""
        text = command if command.startswith("/") else f"/{command}"
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_length(text.split()[0])}
        return self.push_text(
            chat_id,
            text,
            user_id=user_id,
            chat_type=chat_type,
            first_name=first_name,
            entities=[entity],
        )

    def push_callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        first_name: str = "Lan",
    ) -> int:
        """A button press on `message_id`, by default the bot's last message with buttons."""
        chat = self._chats.get(chat_id) or self._default_chat(chat_id)
        if message_id is None:
            with_buttons = [
                m
                for m in self.messages_to(chat_id)
                if m.reply_markup and m.method not in ("sendDocument", "sendPhoto")
            ]
            if not with_buttons:
                raise AssertionError(f"the bot sent no message with buttons to chat {chat_id}")
            message_id = with_buttons[-1].message_id
        # A copy: the update shows the message as it was when pressed, even if edited later.
        unknown = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
            "text": "",
        }
        message = dict(self._messages.get((chat_id, message_id)) or unknown)
        query_id = f"Q{self._next_update_id:06d}"
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(user_id if user_id is not None else chat_id, first_name),
            "message": message,
            "chat_instance": f"CI{chat_id}",
            "data": data,
        }
        return self.push_raw({"update_id": self._next_update_id, "callback_query": query})

    def push_document(
        self,
        chat_id: int,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
        user_id: int | None = None,
        first_name: str = "Lan",
    ) -> int:
        file_id = self.register_file(content, file_name, mime_type)
        document = {**self._file_fields(file_id), "file_name": file_name, "mime_type": mime_type}
        message: JSON = {"document": document}
        if caption is not None:
            message["caption"] = caption
        return self._push_message(chat_id, user_id, "private", first_name, message)

    def push_photo(
        self,
        chat_id: int,
        content: bytes = b"\xff\xd8\xff\xe0 not really a jpeg",
        *,
        caption: str | None = None,
        user_id: int | None = None,
        first_name: str = "Lan",
    ) -> int:
        file_id = self.register_file(content, "photo.jpg", "image/jpeg", kind="photos")
        message: JSON = {"photo": [{**self._file_fields(file_id), "width": 90, "height": 67}]}
        if caption is not None:
            message["caption"] = caption
        return self._push_message(chat_id, user_id, "private", first_name, message)

    def push_voice(
        self,
        chat_id: int,
        content: bytes = b"OggS not really a voice note",
        *,
        duration: int = 4,
        user_id: int | None = None,
        first_name: str = "Lan",
    ) -> int:
        file_id = self.register_file(content, "voice.oga", "audio/ogg", kind="voice")
        voice = {**self._file_fields(file_id), "duration": duration, "mime_type": "audio/ogg"}
        return self._push_message(chat_id, user_id, "private", first_name, {"voice": voice})

    def push_sticker(
        self,
        chat_id: int,
        emoji: str = "👍",
        *,
        user_id: int | None = None,
        first_name: str = "Lan",
    ) -> int:
        file_id = self.register_file(b"RIFF not really a sticker", "sticker.webp", "image/webp")
        sticker = {
            **self._file_fields(file_id),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._push_message(chat_id, user_id, "private", first_name, {"sticker": sticker})

    def push_edited_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Lan",
    ) -> int:
        chat = self._register_chat(chat_id, "private", first_name)
        message = {
            "message_id": message_id,
            "date": int(time.time()) - 60,
            "edit_date": int(time.time()),
            "chat": chat,
            "from": self._user(user_id if user_id is not None else chat_id, first_name),
            "text": text,
        }
        return self.push_raw({"update_id": self._next_update_id, "edited_message": message})

    async def post_update(self, url: str, update: JSON, secret_token: str | None = None) -> int:
        """Telegram's side of webhook mode: POST one update to the bot; returns the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        # trust_env=False: a proxy from the environment must not carry a loopback request away.
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            response = await client.post(url, json=update, headers=headers)
        return response.status_code

    async def deliver_to_webhook(self, update_id: int) -> int:
        """Posts a pushed update to the webhook the bot set, with the secret it chose; a 2xx
        confirms it, as with Telegram."""
        if self.webhook_url is None:
            raise AssertionError("the bot has not called setWebhook")
        status = await self.post_update(
            self.webhook_url, self.updates[update_id], self.webhook_secret
        )
        if 200 <= status < 300:
            self._pending = [p for p in self._pending if p.update["update_id"] != update_id]
        return status

    def _user(self, user_id: int, first_name: str) -> JSON:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}

    def _default_chat(self, chat_id: int) -> JSON:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Lan"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": "Nhóm thử"}

    def _register_chat(self, chat_id: int, chat_type: str, first_name: str) -> JSON:
        if chat_type == "private":
            chat: JSON = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": "Nhóm thử"}
        self._chats[chat_id] = chat
        return chat

    def _push_message(
        self, chat_id: int, user_id: int | None, chat_type: str, first_name: str, content: JSON
    ) -> int:
        chat = self._register_chat(chat_id, chat_type, first_name)
        # In a private chat the user is the chat; in a group someone must be named.
        sender = user_id if user_id is not None else abs(chat_id)
        message = self._new_message(chat, self._user(sender, first_name), content)
        return self.push_raw({"update_id": self._next_update_id, "message": message})

    def _new_message(self, chat: JSON, sender: JSON, content: JSON) -> JSON:
        message_id = self._next_message_id
        self._next_message_id += 1
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            **content,
        }
        self._messages[(chat["id"], message_id)] = message
        return message

    def _file_fields(self, file_id: str) -> JSON:
        stored = self._files[file_id]
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }

    # -- the HTTP side -----------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        arrived = time.monotonic()
        if request.path_params["token"] != self.token:
            return TelegramError(401, "Unauthorized").response()
        try:
            params, files = await _read_params(request)
        except TelegramError as error:
            return error.response()
        name = request.path_params["method"]
        method = self._canonical.get(name.lower(), name)
        call = _Request(method, params, files, arrived)
        try:
            error = self._take_failure(method, params)
            if error is not None:
                raise error
            # Methods this fake does not model answer True and stay visible in `calls`.
            handler = self._handlers.get(method)
            if self.send_latency and method.startswith("send"):
                await asyncio.sleep(self.send_latency)
            result = await handler(call) if handler is not None else True
        except TelegramError as error:
            self._record(call, failed=True)
            return error.response()
        except Exception as error:  # a bug in the fake: fail the test at stop(), loudly
            log.exception("fake Telegram failed on %s", method)
            self._errors.append(error)
            self._record(call, failed=True)
            return TelegramError(500, f"Internal Server Error: fake failed: {error!r}").response()
        self._record(call, failed=False)
        return JSONResponse({"ok": True, "result": result})

    def _record(self, request: _Request, *, failed: bool) -> None:
        self.calls.append(Call(request.method, request.params, request.at, failed, request.files))
        self._changed.fire()

    async def _download(self, request: Request) -> Response:
        wanted = request.path_params["file_path"]
        if request.path_params["token"] == self.token:
            for stored in self._files.values():
                if stored.file_path == wanted:
                    return Response(stored.content, media_type=stored.mime_type)
        return Response(b"Not Found", status_code=404)

    def _chat(self, chat_id: Any) -> JSON:
        if isinstance(chat_id, int):
            return self._chats.get(chat_id) or self._default_chat(chat_id)
        raise TelegramError(400, "Bad Request: chat not found")  # "@name" the fake cannot know

    def _stored_message(self, params: JSON) -> tuple[JSON, JSON]:
        chat = self._chat(params.get("chat_id"))
        message = self._messages.get((chat["id"], params.get("message_id", 0)))
        if message is None or message["from"] != self.bot_user:
            raise TelegramError(400, "Bad Request: message to edit not found")
        return chat, message

    def _checked_markup(self, params: JSON) -> JSON | None:
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise TelegramError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _sent(
        self,
        request: _Request,
        chat: JSON,
        message: JSON,
        text: str | None,
        document: UploadedFile | None = None,
    ) -> None:
        self.sent.append(
            SentMessage(
                method=request.method,
                chat_id=chat["id"],
                message_id=message["message_id"],
                text=text,
                parse_mode=request.params.get("parse_mode"),
                reply_markup=request.params.get("reply_markup"),
                document=document,
                at=request.at,
            )
        )

    @staticmethod
    def _with_markup(content: JSON, markup: JSON | None) -> JSON:
        # A message carries only an inline keyboard; reply keyboards are not echoed back.
        if markup and "inline_keyboard" in markup:
            return {**content, "reply_markup": markup}
        return content

    async def _get_me(self, _request: _Request) -> JSON:
        return self.bot_user

    async def _get_updates(self, request: _Request) -> list[JSON]:
        if self.webhook_url:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = request.params
        offset = int(params.get("offset") or 0)
        if offset > 0:
            # Confirmation, as Telegram: updates below the offset are forgotten, but only once
            # handed out, so a re-pushed old update_id is still delivered (once).
            self._pending = [
                p for p in self._pending if not (p.delivered and p.update["update_id"] < offset)
            ]
        allowed = params.get("allowed_updates") or None
        ready = self._ready(allowed)
        if not ready and not self._closing:
            self.polls_waiting += 1
            self._changed.fire()
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(float(params.get("timeout") or 0)):
                        while not ready and not self._closing:
                            await self._changed.wait()
                            ready = self._ready(allowed)
            finally:
                self.polls_waiting -= 1
        batch = ready[: int(params.get("limit") or 100)]
        for pending in batch:
            pending.delivered = True
        return [p.update for p in batch]

    def _ready(self, allowed: list[str] | None) -> list[_Pending]:
        if allowed is not None:  # Telegram never produces the kinds the bot did not ask for
            self._pending = [p for p in self._pending if p.kind in allowed]
        return list(self._pending)

    async def _send_message(self, request: _Request) -> JSON:
        params = request.params
        chat = self._chat(params.get("chat_id"))
        text = str(params.get("text", ""))
        if not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        visible = visible_text(text, params.get("parse_mode"))
        if _utf16_length(visible) > 4096:
            raise TelegramError(400, "Bad Request: message is too long")
        markup = self._checked_markup(params)
        content = self._with_markup({"text": visible}, markup)
        message = self._new_message(chat, self.bot_user, content)
        self._sent(request, chat, message, text)
        return message

    async def _edit_message_text(self, request: _Request) -> JSON | bool:
        params = request.params
        if "inline_message_id" in params:
            return True
        chat, message = self._stored_message(params)
        text = str(params.get("text", ""))
        if not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        visible = visible_text(text, params.get("parse_mode"))
        # Edited without reply_markup, a message loses its keyboard, as on Telegram.
        markup = self._checked_markup(params)
        if visible == message.get("text") and markup == message.get("reply_markup"):
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.pop("reply_markup", None)
        message.update(self._with_markup({"text": visible}, markup))
        message["edit_date"] = int(time.time())
        self._sent(request, chat, message, text)
        return message

    async def _edit_message_reply_markup(self, request: _Request) -> JSON | bool:
        if "inline_message_id" in request.params:
            return True
        _chat, message = self._stored_message(request.params)
        markup = self._checked_markup(request.params)
        if markup == message.get("reply_markup"):
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.pop("reply_markup", None)
        message.update(self._with_markup({}, markup))
        message["edit_date"] = int(time.time())
        return message

    async def _answer_callback_query(self, request: _Request) -> bool:
        query_id = str(request.params.get("callback_query_id"))
        if query_id not in self._open_queries:  # unknown, or answered already
            raise TelegramError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        return True

    async def _send_document(self, request: _Request) -> JSON:
        return self._send_file(request, "document")

    async def _send_photo(self, request: _Request) -> JSON:
        return self._send_file(request, "photo")

    def _send_file(self, request: _Request, kind: str) -> JSON:
        params = request.params
        chat = self._chat(params.get("chat_id"))
        upload = request.files.get(kind)
        if upload is not None:
            if kind == "photo" and len(upload.content) > PHOTO_MAX_BYTES:
                raise TelegramError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
            file_id = self.register_file(upload.content, upload.name, upload.mime_type)
        elif str(params.get(kind)) in self._files:
            file_id = str(params[kind])
        else:
            raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        stored = self._files[file_id]
        content: JSON
        if kind == "photo":  # Telegram answers with the sizes it made; one is enough here
            content = {"photo": [{**self._file_fields(file_id), "width": 1280, "height": 1024}]}
        else:
            content = {
                "document": {
                    **self._file_fields(file_id),
                    "file_name": stored.name,
                    "mime_type": stored.mime_type,
                }
            }
        caption = params.get("caption")
        if caption is not None:
            visible = visible_text(str(caption), params.get("parse_mode"))
            if _utf16_length(visible) > 1024:
                raise TelegramError(400, "Bad Request: message caption is too long")
            content["caption"] = visible
        content = self._with_markup(content, self._checked_markup(params))
        message = self._new_message(chat, self.bot_user, content)
        upload = upload or UploadedFile(stored.name, stored.content, stored.mime_type)
        self._sent(request, chat, message, caption, upload)
        return message

    async def _get_file(self, request: _Request) -> JSON:
        stored = self._files.get(str(request.params.get("file_id")))
        if stored is None:
            raise TelegramError(400, "Bad Request: invalid file_id")
        return {**self._file_fields(stored.file_id), "file_path": stored.file_path}

    @staticmethod
    def _scope_key(params: JSON) -> str:
        scope = params.get("scope") or {"type": "default"}
        ids = [str(scope[key]) for key in ("chat_id", "user_id") if key in scope]
        key = ":".join([scope["type"], *ids])
        language = params.get("language_code")
        return f"{key}/{language}" if language else key

    async def _set_my_commands(self, request: _Request) -> bool:
        commands = request.params.get("commands") or []
        for command in commands:
            if not _COMMAND_NAME.fullmatch(command.get("command", "")):
                raise TelegramError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = self._scope_key(request.params)
        self.commands[key] = [(c["command"], c["description"]) for c in commands]
        return True

    async def _delete_my_commands(self, request: _Request) -> bool:
        self.commands.pop(self._scope_key(request.params), None)
        return True

    async def _get_my_commands(self, request: _Request) -> list[JSON]:
        commands = self.commands.get(self._scope_key(request.params), [])
        return [{"command": name, "description": text} for name, text in commands]

    async def _set_webhook(self, request: _Request) -> bool:
        self.webhook_url = str(request.params.get("url") or "") or None
        self.webhook_secret = request.params.get("secret_token")
        if request.params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _delete_webhook(self, request: _Request) -> bool:
        self.webhook_url = self.webhook_secret = None
        if request.params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, _request: _Request) -> JSON:
        return {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
