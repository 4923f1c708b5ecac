"""The terminal chat: the whole bot, no token, no network.

Buttons are shown as numbered choices; typing the number presses the button. When stdin is not a
terminal, every line is one message and the replies are printed, so a conversation can be scripted:
    printf 'khai sinh\n1\n' | motcua chat
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import TextIO

from bot.app import Dispatcher
from bot.backoff import FaultBackoff
from bot.delivery import OutboxWorker
from core.messages import (
    Button,
    FileTooLarge,
    IncomingFile,
    IncomingMessage,
    Reply,
    TextFormat,
    is_image,
)
from storage.base import ChatRef

CHANNEL = "console"
QUIT = {"/thoat", "/quit", "/exit"}
SEND_FILE = "/guitep"  # "/guitep đường/dẫn/tệp": send a file, as on Telegram


class ConsoleChannel:
    """The terminal chat. It is also the console's `Sender`: notifications for this chat (a
    dossier followed here changed status) are printed between the replies."""

    text_format = TextFormat.PLAIN

    def __init__(
        self,
        dispatcher: Dispatcher,
        user_id: str,
        *,
        files_dir: Path,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        poll_seconds: float = 2.0,
    ) -> None:
        self.dispatcher = dispatcher
        dispatcher.services.channels.add(CHANNEL)  # issue 21: officers here hear of questions
        self.worker = OutboxWorker(
            dispatcher.services, {CHANNEL: self}, only_chat=ChatRef(CHANNEL, user_id)
        )
        self.poll_seconds = poll_seconds
        self.user_id = user_id
        self.files_dir = files_dir
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.choices: list[Button] = []

    async def run(self) -> None:
        await self.worker.recover()
        if self.interactive:
            self._print("Một Cửa Bot – trò chuyện trên máy. Gõ /thoat để thoát.\n")
            await self.say("/start")
            stop = asyncio.Event()
            poller = asyncio.create_task(self._poll_notifications(stop))
            try:
                await self._conversation()
            finally:
                stop.set()
                await poller
        else:
            await self.worker.deliver_due()
            await self._conversation()

    async def _poll_notifications(self, stop: asyncio.Event) -> None:
        # A fault of the database pauses the notifications (one log line, bot.backoff), not
        # the chat: its replies say what happened.
        backoff = FaultBackoff("terminal notifications", self.poll_seconds)
        wait = self.poll_seconds
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
            try:
                await self.worker.deliver_due()
                wait = backoff.succeeded()
            except Exception as error:
                wait = backoff.failed(error)

    async def _conversation(self) -> None:
        while True:
            line = await self._read_line()
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if line.casefold() in QUIT:
                break
            if not self.interactive:
                self._print(f"» {line}")
            await self.say(line)

    async def say(self, line: str) -> list[Reply]:
        """What the person typed → the bot's replies, printed."""
        message = self.to_message(line)
        replies = await self.dispatcher.handle(message, TextFormat.PLAIN, self)
        self.show(replies)
        # Whatever the message set off for this chat (or another process queued) comes next.
        await self.worker.deliver_due()
        return replies

    def to_message(self, line: str) -> IncomingMessage:
        """A bare number picks a choice from the last reply; `/guitep PATH` sends a file;
        anything else is typed text."""
        if line.startswith(SEND_FILE + " "):
            path = Path(line[len(SEND_FILE) :].strip()).expanduser()
            file = IncomingFile(path.name, str(path.resolve()))
            if is_image(path.name, None):  # a photo of a receipt: read for its codes
                return IncomingMessage(CHANNEL, self.user_id, self.user_id, image=file)
            return IncomingMessage(CHANNEL, self.user_id, self.user_id, file=file)
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            chosen = self.choices[int(line) - 1]
            return IncomingMessage(
                CHANNEL, self.user_id, self.user_id, text=chosen.label, button=chosen.data
            )
        return IncomingMessage(CHANNEL, self.user_id, self.user_id, text=line)

    async def fetch(self, file: IncomingFile, max_bytes: int) -> bytes:
        """`FileSource`: the terminal's files are paths on this machine."""
        path = Path(file.platform_ref)
        size = (await asyncio.to_thread(path.stat)).st_size
        if size > max_bytes:
            raise FileTooLarge(file.name)
        return await asyncio.to_thread(path.read_bytes)

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        self._print("🔔 Thông báo mới:")
        self.show([reply])
        return None

    def show(self, replies: list[Reply]) -> None:
        choices: list[Button] = []
        for reply in replies:
            self._print(reply.text)
            for button in reply.all_buttons:
                choices.append(button)
                self._print(f"  [{len(choices)}] {button.label}")
            if reply.file is not None:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / reply.file.name
                path.write_bytes(reply.file.content)
                self._print(f"  📎 Tệp đã lưu: {path}")
            self._print("")
        if choices:
            self._print("(Gõ số để chọn.)\n")
        self.choices = choices

    async def _read_line(self) -> str | None:
        if self.interactive:
            try:
                return await asyncio.to_thread(input, "Ông/bà: ")
            except EOFError:
                return None
        line = await asyncio.to_thread(self.stdin.readline)
        return line if line else None

    def _print(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)
