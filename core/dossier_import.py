"""Reading the one-stop software's export: CSV or XLSX rows → validated dossiers.

Officers export the dossier list from the one-stop software (phần mềm một cửa điện tử) and import it
so that citizens can look their dossier up by receipt code. Exports differ between provinces and
versions, so the reader is tolerant where tolerance cannot mislead:
- headers are matched without accents, case or spaces, in any order, among extra columns, and may
  sit below a title row;
- CSV may be UTF-8 (with or without BOM) or UTF-16 with BOM, separated by `,` `;` or tab;
- dates may be text (05/01/2026, 5/1/2026 09:30, 2026-01-05), Excel date cells or Excel serials.
and strict where a wrong guess would mislead a citizen: an impossible date, an unknown status or
procedure, a malformed phone number or a code given twice is an error on its row, never a guess.
Every error of every row is collected, so the officer fixes the file in one pass.

Nothing here touches the database: `parse_export` returns the good rows (dossier + hash) and the
errors; `motcua import-dossiers` decides what to apply.

Hostile or broken files are refused cheaply (issue 15: a 1 MiB XLSX that unpacked to 687 MiB
used 1.3 GB and printed 452 MB of errors, each quoting a 30,000-character cell). `ImportLimits`:
the unpacked size is read from the zip directory before anything is unpacked (zipfile never
unpacks more than the directory declares); rows and columns are counted while streaming; a cell
longer than the limit is an error on its row; every value quoted in a message is cut to 80
characters; only the first errors are kept (all are counted). A receipt date more than a day
ahead, and control characters (NUL…) in a code, a name or a note, are row errors.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import hashlib
import io
import logging
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from core.catalogue import Catalogue
from core.catalogue.models import Procedure, TimeKind
from core.dossiers import (
    STATUS_INFO,
    Dossier,
    ReturnMethod,
    Status,
    SubmissionChannel,
    phone_digits,
    return_method_from_text,
    status_from_text,
    submission_channel_from_text,
)
from core.province import Commune, Province
from core.receipt_codes import agency_key, code_key
from core.text import fold
from core.workdays import WorkingCalendar

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

PROGRESS_EVERY = 1000  # rows between two progress calls
HEADER_SCAN_ROWS = 20  # a title block above the header may take this many rows
HEADER_SHOWN = 40  # header cells quoted when a required column is missing
# Dossiers in the one-stop software are recent; a year outside this range is a typing slip
# (05/01/0226) or a number read as a date, and the working-day calendar ends in 2100 anyway.
FIRST_YEAR, LAST_YEAR = 2000, 2099
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 1 is 1900-01-01 (past the 1900 leap bug: 61+)
_CSV_SUFFIXES = {".csv", ".txt", ".tsv", ""}
_DELIMITERS = (",", ";", "\t")


QUOTE_CHARS = 80  # a value quoted in a message: at most this many characters


def _n(number: int) -> str:
    """12345 → '12.345', as numbers are written in Vietnamese."""
    return f"{number:,}".replace(",", ".")


def quote(text: str) -> str:
    """A cell's text as a message quotes it: cut to QUOTE_CHARS, control characters shown."""
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1] + "…"
    return _CONTROL.sub("�", text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # a name or code: no tab, no newline


@dataclass(frozen=True)
class ImportLimits:
    """What an export may hold (settings MOTCUA_IMPORT_*). A one-stop export of 100,000 dossiers
    is about 50 MB unpacked with 13–30 columns; a commune receives a few hundred a week."""

    max_unpacked_bytes: int = 256 * 2**20  # XLSX: all parts, as the zip directory declares them
    max_shared_strings_bytes: int = 64 * 2**20  # XLSX: this part is held in memory whole
    # Rows are parsed whole before one all-or-nothing transaction: 100,000 valid rows (issue 3's
    # benchmark, years of a commune's dossiers) peak at about 210 MB (bench/hostile_files.py).
    max_rows: int = 100_000
    max_columns: int = 200
    max_cell_chars: int = 2_000  # Excel allows 32,767; the longest real cell is a note
    kept_errors: int = 1_000  # row errors kept for display (every one is counted)


# --- Results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row_number: int  # as the officer sees it in the spreadsheet (header = row 1)
    dossier: Dossier
    row_hash: str  # sha256 of the normalized values: same data, same hash, whatever the format
    # Why the return date moved, when the software records it: with a later due date for a
    # dossier near or past its due date, the import issues the apology (NĐ 61/2018 Đ19 k9).
    delay_reason: str | None = None
    # The export gave the due date ("Ngày hẹn trả"); otherwise it was computed from the receipt,
    # and a dossier whose time restarted after a supplement keeps its own (core.waiting).
    due_given: bool = True


@dataclass(frozen=True, slots=True)
class RowError:
    row_number: int
    column: str | None  # the header as written in the file
    value: str | None  # the cell as read
    message: str  # Vietnamese, quoting the value where it helps

    def __str__(self) -> str:
        where = f"dòng {self.row_number}"
        if self.column is not None:
            where += f", cột «{quote(self.column)}»"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ParsedExport:
    rows: list[ParsedRow]
    errors: list[RowError]  # in row order: the first `ImportLimits.kept_errors`
    file_errors: list[str]  # the file cannot be read at all: no rows, no row errors
    more_errors: int = 0  # errors counted beyond those kept
    more_bad_rows: int = 0  # rows with errors beyond those of the kept errors

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors

    @property
    def bad_rows(self) -> list[int]:
        """The rows of the kept errors (`bad_row_count` counts them all)."""
        return sorted({error.row_number for error in self.errors})

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.more_errors

    @property
    def bad_row_count(self) -> int:
        return len(self.bad_rows) + self.more_bad_rows


# --- Columns -------------------------------------------------------------------------------------


class Column(Enum):
    CODE = "code"
    PROCEDURE_NAME = "procedure_name"
    PROCEDURE_CODE = "procedure_code"
    APPLICANT = "applicant"
    PHONE = "phone"
    RECEIVED = "received"
    DUE = "due"
    STATUS = "status"
    NOTE = "note"
    RETURN_METHOD = "return_method"
    DELAY_REASON = "delay_reason"
    SUBMISSION = "submission"
    RESOLVED = "resolved"
    ADDRESS = "address"


@dataclass(frozen=True)
class ColumnSpec:
    headers: tuple[str, ...]  # accepted spellings; the first is the one we recommend
    required: bool


COLUMNS: dict[Column, ColumnSpec] = {
    Column.CODE: ColumnSpec(("Mã hồ sơ", "Số hồ sơ", "Mã số hồ sơ"), True),
    # One of the two procedure columns is required (checked separately).
    Column.PROCEDURE_NAME: ColumnSpec(("Thủ tục", "Tên thủ tục"), False),
    Column.PROCEDURE_CODE: ColumnSpec(("Mã thủ tục", "Mã TTHC"), False),
    Column.APPLICANT: ColumnSpec(("Người nộp", "Họ tên", "Họ và tên", "Chủ hồ sơ"), True),
    Column.PHONE: ColumnSpec(("Số điện thoại", "SĐT", "Điện thoại"), False),
    Column.RECEIVED: ColumnSpec(("Ngày tiếp nhận", "Ngày nhận"), True),
    Column.DUE: ColumnSpec(("Ngày hẹn trả", "Ngày hẹn trả kết quả", "Ngày hẹn", "Hạn trả"), False),
    Column.STATUS: ColumnSpec(("Trạng thái", "Tình trạng"), True),
    Column.NOTE: ColumnSpec(("Ghi chú",), False),
    Column.RETURN_METHOD: ColumnSpec(("Hình thức trả kết quả", "Trả kết quả"), False),
    Column.DELAY_REASON: ColumnSpec(
        ("Lý do trễ hạn", "Lý do gia hạn", "Lý do quá hạn", "Lý do chậm trả", "Lý do xin lỗi"),
        False,
    ),
    # For the quarterly figures (received directly / online / by post; resolved early, on time
    # or late). "Ngày trả kết quả" is the actual return, not "Ngày hẹn trả kết quả" (Column.DUE).
    Column.SUBMISSION: ColumnSpec(
        ("Hình thức nộp", "Kênh nộp", "Hình thức tiếp nhận", "Kênh tiếp nhận", "Nguồn hồ sơ"),
        False,
    ),
    Column.RESOLVED: ColumnSpec(
        (
            "Ngày có kết quả",
            "Ngày hoàn thành",
            "Ngày trả kết quả",
            "Ngày giải quyết xong",
            "Ngày kết thúc",
        ),
        False,
    ),
    # For the apology letter (Mẫu 04: "Kính gửi … địa chỉ …").
    Column.ADDRESS: ColumnSpec(("Địa chỉ", "Địa chỉ người nộp", "Địa chỉ liên hệ"), False),
}


def _header_key(text: str) -> str:
    """'Mã  Hồ Sơ', 'MA_HO_SO', 'mahoso' → 'mahoso'."""
    return fold(text).replace(" ", "")


_HEADER_KEYS = [
    (_header_key(spelling), column) for column, spec in COLUMNS.items() for spelling in spec.headers
]


def _cell_text(value: object) -> str:
    if isinstance(value, str):  # every CSV cell: the fast path
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def match_headers(cells: Sequence[object]) -> dict[Column, tuple[int, str]]:
    """Column → (index, header as written). An accepted spelling listed earlier wins; among equal
    spellings the leftmost column does."""
    keys: dict[str, int] = {}
    for index, cell in enumerate(cells):
        keys.setdefault(_header_key(_cell_text(cell)), index)
    found: dict[Column, tuple[int, str]] = {}
    for key, column in _HEADER_KEYS:
        if column not in found and key in keys:
            index = keys[key]
            found[column] = (index, _cell_text(cells[index]))
    return found


def _missing_columns(found: dict[Column, tuple[int, str]]) -> list[str]:
    missing = []
    for column, spec in COLUMNS.items():
        if column is Column.PROCEDURE_NAME:  # either procedure column will do
            if Column.PROCEDURE_NAME not in found and Column.PROCEDURE_CODE not in found:
                missing.append("«Thủ tục» (hoặc «Mã thủ tục»)")
        elif spec.required and column not in found:
            missing.append(f"«{spec.headers[0]}»")
    return missing


# --- Values --------------------------------------------------------------------------------------

_DMY = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[:hH](\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
)
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_SERIAL = re.compile(r"\d{1,7}(?:[.,]\d+)?")
# The national mã TTHC, possibly with the agency's suffix some software adds: 1.001193.000.00.H47
_NATIONAL_CODE = re.compile(r"(?<![\d.])(\d\.\d{6})(?!\d)")
_MOMENT_CACHE_SIZE = 50_000  # exports repeat dates (and often times): parse each text once
_NOT_A_DATE = "không phải ngày; hãy viết ngày/tháng/năm (ví dụ 05/01/2026 hoặc 05/01/2026 09:30)"


def _plausible(moment: dt.datetime, shown: str) -> dt.datetime | str:
    if FIRST_YEAR <= moment.year <= LAST_YEAR:
        return moment
    return (
        f"«{quote(shown)}»: năm {moment.year} không hợp lý cho một hồ sơ"
        f" (cần từ {FIRST_YEAR} đến {LAST_YEAR})"
    )


def _from_serial(serial: float, shown: str) -> dt.datetime | str:
    """An Excel serial day number (46027 = 05/01/2026; a fraction is the time of day)."""
    if not 61 <= serial < 2_958_466:  # 1900-03-01 … 9999-12-31
        return f"«{quote(shown)}» {_NOT_A_DATE}"
    moment = _EXCEL_EPOCH + dt.timedelta(seconds=round(serial * 86400))
    return _plausible(moment, shown)


def parse_moment(text: str) -> dt.datetime | str:
    """A date as officers and software write it → a naive local datetime (00:00 when only the
    day is given), or the reason it is not one (a Vietnamese message quoting the text)."""
    match = _DMY.fullmatch(text)
    if match:
        day, month, year, hour, minute, second = match.groups()
    else:
        match = _YMD.fullmatch(text)
        if match:
            year, month, day, hour, minute, second = match.groups()
        elif _SERIAL.fullmatch(text):
            return _from_serial(float(text.replace(",", ".")), text)
        else:
            return f"«{quote(text)}» {_NOT_A_DATE}"
    try:
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        try:
            dt.date(int(year), int(month), int(day))
        except ValueError:
            return f"«{quote(text)}» không phải ngày có thật"
        return f"«{quote(text)}» không phải giờ có thật"
    return _plausible(moment, text)


def _unknown_choice(text: str, what: str, known: str) -> str:
    return f"«{quote(text)}» không phải {what} đã biết; ghi một trong: {known}"


def _moment_from_cell(
    value: object, cache: dict[str, dt.datetime | str]
) -> dt.datetime | str | None:
    """None for an empty cell; a datetime; or the reason the cell is not a date."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        found = cache.get(text)
        if found is None:
            if len(cache) >= _MOMENT_CACHE_SIZE:
                cache.clear()
            found = cache[text] = parse_moment(text)
        return found
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        # Excel stores times as fractions of a day; openpyxl's conversion can land a few
        # microseconds off the second the officer typed.
        moment = value.replace(tzinfo=None) + dt.timedelta(microseconds=500_000)
        return _plausible(moment.replace(microsecond=0), f"{value:%d/%m/%Y}")
    if isinstance(value, dt.date):
        return _plausible(dt.datetime.combine(value, dt.time()), f"{value:%d/%m/%Y}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value), _cell_text(value))
    return f"«{quote(_cell_text(value))}» {_NOT_A_DATE}"


_NOT_CODE_CHARACTER = re.compile(r"[^0-9A-Z]")


def _code_key(text: str) -> str:
    """`code_key`, with a shortcut for ASCII codes (nearly all): NFKC leaves ASCII unchanged, so
    upper case and dropping everything but A–Z and 0–9 gives the same key, three times faster."""
    if text.isascii():
        return _NOT_CODE_CHARACTER.sub("", text.upper())
    return code_key(text)


def _tidy(text: str) -> str:
    """NFC and single spaces: the same name typed twice compares (and hashes) equal."""
    return " ".join(unicodedata.normalize("NFC", text).split())


_STATUS_LIST = ", ".join(info.label for info in STATUS_INFO.values())
_RETURN_LIST = "tại quầy (trực tiếp), bưu chính (bưu điện), trực tuyến"
_SUBMISSION_LIST = "trực tiếp (tại quầy), trực tuyến (dịch vụ công, VNeID), bưu chính (bưu điện)"


# --- Columns' validators -----------------------------------------------------------------------
#
# One small validator per column (issue 17 point 5). Each gets its cell's text and the row (for
# the cell's Excel value, the values of the columns checked before it, and the reader's cached
# lookups) and gives the column's value or `Invalid`: the Vietnamese message, quoting the cell.
# `VALIDATORS` lists them in the order their errors are listed to the officer.


@dataclass(frozen=True, slots=True)
class Invalid:
    message: str
    value: str | None = None  # the value the error shows: the cell's text unless given
    column: Column | None = None  # the column the error names, when not the validator's own


# A row's cells and values are in Column order, read by position: an Enum member as a dict key
# costs a Python-level hash, and the row reader is the hot path of big files.
_INDEX = {column: index for index, column in enumerate(Column)}
_PROCEDURE_NAME, _PROCEDURE_CODE, _PHONE, _RECEIVED, _DUE, _STATUS, _RESOLVED = (
    _INDEX[c]
    for c in (
        Column.PROCEDURE_NAME,
        Column.PROCEDURE_CODE,
        Column.PHONE,
        Column.RECEIVED,
        Column.DUE,
        Column.STATUS,
        Column.RESOLVED,
    )
)


class _Row:
    """One row while its validators run: cells in Column order, the values found so far."""

    __slots__ = ("commune", "number", "raw", "reader", "texts", "values")

    def __init__(
        self, reader: _RowReader, number: int, texts: Sequence[str], raw: Sequence[object]
    ) -> None:
        self.reader = reader
        self.number = number
        self.texts = texts  # stripped text of each cell
        self.raw = raw  # the cells as read (Excel dates and numbers; the texts for a CSV)
        # The value of each column checked so far (None if absent, empty or invalid).
        self.values: list[object] = [None] * len(_INDEX)
        self.commune: Commune | None = None  # issue 19: the commune its code names


def check_code(code: str, row: _Row) -> str | Invalid:
    """The receipt code: kept as typed, compared by its letters and digits (the key)."""
    if not code:
        return Invalid("không được để trống")
    key = _code_key(code)
    if not key:
        return Invalid(f"«{quote(code)}» không có chữ hay số nào, không phải mã hồ sơ")
    seen = row.reader.seen_codes
    if key in seen:
        return Invalid(f"«{quote(code)}» trùng mã với dòng {seen[key]}")
    seen[key] = row.number
    return key


def check_commune(code: str, row: _Row) -> Invalid | None:
    """Issue 19: the commune the code's agency segment names (`CommuneRule`), kept on the row;
    an error on the code's column when no commune of the province has it, or another commune's
    row is in a commune's own export. (Run only with a province.)"""
    key = row.values[0] or _code_key(code)  # the code's key, also when it is a duplicate
    if not key:
        return None  # no code: the code's own error says so
    commune, problem = row.reader.communes.commune_of(code)
    row.commune = commune
    return Invalid(problem) if problem is not None else None


def _printable(text: str, pattern: re.Pattern[str]) -> Invalid | None:
    if found := pattern.search(text):
        character = f"U+{ord(found.group()):04X}"
        return Invalid(
            f"«{quote(text)}» có ký tự điều khiển không in được (mã {character}); xóa"
            " ký tự đó trong tệp rồi xuất lại"
        )
    return None


def check_printable_line(text: str, row: _Row) -> Invalid | None:
    """A code or a name: no control character, not even a tab or a line break."""
    return _printable(text, _CONTROL_IN_LINE)


def check_printable_text(text: str, row: _Row) -> Invalid | None:
    """A note: tabs and line breaks allowed, no other control character."""
    return _printable(text, _CONTROL)


def check_procedure(code_text: str, row: _Row) -> Procedure | Invalid:
    """Either procedure column: our id, the national code or the name (the code's cell first)."""
    name_text = row.texts[_PROCEDURE_NAME]
    reader = row.reader
    procedure = reader.procedure(code_text, name_text, row.commune)
    if procedure is not None:
        return procedure
    column = Column.PROCEDURE_CODE if code_text else Column.PROCEDURE_NAME
    if column not in reader.header:
        column = Column.PROCEDURE_CODE
    given = code_text or name_text
    if given:
        return Invalid(f"thủ tục «{quote(given)}» không có trong danh mục", given, column)
    return Invalid("không được để trống (ghi tên thủ tục hoặc mã thủ tục)", given, column)


def check_applicant(applicant: str, row: _Row) -> str | Invalid:
    name = _tidy(applicant)
    if not name:
        return Invalid("không được để trống", name)
    return name


def check_phone(phone_text: str, row: _Row) -> str | Invalid | None:
    """10 digits starting with 0, or an empty cell."""
    if len(phone_text) == 9 and isinstance(row.raw[_PHONE], int | float):
        phone_text = "0" + phone_text  # an Excel number cell drops the leading 0
    if len(phone_text) == 10 and phone_text.isascii() and phone_text.isdigit():
        phone: str | None = phone_text  # what phone_digits gives for 0912345678, faster
    else:
        phone = phone_digits(phone_text)
    invalid = phone is None and bool(fold(phone_text))  # words, no digits ("-" is empty)
    if invalid or (phone is not None and not (len(phone) == 10 and phone[0] == "0")):
        message = f"«{quote(phone_text)}» không phải số điện thoại: cần 10 chữ số, bắt đầu bằng 0"
        return Invalid(message, phone_text)
    return phone


def check_received(received_text: str, row: _Row) -> dt.datetime | Invalid:
    """Required; a real date, not more than a day ahead."""
    reader = row.reader
    received = _moment_from_cell(row.raw[_RECEIVED], reader.moments)
    if received is None:
        return Invalid("không được để trống", "")
    if isinstance(received, str):
        return Invalid(received)
    if received > reader.latest_receipt:
        return Invalid(
            f"«{quote(received_text)}» là ngày trong tương lai"
            f" (hôm nay {reader.latest_receipt - dt.timedelta(days=1):%d/%m/%Y}):"
            " ngày tiếp nhận không thể sau hôm nay"
        )
    return received


def check_due(due_text: str, row: _Row) -> dt.date | Invalid | None:
    """As given (not before the receipt), else computed from the procedure's time."""
    reader = row.reader
    received = row.values[_RECEIVED]
    assert received is None or isinstance(received, dt.datetime)
    due_moment = _moment_from_cell(row.raw[_DUE], reader.moments)
    if isinstance(due_moment, str):
        return Invalid(due_moment)
    if due_moment is not None:
        due = due_moment.date()
        if received is not None and due < received.date():
            return Invalid(f"«{quote(due_text)}» trước ngày tiếp nhận {received:%d/%m/%Y}")
        return due
    procedure = row.values[_PROCEDURE_CODE]
    if isinstance(procedure, Procedure) and received is not None:
        computed = reader.due_date(procedure, received)
        return Invalid(computed, "") if isinstance(computed, str) else computed
    return None


def check_status(status_text: str, row: _Row) -> Status | Invalid:
    status = row.reader.status(status_text)
    if status is not None:
        return status
    message = (
        f"«{quote(status_text)}» không phải trạng thái đã biết"
        if status_text
        else "không được để trống"
    )
    return Invalid(f"{message}; ghi một trong: {_STATUS_LIST}")


def check_return_method(return_text: str, row: _Row) -> ReturnMethod | Invalid | None:
    if not return_text:
        return None
    method = row.reader.return_method(return_text)
    if method is None:
        return Invalid(_unknown_choice(return_text, "hình thức trả kết quả", _RETURN_LIST))
    return method


def check_submission(submission_text: str, row: _Row) -> SubmissionChannel | Invalid | None:
    if not submission_text:
        return None
    channel = row.reader.submission(submission_text)
    if channel is None:
        return Invalid(_unknown_choice(submission_text, "hình thức nộp", _SUBMISSION_LIST))
    return channel


def check_resolved(resolved_text: str, row: _Row) -> dt.datetime | Invalid | None:
    """The resolution date: only for a finished dossier, never before its receipt."""
    if not resolved_text:
        return None
    resolved = _moment_from_cell(row.raw[_RESOLVED], row.reader.moments)
    if isinstance(resolved, str):
        return Invalid(resolved)
    received, status = row.values[_RECEIVED], row.values[_STATUS]
    if resolved is not None:
        if isinstance(received, dt.datetime) and resolved.date() < received.date():
            return Invalid(f"«{quote(resolved_text)}» trước ngày tiếp nhận {received:%d/%m/%Y}")
        if isinstance(status, Status) and not STATUS_INFO[status].finished:
            return Invalid(
                f"«{quote(resolved_text)}»: hồ sơ «{quote(row.texts[_STATUS])}» chưa xong"
                " nên chưa có ngày có kết quả; để trống ô này hoặc sửa trạng thái"
            )
    return resolved


def optional_text(text: str, row: _Row) -> str | None:
    """A note, a reason, an address: tidied; empty is None."""
    return _tidy(text) or None


Check = Callable[[str, _Row], object]

# Column → its validator, in the order errors are listed. The procedure's validator reads both
# procedure columns. With a province, the commune the code names (`check_commune`) comes right
# after the code's own error; then control characters in the codes, names and notes
# (`PRINTABLE`).
VALIDATORS: dict[Column, Check] = {
    Column.CODE: check_code,
    Column.PROCEDURE_CODE: check_procedure,
    Column.APPLICANT: check_applicant,
    Column.PHONE: check_phone,
    Column.RECEIVED: check_received,
    Column.DUE: check_due,
    Column.STATUS: check_status,
    Column.RETURN_METHOD: check_return_method,
    Column.SUBMISSION: check_submission,
    Column.RESOLVED: check_resolved,
    Column.NOTE: optional_text,
    Column.DELAY_REASON: optional_text,
    Column.ADDRESS: optional_text,
}
PRINTABLE: dict[Column, Check] = {
    Column.CODE: check_printable_line,
    Column.APPLICANT: check_printable_line,
    Column.NOTE: check_printable_text,
    Column.DELAY_REASON: check_printable_text,
}
# An empty cell of these columns is no value and no error: their validators say so, and the row
# reader does not call them for it.
OPTIONAL = frozenset(
    {
        Column.PHONE,
        Column.NOTE,
        Column.RETURN_METHOD,
        Column.DELAY_REASON,
        Column.SUBMISSION,
        Column.RESOLVED,
        Column.ADDRESS,
    }
)
# How `_RowReader.read` runs them, in order: (position, column, validator, keeps its value,
# skipped when empty).
_FIRST = ((0, Column.CODE, check_code, True, False),)
_COMMUNE = (0, Column.CODE, check_commune, False, False)  # with a province (issue 19)
_PRINTABLE = tuple((_INDEX[c], c, check, False, True) for c, check in PRINTABLE.items())
_REST = tuple(
    (_INDEX[c], c, check, True, c in OPTIONAL)
    for c, check in VALIDATORS.items()
    if c is not Column.CODE
)
_PRINTABLE_AT = itemgetter(*(index for index, *_ in _PRINTABLE))


# --- Rows ----------------------------------------------------------------------------------------


class _ProcedureIndex:
    """A catalogue's procedures by our id, national code and name, with the answers cached."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._by_id = {p.id: p for p in catalogue}
        national = Counter(p.code for p in catalogue if p.code)
        self._by_national = {
            p.code: p for p in catalogue if p.code and national[p.code] == 1
        }  # a code shared by two procedures cannot decide between them: fall back to the name
        names = Counter(fold(p.name) for p in catalogue)
        self._by_name = {fold(p.name): p for p in catalogue if names[fold(p.name)] == 1}
        self._procedures: dict[tuple[str, str], Procedure | None] = {}

    def procedure(self, code_text: str, name_text: str) -> Procedure | None:
        key = (code_text, name_text)
        if key not in self._procedures:
            self._procedures[key] = self._resolve(code_text, name_text)
        return self._procedures[key]

    def _resolve(self, *texts: str) -> Procedure | None:
        """Our id, else the national code, else the name; the code column is tried first."""
        for text in texts:
            if not text:
                continue
            found = self._by_id.get(text.lower())
            if found is None and (match := _NATIONAL_CODE.search(text)):
                found = self._by_national.get(match.group(1))
            if found is None:
                found = self._by_name.get(fold(text))
            if found is not None:
                return found
        return None


@dataclass
class CommuneRule:
    """Issue 19: which commune each row belongs to, from its code's agency segment. A
    province-wide export is split by it (an agency no commune has is a row error naming it); a
    commune's own export (`only`) refuses another commune's rows. Without a province every row
    is the commune's, as before (its id left '' for the start-up to assign)."""

    province: Province | None = None
    only: str | None = None  # the commune whose export this is
    _agencies: dict[str, tuple[Commune | None, str | None]] = field(default_factory=dict)

    def commune_of(self, code: str) -> tuple[Commune | None, str | None]:
        """(the commune, None) or (None, what is wrong, in Vietnamese)."""
        province = self.province
        if province is None:
            return None, None
        agency = agency_key(code)
        cached = self._agencies.get(agency or "")
        if cached is not None:
            return cached
        found = province.for_code(code)
        problem = None
        if found is None:
            segment = _agency_text(code)
            problem = (
                f"mã cơ quan «{quote(segment)}» không thuộc xã, phường nào của"
                f" {province.name} (tệp province.yaml, agency_codes)"
                if segment
                else "mã hồ sơ không có phần mã cơ quan ở đầu (dạng 000.00.19.H47-YYMMDD-NNNN)"
            )
        elif self.only is not None and found.id != self.only:
            mine = province.get(self.only)
            problem = (
                f"hồ sơ của {found.name}, không phải của"
                f" {mine.name if mine is not None else self.only}: tệp của xã chỉ nhập hồ sơ"
                " của xã mình"
            )
            found = None
        result = (found, problem)
        self._agencies[agency or ""] = result
        return result


def _agency_text(code: str) -> str:
    """The agency segment as typed: what comes before the receipt date and sequence."""
    parts = re.split(r"[-‐‑‒–—―−﹣－_\s]+", code.strip())
    if len(parts) >= 3:
        return "-".join(parts[:-2])
    return ""


class _RowReader:
    """Validates one row at a time (`VALIDATORS`); caches every lookup that repeats across rows
    (procedures, communes, statuses, dates, due dates), which is what keeps large files fast."""

    def __init__(
        self,
        columns: dict[Column, tuple[int, str]],
        catalogue: Catalogue,
        calendar: WorkingCalendar,
        *,
        text_only: bool,
        limits: ImportLimits,
        now: dt.datetime,
        communes: CommuneRule | None = None,
    ) -> None:
        self.text_only = text_only  # every cell is a str (CSV), not an Excel value
        self.communes = communes or CommuneRule()
        self.calendar = calendar
        self.max_cell_chars = limits.max_cell_chars
        # A receipt is dated the day it is received: more than a day ahead is a typing slip
        # (05/01/2099) or a clock gone wrong (a day of margin for time zones and midnight).
        self.latest_receipt = now.replace(tzinfo=None) + dt.timedelta(days=1)
        self.header = {column: header for column, (_, header) in columns.items()}
        # Cells are picked in Column order; an absent column points one past the last used one,
        # where `read` keeps an empty cell.
        self.width = max(index for index, _ in columns.values()) + 1
        self.pick = itemgetter(
            *(columns[column][0] if column in columns else self.width for column in Column)
        )
        self.seen_codes: dict[str, int] = {}
        self._shared = _ProcedureIndex(catalogue)
        # Issue 19: a commune whose overlay changes the procedures resolves them in its own.
        self._own: dict[str, _ProcedureIndex] = {}
        self._statuses: dict[str, Status | None] = {}
        self._returns: dict[str, ReturnMethod | None] = {}
        self._submissions: dict[str, SubmissionChannel | None] = {}
        self._dues: dict[tuple[int, dt.date, bool], dt.date | str] = {}
        self.moments: dict[str, dt.datetime | str] = {}
        # The validators this reader runs, in order: the commune's only with a province.
        first = _FIRST if self.communes.province is None else (*_FIRST, _COMMUNE)
        self.steps = (*first, *_PRINTABLE, *_REST)
        self.steps_printable = (*first, *_REST)  # no control character in PRINTABLE's cells

    def procedure(
        self, code_text: str, name_text: str, commune: Commune | None = None
    ) -> Procedure | None:
        index = self._shared
        if commune is not None and commune.overlay:
            index = self._own.get(commune.id) or self._own.setdefault(
                commune.id, _ProcedureIndex(commune.catalogue)
            )
        return index.procedure(code_text, name_text)

    def status(self, text: str) -> Status | None:
        if not text:
            return None
        if text not in self._statuses:
            self._statuses[text] = status_from_text(text)
        return self._statuses[text]

    def return_method(self, text: str) -> ReturnMethod | None:
        if text not in self._returns:
            self._returns[text] = return_method_from_text(text)
        return self._returns[text]

    def submission(self, text: str) -> SubmissionChannel | None:
        if text not in self._submissions:
            self._submissions[text] = submission_channel_from_text(text)
        return self._submissions[text]

    def due_date(self, procedure: Procedure, received_at: dt.datetime) -> dt.date | str:
        """The due date the software would have printed, from the procedure's processing time."""
        late = received_at.time() > self.calendar.cutoff
        # By the procedure object: a commune's overlay may give a procedure its own time.
        key = (id(procedure), received_at.date(), late)
        if key not in self._dues:
            self._dues[key] = self._compute_due(procedure, received_at)
        return self._dues[key]

    def _compute_due(self, procedure: Procedure, received_at: dt.datetime) -> dt.date | str:
        time = procedure.processing_time
        calendar = self.calendar
        try:
            match time.kind:
                case TimeKind.WORKING_DAYS:
                    return calendar.due_date(
                        received_at, time.working_days, cutoff_applies=time.cutoff_15h
                    )
                case TimeKind.ON_RECEIPT:
                    return calendar.due_date(
                        received_at, 0, on_receipt=True, cutoff_applies=time.cutoff_15h
                    )
                case TimeKind.CALENDAR_DAYS:
                    # A period in days: the first day is not counted (BLDS 2015 Điều 147), and when
                    # the last day is a weekend day or a holiday the period ends at the end of the
                    # next working day (Bộ luật Dân sự 2015 Điều 148 khoản 5).
                    last = received_at.date() + dt.timedelta(days=time.calendar_days)
                    return (
                        last if calendar.is_working_day(last) else calendar.next_working_day(last)
                    )
                case _:
                    return f"không tính được ngày hẹn trả cho thời hạn loại «{time.kind}»"
        except ValueError as exc:  # a year the working-day calendar does not cover
            return f"không tính được ngày hẹn trả: {exc}"

    def _error(self, number: int, column: Column, value: str, message: str) -> RowError:
        return RowError(number, self.header.get(column), quote(value), message)

    def _too_long(self, number: int, texts: Sequence[str]) -> list[RowError]:
        """Cells over the limit: the row's only errors (nothing else is read from it)."""
        limit = self.max_cell_chars
        return [
            self._error(
                number,
                column,
                text,
                f"ô dài {_n(len(text))} ký tự, quá giới hạn {_n(limit)}: «{quote(text)}»",
            )
            for column, text in zip(Column, texts, strict=True)
            if len(text) > limit
        ]

    def read(self, number: int, cells: Sequence[object]) -> ParsedRow | list[RowError] | None:
        # Absent columns point at index `width`, which must hold an empty cell: pad short rows,
        # cut rows whose extra columns put something there.
        width = self.width
        if len(cells) <= width:
            cells = [*cells, *([""] * (width + 1 - len(cells)))]
        elif cells[width] is not None and cells[width] != "":
            cells = [*cells[:width], ""]
        picked = self.pick(cells)
        # CSV cells are all text: strip them in one C-level pass (the hot path of big files).
        texts = tuple(map(str.strip, picked) if self.text_only else map(_cell_text, picked))
        if max(map(len, texts)) > self.max_cell_chars:
            return self._too_long(number, texts)
        if not texts[0] and _is_blank(cells):  # texts[0]: the code
            return None  # an empty row (spreadsheets keep a few below the data): nothing to say
        # Dates and phone numbers also look at the cell's type (Excel dates, numbers).
        row = _Row(self, number, texts, texts if self.text_only else picked)
        values = row.values
        errors: list[RowError] = []
        # The control characters of PRINTABLE's cells in one search (the stricter pattern; a
        # separator that is no control character): their validators run only when one is found.
        printable = not _CONTROL_IN_LINE.search(" ".join(_PRINTABLE_AT(texts)))
        steps = self.steps_printable if printable else self.steps
        for index, column, check, keep, optional in steps:  # each column's validator
            text = texts[index]
            if optional and not text:
                continue
            result = check(text, row)
            if result.__class__ is Invalid:
                assert isinstance(result, Invalid)
                shown = text if result.value is None else result.value
                column = result.column or column
                errors.append(
                    RowError(number, self.header.get(column), quote(shown), result.message)
                )
            elif keep:
                values[index] = result
        if errors:
            return errors
        (  # in Column order
            key,
            _,
            procedure,
            name,
            phone,
            received,
            due,
            status,
            note,
            return_method,
            reason,
            submission,
            resolved,
            address,
        ) = cast("list[Any]", values)
        dossier = Dossier(
            code=texts[0],
            code_key=key,
            procedure_id=procedure.id,
            applicant_name=name,
            phone=phone,
            received_at=received,
            due_date=due,
            status=status,
            return_method=return_method,
            note=note,
            submission_channel=submission,
            resolved_at=resolved,
            address=address,
            commune_id=row.commune.id if row.commune is not None else "",
        )
        due_given = bool(texts[_DUE])  # the export gave it (else it was computed)
        return ParsedRow(number, dossier, row_hash(dossier), reason, due_given)


def row_hash(dossier: Dossier) -> str:
    """sha256 over the normalized values (not the text as typed): re-exporting the same dossiers
    with other date formats, status wordings or phone spacing gives the same hashes, so the
    import records no change and notifies nobody."""
    fields: tuple[str, ...] = (
        dossier.code_key,
        dossier.procedure_id,
        dossier.applicant_name,
        dossier.phone or "",
        dossier.received_at.isoformat(),
        dossier.due_date.isoformat(),
        dossier.status,  # a StrEnum: its text is its value
        dossier.return_method or "",
        dossier.note or "",
    )
    # The report's columns (added later) join only when given, so that rows without them keep
    # the hashes they had: re-importing an old file after the upgrade changes nothing.
    if dossier.submission_channel is not None or dossier.resolved_at is not None:
        fields += (
            dossier.submission_channel or "",
            dossier.resolved_at.isoformat() if dossier.resolved_at else "",
        )
    if dossier.address is not None:  # likewise, joined only when given
        fields += (dossier.address,)
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def _is_blank(cells: Sequence[object]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in cells)


@dataclass(frozen=True)
class _Header:
    row_number: int  # 0 when the file has no non-blank row at all
    columns: dict[Column, tuple[int, str]]
    texts: list[str]  # the row's non-empty cells, for the error message

    @property
    def usable(self) -> bool:
        return self.row_number > 0 and not _missing_columns(self.columns)


def _find_header(rows: Iterable[tuple[int, Sequence[object]]]) -> _Header:
    """The header row: the first row with every required column (exports may put a title block
    above it), else the row that came closest, for the error message."""
    best = _Header(0, {}, [])
    for number, cells in rows:
        if _is_blank(cells):
            continue
        texts = [t for c in cells[:HEADER_SHOWN] if (t := _cell_text(c))]
        header = _Header(number, match_headers(cells), texts)
        if header.usable:
            return header
        if not best.row_number or len(header.columns) > len(best.columns):
            best = header
    return best


def _header_error(header: _Header) -> str:
    if not header.row_number:
        return "tệp không có dòng nào (tệp trống?)"
    found = ", ".join(f"«{quote(text)}»" for text in header.texts)
    missing = ", ".join(_missing_columns(header.columns))
    return f"thiếu cột bắt buộc: {missing}. Các cột tìm thấy (dòng {header.row_number}): {found}"


def _parse_rows(
    rows: Iterator[Sequence[object]],
    total: int | None,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    progress: Progress | None,
    *,
    text_only: bool,
    limits: ImportLimits,
    now: dt.datetime,
    communes: CommuneRule | None = None,
) -> ParsedExport:
    numbered = enumerate(_bounded(rows, limits), start=1)
    head: list[tuple[int, Sequence[object]]] = list(islice(numbered, HEADER_SCAN_ROWS))
    header = _find_header(head)
    if not header.usable:
        return ParsedExport([], [], [_header_error(header)])
    header_row = header.row_number
    reader = _RowReader(
        header.columns,
        catalogue,
        calendar,
        text_only=text_only,
        limits=limits,
        now=now,
        communes=communes,
    )
    good: list[ParsedRow] = []
    errors: list[RowError] = []
    more_errors = 0
    more_bad: set[int] = set()  # rows with errors past the kept ones (numbers only)
    total_rows = max((total or 0) - header_row, 0)
    done = 0
    remaining: Iterable[tuple[int, Sequence[object]]] = (
        item for item in head if item[0] > header_row
    )
    for source in (remaining, numbered):
        for number, cells in source:
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, max(total_rows, done))
            result = reader.read(number, cells)
            if isinstance(result, ParsedRow):
                good.append(result)
            elif result:
                room = limits.kept_errors - len(errors)
                errors.extend(result[:room] if room > 0 else ())
                if len(result) > room:
                    more_errors += len(result) - max(room, 0)
                    if room <= 0:
                        more_bad.add(number)
    if progress is not None:
        progress(done, done)
    if not good and not errors:
        return ParsedExport([], [], ["tệp chỉ có dòng tiêu đề, không có hồ sơ nào"])
    return ParsedExport(good, errors, [], more_errors, len(more_bad))


def _bounded(rows: Iterator[Sequence[object]], limits: ImportLimits) -> Iterator[Sequence[object]]:
    """The rows, refused (a file problem) past the row or column limit, counted as they come."""
    for count, cells in enumerate(rows, start=1):
        if count > limits.max_rows + HEADER_SCAN_ROWS:  # a title block and the header may precede
            raise _FileProblem(
                f"tệp có hơn {_n(limits.max_rows)} dòng (giới hạn MOTCUA_IMPORT_MAX_ROWS);"
                " chia tệp thành nhiều phần rồi nhập lần lượt"
            )
        if len(cells) > limits.max_columns and any(
            value not in (None, "") for value in cells[limits.max_columns :]
        ):
            raise _FileProblem(
                f"dòng {count} có hơn {limits.max_columns} cột (giới hạn"
                " MOTCUA_IMPORT_MAX_COLUMNS): tệp không giống danh sách hồ sơ xuất từ phần mềm"
                " một cửa"
            )
        yield cells


# --- Files ---------------------------------------------------------------------------------------


class _FileProblem(Exception):
    """The file cannot be read; the message is for the officer."""


def _csv_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _sniff_delimiter(sample: str) -> str:
    """The delimiter under which the header is recognised best, then the one splitting the first
    rows most consistently (names like "nhận cha, mẹ, con" put commas in a `;` file)."""

    def score(delimiter: str) -> tuple[int, int, int]:
        records = list(islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 20))
        best = max((len(match_headers(r)) for r in records), default=0)
        widths = Counter(len(r) for r in records if r and not _is_blank(r))
        width, count = widths.most_common(1)[0] if widths else (0, 0)
        return best, count if width > 1 else 0, width

    return max(_DELIMITERS, key=score)


_NOT_UTF8 = (
    "tệp CSV không phải văn bản UTF-8 (có thể đã lưu theo bảng mã Windows); "
    "trong Excel hãy lưu lại bằng «CSV UTF-8 (Comma delimited)»"
)


def _csv_rows(path: Path, head: bytes) -> tuple[Iterator[list[str]], int]:
    encoding = _csv_encoding(head)
    try:
        with path.open(encoding=encoding, newline="") as handle:
            sample = handle.read(64 * 1024)
    except UnicodeDecodeError as exc:
        raise _FileProblem(_NOT_UTF8) from exc
    delimiter = _sniff_delimiter(sample)
    lines = 0
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            lines += chunk.count(b"\n")

    def rows() -> Iterator[list[str]]:
        with path.open(encoding=encoding, newline="") as handle:
            try:
                yield from csv.reader(handle, delimiter=delimiter)
            except UnicodeDecodeError as exc:
                raise _FileProblem(_NOT_UTF8) from exc
            except csv.Error as exc:
                raise _FileProblem(f"tệp CSV bị lỗi định dạng: {exc}") from exc

    return rows(), lines + 1


def _check_unpacked(path: Path, limits: ImportLimits) -> None:
    """The sizes the zip directory declares, before anything is unpacked (zipfile stops reading
    a part at its declared size, so a part cannot unpack to more than this says)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _FileProblem(
            f"không đọc được tệp Excel «{path.name}» (tệp hỏng, có mật khẩu hoặc không phải .xlsx)"
        ) from exc
    unpacked = sum(part.file_size for part in parts)
    shared = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    if unpacked > limits.max_unpacked_bytes or shared > limits.max_shared_strings_bytes:
        packed = f"{path.stat().st_size / 2**20:.1f}".replace(".", ",")
        raise _FileProblem(
            f"tệp Excel «{path.name}» nén {packed} MB nhưng giải nén ra"
            f" {_n(round(unpacked / 2**20))} MB, quá giới hạn"
            f" {_n(round(limits.max_unpacked_bytes / 2**20))} MB"
            " (MOTCUA_IMPORT_MAX_UNPACKED_BYTES): bot không mở tệp này. Xuất lại danh sách từ"
            " phần mềm một cửa, hoặc chia thành nhiều tệp."
        )


def _xlsx_rows(
    path: Path, limits: ImportLimits
) -> tuple[Iterator[Sequence[object]], int | None, Callable[[], None]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_unpacked(path, limits)
    # A file object rather than the path: openpyxl refuses a path whose extension is not .xlsx,
    # and an officer may have renamed the export.
    handle = path.open("rb")
    try:
        with warnings.catch_warnings():
            # Exports from some software lack a default style; openpyxl warns and reads them fine.
            warnings.simplefilter("ignore", UserWarning)
            book = load_workbook(handle, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        handle.close()
        log.info("cannot open %s as XLSX: %r", path, exc)
        raise _FileProblem(
            f"không đọc được tệp Excel «{path.name}» (tệp hỏng, có mật khẩu hoặc không phải .xlsx)"
        ) from exc

    def close() -> None:
        book.close()
        handle.close()

    if not book.worksheets:
        close()
        raise _FileProblem(f"tệp Excel «{path.name}» không có trang tính nào")
    sheet = book.worksheets[0]
    # One column past the limit is read (to notice a wider file); a sheet claiming 16,384
    # columns does not make every row a 16,384-cell tuple.
    rows = sheet.iter_rows(values_only=True, max_col=limits.max_columns + 1)
    return rows, sheet.max_row, close


def parse_export(
    path: Path,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    *,
    progress: Progress | None = None,
    limits: ImportLimits | None = None,
    now: dt.datetime | None = None,
    communes: CommuneRule | None = None,
) -> ParsedExport:
    """Read and validate an export of the one-stop software (CSV or the first sheet of an XLSX).

    `progress(done, total)` is called every PROGRESS_EVERY rows (`total` is an estimate: the
    number of lines, or the sheet's size) and once at the end with `done == total`. `now`: the
    services' clock (a receipt may not be dated later than the next day); the system's by default.
    `communes`: the province whose communes the rows belong to (issue 19, `CommuneRule`).
    """
    limits = limits or ImportLimits()
    now = now or dt.datetime.now()
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        reason = "không tìm thấy tệp" if isinstance(exc, FileNotFoundError) else "không mở được"
        return ParsedExport([], [], [f"{reason} «{path}»"])
    suffix = path.suffix.lower()
    close: Callable[[], None] = lambda: None  # noqa: E731
    # A big file makes hundreds of thousands of small objects that stay alive (the dossiers), and
    # each makes the cyclic garbage collector rescan them all: a quarter of the time. None of them
    # forms a reference cycle, so reference counting alone frees what is dropped; pause the
    # collector while parsing (it runs again as soon as we return).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if not head:
            raise _FileProblem(f"tệp «{path.name}» trống")
        text_only = False
        if suffix in (".xlsx", ".xlsm") or head.startswith(b"PK\x03\x04"):  # a zip: XLSX
            rows, total, close = _xlsx_rows(path, limits)
        elif suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
            raise _FileProblem(
                f"tệp «{path.name}» là Excel cũ (.xls) hoặc trang web đổi tên; mở bằng Excel và "
                "lưu lại thành .xlsx hoặc «CSV UTF-8»"
            )
        elif suffix in _CSV_SUFFIXES:
            rows, total = _csv_rows(path, head)
            text_only = True
        else:
            raise _FileProblem(
                f"không đọc được tệp «{path.name}»: chỉ nhận tệp CSV (.csv) hoặc Excel (.xlsx)"
            )
        return _parse_rows(
            iter(rows),
            total,
            catalogue,
            calendar,
            progress,
            text_only=text_only,
            limits=limits,
            now=now,
            communes=communes,
        )
    except _FileProblem as problem:
        return ParsedExport([], [], [str(problem)])
    finally:
        close()
        if collecting:
            gc.enable()
