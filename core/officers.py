"""Officers' roles and the audit log of what they did.

Two roles. Admins are the user ids in the settings (`OFFICER_IDS`), on every channel; they manage
the other officers and read the audit log. Officers are added and removed in the chat by an
admin (`/canbo`), per channel, and use the desk's commands (apologies, broadcasts). Every action
an officer takes on behalf of the office is one line of the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Officer:
    """An officer added in the chat (admins come from the settings and are not stored)."""

    channel: str
    user_id: str
    name: str | None
    added_by: str
    added_at: dt.datetime


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


class OfficerRoster:
    """Officers added in the chat, in memory: the role is checked on every message, so it must
    cost no database trip. Loaded at start-up; `/canbo` updates it with the database."""

    def __init__(self, officers: Iterable[Officer] = ()) -> None:
        self._ids = {(o.channel, o.user_id) for o in officers}

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._ids

    def add(self, channel: str, user_id: str) -> None:
        self._ids.add((channel, user_id))

    def remove(self, channel: str, user_id: str) -> None:
        self._ids.discard((channel, user_id))
