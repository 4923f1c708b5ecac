"""An in-process channel that records the conversation, so that tests read like chats:

await chat.say("khai sinh")
chat.expect("Đăng ký khai sinh")
await chat.press("Lệ phí")
"""

from __future__ import annotations

from bot.app import Dispatcher
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

    async def fetch(self, file: IncomingFile, max_bytes: int) -> bytes:
        """`FileSource`: the bytes the test sent."""
        content = self.files[file.platform_ref]
        if len(content) > max_bytes:
            raise FileTooLarge(file.name)
        return content

    async def _send(self, message: IncomingMessage) -> list[Reply]:
        what = message.text or (f"<tệp {message.file.name}>" if message.file else "")
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
