"""The neutral messages between chat channels and conversations.

Each channel adapter turns what its platform sends into an `IncomingMessage`; conversations
answer with `Reply` objects. Nothing here knows Telegram, Zalo or the terminal. Channels that
cannot show buttons show them as a numbered list instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

# Telegram's limit for one message; Zalo's is lower and its adapter splits further.
MAX_REPLY_CHARS = 4096
# Telegram's limit for callback data. Conversations keep button data within it.
MAX_BUTTON_DATA = 64


class TextFormat(StrEnum):
    HTML = "html"  # Telegram's HTML subset: <b>, <i>, <a>, escaped text
    PLAIN = "plain"  # terminal, Zalo


class Unsupported(StrEnum):
    """Things people send that the bot cannot read; they get a "please type" reply."""

    STICKER = "sticker"
    PHOTO = "photo"
    VOICE = "voice"
    VIDEO = "video"
    LOCATION = "location"
    CONTACT = "contact"
    EDITED = "edited"
    OTHER = "other"


@dataclass(frozen=True)
class IncomingFile:
    name: str
    platform_ref: str  # how the channel fetches it again (Telegram file_id, a path…)
    mime_type: str | None = None
    size: int | None = None


class FileTooLarge(Exception):
    """The file is bigger than the conversation accepts."""


class FileSource(Protocol):
    """How a channel fetches the bytes of a file someone sent (Telegram: getFile)."""

    async def fetch(self, file: IncomingFile, max_bytes: int) -> bytes:
        """The file's bytes; FileTooLarge beyond `max_bytes`."""
        ...


IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/bmp", "image/gif"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"})


def is_image(name: str, mime_type: str | None) -> bool:
    """A file that is a picture (read for codes), not a document (an import, a catalogue)."""
    if mime_type:
        return mime_type.casefold() in IMAGE_TYPES
    dot = name.rfind(".")
    return dot >= 0 and name[dot:].casefold() in IMAGE_SUFFIXES


@dataclass(frozen=True)
class IncomingMessage:
    channel: str
    chat_id: str
    user_id: str
    text: str = ""
    button: str | None = None  # data of the button the person pressed
    file: IncomingFile | None = None
    # A photo (or an image sent as a file) to read for QR codes and barcodes (issue 20).
    image: IncomingFile | None = None
    unsupported: Unsupported | None = None
    is_private: bool = True
    display_name: str | None = None

    @property
    def command(self) -> tuple[str, str] | None:
        """'/thutuc khai sinh' → ('thutuc', 'khai sinh'); '/start@MotCuaBot' → ('start', '')."""
        text = self.text.strip()
        if not text.startswith("/") or self.button is not None:
            return None
        head, _, rest = text[1:].partition(" ")
        name = head.split("@", 1)[0].casefold()
        return (name, rest.strip()) if name else None


@dataclass(frozen=True)
class Button:
    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode("utf-8")) > MAX_BUTTON_DATA:
            raise ValueError(f"button data over {MAX_BUTTON_DATA} bytes: {self.data!r}")


@dataclass(frozen=True)
class OutgoingFile:
    name: str
    content: bytes
    mime_type: str
    caption: str | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    file: OutgoingFile | None = None
    format: TextFormat = TextFormat.PLAIN
    # Replace the message whose button was pressed, where the channel can.
    edit: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


def split_reply(reply: Reply, limit: int = MAX_REPLY_CHARS) -> list[Reply]:
    """Split a long reply at paragraph, then line, boundaries; buttons stay on the last part."""
    if len(reply.text) <= limit:
        return [reply]
    parts: list[str] = []
    current = ""
    for block in _blocks(reply.text, limit):
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = block
    if current:
        parts.append(current)
    # Only the first part may replace the pressed message; buttons and file go with the last.
    replies = [replace(reply, text=part, buttons=(), file=None) for part in parts[:-1]]
    replies.append(replace(reply, text=parts[-1], edit=False))
    return replies


def _blocks(text: str, limit: int) -> list[str]:
    blocks: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            blocks.append(paragraph)
            continue
        line_block = ""
        for line in paragraph.split("\n"):
            while len(line) > limit:  # a single enormous line: cut at a space if there is one
                cut = line.rfind(" ", 0, limit)
                cut = cut if cut > limit // 2 else limit
                blocks.append(line[:cut])
                line = line[cut:].lstrip()
            candidate = f"{line_block}\n{line}" if line_block else line
            if len(candidate) <= limit:
                line_block = candidate
            else:
                blocks.append(line_block)
                line_block = line
        if line_block:
            blocks.append(line_block)
    return blocks
