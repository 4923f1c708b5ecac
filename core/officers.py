"""Officers' roles and the audit log of what they did.

Two roles. Admins are the ids in the settings (`OFFICER_IDS`), each with its channel
(`telegram:123`, `zalo:456`): a Zalo user whose number equals a Telegram admin's is not an admin.
They manage the other officers and read the audit log. Officers are added and removed in the
chat by an admin (`/canbo`), per channel, and use the desk's commands (apologies, broadcasts).
Every action an officer takes on behalf of the office is one line of the audit log.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

# A bare number in OFFICER_IDS is read as a Telegram id (what the setting meant before ids
# carried their channel), with a warning.
DEFAULT_ID_CHANNEL = "telegram"
# Channels whose person sits at the bot's own machine (the terminal chat, `--user-id N`): whoever
# runs it can read the database anyway, so any admin id is accepted there.
LOCAL_CHANNELS = frozenset({"console"})
# `channel:id`, and after `@` the commune the officer belongs to (issue 19; none: the province).
_ENTRY = re.compile(
    r"^(?:([a-z][a-z0-9_-]{0,19}):)?([0-9A-Za-z_.-]{1,64})(?:@([a-z0-9]+(?:-[a-z0-9]+)*))?$"
)


class OutOfScope(Exception):
    """An officer of one commune acted on another commune's dossier, ticket, feedback or
    volunteer: the route's runner (handlers.routing.run) answers one polite refusal, nothing
    done."""


@dataclass(frozen=True)
class Scope:
    """What an officer acts on (issue 19): one commune, or the whole province (`commune_id`
    None: the province's officers, and every officer of a province of one). Derived once per
    message (`Context.scope`); storage queries take `commune_id` as their filter."""

    commune_id: str | None = None

    @property
    def province(self) -> bool:
        return self.commune_id is None

    def covers(self, commune_id: str | None) -> bool:
        """May the officer act on something of this commune? ('' or None: not assigned yet,
        only the province's officers.)"""
        return self.commune_id is None or commune_id == self.commune_id

    def check(self, commune_id: str | None) -> None:
        if not self.covers(commune_id):
            raise OutOfScope(commune_id)

    def narrowed(self, commune_id: str | None) -> Scope:
        """A province officer acting for one commune (an argument, a pick); a commune's officer
        stays in their own commune (asking for another is refused)."""
        if commune_id is None:
            return self
        self.check(commune_id)
        return Scope(commune_id)


PROVINCE = Scope()


@dataclass(frozen=True)
class Officer:
    """An officer added in the chat (admins come from the settings and are not stored)."""

    channel: str
    user_id: str
    name: str | None
    added_by: str
    added_at: dt.datetime
    commune_id: str | None = None  # issue 19: the commune the officer belongs to; None: province


class AuditAction(StrEnum):
    APOLOGY_ISSUED = "apology-issued"
    BROADCAST_SENT = "broadcast-sent"
    BROADCAST_CANCELLED = "broadcast-cancelled"
    OFFICER_ADDED = "officer-added"
    OFFICER_REMOVED = "officer-removed"
    DOSSIERS_IMPORTED = "dossiers-imported"
    CATALOGUE_UPDATED = "catalogue-updated"
    STATUS_UPDATED = "status-updated"
    FEEDBACK_ANSWERED = "feedback-answered"  # issue 7
    VOLUNTEER_DECIDED = "volunteer-decided"
    VOLUNTEER_LOOKUP = "volunteer-lookup"  # a volunteer looked up a dossier for someone
    VOLUNTEER_NAME_CONSENT = "volunteer-name-consent"  # the person let a volunteer see it
    SLIPS_PRINTED = "slips-printed"  # issue 20: slips with a QR (new links)
    LINKS_REVOKED = "links-revoked"
    TICKET_CLAIMED = "ticket-claimed"  # issue 21: questions handed to an officer
    TICKET_REPLIED = "ticket-replied"
    TICKET_PASSED = "ticket-passed"
    TICKET_CLOSED = "ticket-closed"
    # Issue 15: bursts of failed lookups, each recorded once when a limit is reached.
    LOOKUP_LIMITED = "lookup-limited"  # a chat or a person reached their limit
    LOOKUP_LOCKED = "lookup-locked"  # a code (existing or not) reached the per-dossier limit
    LOOKUP_SURGE = "lookup-surge"  # the global limit: nobody's digits checked, officers alerted


@dataclass(frozen=True)
class AuditEntry:
    """Who did what, when, to which dossier or broadcast (`target`), with a short detail."""

    at: dt.datetime
    channel: str  # where the officer acted: "telegram", "console", "cli"
    actor: str  # the officer's user id (or "cli:<account>" on the command line)
    actor_name: str | None
    action: AuditAction
    target: str | None = None  # a dossier code, "#12" for a broadcast, an officer's user id
    detail: str | None = None
    id: int | None = None  # set once stored
    commune_id: str | None = None  # issue 19: the commune acted for (None: the province)


class OfficerRoster:
    """Officers added in the chat, in memory: the role is checked on every message, so it must
    cost no database trip. Loaded at start-up; `/canbo` updates it with the database."""

    def __init__(self, officers: Iterable[Officer] = ()) -> None:
        self._ids = {(o.channel, o.user_id): o.commune_id for o in officers}

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._ids

    def add(self, channel: str, user_id: str, commune_id: str | None = None) -> None:
        self._ids[(channel, user_id)] = commune_id

    def remove(self, channel: str, user_id: str) -> None:
        self._ids.pop((channel, user_id), None)

    def scope(self, channel: str, user_id: str) -> Scope:
        return Scope(self._ids.get((channel, user_id)))


class AdminIdInvalid(ValueError):
    """An OFFICER_IDS entry that is neither `channel:id` nor a bare id, or names a commune the
    province does not have: start-up stops with this one line."""


@dataclass(frozen=True)
class AdminIds:
    """The admins of the settings, as (channel, user id) pairs: every role check compares both."""

    ids: frozenset[tuple[str, str]] = frozenset()
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # Issue 19: `telegram:123@binh-an` is an admin of one commune; absent: of the province.
    communes: tuple[tuple[tuple[str, str], str], ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AdminIds:
        """`telegram:123`, `zalo:456`; a bare `123` is `telegram:123` (with a warning)."""
        ids: set[tuple[str, str]] = set()
        communes: dict[tuple[str, str], str] = {}
        warnings: list[str] = []
        for entry in entries:
            text = entry.strip()
            if not text:
                continue
            found = _ENTRY.match(text)
            if found is None:
                raise AdminIdInvalid(
                    f"OFFICER_IDS: «{text[:40]}» không hợp lệ; viết kênh:mã, ví dụ telegram:123"
                    " hoặc zalo:456 (cán bộ của một xã: telegram:123@binh-an)"
                )
            channel, user_id, commune = found.group(1), found.group(2), found.group(3)
            if channel is None:
                channel = DEFAULT_ID_CHANNEL
                warnings.append(
                    f"OFFICER_IDS: «{text}» không ghi kênh, được hiểu là telegram:{text}."
                    f" Hãy viết telegram:{text} (hoặc zalo:{text} nếu là mã Zalo)."
                )
            ids.add((channel, user_id))
            if commune:
                communes[(channel, user_id)] = commune
        return cls(frozenset(ids), tuple(warnings), tuple(sorted(communes.items())))

    def scope(self, channel: str, user_id: str) -> Scope:
        """The admin's commune (issue 19); on a local channel, the id's on any channel."""
        by_id = dict(self.communes)
        if channel in LOCAL_CHANNELS:
            found = [c for (_, known), c in by_id.items() if known == user_id]
            return Scope(found[0] if found else None)
        return Scope(by_id.get((channel, user_id)))

    def commune_ids(self) -> set[str]:
        """Every commune named in OFFICER_IDS (checked against the province at start-up)."""
        return {commune for _, commune in self.communes}

    def check_communes(self, known: Iterable[str]) -> None:
        """Issue 19: an entry such as `telegram:1@no-such` is a configuration mistake; refused
        with the entry and the province's commune ids (one line), not only logged."""
        ids = sorted(set(known))
        for (channel, user_id), commune in self.communes:
            if commune not in ids:
                raise AdminIdInvalid(
                    f"OFFICER_IDS: «{channel}:{user_id}@{commune}»: không có xã, phường mã"
                    f" «{commune}» trong tệp tỉnh; các mã có: {', '.join(ids)}"
                )

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        channel, user_id = key
        if channel in LOCAL_CHANNELS:
            return any(known == user_id for _, known in self.ids)
        return key in self.ids

    def __bool__(self) -> bool:
        return bool(self.ids)

    def on(self, channel: str) -> list[str]:
        """The admins' user ids on one channel, sorted (every admin's on a local channel)."""
        if channel in LOCAL_CHANNELS:
            return sorted({user_id for _, user_id in self.ids})
        return sorted(user_id for known, user_id in self.ids if known == channel)

    def labels(self) -> list[str]:
        """`channel:id` for each admin (`@commune` for a commune's), sorted: the officers'
        list."""
        by_id = dict(self.communes)
        return sorted(
            f"{channel}:{user_id}"
            + (f"@{by_id[(channel, user_id)]}" if (channel, user_id) in by_id else "")
            for channel, user_id in self.ids
        )
