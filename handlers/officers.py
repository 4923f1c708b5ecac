"""Officers' roles and the audit log: /canbo (admins manage officers), /nhatky (the log).

Admins are the ids in the settings (`OFFICER_IDS`, each with its channel). They add and remove
the other officers of their channel here; the database keeps them and the in-memory roster
(`Services.roster`) is updated at once, so the role check on every message costs nothing.
Every action an officer takes for the office is written to the audit log (`audit`).
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum

from core.messages import Reply
from core.officers import AuditAction, AuditEntry, Officer
from handlers.actions import AddOfficer, AskRemoveOfficer, AuditPage, OfficerRoster, RemoveOfficer
from handlers.context import Context
from handlers.routing import Role, Route, command, in_state, pressed, tapped


class OfficerState(StrEnum):
    ADD = "officers.add"  # waiting for "<user id> [name]"


AUDIT_LABELS = {
    AuditAction.APOLOGY_ISSUED: "Ban hành văn bản xin lỗi",
    AuditAction.BROADCAST_SENT: "Gửi thông báo",
    AuditAction.BROADCAST_CANCELLED: "Hủy gửi thông báo",
    AuditAction.OFFICER_ADDED: "Thêm cán bộ",
    AuditAction.OFFICER_REMOVED: "Xóa cán bộ",
    AuditAction.DOSSIERS_IMPORTED: "Nhập danh sách hồ sơ",
    AuditAction.CATALOGUE_UPDATED: "Cập nhật danh mục thủ tục",
    AuditAction.STATUS_UPDATED: "Cập nhật trạng thái hồ sơ",
    AuditAction.FEEDBACK_ANSWERED: "Trả lời phản ánh, kiến nghị",
    AuditAction.VOLUNTEER_DECIDED: "Duyệt tình nguyện viên",
    AuditAction.VOLUNTEER_LOOKUP: "Tình nguyện viên tra cứu hồ sơ",
    AuditAction.VOLUNTEER_NAME_CONSENT: "Người dân đồng ý cho tình nguyện viên xem họ tên",
    AuditAction.SLIPS_PRINTED: "In phiếu theo dõi có mã QR",
    AuditAction.LINKS_REVOKED: "Hủy phiếu QR của hồ sơ",
    AuditAction.TICKET_CLAIMED: "Nhận trả lời câu hỏi của người dân",
    AuditAction.TICKET_REPLIED: "Trả lời câu hỏi của người dân",
    AuditAction.TICKET_PASSED: "Chuyển câu hỏi cho cán bộ khác",
    AuditAction.TICKET_CLOSED: "Kết thúc câu hỏi của người dân",
    AuditAction.LOOKUP_LIMITED: "Tra cứu sai nhiều lần: tạm chặn người tra cứu",
    AuditAction.LOOKUP_LOCKED: "Tra cứu sai nhiều lần: tạm khóa tra cứu mã hồ sơ",
    AuditAction.LOOKUP_SURGE: "Tra cứu sai bất thường: tạm dừng kiểm tra 4 số cho mọi người",
}
AUDIT_PAGE = 10
_USER_ID = re.compile(r"[0-9A-Za-z_.:-]{1,40}")
log = logging.getLogger(__name__)


# -- the audit hook --------------------------------------------------------------------------


def audit_entry(
    ctx: Context, action: AuditAction, target: str | None = None, detail: str | None = None
) -> AuditEntry:
    m = ctx.message
    return AuditEntry(
        ctx.now(),
        m.channel,
        m.user_id,
        m.display_name,
        action,
        target,
        detail,
        commune_id=ctx.acting_commune,
    )


async def audit(
    ctx: Context, action: AuditAction, target: str | None = None, detail: str | None = None
) -> None:
    """Record an officer's action that its own storage method did not record already."""
    await ctx.storage.officers.record_audit(audit_entry(ctx, action, target, detail))


# -- /canbo -----------------------------------------------------------------------------------


async def officers_command(ctx: Context) -> list[Reply]:
    """/canbo · /canbo them <mã> [tên] · /canbo xoa <mã>"""
    _, args = ctx.message.command or ("", "")
    words = args.split()
    if not words:
        return [await roster_reply(ctx)]
    verb = words[0].lower()
    if verb in ("them", "thêm", "add") and len(words) >= 2:
        return await _add(ctx, words[1], " ".join(words[2:]) or None)
    if verb in ("xoa", "xóa", "xoá", "remove") and len(words) == 2:
        return await _remove(ctx, words[1])
    return [ctx.reply("officers_usage.j2")]


async def roster_reply(ctx: Context, note: str | None = None) -> Reply:
    channel, scope = ctx.message.channel, ctx.scope
    added = [
        o
        for o in await ctx.storage.officers.officers()
        if o.channel == channel and scope.covers(o.commune_id)
    ]
    rows = [[AddOfficer().button("➕ Thêm cán bộ")]]
    rows += [[AskRemoveOfficer(o.user_id).button(f"Xóa {o.name or o.user_id}")] for o in added]
    return ctx.reply(
        "officers_list.j2",
        rows,
        admins=ctx.services.admins.labels(),
        officers=added,
        note=note,
        names=commune_names(ctx),
    )


def commune_names(ctx: Context) -> dict[str, str]:
    """Issue 19: the communes' names by id (empty for a province of one: nothing to show)."""
    province = ctx.services.knowledge.province
    return {} if province.single else {c.id: c.name for c in province}


async def add_pressed(ctx: Context) -> list[Reply]:
    await ctx.set_state(OfficerState.ADD)
    return [ctx.reply("officers_add_prompt.j2", [[OfficerRoster().button("Hủy")]])]


async def roster_pressed(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [await roster_reply(ctx)]


async def ask_remove(ctx: Context, action: AskRemoveOfficer) -> list[Reply]:
    rows = [
        [
            RemoveOfficer(action.user_id).button("🗑 Xóa"),
            OfficerRoster().button("Không xóa"),
        ]
    ]
    return [ctx.reply("officers_remove_confirm.j2", rows, user_id=action.user_id)]


async def remove_pressed(ctx: Context, action: RemoveOfficer) -> list[Reply]:
    return await _remove(ctx, action.user_id)


async def add_typed(ctx: Context) -> list[Reply]:
    words = ctx.message.text.split()
    await ctx.clear_state()
    return await _add(ctx, words[0], " ".join(words[1:]) or None)


async def _add(ctx: Context, typed: str, name: str | None) -> list[Reply]:
    # Issue 19: `123@binh-an` adds an officer of that commune (a province admin's choice); a
    # commune's admin adds officers of their own commune only.
    user_id, _, asked = typed.partition("@")
    if not _USER_ID.fullmatch(user_id):
        return [ctx.reply("officers_bad_id.j2", typed=typed[:40])]
    if asked and ctx.services.knowledge.province.get(asked) is None:
        return [await roster_reply(ctx, note=f"Không có xã, phường mã «{asked[:40]}».")]
    commune_id = ctx.narrow_scope(asked or None).commune_id
    if (ctx.message.channel, user_id) in ctx.services.admins:
        return [await roster_reply(ctx, note=f"{user_id} đã là quản trị (khai trong cấu hình).")]
    channel, name = ctx.message.channel, (name or "")[:80] or None
    officer = Officer(channel, user_id, name, ctx.message.user_id, ctx.now(), commune_id)
    entry = audit_entry(ctx, AuditAction.OFFICER_ADDED, user_id, name)
    new = await ctx.storage.officers.add_officer(officer, entry)
    ctx.services.roster.add(channel, user_id, commune_id)
    await _update_menu(ctx, user_id, officer=True)
    who = f"{name} ({user_id})" if name else user_id
    note = f"Đã thêm cán bộ {who}." if new else f"{who} đã là cán bộ; đã cập nhật tên."
    return [await roster_reply(ctx, note=note)]


async def _remove(ctx: Context, user_id: str) -> list[Reply]:
    if (ctx.message.channel, user_id) in ctx.services.admins:
        note = f"{user_id} là quản trị khai trong cấu hình (OFFICER_IDS): không xóa trong chat."
        return [await roster_reply(ctx, note=note)]
    channel = ctx.message.channel
    ctx.act_for(ctx.services.officer_scope(channel, user_id).commune_id)  # issue 19
    entry = audit_entry(ctx, AuditAction.OFFICER_REMOVED, user_id)
    removed = await ctx.storage.officers.remove_officer(channel, user_id, entry)
    ctx.services.roster.remove(channel, user_id)
    await _update_menu(ctx, user_id, officer=False)
    note = f"Đã xóa cán bộ {user_id}." if removed else f"{user_id} không có trong danh sách."
    return [await roster_reply(ctx, note=note)]


async def _update_menu(ctx: Context, user_id: str, *, officer: bool) -> None:
    """The officers' command menu in their chat, at once (channels that have one)."""
    menus = ctx.services.menus.get(ctx.message.channel)
    if menus is None:
        return
    try:
        await menus.officer_menu(user_id, officer)
    except Exception:  # the role itself is granted; the menu is a convenience, set again later
        log.exception("cannot update the command menu of %s", user_id)


# -- /nhatky ----------------------------------------------------------------------------------


async def audit_command(ctx: Context) -> list[Reply]:
    return [await _audit_page(ctx, 0)]


async def audit_button(ctx: Context, action: AuditPage) -> list[Reply]:
    return [await _audit_page(ctx, action.offset)]


async def _audit_page(ctx: Context, offset: int) -> Reply:
    entries = await ctx.storage.officers.audit_entries(AUDIT_PAGE + 1, offset, ctx.scope.commune_id)
    more = len(entries) > AUDIT_PAGE
    nav = []
    if offset > 0:
        nav.append(AuditPage(max(0, offset - AUDIT_PAGE)).button("◀ Mới hơn"))
    if more:
        nav.append(AuditPage(offset + AUDIT_PAGE).button("Cũ hơn ▶"))
    return ctx.reply(
        "audit_log.j2",
        [nav],
        entries=entries[:AUDIT_PAGE],
        labels=AUDIT_LABELS,
        first=offset + 1,
        names=commune_names(ctx),
    )


ADMIN = Role.ADMIN
routes: list[Route] = [
    command(officers_command, "canbo", who=ADMIN),
    command(audit_command, "nhatky", who=ADMIN),
    tapped(add_pressed, AddOfficer, who=ADMIN),
    tapped(roster_pressed, OfficerRoster, who=ADMIN),
    pressed(ask_remove, AskRemoveOfficer, who=ADMIN),
    pressed(remove_pressed, RemoveOfficer, who=ADMIN),
    pressed(audit_button, AuditPage, who=ADMIN),
    in_state(add_typed, OfficerState.ADD, who=ADMIN),
]
