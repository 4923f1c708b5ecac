"""Care for the people the desk serves (issue 7): satisfaction ratings, feedback on the rules,
volunteers who follow dossiers for elders, and how long a chat stays linked to a dossier.

Ratings follow the citizen-evaluated indicators of NĐ 61/2018 Điều 27–32 and TT 01/2018 Điều
12–15, reduced to three quick questions; each answer scores 2/1/0 and a dossier's score is the
average of its answers. Feedback (phản ánh, kiến nghị) must be received, answered in writing and
published (DOMAIN.md), so every item gets a reference number and an officer's answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

# -- satisfaction --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingQuestion:
    key: str  # storage column
    indicator: str  # the indicator's name in the report
    text: str  # what the person reads
    answers: tuple[tuple[int, str], ...]  # (score, label), best first


RATING_QUESTIONS: tuple[RatingQuestion, ...] = (
    RatingQuestion(
        "on_time",
        "Thời gian trả kết quả so với ngày hẹn",
        "Hồ sơ được trả kết quả có đúng hẹn không?",
        ((2, "Sớm hoặc đúng hẹn"), (1, "Trễ, có được báo trước"), (0, "Trễ, không được báo")),
    ),
    RatingQuestion(
        "trips",
        "Số lần phải đi lại",
        "Ông/bà phải đến Bộ phận Một cửa mấy lần cho hồ sơ này?",
        ((2, "1 lần nộp, 1 lần nhận"), (1, "Thêm 1 lần"), (0, "Thêm 2 lần trở lên")),
    ),
    RatingQuestion(
        "attitude",
        "Thái độ của cán bộ",
        "Cán bộ tiếp ông/bà thế nào?",
        ((2, "Lịch sự, tận tình"), (1, "Bình thường"), (0, "Chưa tốt")),
    ),
)


@dataclass(frozen=True)
class Rating:
    code_key: str
    scores: tuple[int, int, int]  # in the order of RATING_QUESTIONS
    rated_at: dt.datetime

    @property
    def average(self) -> float:
        return sum(self.scores) / len(self.scores)


def parse_scores(text: str) -> tuple[int, ...] | None:
    """Answers carried by a rating button ("21" = first question 2, second 1); None if forged."""
    if len(text) > len(RATING_QUESTIONS) or any(ch not in "012" for ch in text):
        return None
    return tuple(int(ch) for ch in text)


@dataclass(frozen=True)
class SatisfactionSummary:
    """What the report shows: how many ratings, the average per indicator and overall (0–2)."""

    responses: int
    by_indicator: tuple[tuple[str, float], ...]
    average: float


def summarise_ratings(ratings: Sequence[Rating]) -> SatisfactionSummary | None:
    """Averages on the 0–2 scale; the overall average is the mean of the dossiers' averages
    (indicators scored 2/1/0 and averaged per dossier). None when nobody rated."""
    if not ratings:
        return None
    n = len(ratings)
    by_indicator = tuple(
        (q.indicator, sum(r.scores[i] for r in ratings) / n) for i, q in enumerate(RATING_QUESTIONS)
    )
    return SatisfactionSummary(n, by_indicator, sum(r.average for r in ratings) / n)


# -- feedback ------------------------------------------------------------------------------------

FEEDBACK_MIN_CHARS = 10
FEEDBACK_MAX_CHARS = 2000


@dataclass(frozen=True)
class Feedback:
    id: int
    number: str  # "PA-3/2026": the reference the person quotes
    channel: str | None  # None once the person erased their data
    chat_id: str | None
    text: str
    created_at: dt.datetime
    answer: str | None = None
    answered_by: str | None = None
    answerer_name: str | None = None
    answered_at: dt.datetime | None = None
    commune_id: str | None = None  # issue 19: the commune the person's chat chose

    @property
    def answered(self) -> bool:
        return self.answer is not None


def feedback_number(seq: int, year: int) -> str:
    return f"PA-{seq}/{year}"


@dataclass(frozen=True)
class FeedbackCounts:
    """For the report: feedback received in the period, and how many of those are answered."""

    received: int
    answered: int

    @property
    def open(self) -> int:
        return self.received - self.answered


def count_feedback(items: Iterable[Feedback]) -> FeedbackCounts:
    items = list(items)
    return FeedbackCounts(len(items), sum(1 for f in items if f.answered))


# -- volunteers ----------------------------------------------------------------------------------


class VolunteerStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True)
class Volunteer:
    """A member of a community digital-technology team (tổ công nghệ số cộng đồng)."""

    channel: str
    user_id: str
    chat_id: str
    name: str
    team: str
    hamlet: str
    status: VolunteerStatus
    requested_at: dt.datetime
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    commune_id: str | None = None  # issue 19: the commune the volunteer's chat chose


class VolunteerRoster:
    """Approved volunteers in memory, like officers: checked on lookups at no database cost."""

    def __init__(self, volunteers: Iterable[Volunteer] = ()) -> None:
        self._ids = {
            (v.channel, v.user_id) for v in volunteers if v.status is VolunteerStatus.APPROVED
        }

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._ids

    def add(self, channel: str, user_id: str) -> None:
        self._ids.add((channel, user_id))

    def remove(self, channel: str, user_id: str) -> None:
        self._ids.discard((channel, user_id))


@dataclass(frozen=True)
class CarePolicy:
    """Settings of issue 7 (MOTCUA_READY_REMINDER*, MOTCUA_UNLINK_RETURNED_DAYS,
    MOTCUA_VOLUNTEER_LOOKUP_FACTOR)."""

    # On the appointment day, remind followers of a dossier whose result waits to be collected.
    ready_reminder: bool = True
    ready_reminder_time: dt.time = dt.time(8, 0)
    # Chats are unlinked from dossiers returned (or otherwise finished) this many days ago.
    unlink_returned_days: int = 30
    # Volunteers may fail this many times more lookups than others within the window.
    volunteer_lookup_factor: int = 5
