"""/capnhat MÃ: an officer moves a dossier to another status from the chat, with a note.

For a procedure that allows a longer time when the facts must be verified (kết hôn: Luật Hộ tịch
2014 Điều 18 khoản 2), the status buttons begin with "Cần xác minh – hẹn …": the dossier is
being handled, its due date becomes the longer time (`core.waiting.verification_due`), and the
note says so.

The change goes through the same path as an import (`Storage.apply_dossiers`): one transaction
writes the dossier, its history and a message for each follower. The one-stop software stays the
source of truth: a later import that says otherwise wins, and is recorded the same way.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from core.dossier_import import row_hash
from core.dossiers import STATUS_INFO, Dossier, Status
from core.messages import Button, Reply
from core.officers import AuditAction
from core.receipt_codes import code_key, find_codes
from core.waiting import due_after_change, due_from, verification_due
from handlers.actions import CancelUpdate, NeedsVerifying, PickStatus, SkipNote
from handlers.context import Context
from handlers.officers import audit
from handlers.routing import Role, Route, command, in_state, pressed, tapped

NOTE_MAX = 500
CANCEL = CancelUpdate().button("Hủy")


class UpdateState(StrEnum):
    PICK = "capnhat.pick"  # status buttons shown
    NOTE = "capnhat.note"  # waiting for the note (or "Bỏ qua")


async def update_command(ctx: Context) -> list[Reply]:
    _, args = ctx.message.command or ("", "")
    codes = find_codes(args)
    typed = codes[0] if codes else args.strip()
    key = code_key(typed) if typed else ""
    dossier = await ctx.officer_dossier(key) if key else None
    if dossier is None:
        await ctx.clear_state()
        return [ctx.reply("status_update_usage.j2", typed=typed)]
    await ctx.set_state(UpdateState.PICK, code_key=key)
    procedure = ctx.catalogue.get(dossier.procedure_id)
    longer = verification_due(procedure, dossier, ctx.services.calendar) if procedure else None
    choices: list[list[Button]] = []
    if longer is not None:
        choices.append([NeedsVerifying().button(f"🔎 Cần xác minh – hẹn {longer:%d/%m/%Y}")])
    choices += [
        [PickStatus(status).button(info.label)]
        for status, info in STATUS_INFO.items()
        if status is not dossier.status
    ]
    choices.append([CANCEL])
    return [
        ctx.reply(
            "status_update_pick.j2",
            choices,
            d=dossier,
            info=dossier.info,
            longer=longer,
            time=procedure.processing_time if procedure else None,
        )
    ]


async def cancel_pressed(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [ctx.reply("status_update_cancelled.j2")]


# The steps' buttons are answered only in the step that showed them: an old one has expired.


async def status_picked(ctx: Context, action: PickStatus) -> list[Reply]:
    key = str(ctx.state.data.get("code_key", ""))
    if ctx.state.name != UpdateState.PICK or not key:
        return [ctx.reply("upload_expired.j2")]
    await ctx.set_state(UpdateState.NOTE, code_key=key, status=action.status.value)
    skip = [[SkipNote().button("Bỏ qua, không ghi chú")], [CANCEL]]
    return [ctx.reply("status_update_note.j2", skip, info=STATUS_INFO[action.status])]


async def note_skipped(ctx: Context) -> list[Reply]:
    if ctx.state.name != UpdateState.NOTE:
        return [ctx.reply("upload_expired.j2")]
    return await _apply(ctx, None)


async def verify_pressed(ctx: Context) -> list[Reply]:
    """ "Cần xác minh": the longer time the law allows, on this dossier."""
    key = str(ctx.state.data.get("code_key", ""))
    if ctx.state.name != UpdateState.PICK or not key:
        return [ctx.reply("upload_expired.j2")]
    return await _verify(ctx, key)


async def note_typed(ctx: Context) -> list[Reply]:
    note = " ".join(ctx.message.text.split())
    if len(note) > NOTE_MAX:
        return [ctx.reply("status_update_note_long.j2", limit=NOTE_MAX, length=len(note))]
    return await _apply(ctx, note)


async def _verify(ctx: Context, key: str) -> list[Reply]:
    """The dossier needs verifying: it is being handled, and due on the longer date."""
    await ctx.clear_state()
    old = await ctx.officer_dossier(key)
    procedure = ctx.catalogue.get(old.procedure_id) if old else None
    longer = verification_due(procedure, old, ctx.services.calendar) if old and procedure else None
    if old is None or procedure is None or longer is None:
        return [ctx.reply("upload_expired.j2")]
    time = procedure.processing_time
    note = f"Cần xác minh; hẹn trả kết quả ngày {longer:%d/%m/%Y} ({time.basis})"
    new = replace(old, status=Status.PROCESSING, note=note, due_date=longer)
    outcome = await ctx.storage.dossiers.apply_dossiers(
        [(new, row_hash(new))], ctx.now(), f"officer:{ctx.message.user_id}"
    )
    detail = f"cần xác minh: hẹn {old.due_date:%d/%m/%Y} → {longer:%d/%m/%Y}"
    await audit(ctx, AuditAction.STATUS_UPDATED, old.code, detail)
    return [
        ctx.reply(
            "status_update_verified.j2",
            d=new,
            old_due=old.due_date,
            followers=outcome.notifications,
            changed=outcome.status_changes > 0,
        )
    ]


async def _apply(ctx: Context, note: str | None) -> list[Reply]:
    key = str(ctx.state.data.get("code_key", ""))
    status = Status(str(ctx.state.data["status"]))
    await ctx.clear_state()
    old = await ctx.officer_dossier(key)
    if old is None:
        return [ctx.reply("upload_expired.j2")]
    new: Dossier = replace(old, status=status, note=note)
    # Leaving "Chờ bổ sung" / "Tạm dừng": the processing time restarts now (core.waiting).
    procedure = ctx.catalogue.get(old.procedure_id)
    due = due_after_change(
        old,
        new,
        ctx.now(),
        due_given=False,
        due_after_restart=due_from(procedure, ctx.services.calendar) if procedure else None,
    )
    new = replace(new, due_date=due)
    outcome = await ctx.storage.dossiers.apply_dossiers(
        [(new, row_hash(new))], ctx.now(), f"officer:{ctx.message.user_id}"
    )
    detail = f"{old.info.label} → {new.info.label}" + (f"; ghi chú: {note}" if note else "")
    await audit(ctx, AuditAction.STATUS_UPDATED, old.code, detail)
    return [
        ctx.reply(
            "status_update_done.j2",
            d=new,
            old=old.info,
            new=new.info,
            note=note,
            followers=outcome.notifications,
            changed=outcome.status_changes > 0,
        )
    ]


OFFICER = Role.OFFICER
routes: list[Route] = [
    command(update_command, "capnhat", who=OFFICER),
    tapped(cancel_pressed, CancelUpdate, who=OFFICER),
    pressed(status_picked, PickStatus, who=OFFICER),
    tapped(note_skipped, SkipNote, who=OFFICER),
    tapped(verify_pressed, NeedsVerifying, who=OFFICER),
    in_state(note_typed, UpdateState.NOTE, who=OFFICER),
]
