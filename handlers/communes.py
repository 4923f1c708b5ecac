"""Which commune a citizen is from, in a province's bot (issue 19 point 3).

A receipt code names its commune itself (its agency segment), so a lookup never asks. Guidance
does depend on the commune: its office, hours and the fees the province lets it set. The first
question that finds a procedure is held while the bot asks once which commune; the name may be
typed in any form (with or without diacritics, without "xã", a name from before the 2025
merger) or picked from a short list. The choice is remembered with the chat; "đổi xã" (typed)
changes it. In a province of one (the shipped default) nothing is asked.
"""

from __future__ import annotations

from enum import StrEnum

from rapidfuzz import fuzz, process

from core.messages import Reply
from core.province import Commune, name_key, short_name
from core.receipt_codes import looks_like_code
from core.text import fold
from handlers.actions import ChangeCommune, ChooseCommune
from handlers.context import Context
from handlers.procedures import answer_result, answer_text
from handlers.routing import On, Route, pressed, tapped, text_when
from handlers.subscription_offer import ALL_TOPICS, field_names, offer, subscribe

# A province this small gets every commune as a button; a bigger one is asked to type the name.
LISTED_COMMUNES = 8
# Communes offered when the name typed is close to several, or close to none exactly.
SHORT_LIST = 6
# How close a mistyped name must be (rapidfuzz ratio on the names without diacritics).
CLOSE_NAME = 80
CHANGE_WORDS = frozenset({"doi xa", "doi phuong", "doi xa phuong", "chon xa", "chon lai xa"})


class CommuneState(StrEnum):
    # data: {"question": the question held} or {"subscribing": the topic, "" for the offer}
    ASKING = "commune.asking"


def must_ask(ctx: Context) -> bool:
    """A province with several communes, and this chat has not said which one."""
    return ctx.commune_id is None


async def ask(
    ctx: Context, question: str | None = None, subscribing: str | None = None
) -> list[Reply]:
    """Which commune; then the question held is answered, or the subscription goes on (a
    commune's notices reach the chats that chose it)."""
    province = ctx.services.knowledge.province
    data = {"question": question} if question else {}
    if subscribing is not None:
        data["subscribing"] = subscribing
    await ctx.set_state(CommuneState.ASKING, **data)
    listed = province.communes if len(province) <= LISTED_COMMUNES else ()
    buttons = [[ChooseCommune(c.id).button(c.name)] for c in listed]
    current = province.get(ctx.commune_id) if not province.single else None
    return [
        ctx.reply(
            "commune_ask.j2",
            buttons,
            province=province.name,
            listed=bool(listed),
            current=current.name if current is not None and ctx.memory.get("commune") else None,
            example=short_name(province.first.name),
            subscribing=subscribing is not None,
        )
    ]


async def change(ctx: Context) -> list[Reply]:
    if ctx.services.knowledge.province.single:
        return [ctx.reply("contact.j2")]  # one commune: nothing to change; its office
    return await ask(ctx)


async def typed(ctx: Context) -> list[Reply]:
    """The name typed while the bot waits for it."""
    text = ctx.message.text
    province = ctx.services.knowledge.province
    found = province.find(text) or _close(ctx, text)
    if len(found) == 1:
        return await _chosen(ctx, found[0])
    example = short_name(province.first.name)
    if not found:
        return [
            ctx.reply(
                "commune_unknown.j2",
                [[ChangeCommune().button("Xem lại cách chọn")]]
                if len(province) <= LISTED_COMMUNES
                else [],
                typed=text.strip()[:60],
                province=province.name,
                example=example,
            )
        ]
    buttons = [[ChooseCommune(c.id).button(c.name)] for c in found[:SHORT_LIST]]
    return [ctx.reply("commune_which.j2", buttons, count=len(found), typed=text.strip()[:60])]


async def picked(ctx: Context, action: ChooseCommune) -> list[Reply]:
    commune = ctx.services.knowledge.province.get(action.commune_id)
    if commune is None:  # an old button: the province file no longer has it
        return await ask(ctx)
    return await _chosen(ctx, commune)


async def _chosen(ctx: Context, commune: Commune) -> list[Reply]:
    held = ctx.state.data if ctx.state.name == CommuneState.ASKING else {}
    question, subscribing = held.get("question"), held.get("subscribing")
    await ctx.choose_commune(commune.id)
    await ctx.clear_state()
    replies = [ctx.reply("commune_chosen.j2", name=commune.name)]
    if isinstance(question, str) and question:
        replies += await answer_text(ctx, question)  # the question held, answered now
    elif subscribing == "":  # /dangkythongbao before the commune: the offer now
        replies.append(await offer(ctx))
    elif isinstance(subscribing, str) and subscribing in {ALL_TOPICS, *field_names(ctx.catalogue)}:
        replies += await subscribe(ctx, subscribing)  # the button pressed before
    return replies


def _close(ctx: Context, text: str) -> list[Commune]:
    """Communes whose name (now or former) is close to a mistyped one."""
    province = ctx.services.knowledge.province
    key = name_key(text)
    if len(key) < 3:
        return []
    names = {
        (commune.id, index): name_key(name)
        for commune in province
        for index, name in enumerate((commune.name, *commune.former_names))
    }
    matches = process.extract(key, names, scorer=fuzz.ratio, score_cutoff=CLOSE_NAME, limit=20)
    seen: list[Commune] = []
    for _, _, (commune_id, _) in matches:
        commune = province.get(commune_id)
        if commune is not None and commune not in seen:
            seen.append(commune)
    return seen[:SHORT_LIST]


def _says_change(ctx: Context) -> bool:
    return fold(ctx.message.text) in CHANGE_WORDS


routes: list[Route] = [
    pressed(picked, ChooseCommune),
    tapped(change, ChangeCommune),
    text_when(change, _says_change),
]
# After the dossiers' routes: a code typed while the bot waits for a name is still a lookup.
state_routes: list[Route] = [
    Route(
        On.STATE,
        typed,
        (CommuneState.ASKING.value,),
        when=lambda ctx: not looks_like_code(ctx.message.text),
    ),
]


async def question_first(ctx: Context) -> list[Reply]:
    """A question before the chat said its commune: held if it finds a procedure (whose office,
    hours and fees depend on the commune), answered at once otherwise."""
    text = ctx.message.text
    result = ctx.search.search(text)
    if result.answer is not None or result.candidates:
        return await ask(ctx, text)
    return await answer_result(ctx, text, result)


# Before the procedures' free-text route.
question_route = Route(On.TEXT, question_first, when=must_ask)
