"""A person when the bot cannot help: questions handed to an officer and answered in the chat.

A ticket ("HT-12/2026", numbered within the year) holds the person's question, what the bot
already knew (the last questions, the procedure shown, a dossier looked up — masked), and the
messages both ways. One officer holds it at a time (claiming is a conditional update: of two
officers pressing at once exactly one wins); they answer from their own chat, each message
relayed to the person under the office's name; they may pass it on, and close it.

While a ticket is open and the conversation not silent for longer than the setting, the bot does
not answer the person's free text itself: it hands it to the officer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.messages import OutgoingFile
from core.office_hours import OfficeHours

QUESTION_MIN_CHARS = 3
MESSAGE_MAX_CHARS = 2000
CONTEXT_QUESTIONS = 3  # the last questions a ticket carries


class TicketStatus(StrEnum):
    OPEN = "open"  # waiting for an officer, or held by one
    CLOSED = "closed"


class Author(StrEnum):
    CITIZEN = "citizen"
    OFFICER = "officer"


class ClosedBy(StrEnum):
    OFFICER = "officer"
    CITIZEN = "citizen"  # "Kết thúc hỏi cán bộ"
    ERASED = "erased"  # the person deleted their data (/xoadulieu)


@dataclass(frozen=True)
class OfficerRef:
    """An officer where they read the bot: their private chat (chat id = user id)."""

    channel: str
    user_id: str
    name: str | None = None

    def same(self, other: OfficerRef | None) -> bool:
        return other is not None and (self.channel, self.user_id) == (
            other.channel,
            other.user_id,
        )

    @property
    def label(self) -> str:
        return self.name or self.user_id


@dataclass(frozen=True)
class TicketContext:
    """What the bot knew when the person asked for an officer (nothing that is not masked)."""

    questions: tuple[str, ...] = ()
    procedure: str | None = None  # name of the procedure last shown
    dossier: str | None = None  # "code · procedure · masked name · status"

    def to_json(self) -> dict[str, Any]:
        return {
            "questions": list(self.questions),
            "procedure": self.procedure,
            "dossier": self.dossier,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> TicketContext:
        data = data or {}
        return cls(
            tuple(str(q) for q in data.get("questions") or ()),
            data.get("procedure"),
            data.get("dossier"),
        )

    @property
    def empty(self) -> bool:
        return not (self.questions or self.procedure or self.dossier)


@dataclass(frozen=True)
class Photo:
    name: str
    mime_type: str
    content: bytes = field(repr=False)

    def as_file(self, caption: str | None = None) -> OutgoingFile:
        return OutgoingFile(self.name, self.content, self.mime_type, caption)


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str  # "HT-12/2026": what the person and the officers quote
    channel: str | None  # None once the person erased their data
    chat_id: str | None
    status: TicketStatus
    context: TicketContext
    created_at: dt.datetime
    last_activity_at: dt.datetime
    officer: OfficerRef | None = None  # who holds it
    claimed_at: dt.datetime | None = None
    first_answer_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    closed_by: ClosedBy | None = None
    commune_id: str | None = None  # issue 19: the commune the person's chat chose

    @property
    def is_open(self) -> bool:
        return self.status is TicketStatus.OPEN

    def quiet(self, now: dt.datetime, silence: dt.timedelta) -> bool:
        """The bot leaves the person's free text to the officer: open, and not silent too long."""
        return self.is_open and now - self.last_activity_at < silence


@dataclass(frozen=True)
class TicketMessage:
    id: int
    ticket_id: int
    author: Author
    text: str  # "" once erased
    at: dt.datetime
    officer: OfficerRef | None = None
    photo: Photo | None = None


@dataclass(frozen=True)
class Claim:
    """The outcome of pressing "Nhận trả lời": who holds the ticket now, and whether it is us."""

    won: bool
    ticket: Ticket | None  # None: unknown ticket


def ticket_number(seq: int, year: int) -> str:
    return f"HT-{seq}/{year}"


# -- figures for /baocao -------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFigures:
    """Questions handed to officers in a period (by the day they were asked)."""

    received: int
    answered: int  # got an officer's first answer (by now)
    still_open: int  # not closed yet
    # Office time from the question to the officer's first answer (core.office_hours), for the
    # answered ones: the median and the 90th percentile (nearest rank).
    median: dt.timedelta | None
    p90: dt.timedelta | None


def nearest_rank(sorted_values: Sequence[dt.timedelta], p: float) -> dt.timedelta | None:
    """The p-th percentile by nearest rank: the smallest value with at least p % of the values at
    or below it (no interpolation: every figure is a time some person really waited)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def ticket_figures(tickets: Iterable[Ticket], hours: OfficeHours) -> TicketFigures:
    tickets = list(tickets)
    waits = sorted(
        hours.office_time_between(t.created_at, t.first_answer_at)
        for t in tickets
        if t.first_answer_at is not None
    )
    return TicketFigures(
        received=len(tickets),
        answered=len(waits),
        still_open=sum(1 for t in tickets if t.is_open),
        median=nearest_rank(waits, 50),
        p90=nearest_rank(waits, 90),
    )


def duration_text(delta: dt.timedelta) -> str:
    """ "1 giờ 05 phút", "12 phút", "dưới 1 phút"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "dưới 1 phút"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} giờ {minutes:02d} phút" if hours else f"{minutes} phút"
