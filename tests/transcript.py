"""An in-process channel that records the conversation, so that tests read like chats:

await chat.say("khai sinh")
chat.expect("Đăng ký khai sinh")
await chat.press("Lệ phí")
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from bot.app import Dispatcher
from bot.channels.console import ConsoleChannel
from core.messages import (
    Button,
    FileTooLarge,
    IncomingFile,
    IncomingMessage,
    Reply,
    TextFormat,
    Unsupported,
)


class Transcript:
    def __init__(
        self,
        dispatcher: Dispatcher,
        user_id: str = "100",
        *,
        channel: str = "test",
        text_format: TextFormat = TextFormat.PLAIN,
    ) -> None:
        self.dispatcher = dispatcher
        self.user_id = user_id
        self.channel = channel
        self.format = text_format
        self.last: list[Reply] = []
        self.log: list[tuple[str, str]] = []  # (who, text)
        self.files: dict[str, bytes] = {}  # what the person sent, as the channel would fetch it

    async def say(self, text: str) -> list[Reply]:
        return await self._send(
            IncomingMessage(self.channel, self.user_id, self.user_id, text=text)
        )

    async def press(self, label: str) -> list[Reply]:
        button = self.button(label)
        return await self._send(
            IncomingMessage(
                self.channel, self.user_id, self.user_id, text=button.label, button=button.data
            )
        )

    async def press_data(self, data: str) -> list[Reply]:
        """Press a button by its data, as a person could with an old message still on screen."""
        return await self._send(
            IncomingMessage(self.channel, self.user_id, self.user_id, text="", button=data)
        )

    async def send_unsupported(self, kind: Unsupported) -> list[Reply]:
        return await self._send(
            IncomingMessage(self.channel, self.user_id, self.user_id, unsupported=kind)
        )

    async def send_file(self, name: str, content: bytes) -> list[Reply]:
        ref = f"file-{len(self.files) + 1}"
        self.files[ref] = content
        file = IncomingFile(name, ref, size=len(content))
        return await self._send(
            IncomingMessage(self.channel, self.user_id, self.user_id, file=file)
        )

    async def send_image(self, name: str, content: bytes) -> list[Reply]:
        """A photo, as Telegram or Zalo would bring it (issue 20)."""
        ref = f"file-{len(self.files) + 1}"
        self.files[ref] = content
        image = IncomingFile(name, ref, "image/jpeg", size=len(content))
        return await self._send(
            IncomingMessage(self.channel, self.user_id, self.user_id, image=image)
        )

    async def fetch(self, file: IncomingFile, max_bytes: int) -> bytes:
        """`FileSource`: the bytes the test sent."""
        content = self.files[file.platform_ref]
        if len(content) > max_bytes:
            raise FileTooLarge(file.name)
        return content

    async def _send(self, message: IncomingMessage) -> list[Reply]:
        what = message.text or (f"<tệp {message.file.name}>" if message.file else "")
        what = what or (f"<ảnh {message.image.name}>" if message.image else "")
        self.log.append(("người dân", what or f"<{message.unsupported}>"))
        self.last = await self.dispatcher.handle(message, self.format, self)
        self.log.extend(("bot", reply.text) for reply in self.last)
        return self.last

    @property
    def text(self) -> str:
        return "\n\n".join(reply.text for reply in self.last)

    @property
    def buttons(self) -> list[Button]:
        return [b for reply in self.last for b in reply.all_buttons]

    def button(self, label: str) -> Button:
        matches = [b for b in self.buttons if label in b.label]
        if not matches:
            labels = [b.label for b in self.buttons]
            raise AssertionError(f"no button with {label!r} in the last replies: {labels}")
        return matches[0]

    def expect(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment in self.text, f"{fragment!r} not in the bot's reply:\n{self.text}"

    def expect_not(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment not in self.text, f"{fragment!r} unexpectedly in:\n{self.text}"

    @property
    def seen(self) -> str:
        """The replies as the person reads them: Telegram's HTML tags gone, entities decoded."""
        if self.format is TextFormat.PLAIN:
            return self.text
        return html.unescape(_TAG.sub("", self.text))

    def sees(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment in self.seen, f"{fragment!r} not in the bot's reply:\n{self.seen}"

    def sees_not(self, *fragments: str) -> None:
        for fragment in fragments:
            assert fragment not in self.seen, f"{fragment!r} unexpectedly in:\n{self.seen}"

    def every_reply_has_a_button(self) -> None:
        """Issue 14: on Telegram and Zalo no reply ends without a way on."""
        assert self.last and self.last[-1].buttons, f"no button under:\n{self.seen}"


_TAG = re.compile(r"<[^>]+>")


class ConsoleTranscript(Transcript):
    """The terminal chat itself (`ConsoleChannel`): buttons are numbered choices, a bare number
    presses one, and pressing a button means typing its number, as a person at the terminal does."""

    def __init__(self, dispatcher: Dispatcher, user_id: str = "100", *, files_dir: Path) -> None:
        super().__init__(dispatcher, user_id, channel="console")
        self.console = ConsoleChannel(
            dispatcher, user_id, files_dir=files_dir, stdout=io.StringIO(), interactive=False
        )

    async def say(self, text: str) -> list[Reply]:
        self.log.append(("người dân", text))
        self.last = await self.console.say(text)
        self.log.extend(("bot", reply.text) for reply in self.last)
        return self.last

    async def press(self, label: str) -> list[Reply]:
        button = self.button(label)
        return await self.say(str(self.buttons.index(button) + 1))

    @property
    def printed(self) -> str:
        """Everything the terminal printed so far, numbered choices included."""
        stdout = self.console.stdout
        assert isinstance(stdout, io.StringIO)
        return stdout.getvalue()


def channel_transcript(
    dispatcher: Dispatcher, channel: str, user_id: str = "100", *, files_dir: Path
) -> Transcript:
    """The same conversation on the terminal or as the Telegram adapter delivers it."""
    if channel == "console":
        return ConsoleTranscript(dispatcher, user_id, files_dir=files_dir)
    return Transcript(dispatcher, user_id, channel=channel, text_format=TextFormat.HTML)
