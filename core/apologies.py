"""The written apology the law requires when a dossier will be late.

NĐ 61/2018/NĐ-CP Điều 19 khoản 9 (kept by NĐ 118/2025/NĐ-CP; details unconfirmed, hence the
settings): for a dossier that will miss its date, the competent office must, at the latest one
working day before the due date, send the person a written apology stating the reason for the
delay and the new return date; the return date may be set again only once. The one-stop desk
then updates the date and tells the person by mail, message, phone or an allowed social network.

The form is Mẫu 04 of the forms circular in force (core.law): "Văn bản xin lỗi và đề nghị gia hạn
thời gian giải quyết" (TT 03/2025/TT-VPCP) or, under TT 01/2018/TT-VPCP, "Phiếu xin lỗi và hẹn lại
ngày trả kết quả".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from core.catalogue.models import LawVersion, Procedure, TimeKind
from core.dossiers import Dossier, Status, is_running
from core.workdays import WorkingCalendar

# Who issued an apology that came in an import from the one-stop software.
FROM_SOFTWARE = "phan-mem-mot-cua"

# Quick reasons officers choose from (they may type any other).
QUICK_REASONS = (
    "Cần xác minh thêm thông tin",
    "Chờ cơ quan liên thông trả kết quả",
    "Chờ ý kiến của cơ quan có thẩm quyền",
    "Hồ sơ phức tạp, cần thêm thời gian thẩm định",
)

# Why no apology, for each status that is not running. The apology is for "hồ sơ quá hạn giải
# quyết" (NĐ 61/2018/NĐ-CP Điều 19 khoản 9): a dossier still being handled. A finished one has its
# answer; one waiting for the person is not late (core.waiting).
_NOT_RUNNING = {
    Status.READY: "đã có kết quả",
    Status.RETURNED: "đã trả kết quả",
    Status.REFUSED: "đã có văn bản từ chối giải quyết",
    Status.WITHDRAWN: "đã được rút theo đề nghị của người nộp",
    Status.STOPPED: "đã có thông báo dừng giải quyết",
    Status.SUPPLEMENT: "đang chờ người nộp bổ sung hồ sơ: thời hạn giải quyết tạm dừng và được"
    " tính lại khi hồ sơ đủ, nên hồ sơ không quá hạn",
    Status.SUSPENDED: "đang tạm dừng giải quyết: thời hạn không chạy trong thời gian này",
}


@dataclass(frozen=True)
class ApologyRules:
    """Settings MOTCUA_APOLOGY_*: defaults follow NĐ 61/2018 Điều 19 k.9."""

    # The apology must be sent at least this many working days before the due date.
    notice_working_days: int = 1
    # How many new return dates a dossier may get (the decree: "không quá một lần").
    max_extensions: int = 1


@dataclass(frozen=True)
class Apology:
    id: int
    code_key: str
    number: str  # "07/VBXL" — sequence within the year
    issued_at: dt.datetime
    issued_by: str  # officer's user id, or FROM_SOFTWARE
    issuer_name: str | None
    reason: str
    old_due: dt.date
    new_due: dt.date
    law_version: LawVersion


class DueKind(StrEnum):
    DUE_SOON = "sap-den-han"  # due today or on the next working day: apologise now
    OVERDUE = "qua-han"  # past due and no apology for the current date


@dataclass(frozen=True)
class DueDossier:
    dossier: Dossier
    kind: DueKind
    extended: bool  # already has an apology (a new date): no further extension allowed


class ApologyRefused(Exception):
    """The apology cannot be issued; the message says why, in Vietnamese, citing the rule."""


def needs_watch(dossier: Dossier) -> bool:
    """Whether the dossier's due date is running (not finished, clock not stopped)."""
    return is_running(dossier.status)


def ensure_running(dossier: Dossier) -> None:
    """An apology only for a dossier still being handled (NĐ 61/2018 Điều 19 k.9: "hồ sơ quá hạn
    giải quyết"); never for one resolved, returned, refused, withdrawn, stopped or waiting."""
    if is_running(dossier.status):
        return
    why = _NOT_RUNNING.get(dossier.status, dossier.info.label.lower())
    raise ApologyRefused(
        f"Không lập văn bản xin lỗi cho hồ sơ {dossier.code}: hồ sơ {why}. Văn bản xin lỗi chỉ"
        " dành cho hồ sơ đang giải quyết sắp hoặc đã quá hạn. Nếu trạng thái chưa đúng, cập nhật"
        " bằng /capnhat hoặc nhập lại danh sách hồ sơ."
    )


def classify(
    dossier: Dossier, today: dt.date, calendar: WorkingCalendar, rules: ApologyRules
) -> DueKind | None:
    """Whether a running dossier needs an apology now (NĐ 61/2018 Điều 19 k.9)."""
    if not needs_watch(dossier):
        return None
    if dossier.due_date < today:
        return DueKind.OVERDUE
    horizon = today
    for _ in range(rules.notice_working_days):
        horizon = calendar.next_working_day(horizon)
    return DueKind.DUE_SOON if dossier.due_date <= horizon else None


def proposed_new_date(
    dossier: Dossier, procedure: Procedure | None, calendar: WorkingCalendar, today: dt.date
) -> dt.date:
    """A new date to propose: as long again as the procedure's own time (at least 3 working
    days), counted from the later of the current due date and today."""
    days = 3
    if procedure is not None:
        time = procedure.processing_time
        if time.kind is TimeKind.WORKING_DAYS:
            days = max(days, time.working_days + time.extra_days_if_verification)
        elif time.kind is TimeKind.CALENDAR_DAYS:
            days = max(days, time.calendar_days * 5 // 7)
    return calendar.add_working_days(max(dossier.due_date, today), days)


def ensure_extension_allowed(
    code: str, extensions_so_far: int, max_extensions: int, rule: str = ""
) -> None:
    """NĐ 61/2018/NĐ-CP Điều 19 k.9: the return date may be set again only once (setting).
    `rule`: the citation of the law in force (core.law), printed in the refusal."""
    if extensions_so_far >= max_extensions:
        according = f"Theo {rule}, việc" if rule else "Việc"
        raise ApologyRefused(
            f"Hồ sơ {code} đã được hẹn lại ngày trả {extensions_so_far} lần. {according} hẹn lại"
            " ngày trả kết quả chỉ được thực hiện không quá một lần."
        )


def check_new_date(
    dossier: Dossier,
    new_due: dt.date,
    calendar: WorkingCalendar,
    extensions_so_far: int,
    rules: ApologyRules,
    rule: str = "",
) -> None:
    """Raise ApologyRefused unless `new_due` may become the dossier's new return date."""
    ensure_running(dossier)
    ensure_extension_allowed(dossier.code, extensions_so_far, rules.max_extensions, rule)
    if new_due <= dossier.due_date:
        raise ApologyRefused(
            f"Ngày hẹn mới phải sau ngày hẹn hiện tại ({dossier.due_date:%d/%m/%Y})."
        )
    if not calendar.is_working_day(new_due):
        raise ApologyRefused(
            f"Ngày {new_due:%d/%m/%Y} không phải ngày làm việc; chọn ngày làm việc"
            f" (ví dụ {calendar.next_working_day(new_due):%d/%m/%Y})."
        )


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """'25/11/2026', '25/11', '25-11-2026', '2026-11-25' → a date; None if not a real date."""
    cleaned = text.strip().replace("-", "/").replace(".", "/")
    parts = [p for p in cleaned.split("/") if p]
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            year, month, day = (int(p) for p in parts)
        elif len(parts) == 3:
            day, month, year = (int(p) for p in parts)
            year += 2000 if year < 100 else 0
        elif len(parts) == 2:
            day, month = (int(p) for p in parts)
            year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
        else:
            return None
        return dt.date(year, month, day)
    except ValueError:
        return None
