"""/baocao: the one-stop desk's figures for a quarter, a year or any dates (officers only).

The figures are counted by `core.report` from one storage query; the reply is a short message
with percentages, a chart (PNG), and the table as XLSX (to copy figures from) and as an A4 PDF (to
read on a phone or print for the report's annex).
`motcua report` prints the same message and writes the same files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from core.apologies import parse_date
from core.catalogue import Catalogue
from core.dossiers import SUBMISSION_LABEL
from core.law import law_in_force
from core.messages import Button, OutgoingFile, Reply, TextFormat
from core.province import Commune, name_key
from core.report import (
    Figures,
    Period,
    PeriodKind,
    PeriodReport,
    ReportDossier,
    Tally,
    Timeliness,
    count_text,
    parse_period,
    percent,
)
from core.report_files import NO_SATISFACTION, lateness, lateness_png, report_png, report_xlsx
from core.report_pdf import report_pdf
from handlers.actions import ShowReport
from handlers.context import Context, Services, render
from handlers.ratings import care_by_commune, with_ratings_and_feedback
from handlers.routing import Role, Route, command, pressed
from handlers.tickets import tickets_section

SHOWN_FIELDS = 10  # in the message; the table has them all


async def period_report(
    services: Services, period: Period, commune_id: str | None = None
) -> PeriodReport:
    """The figures of the whole deployment, or (issue 19) of one commune of the province."""
    # Every figure stops at "as of": the period's end, or today for a period not over yet.
    today = services.clock.now().date()
    only = None if services.knowledge.province.single else commune_id
    tally = Tally(period, today)
    data = await services.storage.reports.scan_report(
        period.first, min(period.last, today), tally.add, only
    )
    tally.add_apologies(data.apology_procedures, data.apology_communes)
    catalogue = services.knowledge.catalogue_of(commune_id)
    report = tally.by_field(_fields_of(catalogue), catalogue=data.catalogue)
    rule = law_in_force(catalogue.commune).short_apology_rule
    report = replace(report, apology_rule=rule)
    return await with_ratings_and_feedback(services, report, only)  # issue 7


def office_name(services: Services, commune_id: str | None = None) -> str:
    commune = services.knowledge.catalogue_of(commune_id).commune
    return commune.authority or commune.office_name.upper()


async def province_report(services: Services, period: Period) -> PeriodReport:
    """Issue 19: the province's figures, one line per commune (in the province file's order),
    from one query counted batch by batch (none kept); the total is the province's. Each line
    carries its commune's ratings and feedback; the total's are the province's."""
    today = services.clock.now().date()
    province = services.knowledge.province
    tally = Tally(period, today)  # counted as the rows come: a year is millions of them
    unassigned_rows = False  # a line for dossiers of no commune, if the query found any

    def count(rows: list[ReportDossier]) -> None:
        nonlocal unassigned_rows
        tally.add(rows)
        unassigned_rows = unassigned_rows or any(not row.commune_id for row in rows)

    data = await services.storage.reports.scan_report(period.first, min(period.last, today), count)
    tally.add_apologies(data.apology_procedures, data.apology_communes)
    by_commune = tally.lines(lambda commune_id, _procedure_id: commune_id)
    lines = [(commune.name, by_commune.get(commune.id) or Figures()) for commune in province]
    if unassigned_rows:
        lines.append((UNASSIGNED, by_commune.get("") or Figures()))
    total = tally.report({}, catalogue=data.catalogue)
    rule = law_in_force(services.knowledge.catalogue.commune).short_apology_rule
    report = replace(total, by_field=lines, apology_rule=rule, rows_label="Xã, phường")
    care = await care_by_commune(services, report)  # point 6: each commune's, on its line
    named = tuple((c.name, care[c.id]) for c in province)
    return await with_ratings_and_feedback(services, replace(report, care=named))


UNASSIGNED = "Chưa rõ xã (mã cơ quan chưa khai báo)"


def _fields_of(catalogue: Catalogue) -> Callable[[str], str | None]:
    def field_of(procedure_id: str) -> str | None:
        procedure = catalogue.get(procedure_id)
        return procedure.field if procedure else None

    return field_of


def province_office(services: Services) -> str:
    return f"CÁC XÃ, PHƯỜNG CỦA {services.knowledge.province.name.upper()}"


def report_text(
    services: Services, fmt: TextFormat, report: PeriodReport, *, attached: bool = True
) -> str:
    lines = report.by_field
    if report.rows_label != "Lĩnh vực":  # issue 19: the communes, the latest first
        lines = sorted(lines, key=lambda item: (-lateness(item[1]), item[0]))
    return render(
        services,
        fmt,
        "report.j2",
        r=report,
        t=report.total,
        fields=lines[:SHOWN_FIELDS],
        care=dict(report.care),
        more=max(len(report.by_field) - SHOWN_FIELDS, 0),
        pct=percent,
        n=count_text,
        channels=[*SUBMISSION_LABEL.items(), (None, "Chưa rõ hình thức nộp")],
        timeliness=Timeliness,
        no_satisfaction=NO_SATISFACTION,
        attached=attached,
        is_officer=True,
    )


async def report_attachments(services: Services, report: PeriodReport) -> list[OutgoingFile]:
    """The chart and the table (XLSX and PDF); drawn in worker threads (matplotlib and the PDF's
    fonts take a moment). A province's report (issue 19): the communes ranked by lateness."""
    whole = report.rows_label != "Lĩnh vực"
    office = province_office(services) if whole else office_name(services)
    slug = report.period.slug
    png, xlsx, pdf = await asyncio.gather(
        asyncio.to_thread(lateness_png if whole else report_png, report),
        asyncio.to_thread(report_xlsx, report, office),
        asyncio.to_thread(report_pdf, report, office),
    )
    return [
        OutgoingFile(
            f"bao-cao-{slug}.png", png, "image/png", f"Biểu đồ kết quả giải quyết – {slug}"
        ),
        OutgoingFile(
            f"bao-cao-{slug}.xlsx",
            xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"Bảng số liệu – {report.period.label} (mở bằng Excel)",
        ),
        OutgoingFile(
            f"bao-cao-{slug}.pdf",
            pdf,
            "application/pdf",
            f"Bảng số liệu – {report.period.label} (PDF, in khổ A4 ngang)",
        ),
    ]


def _other_periods(shown: Period, current: Period, commune: str | None = None) -> list[Button]:
    """Buttons for the periods an officer asks next: the quarter before, this quarter, the year
    (issue 19: of the same commune)."""
    buttons = []
    if shown.kind is PeriodKind.QUARTER:
        before = shown.previous_quarter()
        buttons.append(ShowReport(before.slug, commune).button(f"◀ {before.label}"))
    if shown != current:
        buttons.append(ShowReport(current.slug, commune).button(f"Quý này ({current.label})"))
    if shown.kind is not PeriodKind.YEAR:
        year = shown.first.year
        buttons.append(ShowReport(str(year), commune).button(f"Cả năm {year}"))
    return buttons


async def _reply(ctx: Context, period: Period) -> list[Reply]:
    province, commune = ctx.services.knowledge.province, ctx.scope.commune_id
    if province.single:
        report = await period_report(ctx.services, period)
    elif commune is not None:  # issue 19: a commune's officer, or the province's acting for one
        report = await period_report(ctx.services, period, commune)
        ctx.about_commune(commune)
    else:  # issue 19: the province's figures, one line per commune
        report = await province_report(ctx.services, period)
    text = report_text(ctx.services, ctx.format, report)
    text += await tickets_section(ctx.services, ctx.format, period)  # issue 21
    others = _other_periods(period, Period.containing(ctx.now().date()), commune)
    buttons = tuple((b,) for b in others)
    if not report.total.total and not report.total.apologies:
        return [Reply(text=text, buttons=buttons, format=ctx.format)]
    chart, *tables = await report_attachments(ctx.services, report)
    # Channels send a reply's text (with its buttons) and then its file: one file per reply.
    return [
        Reply(text=text, buttons=buttons, format=ctx.format, file=chart),
        *(Reply(text="", format=ctx.format, file=table) for table in tables),
    ]


async def report_command(ctx: Context) -> list[Reply]:
    """/baocao [quý trước | năm nay | 2026-Q3 | Q3/2026 | 2026 | từ ngày đến ngày]."""
    _, typed = ctx.message.command or ("", "")
    typed = _for_commune(ctx, typed)
    period = _period(ctx, typed)
    if period is None or period.first > ctx.now().date():
        return [ctx.reply("report_usage.j2", typed=typed[:40], future=period is not None)]
    return await _reply(ctx, period)


async def report_button(ctx: Context, action: ShowReport) -> list[Reply]:
    ctx.narrow_scope(action.commune)
    period = _period(ctx, action.period)
    if period is None or period.first > ctx.now().date():
        return [ctx.reply("report_usage.j2", typed="", future=False)]
    return await _reply(ctx, period)


def _for_commune(ctx: Context, typed: str) -> str:
    """Issue 19: `/baocao binh-an quý trước` (or the commune's name first): a province officer's
    figures for one commune (a commune's officer naming another is refused); the rest is the
    period."""
    province = ctx.services.knowledge.province
    if province.single:
        return typed
    words = typed.split()
    if words and province.get(words[0].lower()) is not None:
        ctx.narrow_scope(words[0].lower())
        return " ".join(words[1:])
    for count in range(min(len(words), 6), 0, -1):  # the longest name typed first
        found = province.find(" ".join(words[:count]))
        if len(found) == 1 and name_key(" ".join(words[:count])) in _names(found[0]):
            ctx.narrow_scope(found[0].id)
            return " ".join(words[count:])
    return typed


def _names(commune: Commune) -> set[str]:
    return {name_key(n) for n in (commune.name, *commune.former_names)}


def _period(ctx: Context, text: str) -> Period | None:
    return parse_period(text, ctx.now().date(), parse_date)


routes: list[Route] = [
    command(report_command, "baocao", who=Role.OFFICER),
    pressed(report_button, ShowReport, who=Role.OFFICER),
]
