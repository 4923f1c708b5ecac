"""What the outbox carries: the kinds of message, and what a notice may become when it is sent.

An outbox row says what a message is about (its kind and a small payload of ids); the text is
rendered when it is sent (`handlers.notices`). Storage writes the kinds, the notices render them,
the channels route some of them (Zalo: conversations only as free replies, dossiers' notices by
ZNS outside the window): every one of them names a kind by this enum, never by a bare string.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from core.messages import Reply


class OutboxKind(StrEnum):
    """The value is what the outbox table stores (and the first part of most dedupe keys)."""

    # A follower of a dossier: its status changed (payload: event_id) — storage, on an import
    # or an officer's /capnhat.
    DOSSIER_STATUS = "dossier-status"
    # A follower: the office apologised for a late dossier (apology_id).
    APOLOGY = "apology"
    # An officer: the morning list of dossiers that need an apology (day) — bot.jobs.
    APOLOGY_WATCH = "apology-watch"
    # A subscriber: an officer's notice (broadcast_id); the officer: its final report.
    BROADCAST = "broadcast"
    BROADCAST_REPORT = "broadcast-report"
    # Every officer: someone is guessing codes or digits (failures, window, at) — issue 15.
    LOOKUP_SURGE = "lookup-surge"
    # Issue 7. A follower: the result still waits (code_key). Officers: new feedback
    # (feedback_id); the person: the answer. Officers: a volunteer's request; the volunteer:
    # the decision (channel, user_id).
    READY_REMINDER = "ready-reminder"
    FEEDBACK_NEW = "feedback-new"
    FEEDBACK_ANSWER = "feedback-answer"
    VOLUNTEER_REQUEST = "volunteer-request"
    VOLUNTEER_DECISION = "volunteer-decision"
    # Issue 21, questions handed to an officer (ticket_id, message_id): a new question to each
    # officer, an officer's message to the person, the person's to the officer holding it, a
    # question passed on, a question closed.
    TICKET_NEW = "ticket-new"
    TICKET_REPLY = "ticket-reply"
    TICKET_CITIZEN = "ticket-citizen"
    TICKET_PASSED = "ticket-passed"
    TICKET_CLOSED = "ticket-closed"


# A conversation, not a notice: on a channel whose free replies end some time after the person's
# last message (Zalo), these wait for the person's next message rather than go as paid or quota
# messages (issue 21).
FREE_REPLY_ONLY = frozenset(
    {
        OutboxKind.TICKET_NEW,
        OutboxKind.TICKET_REPLY,
        OutboxKind.TICKET_CITIZEN,
        OutboxKind.TICKET_PASSED,
        OutboxKind.TICKET_CLOSED,
    }
)


def outbox_kind(value: str) -> OutboxKind | None:
    """The kind a stored row names; None for one this version does not know (a row written by
    a newer version sharing the database): such a row is settled as failed, never guessed."""
    try:
        return OutboxKind(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Withdrawn:
    """An outbox message that must not go out any more (its broadcast was cancelled, another
    officer took the question…): settled as cancelled, not failed."""


# What an outbox message becomes when it is due (`handlers.notices`): the reply to send,
# Withdrawn, or None when its data is gone (settled as failed).
Notice: TypeAlias = Reply | Withdrawn | None
