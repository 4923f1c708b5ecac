"""Catalogue problems, worded for the officer who has to fix the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import ErrorDetails

from core.catalogue.yaml_lines import Path_


@dataclass(frozen=True)
class CatalogueError:
    file: str
    line: int | None
    message: str
    procedure: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = [self.file if self.line is None else f"{self.file} dòng {self.line}"]
        if self.procedure:
            parts.append(f'thủ tục "{self.procedure}"')
        where = ", ".join(parts)
        if self.field:
            where += f", trường {self.field}"
        return f"{where}: {self.message}"


class CatalogueInvalid(Exception):
    """The catalogue files have problems; nothing from them may be used."""

    def __init__(self, errors: list[CatalogueError]) -> None:
        super().__init__(f"{len(errors)} lỗi trong danh mục thủ tục")
        self.errors = errors

    def report(self) -> str:
        lines = [f"Danh mục có {len(self.errors)} lỗi, chưa được áp dụng:"]
        lines += [f"- {error}" for error in self.errors]
        return "\n".join(lines)


def format_field_path(path: Path_) -> str:
    """('fees', 0, 'amount') → 'fees[0].amount'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


_VALUE_ERRORS = {
    "national_fee_without_amount": (
        "lệ phí do trung ương quy định phải ghi số tiền (amount); "
        "nếu do tỉnh quy định thì ghi set_by: tinh"
    ),
    "working_days_required": (
        "thời hạn theo ngày làm việc phải ghi working_days từ 1 trở lên (không ghi calendar_days)"
    ),
    "calendar_days_required": (
        "thời hạn theo ngày (kind: ngay) phải ghi calendar_days từ 1 trở lên"
        " (không ghi working_days)"
    ),
    "on_receipt_has_days": (
        "thủ tục giải quyết ngay khi nhận hồ sơ thì không ghi working_days hay calendar_days"
    ),
    "duplicate_fee_key": "hai khoản lệ phí có cùng key; mỗi khoản cần một key riêng",
    "office_hours_format": (
        'giờ làm việc phải có dạng giờ bắt đầu – giờ kết thúc, ví dụ "7:30 – 11:30"'
        " (bot dùng để báo người dân khi nào cán bộ trả lời)"
    ),
}

_PATTERN_HINTS = {
    "id": "chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: dang-ky-khai-sinh)",
    "related": "chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: dang-ky-khai-sinh)",
    "procedure": "chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: dang-ky-khai-sinh)",
    "key": "chỉ gồm chữ thường không dấu, số và dấu gạch ngang (ví dụ: qua-han)",
    "code": 'mã TTHC phải có dạng 1.001193 (viết trong ngoặc kép: "1.001193")',
    "url": "phải là địa chỉ web bắt đầu bằng http:// hoặc https://",
}

_MONEY_FIELDS = {"amount", "local_fees"}
_MONEY_ERRORS = {
    "int_type",
    "int_parsing",
    "int_from_float",
    "greater_than_equal",
    "less_than_equal",
}


def describe_validation_error(error: ErrorDetails) -> str:
    """One pydantic error → a Vietnamese sentence about what is wrong and how to fix it."""
    kind = error["type"]
    names = [part for part in error["loc"] if isinstance(part, str)]
    name = names[-1] if names else ""
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    money_field = name in _MONEY_FIELDS or (bool(names) and names[0] == "local_fees")
    if money_field and kind in _MONEY_ERRORS:
        return "phải là số tiền (đồng) không âm, viết liền không dấu chấm (ví dụ 50000)"
    match kind:
        case "missing":
            return "thiếu trường bắt buộc này"
        case "extra_forbidden":
            return "trường này không có trong mẫu danh mục (viết sai tên trường?)"
        case "string_type" if name == "code":
            return _PATTERN_HINTS["code"]
        case "string_type":
            return "phải là chữ (một chuỗi văn bản)"
        case "string_too_short":
            return "không được để trống"
        case "string_too_long":
            return f"dài quá {ctx.get('max_length')} ký tự"
        case "string_pattern_mismatch":
            return _PATTERN_HINTS.get(name, "không đúng định dạng")
        case "int_type" | "int_parsing" | "int_from_float":
            return "phải là số nguyên"
        case "greater_than_equal":
            return f"phải lớn hơn hoặc bằng {ctx.get('ge')}"
        case "less_than_equal":
            return f"phải nhỏ hơn hoặc bằng {ctx.get('le')}"
        case "bool_type" | "bool_parsing":
            return "phải là true hoặc false"
        case "enum" | "literal_error":
            return f"phải là một trong các giá trị: {ctx.get('expected', '')}"
        case (
            "date_type"
            | "date_parsing"
            | "date_from_datetime_parsing"
            | "date_from_datetime_inexact"
        ):
            return "phải là ngày dạng NNNN-TT-NN (ví dụ 2026-11-23)"
        case "list_type":
            return "phải là một danh sách (mỗi mục một dòng bắt đầu bằng “- ”)"
        case "too_short":
            return f"phải có ít nhất {ctx.get('min_length', 1)} mục"
        case "dict_type" | "model_type" | "model_attributes_type":
            return "phải là một nhóm trường dạng “tên: giá trị”"
        case "value_error":
            reason = str(ctx.get("error", ""))
            return _VALUE_ERRORS.get(reason, f"giá trị không hợp lệ ({reason})")
        case _:
            return f"giá trị không hợp lệ ({error['msg']})"
