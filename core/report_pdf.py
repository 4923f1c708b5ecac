"""The report's table as a PDF, A4 landscape, drawn in-process with fpdf2: the same lines, rows
and columns as the XLSX (core.report_files), for an officer who opens it on a phone or prints it
for the report's annex. The XLSX and CSV stay: officers copy their figures from them.

Two header rows as in the national forms (a group over its columns; a column on its own spans
both), one line per field, the total in bold; a table longer than a page repeats its header.
Text uses DejaVu Sans (core/fonts.py), which has every Vietnamese letter.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from operator import itemgetter

from fpdf import FPDF
from fpdf.fonts import FontFace

from core.fonts import add_dejavu
from core.report import PeriodReport
from core.report_files import (
    AVERAGE_COLUMN,
    RATE_COLUMN,
    Cell,
    average_text,
    columns_of,
    footnotes,
    notes,
    table_rows,
)

FONT = "DejaVu"
A4_LANDSCAPE = (297.0, 210.0)  # mm
MARGIN = 10.0
# Widths in mm: STT, the field's name, then every figure alike (277 mm in all).
_NUMBER_W, _NAME_W = 8.0, 46.0
_FIGURES_W = A4_LANDSCAPE[0] - 2 * MARGIN - _NUMBER_W - _NAME_W


def _text(column: int, value: Cell) -> str:
    if column == RATE_COLUMN:
        return f"{100 * value:.1f}%".replace(".", ",") if isinstance(value, float) else "–"
    if column == AVERAGE_COLUMN:
        return average_text(value) or "–"
    return "" if value is None else str(value)


def report_pdf(report: PeriodReport, office: str) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    add_dejavu(pdf, FONT, styles=("", "B", "I"))
    # Fixed document dates: the same figures give the same file.
    pdf.set_creation_date(dt.datetime.combine(report.as_of, dt.time(), tzinfo=dt.UTC))
    pdf.set_title(f"Số liệu giải quyết thủ tục hành chính – {report.period.label}")
    pdf.add_page()
    office_line, title, period = notes(report, office)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 5, office_line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 8, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "I", 10)
    pdf.cell(0, 5, period, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    figures = len(columns_of(report)) - 2  # issue 19: a province's has 4 more
    widths = (_NUMBER_W, _NAME_W, *([_FIGURES_W / figures] * figures))
    head = FontFace(emphasis="BOLD", fill_color=(221, 235, 247), size_pt=6.5)
    pdf.set_font(FONT, "", 7.5)
    pdf.set_draw_color(120, 120, 120)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        num_heading_rows=2,
        headings_style=head,
        text_align="CENTER",
        line_height=3.2,
        padding=0.8,
        repeat_headings=1,
    ) as table:
        top, below = table.row(), table.row()
        for group, members in groupby(columns_of(report), key=itemgetter(0)):
            names = [name for _, name in members]
            if group:  # the group over its columns, each column's name below
                top.cell(group, colspan=len(names))
                for name in names:
                    below.cell(name)
            else:  # a column on its own: its name over both header rows
                for name in names:
                    top.cell(name, rowspan=2)
        rows = table_rows(report)
        for number, values in enumerate(rows, start=1):
            total = number == len(rows)
            style = FontFace(emphasis="BOLD" if total else None, size_pt=7.5)
            line = table.row(style=style)
            for column, value in enumerate(values):
                align = "LEFT" if column == 1 else "CENTER"
                line.cell(_text(column, value), align=align)
    pdf.ln(3)
    pdf.set_font(FONT, "I", 8)
    for text in footnotes(report):
        pdf.multi_cell(0, 3.8, text, align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
