"""Dossiers (hồ sơ) as the one-stop software knows them, in the office's own vocabulary.

Each status carries a plain explanation and what the citizen should do next. Statuses arriving
from the software's exports are recognised by their usual wordings (with or without diacritics).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from core.text import fold


class Status(StrEnum):
    RECEIVED = "da-tiep-nhan"
    PROCESSING = "dang-giai-quyet"
    SUPPLEMENT = "cho-bo-sung"
    READY = "co-ket-qua"
    RETURNED = "da-tra-ket-qua"
    REFUSED = "tu-choi"
    SUSPENDED = "tam-dung"
    STOPPED = "dung-giai-quyet"
    WITHDRAWN = "rut-ho-so"


@dataclass(frozen=True)
class StatusInfo:
    label: str  # the office's word, as on the software and the receipt
    meaning: str  # what it means, in plain words
    next_step: str  # what the citizen should do now
    finished: bool  # no more processing: the dossier will not become late
    wordings: tuple[str, ...]  # how exports write it


STATUS_INFO: dict[Status, StatusInfo] = {
    Status.RECEIVED: StatusInfo(
        "Đã tiếp nhận",
        "Bộ phận Một cửa đã nhận hồ sơ của ông/bà.",
        "Ông/bà chưa cần làm gì; hồ sơ sẽ được chuyển cho cán bộ giải quyết.",
        False,
        ("đã tiếp nhận", "tiếp nhận", "mới tiếp nhận", "chờ tiếp nhận", "đã nhận", "mới"),
    ),
    Status.PROCESSING: StatusInfo(
        "Đang giải quyết",
        "Cán bộ đang xem xét, giải quyết hồ sơ.",
        "Ông/bà chờ đến ngày hẹn trả; nếu có thay đổi, bot sẽ báo.",
        False,
        (
            "đang giải quyết",
            "đang xử lý",
            "đang thụ lý",
            "đang thẩm định",
            "chờ phê duyệt",
            "chờ ký",
            "đang trình ký",
        ),
    ),
    Status.SUPPLEMENT: StatusInfo(
        "Chờ bổ sung hồ sơ",
        "Hồ sơ còn thiếu hoặc cần sửa; cơ quan đã gửi phiếu yêu cầu bổ sung.",
        "Ông/bà mang giấy tờ còn thiếu (ghi trong phiếu yêu cầu bổ sung) đến Bộ phận Một cửa. "
        "Thời hạn giải quyết được tính lại từ khi nhận đủ hồ sơ.",
        False,
        ("chờ bổ sung", "chờ bổ sung hồ sơ", "yêu cầu bổ sung", "bổ sung hồ sơ", "bổ sung"),
    ),
    Status.READY: StatusInfo(
        "Đã có kết quả – chờ trả",
        "Hồ sơ đã giải quyết xong, kết quả đang chờ ông/bà nhận.",
        "Ông/bà mang giấy hẹn (phiếu tiếp nhận) và giấy tờ tùy thân đến nhận kết quả.",
        True,
        (
            "đã có kết quả",
            "có kết quả",
            "chờ trả kết quả",
            "chờ trả",
            "đã giải quyết",
            "hoàn thành",
            "đã xử lý xong",
        ),
    ),
    Status.RETURNED: StatusInfo(
        "Đã trả kết quả",
        "Kết quả đã được trả cho ông/bà.",
        "Hồ sơ đã xong. Ông/bà kiểm tra lại giấy tờ đã nhận; sai sót thì báo Bộ phận Một cửa.",
        True,
        ("đã trả kết quả", "đã trả", "trả kết quả", "đã nhận kết quả", "đã trả hồ sơ"),
    ),
    Status.REFUSED: StatusInfo(
        "Từ chối giải quyết",
        "Cơ quan từ chối giải quyết hồ sơ và đã ghi rõ lý do trong văn bản trả lời.",
        "Ông/bà đến Bộ phận Một cửa nhận lại hồ sơ và văn bản nêu lý do; cần thì hỏi cách làm lại.",
        True,
        ("từ chối", "từ chối giải quyết", "không giải quyết", "trả lại hồ sơ", "từ chối tiếp nhận"),
    ),
    Status.SUSPENDED: StatusInfo(
        "Tạm dừng giải quyết",
        "Việc giải quyết tạm dừng (ví dụ chờ xác minh hoặc chờ ý kiến cơ quan khác).",
        "Ông/bà chờ thông báo tiếp theo; cần rõ lý do thì gọi Bộ phận Một cửa.",
        False,
        ("tạm dừng", "tạm dừng giải quyết", "tạm ngừng"),
    ),
    Status.STOPPED: StatusInfo(
        "Dừng giải quyết",
        "Cơ quan đã thông báo dừng giải quyết hồ sơ, kèm lý do.",
        "Ông/bà đến Bộ phận Một cửa nhận lại hồ sơ và thông báo dừng giải quyết.",
        True,
        ("dừng giải quyết", "dừng xử lý", "dừng", "hủy hồ sơ", "huỷ hồ sơ"),
    ),
    Status.WITHDRAWN: StatusInfo(
        "Đã rút hồ sơ",
        "Hồ sơ đã được rút theo đề nghị của người nộp.",
        "Không cần làm gì thêm.",
        True,
        ("rút hồ sơ", "công dân rút hồ sơ", "đã rút"),
    ),
}

# Statuses in which the office's clock does not run: the person must supplement the dossier (the
# processing time restarts once it is complete: NĐ 61/2018/NĐ-CP Điều 15 khoản 3, Điều 19 khoản 4;
# NĐ 118/2025/NĐ-CP Điều 17 khoản 3, as amended by NĐ 309/2026/NĐ-CP Điều 8, counts the time
# "từ thời điểm hồ sơ đã được tiếp nhận đầy đủ"), or processing is suspended as the law allows.
# A dossier in one of these is never late and never gets an apology.
CLOCK_STOPPED = frozenset({Status.SUPPLEMENT, Status.SUSPENDED})


def is_running(status: Status) -> bool:
    """Being handled by the office with its clock running: not finished, not waiting."""
    return not STATUS_INFO[status].finished and status not in CLOCK_STOPPED


E = TypeVar("E", bound=StrEnum)


def _by_wording(*wordings: Mapping[E, Iterable[str]]) -> dict[str, E]:
    """Folded wording → member, later tables winning; a member's own value ("da-tra-ket-qua")
    reads too, and wins over everything."""
    found = {fold(w): member for table in wordings for member, ws in table.items() for w in ws}
    found.update({m.value.replace("-", " "): m for table in wordings for m in table})
    return found


_BY_WORDING = _by_wording(
    {status: info.wordings for status, info in STATUS_INFO.items()},
    {status: (info.label,) for status, info in STATUS_INFO.items()},
)


def status_from_text(text: str) -> Status | None:
    """'Đang xử lý', 'DA TRA KET QUA', 'da-tra-ket-qua' → a Status; None when unknown."""
    return _BY_WORDING.get(fold(text.replace("—", " ").replace("–", " ")))


class ReturnMethod(StrEnum):
    DESK = "tai-quay"
    POSTAL = "buu-chinh"
    ONLINE = "truc-tuyen"


RETURN_LABEL = {
    ReturnMethod.DESK: "nhận tại Bộ phận Một cửa",
    ReturnMethod.POSTAL: "gửi qua bưu điện",
    ReturnMethod.ONLINE: "nhận trực tuyến (bản điện tử)",
}
_RETURN_WORDINGS = {
    ReturnMethod.DESK: ("tại quầy", "trực tiếp", "tại bộ phận một cửa", "tai quay"),
    ReturnMethod.POSTAL: ("bưu chính", "bưu điện", "qua bưu chính", "bưu chính công ích"),
    ReturnMethod.ONLINE: ("trực tuyến", "online", "qua mạng", "bản điện tử"),
}
_RETURN_BY_WORDING = _by_wording(_RETURN_WORDINGS)


def return_method_from_text(text: str) -> ReturnMethod | None:
    return _RETURN_BY_WORDING.get(fold(text))


class SubmissionChannel(StrEnum):
    """How the dossier reached the office: the quarterly report counts each (received directly,
    online — "trực tuyến mức độ 3, 4", toàn trình or một phần — and by public postal service)."""

    DIRECT = "truc-tiep"
    ONLINE = "truc-tuyen"
    POSTAL = "buu-chinh"


SUBMISSION_LABEL = {
    SubmissionChannel.DIRECT: "Trực tiếp",
    SubmissionChannel.ONLINE: "Trực tuyến",
    SubmissionChannel.POSTAL: "Bưu chính",
}
_SUBMISSION_WORDINGS = {
    SubmissionChannel.DIRECT: (
        "trực tiếp",
        "tại quầy",
        "tại bộ phận một cửa",
        "nộp trực tiếp",
        "tiếp nhận trực tiếp",
        "một cửa",
    ),
    SubmissionChannel.ONLINE: (
        "trực tuyến",
        "nộp trực tuyến",
        "online",
        "qua mạng",
        "dịch vụ công",
        "dịch vụ công trực tuyến",
        "cổng dịch vụ công",
        "dvc",
        "dvctt",
        "trực tuyến toàn trình",
        "trực tuyến một phần",
        "toàn trình",
        "một phần",
        "mức độ 3",
        "mức độ 4",
        "vneid",
    ),
    SubmissionChannel.POSTAL: (
        "bưu chính",
        "bưu điện",
        "qua bưu chính",
        "qua bưu điện",
        "bưu chính công ích",
        "dịch vụ bưu chính công ích",
    ),
}
_SUBMISSION_BY_WORDING = _by_wording(_SUBMISSION_WORDINGS)


def submission_channel_from_text(text: str) -> SubmissionChannel | None:
    """'Trực tuyến', 'Nộp trực tiếp', 'DVC', 'buu dien' → a SubmissionChannel; None when unknown."""
    return _SUBMISSION_BY_WORDING.get(fold(text))


@dataclass(frozen=True, slots=True)
class Dossier:
    code: str  # as printed on the receipt
    code_key: str  # letters and digits only: how codes are compared
    procedure_id: str
    applicant_name: str
    phone: str | None
    received_at: dt.datetime
    due_date: dt.date
    status: Status
    return_method: ReturnMethod | None = None
    note: str | None = None
    # For the quarterly figures; older imports and exports without the columns leave them None.
    submission_channel: SubmissionChannel | None = None
    resolved_at: dt.datetime | None = None  # when the result was ready (naive local time)
    # The waiting clock (core.waiting): how many times a supplement was asked for, and when the
    # dossier last left a waiting state (its processing time restarted then).
    supplements: int = 0
    clock_restarted_at: dt.datetime | None = None
    address: str | None = None  # the applicant's, for the apology letter (never shown in chat)
    # Issue 19: the commune of the province it belongs to (core.province); '' until assigned.
    commune_id: str = ""

    @property
    def info(self) -> StatusInfo:
        return STATUS_INFO[self.status]


class EventKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    DUE = "due"


@dataclass(frozen=True, slots=True)
class DossierEvent:
    id: int
    code_key: str
    at: dt.datetime
    kind: EventKind
    old_status: Status | None
    new_status: Status | None
    old_due: dt.date | None
    new_due: dt.date | None
    note: str | None
    source: str


def mask_name(name: str) -> str:
    """'Nguyễn Văn An' → 'Nguyễn V*** A**': the family name, then initials of a fixed length,
    so the mask reveals neither the given name nor its length."""
    words = name.split()
    if not words:
        return "***"
    if len(words) == 1:
        return words[0][0] + "***"
    masked = [words[0]]
    masked += [w[0] + "***" for w in words[1:-1]]
    masked.append(words[-1][0] + "**")
    return " ".join(masked)


def phone_digits(phone: str | None) -> str | None:
    """The digits of a phone number, '+84' as '0': '(+84) 912.345.678' → '0912345678'."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    return digits or None


@dataclass(frozen=True)
class EventDraft:
    """A change to record in the dossier's history (the database gives it its id)."""

    kind: EventKind
    old_status: Status | None = None
    new_status: Status | None = None
    old_due: dt.date | None = None
    new_due: dt.date | None = None
    note: str | None = None


def changes_between(old: Dossier | None, new: Dossier) -> list[EventDraft]:
    """What the history records when the software's view of a dossier becomes `new`."""
    if old is None:
        return [EventDraft(EventKind.CREATED, None, new.status, None, new.due_date, new.note)]
    events = []
    if old.status != new.status:
        events.append(EventDraft(EventKind.STATUS, old.status, new.status, note=new.note))
    if old.due_date != new.due_date:
        events.append(EventDraft(EventKind.DUE, old_due=old.due_date, new_due=new.due_date))
    return events


def notifies(event: EventDraft) -> bool:
    """Followers are told of every status change; new due dates come with an apology (NĐ 61/2018
    Điều 19 k.9), which has its own notice."""
    return event.kind is EventKind.STATUS
