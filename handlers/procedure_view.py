"""Plain-Vietnamese wording of a procedure's facts, shared by the card and its sections."""

from __future__ import annotations

from core.catalogue import Catalogue, FeeLine
from core.catalogue.models import DocumentKind, FilingMethod, Procedure, ProcessingTime, TimeKind
from core.messages import Button
from core.render import money
from core.text import fold
from handlers.actions import PrintChecklist, ShowSection
from handlers.buttons import HOME_BUTTON

DOCUMENT_KIND = {
    DocumentKind.FORM: "tờ khai theo mẫu",
    DocumentKind.ORIGINAL: "bản chính",
    DocumentKind.COPY: "bản sao",
    DocumentKind.PRESENT: "mang theo để đối chiếu, được trả lại",
}

FILING_SHORT = {
    FilingMethod.DESK: "trực tiếp tại xã",
    FilingMethod.PORTAL: "Cổng Dịch vụ công",
    FilingMethod.VNEID: "VNeID",
    FilingMethod.POSTAL: "qua bưu điện",
}

FILING = {
    FilingMethod.DESK: "Trực tiếp tại Bộ phận Một cửa",
    FilingMethod.PORTAL: "Trực tuyến trên Cổng Dịch vụ công",
    FilingMethod.VNEID: "Trên ứng dụng VNeID",
    FilingMethod.POSTAL: "Gửi qua bưu điện",
}

# A section's button (handlers.actions.ShowSection) names one of these keys.
SECTIONS = {
    "c": "Tóm tắt thủ tục",
    "g": "📄 Giấy tờ cần chuẩn bị",
    "l": "💰 Lệ phí",
    "t": "⏱ Thời gian",
    "n": "📍 Nộp ở đâu / nộp trực tuyến",
    "a": "👤 Ai được nộp",
    "r": "🔗 Thủ tục liên quan",
}


def time_text(time: ProcessingTime) -> str:
    match time.kind:
        case TimeKind.ON_RECEIPT:
            text = "trong ngày, ngay khi nhận đủ hồ sơ"
        case TimeKind.WORKING_DAYS:
            text = f"{time.working_days} ngày làm việc"
        case TimeKind.CALENDAR_DAYS:
            text = f"{time.calendar_days} ngày (tính cả ngày nghỉ)"
        case _:
            text = "theo quy định"
    if time.extra_days_if_verification:
        text += f" (nếu phải xác minh: thêm tối đa {time.extra_days_if_verification} ngày làm việc)"
    if time.unconfirmed:
        text += " – thời hạn dự kiến, ông/bà nên hỏi lại Bộ phận Một cửa"
    return text


def fee_text(lines: list[FeeLine]) -> str:
    """One line for the card: 'miễn phí', '50.000 đ / hợp đồng', or the first case and a pointer."""
    if all(line.amount == 0 for line in lines):
        return "miễn phí"
    first = lines[0]
    amount = money(first.amount) if not first.unknown else "theo mức HĐND tỉnh (xã chưa cập nhật)"
    if first.fee.unit and first.amount:
        amount += f" / {first.fee.unit}"
    if len(lines) == 1:
        return amount
    return f"{first.fee.label}: {amount}; các trường hợp khác xem ở nút “Lệ phí”"


def filing_text(procedure: Procedure) -> str:
    return ", ".join(FILING_SHORT[f.method] for f in procedure.filing)


def field_slug(field: str) -> str:
    return "-".join(fold(field).split())[:40]


def section_button(section: str, procedure: Procedure) -> Button:
    return ShowSection(section, procedure.id).button(SECTIONS[section])


def card_buttons(
    procedure: Procedure, catalogue: Catalogue, *, skip: str = ""
) -> list[list[Button]]:
    rows = [["g", "l"], ["t", "n"], ["a", "r"] if catalogue.related(procedure) else ["a"]]
    if skip:
        rows = [[s for s in row if s != skip] for row in rows]
        rows.append(["c"])
    buttons = [[section_button(s, procedure) for s in row] for row in rows if row]
    if skip in ("", "g"):  # the checklist to print or forward (handlers/checklists.py)
        buttons.append([PrintChecklist(procedure.id).button("🖨 Danh sách giấy tờ để in, gửi")])
    buttons.append([HOME_BUTTON])
    return buttons
