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
from handlers.context import Context, Services, render
from handlers.officers import audit_entry, officers_only
from handlers.procedure_view import field_slug
from handlers.routing import Route, button, button_action, command, in_state
from handlers.subscriptions import field_names, topic_label


class BroadcastState(StrEnum):
    COMPOSE = "broadcast.compose"  # data: text, procedure_id, topic (all optional, prefill)
    AUDIENCE = "broadcast.audience"  # data: text, procedure_id
    CONFIRM = "broadcast.confirm"  # data: text, procedure_id, topic


MIN_TEXT = 10
RECENT = 10


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
    rows = ((Button("📄 Xem thủ tục", f"p:c:{procedure.id}"),),) if procedure else ()
    return Reply(text=body, buttons=rows, format=fmt)


def prefilled_text(services: Services, procedure: Procedure) -> str:
    """An announcement from the procedure's card; what the catalogue lacks is marked TO_FILL."""
    return render(
        services, TextFormat.PLAIN, "broadcast_prefill.j2", p=procedure, to_fill=TO_FILL
    ).strip()


# -- composing ----------------------------------------------------------------------------------


async def broadcast_command(ctx: Context) -> list[Reply]:
    if refused := officers_only(ctx):
        return refused
    _, typed = ctx.message.command or ("", "")
    if typed.strip():
        return await _take_text(ctx, typed, procedure_id=None)
    await ctx.set_state(BroadcastState.COMPOSE)
    rows = [[Button("📄 Soạn từ một thủ tục", "b:p")], [Button("Hủy", "b:n")]]
    return [ctx.reply("broadcast_start.j2", rows)]


async def text_typed(ctx: Context) -> list[Reply]:
    if refused := officers_only(ctx):
        await ctx.clear_state()
        return refused
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


async def _ask_audience(ctx: Context, text: str, procedure_id: str | None) -> list[Reply]:
    sizes = await ctx.storage.broadcasts.audience_sizes()
    if sizes.everyone == 0 and sizes.volunteers == 0:
        await ctx.clear_state()
        return [ctx.reply("broadcast_nobody.j2")]
    await ctx.set_state(BroadcastState.AUDIENCE, text=text, procedure_id=procedure_id)
    return [ctx.reply("broadcast_ask_audience.j2", _audience_rows(ctx, sizes, procedure_id))]


def _audience_rows(
    ctx: Context, sizes: AudienceSizes, procedure_id: str | None
) -> list[list[Button]]:
    names = field_names(ctx.catalogue)
    procedure = ctx.catalogue.get(procedure_id) if procedure_id else None
    first = field_slug(procedure.field) if procedure else None
    slugs = sorted(names, key=lambda slug: slug != first)  # the procedure's field first
    rows = []
    if sizes.everyone > 0:
        rows.append([Button(f"Tất cả người đăng ký ({sizes.everyone})", f"b:a:{ALL_TOPICS}")])
    rows += [
        [Button(f"Lĩnh vực {names[slug]} ({sizes.size(slug)})", f"b:a:{slug}")]
        for slug in slugs
        if sizes.size(slug) > 0
    ]
    if sizes.volunteers > 0:
        rows.append([Button(f"Tình nguyện viên ({sizes.volunteers})", f"b:a:{VOLUNTEERS}")])
    rows.append([Button("Hủy", "b:n")])
    return rows


async def _preview(ctx: Context, text: str, topic: str, procedure_id: str | None) -> list[Reply]:
    count = (await ctx.storage.broadcasts.audience_sizes()).size(topic)
    await ctx.set_state(BroadcastState.CONFIRM, text=text, topic=topic, procedure_id=procedure_id)
    unfinished = TO_FILL in text
    rows = [] if unfinished or not count else [[Button(f"✅ Gửi cho {count} người", "b:c")]]
    rows.append([Button("👥 Đổi người nhận", "b:a"), Button("Hủy", "b:n")])
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
        )
    ]


async def draft_from_procedure(ctx: Context, procedure: Procedure) -> list[Reply]:
    """Start a notice prefilled from the procedure's card (also offered after a new catalogue)."""
    text = prefilled_text(ctx.services, procedure)
    await ctx.set_state(BroadcastState.COMPOSE, text=text, procedure_id=procedure.id)
    rows = [[Button("✅ Dùng nội dung này", "b:u")], [Button("Hủy", "b:n")]]
    return [ctx.reply("broadcast_prefilled.j2", rows, text=text, to_fill=TO_FILL)]


async def broadcast_button(ctx: Context) -> list[Reply]:
    if refused := officers_only(ctx):
        return refused
    action, arg = button_action(ctx)
    state, data = ctx.state.name, ctx.state.data
    drafting = state in (BroadcastState.COMPOSE, BroadcastState.AUDIENCE, BroadcastState.CONFIRM)
    match action:
        case "p" if drafting:
            rows = [[Button(f, f"b:pf:{field_slug(f)}")] for f in ctx.catalogue.fields]
            return [ctx.reply("broadcast_pick_field.j2", rows)]
        case "pf" if drafting and arg in field_names(ctx.catalogue):
            field = field_names(ctx.catalogue)[arg]
            rows = [[Button(p.name, f"b:pp:{p.id}")] for p in ctx.catalogue.in_field(field)]
            return [ctx.reply("broadcast_pick_procedure.j2", rows, field=field)]
        case "pp" if drafting and (procedure := ctx.catalogue.get(arg)) is not None:
            return await draft_from_procedure(ctx, procedure)
        case "u" if state == BroadcastState.COMPOSE and data.get("text"):
            return await _ask_audience(ctx, str(data["text"]), data.get("procedure_id"))
        case "a" if state in (BroadcastState.AUDIENCE, BroadcastState.CONFIRM):
            procedure_id = data.get("procedure_id")
            if not arg:
                return await _ask_audience(ctx, str(data["text"]), procedure_id)
            if arg in (ALL_TOPICS, VOLUNTEERS) or arg in field_names(ctx.catalogue):
                return await _preview(ctx, str(data["text"]), arg, procedure_id)
        case "c" if state == BroadcastState.CONFIRM:
            return await _confirm(ctx)
        case "n":
            await ctx.clear_state()
            return [ctx.reply("broadcast_dropped.j2")]
        case "s" if arg.isdigit():
            return [await _progress_reply(ctx, int(arg))]
        case "x" if arg.isdigit():
            rows = [[Button("⛔ Hủy gửi", f"b:xy:{arg}"), Button("Không hủy", f"b:s:{arg}")]]
            return [ctx.reply("broadcast_cancel_confirm.j2", rows, id=arg)]
        case "xy" if arg.isdigit():
            return await _cancel(ctx, int(arg))
    return [ctx.reply("stale_button.j2")]


async def _confirm(ctx: Context) -> list[Reply]:
    data = ctx.state.data
    text, topic = str(data["text"]), str(data["topic"])
    if TO_FILL in text:
        return [ctx.reply("broadcast_unfinished.j2", to_fill=TO_FILL)]
    procedure_id = data.get("procedure_id")
    m = ctx.message
    draft = BroadcastDraft(
        text=text,
        topic=topic,
        procedure_id=str(procedure_id) if procedure_id else None,
        channel=m.channel,
        created_by=m.user_id,
        creator_name=m.display_name,
        report_chat=m.chat_id,
    )
    detail = audit_detail(ctx.catalogue, topic, text)
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
    rows = [[Button("📊 Xem tiến độ", f"b:s:{broadcast_id}")]]
    if running:
        rows.append([Button("⛔ Hủy gửi", f"b:x:{broadcast_id}")])
    return rows


async def _progress_reply(ctx: Context, broadcast_id: int) -> Reply:
    broadcast = await ctx.storage.broadcasts.get_broadcast(broadcast_id)
    if broadcast is None:
        return ctx.reply("stale_button.j2")
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
    entry = audit_entry(ctx, AuditAction.BROADCAST_CANCELLED)
    cancelled = await ctx.storage.broadcasts.cancel_broadcast(broadcast_id, entry, ctx.now())
    reply = await _progress_reply(ctx, broadcast_id)
    if cancelled is None:
        return [ctx.reply("broadcast_cancel_none.j2", id=broadcast_id), reply]
    return [ctx.reply("broadcast_cancelled.j2", id=broadcast_id, cancelled=cancelled), reply]


async def recent_command(ctx: Context) -> list[Reply]:
    if refused := officers_only(ctx):
        return refused
    recent = await ctx.storage.broadcasts.recent_broadcasts(RECENT)
    rows = [[Button(f"📊 Tiến độ #{b.id}", f"b:s:{b.id}")] for b, _ in recent]
    labels = {b.id: topic_label(ctx.catalogue, b.topic) for b, _ in recent}
    return [ctx.reply("broadcast_list.j2", rows, recent=recent, labels=labels)]


routes: list[Route] = [
    command(broadcast_command, "thongbao"),
    command(recent_command, "thongbao_ds"),
    button(broadcast_button, "b"),
    in_state(text_typed, BroadcastState.COMPOSE, BroadcastState.AUDIENCE, BroadcastState.CONFIRM),
]
