"""Limits on failed dossier lookups: the receipt code is guessable, the second factor is short.

A receipt code is `agency-YYMMDD-NNNN` with a daily counter from 0001, so codes can be guessed;
the second factor is the last 4 digits of the applicant's phone: 10,000 possibilities, 13.3 bits.
A failed lookup is a wrong second factor, for a code that exists or not (both answer alike until
the digits are right, so a reply never says whether a code exists). Failures are counted four
ways, each against its own limit (settings `MOTCUA_LOOKUP_*`):

- per chat (5 in 10 minutes): a soft lockout of one conversation;
- per channel user (20 in 24 hours): the same person in several chats;
- per dossier (5 in 24 hours), from any number of chats: what stops the attack of many chats on
  one code (1,420 chats × 4 guesses found the digits of a real code in 4.8 s). Past it, the
  dossier's details are given only by the office (or to a chat that already follows it);
- globally (30 in 1 hour), every channel: past it, the 4 digits are not checked for anyone until
  the hour's count falls, and officers are alerted. This bounds an attacker with any number of
  chats to about 30 × 24 = 720 guesses a day (`bench/lookup_limits.py`).

Where the defaults come from. NIST SP 800-63B §5.2.2 requires a verifier to limit consecutive
failed attempts on one account to at most 100, and §5.1.2.1 requires that rate limiting for
look-up secrets under 64 bits; OWASP ASVS 4.0.3 V2.2.1 asks for "soft lockouts, rate limiting
… ever increasing delays" and at most 100 failed attempts per hour on a single account. Both
assume secrets far longer than 4 digits: at 100 an hour, one dossier's digits would fall in
about 4 days. Here the "account" is the dossier, and its limit is chosen from the space: 5
wrong guesses a day give an attacker at most 5/10,000 = 0.05 % a day on one dossier, 1.5 % over
the 30 days a dossier is usually followed. The per-chat limit is the one the bot had (5 in 10
minutes, enough for a person's typing mistakes); the global limit is about ten times the failures
a commune's desk sees in a busy hour (100–200 dossiers a day, a few lookups each).
Volunteers (tổ công nghệ số cộng đồng) look up many people's dossiers: their per-chat and
per-user allowances are multiplied (`MOTCUA_VOLUNTEER_LOOKUP_FACTOR`), per volunteer; the
per-dossier and global limits are everyone's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Limit(StrEnum):
    """Which limit refused a lookup (most specific last: the reply names the widest reached)."""

    EVERYONE = "everyone"
    USER = "user"
    CHAT = "chat"
    DOSSIER = "dossier"


@dataclass(frozen=True)
class FailureCounts:
    """Failed lookups within each limit's window."""

    chat: int = 0
    user: int = 0
    dossier: int = 0
    everyone: int = 0


@dataclass(frozen=True)
class FailureWindows:
    """Since when each count runs (now minus each limit's window)."""

    chat: dt.datetime
    user: dt.datetime
    dossier: dt.datetime
    everyone: dt.datetime


@dataclass(frozen=True)
class LookupLimits:
    chat: int = 5
    chat_window: dt.timedelta = dt.timedelta(minutes=10)
    user: int = 20
    user_window: dt.timedelta = dt.timedelta(hours=24)
    dossier: int = 5
    dossier_window: dt.timedelta = dt.timedelta(hours=24)
    everyone: int = 30
    everyone_window: dt.timedelta = dt.timedelta(hours=1)

    def windows(self, now: dt.datetime) -> FailureWindows:
        return FailureWindows(
            chat=now - self.chat_window,
            user=now - self.user_window,
            dossier=now - self.dossier_window,
            everyone=now - self.everyone_window,
        )

    @property
    def longest_window(self) -> dt.timedelta:
        """Failures older than this count for no limit: the hourly chore deletes them."""
        return max(self.chat_window, self.user_window, self.dossier_window, self.everyone_window)

    def allowance(self, limit: Limit, factor: int = 1) -> int:
        """A limit's allowance; `factor` multiplies the per-chat and per-user ones (volunteers)."""
        match limit:
            case Limit.CHAT:
                return self.chat * factor
            case Limit.USER:
                return self.user * factor
            case Limit.DOSSIER:
                return self.dossier
            case _:
                return self.everyone

    def reached(self, counts: FailureCounts, factor: int = 1) -> Limit | None:
        """The limit this lookup may not pass, if any: the global one first (nobody's digits
        are checked), then the person's own, then the dossier's."""
        for limit in (Limit.EVERYONE, Limit.USER, Limit.CHAT, Limit.DOSSIER):
            if _count(counts, limit) >= self.allowance(limit, factor):
                return limit
        return None

    def crossed(self, before: FailureCounts, factor: int = 1) -> list[Limit]:
        """The limits that one more failure makes reached (for the audit log and the alert:
        each burst is recorded once, when it starts)."""
        return [
            limit for limit in Limit if _count(before, limit) + 1 == self.allowance(limit, factor)
        ]


def _count(counts: FailureCounts, limit: Limit) -> int:
    match limit:
        case Limit.CHAT:
            return counts.chat
        case Limit.USER:
            return counts.user
        case Limit.DOSSIER:
            return counts.dossier
        case _:
            return counts.everyone
