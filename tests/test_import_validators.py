"""One validator per column of the one-stop export (core.dossier_import.VALIDATORS, issue 17
point 5): for each, a good value and every error it gives, in the Vietnamese the officer reads.
The whole-file behaviour (headers, rows, limits, the order of a row's errors) is
tests/test_dossier_import.py's.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.dossier_import import (
    _INDEX,
    OPTIONAL,
    PRINTABLE,
    VALIDATORS,
    Column,
    ImportLimits,
    Invalid,
    _Row,
    _RowReader,
    check_applicant,
    check_code,
    check_due,
    check_phone,
    check_printable_line,
    check_printable_text,
    check_procedure,
    check_received,
    check_resolved,
    check_return_method,
    check_status,
    check_submission,
    optional_text,
)
from core.dossiers import ReturnMethod, Status, SubmissionChannel
from core.workdays import WorkingCalendar
from handlers.context import Knowledge

NOW = dt.datetime(2026, 11, 23, 9, 0)  # a Monday


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def reader(
    knowledge: Knowledge, calendar: WorkingCalendar, columns: list[Column] | None = None
) -> _RowReader:
    chosen = columns or list(Column)
    found = {column: (i, column.value) for i, column in enumerate(chosen)}
    return _RowReader(
        found, knowledge.catalogue, calendar, text_only=True, limits=ImportLimits(), now=NOW
    )


def row(
    of: _RowReader,
    number: int = 2,
    cells: dict[Column, object] | None = None,
    **values: object,
) -> _Row:
    """A row whose cells are `cells` (empty otherwise), with the values of earlier columns."""
    raw = [(cells or {}).get(column, "") for column in Column]
    texts = [str(cell).strip() if cell is not None else "" for cell in raw]
    found = _Row(of, number, texts, raw)
    for name, value in values.items():
        found.values[_INDEX[Column[name.upper()]]] = value
    return found


@pytest.fixture
def rr(knowledge: Knowledge, calendar: WorkingCalendar) -> _RowReader:
    return reader(knowledge, calendar)


def test_every_column_has_one_validator() -> None:
    # The procedure's validator reads both procedure columns.
    assert set(VALIDATORS) == set(Column) - {Column.PROCEDURE_NAME}
    assert next(iter(VALIDATORS)) is Column.CODE  # the row's first error is the code's
    assert set(PRINTABLE) == {Column.CODE, Column.APPLICANT, Column.NOTE, Column.DELAY_REASON}


def test_an_optional_column_is_empty_without_error(rr: _RowReader) -> None:
    """The row reader skips these validators for an empty cell: they must agree."""
    for column in OPTIONAL:
        assert VALIDATORS[column]("", row(rr)) is None, column
    for check in PRINTABLE.values():
        assert check("", row(rr)) is None


def test_code(rr: _RowReader) -> None:
    assert check_code("000.00.19.H47-261116-0001", row(rr, 2)) == "0000019H472611160001"
    assert check_code("H47-1", row(rr, 3)) == "H471"
    assert check_code("", row(rr, 4)) == Invalid("không được để trống")
    assert check_code("--- / ---", row(rr, 5)) == Invalid(
        "«--- / ---» không có chữ hay số nào, không phải mã hồ sơ"
    )
    # The same letters and digits as row 3's, written otherwise.
    assert check_code("h47 - 1", row(rr, 6)) == Invalid("«h47 - 1» trùng mã với dòng 3")


def test_printable() -> None:
    assert check_printable_line("Nguyễn Văn An", None) is None  # type: ignore[arg-type]
    assert check_printable_text("dòng một\ndòng\thai", None) is None  # type: ignore[arg-type]
    message = (
        "«Trần�Thị» có ký tự điều khiển không in được (mã U+0000); xóa ký tự đó trong tệp"
        " rồi xuất lại"
    )
    assert check_printable_line("Trần\x00Thị", None) == Invalid(message)  # type: ignore[arg-type]
    assert check_printable_line("Lê\tB", None) == Invalid(  # type: ignore[arg-type]
        "«Lê\tB» có ký tự điều khiển không in được (mã U+0009); xóa ký tự đó trong tệp rồi xuất lại"
    )
    assert check_printable_text("ghi\x1bchú", None) == Invalid(  # type: ignore[arg-type]
        "«ghi�chú» có ký tự điều khiển không in được (mã U+001B); xóa ký tự đó trong tệp"
        " rồi xuất lại"
    )


def test_procedure(rr: _RowReader, knowledge: Knowledge, calendar: WorkingCalendar) -> None:
    birth = knowledge.catalogue.get("dang-ky-khai-sinh")
    assert check_procedure("dang-ky-khai-sinh", row(rr)) is birth  # our id
    assert check_procedure("1.001193.000.00.00.H47", row(rr)) is birth  # national code
    by_name = row(rr, cells={Column.PROCEDURE_NAME: "ĐĂNG KÝ KHAI SINH"})
    assert check_procedure("", by_name) is birth
    unknown = row(rr, cells={Column.PROCEDURE_NAME: "Cấp phép bay"})
    assert check_procedure("", unknown) == Invalid(
        "thủ tục «Cấp phép bay» không có trong danh mục", "Cấp phép bay", Column.PROCEDURE_NAME
    )
    assert check_procedure("9.999999", unknown) == Invalid(
        "thủ tục «9.999999» không có trong danh mục", "9.999999", Column.PROCEDURE_CODE
    )
    empty = Invalid(
        "không được để trống (ghi tên thủ tục hoặc mã thủ tục)", "", Column.PROCEDURE_NAME
    )
    assert check_procedure("", row(rr)) == empty
    # A file with only the code column: the error names it.
    only_code = reader(knowledge, calendar, [Column.CODE, Column.PROCEDURE_CODE])
    assert check_procedure("", row(only_code)) == Invalid(empty.message, "", Column.PROCEDURE_CODE)


def test_applicant(rr: _RowReader) -> None:
    assert check_applicant("Nguyễn   Văn\u00a0An", row(rr)) == "Nguyễn Văn An"
    assert check_applicant("", row(rr)) == Invalid("không được để trống", "")


def test_phone(rr: _RowReader) -> None:
    assert check_phone("0912345678", row(rr)) == "0912345678"
    assert check_phone("0912 345 678", row(rr)) == "0912345678"
    assert check_phone("", row(rr)) is None
    assert check_phone("-", row(rr)) is None  # no digits, no words: empty
    excel = row(rr, cells={Column.PHONE: 912345678})  # a number cell dropped the leading 0
    assert check_phone("912345678", excel) == "0912345678"
    for bad in ("1912345678", "091234567", "abc", "912345678"):
        assert check_phone(bad, row(rr)) == Invalid(
            f"«{bad}» không phải số điện thoại: cần 10 chữ số, bắt đầu bằng 0", bad
        )


def test_received(rr: _RowReader) -> None:
    def received(text: str) -> object:
        return check_received(text, row(rr, cells={Column.RECEIVED: text}))

    assert received("05/01/2026 09:30") == dt.datetime(2026, 1, 5, 9, 30)
    assert received("24/11/2026") == dt.datetime(2026, 11, 24)  # a day of margin
    assert received("") == Invalid("không được để trống", "")
    assert received("hôm qua") == Invalid(
        "«hôm qua» không phải ngày; hãy viết ngày/tháng/năm (ví dụ 05/01/2026 hoặc"
        " 05/01/2026 09:30)"
    )
    assert received("31/02/2026") == Invalid("«31/02/2026» không phải ngày có thật")
    assert received("05/01/2026 25:00") == Invalid("«05/01/2026 25:00» không phải giờ có thật")
    assert received("05/01/1999") == Invalid(
        "«05/01/1999»: năm 1999 không hợp lý cho một hồ sơ (cần từ 2000 đến 2099)"
    )
    assert received("25/11/2026") == Invalid(
        "«25/11/2026» là ngày trong tương lai (hôm nay 23/11/2026): ngày tiếp nhận không thể"
        " sau hôm nay"
    )


def test_due(rr: _RowReader, knowledge: Knowledge) -> None:
    monday = dt.datetime(2026, 1, 5, 9, 30)
    later = knowledge.catalogue.get("dang-ky-lai-ket-hon")  # 5 working days

    def due(text: str, received: dt.datetime | None = monday, procedure: object = later) -> object:
        cells = {Column.DUE: text}
        return check_due(text, row(rr, cells=cells, received=received, procedure_code=procedure))

    assert due("09/01/2026") == dt.date(2026, 1, 9)  # as given
    assert due("") == dt.date(2026, 1, 12)  # computed: 5 working days from Mon 5 Jan
    assert due("", received=None) is None  # no receipt date: its own error says so
    assert due("", procedure=None) is None
    assert due("abc") == Invalid(
        "«abc» không phải ngày; hãy viết ngày/tháng/năm (ví dụ 05/01/2026 hoặc 05/01/2026 09:30)"
    )
    assert due("04/01/2026") == Invalid("«04/01/2026» trước ngày tiếp nhận 05/01/2026")
    assert due("", received=dt.datetime(2100, 12, 28, 9, 0)) == Invalid(
        "không tính được ngày hẹn trả: Lịch ngày làm việc chỉ tính được cho các năm 1901–2100"
        " (năm được hỏi: 2101)",
        "",
    )


def test_status(rr: _RowReader) -> None:
    assert check_status("Đang giải quyết", row(rr)) is Status.PROCESSING
    assert check_status("da tra ket qua", row(rr)) is Status.RETURNED
    unknown = check_status("lung tung", row(rr))
    assert isinstance(unknown, Invalid)
    assert unknown.message.startswith("«lung tung» không phải trạng thái đã biết; ghi một trong: ")
    assert "Đang giải quyết" in unknown.message
    empty = check_status("", row(rr))
    assert isinstance(empty, Invalid)
    assert empty.message.startswith("không được để trống; ghi một trong: ")


def test_return_method(rr: _RowReader) -> None:
    assert check_return_method("tại quầy", row(rr)) is ReturnMethod.DESK
    assert check_return_method("", row(rr)) is None
    assert check_return_method("bay", row(rr)) == Invalid(
        "«bay» không phải hình thức trả kết quả đã biết; ghi một trong: tại quầy (trực tiếp),"
        " bưu chính (bưu điện), trực tuyến"
    )


def test_submission(rr: _RowReader) -> None:
    assert check_submission("trực tuyến", row(rr)) is SubmissionChannel.ONLINE
    assert check_submission("", row(rr)) is None
    assert check_submission("chim bồ câu", row(rr)) == Invalid(
        "«chim bồ câu» không phải hình thức nộp đã biết; ghi một trong: trực tiếp (tại quầy),"
        " trực tuyến (dịch vụ công, VNeID), bưu chính (bưu điện)"
    )


def test_resolved(rr: _RowReader) -> None:
    monday = dt.datetime(2026, 1, 5, 9, 30)

    def resolved(text: str, status: Status | None = Status.RETURNED, shown: str = "") -> object:
        cells = {Column.RESOLVED: text, Column.STATUS: shown}
        return check_resolved(text, row(rr, cells=cells, received=monday, status=status))

    assert resolved("07/01/2026 10:00") == dt.datetime(2026, 1, 7, 10, 0)
    assert resolved("") is None
    assert resolved("07/01/2026", status=None) == dt.datetime(2026, 1, 7)  # status has its error
    assert resolved("abc") == Invalid(
        "«abc» không phải ngày; hãy viết ngày/tháng/năm (ví dụ 05/01/2026 hoặc 05/01/2026 09:30)"
    )
    assert resolved("04/01/2026") == Invalid("«04/01/2026» trước ngày tiếp nhận 05/01/2026")
    assert resolved("07/01/2026", Status.PROCESSING, "Đang giải quyết") == Invalid(
        "«07/01/2026»: hồ sơ «Đang giải quyết» chưa xong nên chưa có ngày có kết quả; để trống"
        " ô này hoặc sửa trạng thái"
    )


def test_optional_texts(rr: _RowReader) -> None:
    assert optional_text("  Thôn   1, xã\u00a0An Bình ", row(rr)) == "Thôn 1, xã An Bình"
    assert optional_text("", row(rr)) is None


def test_commune(knowledge: Knowledge, calendar: WorkingCalendar) -> None:
    """Issue 19: with a province, the commune the code's agency names; run only then."""
    from pathlib import Path

    from core.dossier_import import CommuneRule, check_commune
    from core.province import load_province

    knowledge_dir = Path(__file__).resolve().parent.parent / "knowledge"
    province = load_province(
        Path(__file__).parent / "data" / "province" / "province.yaml",
        knowledge_dir / "procedures.yaml",
        knowledge_dir / "commune.yaml",
    )
    # Without a province the reader does not run it.
    assert all(step[2] is not check_commune for step in reader(knowledge, calendar).steps)
    found = {column: (i, column.value) for i, column in enumerate(Column)}

    def of(only: str | None = None) -> _RowReader:
        return _RowReader(
            found,
            knowledge.catalogue,
            calendar,
            text_only=True,
            limits=ImportLimits(),
            now=NOW,
            communes=CommuneRule(province, only),
        )

    ok = row(of())
    assert check_commune("000.00.20.H47-261116-0003", ok) is None
    assert ok.commune is not None and ok.commune.id == "dong-hoa"
    assert check_commune("", row(of())) is None  # no code: the code's own error
    unknown = check_commune("000.00.99.H47-261116-0004", row(of()))
    assert isinstance(unknown, Invalid)
    assert unknown.message.startswith("mã cơ quan «000.00.99.H47» không thuộc xã, phường nào")
    other = check_commune("000.00.19.H47-261116-0001", row(of("dong-hoa")))
    assert isinstance(other, Invalid) and other.message.endswith(
        ": tệp của xã chỉ nhập hồ sơ của xã mình"
    )
