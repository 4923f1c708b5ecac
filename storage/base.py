"""What the conversations may ask of storage: small interfaces per area, the SQL behind them.

Each area (conversations, chats, dossiers, follows, apologies, outbox, officers, broadcasts,
care, reports, jobs, Zalo, receipt links, tickets) is its own Protocol. Handlers and services reach
storage through `Stores`, one attribute per area, so every call names the area it depends on and
a function can ask for only the areas it uses (`OutboxStore`, `ZaloStore`…). A backend
(`storage.sqlite`) implements them all as one `Storage`; the contract tests in
`tests/test_storage_contract.py` run against every backend and exercise every method of every
area.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from core.apologies import Apology
from core.broadcasts import AudienceSizes, Broadcast, BroadcastDraft, BroadcastProgress
from core.care import Feedback, Rating, Volunteer
from core.catalogue.models import LawVersion
from core.dossiers import Dossier, DossierEvent, Status
from core.lookup_limits import FailureCounts, FailureWindows
from core.officers import AuditEntry, Officer
from core.outbox import OutboxKind
from core.report import ReportData, ReportDossier
from core.slips import LinkedDossier
from core.tickets import Claim, ClosedBy, OfficerRef, Photo, Ticket, TicketContext, TicketMessage


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
    NOTICES = "notices"  # the office's broadcasts (/dangkythongbao)
    VOLUNTEER = "volunteer"  # a volunteer's registration (name, team, hamlet) and access


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker: resent after a crash (the only duplicates)
    # Waits for the person's next message (a reply outside Zalo's free window, issue 21).
    HELD = "held"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a cancelled broadcast's messages not yet sent: never sent


@dataclass(frozen=True)
class OutboxMessage:
    """A message to deliver later, described by what it is about; rendered when sent."""

    dedupe_key: str  # one message per key, ever: a repeated import enqueues nothing
    channel: str
    chat_id: str
    kind: OutboxKind
    payload: dict[str, Any]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    message: OutboxMessage
    attempts: int
    created_at: dt.datetime


# -- Zalo Official Account (used only by the Zalo adapter) --


@dataclass(frozen=True)
class InboxEvent:
    """A webhook event as stored before it was acknowledged (raw JSON text)."""

    event_key: str
    user_id: str  # the chat's id (Zalo: the person's)
    payload: str
    received_at: dt.datetime | None = None  # from the inbox's claims (issue 18)


@dataclass(frozen=True)
class ZaloFollower:
    user_id: str
    followed: bool
    last_interaction: dt.datetime | None
    cs_sent: int  # consultation messages sent since the last interaction
    choices: tuple[str, ...] = ()  # button tokens of the last numbered list
    last_message_id: str | None = None  # the person's last message: replies refer to it


@dataclass(frozen=True)
class ZaloTokens:
    access_token: str
    refresh_token: str  # single use: replaced by every refresh
    expires_at: dt.datetime
    # Fingerprint of the configured refresh token these descend from: new settings re-seed.
    seed: str | None = None


class ConversationStore(Protocol):
    """Each conversation's current step, and incoming updates already handled."""

    async def load_state(self, key: ConversationKey) -> ConversationState: ...

    async def save_state(
        self, key: ConversationKey, name: str | None, data: dict[str, Any], now: dt.datetime
    ) -> None: ...

    async def clear_state(self, key: ConversationKey) -> None: ...

    async def first_delivery(self, channel: str, update_id: str, now: dt.datetime) -> bool:
        """Record an incoming update's id; False if it was handled before (a redelivery)."""
        ...

    async def forget_updates_before(self, moment: dt.datetime) -> int: ...


class ChatStore(Protocol):
    """A chat as a whole: its first message, the platform saying it is gone, erasing it."""

    async def touch_chat(self, channel: str, chat_id: str, now: dt.datetime) -> bool:
        """Record that the chat wrote now; True if it is the chat's first message ever."""
        ...

    async def deactivate_chat(self, chat: ChatRef) -> None:
        """The platform says the chat is gone (blocked the bot): stop sending to it."""
        ...

    async def set_chat_commune(self, chat: ChatRef, commune_id: str | None) -> None:
        """Issue 19: the commune the chat chose for guidance (None: forget the choice)."""
        ...

    async def chat_commune(self, chat: ChatRef) -> str | None: ...

    async def forget_chat(self, chat: ChatRef) -> None:
        """Delete everything the bot holds about a chat, in every area, in one transaction
        (the dossiers belong to the office; ratings and feedback stay for its figures and
        records, unlinked from the chat)."""
        ...


class DossierStore(Protocol):
    """Dossiers imported from the one-stop software, their history, and failed lookups."""

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

    async def assign_communes(
        self, agencies: Sequence[tuple[str, str]], rest: str | None = None
    ) -> int:
        """Issue 19: dossiers without a commune get the one of their code's agency segment
        (`agencies`: (core.receipt_codes.agency_key, commune id)), then any left `rest` if
        given; returns how many. Done in short batches: once at start-up after the upgrade."""
        ...

    async def record_lookup_failure(
        self,
        chat: ChatRef,
        now: dt.datetime,
        user_id: str | None = None,
        code_key: str | None = None,
    ) -> None:
        """A failed lookup by this chat (and channel user) about this code (existing or not)."""
        ...

    async def lookup_failures_since(self, chat: ChatRef, since: dt.datetime) -> int: ...

    async def lookup_failures(
        self, chat: ChatRef, user_id: str, code_key: str, since: FailureWindows
    ) -> FailureCounts:
        """Failed lookups since each window's start: by this chat, by this user on the chat's
        channel, about this code from anywhere, and by everyone (core.lookup_limits)."""
        ...

    async def forget_lookup_failures_before(self, moment: dt.datetime) -> int:
        """Delete failures older than every window (the hourly chore); returns how many."""
        ...


class FollowStore(Protocol):
    """Chats following dossiers, the names volunteers give them, and consents."""

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

    async def label_follow(self, chat: ChatRef, code_key: str, label: str) -> bool:
        """A volunteer names a followed dossier; False if the chat does not follow it."""
        ...

    async def follow_label(self, chat: ChatRef, code_key: str) -> str | None:
        """The name a volunteer gave a followed dossier, if any."""
        ...

    async def record_consent(
        self, chat: ChatRef, purpose: Purpose, detail: str, now: dt.datetime
    ) -> None: ...

    async def has_dossier_consent(self, chat: ChatRef, purpose: Purpose, code_key: str) -> bool:
        """A consent of this purpose whose detail names the dossier ("<code key>: …"), given
        and not withdrawn (unfollowing or unlinking withdraws it)."""
        ...


class ApologyStore(Protocol):
    """Apologies for late dossiers (NĐ 61/2018 Điều 19 k.9)."""

    async def issue_apology(
        self, draft: ApologyDraft, now: dt.datetime, max_extensions: int
    ) -> IssuedApology:
        """In one transaction: refuse a further extension (core.apologies.ApologyRefused),
        number the apology, set the new due date with its history, queue a message for each
        active follower."""
        ...

    async def get_apology(self, apology_id: int) -> Apology | None: ...

    async def apologies_for(self, code_key: str) -> list[Apology]: ...

    async def apologies_between(
        self, first: dt.date, last: dt.date, commune_id: str | None = None
    ) -> list[Apology]:
        """Apologies issued from `first` to `last` (inclusive), oldest first; issue 19: of one
        commune's dossiers when `commune_id` is given (so for the two below)."""
        ...

    async def running_dossiers_due_by(
        self, day: dt.date, statuses: Sequence[Status], commune_id: str | None = None
    ) -> list[tuple[Dossier, int]]: ...

    async def repeated_supplements(
        self, more_than: int, limit: int, commune_id: str | None = None
    ) -> list[Dossier]:
        """Unfinished dossiers asked to supplement more than `more_than` times (core.waiting),
        oldest first."""
        ...


class OutboxStore(Protocol):
    """Every notification is a row before it is a message on the wire."""

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
        return them, oldest first. A row of a kind this version does not know (`OutboxKind`) is
        marked failed instead, and not returned."""
        ...

    async def mark_sent(self, item_id: int, message_id: str | None, now: dt.datetime) -> None: ...

    async def mark_retry(self, item_id: int, error: str, next_attempt: dt.datetime) -> None: ...

    async def mark_failed(self, item_id: int, error: str, now: dt.datetime) -> None: ...

    async def mark_cancelled(self, item_id: int, now: dt.datetime) -> None:
        """A claimed message that must not go out after all (its broadcast was cancelled)."""
        ...

    async def mark_held(self, item_id: int, reason: str, now: dt.datetime) -> None:
        """A claimed message that must wait for the person's next message (`release_held`)."""
        ...

    async def release_held(self, chat: ChatRef, now: dt.datetime) -> int:
        """The person wrote: the chat's held messages are due now; returns how many."""
        ...

    async def recover_in_flight(self, channels: Sequence[str] | None = None) -> int:
        """After a crash: messages left `sending` go back to pending (they may be resent)."""
        ...

    async def outbox_counts(self) -> dict[OutboxStatus, int]: ...

    async def oldest_unsent(self) -> dt.datetime | None:
        """When the oldest message still to send (pending or in flight) was queued (/metrics)."""
        ...


class OfficerStore(Protocol):
    """Officers added in the chat, and the audit log of officers' actions."""

    async def officers(self) -> list[Officer]:
        """Officers added in the chat, every channel (admins are in the settings)."""
        ...

    async def add_officer(self, officer: Officer, audit: AuditEntry) -> bool:
        """Add (or rename) an officer and record the audit line, in one transaction; True if
        the officer is new."""
        ...

    async def remove_officer(self, channel: str, user_id: str, audit: AuditEntry) -> bool:
        """Remove an officer and record the audit line; False (nothing recorded) if unknown."""
        ...

    async def record_audit(self, entry: AuditEntry) -> None: ...

    async def audit_entries(
        self, limit: int, offset: int = 0, commune_id: str | None = None
    ) -> list[AuditEntry]:
        """The audit log, newest first."""
        ...


class BroadcastStore(Protocol):
    """Subscriptions to the office's notices, and broadcasts."""

    async def subscribe(
        self, chat: ChatRef, topic: str, consent_text: str, now: dt.datetime
    ) -> None:
        """Subscribe to a field's notices or to all (core.broadcasts.ALL_TOPICS, which replaces
        the fields; a field is then already included) and record the consent, in one
        transaction."""
        ...

    async def unsubscribe(self, chat: ChatRef, now: dt.datetime) -> int:
        """Stop every subscription and withdraw the consent; returns how many there were."""
        ...

    async def subscriptions(self, chat: ChatRef) -> list[str]:
        """The chat's active topics, sorted."""
        ...

    async def audience_sizes(self, communes: Sequence[str] = ()) -> AudienceSizes:
        """Issue 19 point 7: of the chats of these communes (empty: every chat)."""
        ...

    async def create_broadcast(
        self, draft: BroadcastDraft, audit: AuditEntry, now: dt.datetime
    ) -> Broadcast:
        """In one transaction: the broadcast, one outbox message per subscriber of its audience
        (each chat once), the audit line. Raises core.broadcasts.NoRecipients (nothing stored)
        when the audience is empty."""
        ...

    async def get_broadcast(self, broadcast_id: int) -> Broadcast | None: ...

    async def broadcast_progress(self, broadcast_id: int) -> BroadcastProgress: ...

    async def recent_broadcasts(
        self, limit: int, commune_id: str | None = None
    ) -> list[tuple[Broadcast, BroadcastProgress]]:
        """The latest broadcasts, newest first, with their progress (issue 19: those sent to
        one commune only, when `commune_id` is given)."""
        ...

    async def cancel_broadcast(
        self, broadcast_id: int, audit: AuditEntry, now: dt.datetime
    ) -> int | None:
        """Mark the messages not yet claimed as cancelled (never sent) and record the audit
        line; returns how many, or None for an unknown or already cancelled broadcast."""
        ...

    async def finish_broadcasts(self, broadcast_ids: Sequence[int], now: dt.datetime) -> list[int]:
        """For each broadcast with nothing left to send and no report yet: queue the final
        report to the officer who sent it (once). Returns the ids reported."""
        ...


class CareStore(Protocol):
    """Issue 7: ratings, feedback, volunteers, reminders, unlinking finished dossiers."""

    async def save_rating(self, chat: ChatRef, rating: Rating) -> bool:
        """False (nothing stored) if this chat rated the dossier already."""
        ...

    async def has_rated(self, chat: ChatRef, code_key: str) -> bool: ...

    async def ratings_between(self, first: dt.date, last: dt.date) -> list[Rating]: ...

    async def create_feedback(
        self, chat: ChatRef, text: str, now: dt.datetime, officers: Sequence[ChatRef]
    ) -> Feedback:
        """Number it within the year and queue a notice to each officer chat, atomically."""
        ...

    async def get_feedback(self, feedback_id: int) -> Feedback | None: ...

    async def feedback_items(
        self, answered: bool, limit: int, commune_id: str | None = None
    ) -> list[Feedback]:
        """Issue 19: `commune_id` keeps one commune's (None: every commune's)."""
        ...

    async def feedback_between(self, first: dt.date, last: dt.date) -> list[Feedback]: ...

    async def answer_feedback(
        self, feedback_id: int, answer: str, audit: AuditEntry, now: dt.datetime
    ) -> Feedback | None:
        """Store the answer once, queue it to the person, log it; None if unknown or answered."""
        ...

    async def request_volunteer(
        self, volunteer: Volunteer, now: dt.datetime, officers: Sequence[ChatRef]
    ) -> None: ...

    async def get_volunteer(self, channel: str, user_id: str) -> Volunteer | None: ...

    async def volunteers(self, commune_id: str | None = None) -> list[Volunteer]:
        """Issue 19: `commune_id` keeps one commune's (None: every commune's)."""
        ...

    async def decide_volunteer(
        self, channel: str, user_id: str, approve: bool, audit: AuditEntry, now: dt.datetime
    ) -> Volunteer | None:
        """Decide a pending request, tell the volunteer, log it; None if none is pending."""
        ...

    async def queue_ready_reminders(self, first: dt.date, last: dt.date, now: dt.datetime) -> int:
        """One reminder per following chat, ever, for results waiting to be collected whose
        appointment day is within `first`..`last`."""
        ...

    async def unlink_finished_before(
        self, moment: dt.datetime, now: dt.datetime, batch: int = 50
    ) -> int:
        """Unlink chats from dossiers finished before `moment`; returns how many links. A
        daily chore: it works `batch` follows per transaction, so replies never wait long."""
        ...


class ReportStore(Protocol):
    """The quarterly figures' data, and the catalogue's history they count."""

    async def report_data(
        self, first: dt.date, last: dt.date, commune_id: str | None = None
    ) -> ReportData:
        """For the figures of `first`..`last` (inclusive): every dossier received before the end
        and not finished before the start, with its resolution moments and apologies; and the
        procedure of each apology issued in the period (core.report counts them); and the
        catalogue's changes in the period. Issue 19: only the dossiers of `commune_id` if given;
        each row and apology carries its commune (`ReportData.by_commune`)."""
        ...

    async def scan_report(
        self,
        first: dt.date,
        last: dt.date,
        each: Callable[[list[ReportDossier]], None],
        commune_id: str | None = None,
        batch: int = ...,
    ) -> ReportData:
        """As `report_data`, but the dossiers are handed to `each` `batch` at a time (in the
        same snapshot as the rest) and not kept: the returned data's `dossiers` is empty. A
        province's year is millions of dossiers (issue 19): `core.report.Tally` counts them."""
        ...

    async def record_catalogue_changes(
        self, changes: Sequence[tuple[str, str]], source: str, now: dt.datetime
    ) -> None:
        """(procedure id, "added" | "changed" | "removed") of a catalogue just installed."""
        ...


class JobStore(Protocol):
    """Bookkeeping of the daily jobs: the last day each one ran."""

    async def job_last_day(self, job: str) -> dt.date | None: ...

    async def record_job_day(self, job: str, day: dt.date, now: dt.datetime) -> None: ...

    def exclusively(self, job: str) -> AbstractAsyncContextManager[bool]:
        """`async with storage.jobs.exclusively(job) as mine:` mine is True in one process at a
        time (PostgreSQL: an advisory lock, released at the end of the block or when the
        process dies); the others get False at once and skip the job (issue 18)."""
        ...


class ZaloStore(Protocol):
    """Zalo Official Account: the webhook inbox, followers and their reply window, button
    tokens, OAuth tokens (used only by the Zalo adapter)."""

    async def inbox_add(self, event_key: str, user_id: str, payload: str, now: dt.datetime) -> bool:
        """Store a webhook event, returning once it is durable; False if its key was stored
        before (a redelivery). Concurrent calls may be committed together."""
        ...

    async def inbox_pending(self, limit: int, per_user: int | None = None) -> list[InboxEvent]:
        """Events not processed yet, round-robin across people: everyone's oldest first, then
        everyone's second… (each person's in order), at most `per_user` of one person."""
        ...

    async def inbox_done(
        self,
        event_keys: Sequence[str],
        now: dt.datetime,
        error: str | None = None,
        *,
        keep_payload: bool = True,
    ) -> None:
        """Handled (or failed, with the error): never returned as pending again. Without
        `keep_payload` the event's text is dropped (a photo's address: issue 20), its key kept."""
        ...

    async def inbox_counts(self) -> dict[str, int]: ...

    async def forget_inbox_before(self, moment: dt.datetime) -> int:
        """Delete handled events received before `moment`; pending ones always stay."""
        ...

    async def zalo_interaction(
        self, user_id: str, now: dt.datetime, message_id: str | None = None
    ) -> None:
        """The person wrote: the free reply window starts again (replies refer to `message_id`)."""
        ...

    async def zalo_set_followed(self, user_id: str, followed: bool, now: dt.datetime) -> None: ...

    async def zalo_follower(self, user_id: str) -> ZaloFollower | None: ...

    async def forget_zalo_user(self, user_id: str) -> None:
        """Delete the person's follower row and the text of their handled events (part of
        `forget_chat` for a Zalo chat)."""
        ...

    async def zalo_count_cs(self, user_id: str, sent: int = 1) -> None: ...

    async def zalo_set_choices(self, user_id: str, tokens: Sequence[str]) -> None: ...

    async def zalo_save_buttons(
        self, buttons: Sequence[tuple[str, str, str]], now: dt.datetime
    ) -> None: ...

    async def zalo_button(self, token: str) -> tuple[str, str] | None: ...

    async def zalo_tokens(self) -> ZaloTokens | None: ...

    async def zalo_save_tokens(self, tokens: ZaloTokens, now: dt.datetime) -> None:
        """Write both tokens atomically (the refresh token is single-use)."""
        ...


class WorkerStore(Protocol):
    """Issue 18: what several worker processes share (PostgreSQL; SQLite runs them in one).

    The inbox: Telegram's updates stored by the process that receives them (deduplicated by
    update id) and answered by any worker; Zalo's events are in Zalo's inbox (`ZaloStore`),
    and both are handed out the same way: a worker leases a chat, handles its messages one at a
    time in arrival order, and releases it; a lease not renewed expires, and another worker
    takes the chat over (a killed worker's messages are not lost). Named leases elect one
    process for a task (one sender per channel). Notices wake the other processes (new work,
    a new catalogue)."""

    async def add_update(
        self, channel: str, event_id: str, chat_id: str, payload: str, now: dt.datetime
    ) -> bool:
        """Store an update; False if its id was stored before (a redelivery)."""
        ...

    async def claim_chats(
        self, channel: str, worker: str, now: dt.datetime, until: dt.datetime, limit: int
    ) -> list[str]:
        """Lease to `worker` (until `until`) up to `limit` chats of `channel` with a message
        waiting and no live lease, oldest message first; their ids."""
        ...

    async def chat_events(self, channel: str, chat_id: str, limit: int) -> list[InboxEvent]:
        """The chat's waiting messages, oldest first (Zalo's from its inbox)."""
        ...

    async def finish_update(
        self, channel: str, event_id: str, now: dt.datetime, error: str | None = None
    ) -> None:
        """An inbox update handled (or failed, with the error): not handed out again."""
        ...

    async def release_chat(self, channel: str, chat_id: str, worker: str) -> bool:
        """End the chat's lease (if still this worker's) unless a message is waiting: True
        when it ended, False when there is more to handle (one trip for both questions)."""
        ...

    async def take_lease(
        self, name: str, worker: str, now: dt.datetime, until: dt.datetime
    ) -> bool:
        """Hold the named lease until `until` if it is free, expired or already ours."""
        ...

    async def renew_leases(self, worker: str, until: dt.datetime) -> int:
        """Every lease `worker` holds now runs until `until`; how many it holds."""
        ...

    async def drop_leases(self, worker: str) -> int:
        """A worker stopping cleanly hands everything back at once."""
        ...

    async def inbox_depth(self) -> dict[str, tuple[int, dt.datetime | None]]:
        """Per channel: messages waiting, and when the oldest arrived."""
        ...

    async def forget_handled_before(self, moment: dt.datetime) -> int:
        """Handled inbox updates older than `moment` (their ids kept long enough to refuse a
        redelivery)."""
        ...

    async def notify(self, topic: str, payload: str = "") -> None:
        """Tell every process listening on `topic` (PostgreSQL NOTIFY; in SQLite, this one)."""
        ...

    async def listen(self, topic: str, callback: Callable[[str], None]) -> None:
        """Call `callback(payload)` for each notice on `topic` (until storage is closed)."""
        ...


class LinkStore(Protocol):
    """The receipt's QR (issue 20; handlers/slips.py and bot/status_page.py): the hashes of the
    tokens printed on slips, and the short-lived follow codes shown on the status page. Only
    SHA-256 hashes are stored, never a token or a code."""

    async def add_dossier_links(self, links: Sequence[tuple[str, str]], now: dt.datetime) -> None:
        """Store (token hash, code_key) pairs, all in one transaction."""
        ...

    async def linked_dossier(self, token_hash: str) -> LinkedDossier | None:
        """The dossier a token leads to (revoked or not: the caller decides), or None."""
        ...

    async def revoke_dossier_links(self, code_key: str, now: dt.datetime) -> int:
        """Every token of this dossier stops working; returns how many were still valid."""
        ...

    async def add_follow_code(
        self, code_hash: str, token_hash: str, expires_at: dt.datetime, now: dt.datetime
    ) -> None: ...

    async def followed_by_code(self, code_hash: str, now: dt.datetime) -> LinkedDossier | None:
        """The dossier behind an unexpired follow code, with its token's state; else None."""
        ...

    async def forget_follow_codes_before(self, moment: dt.datetime) -> int:
        """Delete follow codes that expired before `moment`."""
        ...

    async def dossiers_received_between(
        self, start: dt.datetime, end: dt.datetime, commune_id: str | None = None
    ) -> list[Dossier]:
        """Dossiers received in [start, end), in order of receipt (the day's sheet of slips);
        issue 19: of one commune when `commune_id` is given."""
        ...


class TicketStore(Protocol):
    """Issue 21: questions handed to an officer, and the messages both ways."""

    async def open_ticket(
        self,
        chat: ChatRef,
        text: str,
        photo: Photo | None,
        context: TicketContext,
        now: dt.datetime,
        officers: Sequence[ChatRef],
    ) -> tuple[Ticket, bool]:
        """In one transaction: number the ticket within the year, store the first message, queue
        a notice to each officer chat. A chat has one open ticket at most: when it has one
        already, that ticket is returned with False and nothing is stored."""
        ...

    async def chat_ticket(self, chat: ChatRef) -> Ticket | None:
        """The chat's open ticket, if any (asked for each free-text message: one indexed row)."""
        ...

    async def get_ticket(self, ticket_id: int) -> Ticket | None: ...

    async def ticket_messages(self, ticket_id: int) -> list[TicketMessage]:
        """Oldest first."""
        ...

    async def ticket_message(self, message_id: int) -> TicketMessage | None: ...

    async def add_citizen_message(
        self, ticket_id: int, text: str, photo: Photo | None, now: dt.datetime
    ) -> TicketMessage | None:
        """Append what the person wrote and, when an officer holds the ticket, queue it to them;
        None if the ticket is closed."""
        ...

    async def touch_ticket(self, ticket_id: int, now: dt.datetime) -> None:
        """The person came back to an open ticket: the silence starts again."""
        ...

    async def claim_ticket(self, ticket_id: int, officer: OfficerRef, audit: AuditEntry) -> Claim:
        """One conditional update in one transaction with its audit line: of officers claiming
        at once exactly one wins; a ticket held already is won again only by its holder (no
        audit line then). `won` False: `ticket` says who holds it (or that it is closed)."""
        ...

    async def add_officer_message(
        self,
        ticket_id: int,
        officer: OfficerRef,
        text: str,
        photo: Photo | None,
        audit: AuditEntry,
    ) -> TicketMessage | None:
        """The holder's message: stored, queued to the person (unless they erased their data),
        the first answer's time kept, the audit line written, atomically. None (nothing stored)
        if the ticket is closed or held by someone else."""
        ...

    async def pass_ticket(
        self, ticket_id: int, holder: OfficerRef, to: OfficerRef, audit: AuditEntry
    ) -> Ticket | None:
        """Hand an open ticket from its holder to another officer, who is told; None if the
        ticket is closed or not held by `holder`."""
        ...

    async def close_ticket(
        self,
        ticket_id: int,
        closed_by: ClosedBy,
        now: dt.datetime,
        *,
        officer: OfficerRef | None = None,
        chat: ChatRef | None = None,
        audit: AuditEntry | None = None,
    ) -> Ticket | None:
        """Close an open ticket: by its holder (`officer`; the person is told) or by the person
        (`chat`; the holder is told). None if closed already or not theirs to close."""
        ...

    async def open_tickets(self, limit: int, commune_id: str | None = None) -> list[Ticket]:
        """Open tickets, oldest first (issue 19: of one commune, or of every one)."""
        ...

    async def count_open_tickets(self, commune_id: str | None = None) -> int: ...

    async def tickets_between(self, first: dt.date, last: dt.date) -> list[Ticket]:
        """Tickets asked from `first` to `last` (inclusive), for the report."""
        ...


class Stores(Protocol):
    """One backend seen area by area (`services.storage.outbox.claim_due(…)`): what handlers
    and services get. A function that needs only some areas asks for those protocols."""

    @property
    def conversations(self) -> ConversationStore: ...

    @property
    def chats(self) -> ChatStore: ...

    @property
    def dossiers(self) -> DossierStore: ...

    @property
    def follows(self) -> FollowStore: ...

    @property
    def apologies(self) -> ApologyStore: ...

    @property
    def outbox(self) -> OutboxStore: ...

    @property
    def officers(self) -> OfficerStore: ...

    @property
    def broadcasts(self) -> BroadcastStore: ...

    @property
    def care(self) -> CareStore: ...

    @property
    def reports(self) -> ReportStore: ...

    @property
    def jobs(self) -> JobStore: ...

    @property
    def zalo(self) -> ZaloStore: ...

    @property
    def links(self) -> LinkStore: ...

    @property
    def tickets(self) -> TicketStore: ...

    @property
    def workers(self) -> WorkerStore: ...


class Storage(Stores, Protocol):
    """A whole backend, with its lifecycle: held by the start-up code (`bot.app`), the
    command-line tools and the contract tests."""

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...


# Every area by the name `Stores` gives it (the contract tests check each method is exercised).
AREAS: dict[str, type] = {
    "conversations": ConversationStore,
    "chats": ChatStore,
    "dossiers": DossierStore,
    "follows": FollowStore,
    "apologies": ApologyStore,
    "outbox": OutboxStore,
    "officers": OfficerStore,
    "broadcasts": BroadcastStore,
    "care": CareStore,
    "reports": ReportStore,
    "jobs": JobStore,
    "zalo": ZaloStore,
    "links": LinkStore,
    "tickets": TicketStore,
    "workers": WorkerStore,
}
