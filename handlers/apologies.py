"""Officers issue the apology a late dossier requires (NĐ 61/2018/NĐ-CP Điều 19 k.9).

/xinloi MÃ (or the button in the morning's list) → the reason (quick choices or typed) → the new
return date (proposed from the procedure's time; must be a working day after the current date)
→ the finished text → confirm. The apology is stored with who issued it, the due date moves
(with history), every follower is told through the outbox, and the officer gets the printable
page (A5) for people who do not use chat. /trehan lists what needs an apology now;
/xinloi_ds lists apologies issued (for the quarterly report), with a CSV file.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from enum import StrEnum

from core.apologies import (
    FROM_SOFTWARE,
    QUICK_REASONS,
    Apology,
    ApologyRefused,
    DueKind,
    check_new_date,
    classify,
    ensure_extension_allowed,
    ensure_running,
    parse_date,
    proposed_new_date,
)
from core.apology_pdf import Letter, apology_pdf, mask_phone, place_of
from core.cell_safety import SafeCsvWriter
from core.dossiers import STATUS_INFO, Dossier, Status
from core.law import law_in_force, law_of
from core.messages import OutgoingFile, Reply, TextFormat
from core.officers import PROVINCE, AuditAction, Scope
from core.receipt_codes import code_key
from core.waiting import MAX_SUPPLEMENTS
from handlers.actions import (
    DropApology,
    EditReason,
    IssueApology,
    ProposedDate,
    QuickReason,
    StartApology,
)
from handlers.context import Context, Services, render
from handlers.officers import audit
from handlers.routing import Role, Route, command, in_state, pressed, tapped
from storage.base import ApologyDraft, IssuedApology


class ApologyState(StrEnum):
    REASON = "apology.reason"  # data: code_key
    DATE = "apology.date"  # data: code_key, reason
    CONFIRM = "apology.confirm"  # data: code_key, reason, new_due


RUNNING = [s for s in Status if not STATUS_INFO[s].finished]


# -- start ------------------------------------------------------------------------------------


async def apology_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    if not typed:
        return [ctx.reply("apology_usage.j2")]
    return await _start(ctx, code_key(typed), typed)


async def _start(ctx: Context, key: str, typed: str) -> list[Reply]:
    dossier = await ctx.officer_dossier(key)
    if dossier is None:
        return [ctx.reply("apology_unknown.j2", typed=typed)]
    done = await ctx.storage.apologies.apologies_for(key)
    try:
        ensure_running(dossier)
        rules = ctx.services.apology_rules
        ensure_extension_allowed(dossier.code, len(done), rules.max_extensions, _rule(ctx.services))
    except ApologyRefused as refused:
        await ctx.clear_state()
        return [ctx.reply("apology_refused.j2", reason=str(refused))]
    await ctx.set_state(ApologyState.REASON, code_key=key)
    rows = [[QuickReason(i).button(reason)] for i, reason in enumerate(QUICK_REASONS)]
    rows.append([DropApology().button("Hủy")])
    return [ctx.reply("apology_ask_reason.j2", rows, d=dossier, procedure=_name(ctx, dossier))]


# -- steps --------------------------------------------------------------------------------------


async def reason_typed(ctx: Context) -> list[Reply]:
    reason = " ".join(ctx.message.text.split())
    if len(reason) < 5:
        return [ctx.reply("apology_reason_short.j2")]
    return await _ask_date(ctx, reason[:500])


async def _ask_date(ctx: Context, reason: str) -> list[Reply]:
    key = str(ctx.state.data.get("code_key"))
    dossier = await ctx.officer_dossier(key)
    if dossier is None:
        await ctx.clear_state()
        return [ctx.reply("apology_unknown.j2", typed=key)]
    today = ctx.now().date()
    proposal = proposed_new_date(
        dossier, ctx.catalogue.get(dossier.procedure_id), ctx.services.calendar, today
    )
    await ctx.set_state(ApologyState.DATE, code_key=key, reason=reason)
    rows = [
        [ProposedDate(proposal).button(f"Dùng ngày {proposal:%d/%m/%Y}")],
        [DropApology().button("Hủy")],
    ]
    return [ctx.reply("apology_ask_date.j2", rows, d=dossier, proposal=proposal)]


async def date_typed(ctx: Context) -> list[Reply]:
    new_due = parse_date(ctx.message.text, ctx.now().date())
    if new_due is None:
        return [ctx.reply("apology_bad_date.j2", typed=ctx.message.text[:30])]
    return await _preview(ctx, new_due)


async def _preview(ctx: Context, new_due: dt.date) -> list[Reply]:
    key, reason = str(ctx.state.data.get("code_key")), str(ctx.state.data.get("reason"))
    dossier = await ctx.officer_dossier(key)
    if dossier is None:
        await ctx.clear_state()
        return [ctx.reply("apology_unknown.j2", typed=key)]
    done = await ctx.storage.apologies.apologies_for(key)
    try:
        check_new_date(
            dossier,
            new_due,
            ctx.services.calendar,
            len(done),
            ctx.services.apology_rules,
            _rule(ctx.services),
        )
    except ApologyRefused as refused:
        return [ctx.reply("apology_refused.j2", reason=str(refused), retry=True)]
    await ctx.set_state(
        ApologyState.CONFIRM, code_key=key, reason=reason, new_due=new_due.isoformat()
    )
    preview = apology_text(
        ctx.services, ctx.format, dossier, reason, dossier.due_date, new_due, number=None
    )
    rows = [
        [IssueApology().button("✅ Ban hành và gửi")],
        [EditReason().button("✏️ Sửa lý do"), DropApology().button("Hủy")],
    ]
    return [ctx.reply("apology_preview.j2", rows, preview=preview)]


async def start_pressed(ctx: Context, action: StartApology) -> list[Reply]:
    """ "Xin lỗi: <mã>" on the morning list."""
    return await _start(ctx, action.code_key, action.code_key)


async def drop_pressed(ctx: Context) -> list[Reply]:
    await ctx.clear_state()
    return [ctx.reply("apology_cancelled.j2")]


# The steps' buttons are answered only in the step that showed them: an old one is stale.


async def reason_picked(ctx: Context, action: QuickReason) -> list[Reply]:
    if ctx.state.name != ApologyState.REASON or action.index >= len(QUICK_REASONS):
        return [ctx.reply("stale_button.j2")]
    return await _ask_date(ctx, QUICK_REASONS[action.index])


async def date_picked(ctx: Context, action: ProposedDate) -> list[Reply]:
    if ctx.state.name != ApologyState.DATE:
        return [ctx.reply("stale_button.j2")]
    return await _preview(ctx, action.new_due)


async def edit_pressed(ctx: Context) -> list[Reply]:
    if ctx.state.name != ApologyState.CONFIRM:
        return [ctx.reply("stale_button.j2")]
    key = str(ctx.state.data.get("code_key"))
    return await _start(ctx, key, key)


async def issue_pressed(ctx: Context) -> list[Reply]:
    if ctx.state.name != ApologyState.CONFIRM:
        return [ctx.reply("stale_button.j2")]
    return await _issue(ctx)


async def _issue(ctx: Context) -> list[Reply]:
    data = ctx.state.data
    await ctx.officer_dossier(str(data["code_key"]))  # issue 19: of the officer's commune
    commune = ctx.catalogue.commune
    draft = ApologyDraft(
        code_key=str(data["code_key"]),
        reason=str(data["reason"]),
        new_due=dt.date.fromisoformat(str(data["new_due"])),
        issued_by=ctx.message.user_id,
        issuer_name=ctx.message.display_name,
        law_version=commune.law_version,
        number_suffix=commune.apology_number_suffix,
    )
    try:
        issued = await ctx.storage.apologies.issue_apology(
            draft, ctx.now(), ctx.services.apology_rules.max_extensions
        )
    except ApologyRefused as refused:
        await ctx.clear_state()
        return [ctx.reply("apology_refused.j2", reason=str(refused))]
    await ctx.clear_state()
    a = issued.apology
    detail = f"Số {a.number}; hẹn mới {a.new_due:%d/%m/%Y}; lý do: {a.reason}"
    await audit(ctx, AuditAction.APOLOGY_ISSUED, issued.dossier.code, detail)
    page = printable_apology(ctx.services, issued)
    return [ctx.reply("apology_issued.j2", file=page, issued=issued, a=issued.apology)]


# -- texts ------------------------------------------------------------------------------------


def apology_text(
    services: Services,
    fmt: TextFormat,
    dossier: Dossier,
    reason: str,
    old_due: dt.date,
    new_due: dt.date,
    number: str | None,
) -> str:
    # Issue 19: the dossier's commune's office, catalogue and law (its own overlay, signer).
    catalogue = services.knowledge.catalogue_of(dossier.commune_id)
    procedure = catalogue.get(dossier.procedure_id)
    return render(
        services,
        fmt,
        "apology_text.j2",
        commune_id=dossier.commune_id or None,
        d=dossier,
        procedure=procedure.name if procedure else dossier.procedure_id,
        reason=reason,
        old_due=old_due,
        new_due=new_due,
        number=number,
        title=law_in_force(catalogue.commune).form_title,
    )


def printable_apology(services: Services, issued: IssuedApology) -> OutgoingFile:
    """The letter (Mẫu 04 of the forms circular the apology was issued under) as a one-page A5
    PDF: phones open PDFs; officers print it for people who do not use chat."""
    apology, dossier = issued.apology, issued.dossier
    catalogue = services.knowledge.catalogue_of(dossier.commune_id)  # issue 19: its commune's
    commune = catalogue.commune
    procedure = catalogue.get(dossier.procedure_id)
    law = law_of(apology.law_version, commune.apology_article)
    signer = commune.signer
    letter = Letter(
        authority=commune.authority or commune.office_name,
        office=commune.office_name,
        number=apology.number,
        place=commune.place_name or place_of(commune.commune_name),
        issued=apology.issued_at.date(),
        title=law.form_title,
        applicant=dossier.applicant_name,
        address=dossier.address,
        phone=mask_phone(dossier.phone),
        received=dossier.received_at.date(),
        code=dossier.code,
        procedure=procedure.name if procedure else dossier.procedure_id,
        old_due=apology.old_due,
        reason=apology.reason,
        new_due=apology.new_due,
        signer_title=signer.title if signer else "Thủ trưởng cơ quan",
        signer_name=signer.name if signer else None,
        basis=law.form_basis,
        rule=law.apology_rule,
    )
    name = f"van-ban-xin-loi-{apology.number.replace('/', '-')}-{dossier.code_key}.pdf"
    caption = f"Văn bản xin lỗi số {apology.number} – hồ sơ {dossier.code} (A5, để in)"
    return OutgoingFile(name, apology_pdf(letter), "application/pdf", caption)


def _rule(services: Services) -> str:
    """The apology rule's citation under the law in force (core.law)."""
    return law_in_force(services.knowledge.catalogue.commune).apology_rule


def _name(ctx: Context, dossier: Dossier) -> str:
    procedure = ctx.catalogue.get(dossier.procedure_id)
    return procedure.name if procedure else dossier.procedure_id


# -- lists ------------------------------------------------------------------------------------


async def due_list(
    services: Services, today: dt.date, commune_id: str | None = None
) -> list[tuple[Dossier, DueKind, bool]]:
    """Running dossiers that need an apology now: due within the notice period, or overdue
    (issue 19: of one commune when `commune_id` is given)."""
    rules, calendar = services.apology_rules, services.calendar
    horizon = today
    for _ in range(rules.notice_working_days):
        horizon = calendar.next_working_day(horizon)
    found = []
    for dossier, extensions in await services.storage.apologies.running_dossiers_due_by(
        horizon, RUNNING, commune_id
    ):
        kind = classify(dossier, today, calendar, rules)
        if kind is not None:
            found.append((dossier, kind, extensions > 0))
    return found


async def repeated_supplements(services: Services, commune_id: str | None = None) -> list[Dossier]:
    """Dossiers asked to supplement more than the law allows (core.waiting): officers see them
    every morning until they are finished."""
    return await services.storage.apologies.repeated_supplements(MAX_SUPPLEMENTS, 20, commune_id)


async def morning_list(
    services: Services, fmt: TextFormat, today: dt.date, scope: Scope = PROVINCE
) -> Reply:
    """/trehan and the 07:30 message: what needs an apology now, and repeated supplements
    (issue 19: of the officer's commune)."""
    commune = scope.commune_id
    items = await due_list(services, today, commune)
    repeated = await repeated_supplements(services, commune)
    return due_list_reply(services, fmt, items, today, repeated)


def due_list_reply(
    services: Services,
    fmt: TextFormat,
    items: list[tuple[Dossier, DueKind, bool]],
    today: dt.date,
    repeated: Sequence[Dossier] = (),
) -> Reply:
    shown = items[:20]
    rows = [
        (StartApology(d.code_key).button(f"Xin lỗi: {d.code}"),)
        for d, _, extended in shown
        if not extended
    ]
    text = render(
        services,
        fmt,
        "apology_due_list.j2",
        items=shown,
        more=len(items) - len(shown),
        today=today,
        kinds=DueKind,
        repeated=repeated,
        is_officer=True,
    )
    return Reply(text=text, buttons=tuple(rows), format=fmt)


async def due_command(ctx: Context) -> list[Reply]:
    return [await morning_list(ctx.services, ctx.format, ctx.now().date(), ctx.scope)]


async def issued_list_command(ctx: Context) -> list[Reply]:
    """/xinloi_ds [từ ngày] [đến ngày]: apologies issued, for the quarterly report."""
    today = ctx.now().date()
    _, args = ctx.message.command or ("", "")
    words = args.split()
    first = parse_date(words[0], today) if words else today.replace(month=1, day=1)
    last = parse_date(words[1], today) if len(words) > 1 else today
    if first is None or last is None or first > last:
        return [ctx.reply("apology_list_usage.j2")]
    apologies = await ctx.storage.apologies.apologies_between(first, last, ctx.scope.commune_id)
    dossiers = await ctx.storage.dossiers.get_dossiers([a.code_key for a in apologies])
    file = apologies_csv(ctx.services, apologies, dossiers, first, last)
    return [
        ctx.reply(
            "apology_list.j2",
            file=file if apologies else None,
            apologies=apologies[:30],
            total=len(apologies),
            dossiers=dossiers,
            names={k: _name(ctx, d) for k, d in dossiers.items()},
            first=first,
            last=last,
        )
    ]


def apologies_csv(
    services: Services,
    apologies: list[Apology],
    dossiers: dict[str, Dossier],
    first: dt.date,
    last: dt.date,
) -> OutgoingFile:
    out = io.StringIO()
    writer = SafeCsvWriter(out)  # issue 15: a reason typed "=HYPERLINK(…)" stays text
    header = ["Số văn bản", "Ngày ban hành", "Mã hồ sơ", "Thủ tục", "Lý do", "Ngày hẹn cũ",
              "Ngày hẹn mới", "Người ban hành"]  # fmt: skip
    writer.writerow(header)
    catalogue = services.knowledge.catalogue
    for a in apologies:
        dossier = dossiers.get(a.code_key)
        procedure = catalogue.get(dossier.procedure_id) if dossier else None
        writer.writerow(
            [
                a.number,
                f"{a.issued_at:%d/%m/%Y}",
                dossier.code if dossier else a.code_key,
                procedure.name if procedure else (dossier.procedure_id if dossier else ""),
                a.reason,
                f"{a.old_due:%d/%m/%Y}",
                f"{a.new_due:%d/%m/%Y}",
                _issuer(a),
            ]
        )
    # UTF-8 with BOM: Excel opens Vietnamese text correctly.
    content = ("\ufeff" + out.getvalue()).encode("utf-8")
    name = f"van-ban-xin-loi-{first:%Y%m%d}-{last:%Y%m%d}.csv"
    return OutgoingFile(name, content, "text/csv", "Danh sách văn bản xin lỗi")


def _issuer(apology: Apology) -> str:
    if apology.issued_by == FROM_SOFTWARE:
        return "Phần mềm một cửa"
    return apology.issuer_name or apology.issued_by


OFFICER = Role.OFFICER
routes: list[Route] = [
    command(apology_command, "xinloi", who=OFFICER),
    command(issued_list_command, "xinloi_ds", who=OFFICER),
    command(due_command, "trehan", who=OFFICER),
    pressed(start_pressed, StartApology, who=OFFICER),
    tapped(drop_pressed, DropApology, who=OFFICER),
    pressed(reason_picked, QuickReason, who=OFFICER),
    pressed(date_picked, ProposedDate, who=OFFICER),
    tapped(edit_pressed, EditReason, who=OFFICER),
    tapped(issue_pressed, IssueApology, who=OFFICER),
    in_state(reason_typed, ApologyState.REASON, who=OFFICER),
    in_state(date_typed, ApologyState.DATE, who=OFFICER),
]
