"""Asking about a procedure: search, the procedure card, its detail sections, "did you mean".

A question gets a short card (what it is, time, fee, where, legal basis); the details sit
behind buttons so that the first screen fits a phone. When the question named an aspect
("bao nhiêu tiền", "mất bao lâu") that section follows the card at once, also when the
procedure is chosen from a short choice. A follow-up that names only an aspect ("còn lệ phí
thì sao?") is answered for the procedure last shown.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from core.catalogue.models import Procedure
from core.messages import Reply
from core.search import Aspect, SearchResult
from handlers import procedure_view as view
from handlers.actions import Contact, ListFields, ShowSection, procedure_card
from handlers.context import Context
from handlers.routing import Route, command, pressed
from handlers.start import fallback_buttons, main_menu, small_talk_reply


class ProcedureState(StrEnum):
    VIEWING = "procedure.viewing"  # data: {"procedure": id}


# Score gap within which the runner-up is offered beside the answer.
CLOSE_SECOND = 0.05
ASPECT_SECTION = {
    Aspect.DOCUMENTS: "g",
    Aspect.FEES: "l",
    Aspect.TIME: "t",
    Aspect.WHERE: "n",
    Aspect.ONLINE: "n",
    Aspect.WHO: "a",
}


async def ask_command(ctx: Context) -> list[Reply]:
    _, question = ctx.message.command or ("", "")
    if question:
        return await answer_text(ctx, question)
    return [ctx.reply("ask_prompt.j2")]


async def question(ctx: Context) -> list[Reply]:
    return await answer_text(ctx, ctx.message.text)


async def answer_text(ctx: Context, text: str) -> list[Reply]:
    return await answer_result(ctx, text, ctx.search.search(text))


async def answer_result(ctx: Context, text: str, result: SearchResult) -> list[Reply]:
    unanswered = _remember(ctx, text, result)
    if result.answer is not None:
        procedure = ctx.catalogue.get(result.answer)
        commune = ctx.services.knowledge.province.get(ctx.commune_id)
        hidden = commune.hidden_procedure(result.answer) if commune is not None else None
        if hidden is not None:  # issue 19: a procedure this commune's overlay hides
            return [ctx.reply("procedure_not_here.j2", fallback_buttons(ctx), procedure=hidden)]
        if procedure is not None:
            section = ASPECT_SECTION[result.aspect] if result.aspect else None
            replies = await show_card(ctx, procedure, section)
            return _offer_close_second(ctx, result, replies)
    if result.referral is not None:
        return [referral_reply(ctx, result)]
    if result.candidates:
        return [choices_reply(ctx, result)]
    if result.aspect is not None:
        # An aspect alone ("cần gì", "bao nhiêu tiền") is about the procedure shown last.
        last = ctx.catalogue.get(str(ctx.state.data.get("procedure", "")))
        if last is not None:
            return [section_reply(ctx, ASPECT_SECTION[result.aspect], last)]
        if result.small_talk is None:
            section = view.SECTIONS[ASPECT_SECTION[result.aspect]]
            return [ctx.reply("aspect_which.j2", fallback_buttons(ctx), section=section)]
    if result.small_talk is not None:
        return [small_talk_reply(ctx, result.small_talk)]
    if text.strip().isdigit():
        # A number typed after a reply whose buttons it cannot press is not a question.
        return [ctx.reply("number_alone.j2", main_menu(), number=text.strip()[:12])]
    # Issue 21: "Hỏi cán bộ" is the first button; after two unanswered in a row, the text says so.
    return [ctx.reply("not_found.j2", fallback_buttons(ctx), text=text, offer=unanswered >= 2)]


def _remember(ctx: Context, text: str, result: SearchResult) -> int:
    """Issue 21: the last questions go with a question to an officer, and two unanswered in a
    row put "Hỏi cán bộ" first. Small talk is not a question. Returns the unanswered run."""
    last = ctx.catalogue.get(str(ctx.state.data.get("procedure", "")))
    answered = bool(result.answer or result.referral or result.candidates) or (
        result.aspect is not None and last is not None
    )
    if not answered and result.small_talk is not None:
        return 0
    return ctx.remember_question(text, answered=answered)


async def show_card(ctx: Context, procedure: Procedure, section: str | None = None) -> list[Reply]:
    await ctx.set_state(ProcedureState.VIEWING, procedure=procedure.id)
    if section is None:
        return [card_reply(ctx, procedure)]
    # The section that answers the question follows the card, and carries the buttons.
    return [card_reply(ctx, procedure, with_buttons=False), section_reply(ctx, section, procedure)]


def card_reply(ctx: Context, procedure: Procedure, *, with_buttons: bool = True) -> Reply:
    return ctx.reply(
        "card.j2",
        view.card_buttons(procedure, ctx.catalogue) if with_buttons else [],
        p=procedure,
        # Part of another procedure's people moved here by law, or from here (took_over_from).
        took_over=ctx.catalogue.took_over_from(procedure),
        taken_over=ctx.catalogue.taken_over_by(procedure),
        time_text=view.time_text(procedure.processing_time),
        fee_text=view.fee_text(ctx.catalogue.fee_lines(procedure)),
        filing_text=view.filing_text(procedure),
    )


def _offer_close_second(ctx: Context, result: SearchResult, replies: list[Reply]) -> list[Reply]:
    """When another procedure scored almost as well, one tap away beats a wrong card."""
    if len(result.candidates) < 2:
        return replies
    first, second = result.candidates[0], result.candidates[1]
    other = ctx.catalogue.get(second.id)
    if other is None or first.score - second.score > CLOSE_SECOND:
        return replies
    last = replies[-1]
    button = _asked(result, other.id).button(f"Hoặc: {other.name}")
    return [*replies[:-1], replace(last, buttons=(*last.buttons, (button,)))]


def section_reply(ctx: Context, section: str, procedure: Procedure) -> Reply:
    buttons = view.card_buttons(procedure, ctx.catalogue, skip=section)
    match section:
        case "g":
            return ctx.reply("section_documents.j2", buttons, p=procedure, kinds=view.DOCUMENT_KIND)
        case "l":
            return ctx.reply(
                "section_fees.j2", buttons, p=procedure, fees=ctx.catalogue.fee_lines(procedure)
            )
        case "t":
            time_text = view.time_text(procedure.processing_time)
            return ctx.reply("section_time.j2", buttons, p=procedure, time_text=time_text)
        case "n":
            return ctx.reply("section_where.j2", buttons, p=procedure, filing=view.FILING)
        case "a":
            return ctx.reply("section_who.j2", buttons, p=procedure)
        case "r":
            related = ctx.catalogue.related(procedure)
            rows = [[procedure_card(r.id).button(r.name)] for r in related]
            return ctx.reply("section_related.j2", rows + buttons, p=procedure, related=related)
        case _:
            return card_reply(ctx, procedure)


async def section_button(ctx: Context, action: ShowSection) -> list[Reply]:
    section, procedure = action.section, ctx.catalogue.get(action.procedure_id)
    if procedure is None or section not in view.SECTIONS:
        # The catalogue changed since the button was shown.
        return [ctx.reply("stale_button.j2", fallback_buttons(ctx))]
    if section == "c":
        return await show_card(ctx, procedure)
    if ctx.state.data.get("procedure") != procedure.id:
        # A procedure chosen for a question about one part ("… mất bao lâu"): its card first,
        # then that part, as for a confident answer.
        return await show_card(ctx, procedure, section)
    await ctx.set_state(ProcedureState.VIEWING, procedure=procedure.id)
    return [section_reply(ctx, section, procedure)]


def _asked(result: SearchResult, procedure_id: str) -> ShowSection:
    """The button to a procedure offered for a question: its card, and after it the section
    the question asked about ("mất bao lâu"), as for a confident answer."""
    if result.aspect is None:
        return procedure_card(procedure_id)
    return ShowSection(ASPECT_SECTION[result.aspect], procedure_id)


def choices_reply(ctx: Context, result: SearchResult) -> Reply:
    procedures = [p for p in (ctx.catalogue.get(c.id) for c in result.candidates[:4]) if p]
    rows = [[_asked(result, p.id).button(p.name)] for p in procedures]
    rows.append([ListFields().button("Không phải — xem theo lĩnh vực")])
    return ctx.reply("choices.j2", rows, procedures=procedures)


def referral_reply(ctx: Context, result: SearchResult) -> Reply:
    referral = next(r for r in ctx.catalogue.referrals if r.id == result.referral)
    rows = [
        [ListFields().button("Xem các thủ tục làm tại xã")],
        [Contact().button("📞 Gọi cho Bộ phận Một cửa")],
    ]
    return ctx.reply("referral.j2", rows, referral=referral)


routes: list[Route] = [
    command(ask_command, "thutuc"),
    pressed(section_button, ShowSection),
]
# Free text is the last resort of the wiring in bot/app.py: `question` is registered there.
