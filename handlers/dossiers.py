"""Looking up a dossier by its receipt code, following it, and the person's data.

Privacy by design: names are masked, phone numbers never shown; the person must give the last 4
digits of the dossier's phone number first (setting), and until then every code, existing or
not, gets the same replies; failed attempts are limited per chat, per person, per dossier and
overall (core.lookup_limits), so neither codes nor digits can be guessed. Following a dossier
needs explicit consent, recorded with its text; /xoadulieu removes everything the bot holds
about the chat.
"""

from __future__ import annotations

import dataclasses
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
from core.lookup_limits import FailureCounts, Limit, LookupLimits
from core.messages import Button, Reply
from core.officers import AuditAction
from core.outbox import OutboxKind
from core.receipt_codes import code_key, find_codes, looks_like_code
from handlers import procedures, tickets, volunteers
from handlers.actions import (
    AskToFollow,
    Contact,
    DeclineFollow,
    EraseMyData,
    Follow,
    KeepMyData,
    LookupPrompt,
    MyDossiers,
    Unfollow,
    ViewDossier,
    procedure_card,
)
from handlers.buttons import CONTACT_BUTTON, HOME_BUTTON
from handlers.context import Context, Services
from handlers.officers import audit
from handlers.routing import (
    CHOICES,
    Route,
    choice_data,
    command,
    in_state,
    pressed,
    tapped,
    text_when,
)
from handlers.ticket_buttons import ask_button
from storage.base import ChatRef, LookupView, OutboxMessage


class DossierState(StrEnum):
    AWAITING_CODE = "dossier.awaiting-code"
    AWAITING_DIGITS = "dossier.awaiting-digits"  # data: code_key
    VIEWING = "dossier.viewing"  # data: code_key (the person proved it is theirs)


CONSENT_TEXT = (
    "Đồng ý để bot ghi nhớ cuộc trò chuyện này gắn với hồ sơ để gửi thông báo khi hồ sơ thay đổi"
)


# Button-first (issue 7): every end of a path leaves a tap to go on.
AFTER_FOLLOW_ROWS = [[MyDossiers().button("📂 Hồ sơ đang theo dõi")], [HOME_BUTTON]]


# -- entering a code --------------------------------------------------------------------------
# While the bot waits for a code, its reply carries buttons (issue 14): a number typed among them
# presses one (`routing.typed_choice`). Only code-shaped input is looked up and can count as a
# failed lookup; "1", "0912" or "không nhớ mã" get a reply saying what a receipt code looks like.

WAITING_ROWS = [[HOME_BUTTON], [CONTACT_BUTTON]]


async def lookup_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    if typed:
        return await code_typed(ctx, typed)
    return await lookup_button(ctx)


async def lookup_button(ctx: Context) -> list[Reply]:
    # Button-first (issue 7): the dossiers already followed are one tap away.
    follows = await ctx.storage.follows.follows(ctx.chat)
    rows = [[MyDossiers().button(f"📂 Hồ sơ đang theo dõi ({len(follows)})")]] if follows else []
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


# -- the second factor and the limits (issue 15, core.lookup_limits) ----------------------------
# Until the 4 digits are right, a code that exists and one that does not get the same replies
# (the code is echoed as typed, never in its stored form), and a wrong guess counts for both: the
# bot never says which codes exist. A dossier without a phone number cannot be opened by code at
# all (the digits never match): its details are given by the office.


async def lookup(ctx: Context, typed: str) -> list[Reply]:
    key, shown = code_key(typed), typed.strip()[:60]
    await ctx.sync_volunteer_role()
    view = await _find(ctx, key)
    dossier = view.dossier
    if dossier is not None and (view.following or _verified(ctx, key)):
        return await open_dossier(ctx, dossier, view.following, view.apology)
    counts = await _failures(ctx, key)
    if (limit := _limits(ctx).reached(counts, _factor(ctx))) is not None:
        await ctx.clear_state()
        return [_refusal(ctx, limit, shown)]
    if ctx.services.lookup.second_factor:
        return await _await_digits(ctx, key, shown, "lookup_ask_digits.j2")
    if dossier is None:  # without the second factor, a code is all there is to check
        await _count_failure(ctx, key, shown, counts)
        rows = [[ask_button()]]  # issue 21: a person who can look into it
        return await await_code(ctx, "lookup_not_found.j2", rows, typed=shown)
    return await open_dossier(ctx, dossier, view.following, view.apology)


async def _find(ctx: Context, key: str) -> LookupView:
    since = ctx.now() - _limits(ctx).chat_window
    return await ctx.storage.dossiers.find_dossier(key, ctx.chat, since)


async def _failures(ctx: Context, key: str) -> FailureCounts:
    windows = _limits(ctx).windows(ctx.now())
    return await ctx.storage.dossiers.lookup_failures(ctx.chat, ctx.message.user_id, key, windows)


async def open_dossier(
    ctx: Context, dossier: Dossier, following: bool, apology: Apology | None
) -> list[Reply]:
    """The card of a dossier the chat may see (it follows it, or gave the digits, or the second
    factor is off)."""
    if ctx.state.name in (DossierState.AWAITING_CODE, DossierState.AWAITING_DIGITS):
        await ctx.clear_state()  # the step is done; a verified dossier keeps its VIEWING state
    return [await status_card(ctx, dossier, following, apology)]


async def digits_typed(ctx: Context) -> list[Reply]:
    text = ctx.message.text
    if codes := find_codes(text):  # another code instead of the digits
        return await lookup(ctx, codes[0])
    await ctx.sync_volunteer_role()
    typed = "".join(ch for ch in text if ch.isdigit())
    if not typed:  # the person moved on to a question
        await ctx.clear_state()
        return await procedures.answer_text(ctx, text)
    key = str(ctx.state.data.get("code_key", ""))
    shown = str(ctx.state.data.get("code", key))
    if len(typed) != 4:
        return await _await_digits(ctx, key, shown, "lookup_ask_digits.j2", retry=True)
    view = await _find(ctx, key)
    counts = await _failures(ctx, key)
    limits, factor = _limits(ctx), _factor(ctx)
    if (limit := limits.reached(counts, factor)) is not None:
        await ctx.clear_state()
        return [_refusal(ctx, limit, shown)]
    dossier = view.dossier
    phone = phone_digits(dossier.phone) if dossier is not None else None
    if dossier is not None and phone is not None and len(phone) >= 4 and phone.endswith(typed):
        await ctx.set_state(DossierState.VIEWING, code_key=dossier.code_key)
        return [await status_card(ctx, dossier, view.following, view.apology)]
    crossed = await _count_failure(ctx, key, shown, counts)
    if crossed:
        await ctx.clear_state()
        return [_refusal(ctx, crossed[0], shown)]
    # Issue 21: a person who can look into it (alike for every code, as the text).
    return await _await_digits(ctx, key, shown, "lookup_wrong_digits.j2", [[ask_button()]])


async def _await_digits(
    ctx: Context,
    key: str,
    shown: str,
    template: str,
    extra_rows: list[list[Button]] | None = None,
    **values: Any,
) -> list[Reply]:
    rows = [*(extra_rows or []), *WAITING_ROWS]
    await ctx.set_state(
        DossierState.AWAITING_DIGITS, code_key=key, code=shown, **{CHOICES: choice_data(rows)}
    )
    return [ctx.reply(template, rows, code=shown, **values)]


async def _count_failure(ctx: Context, key: str, shown: str, before: FailureCounts) -> list[Limit]:
    """Record a failed lookup; the limits it makes reached are written to the audit log (a
    burst is recorded once, when it starts) and, for the global one, officers are alerted."""
    await ctx.storage.dossiers.record_lookup_failure(ctx.chat, ctx.now(), ctx.message.user_id, key)
    limits = _limits(ctx)
    crossed = limits.crossed(before, _factor(ctx))
    for limit in crossed:
        allowed = limits.allowance(limit, _factor(ctx))
        window = _window_text(limits, limit)
        match limit:
            case Limit.DOSSIER:
                detail = f"{allowed} lần nhập sai 4 số trong {window}, từ mọi cuộc trò chuyện"
                await audit(ctx, AuditAction.LOOKUP_LOCKED, shown, detail)
            case Limit.EVERYONE:
                detail = f"{allowed} lần tra cứu sai trong {window} trên mọi kênh"
                await audit(ctx, AuditAction.LOOKUP_SURGE, None, detail)
                await _alert_officers(ctx, allowed, window)
            case _:
                who = "cuộc trò chuyện" if limit is Limit.CHAT else "người dùng"
                detail = f"{allowed} lần tra cứu sai trong {window} ({who})"
                await audit(ctx, AuditAction.LOOKUP_LIMITED, shown, detail)
    return crossed


async def _alert_officers(ctx: Context, failures: int, window: str) -> None:
    """Every admin and officer, on their own channel, through the outbox (once per burst)."""
    services, now = ctx.services, ctx.now()
    chats = {ChatRef(channel, user_id) for channel, user_id in services.admins.ids}
    chats |= {ChatRef(o.channel, o.user_id) for o in await ctx.storage.officers.officers()}
    stamp = now.strftime("%Y%m%d%H%M%S")
    payload = {"failures": failures, "window": window, "at": now.isoformat()}
    await ctx.storage.outbox.enqueue(
        [
            OutboxMessage(
                f"lookup-surge:{stamp}:{chat.channel}:{chat.chat_id}",
                chat.channel,
                chat.chat_id,
                OutboxKind.LOOKUP_SURGE,
                payload,
            )
            for chat in sorted(chats, key=lambda c: (c.channel, c.chat_id))
        ],
        now,
    )


def _needs_digits(ctx: Context, dossier: Dossier, following: bool) -> bool:
    """Following proves the chat already gave the digits."""
    if not ctx.services.lookup.second_factor:
        return False
    return not (following or _verified(ctx, dossier.code_key))


def _verified(ctx: Context, key: str) -> bool:
    return ctx.state.name == DossierState.VIEWING and ctx.state.data.get("code_key") == key


def _limits(ctx: Context) -> LookupLimits:
    return ctx.services.lookup.limits


def _factor(ctx: Context) -> int:
    """Volunteers look up many people's dossiers: a larger allowance (setting), still limited,
    counted per volunteer."""
    return ctx.services.care.volunteer_lookup_factor if ctx.is_volunteer else 1


def _window_text(limits: LookupLimits, limit: Limit) -> str:
    window = {
        Limit.CHAT: limits.chat_window,
        Limit.USER: limits.user_window,
        Limit.DOSSIER: limits.dossier_window,
        Limit.EVERYONE: limits.everyone_window,
    }[limit]
    minutes = int(window.total_seconds() // 60)
    return f"{minutes // 60} giờ" if minutes >= 120 and minutes % 60 == 0 else f"{minutes} phút"


def _refusal(ctx: Context, limit: Limit, shown: str) -> Reply:
    ctx.services.observe("lookup_throttled", ctx.message.channel)  # /metrics (issue 18)
    window = _window_text(_limits(ctx), limit)
    match limit:
        case Limit.DOSSIER:
            return ctx.reply("lookup_locked.j2", WAITING_ROWS, code=shown)
        case Limit.EVERYONE:
            return ctx.reply("lookup_paused.j2", WAITING_ROWS)
        case _:
            return ctx.reply("lookup_limited.j2", WAITING_ROWS, window=window)


async def lookup_refused(ctx: Context) -> list[Reply] | None:
    """For lookups that name no code (a slip's link, a follow code): the chat's, the person's
    and everyone's failed-lookup allowances, checked before anything is looked up."""
    counts = dataclasses.replace(await _failures(ctx, ""), dossier=0)
    if (limit := _limits(ctx).reached(counts, _factor(ctx))) is None:
        return None
    await ctx.clear_state()
    return [_refusal(ctx, limit, "")]


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
    # Issue 19: the card shows the dossier's commune's office, whatever the chat's own.
    found = ctx.services.knowledge.province.for_code(dossier.code)
    ctx.about_commune(dossier.commune_id or (found.id if found is not None else None))
    if ctx.is_volunteer:  # a volunteer sees someone else's dossier: audited
        await audit(ctx, AuditAction.VOLUNTEER_LOOKUP, dossier.code)
    procedure = ctx.catalogue.get(dossier.procedure_id)
    events = await ctx.storage.dossiers.dossier_events(dossier.code_key, limit=4)
    if following:
        follow = Unfollow(dossier.code_key).button("🔕 Bỏ theo dõi")
    elif one_tap_follow:
        follow = Follow(dossier.code_key).button("✅ Đồng ý theo dõi")
    else:
        follow = AskToFollow(dossier.code_key).button("🔔 Theo dõi hồ sơ này")
    rows = [[follow]]
    # A volunteer sees the full name only with the person's consent for this dossier (issue 7).
    name_shown = following and await volunteers.may_see_name(ctx, dossier.code_key)
    if following and ctx.is_volunteer and not name_shown:
        rows.append([volunteers.name_consent_button(dossier.code_key)])
    if procedure is not None:
        rows.append([procedure_card(procedure.id).button("📄 Xem thủ tục")])
    # Issue 19: the dossier's commune's office (a province of one: the data stays as before).
    office = None if ctx.services.knowledge.province.single else dossier.commune_id or None
    rows.append([Contact(office).button("📞 Gọi cho Bộ phận Một cửa")])
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


async def erase_pressed(ctx: Context) -> list[Reply]:
    await tickets.close_before_erasing(ctx)  # issue 21: the officer is told
    await ctx.storage.chats.forget_chat(ctx.chat)
    ctx.services.volunteers.remove(ctx.message.channel, ctx.message.user_id)
    return [ctx.reply("erase_done.j2", [[HOME_BUTTON]])]


async def follow_declined(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [ctx.reply("consent_declined.j2", [[HOME_BUTTON]])]


async def erase_kept(ctx: Context) -> list[Reply]:  # "Không xóa"
    return [ctx.reply("erase_kept.j2", [[HOME_BUTTON]])]


async def unfollow_pressed(ctx: Context, action: Unfollow) -> list[Reply]:
    """The chat's own follow: nothing to prove, nothing to reveal."""
    key = action.code_key
    dossier = await ctx.storage.dossiers.get_dossier(key) if key else None
    if not await ctx.storage.follows.unfollow(ctx.chat, key, ctx.now()) or dossier is None:
        return [ctx.reply("unfollow_unknown.j2", [[HOME_BUTTON]], code=key)]
    return [ctx.reply("unfollow_done.j2", [[HOME_BUTTON]], code=dossier.code)]


async def _proven(ctx: Context, key: str) -> tuple[Dossier, LookupView] | None:
    """Button data can be forged: a button naming a dossier the chat has not proven (None) is
    answered as a lookup like any other (the digits asked, alike for every code, failures
    counted)."""
    view = await _find(ctx, key)
    if view.dossier is None or _needs_digits(ctx, view.dossier, view.following):
        return None
    await ctx.sync_volunteer_role()
    return view.dossier, view


async def ask_to_follow(ctx: Context, action: AskToFollow) -> list[Reply]:
    if (proven := await _proven(ctx, action.code_key)) is None:
        return await lookup(ctx, action.code_key)
    dossier, _ = proven
    rows = [
        [Follow(action.code_key).button("✅ Đồng ý theo dõi")],
        [DeclineFollow().button("Không, cảm ơn")],
    ]
    return [ctx.reply("follow_consent.j2", rows, code=dossier.code)]


async def follow_pressed(ctx: Context, action: Follow) -> list[Reply]:
    if (proven := await _proven(ctx, action.code_key)) is None:
        return await lookup(ctx, action.code_key)
    dossier, _ = proven
    await ctx.storage.follows.follow(ctx.chat, action.code_key, None, CONSENT_TEXT, ctx.now())
    if ctx.is_volunteer:  # whose dossier is it? ("Bà Lan – khai sinh cháu")
        return await volunteers.ask_label(ctx, dossier)
    return [ctx.reply("follow_done.j2", AFTER_FOLLOW_ROWS, code=dossier.code)]


async def view_pressed(ctx: Context, action: ViewDossier) -> list[Reply]:
    if (proven := await _proven(ctx, action.code_key)) is None:
        return await lookup(ctx, action.code_key)
    dossier, view = proven
    return await open_dossier(ctx, dossier, view.following, view.apology)


# -- followed dossiers, unfollowing, erasing ---------------------------------------------------


async def my_dossiers(ctx: Context) -> list[Reply]:
    await ctx.sync_volunteer_role()
    follows = await ctx.storage.follows.follows(ctx.chat)
    rows = [[ViewDossier(f.dossier.code_key).button(f"Xem {f.dossier.code}")] for f in follows]
    rows += volunteers.forward_buttons(ctx, follows)
    names = {f.dossier.procedure_id: _procedure_name(ctx, f.dossier) for f in follows}
    labels = {status: info.label for status, info in STATUS_INFO.items()}
    return [ctx.reply("my_dossiers.j2", rows, follows=follows, names=names, labels=labels)]


async def unfollow_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    if typed:
        key = code_key(typed)
        removed = await ctx.storage.follows.unfollow(ctx.chat, key, ctx.now())
        return [ctx.reply("unfollow_done.j2" if removed else "unfollow_unknown.j2", code=typed)]
    follows = await ctx.storage.follows.follows(ctx.chat)
    rows = [[Unfollow(f.dossier.code_key).button(f"Bỏ theo dõi {f.dossier.code}")] for f in follows]
    return [ctx.reply("unfollow_choose.j2", rows, count=len(follows))]


async def erase_command(ctx: Context) -> list[Reply]:
    rows = [[EraseMyData().button("🗑 Xóa dữ liệu của tôi")], [KeepMyData().button("Không xóa")]]
    return [ctx.reply("erase_confirm.j2", rows, volunteer=ctx.is_volunteer)]


def _procedure_name(ctx: Context, dossier: Dossier) -> str:
    procedure = ctx.catalogue.get(dossier.procedure_id)
    return procedure.name if procedure else dossier.procedure_id


routes: list[Route] = [
    command(lookup_command, "tracuu"),
    command(my_dossiers, "hoso"),
    command(unfollow_command, "huytheodoi"),
    command(erase_command, "xoadulieu"),
    tapped(lookup_button, LookupPrompt),
    tapped(my_dossiers, MyDossiers),
    pressed(view_pressed, ViewDossier),
    pressed(ask_to_follow, AskToFollow),
    pressed(follow_pressed, Follow),
    tapped(follow_declined, DeclineFollow),
    pressed(unfollow_pressed, Unfollow),
    tapped(erase_pressed, EraseMyData),
    tapped(erase_kept, KeepMyData),
    in_state(digits_typed, DossierState.AWAITING_DIGITS),
    in_state(code_state_typed, DossierState.AWAITING_CODE),
    # A message that carries a receipt code is a lookup, not a procedure question.
    text_when(code_in_message, carries_code),
]
