"""Volunteers of the community digital-technology teams (tổ công nghệ số cộng đồng, source report
004) follow elders' dossiers from one chat.

/tinhnguyenvien → what is stored and why (consent, purpose "volunteer") → name, team, hamlet →
the officers get the request with two buttons → the volunteer is told. An approved volunteer
follows dossiers like anyone (same second factor: the elder gives the last 4 digits), names each
one ("Bà Lan – khai sinh cháu"), sees them all in /hoso, receives their notices and apologies, and
gets a ready-made message to forward to the person. Their lookups are written to the audit log and
allowed more failures than others (setting). Names stay masked unless the volunteer confirms that
the person agreed, for that dossier: the consent is recorded (purpose "volunteer", the dossier's
key in front) and audited, and ends with the follow.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from core.care import Volunteer, VolunteerStatus
from core.dossiers import STATUS_INFO, Dossier
from core.messages import Button, Reply
from core.officers import AuditAction
from handlers.actions import (
    ApproveVolunteer,
    AskNameConsent,
    ForwardText,
    JoinVolunteers,
    LookupPrompt,
    MyDossiers,
    NameConsentGiven,
    RefuseVolunteer,
    SkipLabel,
    ViewDossier,
    VolunteerNotNow,
)
from handlers.buttons import HOME_BUTTON
from handlers.context import Context
from handlers.feedback import officer_chats
from handlers.officers import audit, audit_entry
from handlers.routing import Role, Route, command, in_state, pressed, tapped
from storage.base import Purpose

MAX_FIELD = 80
MAX_LABEL = 60
CONSENT_TEXT = (
    "Đồng ý để bot lưu họ tên, tổ, thôn và các hồ sơ theo dõi giúp người dân, để cán bộ duyệt và"
    " để gửi thông báo của các hồ sơ đó"
)


# Recorded, with the dossier's key in front, when the volunteer confirms the person agreed; the
# volunteer's confirmation is also written to the audit log (who, when, which dossier).
NAME_CONSENT_TEXT = (
    "Người nộp hồ sơ đồng ý cho tình nguyện viên theo dõi hồ sơ này xem họ tên đầy đủ"
    " (tình nguyện viên xác nhận)"
)


class VolunteerState(StrEnum):
    NAME = "volunteer.name"
    TEAM = "volunteer.team"  # data: full_name
    HAMLET = "volunteer.hamlet"  # data: full_name, team
    LABEL = "volunteer.label"  # data: code_key


# -- joining --------------------------------------------------------------------------------------


async def volunteer_command(ctx: Context) -> list[Reply]:
    known = await ctx.sync_volunteer_role()
    if ctx.is_volunteer:
        return [_home(ctx)]
    if known is not None and known.status is VolunteerStatus.PENDING:
        return [ctx.reply("volunteer_pending.j2", v=known)]
    rows = [
        [JoinVolunteers().button("✅ Đồng ý, đăng ký")],
        [VolunteerNotNow().button("Không, cảm ơn")],
    ]
    return [ctx.reply("volunteer_intro.j2", rows, refused=known is not None)]


def _home(ctx: Context) -> Reply:
    rows = [
        [MyDossiers().button("📂 Hồ sơ đang theo dõi")],
        [LookupPrompt().button("🔎 Tra cứu hồ sơ")],
    ]
    return ctx.reply("volunteer_home.j2", rows)


async def name_typed(ctx: Context) -> list[Reply]:
    name = _clean(ctx.message.text)
    if len(name) < 2:
        return [ctx.reply("volunteer_ask.j2", step="name", retry=True)]
    await ctx.set_state(VolunteerState.TEAM, full_name=name)
    return [ctx.reply("volunteer_ask.j2", step="team")]


async def team_typed(ctx: Context) -> list[Reply]:
    team = _clean(ctx.message.text)
    if len(team) < 2:
        return [ctx.reply("volunteer_ask.j2", step="team", retry=True)]
    await ctx.set_state(
        VolunteerState.HAMLET, full_name=ctx.state.data.get("full_name", ""), team=team
    )
    return [ctx.reply("volunteer_ask.j2", step="hamlet")]


async def hamlet_typed(ctx: Context) -> list[Reply]:
    hamlet = _clean(ctx.message.text)
    if len(hamlet) < 2:
        return [ctx.reply("volunteer_ask.j2", step="hamlet", retry=True)]
    m, now = ctx.message, ctx.now()
    volunteer = Volunteer(
        channel=m.channel,
        user_id=m.user_id,
        chat_id=m.chat_id,
        name=str(ctx.state.data.get("full_name", "")),
        team=str(ctx.state.data.get("team", "")),
        hamlet=hamlet,
        status=VolunteerStatus.PENDING,
        requested_at=now,
    )
    await ctx.storage.follows.record_consent(ctx.chat, Purpose.VOLUNTEER, CONSENT_TEXT, now)
    officers = await officer_chats(ctx.services, m.channel, ctx.commune_id)
    await ctx.storage.care.request_volunteer(volunteer, now, officers)
    await ctx.clear_state()
    return [ctx.reply("volunteer_requested.j2", v=volunteer)]


def _clean(text: str) -> str:
    return " ".join(text.split())[:MAX_FIELD]


# -- officers decide ------------------------------------------------------------------------------


async def volunteers_list_command(ctx: Context) -> list[Reply]:
    return [await _list_reply(ctx)]


async def _list_reply(ctx: Context, note: str | None = None) -> Reply:
    channel = ctx.message.channel
    volunteers = await ctx.storage.care.volunteers(ctx.scope.commune_id)  # issue 19
    everyone = [v for v in volunteers if v.channel == channel]
    pending = [v for v in everyone if v.status is VolunteerStatus.PENDING]
    approved = [v for v in everyone if v.status is VolunteerStatus.APPROVED]
    rows = [decision_buttons(v.user_id) for v in pending[:10]]
    return ctx.reply("volunteer_list.j2", rows, pending=pending, approved=approved, note=note)


def decision_buttons(user_id: str) -> list[Button]:
    return [
        ApproveVolunteer(user_id).button(f"✅ Duyệt {user_id}"),
        RefuseVolunteer(user_id).button("Từ chối"),
    ]


async def _decide(ctx: Context, user_id: str, approve: bool) -> list[Reply]:
    channel = ctx.message.channel
    known = await ctx.storage.care.get_volunteer(channel, user_id)
    if known is not None:  # issue 19: a commune's officer decides for their commune only
        ctx.act_for(known.commune_id)
    verdict = "duyệt" if approve else "từ chối"
    entry = audit_entry(ctx, AuditAction.VOLUNTEER_DECIDED, user_id, verdict)
    decided = await ctx.storage.care.decide_volunteer(channel, user_id, approve, entry, ctx.now())
    if decided is None:
        return [await _list_reply(ctx, note=f"Không có đăng ký nào đang chờ của {user_id}.")]
    if approve:
        ctx.services.volunteers.add(channel, user_id)
    else:
        ctx.services.volunteers.remove(channel, user_id)
    note = f"Đã {verdict} tình nguyện viên {decided.name} ({decided.team}, {decided.hamlet})."
    return [await _list_reply(ctx, note=note)]


# -- following for others -------------------------------------------------------------------------


async def ask_label(ctx: Context, dossier: Dossier) -> list[Reply]:
    """After a volunteer follows a dossier: whose is it? (called by handlers.dossiers)"""
    await ctx.set_state(VolunteerState.LABEL, code_key=dossier.code_key)
    rows = [[SkipLabel(dossier.code_key).button("Bỏ qua")]]
    return [ctx.reply("volunteer_ask_label.j2", rows, code=dossier.code)]


def _followed_rows(key: str, name_shown: bool) -> list[list[Button]]:
    rows = [[ForwardText(key).button("📨 Tin nhắn gửi người dân")]]
    if not name_shown:
        rows.append([name_consent_button(key)])
    rows.append([MyDossiers().button("📂 Hồ sơ đang theo dõi")])
    return rows


async def label_typed(ctx: Context) -> list[Reply]:
    label = " ".join(ctx.message.text.split())[:MAX_LABEL]
    key = str(ctx.state.data.get("code_key", ""))
    await ctx.clear_state()
    if not await ctx.storage.follows.label_follow(ctx.chat, key, label):
        return [ctx.reply("volunteer_not_following.j2")]
    rows = _followed_rows(key, await may_see_name(ctx, key))
    return [ctx.reply("volunteer_labelled.j2", rows, label=label)]


async def label_skipped(ctx: Context, key: str) -> list[Reply]:
    await ctx.clear_state()
    if not await ctx.storage.follows.is_following(ctx.chat, key):
        return [ctx.reply("volunteer_not_following.j2")]
    rows = _followed_rows(key, await may_see_name(ctx, key))
    return [ctx.reply("volunteer_labelled.j2", rows, label=None)]


# -- the person's consent to show their name ------------------------------------------------------


async def may_see_name(ctx: Context, key: str) -> bool:
    """A volunteer sees the applicant's full name only for a dossier they follow and whose
    applicant agreed (recorded per dossier, withdrawn when the follow ends)."""
    if not ctx.is_volunteer:
        return False
    return await ctx.storage.follows.has_dossier_consent(ctx.chat, Purpose.VOLUNTEER, key)


def name_consent_button(key: str) -> Button:
    return AskNameConsent(key).button("👁 Người dân đồng ý cho xem tên")


async def _name_consent(ctx: Context, key: str, confirmed: bool) -> list[Reply]:
    dossier = await ctx.storage.dossiers.get_dossier(key)
    if dossier is None or not await ctx.storage.follows.is_following(ctx.chat, key):
        return [ctx.reply("volunteer_not_following.j2")]
    if not confirmed:
        rows = [
            [NameConsentGiven(key).button("✅ Người dân đã đồng ý")],
            [VolunteerNotNow().button("Chưa, để sau")],
        ]
        return [ctx.reply("volunteer_name_consent.j2", rows, code=dossier.code)]
    if not await may_see_name(ctx, key):
        detail = f"{key}: {NAME_CONSENT_TEXT}"
        await ctx.storage.follows.record_consent(ctx.chat, Purpose.VOLUNTEER, detail, ctx.now())
        await audit(ctx, AuditAction.VOLUNTEER_NAME_CONSENT, dossier.code)
    rows = [
        [ViewDossier(key).button("📋 Xem hồ sơ")],
        [MyDossiers().button("📂 Hồ sơ đang theo dõi")],
    ]
    return [ctx.reply("volunteer_name_consented.j2", rows, code=dossier.code)]


async def forward_message(ctx: Context, key: str) -> list[Reply]:
    """A short message the volunteer forwards (or reads out) to the person."""
    follow = next(
        (f for f in await ctx.storage.follows.follows(ctx.chat) if f.dossier.code_key == key), None
    )
    if follow is None:
        return [ctx.reply("volunteer_not_following.j2")]
    d = follow.dossier
    procedure = ctx.catalogue.get(d.procedure_id)
    text = ctx.render(
        "volunteer_forward.j2",
        d=d,
        label=follow.label,
        info=STATUS_INFO[d.status],
        procedure_name=procedure.name if procedure else d.procedure_id,
    )
    # Issue 14: the text to forward ends the reply, and still leaves a way on.
    rows = ((MyDossiers().button("📂 Hồ sơ đang theo dõi"),), (HOME_BUTTON,))
    return [
        ctx.reply("volunteer_forward_intro.j2"),
        Reply(text=text, format=ctx.format, buttons=rows),
    ]


def forward_buttons(ctx: Context, follows: list[Any]) -> list[list[Button]]:
    """For /hoso of a volunteer: one "message for the person" button per dossier."""
    if not ctx.is_volunteer:
        return []
    return [
        [ForwardText(f.dossier.code_key).button(f"📨 Tin nhắn: {f.label or f.dossier.code}"[:60])]
        for f in follows
    ]


# -- buttons --------------------------------------------------------------------------------------


async def join_pressed(ctx: Context) -> list[Reply]:
    await ctx.sync_volunteer_role()
    await ctx.set_state(VolunteerState.NAME)
    return [ctx.reply("volunteer_ask.j2", step="name")]


async def not_now(ctx: Context) -> list[Reply]:
    await ctx.sync_volunteer_role()
    await ctx.clear_state()
    return [ctx.reply("volunteer_cancelled.j2")]


async def skip_pressed(ctx: Context, action: SkipLabel) -> list[Reply]:
    return await label_skipped(ctx, action.code_key)


async def ask_name_consent(ctx: Context, action: AskNameConsent) -> list[Reply]:
    return await _name_consent(ctx, action.code_key, confirmed=False)


async def name_consent_given(ctx: Context, action: NameConsentGiven) -> list[Reply]:
    return await _name_consent(ctx, action.code_key, confirmed=True)


async def approve_pressed(ctx: Context, action: ApproveVolunteer) -> list[Reply]:
    return await _decide(ctx, action.user_id, approve=True)


async def refuse_pressed(ctx: Context, action: RefuseVolunteer) -> list[Reply]:
    return await _decide(ctx, action.user_id, approve=False)


async def forward_pressed(ctx: Context, action: ForwardText) -> list[Reply]:
    return await forward_message(ctx, action.code_key)


routes: list[Route] = [
    command(volunteer_command, "tinhnguyenvien"),
    command(volunteers_list_command, "tinhnguyenvien_ds", who=Role.OFFICER),
    tapped(join_pressed, JoinVolunteers),
    tapped(not_now, VolunteerNotNow),
    pressed(skip_pressed, SkipLabel, who=Role.VOLUNTEER),
    pressed(ask_name_consent, AskNameConsent, who=Role.VOLUNTEER),
    pressed(name_consent_given, NameConsentGiven, who=Role.VOLUNTEER),
    pressed(forward_pressed, ForwardText, who=Role.VOLUNTEER),
    pressed(approve_pressed, ApproveVolunteer, who=Role.OFFICER),
    pressed(refuse_pressed, RefuseVolunteer, who=Role.OFFICER),
    in_state(name_typed, VolunteerState.NAME),
    in_state(team_typed, VolunteerState.TEAM),
    in_state(hamlet_typed, VolunteerState.HAMLET),
    in_state(label_typed, VolunteerState.LABEL, who=Role.VOLUNTEER),
]
