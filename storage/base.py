"""What the conversations may ask of storage: a narrow interface, the SQL behind it.

Handlers and services depend on this Protocol only; `storage.sqlite` implements it, and a
PostgreSQL backend can be added beside it without touching a handler (the contract tests in
`tests/test_storage_contract.py` run against every backend).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from core.apologies import Apology
from core.catalogue.models import LawVersion
from core.dossiers import Dossier, DossierEvent, Status


@dataclass(frozen=True)
class ConversationKey:
    """Whose conversation: the same person in a group and in private has two."""

    channel: str
    chat_id: str
    user_id: str


@dataclass(frozen=True)
class ConversationState:
    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatRef:
    channel: str
    chat_id: str


@dataclass(frozen=True)
class Follow:
    dossier: Dossier
    label: str | None
    followed_at: dt.datetime


@dataclass(frozen=True)
class LookupView:
    recent_failures: int
    dossier: Dossier | None
    following: bool
    apology: Apology | None = None  # the latest, if the dossier was ever late


@dataclass(frozen=True)
class ApplyOutcome:
    """What applying a batch of dossiers from the one-stop software changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    notifications: int = 0
    apologies: tuple[IssuedApology, ...] = ()  # issued from rows carrying a delay reason


@dataclass(frozen=True)
class ApologyDraft:
    code_key: str
    reason: str
    new_due: dt.date
    issued_by: str  # officer's user id, or core.apologies.FROM_SOFTWARE
    issuer_name: str | None
    law_version: LawVersion
    number_suffix: str  # "VBXL": the apology is numbered "07/VBXL" within the year


@dataclass(frozen=True)
class IssuedApology:
    apology: Apology
    dossier: Dossier  # as it was before the new date
    followers: int  # how many chats will receive it


class Purpose(StrEnum):
    """Why a chat gave consent (Luật Bảo vệ dữ liệu cá nhân 2025: consent per purpose)."""

    FOLLOW_DOSSIER = "follow-dossier"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker: resent after a crash (the only duplicates)
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxMessage:
    """A message to deliver later, described by what it is about; rendered when sent."""

    dedupe_key: str  # one message per key, ever: a repeated import enqueues nothing
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    message: OutboxMessage
    attempts: int
    created_at: dt.datetime


class Storage(Protocol):
    # -- conversations --
    async def load_state(self, key: ConversationKey) -> ConversationState: ...

    async def save_state(
        self, key: ConversationKey, name: str | None, data: dict[str, Any], now: dt.datetime
    ) -> None: ...

    async def clear_state(self, key: ConversationKey) -> None: ...

    async def touch_chat(self, channel: str, chat_id: str, now: dt.datetime) -> bool:
        """Record that the chat wrote now; True if it is the chat's first message ever."""
        ...

    async def first_delivery(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an incoming update's id; False if it was handled before (a redelivery)."""
        ...

    async def forget_updates_before(self, moment: dt.datetime) -> int: ...

    # -- dossiers --
    async def get_dossier(self, code_key: str) -> Dossier | None: ...

    async def find_dossier(
        self, code_key: str, chat: ChatRef, failures_since: dt.datetime
    ) -> LookupView:
        """Everything a lookup needs in one query (its hot path): the chat's failed lookups
        since a moment, the dossier if the code exists, and whether the chat follows it."""
        ...

    async def get_dossiers(self, code_keys: Sequence[str]) -> dict[str, Dossier]: ...

    async def dossier_events(self, code_key: str, limit: int = 10) -> list[DossierEvent]:
        """The latest events, newest first."""
        ...

    async def event(self, event_id: int) -> DossierEvent | None: ...

    async def apply_dossiers(
        self,
        dossiers: Sequence[tuple[Dossier, str]],
        now: dt.datetime,
        source: str,
        apologies: Sequence[ApologyDraft] = (),
        max_extensions: int = 1,
    ) -> ApplyOutcome:
        """Upsert (dossier, row hash) pairs in one transaction: history for every change, and
        an outbox message for each active follower of each status change. A row whose hash is
        unchanged is skipped, so importing a file twice changes nothing and notifies nobody.
        `apologies` are issued in the same transaction, after the upserts (as `issue_apology`);
        a refused one (core.apologies.ApologyRefused) rolls the whole import back."""
        ...

    async def count_dossiers(self) -> int: ...

    # -- apologies (NĐ 61/2018 Điều 19 k.9) --
    async def issue_apology(
        self, draft: ApologyDraft, now: dt.datetime, max_extensions: int
    ) -> IssuedApology:
        """In one transaction: refuse a further extension (core.apologies.ApologyRefused),
        number the apology, set the new due date with its history, queue a message for each
        active follower."""
        ...

    async def get_apology(self, apology_id: int) -> Apology | None: ...

    async def apologies_for(self, code_key: str) -> list[Apology]: ...

    async def apologies_between(self, first: dt.date, last: dt.date) -> list[Apology]:
        """Apologies issued from `first` to `last` (inclusive), oldest first."""
        ...

    async def running_dossiers_due_by(
        self, day: dt.date, statuses: Sequence[Status]
    ) -> list[tuple[Dossier, int]]: ...

    async def job_last_day(self, job: str) -> dt.date | None: ...

    async def record_job_day(self, job: str, day: dt.date, now: dt.datetime) -> None: ...

    # -- follows and consent --
    async def follow(
        self, chat: ChatRef, code_key: str, label: str | None, consent_text: str, now: dt.datetime
    ) -> None:
        """Link the chat to the dossier and record the consent it gave, in one transaction."""
        ...

    async def unfollow(self, chat: ChatRef, code_key: str, now: dt.datetime) -> bool: ...

    async def follows(self, chat: ChatRef) -> list[Follow]:
        """The dossiers an (active) chat follows, oldest first."""
        ...

    async def is_following(self, chat: ChatRef, code_key: str) -> bool: ...

    async def deactivate_chat(self, chat: ChatRef) -> None:
        """The platform says the chat is gone (blocked the bot): stop sending to it."""
        ...

    async def forget_chat(self, chat: ChatRef) -> None:
        """Delete everything the bot holds about a chat (the dossiers belong to the office)."""
        ...

    # -- lookups --
    async def record_lookup_failure(self, chat: ChatRef, now: dt.datetime) -> None: ...

    async def lookup_failures_since(self, chat: ChatRef, since: dt.datetime) -> int: ...

    # -- outbox --
    async def enqueue(self, messages: Sequence[OutboxMessage], now: dt.datetime) -> int:
        """Add messages (a known dedupe key is skipped); returns how many were added."""
        ...

    async def claim_due(
        self,
        now: dt.datetime,
        limit: int,
        channels: Sequence[str] | None = None,
        chat: ChatRef | None = None,
    ) -> list[OutboxItem]:
        """Mark up to `limit` due messages (of these channels, or of one chat) as sending and
        return them, oldest first."""
        ...

    async def mark_sent(self, item_id: int, message_id: str | None, now: dt.datetime) -> None: ...

    async def mark_retry(self, item_id: int, error: str, next_attempt: dt.datetime) -> None: ...

    async def mark_failed(self, item_id: int, error: str, now: dt.datetime) -> None: ...

    async def recover_in_flight(self, channels: Sequence[str] | None = None) -> int:
        """After a crash: messages left `sending` go back to pending (they may be resent)."""
        ...

    async def outbox_counts(self) -> dict[OutboxStatus, int]: ...

    async def close(self) -> None: ...
