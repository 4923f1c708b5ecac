"""Officers send notices to the people who subscribed (/thongbao), and follow them.

/thongbao → the text, typed or prefilled from a procedure's card (the officer edits what the
catalogue does not know: a decision's number is never invented) → the audience (everyone
subscribed, one field's subscribers, or the approved volunteers) → a preview with the number of
recipients → confirm.
Confirming expands the recipients into the outbox in one transaction (storage), where the
channel's worker sends them at the channel's pace, after any dossier's own messages. The officer
sees progress (/thongbao_ds, "Xem tiến độ"), can cancel what is not sent yet, and gets a final
report when all is done.
"""

from __future__ import annotations

from enum import StrEnum

from core.broadcasts import (
    ALL_TOPICS,
    MAX_TEXT,
    TO_FILL,
    VOLUNTEERS,
    AudienceSizes,
    Broadcast,
    BroadcastDraft,
    BroadcastProgress,
    NoRecipients,
)
from core.catalogue import Catalogue
from core.catalogue.models import Procedure
from core.messages import Button, Reply, TextFormat
from core.officers import AuditAction
from handlers.actions import (
    AskCancelBroadcast,
    BroadcastCommunes,
    CancelBroadcast,
    ChooseAudience,
    DraftField,
    DraftFromProcedure,
    DraftProcedure,
    DropBroadcast,
    SendBroadcast,
    ShowProgress,
    ToggleBroadcastCommune,
    UseDraft,
    WholeProvince,
    procedure_card,
)
from handlers.context import Context, Services, render
from handlers.officers import audit_entry
from handlers.procedure_view import field_slug
from handlers.routing import Role, Route, command, in_state, pressed, tapped
from handlers.subscriptions import field_names, topic_label


class BroadcastState(StrEnum):
    COMPOSE = "broadcast.compose"  # data: text, procedure_id, topic (all optional, prefill)
    AUDIENCE = "broadcast.audience"  # data: text, procedure_id
    CONFIRM = "broadcast.confirm"  # data: text, procedure_id, topic


MIN_TEXT = 10
RECENT = 10
DROP = DropBroadcast().button("Hủy")
DRAFTING = (BroadcastState.COMPOSE, BroadcastState.AUDIENCE, BroadcastState.CONFIRM)


# -- what citizens receive --------------------------------------------------------------------


def notice_reply(
    services: Services, fmt: TextFormat, text: str, topic: str, procedure_id: str | None
) -> Reply:
    """The notice as a subscriber sees it (also the officer's preview)."""
    catalogue = services.knowledge.catalogue
    procedure = catalogue.get(procedure_id) if procedure_id else None
    field = None if topic in (ALL_TOPICS, VOLUNTEERS) else field_names(catalogue).get(topic, topic)
    body = render(
        services, fmt, "notify_broadcast.j2", text=text, field=field, volunteers=topic == VOLUNTEERS
    )
    rows = ((procedure_card(procedure.id).button("📄 Xem thủ tục"),),) if procedure else ()
    return Reply(text=body, buttons=rows, format=fmt)


def prefilled_text(services: Services, procedure: Procedure) -> str:
    """An announcement from the procedure's card; what the catalogue lacks is marked TO_FILL."""
    return render(
        services, TextFormat.PLAIN, "broadcast_prefill.j2", p=procedure, to_fill=TO_FILL
    ).strip()


# -- composing ----------------------------------------------------------------------------------


async def broadcast_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    if typed.strip():
        return await _take_text(ctx, typed, procedure_id=None)
    await ctx.set_state(BroadcastState.COMPOSE)
    rows = [[DraftFromProcedure().button("📄 Soạn từ một thủ tục")], [DROP]]
    return [ctx.reply("broadcast_start.j2", rows)]


async def text_typed(ctx: Context) -> list[Reply]:
    procedure_id = ctx.state.data.get("procedure_id")
    return await _take_text(ctx, ctx.message.text, procedure_id=procedure_id)


async def _take_text(ctx: Context, typed: str, procedure_id: str | None) -> list[Reply]:
    text = typed.strip()
    if len(text) < MIN_TEXT or len(text) > MAX_TEXT:
        return [ctx.reply("broadcast_bad_text.j2", length=len(text), low=MIN_TEXT, high=MAX_TEXT)]
    topic = ctx.state.data.get("topic") if ctx.state.name == BroadcastState.CONFIRM else None
    if topic is not None:  # an edit after the audience was chosen: straight back to the preview
        return await _preview(ctx, text, str(topic), procedure_id)
    return await _ask_audience(ctx, text, procedure_id)


# -- where (issue 19 point 7) --------------------------------------------------------------------


def _communes(ctx: Context) -> tuple[str, ...]:
    """The communes the notice goes to: a commune officer's own; a province officer's pick
    (kept with the draft; empty: the whole province)."""
    if ctx.scope.commune_id is not None:
        return (ctx.scope.commune_id,)
    province = ctx.services.knowledge.province
    picked = ctx.state.data.get("communes") or []
    return tuple(c.id for c in province if c.id in picked)


def _where(ctx: Context, communes: tuple[str, ...]) -> str | None:
    """ "xã Bình An, xã Tân Phú" or "cả tỉnh"; None in a province of one (nothing to say)."""
    province = ctx.services.knowledge.province
    if province.single:
        return None
    names = [c.name for c in province if c.id in communes]
    return ", ".join(names) if names else f"cả {province.name}"


def _may_pick(ctx: Context) -> bool:
    return ctx.scope.province and not ctx.services.knowledge.province.single


async def _ask_audience(ctx: Context, text: str, procedure_id: str | None) -> list[Reply]:
    communes = _communes(ctx)
    sizes = await ctx.storage.broadcasts.audience_sizes(communes)
    if sizes.everyone == 0 and sizes.volunteers == 0 and not _may_pick(ctx):
        await ctx.clear_state()
        return [ctx.reply("broadcast_nobody.j2")]
    await ctx.set_state(
        BroadcastState.AUDIENCE, text=text, procedure_id=procedure_id, communes=list(communes)
    )
    rows = _audience_rows(ctx, sizes, procedure_id)
    if _may_pick(ctx):
        rows.insert(-1, [BroadcastCommunes().button(f"📍 Gửi đến: {_where(ctx, communes)}")])
    where = _where(ctx, communes)
    return [ctx.reply("broadcast_ask_audience.j2", rows, where=where)]


async def communes_pressed(ctx: Context) -> list[Reply]:
    """The communes, each a toggle; "Xong" goes back to the audiences with their sizes."""
    ctx.scope.check(None)  # a commune's officer sends to their commune only
    if ctx.state.name not in (BroadcastState.AUDIENCE, BroadcastState.CONFIRM) or not _may_pick(
        ctx
    ):
        return [ctx.reply("stale_button.j2")]
    picked = _communes(ctx)
    rows = [
        [ToggleBroadcastCommune(c.id).button(("✅ " if c.id in picked else "▫️ ") + c.name)]
        for c in ctx.services.knowledge.province
    ]
    rows.append([WholeProvince().button("🌐 Cả tỉnh"), ChooseAudience().button("✔️ Xong")])
    return [ctx.reply("broadcast_pick_communes.j2", rows, where=_where(ctx, picked))]


async def commune_toggled(ctx: Context, action: ToggleBroadcastCommune) -> list[Reply]:
    ctx.scope.check(action.commune_id)
    if ctx.state.name not in (BroadcastState.AUDIENCE, BroadcastState.CONFIRM) or not _may_pick(
        ctx
    ):
        return [ctx.reply("stale_button.j2")]
    picked = set(_communes(ctx)) ^ {action.commune_id}
    await _keep_communes(ctx, picked)
    return await communes_pressed(ctx)


async def whole_province(ctx: Context) -> list[Reply]:
    if ctx.state.name not in (BroadcastState.AUDIENCE, BroadcastState.CONFIRM) or not _may_pick(
        ctx
    ):
        return [ctx.reply("stale_button.j2")]
    await _keep_communes(ctx, set())
    return await communes_pressed(ctx)


async def _keep_communes(ctx: Context, picked: set[str]) -> None:
    data = {k: v for k, v in ctx.state.data.items() if k != "memory"}
    data["communes"] = sorted(picked)
    data.pop("topic", None)  # the audience is chosen again, with its new size
    await ctx.set_state(BroadcastState.AUDIENCE, **data)


def _audience_rows(
    ctx: Context, sizes: AudienceSizes, procedure_id: str | None
) -> list[list[Button]]:
    names = field_names(ctx.catalogue)
    procedure = ctx.catalogue.get(procedure_id) if procedure_id else None
    first = field_slug(procedure.field) if procedure else None
    slugs = sorted(names, key=lambda slug: slug != first)  # the procedure's field first
    rows = []
    if sizes.everyone > 0:
        rows.append([ChooseAudience(ALL_TOPICS).button(f"Tất cả người đăng ký ({sizes.everyone})")])
    rows += [
        [ChooseAudience(slug).button(f"Lĩnh vực {names[slug]} ({sizes.size(slug)})")]
        for slug in slugs
        if sizes.size(slug) > 0
    ]
    if sizes.volunteers > 0:
        rows.append([ChooseAudience(VOLUNTEERS).button(f"Tình nguyện viên ({sizes.volunteers})")])
    rows.append([DROP])
    return rows


async def _preview(ctx: Context, text: str, topic: str, procedure_id: str | None) -> list[Reply]:
    communes = _communes(ctx)
    count = (await ctx.storage.broadcasts.audience_sizes(communes)).size(topic)
    await ctx.set_state(
        BroadcastState.CONFIRM,
        text=text,
        topic=topic,
        procedure_id=procedure_id,
        communes=list(communes),
    )
    unfinished = TO_FILL in text
    rows = (
        [] if unfinished or not count else [[SendBroadcast().button(f"✅ Gửi cho {count} người")]]
    )
    rows.append([ChooseAudience().button("👥 Đổi người nhận"), DROP])
    notice = notice_reply(ctx.services, ctx.format, text, topic, procedure_id)
    return [
        ctx.reply(
            "broadcast_preview.j2",
            rows,
            notice=notice.text,
            count=count,
            audience=topic_label(ctx.catalogue, topic),
            unfinished=unfinished,
            to_fill=TO_FILL,
            where=_where(ctx, communes),
        )
    ]


async def draft_from_procedure(ctx: Context, procedure: Procedure) -> list[Reply]:
    """Start a notice prefilled from the procedure's card (also offered after a new catalogue)."""
    text = prefilled_text(ctx.services, procedure)
    await ctx.set_state(BroadcastState.COMPOSE, text=text, procedure_id=procedure.id)
    rows = [[UseDraft().button("✅ Dùng nội dung này")], [DROP]]
    return [ctx.reply("broadcast_prefilled.j2", rows, text=text, to_fill=TO_FILL)]


# Each step's button is answered only in the step that showed it: an old or forged one is stale.


async def pick_field(ctx: Context) -> list[Reply]:
    if ctx.state.name not in DRAFTING:
        return [ctx.reply("stale_button.j2")]
    rows = [[DraftField(field_slug(f)).button(f)] for f in ctx.catalogue.fields]
    return [ctx.reply("broadcast_pick_field.j2", rows)]


async def pick_procedure(ctx: Context, action: DraftField) -> list[Reply]:
    field = field_names(ctx.catalogue).get(action.slug)
    if ctx.state.name not in DRAFTING or field is None:
        return [ctx.reply("stale_button.j2")]
    rows = [[DraftProcedure(p.id).button(p.name)] for p in ctx.catalogue.in_field(field)]
    return [ctx.reply("broadcast_pick_procedure.j2", rows, field=field)]


async def procedure_picked(ctx: Context, action: DraftProcedure) -> list[Reply]:
    procedure = ctx.catalogue.get(action.procedure_id)
    if ctx.state.name not in DRAFTING or procedure is None:
        return [ctx.reply("stale_button.j2")]
    return await draft_from_procedure(ctx, procedure)


async def use_draft(ctx: Context) -> list[Reply]:
    data = ctx.state.data
    if ctx.state.name != BroadcastState.COMPOSE or not data.get("text"):
        return [ctx.reply("stale_button.j2")]
    return await _ask_audience(ctx, str(data["text"]), data.get("procedure_id"))


async def audience_chosen(ctx: Context, action: ChooseAudience) -> list[Reply]:
    data, topic = ctx.state.data, action.topic
    if ctx.state.name not in (BroadcastState.AUDIENCE, BroadcastState.CONFIRM):
        return [ctx.reply("stale_button.j2")]
    procedure_id = data.get("procedure_id")
    if topic is None:
        return await _ask_audience(ctx, str(data["text"]), procedure_id)
    if topic in (ALL_TOPICS, VOLUNTEERS) or topic in field_names(ctx.catalogue):
        return await _preview(ctx, str(data["text"]), topic, procedure_id)
    return [ctx.reply("stale_button.j2")]


async def send_pressed(ctx: Context) -> list[Reply]:
    if ctx.state.name != BroadcastState.CONFIRM:
        return [ctx.reply("stale_button.j2")]
    return await _confirm(ctx)


async def drop_pressed(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [ctx.reply("broadcast_dropped.j2")]


async def progress_pressed(ctx: Context, action: ShowProgress) -> list[Reply]:
    return [await _progress_reply(ctx, action.broadcast_id)]


async def ask_cancel(ctx: Context, action: AskCancelBroadcast) -> list[Reply]:
    broadcast_id = action.broadcast_id
    rows = [
        [
            CancelBroadcast(broadcast_id).button("⛔ Hủy gửi"),
            ShowProgress(broadcast_id).button("Không hủy"),
        ]
    ]
    return [ctx.reply("broadcast_cancel_confirm.j2", rows, id=broadcast_id)]


async def cancel_pressed(ctx: Context, action: CancelBroadcast) -> list[Reply]:
    return await _cancel(ctx, action.broadcast_id)


async def _confirm(ctx: Context) -> list[Reply]:
    data = ctx.state.data
    text, topic = str(data["text"]), str(data["topic"])
    if TO_FILL in text:
        return [ctx.reply("broadcast_unfinished.j2", to_fill=TO_FILL)]
    procedure_id = data.get("procedure_id")
    m, communes = ctx.message, _communes(ctx)
    draft = BroadcastDraft(
        text=text,
        topic=topic,
        procedure_id=str(procedure_id) if procedure_id else None,
        channel=m.channel,
        created_by=m.user_id,
        creator_name=m.display_name,
        report_chat=m.chat_id,
        communes=communes,
    )
    detail = audit_detail(ctx.catalogue, topic, text)
    if (where := _where(ctx, communes)) is not None:
        detail = f"{detail} · {where}"
    if len(communes) == 1:
        ctx.act_for(communes[0])  # the audit log records the commune
    entry = audit_entry(ctx, AuditAction.BROADCAST_SENT, detail=detail)
    try:
        broadcast = await ctx.storage.broadcasts.create_broadcast(draft, entry, ctx.now())
    except NoRecipients:
        await ctx.clear_state()
        return [ctx.reply("broadcast_nobody.j2")]
    await ctx.clear_state()
    return [ctx.reply("broadcast_queued.j2", _progress_rows(broadcast.id, True), bc=broadcast)]


def audit_detail(catalogue: Catalogue, topic: str, text: str) -> str:
    first_line = text.splitlines()[0] if text else ""
    return f"{topic_label(catalogue, topic)} · «{first_line[:80]}»"


# -- following and cancelling ---------------------------------------------------------------


def _progress_rows(broadcast_id: int, running: bool) -> list[list[Button]]:
    rows = [[ShowProgress(broadcast_id).button("📊 Xem tiến độ")]]
    if running:
        rows.append([AskCancelBroadcast(broadcast_id).button("⛔ Hủy gửi")])
    return rows


async def _progress_reply(ctx: Context, broadcast_id: int) -> Reply:
    broadcast = await ctx.storage.broadcasts.get_broadcast(broadcast_id)
    if broadcast is None:
        return ctx.reply("stale_button.j2")
    ctx.act_for(broadcast.commune_id)  # issue 19: a commune's officer follows their own
    progress = await ctx.storage.broadcasts.broadcast_progress(broadcast_id)
    return _progress_text(ctx, broadcast, progress)


def _progress_text(ctx: Context, broadcast: Broadcast, progress: BroadcastProgress) -> Reply:
    running = broadcast.cancelled_at is None and not progress.done
    return ctx.reply(
        "broadcast_progress.j2",
        _progress_rows(broadcast.id, running),
        bc=broadcast,
        p=progress,
        audience=topic_label(ctx.catalogue, broadcast.topic),
    )


async def _cancel(ctx: Context, broadcast_id: int) -> list[Reply]:
    broadcast = await ctx.storage.broadcasts.get_broadcast(broadcast_id)
    if broadcast is not None:  # issue 19: a commune's officer cancels their own only
        ctx.act_for(broadcast.commune_id)
    entry = audit_entry(ctx, AuditAction.BROADCAST_CANCELLED)
    cancelled = await ctx.storage.broadcasts.cancel_broadcast(broadcast_id, entry, ctx.now())
    reply = await _progress_reply(ctx, broadcast_id)
    if cancelled is None:
        return [ctx.reply("broadcast_cancel_none.j2", id=broadcast_id), reply]
    return [ctx.reply("broadcast_cancelled.j2", id=broadcast_id, cancelled=cancelled), reply]


async def recent_command(ctx: Context) -> list[Reply]:
    recent = await ctx.storage.broadcasts.recent_broadcasts(RECENT, ctx.scope.commune_id)
    rows = [[ShowProgress(b.id).button(f"📊 Tiến độ #{b.id}")] for b, _ in recent]
    labels = {b.id: topic_label(ctx.catalogue, b.topic) for b, _ in recent}
    return [ctx.reply("broadcast_list.j2", rows, recent=recent, labels=labels)]


OFFICER = Role.OFFICER
routes: list[Route] = [
    command(broadcast_command, "thongbao", who=OFFICER),
    command(recent_command, "thongbao_ds", who=OFFICER),
    tapped(pick_field, DraftFromProcedure, who=OFFICER),
    pressed(pick_procedure, DraftField, who=OFFICER),
    pressed(procedure_picked, DraftProcedure, who=OFFICER),
    tapped(use_draft, UseDraft, who=OFFICER),
    pressed(audience_chosen, ChooseAudience, who=OFFICER),
    tapped(send_pressed, SendBroadcast, who=OFFICER),
    tapped(communes_pressed, BroadcastCommunes, who=OFFICER),
    pressed(commune_toggled, ToggleBroadcastCommune, who=OFFICER),
    tapped(whole_province, WholeProvince, who=OFFICER),
    tapped(drop_pressed, DropBroadcast, who=OFFICER),
    pressed(progress_pressed, ShowProgress, who=OFFICER),
    pressed(ask_cancel, AskCancelBroadcast, who=OFFICER),
    pressed(cancel_pressed, CancelBroadcast, who=OFFICER),
    in_state(text_typed, *DRAFTING, who=OFFICER),
]
