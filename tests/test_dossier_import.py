"""Importing the one-stop software's export (core.dossier_import, `motcua import-dossiers`).

Expected due dates are worked out by hand from the calendar (see tests/test_workdays.py for the
days off), never by calling the code under test. Weekdays used below:
    Jan 2026: Mon 5, Thu 8, Fri 9, Sat 10, Mon 12, Tue 13, Wed 14, Thu 15, Fri 16
    Feb 2026: Wed 4, Thu 5, Thu 12, Fri 13, Sat 14 … Sun 22 all days off (weekend + Tết Mon 16 –
              Fri 20), Mon 23, Tue 24 · Mar 2026: Sat 7, Mon 9
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import gc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot import cli
from bot.app import running_services
from bot.settings import Settings
from core.catalogue import Catalogue
from core.clock import VIETNAM
from core.dossier_import import (
    COLUMNS,
    Column,
    ParsedExport,
    RowError,
    _code_key,
    parse_export,
)
from core.dossiers import (
    STATUS_INFO,
    Dossier,
    EventKind,
    ReturnMethod,
    Status,
    return_method_from_text,
)
from core.receipt_codes import code_key
from core.workdays import WorkingCalendar
from handlers.context import Knowledge
from storage.base import ChatRef, OutboxStatus, Storage
from tests.conftest import DATA, make_settings

D = dt.date
T = dt.datetime
KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
HEADER = ["Mã hồ sơ", "Thủ tục", "Người nộp", "Số điện thoại", "Ngày tiếp nhận", "Ngày hẹn trả",
          "Trạng thái", "Hình thức trả kết quả", "Ghi chú"]  # fmt: skip


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture
def catalogue(knowledge: Knowledge) -> Catalogue:
    return knowledge.catalogue


def row(**values: str) -> dict[str, str]:
    """One export row in HEADER's columns; defaults make a valid row."""
    base = {
        "Mã hồ sơ": "H57.132-260105-0001",
        "Thủ tục": "Đăng ký khai sinh",
        "Người nộp": "Nguyễn Văn An",
        "Số điện thoại": "0912 345 678",
        "Ngày tiếp nhận": "05/01/2026 09:30",
        "Ngày hẹn trả": "",
        "Trạng thái": "Đang giải quyết",
        "Hình thức trả kết quả": "",
        "Ghi chú": "",
    }
    base.update(values)
    return base


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    header: list[str] | None = None,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    columns = header or list(rows[0])
    with path.open("w", encoding=encoding, newline="") as handle:
        out = csv.writer(handle, delimiter=delimiter)
        out.writerow(columns)
        for item in rows:
            out.writerow([item.get(column, "") for column in columns])
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for values in rows:
        sheet.append(values)
    book.save(path)
    return path


def parse_rows(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar, *rows: dict[str, str]
) -> ParsedExport:
    return parse_export(write_csv(tmp_path / "export.csv", list(rows)), catalogue, calendar)


def only_dossier(parsed: ParsedExport) -> Dossier:
    assert not parsed.file_errors and not parsed.errors, parsed.file_errors + parsed.errors
    assert len(parsed.rows) == 1
    return parsed.rows[0].dossier


def described(errors: list[RowError]) -> list[tuple[int, str | None]]:
    return [(error.row_number, error.column) for error in errors]


# --- Reading files -------------------------------------------------------------------------------


def test_good_file(catalogue: Catalogue, calendar: WorkingCalendar) -> None:
    parsed = parse_export(DATA / "dossiers_good.csv", catalogue, calendar)
    assert parsed.ok
    assert gc.isenabled()  # paused while parsing, running again after
    by_row = {r.row_number: r.dossier for r in parsed.rows}
    assert list(by_row) == [2, 3, 4, 5, 6, 7]
    birth = by_row[2]
    assert birth.code == "H57.132-260105-0001"
    assert birth.code_key == "H571322601050001"
    assert birth.procedure_id == "dang-ky-khai-sinh"
    assert birth.phone == "0912345678"
    assert birth.received_at == T(2026, 1, 5, 8, 15)
    assert birth.due_date == D(2026, 1, 5)
    assert birth.status is Status.RETURNED
    assert birth.return_method is ReturnMethod.DESK
    assert birth.note is None
    assert by_row[3].procedure_id == "xac-nhan-tinh-trang-hon-nhan"  # our id
    assert by_row[3].phone == "0987654321"  # +84 987 654 321
    assert by_row[3].status is Status.PROCESSING  # "Đang xử lý"
    assert by_row[4].procedure_id == "dang-ky-nhan-cha-me-con"  # the name, commas and all
    assert by_row[5].procedure_id == "chung-thuc-ban-sao"  # 2.000815 with the agency's suffix
    assert by_row[5].phone is None
    assert by_row[6].received_at == T(2026, 1, 16, 0, 0)  # date only: time unknown
    last = by_row[7]
    assert last.code == "h57.132 260119 0006"  # kept as typed…
    assert last.code_key == "H571322601190006"  # …compared by letters and digits
    assert last.applicant_name == "Vũ Thị Giang"
    assert last.received_at == T(2026, 1, 19, 14, 0, 30)
    assert last.due_date == D(2026, 1, 28)  # given in the file: kept
    assert last.note == "Đã ký, chờ trả"


def test_semicolon_file_with_bom_and_a_title_above_the_header(
    catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    """Headers without accents, in another order and case, extra columns ("Don vi", "Ma TTHC cu"),
    a title and a blank row above them; row numbers stay those of the spreadsheet."""
    parsed = parse_export(DATA / "dossiers_semicolon_bom.csv", catalogue, calendar)
    assert parsed.ok, parsed.errors
    by_row = {r.row_number: r.dossier for r in parsed.rows}
    assert list(by_row) == [4, 5, 6]
    assert by_row[4].code == "000.00.19.H47-260105-0001"  # no BOM left in the first cell
    assert by_row[4].procedure_id == "dang-ky-lai-khai-sinh"
    assert by_row[4].note == "Đã gọi, hẹn thứ Hai"  # the comma did not split the cell
    assert by_row[5].status is Status.RETURNED  # "da tra ket qua"
    assert by_row[5].procedure_id == "dang-ky-khai-sinh"  # 1.001193
    assert by_row[6].status is Status.SUPPLEMENT  # "CHỜ BỔ SUNG HỒ SƠ"
    assert by_row[6].procedure_id == "dang-ky-khai-tu"  # a name in the code column


def test_utf16_tab_separated(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    """Excel's "Unicode Text" export: UTF-16 with BOM, tab-separated."""
    path = write_csv(tmp_path / "export.txt", [row()], encoding="utf-16", delimiter="\t")
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert only_dossier(parse_export(path, catalogue, calendar)).applicant_name == "Nguyễn Văn An"


def test_utf8_with_bom(tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar) -> None:
    path = write_csv(tmp_path / "export.csv", [row()], encoding="utf-8-sig", delimiter=";")
    assert only_dossier(parse_export(path, catalogue, calendar)).code == "H57.132-260105-0001"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("export.pdf", b"%PDF-1.4", "chỉ nhận tệp CSV (.csv) hoặc Excel (.xlsx)"),
        ("export.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel cũ (.xls)"),
        ("export.csv", b"", "trống"),
        ("export.xlsx", b"PK\x03\x04 not really a workbook", "không đọc được tệp Excel"),
        ("export.csv", b"M\xe3 h\xf4 s\xf4,Ng\xfd\xf4i n\xf4p\n", "không phải văn bản UTF-8"),
        ("export.csv", ",".join(HEADER).encode() + b"\n", "không có hồ sơ nào"),
    ],
)
def test_unreadable_files_give_one_clear_error(
    tmp_path: Path,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    parsed = parse_export(path, catalogue, calendar)
    assert len(parsed.file_errors) == 1 and expected in parsed.file_errors[0], parsed.file_errors
    assert parsed.rows == [] and parsed.errors == []


def test_missing_file(tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar) -> None:
    parsed = parse_export(tmp_path / "khong-co.csv", catalogue, calendar)
    assert parsed.file_errors == [f"không tìm thấy tệp «{tmp_path / 'khong-co.csv'}»"]


# --- Headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spellings", "reverse", "extra"),
    [
        (HEADER, False, {}),
        ([h.upper() for h in HEADER], False, {}),  # case
        (["Ma ho so", "Thu tuc", "Nguoi nop", "So dien thoai", "Ngay tiep nhan", "Ngay hen tra",
          "Trang thai", "Hinh thuc tra ket qua", "Ghi chu"], False, {}),  # no accents
        ([" Mã  hồ sơ ", "THỦ_TỤC", "người nộp", "Số điện thoại", "NgàyTiếpNhận", "Ngày hẹn trả",
          "Trạng thái (*)", "Hình thức trả kết quả", "Ghi chú"], False, {}),  # spaces, marks
        (HEADER, True, {}),  # order
        (HEADER, False, {"STT": "1", "Địa chỉ": "Thôn 3", "Cán bộ tiếp nhận": "Lê Thị Hạnh"}),
    ],
)  # fmt: skip
def test_header_tolerance(
    tmp_path: Path,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    spellings: list[str],
    reverse: bool,
    extra: dict[str, str],
) -> None:
    values = row(**{"Ngày hẹn trả": "06/01/2026", "Hình thức trả kết quả": "Bưu chính"})
    renamed = {**extra, **dict(zip(spellings, values.values(), strict=True))}
    header = list(reversed(renamed)) if reverse else list(renamed)
    path = write_csv(tmp_path / "e.csv", [renamed], header)
    dossier = only_dossier(parse_export(path, catalogue, calendar))
    assert dossier.procedure_id == "dang-ky-khai-sinh"
    assert dossier.applicant_name == "Nguyễn Văn An"
    assert dossier.received_at == T(2026, 1, 5, 9, 30)
    assert dossier.due_date == D(2026, 1, 6)
    assert dossier.status is Status.PROCESSING
    assert dossier.return_method is ReturnMethod.POSTAL


@pytest.mark.parametrize(
    ("column", "spelling"),
    [(column, spelling) for column, spec in COLUMNS.items() for spelling in spec.headers[1:]],
)
def test_every_accepted_spelling(
    tmp_path: Path,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    column: Column,
    spelling: str,
) -> None:
    values = row(**{"Ngày hẹn trả": "06/01/2026", "Hình thức trả kết quả": "Trực tuyến",
                    "Ghi chú": "ghi"})  # fmt: skip
    header = [spelling if _column_of(h) is column else h for h in HEADER]
    if column is Column.PROCEDURE_CODE:
        header[1] = spelling  # the code column instead of the name column
        values["Thủ tục"] = "1.001193"
    renamed = dict(zip(header, values.values(), strict=True))
    dossier = only_dossier(
        parse_export(write_csv(tmp_path / "e.csv", [renamed]), catalogue, calendar)
    )
    assert (dossier.code_key, dossier.procedure_id, dossier.applicant_name, dossier.phone) == (
        "H571322601050001", "dang-ky-khai-sinh", "Nguyễn Văn An", "0912345678")  # fmt: skip
    assert (dossier.received_at, dossier.due_date) == (T(2026, 1, 5, 9, 30), D(2026, 1, 6))
    assert (dossier.status, dossier.return_method, dossier.note) == (
        Status.PROCESSING, ReturnMethod.ONLINE, "ghi")  # fmt: skip


def _column_of(header: str) -> Column:
    return next(column for column, spec in COLUMNS.items() if spec.headers[0] == header)


def test_missing_required_columns_are_named_with_the_columns_found(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    header = ["STT", "Mã hồ sơ", "Người nộp", "Ngày nhận", "Ghi chú"]
    path = write_csv(tmp_path / "e.csv", [dict.fromkeys(header, "1")], header)
    parsed = parse_export(path, catalogue, calendar)
    assert parsed.rows == [] and parsed.errors == []
    assert parsed.file_errors == [
        "thiếu cột bắt buộc: «Thủ tục» (hoặc «Mã thủ tục»), «Trạng thái». "
        "Các cột tìm thấy (dòng 1): «STT», «Mã hồ sơ», «Người nộp», «Ngày nhận», «Ghi chú»"
    ]


# --- Values --------------------------------------------------------------------------------------


def test_errors_file_reports_every_error_with_row_and_column(
    catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    parsed = parse_export(DATA / "dossiers_errors.csv", catalogue, calendar)
    assert not parsed.file_errors
    assert [r.row_number for r in parsed.rows] == [2, 10]
    assert described(parsed.errors) == [
        (3, "Ngày tiếp nhận"),
        (4, "Trạng thái"),
        (5, "Số điện thoại"),
        (6, "Thủ tục"),
        (7, "Ngày hẹn trả"),
        (8, "Mã hồ sơ"),
        (9, "Người nộp"),  # three problems in one row, all reported
        (9, "Ngày tiếp nhận"),
        (9, "Hình thức trả kết quả"),
        (11, "Mã hồ sơ"),
    ]
    text = [str(error) for error in parsed.errors]
    assert text[0] == "dòng 3, cột «Ngày tiếp nhận»: «31/02/2026» không phải ngày có thật"
    assert text[2] == (
        "dòng 5, cột «Số điện thoại»: «091234» không phải số điện thoại: cần 10 chữ số, "
        "bắt đầu bằng 0"
    )
    assert text[3] == "dòng 6, cột «Thủ tục»: thủ tục «Cấp sổ đỏ» không có trong danh mục"
    assert text[4] == "dòng 7, cột «Ngày hẹn trả»: «09/01/2026» trước ngày tiếp nhận 10/01/2026"
    assert text[5] == "dòng 8, cột «Mã hồ sơ»: «h57.132-260105-0001» trùng mã với dòng 2"
    assert text[6] == "dòng 9, cột «Người nộp»: không được để trống"
    assert text[7].startswith("dòng 9, cột «Ngày tiếp nhận»: «hôm qua» không phải ngày")
    assert text[9] == "dòng 11, cột «Mã hồ sơ»: không được để trống"
    assert parsed.bad_rows == [3, 4, 5, 6, 7, 8, 9, 11]
    assert parsed.errors[0].value == "31/02/2026"


def test_unknown_status_lists_the_accepted_labels(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    parsed = parse_rows(tmp_path, catalogue, calendar, row(**{"Trạng thái": "Xong rồi"}))
    [error] = parsed.errors
    assert error.message.startswith("«Xong rồi» không phải trạng thái đã biết; ghi một trong: ")
    for info in STATUS_INFO.values():
        assert info.label in error.message


def test_unknown_return_method_lists_wordings_that_are_accepted(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    parsed = parse_rows(tmp_path, catalogue, calendar, row(**{"Hình thức trả kết quả": "Gửi xe"}))
    [error] = parsed.errors
    listed = error.message.split("ghi một trong: ")[1]
    for wording in ("tại quầy", "trực tiếp", "bưu chính", "bưu điện", "trực tuyến"):
        assert wording in listed
        assert return_method_from_text(wording) is not None


def test_duplicate_code_names_the_first_row(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    parsed = parse_rows(
        tmp_path,
        catalogue,
        calendar,
        row(),
        row(**{"Mã hồ sơ": "H57.132-260105-0002"}),
        row(**{"Mã hồ sơ": "h57 132 260105 0001", "Người nộp": "Trần Thị Bình"}),
        row(**{"Mã hồ sơ": "H57.132–260105–0002"}),  # en dashes
    )
    assert [str(e) for e in parsed.errors] == [
        "dòng 4, cột «Mã hồ sơ»: «h57 132 260105 0001» trùng mã với dòng 2",
        "dòng 5, cột «Mã hồ sơ»: «H57.132–260105–0002» trùng mã với dòng 3",
    ]
    assert [r.row_number for r in parsed.rows] == [2, 3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/01/2026", T(2026, 1, 5)),
        ("5/1/2026", T(2026, 1, 5)),
        ("05-01-2026", T(2026, 1, 5)),
        ("05.01.2026", T(2026, 1, 5)),
        ("2026-01-05", T(2026, 1, 5)),
        ("05/01/2026 09:30", T(2026, 1, 5, 9, 30)),
        ("5/1/2026 9:30:15", T(2026, 1, 5, 9, 30, 15)),
        ("2026-01-05 09:30:15", T(2026, 1, 5, 9, 30, 15)),
        ("2026-01-05T09:30", T(2026, 1, 5, 9, 30)),
        ("46027", T(2026, 1, 5)),  # an Excel serial saved as text
        ("46027.5", T(2026, 1, 5, 12, 0)),
    ],
)
def test_date_formats(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar, text: str, expected: T
) -> None:
    dossier = only_dossier(
        parse_rows(tmp_path, catalogue, calendar, row(**{"Ngày tiếp nhận": text}))
    )
    assert dossier.received_at == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2026", "«31/02/2026» không phải ngày có thật"),
        ("29/02/2026", "«29/02/2026» không phải ngày có thật"),  # 2026 is not a leap year
        ("05/13/2026", "«05/13/2026» không phải ngày có thật"),  # month 13: not mm/dd
        ("05/01/2026 25:00", "«05/01/2026 25:00» không phải giờ có thật"),
        ("05/01/26", "«05/01/26» không phải ngày; hãy viết ngày/tháng/năm"),
        ("hôm qua", "«hôm qua» không phải ngày; hãy viết ngày/tháng/năm"),
        ("05/01/1926", "«05/01/1926»: năm 1926 không hợp lý cho một hồ sơ (cần từ 2000 đến 2099)"),
    ],
)
def test_bad_dates(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar, text: str, message: str
) -> None:
    parsed = parse_rows(tmp_path, catalogue, calendar, row(**{"Ngày tiếp nhận": text}))
    [error] = parsed.errors
    assert (error.row_number, error.column, error.value) == (2, "Ngày tiếp nhận", text)
    assert error.message.startswith(message)


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("0912 345 678", "0912345678"), ("+84 912 345 678", "0912345678"),
     ("0912.345.678", "0912345678"), ("", None), ("-", None)],
)  # fmt: skip
def test_phones(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar, phone: str, expected: str
) -> None:
    dossier = only_dossier(
        parse_rows(tmp_path, catalogue, calendar, row(**{"Số điện thoại": phone}))
    )
    assert dossier.phone == expected


@pytest.mark.parametrize("phone", ["091234", "1912345678", "09123456789", "không có"])
def test_bad_phones(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar, phone: str
) -> None:
    parsed = parse_rows(tmp_path, catalogue, calendar, row(**{"Số điện thoại": phone}))
    [error] = parsed.errors
    assert error.column == "Số điện thoại"
    assert error.message == f"«{phone}» không phải số điện thoại: cần 10 chữ số, bắt đầu bằng 0"


@pytest.mark.parametrize(
    "written",
    ["dang-ky-khai-sinh", "DANG-KY-KHAI-SINH", "1.001193", "1.001193.000.00.00.H47",
     "1.001193-H47", "Đăng ký khai sinh", "dang ky khai sinh", "ĐĂNG KÝ KHAI SINH"],
)  # fmt: skip
def test_procedure_by_id_national_code_or_name(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar, written: str
) -> None:
    dossier = only_dossier(parse_rows(tmp_path, catalogue, calendar, row(**{"Thủ tục": written})))
    assert dossier.procedure_id == "dang-ky-khai-sinh"


def test_procedure_code_column_first_then_name(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    header = [*HEADER, "Mã thủ tục"]
    rows = [
        row(**{"Mã thủ tục": "1.004873", "Thủ tục": "Tên khác trong phần mềm"}),
        row(**{"Mã hồ sơ": "X-2", "Mã thủ tục": "9.999999", "Thủ tục": "Đăng ký khai tử"}),
        row(**{"Mã hồ sơ": "X-3", "Mã thủ tục": "9.999999", "Thủ tục": "Không có"}),
        row(**{"Mã hồ sơ": "X-4", "Mã thủ tục": "", "Thủ tục": ""}),
    ]
    parsed = parse_export(write_csv(tmp_path / "e.csv", rows, header), catalogue, calendar)
    assert [r.dossier.procedure_id for r in parsed.rows] == [
        "xac-nhan-tinh-trang-hon-nhan",
        "dang-ky-khai-tu",
    ]
    assert [str(e) for e in parsed.errors] == [
        "dòng 4, cột «Mã thủ tục»: thủ tục «9.999999» không có trong danh mục",
        "dòng 5, cột «Thủ tục»: không được để trống (ghi tên thủ tục hoặc mã thủ tục)",
    ]


# --- Due dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("procedure", "received", "expected"),
    [
        # ngay-lam-viec, 3 days, no 15:00 rule: Thu 8/1 → Fri 9, Mon 12, Tue 13 (weekend skipped).
        ("xac-nhan-tinh-trang-hon-nhan", "08/01/2026 10:00", D(2026, 1, 13)),
        # Across Tết 2026 (days off Sat 14/2 – Sun 22/2): Thu 12/2 → Fri 13, Mon 23, Tue 24.
        ("xac-nhan-tinh-trang-hon-nhan", "12/02/2026 09:00", D(2026, 2, 24)),
        # No 15:00 rule for this procedure: received Fri 9/1 15:30 still counts from Fri 9/1.
        ("xac-nhan-tinh-trang-hon-nhan", "09/01/2026 15:30", D(2026, 1, 14)),
        # ngay-khi-nhan with the 15:00 rule: the same day until 15:00:00 …
        ("dang-ky-khai-sinh", "13/02/2026 14:59", D(2026, 2, 13)),
        ("dang-ky-khai-sinh", "13/02/2026 15:00", D(2026, 2, 13)),
        ("dang-ky-khai-sinh", "13/02/2026", D(2026, 2, 13)),  # no hour: 00:00, before 15:00
        # … and from 15:00:01 the next working day, here after the whole Tết break.
        ("dang-ky-khai-sinh", "13/02/2026 15:01", D(2026, 2, 23)),
        # Filed online on Saturday 10/1: the next working day, Mon 12/1.
        ("dang-ky-khai-sinh", "10/01/2026 09:00", D(2026, 1, 12)),
        # ngay (calendar days), 30 days: Mon 5/1 + 30 = Wed 4/2, a working day.
        ("hoa-giai-tranh-chap-dat-dai", "05/01/2026", D(2026, 2, 4)),
    ],
)
def test_due_date_computed_when_missing(
    tmp_path: Path,
    catalogue: Catalogue,
    calendar: WorkingCalendar,
    procedure: str,
    received: str,
    expected: D,
) -> None:
    parsed = parse_rows(
        tmp_path, catalogue, calendar, row(**{"Thủ tục": procedure, "Ngày tiếp nhận": received})
    )
    assert only_dossier(parsed).due_date == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("05/02/2026", D(2026, 3, 9)),  # Thu 5/2 + 30 days = Sat 7/3 → Mon 9/3
        ("16/01/2026 08:45", D(2026, 2, 23)),  # Fri 16/1 + 30 = Sun 15/2, in Tết → Mon 23/2
    ],
)
def test_calendar_days_ending_on_a_day_off_end_on_the_next_working_day(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar, received: str, expected: D
) -> None:
    """Bộ luật Dân sự 2015 Điều 148 khoản 5: "Khi ngày cuối cùng của thời hạn là ngày nghỉ cuối
    tuần hoặc ngày nghỉ lễ thì thời hạn kết thúc tại thời điểm kết thúc ngày làm việc tiếp theo
    ngày nghỉ đó." Hòa giải tranh chấp đất đai: 30 days (kind: ngay)."""
    values = row(**{"Thủ tục": "hoa-giai-tranh-chap-dat-dai", "Ngày tiếp nhận": received})
    assert only_dossier(parse_rows(tmp_path, catalogue, calendar, values)).due_date == expected


def test_fifteen_hour_rule_for_working_days(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    """A working-days procedure with cutoff_15h (Luật Hộ tịch Điều 5 k.3): received Fri 9/1 at
    15:01 counts from Mon 12/1, so 3 working days end Thu 15/1; at 15:00 it counts from Fri 9/1
    and ends Wed 14/1."""
    original = catalogue.get("xac-nhan-tinh-trang-hon-nhan")
    assert original is not None and not original.processing_time.cutoff_15h
    time = original.processing_time.model_copy(update={"cutoff_15h": True})
    variant = original.model_copy(update={"processing_time": time})
    with_cutoff = Catalogue(
        [variant if p.id == original.id else p for p in catalogue], catalogue.commune
    )
    parsed = parse_rows(
        tmp_path,
        with_cutoff,
        calendar,
        row(**{"Thủ tục": original.id, "Ngày tiếp nhận": "09/01/2026 15:00"}),
        row(**{"Mã hồ sơ": "X-2", "Thủ tục": original.id, "Ngày tiếp nhận": "09/01/2026 15:01"}),
    )
    assert [r.dossier.due_date for r in parsed.rows] == [D(2026, 1, 14), D(2026, 1, 15)]


def test_given_due_date_is_kept_and_may_not_precede_receipt(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    parsed = parse_rows(
        tmp_path,
        catalogue,
        calendar,
        row(**{"Ngày hẹn trả": "20/01/2026 17:00"}),  # later than computed: the software knows
        row(**{"Mã hồ sơ": "X-2", "Ngày hẹn trả": "05/01/2026"}),  # same day: fine
        row(**{"Mã hồ sơ": "X-3", "Ngày hẹn trả": "04/01/2026"}),
    )
    assert [r.dossier.due_date for r in parsed.rows] == [D(2026, 1, 20), D(2026, 1, 5)]
    assert [str(e) for e in parsed.errors] == [
        "dòng 4, cột «Ngày hẹn trả»: «04/01/2026» trước ngày tiếp nhận 05/01/2026"
    ]


# --- XLSX ----------------------------------------------------------------------------------------


def test_xlsx_with_date_cells_serials_and_a_title(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    header = ["Mã hồ sơ", "Mã thủ tục", "Người nộp", "Số điện thoại", "Ngày tiếp nhận",
              "Ngày hẹn trả", "Trạng thái"]  # fmt: skip
    path = write_xlsx(
        tmp_path / "export.xlsx",
        [
            ["DANH SÁCH HỒ SƠ"],
            [],
            header,
            ["A-1", "1.004873", "Nguyễn Văn An", 912345678,  # a number cell: the 0 is lost
             T(2026, 1, 8, 10, 0), D(2026, 1, 13), "Đang giải quyết"],
            ["A-2", "dang-ky-khai-sinh", "Trần Thị Bình", "0987654321",
             46027.5, 46027, "Đã trả kết quả"],  # Excel serials: 05/01/2026 12:00 and 05/01/2026
            ["A-3", "dang-ky-khai-sinh", "Lê Văn Cường", None, D(2026, 2, 13), None, "Mới"],
            ["A-4", "dang-ky-khai-sinh", "Phạm Thị Dung", None, "31/02/2026", None, "Mới"],
            [],
            [None, None, None],
        ],
    )  # fmt: skip
    parsed = parse_export(path, catalogue, calendar)
    assert not parsed.file_errors
    first, second, third = (r.dossier for r in parsed.rows)
    assert [r.row_number for r in parsed.rows] == [4, 5, 6]
    assert (first.received_at, first.due_date, first.phone) == (
        T(2026, 1, 8, 10, 0), D(2026, 1, 13), "0912345678")  # fmt: skip
    assert (second.received_at, second.due_date) == (T(2026, 1, 5, 12, 0), D(2026, 1, 5))
    assert (third.received_at, third.due_date, third.phone) == (
        T(2026, 2, 13),
        D(2026, 2, 13),
        None,
    )
    assert [str(e) for e in parsed.errors] == [
        "dòng 7, cột «Ngày tiếp nhận»: «31/02/2026» không phải ngày có thật"
    ]


def test_same_data_same_hash_whatever_the_format(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    csv_row = row(**{"Số điện thoại": "+84 912 345 678", "Ngày tiếp nhận": "5/1/2026 9:30",
                     "Trạng thái": "đang xử lý", "Người nộp": " Nguyễn  Văn An "})  # fmt: skip
    from_csv = parse_rows(tmp_path, catalogue, calendar, csv_row).rows[0]
    path = write_xlsx(
        tmp_path / "export.xlsx",
        [HEADER, ["h57 132 260105 0001", "1.001193", "Nguyễn Văn An", 912345678,
                  T(2026, 1, 5, 9, 30), None, "Đang giải quyết"]],
    )  # fmt: skip
    from_xlsx = parse_export(path, catalogue, calendar).rows[0]
    assert from_csv.row_hash == from_xlsx.row_hash
    changed = parse_rows(tmp_path, catalogue, calendar, row(**{"Trạng thái": "Đã có kết quả"}))
    assert changed.rows[0].row_hash != from_csv.row_hash


# --- Progress, the shipped sample, internals ------------------------------------------------------


def test_progress_every_thousand_rows(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    rows = [row(**{"Mã hồ sơ": f"H57.132-260105-{n:04d}"}) for n in range(2500)]
    calls: list[tuple[int, int]] = []
    path = write_csv(tmp_path / "big.csv", rows)
    parsed = parse_export(path, catalogue, calendar, progress=lambda *a: calls.append(a))
    assert len(parsed.rows) == 2500
    assert [done for done, _ in calls] == [1000, 2000, 2500]
    assert all(total >= 2500 for _, total in calls)
    assert calls[-1] == (2500, 2500)


def test_shipped_sample_is_valid_and_uses_every_status(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    sample = KNOWLEDGE / "mau-xuat-ho-so.csv"
    parsed = parse_export(sample, catalogue, calendar)
    assert parsed.ok, parsed.errors
    assert len(parsed.rows) == 10
    assert {r.dossier.status for r in parsed.rows} == set(Status)
    # Every due date written in the sample is the one its processing time gives.
    lines = list(csv.DictReader(sample.read_text(encoding="utf-8").splitlines()))
    for parsed_row, line in zip(parsed.rows, lines, strict=True):
        if line["Ngày hẹn trả"]:
            path = write_csv(tmp_path / "one.csv", [{**line, "Ngày hẹn trả": ""}])
            computed = only_dossier(parse_export(path, catalogue, calendar)).due_date
            assert computed == parsed_row.dossier.due_date, line


@pytest.mark.parametrize(
    "code", ["000.00.19.H47-260105-0001", "h57.132 260804 0583", "--", "Ｈ５７－１", "h57–132"]
)
def test_fast_code_key_equals_code_key(code: str) -> None:
    assert _code_key(code) == code_key(code)


# --- The command ---------------------------------------------------------------------------------
# The command runs its own event loop (asyncio.run); the tests run it in a worker thread so that
# loop never replaces the test's own, and they look at the database with `await`.


@pytest.fixture
def cli_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, knowledge: Knowledge) -> Settings:
    """`motcua import-dossiers` on a fresh data dir; the catalogue already loaded (for speed)."""
    settings = make_settings(tmp_path)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setattr(cli, "load_knowledge", lambda _settings: knowledge)
    return settings


@pytest.fixture
async def storage(cli_settings: Settings, knowledge: Knowledge) -> AsyncIterator[Storage]:
    async with running_services(cli_settings, knowledge=knowledge) as services:
        yield services.storage


async def import_file(
    capsys: pytest.CaptureFixture[str], *args: str | Path
) -> tuple[int, str, str]:
    code = await asyncio.to_thread(cli.main, ["import-dossiers", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def summary(out: str) -> dict[str, int]:
    return {
        label: int(value)
        for line in out.splitlines()
        if line.startswith("- ")
        for label, value in [line[2:].rsplit(": ", 1)]
    }


async def test_cli_bad_file_applies_nothing(
    storage: Storage, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await import_file(capsys, DATA / "dossiers_errors.csv")
    assert code == 1
    assert "Tệp «dossiers_errors.csv» có 10 lỗi ở 8 dòng:" in err
    assert "- dòng 3, cột «Ngày tiếp nhận»: «31/02/2026» không phải ngày có thật" in err
    assert "- dòng 11, cột «Mã hồ sơ»: không được để trống" in err
    assert "Chưa nhập hồ sơ nào" in err
    assert out == ""
    assert await storage.dossiers.count_dossiers() == 0


async def test_cli_skip_bad_applies_the_good_rows(
    storage: Storage, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await import_file(capsys, DATA / "dossiers_errors.csv", "--skip-bad")
    assert code == 0
    assert "Bỏ qua 8 dòng có lỗi: dòng 3, 4, 5, 6, 7, 8, 9, 11." in out
    assert "- dòng 6, cột «Thủ tục»: thủ tục «Cấp sổ đỏ» không có trong danh mục" in err
    assert summary(out) == {"mới": 2, "cập nhật": 0, "không đổi": 0, "đổi trạng thái": 0,
                            "văn bản xin lỗi đã lập": 0, "thông báo đã xếp hàng": 0}  # fmt: skip
    keys = [code_key("H57.132-260105-0001"), code_key("H57.132-260106-0009")]
    found = await storage.dossiers.get_dossiers(keys)
    assert [found[key].status for key in keys] == [Status.RECEIVED, Status.RETURNED]
    assert await storage.dossiers.count_dossiers() == 2


async def test_cli_dry_run_writes_nothing(
    storage: Storage, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await import_file(capsys, DATA / "dossiers_good.csv", "--dry-run")
    assert code == 0
    assert "6 dòng hợp lệ, 0 dòng có lỗi" in out and "chưa ghi gì" in out
    assert await storage.dossiers.count_dossiers() == 0


async def test_cli_second_import_of_the_same_file_changes_nothing(
    storage: Storage, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await import_file(capsys, DATA / "dossiers_good.csv")
    assert code == 0
    assert summary(out) == {"mới": 6, "cập nhật": 0, "không đổi": 0, "đổi trạng thái": 0,
                            "văn bản xin lỗi đã lập": 0, "thông báo đã xếp hàng": 0}  # fmt: skip
    code, out, _ = await import_file(capsys, DATA / "dossiers_good.csv")
    assert code == 0
    assert summary(out) == {"mới": 0, "cập nhật": 0, "không đổi": 6, "đổi trạng thái": 0,
                            "văn bản xin lỗi đã lập": 0, "thông báo đã xếp hàng": 0}  # fmt: skip
    assert await storage.dossiers.count_dossiers() == 6
    assert sum((await storage.outbox.outbox_counts()).values()) == 0


async def test_cli_status_change_records_history_and_notifies_the_follower_once(
    tmp_path: Path, storage: Storage, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (await import_file(capsys, DATA / "dossiers_good.csv"))[0] == 0
    key = code_key("H57.132-260108-0002")
    chat = ChatRef("telegram", "42")
    await storage.follows.follow(
        chat, key, None, "đồng ý", dt.datetime(2026, 1, 9, 8, tzinfo=VIETNAM)
    )

    changed = tmp_path / "dossiers_changed.csv"
    text = (DATA / "dossiers_good.csv").read_text(encoding="utf-8")
    assert text.count("Đang xử lý") == 1
    changed.write_text(text.replace("Đang xử lý", "Đã có kết quả"), encoding="utf-8")
    code, out, _ = await import_file(capsys, changed)
    assert code == 0
    assert summary(out) == {"mới": 0, "cập nhật": 1, "không đổi": 5, "đổi trạng thái": 1,
                            "văn bản xin lỗi đã lập": 0, "thông báo đã xếp hàng": 1}  # fmt: skip

    latest = (await storage.dossiers.dossier_events(key))[0]
    assert (latest.kind, latest.old_status, latest.new_status) == (
        EventKind.STATUS, Status.PROCESSING, Status.READY)  # fmt: skip
    assert latest.source == "import:dossiers_changed.csv"
    assert (await storage.outbox.outbox_counts()).get(OutboxStatus.PENDING) == 1

    # The same changed file again: nothing new, nobody told twice.
    code, out, _ = await import_file(capsys, changed)
    assert summary(out)["thông báo đã xếp hàng"] == 0 and summary(out)["không đổi"] == 6
    assert (await storage.outbox.outbox_counts()).get(OutboxStatus.PENDING) == 1


async def test_cli_progress_bar_only_for_big_files(
    tmp_path: Path, cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [row(**{"Mã hồ sơ": f"H57.132-260105-{n:04d}"}) for n in range(2100)]
    code, _, err = await import_file(capsys, write_csv(tmp_path / "big.csv", rows), "--dry-run")
    assert code == 0
    assert "Đang đọc tệp [" in err and "100%  2.100/2.100 dòng" in err
    code, _, err = await import_file(capsys, DATA / "dossiers_good.csv", "--dry-run")
    assert "Đang đọc tệp" not in err


async def test_cli_unreadable_file(
    tmp_path: Path, cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await import_file(capsys, tmp_path / "khong-co.xlsx")
    assert code == 1 and out == ""
    assert "Không nhập được tệp «khong-co.xlsx»:" in err and "không tìm thấy tệp" in err
