"""Looking up a dossier by its receipt code, following it, and the person's data.

Privacy by design: names are masked, phone numbers never shown; when the dossier has a phone
number the person must give its last 4 digits first (setting); failed attempts are counted per
chat, so codes cannot be guessed one after another. Following a dossier needs explicit consent,
recorded with its text; /xoadulieu removes everything the bot holds about the chat.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from core.apologies import Apology
from core.dossiers import (
    CLOCK_STOPPED,
    RETURN_LABEL,
    STATUS_INFO,
    Dossier,
    DossierEvent,
    is_running,
    mask_name,
    phone_digits,
)
from core.messages import Button, Reply
from core.officers import AuditAction
from core.receipt_codes import code_key, find_codes, looks_like_code
from handlers import procedures, tickets, volunteers
from handlers.context import Context, Services
from handlers.officers import audit
from handlers.routing import CHOICES, Route, button, choice_data, command, in_state, text_when
from handlers.ticket_buttons import ask_button
from storage.base import LookupView


class DossierState(StrEnum):
    AWAITING_CODE = "dossier.awaiting-code"
    AWAITING_DIGITS = "dossier.awaiting-digits"  # data: code_key
    VIEWING = "dossier.viewing"  # data: code_key (the person proved it is theirs)


CONSENT_TEXT = (
    "Đồng ý để bot ghi nhớ cuộc trò chuyện này gắn với hồ sơ để gửi thông báo khi hồ sơ thay đổi"
)


# Button-first (issue 7): every end of a path leaves a tap to go on.
HOME_BUTTON = Button("🏠 Về đầu", "menu:start")
AFTER_FOLLOW_ROWS = [[Button("📂 Hồ sơ đang theo dõi", "tv:h")], [HOME_BUTTON]]


# -- entering a code --------------------------------------------------------------------------
# While the bot waits for a code, its reply carries buttons (issue 14): a number typed among them
# presses one (`routing.typed_choice`). Only code-shaped input is looked up and can count as a
# failed lookup; "1", "0912" or "không nhớ mã" get a reply saying what a receipt code looks like.

CONTACT_BUTTON = Button("📞 Gọi cho Bộ phận Một cửa", "menu:contact")
WAITING_ROWS = [[HOME_BUTTON], [CONTACT_BUTTON]]


async def lookup_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    if typed:
        return await code_typed(ctx, typed)
    return await lookup_button(ctx)


async def lookup_button(ctx: Context) -> list[Reply]:
    # Button-first (issue 7): the dossiers already followed are one tap away.
    follows = await ctx.storage.follows(ctx.chat)
    rows = [[Button(f"📂 Hồ sơ đang theo dõi ({len(follows)})", "tv:h")]] if follows else []
    return await await_code(ctx, "lookup_prompt.j2", rows)


async def await_code(
    ctx: Context, template: str, rows: list[list[Button]] | None = None, **values: Any
) -> list[Reply]:
    """A reply that waits for a receipt code, with its buttons remembered for typed numbers."""
    rows = [*(rows or []), *WAITING_ROWS]
    await ctx.set_state(DossierState.AWAITING_CODE, **{CHOICES: choice_data(rows)})
    return [ctx.reply(template, rows, **values)]


async def code_state_typed(ctx: Context) -> list[Reply]:
    return await code_typed(ctx, ctx.message.text)


async def code_typed(ctx: Context, text: str) -> list[Reply]:
    """After "gõ mã hồ sơ": a code-shaped text is looked up as it is, never refused for its
    shape. Words are a question when the search understands them ("khai sinh cần gì"); a short
    number or words the search does not understand get what a code looks like, and are not
    counted as a failed lookup."""
    if looks_like_code(text):
        codes = find_codes(text)
        return await lookup(ctx, codes[0] if codes else text)
    if not any(ch.isdigit() for ch in text):
        result = ctx.search.search(text)
        if result.answer or result.candidates or result.referral or result.small_talk:
            await ctx.clear_state()
            return await procedures.answer_result(ctx, text, result)
    return await await_code(ctx, "lookup_code_help.j2", typed=text.strip()[:30])


async def code_in_message(ctx: Context) -> list[Reply]:
    return await lookup(ctx, find_codes(ctx.message.text)[0])


def carries_code(ctx: Context) -> bool:
    return bool(find_codes(ctx.message.text))


async def lookup(ctx: Context, typed: str) -> list[Reply]:
    view = await _find(ctx, code_key(typed))
    if view.recent_failures >= _max_failures(ctx):
        await ctx.clear_state()
        return [_limited_reply(ctx)]
    if view.dossier is None:
        await ctx.storage.record_lookup_failure(ctx.chat, ctx.now())
        rows = [[ask_button()]]  # issue 21: a person who can look into it
        return await await_code(ctx, "lookup_not_found.j2", rows, typed=typed.strip()[:60])
    return await open_dossier(ctx, view.dossier, view.following, view.apology)


async def _find(ctx: Context, key: str) -> LookupView:
    since = ctx.now() - ctx.services.lookup.window
    return await ctx.storage.find_dossier(key, ctx.chat, since)


async def open_dossier(
    ctx: Context, dossier: Dossier, following: bool, apology: Apology | None
) -> list[Reply]:
    if _needs_digits(ctx, dossier, following):
        return await _await_digits(ctx, dossier, "lookup_ask_digits.j2")
    if ctx.state.name in (DossierState.AWAITING_CODE, DossierState.AWAITING_DIGITS):
        await ctx.clear_state()  # the step is done; a verified dossier keeps its VIEWING state
    return [await status_card(ctx, dossier, following, apology)]


async def digits_typed(ctx: Context) -> list[Reply]:
    typed = "".join(ch for ch in ctx.message.text if ch.isdigit())
    if not typed:  # the person moved on to a question
        await ctx.clear_state()
        return await procedures.answer_text(ctx, ctx.message.text)
    view = await _find(ctx, str(ctx.state.data.get("code_key", "")))
    dossier, following = view.dossier, view.following
    if dossier is None:
        return await await_code(ctx, "lookup_prompt.j2")
    if len(typed) != 4:
        return await _await_digits(ctx, dossier, "lookup_ask_digits.j2", retry=True)
    if view.recent_failures >= _max_failures(ctx):
        await ctx.clear_state()
        return [_limited_reply(ctx)]
    phone = phone_digits(dossier.phone) or ""
    if phone.endswith(typed):
        await ctx.set_state(DossierState.VIEWING, code_key=dossier.code_key)
        return [await status_card(ctx, dossier, following, view.apology)]
    await ctx.storage.record_lookup_failure(ctx.chat, ctx.now())
    if view.recent_failures + 1 >= _max_failures(ctx):
        await ctx.clear_state()
        return [_limited_reply(ctx)]
    return await _await_digits(ctx, dossier, "lookup_wrong_digits.j2")


async def _await_digits(
    ctx: Context, dossier: Dossier, template: str, **values: Any
) -> list[Reply]:
    rows = WAITING_ROWS
    await ctx.set_state(
        DossierState.AWAITING_DIGITS, code_key=dossier.code_key, **{CHOICES: choice_data(rows)}
    )
    return [ctx.reply(template, rows, code=dossier.code, **values)]


def _needs_digits(ctx: Context, dossier: Dossier, following: bool) -> bool:
    """Following proves the chat already gave the digits (or the dossier has no phone)."""
    if not ctx.services.lookup.second_factor or not phone_digits(dossier.phone):
        return False
    return not (following or _verified(ctx, dossier.code_key))


def _verified(ctx: Context, key: str) -> bool:
    return ctx.state.name == DossierState.VIEWING and ctx.state.data.get("code_key") == key


def _max_failures(ctx: Context) -> int:
    """Volunteers look up many people's dossiers: a larger allowance (setting), still limited."""
    limit = ctx.services.lookup.max_failures
    return limit * ctx.services.care.volunteer_lookup_factor if ctx.is_volunteer else limit


def _limited_reply(ctx: Context) -> Reply:
    minutes = int(ctx.services.lookup.window.total_seconds() // 60)
    return ctx.reply("lookup_limited.j2", WAITING_ROWS, minutes=minutes)


async def lookup_refused(ctx: Context) -> list[Reply] | None:
    """For lookups that do not go through `find_dossier` (a slip's link, a follow code): the
    chat's failed-lookup allowance, checked before anything is looked up."""
    since = ctx.now() - ctx.services.lookup.window
    if await ctx.storage.lookup_failures_since(ctx.chat, since) < _max_failures(ctx):
        return None
    await ctx.clear_state()
    return [_limited_reply(ctx)]


# -- the status card --------------------------------------------------------------------------


async def status_card(
    ctx: Context,
    dossier: Dossier,
    following: bool,
    apology: Apology | None,
    *,
    one_tap_follow: bool = False,
) -> Reply:
    """`one_tap_follow` (the person came through the receipt's QR): the follow button records
    consent at once, and the card carries the consent line it stands for."""
    if ctx.is_volunteer:  # a volunteer sees someone else's dossier: audited
        await audit(ctx, AuditAction.VOLUNTEER_LOOKUP, dossier.code)
    procedure = ctx.catalogue.get(dossier.procedure_id)
    events = await ctx.storage.dossier_events(dossier.code_key, limit=4)
    if following:
        follow = Button("🔕 Bỏ theo dõi", f"h:u:{dossier.code_key}")
    elif one_tap_follow:
        follow = Button("✅ Đồng ý theo dõi", f"h:y:{dossier.code_key}")
    else:
        follow = Button("🔔 Theo dõi hồ sơ này", f"h:f:{dossier.code_key}")
    rows = [[follow]]
    # A volunteer sees the full name only with the person's consent for this dossier (issue 7).
    name_shown = following and await volunteers.may_see_name(ctx, dossier.code_key)
    if following and ctx.is_volunteer and not name_shown:
        rows.append([volunteers.name_consent_button(dossier.code_key)])
    if procedure is not None:
        rows.append([Button("📄 Xem thủ tục", f"p:c:{procedure.id}")])
    rows.append([Button("📞 Gọi cho Bộ phận Một cửa", "menu:contact")])
    values = card_values(ctx.services, dossier, events, apology, ctx.now().date())
    if name_shown:
        values["masked_name"] = dossier.applicant_name
    return ctx.reply(
        "status_card.j2",
        rows,
        **values,
        following=following,
        one_tap_follow=one_tap_follow and not following,
    )


def card_values(
    services: Services,
    dossier: Dossier,
    events: list[DossierEvent],
    apology: Apology | None,
    today: dt.date,
) -> dict[str, Any]:
    """What status_card.j2 shows of a dossier, name masked: shared by the chat and the status
    page (bot/status_page.py), so that both show the same card."""
    procedure = services.knowledge.catalogue.get(dossier.procedure_id)
    late_days = 0
    # A dossier waiting for the person is not late (core.waiting): only a running clock counts.
    if is_running(dossier.status) and today > dossier.due_date:
        late_days = services.calendar.working_days_between(dossier.due_date, today)
    return {
        "d": dossier,
        "info": dossier.info,
        "procedure_name": procedure.name if procedure else dossier.procedure_id,
        "masked_name": mask_name(dossier.applicant_name),
        "return_label": RETURN_LABEL.get(dossier.return_method) if dossier.return_method else None,
        "events": [e for e in events if e.new_status is not None],
        "labels": {status: STATUS_INFO[status].label for status in STATUS_INFO},
        "late_days": late_days,
        "waiting": dossier.status in CLOCK_STOPPED,
        "apology": apology,
    }


async def dossier_button(ctx: Context) -> list[Reply]:
    parts = (ctx.message.button or "").split(":", 2)
    action, key = (parts[1], parts[2]) if len(parts) == 3 else (parts[-1], "")
    match action:
        case "x":
            await tickets.close_before_erasing(ctx)  # issue 21: the officer is told
            await ctx.storage.forget_chat(ctx.chat)
            ctx.services.volunteers.remove(ctx.message.channel, ctx.message.user_id)
            return [ctx.reply("erase_done.j2", [[HOME_BUTTON]])]
        case "n":
            await ctx.clear_state()
            return [ctx.reply("consent_declined.j2", [[HOME_BUTTON]])]
        case "k":  # "Không xóa"
            return [ctx.reply("erase_kept.j2", [[HOME_BUTTON]])]
    # Button data can be forged: a button naming a dossier is a lookup like any other,
    # limited and counted the same way.
    view = await _find(ctx, key)
    dossier, following = view.dossier, view.following
    if view.recent_failures >= _max_failures(ctx):
        return [_limited_reply(ctx)]
    if dossier is None:
        await ctx.storage.record_lookup_failure(ctx.chat, ctx.now())
        return await await_code(ctx, "lookup_prompt.j2")
    if action in ("f", "y") and _needs_digits(ctx, dossier, following):
        return await open_dossier(ctx, dossier, following, view.apology)
    match action:
        case "f":
            rows = [
                [Button("✅ Đồng ý theo dõi", f"h:y:{key}")],
                [Button("Không, cảm ơn", "h:n")],
            ]
            return [ctx.reply("follow_consent.j2", rows, code=dossier.code)]
        case "y":
            await ctx.storage.follow(ctx.chat, key, None, CONSENT_TEXT, ctx.now())
            if ctx.is_volunteer:  # whose dossier is it? ("Bà Lan – khai sinh cháu")
                return await volunteers.ask_label(ctx, dossier)
            return [ctx.reply("follow_done.j2", AFTER_FOLLOW_ROWS, code=dossier.code)]
        case "u":
            await ctx.storage.unfollow(ctx.chat, key, ctx.now())
            return [ctx.reply("unfollow_done.j2", [[HOME_BUTTON]], code=dossier.code)]
        case _:  # "v": view
            return await open_dossier(ctx, dossier, following, view.apology)


# -- followed dossiers, unfollowing, erasing ---------------------------------------------------


async def my_dossiers(ctx: Context) -> list[Reply]:
    follows = await ctx.storage.follows(ctx.chat)
    rows = [[Button(f"Xem {f.dossier.code}", f"h:v:{f.dossier.code_key}")] for f in follows]
    rows += volunteers.forward_buttons(ctx, follows)
    names = {f.dossier.procedure_id: _procedure_name(ctx, f.dossier) for f in follows}
    labels = {status: info.label for status, info in STATUS_INFO.items()}
    return [ctx.reply("my_dossiers.j2", rows, follows=follows, names=names, labels=labels)]


async def unfollow_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    if typed:
        key = code_key(typed)
        removed = await ctx.storage.unfollow(ctx.chat, key, ctx.now())
        return [ctx.reply("unfollow_done.j2" if removed else "unfollow_unknown.j2", code=typed)]
    follows = await ctx.storage.follows(ctx.chat)
    rows = [[Button(f"Bỏ theo dõi {f.dossier.code}", f"h:u:{f.dossier.code_key}")] for f in follows]
    return [ctx.reply("unfollow_choose.j2", rows, count=len(follows))]


async def erase_command(ctx: Context) -> list[Reply]:
    rows = [[Button("🗑 Xóa dữ liệu của tôi", "h:x")], [Button("Không xóa", "h:k")]]
    return [ctx.reply("erase_confirm.j2", rows, volunteer=ctx.is_volunteer)]


def _procedure_name(ctx: Context, dossier: Dossier) -> str:
    procedure = ctx.catalogue.get(dossier.procedure_id)
    return procedure.name if procedure else dossier.procedure_id


routes: list[Route] = [
    command(lookup_command, "tracuu"),
    command(my_dossiers, "hoso"),
    command(unfollow_command, "huytheodoi"),
    command(erase_command, "xoadulieu"),
    button(lookup_button, "menu:lookup"),
    button(dossier_button, "h"),
    in_state(digits_typed, DossierState.AWAITING_DIGITS),
    in_state(code_state_typed, DossierState.AWAITING_CODE),
    # A message that carries a receipt code is a lookup, not a procedure question.
    text_when(code_in_message, carries_code),
]
