"""A procedure's documents checklist as a printable A5 PDF, drawn in-process with fpdf2.

A volunteer hands it to an elder, or forwards it: phones open a PDF, they do not open HTML. It
carries a box to tick for each document (how it is handed in, how many copies, the form when it
is established), the fees, the time, where and how to file, the office's hours, address and
phone. It is meant for ONE A5 page: the text is set a step smaller until it fits, but never
below `MIN_SIZE` — a list an elder cannot read is worse than a second page, so a procedure with
many documents goes onto two pages at a readable size, each page numbered. Text uses DejaVu
Sans (core/fonts.py), which has every Vietnamese letter and the ballot box "☐".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fpdf import FPDF

from core.fonts import add_dejavu, close_fonts

FONT = "DejaVu"
A5 = (148.0, 210.0)  # mm
MARGIN = 10.0
BOX = "☐"  # U+2610, in DejaVu Sans: one per document, to tick
START_SIZE = 11.0  # pt, the body text when everything fits
MIN_SIZE = 8.5  # pt: below this, a second page instead


@dataclass(frozen=True)
class ChecklistDocument:
    text: str  # "Giấy chứng sinh – bản chính, 2 bản (nếu thuộc trường hợp này)"
    form: str | None = None  # the form's name and the text that issues it, when established


@dataclass(frozen=True)
class Checklist:
    office: str
    procedure: str
    code: str | None  # the national code (Mã TTHC), when known
    documents: tuple[ChecklistDocument, ...]
    fees: tuple[str, ...]  # "Đăng ký khai sinh đúng hạn: miễn phí"
    time: str
    where: str
    filing: str  # "trực tiếp tại xã, Cổng Dịch vụ công, VNeID"
    hours: tuple[str, ...]  # days, then the sessions
    address: str
    phone: str
    reviewed: dt.date


@dataclass(frozen=True)
class ChecklistPdf:
    content: bytes
    pages: tuple[int, ...]  # pages taken by each checklist, in order
    sizes: tuple[float, ...]  # the body's font size of each, in points


class _Pages(FPDF):
    """A5 pages. A checklist that takes more than one page numbers its own ("Trang 1/2")."""

    part_first = 1  # the page the checklist being drawn starts on
    part_pages = 1  # how many it takes (known from a trial drawing)

    def footer(self) -> None:
        if self.part_pages > 1:
            self.set_y(-8)
            self.set_font(FONT, "", 7)
            number = self.page_no() - self.part_first + 1
            self.cell(0, 4, f"Trang {number}/{self.part_pages}", align="C")


def _document() -> _Pages:
    pdf = _Pages(orientation="P", unit="mm", format=A5)
    pdf.set_margins(MARGIN, 9, MARGIN)
    pdf.set_auto_page_break(True, margin=10)
    add_dejavu(pdf, FONT, styles=("", "B", "I"))
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))  # same list, same file
    return pdf


def _draw(pdf: FPDF, c: Checklist, size: float) -> int:
    """Draw `c` from a new page at body size `size`; the number of pages it took."""
    pdf.add_page()
    first = pdf.page
    usable = A5[0] - 2 * MARGIN
    line = size * 0.46  # mm per line at this size

    def block(text: str, style: str = "", pt: float = size, align: str = "L") -> None:
        pdf.set_font(FONT, style, pt)
        pdf.set_x(MARGIN)
        pdf.multi_cell(usable, pt * 0.46, text, align=align, new_x="LMARGIN", new_y="NEXT")

    def height(width: float, text: str, style: str, pt: float) -> float:
        pdf.set_font(FONT, style, pt)
        measured = pdf.multi_cell(width, pt * 0.46, text, align="L", dry_run=True, output="HEIGHT")
        assert isinstance(measured, float | int)  # output="HEIGHT" returns the height alone
        return float(measured)

    def keep(space: float) -> None:
        """Start a new page unless `space` mm fit on this one: nothing is split in two."""
        if pdf.get_y() + space > pdf.page_break_trigger:
            pdf.add_page()

    block(c.office.upper(), "B", size - 1.5, "C")
    pdf.ln(1.5)
    block("GIẤY TỜ CẦN CHUẨN BỊ", "B", size + 2.5, "C")
    block(c.procedure, "B", size + 0.5, "C")
    if c.code:
        block(f"Mã thủ tục: {c.code}", "", size - 2, "C")
    pdf.ln(2)

    # One box per document; the text hangs beside the box.
    box_w = size * 0.6
    text_w = usable - box_w
    for document in c.documents:
        form = f"Mẫu: {document.form}" if document.form else None
        needed = height(text_w, document.text, "", size)
        if form:
            needed += height(text_w, form, "I", size - 1.5)
        keep(needed)
        top = pdf.get_y()
        pdf.set_xy(MARGIN, top)
        pdf.set_font(FONT, "", size + 2)
        pdf.cell(box_w, line, BOX)
        pdf.set_font(FONT, "", size)
        pdf.set_xy(MARGIN + box_w, top)
        pdf.multi_cell(text_w, line, document.text, align="L", new_x="LMARGIN", new_y="NEXT")
        if form:
            pdf.set_x(MARGIN + box_w)
            pdf.set_font(FONT, "I", size - 1.5)
            pdf.multi_cell(
                text_w, (size - 1.5) * 0.46, form, align="L", new_x="LMARGIN", new_y="NEXT"
            )
        pdf.ln(size * 0.12)
    pdf.ln(1.5)

    # The facts, as a two-column table: what | the value.
    label_w = usable * 0.25
    value_w = usable - label_w
    rows = (
        ("Lệ phí", c.fees),
        ("Thời gian", (c.time,)),
        ("Nộp ở đâu", (c.where, f"Cách nộp: {c.filing}")),
        ("Giờ làm việc", c.hours),
        ("Liên hệ", (c.address, f"Điện thoại: {c.phone}")),
    )
    pdf.set_draw_color(150, 150, 150)
    for label, values in rows:
        keep(sum(height(value_w, value, "", size) for value in values) + 1.6)
        top = pdf.get_y()
        pdf.line(MARGIN, top, MARGIN + usable, top)
        pdf.set_xy(MARGIN, top + 0.8)
        pdf.set_font(FONT, "B", size)
        pdf.multi_cell(label_w - 1, line, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(top + 0.8)
        for value in values:
            pdf.set_x(MARGIN + label_w)
            pdf.set_font(FONT, "", size)
            pdf.multi_cell(value_w, line, value, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + usable, pdf.get_y())
    pdf.ln(2)
    block(
        "Nhớ mang theo giấy tờ tùy thân. Thông tin theo danh mục thủ tục của xã, rà soát ngày "
        f"{c.reviewed:%d/%m/%Y}.",
        "I",
        size - 2.5,
        "C",
    )
    return pdf.page - first + 1


def _fitting_size(scratch: _Pages, c: Checklist) -> tuple[float, int]:
    """The largest size, down to `MIN_SIZE`, at which `c` takes one page (tried on `scratch`,
    so that the fonts are read once), and the pages it takes at that size."""
    size = START_SIZE
    pages = _draw(scratch, c, size)
    while pages > 1 and size > MIN_SIZE:
        size -= 0.5
        pages = _draw(scratch, c, size)
    return size, pages


def checklist_pdf(*checklists: Checklist) -> ChecklistPdf:
    """One PDF: each checklist from a new page, on one A5 page when its text fits at `MIN_SIZE`
    or larger, otherwise on numbered pages at `MIN_SIZE`. Many checklists make a booklet for the
    desk; the chat sends one."""
    scratch = _document()
    fitted = [_fitting_size(scratch, c) for c in checklists]
    close_fonts(scratch)
    pdf = _document()
    if len(checklists) == 1:
        pdf.set_title(f"Giấy tờ cần chuẩn bị – {checklists[0].procedure}")
    for c, (size, pages) in zip(checklists, fitted, strict=True):
        pdf.part_first, pdf.part_pages = pdf.page + 1, pages
        _draw(pdf, c, size)
    return ChecklistPdf(
        bytes(pdf.output()),
        tuple(pages for _, pages in fitted),
        tuple(size for size, _ in fitted),
    )
