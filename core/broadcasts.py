"""Notices the office sends to the people who subscribed (broadcasts), and their audience.

A chat subscribes to every notice (`ALL_TOPICS`) or to chosen fields of the catalogue (by the
field's slug, "ho-tich"). A broadcast goes to everyone subscribed, or to one field's audience:
the people who chose that field and those who chose everything, or to the approved volunteers
(`VOLUNTEERS`: the community digital-technology teams, whether they subscribed or not — they
help the office, and what changes is what they explain to people).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ALL_TOPICS = "*"
VOLUNTEERS = "@tinh-nguyen-vien"  # not a field's slug: slugs have no "@"

# Where the officer must write what the catalogue does not know (a decision's number and date).
# A broadcast cannot be sent while its text still carries this mark: the bot never invents one.
TO_FILL = "[CẦN ĐIỀN"

MAX_TEXT = 3000  # one Telegram message with the header and footer


class NoRecipients(Exception):
    """Nobody is subscribed to this audience (any more): nothing was queued."""


@dataclass(frozen=True)
class BroadcastDraft:
    text: str
    topic: str  # ALL_TOPICS, a field slug or VOLUNTEERS
    procedure_id: str | None  # the procedure the notice is about, if prefilled from one
    channel: str  # where the officer confirmed it ("cli" from the command line)
    created_by: str
    creator_name: str | None
    report_chat: str | None  # the officer's chat on `channel`, told when all is sent
    # Issue 19 point 7: the communes whose subscribers receive it (their chats' commune); empty:
    # the whole province (a province of one: always).
    communes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Broadcast:
    id: int
    text: str
    topic: str
    procedure_id: str | None
    channel: str
    created_by: str
    creator_name: str | None
    report_chat: str | None
    created_at: dt.datetime
    recipients: int
    cancelled_at: dt.datetime | None = None
    reported_at: dt.datetime | None = None
    communes: tuple[str, ...] = ()  # issue 19: empty = the whole province

    @property
    def commune_id(self) -> str | None:
        """The one commune it went to (its officers may follow and cancel it), else None."""
        return self.communes[0] if len(self.communes) == 1 else None


@dataclass(frozen=True)
class BroadcastProgress:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def left(self) -> int:
        return self.pending + self.sending

    @property
    def done(self) -> bool:
        return self.left == 0


@dataclass(frozen=True)
class AudienceSizes:
    """How many chats each audience reaches now."""

    everyone: int  # distinct chats subscribed to anything
    all_topics: int  # chats subscribed to every notice
    by_field: dict[str, int]  # chats subscribed to this field only (not counting all_topics)
    volunteers: int = 0  # chats of approved volunteers

    def size(self, topic: str) -> int:
        if topic == ALL_TOPICS:
            return self.everyone
        if topic == VOLUNTEERS:
            return self.volunteers
        return self.by_field.get(topic, 0) + self.all_topics
