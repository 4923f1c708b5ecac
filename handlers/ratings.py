"""Satisfaction ratings (NĐ 61/2018 Điều 27–32; TT 01/2018 Điều 12–15), three taps per dossier.

When a dossier is returned, the notice each follower gets carries the first question (only the
first "returned" event of a dossier asks: no second ask). The answers so far travel in the
button data (`actions.Rate`: "dg:<code key>:<answers>"), so the person can answer hours later;
the rating is stored when the third answer comes, once per chat. Button data can be forged: only
a chat that follows the dossier may rate it.
"""

from __future__ import annotations

from dataclasses import replace

from core.care import (
    RATING_QUESTIONS,
    Feedback,
    Rating,
    count_feedback,
    parse_scores,
    summarise_ratings,
)
from core.messages import Button, Reply, TextFormat
from core.report import LineCare, PeriodReport, Satisfaction
from handlers.actions import Rate
from handlers.buttons import HOME_BUTTON
from handlers.context import Context, Services, render
from handlers.routing import Route, pressed


def question_buttons(code_key: str, answers: str) -> tuple[tuple[Button, ...], ...]:
    question = RATING_QUESTIONS[len(answers)]
    return tuple(
        (Rate(code_key, f"{answers}{score}").button(label),) for score, label in question.answers
    )


def question_text(services: Services, fmt: TextFormat, code: str, answers: str) -> str:
    step = len(answers)
    return render(
        services,
        fmt,
        "rating_question.j2",
        code=code,
        step=step + 1,
        steps=len(RATING_QUESTIONS),
        question=RATING_QUESTIONS[step],
    )


async def rating_button(ctx: Context, action: Rate) -> list[Reply]:
    code_key, typed = action.code_key, action.answers
    scores = parse_scores(typed)
    dossier = await ctx.storage.dossiers.get_dossier(code_key)
    if (
        scores is None
        or dossier is None
        or not await ctx.storage.follows.is_following(ctx.chat, code_key)
    ):
        return [ctx.reply("rating_stale.j2")]
    if await ctx.storage.care.has_rated(ctx.chat, code_key):
        return [ctx.reply("rating_done.j2", code=dossier.code, again=True)]
    if len(scores) < len(RATING_QUESTIONS):
        text = question_text(ctx.services, ctx.format, dossier.code, typed)
        return [
            Reply(
                text=text, buttons=question_buttons(code_key, typed), format=ctx.format, edit=True
            )
        ]
    on_time, trips, attitude = scores
    stored = await ctx.storage.care.save_rating(
        ctx.chat, Rating(code_key, (on_time, trips, attitude), ctx.now())
    )
    return [ctx.reply("rating_done.j2", [[HOME_BUTTON]], code=dossier.code, again=not stored)]


async def with_ratings_and_feedback(
    services: Services, report: PeriodReport, commune_id: str | None = None
) -> PeriodReport:
    """/baocao and `motcua report`: the ratings given and the feedback received in the period
    (issue 19: of one commune — ratings of its dossiers, feedback from chats that chose it)."""
    first, last = report.period.first, report.as_of  # nothing after "as of"
    ratings = await services.storage.care.ratings_between(first, last)
    items = await services.storage.care.feedback_between(first, last)
    if commune_id is not None:
        rated = await services.storage.dossiers.get_dossiers(sorted({r.code_key for r in ratings}))
        ratings = [
            r for r in ratings if r.code_key in rated and rated[r.code_key].commune_id == commune_id
        ]
        items = [f for f in items if f.commune_id == commune_id]
    summary = summarise_ratings(ratings)
    satisfaction = (
        Satisfaction(summary.responses, summary.average, summary.by_indicator) if summary else None
    )
    feedback = count_feedback(items)
    return replace(report, satisfaction=satisfaction, feedback=feedback)


async def care_by_commune(services: Services, report: PeriodReport) -> dict[str, LineCare]:
    """Issue 19 point 6: each commune's ratings (of its dossiers) and feedback (from chats that
    chose it) in the period, for its line of the province's report; the same rules as
    `with_ratings_and_feedback` for one commune, from one read of each."""
    first, last = report.period.first, report.as_of
    ratings = await services.storage.care.ratings_between(first, last)
    items = await services.storage.care.feedback_between(first, last)
    rated = await services.storage.dossiers.get_dossiers(sorted({r.code_key for r in ratings}))
    ratings_of: dict[str, list[Rating]] = {}
    for rating in ratings:
        dossier = rated.get(rating.code_key)
        if dossier is not None and dossier.commune_id:
            ratings_of.setdefault(dossier.commune_id, []).append(rating)
    feedback_of: dict[str | None, list[Feedback]] = {}
    for item in items:
        feedback_of.setdefault(item.commune_id, []).append(item)
    care = {}
    for commune in services.knowledge.province:
        summary = summarise_ratings(ratings_of.get(commune.id, []))
        satisfaction = (
            Satisfaction(summary.responses, summary.average, summary.by_indicator)
            if summary
            else None
        )
        feedback = count_feedback(feedback_of.get(commune.id, []))
        care[commune.id] = LineCare(satisfaction, feedback)
    return care


routes: list[Route] = [pressed(rating_button, Rate)]
