"""Files officers send in the chat: a new catalogue, or the one-stop software's export.

- `procedures.yaml` → validated first; on errors the bot keeps the catalogue in use and lists every
  error (file, line, procedure, field); otherwise it shows what changes and applies on
  confirmation, without stopping (the search index is rebuilt), offering to announce.
- an export (.csv, .xlsx) → the same validation and all-or-nothing rule as
  `motcua import-dossiers`: no errors → applied at once; errors → listed, and nothing applied
  unless the officer chooses to import only the good rows.
Citizens who send a file are asked to type their question instead.
"""

from __future__ import annotations

import asyncio
import re
from enum import StrEnum
from pathlib import Path

from core.catalogue import CatalogueInvalid
from core.catalogue.diff import CatalogueDiff, describe_diff, diff_catalogues, history_rows
from core.dossier_import import CommuneRule, ParsedExport, parse_export
from core.messages import Button, FileTooLarge, OutgoingFile, Reply
from core.officers import AuditAction
from handlers.actions import Announce, ApplyCatalogue, CancelUpload, ImportGoodRows
from handlers.broadcasts import draft_from_procedure
from handlers.context import Context
from handlers.imports import ImportPlan, apply_import, plan_import
from handlers.officers import audit
from handlers.routing import On, Role, Route, pressed, tapped

CATALOGUE_SUFFIXES = {".yaml", ".yml"}
EXPORT_SUFFIXES = {".csv", ".xlsx", ".tsv", ".txt"}
MAX_CATALOGUE_BYTES = 5 * 2**20
MAX_EXPORT_BYTES = 20 * 2**20  # what a Telegram bot may download
SHOWN_ERRORS = 25  # in the message; the full list goes in a file
ANNOUNCE_SHOWN = 8  # buttons offering a notice after a catalogue update


class UploadState(StrEnum):
    CATALOGUE = "upload.catalogue"  # a valid catalogue waits for "Áp dụng"
    EXPORT = "upload.export"  # an export with bad rows waits for "Nhập các dòng hợp lệ"


async def citizen_file(ctx: Context) -> list[Reply]:
    """A file from someone who is not an officer: the bot reads only text."""
    return [ctx.reply("upload_citizen.j2")]


async def file_received(ctx: Context) -> list[Reply]:
    file = ctx.message.file
    assert file is not None
    suffix = Path(file.name).suffix.casefold()
    if suffix in CATALOGUE_SUFFIXES and not ctx.scope.province:
        return [ctx.reply("catalogue_province_only.j2")]  # issue 19: shared by every commune
    if suffix in CATALOGUE_SUFFIXES:
        files = ctx.services.catalogue_files
        limit = files.max_bytes if files is not None else MAX_CATALOGUE_BYTES
    elif suffix in EXPORT_SUFFIXES:
        limit = MAX_EXPORT_BYTES
    else:
        return [ctx.reply("upload_unknown_kind.j2", name=file.name)]
    if ctx.files is None or ctx.services.uploads_dir is None:
        return [ctx.reply("upload_unavailable.j2")]
    try:
        content = await ctx.files.fetch(file, limit)
    except FileTooLarge:
        return [ctx.reply("upload_too_large.j2", name=file.name, limit_mb=limit // 2**20)]
    except OSError:  # the terminal's path does not exist, cannot be read
        return [ctx.reply("upload_missing.j2", name=file.name)]
    path = await asyncio.to_thread(_save, ctx, file.name, content)
    if suffix in CATALOGUE_SUFFIXES:
        return await _catalogue_received(ctx, path)
    return await _export_received(ctx, path)


def _save(ctx: Context, name: str, content: bytes) -> Path:
    """Kept under its own name (errors then name the file the officer knows), in a folder per
    upload so two uploads never collide."""
    assert ctx.services.uploads_dir is not None
    safe = re.sub(r"[^\w.-]+", "_", Path(name).name).lstrip(".") or "tep"
    folder = ctx.services.uploads_dir / f"{ctx.now():%Y%m%d-%H%M%S}-{ctx.message.user_id}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe
    path.write_bytes(content)
    return path


# -- the catalogue ----------------------------------------------------------------------------


async def _catalogue_received(ctx: Context, path: Path) -> list[Reply]:
    files = ctx.services.catalogue_files
    if files is None:
        return [ctx.reply("upload_unavailable.j2")]
    try:
        new = await asyncio.to_thread(files.load, path)
    except CatalogueInvalid as invalid:
        errors = [str(error) for error in invalid.errors]
        return [
            ctx.reply(
                "catalogue_invalid.j2",
                file=_error_file(path.name, errors) if len(errors) > SHOWN_ERRORS else None,
                errors=errors[:SHOWN_ERRORS],
                total=len(errors),
            )
        ]
    diff = diff_catalogues(ctx.catalogue, new.catalogue)
    if diff.empty:
        return [ctx.reply("catalogue_same.j2")]
    await ctx.set_state(UploadState.CATALOGUE, path=str(path))
    buttons = [[ApplyCatalogue().button("✅ Áp dụng"), CancelUpload().button("Hủy")]]
    return [ctx.reply("catalogue_preview.j2", buttons, changes=describe_diff(diff))]


async def _apply_catalogue(ctx: Context) -> list[Reply]:
    files = ctx.services.catalogue_files
    path = Path(str(ctx.state.data.get("path", "")))
    waiting = ctx.state.name == UploadState.CATALOGUE and files is not None
    if not waiting or not await asyncio.to_thread(path.is_file):
        return [ctx.reply("upload_expired.j2")]
    assert files is not None
    try:  # validated again: the file on disk is what gets installed
        new = await asyncio.to_thread(files.load, path)
    except CatalogueInvalid:
        await ctx.clear_state()
        return [ctx.reply("upload_expired.j2")]
    diff = diff_catalogues(ctx.catalogue, new.catalogue)
    await asyncio.to_thread(files.install, path)
    ctx.services.knowledge = new
    await ctx.storage.workers.notify("catalogue", new.version)  # other processes (issue 18)
    await ctx.clear_state()
    summary = f"+{len(diff.added)} / sửa {len(diff.changed)} / bỏ {len(diff.removed)}"
    source = f"officer:{ctx.message.user_id}"
    await ctx.storage.reports.record_catalogue_changes(history_rows(diff), source, ctx.now())
    await audit(ctx, AuditAction.CATALOGUE_UPDATED, path.name, summary)
    return [
        ctx.reply("catalogue_applied.j2", _announce_rows(diff), diff=diff, total=len(new.catalogue))
    ]


def _announce_rows(diff: CatalogueDiff) -> list[list[Button]]:
    """One button per new or changed procedure: a notice prefilled from its card (/thongbao)."""
    procedures = [*diff.added, *(change.procedure for change in diff.changed)]
    return [
        [Announce(p.id).button(f"📢 Thông báo: {p.name}"[:60])] for p in procedures[:ANNOUNCE_SHOWN]
    ]


# -- the one-stop software's export -----------------------------------------------------------


async def _export_received(ctx: Context, path: Path) -> list[Reply]:
    services = ctx.services
    parsed = await _parse(ctx, path)
    if parsed.file_errors:
        return [ctx.reply("import_unreadable.j2", name=path.name, problems=parsed.file_errors)]
    plan = await plan_import(services, parsed)
    if not plan.errors:
        return await _apply_export(ctx, path, skipped=0)
    errors = errors_listed(plan)
    buttons = []
    if plan.rows:
        await ctx.set_state(UploadState.EXPORT, path=str(path))
        label = f"Nhập {len(plan.rows)} dòng hợp lệ, bỏ qua dòng lỗi"
        buttons = [[ImportGoodRows().button(label)], [CancelUpload().button("Hủy")]]
    return [
        ctx.reply(
            "import_errors.j2",
            buttons,
            file=_error_file(path.name, errors) if len(errors) > SHOWN_ERRORS else None,
            name=path.name,
            errors=errors[:SHOWN_ERRORS],
            total=plan.error_count,
            bad_rows=plan.bad_row_count,
            good=len(plan.rows),
        )
    ]


async def _apply_export(ctx: Context, path: Path, skipped: int) -> list[Reply]:
    services = ctx.services
    parsed = await _parse(ctx, path)
    plan = await plan_import(services, parsed)
    if skipped == 0 and plan.errors:  # the file changed under us: ask again
        return await _export_received(ctx, path)
    outcome = await apply_import(services, plan, source=f"import:{path.name}")
    detail = (
        f"{len(plan.rows)} dòng: mới {outcome.created}, cập nhật {outcome.updated}, "
        f"không đổi {outcome.unchanged}, bỏ qua {plan.bad_row_count} dòng lỗi"
    )
    await audit(ctx, AuditAction.DOSSIERS_IMPORTED, path.name, detail)
    return [
        ctx.reply(
            "import_done.j2",
            name=path.name,
            rows=len(plan.rows),
            o=outcome,
            skipped=plan.bad_row_count,
        )
    ]


async def _import_good_rows(ctx: Context) -> list[Reply]:
    path = Path(str(ctx.state.data.get("path", "")))
    if ctx.state.name != UploadState.EXPORT or not await asyncio.to_thread(path.is_file):
        return [ctx.reply("upload_expired.j2")]
    await ctx.clear_state()
    return await _apply_export(ctx, path, skipped=1)


async def apply_pressed(ctx: Context) -> list[Reply]:
    if not ctx.scope.province:
        return [ctx.reply("catalogue_province_only.j2")]
    return await _apply_catalogue(ctx)


async def import_pressed(ctx: Context) -> list[Reply]:
    return await _import_good_rows(ctx)


async def announce_pressed(ctx: Context, action: Announce) -> list[Reply]:
    procedure = ctx.catalogue.get(action.procedure_id)
    if procedure is None:
        return [ctx.reply("stale_button.j2")]
    return await draft_from_procedure(ctx, procedure)


async def cancel_pressed(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [ctx.reply("upload_cancelled.j2")]


async def _parse(ctx: Context, path: Path) -> ParsedExport:
    services = ctx.services
    return await asyncio.to_thread(
        parse_export,
        path,
        ctx.catalogue,
        services.calendar,
        limits=services.import_limits,
        now=services.clock.now(),
        # Issue 19: a commune's officer imports only rows of their commune (others: row errors).
        communes=CommuneRule(services.knowledge.province, ctx.scope.commune_id),
    )


def errors_listed(plan: ImportPlan) -> list[str]:
    """The kept errors, then how many more there are (issue 15: never a list without end)."""
    listed = [str(error) for error in plan.errors]
    if plan.more_errors:
        listed.append(f"… và {plan.more_errors:,} lỗi khác".replace(",", "."))
    return listed


def _error_file(name: str, errors: list[str]) -> OutgoingFile:
    content = ("\n".join(errors) + "\n").encode("utf-8")
    return OutgoingFile(f"loi-{Path(name).stem}.txt", content, "text/plain", "Danh sách lỗi")


OFFICER = Role.OFFICER
routes: list[Route] = [
    Route(On.FILE, file_received, who=OFFICER, otherwise=citizen_file),
    tapped(apply_pressed, ApplyCatalogue, who=OFFICER),
    tapped(import_pressed, ImportGoodRows, who=OFFICER),
    pressed(announce_pressed, Announce, who=OFFICER),
    tapped(cancel_pressed, CancelUpload, who=OFFICER),
]
