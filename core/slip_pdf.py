"""Printable slips and the desk poster (issue 20), as PDF drawn in-process with fpdf2.

- a slip for one dossier, A6 (default) or A5, to staple to the receipt;
- an A4 sheet of 8 labels (2 × 4, 105 × 74 mm: the common "8 per sheet" label paper), one per
  dossier received that day;
- an A4 poster for the desk, with the bot's own links (Telegram, Zalo) as QR codes.

A slip carries the QR of the status page, the receipt code, the procedure, the due date and the
office's phone; no name. QR codes are drawn as vector squares (sharp on any printer), from
segno's module matrix. Text uses DejaVu Sans (core/fonts.py), which has every Vietnamese letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import segno
from fpdf import FPDF

from core.fonts import dejavu

FONT = "DejaVu"


class SlipSize(StrEnum):
    A6 = "a6"
    A5 = "a5"


@dataclass(frozen=True)
class Slip:
    url: str  # what the QR opens: https://<public address>/hs/<token>
    code: str  # the receipt code, as printed on the receipt
    procedure: str
    due: dt.date
    office_phone: str


@dataclass(frozen=True)
class PosterLink:
    label: str  # "Zalo", "Telegram"
    url: str
    how: str  # one line: what to do once it opens


def _document(size: tuple[float, float] = (210.0, 297.0)) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format=size)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font(FONT, "", str(dejavu()))
    pdf.add_font(FONT, "B", str(dejavu("Bold")))
    # A fixed date: the same slips make the same file.
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    return pdf


def draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code of `data`, quiet zone included, in a `size` mm square at (x, y)."""
    qr = segno.make(data, error="m", micro=False)
    rows = [list(row) for row in qr.matrix]
    quiet = 4
    count = len(rows) + 2 * quiet
    module = size / count
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules: small files
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(
                x + (start + quiet) * module,
                y + (r + quiet) * module,
                (c - start) * module,
                module,
                style="F",
            )


def _text(pdf: FPDF, x: float, y: float, w: float, size: float, text: str, bold: bool = False):
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_xy(x, y)
    pdf.multi_cell(w, size * 0.45, text, align="L")
    return pdf.get_y()


def _slip_body(pdf: FPDF, slip: Slip, x: float, y: float, w: float, h: float) -> None:
    """One slip inside the box (x, y, w, h): text above, the QR below it, centred."""
    scale = w / 105
    pad = 6 * scale
    top = _text(pdf, x + pad, y + pad, w - 2 * pad, 10 * scale, "PHIẾU THEO DÕI HỒ SƠ", True)
    top = _text(pdf, x + pad, top + 1, w - 2 * pad, 11 * scale, slip.code, True)
    top = _text(pdf, x + pad, top + 1, w - 2 * pad, 8.5 * scale, _short(slip.procedure, 110))
    top = _text(
        pdf, x + pad, top + 1, w - 2 * pad, 9 * scale, f"Ngày hẹn trả: {slip.due:%d/%m/%Y}", True
    )
    footer = 16 * scale
    size = min(w - 2 * pad, y + h - footer - top - 2 * pad)
    draw_qr(pdf, slip.url, x + (w - size) / 2, top + pad / 2, size)
    _text(
        pdf,
        x + pad,
        y + h - footer,
        w - 2 * pad,
        7.5 * scale,
        "Quét mã bằng camera điện thoại để xem hồ sơ và nhận tin trên Zalo, Telegram. "
        f"Cần hỗ trợ: {slip.office_phone}",
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def slip_pdf(slip: Slip, size: SlipSize = SlipSize.A6) -> bytes:
    width, height = (105.0, 148.0) if size is SlipSize.A6 else (148.0, 210.0)
    pdf = _document((width, height))
    pdf.add_page()
    _slip_body(pdf, slip, 0, 0, width, height)
    return bytes(pdf.output())


LABEL_COLUMNS, LABEL_ROWS = 2, 4
LABEL_W, LABEL_H = 105.0, 74.25  # A4 (210 × 297) in 2 × 4


def _label(pdf: FPDF, slip: Slip, x: float, y: float) -> None:
    """A label: the QR on the left, the text on the right."""
    pad = 5.0
    qr = LABEL_H - 2 * pad + 4
    draw_qr(pdf, slip.url, x + pad - 2, y + pad - 2, qr)
    left = x + qr + pad - 2
    width = x + LABEL_W - left - pad
    top = _text(pdf, left, y + pad + 2, width, 8, "THEO DÕI HỒ SƠ", True)
    top = _text(pdf, left, top + 1, width, 8.5, slip.code, True)
    top = _text(pdf, left, top + 1, width, 7.5, _short(slip.procedure, 90))
    top = _text(pdf, left, top + 1, width, 8, f"Hẹn trả: {slip.due:%d/%m/%Y}", True)
    _text(pdf, left, top + 1, width, 6.5, f"Quét mã để xem hồ sơ. Hỗ trợ: {slip.office_phone}")


def label_sheet_pdf(slips: Sequence[Slip]) -> bytes:
    """As many A4 pages of 8 labels as the slips need."""
    pdf = _document()
    per_page = LABEL_COLUMNS * LABEL_ROWS
    for start in range(0, max(len(slips), 1), per_page):
        pdf.add_page()
        for n, slip in enumerate(slips[start : start + per_page]):
            row, column = divmod(n, LABEL_COLUMNS)
            _label(pdf, slip, column * LABEL_W, row * LABEL_H)
    return bytes(pdf.output())


def poster_pdf(office: str, phone: str, links: Sequence[PosterLink]) -> bytes:
    """The desk poster: how to ask the bot, with one QR per channel."""
    pdf = _document()
    pdf.add_page()
    margin = 15.0
    width = 210 - 2 * margin
    top = _text(pdf, margin, 18, width, 15, office.upper(), True)
    top = _text(pdf, margin, top + 4, width, 24, "HỎI THỦ TỤC, TRA CỨU HỒ SƠ", True)
    top = _text(
        pdf,
        margin,
        top + 3,
        width,
        14,
        "Quét mã bằng camera điện thoại, rồi nhắn tin cho trợ lý của Bộ phận Một cửa: "
        "cần giấy tờ gì, lệ phí bao nhiêu, bao lâu có kết quả. Miễn phí.",
    )
    columns = max(len(links), 1)
    size = min(80.0, (width - 10 * (columns - 1)) / columns)
    gap = (width - size * columns) / max(columns - 1, 1) if columns > 1 else 0
    y = top + 10
    for n, link in enumerate(links):
        x = margin + n * (size + gap) if columns > 1 else margin + (width - size) / 2
        _text(pdf, x, y, size, 18, link.label, True)
        draw_qr(pdf, link.url, x, y + 10, size)
        _text(pdf, x, y + size + 12, size, 11, link.how)
    bottom = y + size + 40
    _text(
        pdf,
        margin,
        bottom,
        width,
        13,
        "Đã nộp hồ sơ? Quét mã QR trên phiếu theo dõi, hoặc chụp ảnh phiếu hẹn gửi cho trợ lý: "
        "ông/bà sẽ được báo khi hồ sơ có kết quả.",
        True,
    )
    _text(pdf, margin, 297 - 25, width, 12, f"Cần hỗ trợ, gọi: {phone}")
    return bytes(pdf.output())
