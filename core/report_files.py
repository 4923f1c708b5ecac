"""The quarterly figures as files: a table (XLSX, CSV) and a chart (PNG) readable on a phone.

The table follows the columns communes report upward (received: carried over, in the period by
channel; resolved: early, on time, late; in progress: not yet due, overdue), one line per field
and the total. matplotlib is imported only when a chart is drawn (it takes a second to load), and
drawn with the Agg canvas on a private Figure: no global pyplot state, safe in a worker thread.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter

from core.cell_safety import SafeCsvWriter, neutralise_workbook
from core.dossiers import SubmissionChannel
from core.report import Figures, LineCare, PeriodReport, Timeliness, percent

# A value of one cell of the table: a count, a label, or a rate (None when nothing resolved).
Cell = int | float | str | None

NO_SATISFACTION = "chưa có dữ liệu"

# (group, column) — the group heads a merged cell in the XLSX, as in the national forms.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("", "STT"),
    ("", "Lĩnh vực"),
    ("Số hồ sơ nhận giải quyết", "Tổng số"),
    ("Số hồ sơ nhận giải quyết", "Kỳ trước chuyển sang"),
    ("Số hồ sơ nhận giải quyết", "Tiếp nhận trong kỳ"),
    ("Số hồ sơ nhận giải quyết", "Trực tiếp"),
    ("Số hồ sơ nhận giải quyết", "Trực tuyến"),
    ("Số hồ sơ nhận giải quyết", "Bưu chính"),
    ("Số hồ sơ nhận giải quyết", "Chưa rõ hình thức nộp"),
    ("Số hồ sơ đã giải quyết", "Tổng số"),
    ("Số hồ sơ đã giải quyết", "Trước hạn"),
    ("Số hồ sơ đã giải quyết", "Đúng hạn"),
    ("Số hồ sơ đã giải quyết", "Quá hạn"),
    ("Số hồ sơ đã giải quyết", "Tỷ lệ trước hạn và đúng hạn"),
    ("", "Rút hồ sơ, dừng giải quyết"),
    ("Số hồ sơ đang giải quyết", "Tổng số"),
    ("Số hồ sơ đang giải quyết", "Chưa đến hạn"),
    ("Số hồ sơ đang giải quyết", "Quá hạn"),
    ("Số hồ sơ đang giải quyết", "Chờ bổ sung, tạm dừng"),
    ("", "Văn bản xin lỗi"),
    ("", "Trả kết quả qua bưu chính"),
)
RATE_COLUMN = 13  # the one column holding a fraction, not a count
# Issue 19 point 6: a province's report gives each commune's ratings and feedback too.
CARE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Mức độ hài lòng", "Số phiếu đánh giá"),
    ("Mức độ hài lòng", "Điểm trung bình (0–2)"),
    ("Phản ánh, kiến nghị", "Tiếp nhận"),
    ("Phản ánh, kiến nghị", "Đã trả lời"),
)
AVERAGE_COLUMN = len(COLUMNS) + 1  # the average score (None: nobody rated)


def columns_of(report: PeriodReport) -> tuple[tuple[str, str], ...]:
    """COLUMNS with the lines' label: "Lĩnh vực", or "Xã, phường" in a province's report, whose
    table also has each commune's ratings and feedback."""
    care = CARE_COLUMNS if report.care else ()
    return (COLUMNS[0], ("", report.rows_label), *COLUMNS[2:], *care)


def _care_cells(care: LineCare) -> list[Cell]:
    rated, feedback = care.satisfaction, care.feedback
    return [
        rated.responses if rated else 0,
        rated.average if rated else None,
        feedback.received if feedback else 0,
        feedback.answered if feedback else 0,
    ]


def _line(number: int | str, name: str, f: Figures) -> list[Cell]:
    rate = f.timely / f.resolved_total if f.resolved_total else None
    return [
        number,
        name,
        f.total,
        f.carried_over,
        f.received_in_period,
        f.received[SubmissionChannel.DIRECT],
        f.received[SubmissionChannel.ONLINE],
        f.received[SubmissionChannel.POSTAL],
        f.received[None],
        f.resolved_total,
        f.resolved[Timeliness.EARLY],
        f.resolved[Timeliness.ON_TIME],
        f.resolved[Timeliness.LATE],
        rate,
        f.withdrawn_or_stopped,
        f.in_progress,
        f.not_yet_due,
        f.overdue,
        f.waiting,
        f.apologies,
        f.returned_by_post,
    ]


def table_rows(report: PeriodReport) -> list[list[Cell]]:
    """One line per field, then the total (rates as fractions, None when nothing resolved)."""
    rows = [_line(i, name, f) for i, (name, f) in enumerate(report.by_field, start=1)]
    rows.append(_line("", "Tổng cộng", report.total))
    if report.care:  # issue 19: each commune's; the total's are the province's, as before
        for row, (name, _) in zip(rows, report.by_field, strict=False):
            row += _care_cells(report.care_of(name))
        rows[-1] += _care_cells(LineCare(report.satisfaction, report.feedback))
    return rows


def average_text(value: Cell) -> str:
    """1.5 → '1,50'; '' when nobody rated."""
    return f"{value:.2f}".replace(".", ",") if isinstance(value, float) else ""


def notes(report: PeriodReport, office: str) -> list[str]:
    """The lines above and below the table: what, when, and what the figures leave out."""
    period = report.period
    return [
        office,
        f"SỐ LIỆU GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH – {period.label.upper()}",
        f"Kỳ báo cáo: từ {period.first:%d/%m/%Y} đến {period.last:%d/%m/%Y}"
        + ("" if report.complete else f" (số liệu tính đến hết ngày {report.as_of:%d/%m/%Y})"),
    ]


def footnotes(report: PeriodReport) -> list[str]:
    satisfaction = (
        f"{report.satisfaction.responses} phiếu, điểm trung bình "
        f"{report.satisfaction.average:.2f}/2".replace(".", ",")
        if report.satisfaction
        else NO_SATISFACTION
    )
    lines = [
        f"Hồ sơ có văn bản xin lỗi, hẹn lại ngày trả được tính là quá hạn ({report.apology_rule}).",
        f"Mức độ hài lòng của người dân: {satisfaction}.",
    ]
    if report.satisfaction:  # issue 7: each indicator, scored 2/1/0
        lines += [
            f"  – {name}: {average:.2f}/2".replace(".", ",")
            for name, average in report.satisfaction.by_indicator
        ]
    total = report.total
    lines.append(
        f"Nộp trực tuyến: {total.received_online}/{total.received_in_period} hồ sơ tiếp nhận "
        f"trong kỳ ({percent(total.received_online, total.received_in_period)}); trả kết quả "
        f"qua bưu chính: {total.returned_by_post}."
    )
    if report.catalogue is not None:
        c = report.catalogue
        lines.append(
            f"Thủ tục mới đưa vào danh mục: {c.added}; sửa đổi, bổ sung: {c.changed}; "
            f"bãi bỏ: {c.removed}."
        )
    if report.feedback is not None:
        f = report.feedback
        lines.append(
            f"Phản ánh, kiến nghị qua bot: {f.received} (đã trả lời {f.answered}, "
            f"chưa trả lời {f.open})."
        )
    if report.dated_from_history:
        lines.append(
            f"{report.dated_from_history} hồ sơ không có «Ngày có kết quả» trong tệp nhập: "
            "tính theo ngày bot ghi nhận trạng thái đã xong."
        )
    return lines


def report_csv(report: PeriodReport, office: str) -> bytes:
    out = io.StringIO()
    writer = SafeCsvWriter(out)  # issue 15: no cell read as a formula
    for line in notes(report, office):
        writer.writerow([line])
    writer.writerow([f"{group} – {name}" if group else name for group, name in columns_of(report)])
    for row in table_rows(report):
        rate = row[RATE_COLUMN]
        row[RATE_COLUMN] = f"{100 * rate:.1f}".replace(".", ",") if isinstance(rate, float) else ""
        if len(row) > AVERAGE_COLUMN:
            row[AVERAGE_COLUMN] = average_text(row[AVERAGE_COLUMN])
        writer.writerow(row)
    for line in footnotes(report):
        writer.writerow([line])
    # UTF-8 with BOM: Excel opens Vietnamese text correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def report_xlsx(report: PeriodReport, office: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.period.slug
    # Fixed document dates: the same figures give the same file.
    moment = dt.datetime.combine(report.as_of, dt.time())
    book.properties.created = book.properties.modified = moment
    width = len(columns_of(report))
    head = notes(report, office)
    for number, line in enumerate(head, start=1):
        sheet.cell(number, 1, line).font = Font(bold=number <= 2, size=13 if number == 2 else 11)
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=width)
    top = len(head) + 2  # a blank line, then two header rows
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="DDEBF7")
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    column = 1
    for group, members in groupby(columns_of(report), key=itemgetter(0)):
        names = [name for _, name in members]
        if group:  # the group over its columns, each column's name below
            sheet.cell(top, column, group)
            right = column + len(names) - 1
            sheet.merge_cells(start_row=top, start_column=column, end_row=top, end_column=right)
            for offset, name in enumerate(names):
                sheet.cell(top + 1, column + offset, name)
        else:  # a column on its own: its name over both header rows
            for offset, name in enumerate(names):
                sheet.cell(top, column + offset, name)
                sheet.merge_cells(
                    start_row=top,
                    start_column=column + offset,
                    end_row=top + 1,
                    end_column=column + offset,
                )
        column += len(names)
    for row in (top, top + 1):
        for column in range(1, width + 1):
            cell = sheet.cell(row, column)
            cell.font, cell.alignment, cell.border, cell.fill = Font(bold=True), centred, box, fill
    rows = table_rows(report)
    for offset, values in enumerate(rows, start=top + 2):
        last = offset == top + 1 + len(rows)
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(offset, column, value)
            cell.border = box
            if last:
                cell.font = Font(bold=True)
            if column - 1 == RATE_COLUMN:
                cell.number_format = "0.0%"
            elif column - 1 == AVERAGE_COLUMN:
                cell.number_format = "0.00"
            if column != 2:
                cell.alignment = Alignment(horizontal="center")
    below = top + 2 + len(rows) + 1
    for number, line in enumerate(footnotes(report)):
        sheet.cell(below + number, 1, line).font = Font(italic=True)
    sheet.column_dimensions["A"].width = 5
    sheet.column_dimensions["B"].width = 34
    for column in range(3, width + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 11
    sheet.row_dimensions[top + 1].height = 45
    sheet.freeze_panes = f"C{top + 2}"
    out = io.BytesIO()
    neutralise_workbook(book)  # issue 15: no cell read as a formula
    book.save(out)
    return out.getvalue()


# --- The chart -----------------------------------------------------------------------------------

CHART_FIELDS = 10  # more fields are summed into "Các lĩnh vực khác": a phone shows ~10 bars
_SEGMENTS = (  # (label, colour): colour-blind safe, readable in grey
    ("Trước hạn", "#1a9850"),
    ("Đúng hạn", "#4575b4"),
    ("Quá hạn", "#d73027"),
    ("Đang giải quyết", "#bdbdbd"),
)


def _chart_bars(report: PeriodReport) -> list[tuple[str, Sequence[int]]]:
    def segments(f: Figures) -> tuple[int, int, int, int]:
        resolved = f.resolved
        early, on_time, late = (resolved[t] for t in Timeliness)
        return early, on_time, late, f.in_progress

    bars = [(name, segments(f)) for name, f in report.by_field[:CHART_FIELDS]]
    rest = report.by_field[CHART_FIELDS:]
    if rest:
        others = Figures()
        for _, f in rest:
            others.add(f)
        bars.append((f"{len(rest)} lĩnh vực khác", segments(others)))
    return [("Tổng cộng", segments(report.total)), *bars]


def report_png(report: PeriodReport) -> bytes:
    """One 100 % bar per field (early / on time / late / still in progress), the total on top,
    the number of dossiers beside each name, large type for a phone screen: shares compare
    across fields of very different sizes. DejaVu Sans, shipped with matplotlib, has the
    Vietnamese glyphs."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bars = _chart_bars(report)
    names = ["\n".join(textwrap.wrap(f"{name} ({sum(values)})", 24)) for name, values in bars]
    total = report.total
    subtitle = (
        f"Đã giải quyết {total.resolved_total}, trước hạn và đúng hạn "
        f"{percent(total.timely, total.resolved_total)}; đang giải quyết {total.in_progress}"
    )
    as_of = "" if report.complete else f" (đến {report.as_of:%d/%m/%Y})"
    with rc_context({"font.family": "DejaVu Sans", "font.size": 13}):
        figure = Figure(figsize=(7.2, 2.6 + 0.62 * len(bars)), dpi=150, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(bars)))[::-1]  # the total on top
        left = [0.0] * len(bars)
        sizes = [sum(values) or 1 for _, values in bars]
        for index, (label, colour) in enumerate(_SEGMENTS):
            counts = [values[index] for _, values in bars]
            shares = [100 * c / size for c, size in zip(counts, sizes, strict=True)]
            axes.barh(positions, shares, left=left, color=colour, label=label, height=0.72)
            for y, x, share in zip(positions, left, shares, strict=True):
                if share >= 9:  # a figure only where it fits
                    text = f"{share:.0f}%"
                    ink = "black" if colour == "#bdbdbd" else "white"
                    axes.text(x + share / 2, y, text, ha="center", va="center", color=ink,
                              fontsize=11)  # fmt: skip
            left = [x + share for x, share in zip(left, shares, strict=True)]
        axes.set_yticks(positions, names, fontsize=11)
        axes.set_xlim(0, 100)
        axes.set_xlabel("Tỷ lệ trong số hồ sơ của lĩnh vực (%)", fontsize=11)
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=4, frameon=False,
                    fontsize=10, handlelength=1.2, columnspacing=0.8)  # fmt: skip
        figure.suptitle(
            f"{report.period.label}{as_of}: kết quả giải quyết\n{subtitle}", fontsize=13
        )
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


# --- The province's chart (issue 19) ------------------------------------------------------------

RANKED_COMMUNES = 40  # a phone's screen; the table has every commune


def lateness(f: Figures) -> float:
    """Late among those resolved, and those overdue still in progress: what a commune's lateness
    is ranked by (0 when it had nothing to resolve)."""
    late = f.resolved[Timeliness.LATE] + f.overdue
    whole = f.resolved_total + f.overdue
    return late / whole if whole else 0.0


def lateness_png(report: PeriodReport) -> bytes:
    """The communes ranked by lateness, the latest on top, each bar labelled with its counts:
    what the province's office reports upward."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ranked = sorted(report.by_field, key=lambda item: (-lateness(item[1]), item[0]))
    shown = ranked[:RANKED_COMMUNES]
    as_of = "" if report.complete else f" (đến {report.as_of:%d/%m/%Y})"
    more = (
        f"; {len(ranked) - len(shown)} xã, phường khác trong bảng" if ranked[len(shown) :] else ""
    )
    with rc_context({"font.family": "DejaVu Sans", "font.size": 12}):
        figure = Figure(figsize=(7.2, 2.2 + 0.38 * len(shown)), dpi=150, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(shown)))[::-1]
        shares = [100 * lateness(f) for _, f in shown]
        axes.barh(positions, shares, color="#d73027", height=0.7)
        for y, share, (_, f) in zip(positions, shares, shown, strict=True):
            late = f.resolved[Timeliness.LATE] + f.overdue
            label = f"{share:.1f}%".replace(".", ",")
            axes.text(share + 1, y, f"{label} ({late}/{f.resolved_total + f.overdue})",
                      va="center", fontsize=9)  # fmt: skip
        axes.set_yticks(positions, [name for name, _ in shown], fontsize=9)
        axes.set_xlim(0, max([*shares, 10.0]) * 1.35)
        axes.set_xlabel("Quá hạn (đã giải quyết quá hạn và đang quá hạn), %", fontsize=10)
        axes.spines[["top", "right"]].set_visible(False)
        figure.suptitle(
            f"{report.period.label}{as_of}: xã, phường xếp theo tỷ lệ quá hạn{more}", fontsize=12
        )
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
