"""The apology letter (Mẫu 04) as a one-page A5 PDF, drawn in-process with fpdf2.

Mẫu 04 of the forms circular in force (core.law) carries: number and date; "Kính gửi" the
applicant (name, address, phone); the day the dossier was received and its code; the procedure;
the original return date; the reason for the delay; the apology; the new return date; the
issuing office and the signer (DOMAIN.md). Forms are meant for A5 paper (TT 03/2025 Phụ lục I).

The letterhead is two columns, as every Vietnamese administrative letter: the office on the left
(with the number), the national motto on the right (with the place and date). The place name is
written as the commune writes it. The phone is masked: the letter is handed out and posted.
Everything must fit ONE page for every procedure with the longest reason allowed
(`MAX_REASON`): the body shrinks a step at a time until it does, and the caller can check
`pages`. Text uses DejaVu Sans (core/fonts.py), which has every Vietnamese letter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fpdf import FPDF

from core.fonts import dejavu

FONT = "DejaVu"
A5 = (148.0, 210.0)  # mm
MARGIN = 12.0
MAX_REASON = 500  # characters: what /xinloi keeps of a typed reason


@dataclass(frozen=True)
class Letter:
    authority: str  # "ỦY BAN NHÂN DÂN XÃ BÌNH AN": the body that handles the dossier
    office: str  # "Trung tâm Phục vụ hành chính công xã Bình An"
    number: str  # "01/VBXL"
    place: str  # "Bình An", as written
    issued: dt.date
    title: str  # Mẫu 04's name under the circular in force
    applicant: str
    address: str | None
    phone: str | None  # masked
    received: dt.date
    code: str
    procedure: str
    old_due: dt.date
    reason: str
    new_due: dt.date
    signer_title: str
    signer_name: str | None
    basis: str  # "Mẫu số 04, Phụ lục I Thông tư 03/2025/TT-VPCP"
    rule: str  # the apology rule's citation under the law in force


def mask_phone(phone: str | None) -> str | None:
    """'0912345678' → '09** *** 678': enough to recognise, not enough to call."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 6:
        return "***"
    return f"{digits[:2]}** *** {digits[-3:]}"


def place_of(commune_name: str) -> str:
    """'xã Bình An' → 'Bình An' (the place line names the place, as written)."""
    words = commune_name.split()
    for prefix in (("thị", "trấn"), ("đặc", "khu"), ("xã",), ("phường",)):
        if tuple(w.casefold() for w in words[: len(prefix)]) == prefix and len(words) > len(prefix):
            return " ".join(words[len(prefix) :])
    return commune_name


def _date_line(day: dt.date) -> str:
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _fit(pdf: FPDF, text: str, width: float, style: str, size: float) -> None:
    """Set the largest size up to `size` at which `text` fits on one line of `width`."""
    while size > 6:
        pdf.set_font(FONT, style, size)
        if pdf.get_string_width(text) <= width:
            return
        size -= 0.25


def _draw(letter: Letter, body_size: float) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format=A5)
    pdf.set_margins(MARGIN, 10, MARGIN)
    pdf.set_auto_page_break(True, margin=8)
    pdf.add_font(FONT, "", str(dejavu()))
    pdf.add_font(FONT, "B", str(dejavu("Bold")))
    pdf.add_font(FONT, "I", str(dejavu("Oblique")))
    pdf.add_font(FONT, "BI", str(dejavu("BoldOblique")))
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))  # same letter, same file
    pdf.set_title(f"{letter.title} số {letter.number}")
    pdf.add_page()
    usable = A5[0] - 2 * MARGIN
    left_w, gap = 52.0, 4.0
    right_w = usable - left_w - gap
    top = pdf.get_y()

    # Left column: the office and the number.
    pdf.set_font(FONT, "B", 8)
    pdf.multi_cell(left_w, 3.6, letter.authority.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(MARGIN)
    pdf.multi_cell(left_w, 3.6, letter.office.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    rule_y = pdf.get_y() + 1.2
    pdf.line(MARGIN + left_w / 2 - 9, rule_y, MARGIN + left_w / 2 + 9, rule_y)
    pdf.set_xy(MARGIN, rule_y + 1.2)
    pdf.set_font(FONT, "", 8.5)
    pdf.cell(left_w, 4, f"Số: {letter.number}", align="C")
    left_bottom = pdf.get_y() + 4

    # Right column: the national motto, the place and date.
    x = MARGIN + left_w + gap
    pdf.set_xy(x, top)
    motto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    _fit(pdf, motto, right_w, "B", 8)
    pdf.cell(right_w, 3.6, motto, align="C")
    pdf.set_xy(x, top + 3.8)
    pdf.set_font(FONT, "B", 8.5)
    motto2 = "Độc lập - Tự do - Hạnh phúc"
    pdf.cell(right_w, 4, motto2, align="C")
    half = pdf.get_string_width(motto2) / 2
    pdf.line(x + right_w / 2 - half, top + 8.1, x + right_w / 2 + half, top + 8.1)
    pdf.set_xy(x, top + 9.5)
    place = f"{letter.place}, {_date_line(letter.issued)}"
    _fit(pdf, place, right_w, "I", 8.5)
    pdf.cell(right_w, 4, place, align="C")
    right_bottom = top + 13.5

    # Title.
    pdf.set_xy(MARGIN, max(left_bottom, right_bottom) + 4)
    title = letter.title.upper()
    _fit(pdf, title, usable, "B", body_size + 1)  # one line when it can, else wrapped
    if pdf.font_size_pt < 8.5:
        pdf.set_font(FONT, "B", body_size + 1)
    pdf.multi_cell(usable, 5, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    # To whom.
    line = body_size * 0.47
    pdf.set_font(FONT, "B", body_size)
    pdf.multi_cell(
        usable,
        line,
        f"Kính gửi: Ông/bà {letter.applicant}",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, "", body_size)
    pdf.multi_cell(
        usable,
        line,
        f"Địa chỉ: {letter.address or '…………………………………………'}",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(
        usable,
        line,
        f"Điện thoại: {letter.phone or '……………'}",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(1.5)

    # Body.
    paragraphs = [
        f"Ngày {letter.received:%d/%m/%Y}, {letter.office} tiếp nhận hồ sơ đề nghị giải quyết "
        f"thủ tục «{letter.procedure}» của ông/bà, mã số hồ sơ {letter.code}. Thời gian hẹn trả "
        f"kết quả giải quyết hồ sơ: ngày {letter.old_due:%d/%m/%Y}.",
        "Tuy nhiên, đến nay cơ quan chưa thể trả kết quả giải quyết hồ sơ của ông/bà đúng hẹn. "
        f"Lý do: {letter.reason.strip().rstrip('.')}.",
        "Sự chậm trễ này đã gây phiền hà, tốn kém thời gian, công sức của ông/bà. Cơ quan thành "
        "thật xin lỗi ông/bà và hẹn trả kết quả giải quyết hồ sơ vào ngày "
        f"{letter.new_due:%d/%m/%Y}.",
        "Trân trọng cảm ơn sự hợp tác của ông/bà./.",
    ]
    for paragraph in paragraphs:
        pdf.set_x(MARGIN)
        pdf.multi_cell(usable, line, "    " + paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)

    # Recipients (left) and the signature (right), side by side.
    pdf.ln(1.5)
    block = pdf.get_y()
    pdf.set_xy(MARGIN, block)
    pdf.set_font(FONT, "BI", 7.5)
    pdf.cell(left_w, 3.4, "Nơi nhận:")
    pdf.set_font(FONT, "", 7)
    for y, text in ((3.6, "- Như trên;"), (6.8, "- Bộ phận Một cửa;"), (10.0, "- Lưu: VT.")):
        pdf.set_xy(MARGIN, block + y)
        pdf.cell(left_w, 3.2, text)
    sign_x = MARGIN + usable / 2 - 6
    sign_w = usable / 2 + 6
    pdf.set_xy(sign_x, block)
    pdf.set_font(FONT, "B", 8.5)
    pdf.multi_cell(sign_w, 4, letter.signer_title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(sign_x)
    pdf.set_font(FONT, "I", 7.5)
    pdf.multi_cell(
        sign_w, 3.5, "(Ký, ghi rõ họ tên, đóng dấu)", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(13)
    pdf.set_x(sign_x)
    pdf.set_font(FONT, "B", 9)
    pdf.multi_cell(sign_w, 4.5, letter.signer_name or " ", align="C", new_x="LMARGIN", new_y="NEXT")

    # Basis, small, at the bottom of what is written.
    pdf.ln(2.5)
    pdf.set_x(MARGIN)
    pdf.set_font(FONT, "", 6.5)
    pdf.set_text_color(80, 80, 80)
    pdf.multi_cell(
        usable,
        2.9,
        f"Biểu mẫu: {letter.basis}. Căn cứ: {letter.rule} (hẹn lại ngày trả kết quả không quá "
        "một lần). Lập qua Một Cửa Bot.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return pdf


def apology_pdf(letter: Letter) -> bytes:
    """The letter on one A5 page: the body is set a step smaller until it fits."""
    size = 10.0
    while True:
        pdf = _draw(letter, size)
        if pdf.pages_count == 1 or size <= 7.5:
            return bytes(pdf.output())
        size -= 0.5
