"""Issue 15: hostile files are refused cheaply.

- YAML: aliases expanding past a small bound, a file aliasing itself, and a file over the size
  limit are refused before anything is built, with a clear message; `check-catalogue` on each,
  in a child process, stays under 200 MB (measured with resource.getrusage in the child).
- Exports: the unpacked size of an XLSX is read from the zip directory (a compression bomb made
  here, small on disk, is refused unopened); rows, columns and cell length are limited while
  streaming; messages quote at most 80 characters; only the first errors are kept.
- Receipt dates more than a day ahead and control characters in names and notes are row errors.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.catalogue import Catalogue
from core.catalogue.yaml_lines import YamlRefused, load_located, read_limited
from core.dossier_import import ImportLimits, parse_export
from core.workdays import WorkingCalendar
from handlers.context import Knowledge
from tests.test_dossier_import import HEADER, row, write_csv
from tests.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent
COMMUNE = ROOT / "knowledge" / "commune.yaml"
PEAK_LIMIT_MB = 200
NOW = dt.datetime(2026, 1, 6, 9, 0)


def billion_laughs(levels: int = 9) -> str:
    """The classic: each level a list of nine aliases of the level below (368 bytes in the
    report took check-catalogue to 13.4 GB)."""
    lines = ['a0: &a0 ["cười", "cười", "cười", "cười", "cười", "cười", "cười", "cười", "cười"]']
    for n in range(1, levels + 1):
        below = f"*a{n - 1}"
        lines.append(f"a{n}: &a{n} [{', '.join([below] * 9)}]")
    return "\n".join(lines) + "\nprocedures: *a9\n"


MERGE_BOMB = "\n".join(
    ["b0: &b0 {x0: 1, x1: 2, x2: 3, x3: 4, x4: 5, x5: 6, x6: 7, x7: 8}"]
    + [f"b{n}: &b{n} {{{', '.join(f'k{i}: *b{n - 1}' for i in range(8))}}}" for n in range(1, 9)]
    + ["procedures: [*b8]"]
)


# -- YAML -------------------------------------------------------------------------------------


def test_aliases_past_the_bound_are_refused_while_composing() -> None:
    with pytest.raises(YamlRefused) as refused:
        load_located(billion_laughs())
    assert "bí danh" in refused.value.problem and refused.value.line is not None
    with pytest.raises(YamlRefused):
        load_located(MERGE_BOMB)
    with pytest.raises(YamlRefused) as loop:
        load_located("a: &a [1, *a]\n")
    assert "chính nhóm chứa nó" in loop.value.problem


def test_a_few_aliases_are_fine() -> None:
    """Reusing a list of documents is what anchors are for: far below the bound."""
    text = "giay: &giay [to khai, CCCD, giay chung sinh]\n" + "".join(
        f"p{n}: {{docs: *giay}}\n" for n in range(200)
    )
    located = load_located(text)
    assert located.data["p199"]["docs"] == ["to khai", "CCCD", "giay chung sinh"]


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "procedures.yaml"
    big.write_text("# chú thích\n" * 1000, encoding="utf-8")
    with pytest.raises(YamlRefused) as refused:
        read_limited(big, max_bytes=4096)
    assert "lớn hơn giới hạn" in refused.value.problem
    assert "MOTCUA_CATALOGUE_MAX_BYTES" in refused.value.problem
    assert read_limited(big, max_bytes=20_000).startswith("# chú thích")


_CHECK_IN_CHILD = """
import json, resource, sys, time
from pathlib import Path
from core.catalogue import check_catalogue
report = []
for name in sys.argv[2:]:
    started = time.perf_counter()
    errors = check_catalogue(Path(name), Path(sys.argv[1]), 5 * 2**20)
    report.append({"file": name, "errors": [str(e) for e in errors],
                   "seconds": time.perf_counter() - started,
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
print(json.dumps(report))
"""


# On Linux a process's peak RSS (getrusage's ru_maxrss) starts at its parent's peak when it is
# forked: a child of pytest (or of a benchmark holding big files) would report the parent's
# hundreds of MB. A small launcher process in between gives the child a clean count of its own.
LAUNCHER = "import subprocess, sys; raise SystemExit(subprocess.call(sys.argv[1:]))"


def measured(code: str, *args: str) -> list[str]:
    """The command that runs `code` in a child whose ru_maxrss counts only itself."""
    return [sys.executable, "-c", LAUNCHER, sys.executable, "-c", code, *args]


def test_check_catalogue_refuses_every_hostile_file_under_200_mb(tmp_path: Path) -> None:
    """In a child process: its own peak RSS (getrusage, through `measured`). An address-space
    limit of 2 GB stops a regression long before it would take the machine's memory."""
    files = {
        "laughs.yaml": billion_laughs(),
        "merge.yaml": MERGE_BOMB,
        "loop.yaml": "procedures: &a [1, *a]\n",
        "big.yaml": "# " + "x" * 100 + "\n" * 1 + ("# đệm\n" * (5 * 2**20 // 8)),
    }
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    paths.append("/dev/zero")  # endless: read up to the limit, no further
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
    done = subprocess.run(
        measured(limit + _CHECK_IN_CHILD, str(COMMUNE), *paths),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout)
    by_file = {Path(item["file"]).name: item for item in report}
    assert "bí danh" in " ".join(by_file["laughs.yaml"]["errors"])
    assert "bí danh" in " ".join(by_file["merge.yaml"]["errors"])
    assert "chính nhóm chứa nó" in " ".join(by_file["loop.yaml"]["errors"])
    assert "lớn hơn giới hạn" in " ".join(by_file["big.yaml"]["errors"])
    assert "lớn hơn giới hạn" in " ".join(by_file["zero"]["errors"])
    for item in report:
        assert item["peak_mb"] < PEAK_LIMIT_MB, item
        assert item["seconds"] < 10, item


# -- exports ----------------------------------------------------------------------------------


def xlsx_bomb(path: Path, unpacked_mb: int) -> Path:
    """An XLSX whose one sheet unpacks to `unpacked_mb` MB of identical rows: a few hundred
    KB on disk, written in a stream (never held in memory)."""
    cells = "".join(f'<c t="inlineStr"><is><t>{"x" * 60}</t></is></c>' for _ in range(8))
    rows = "".join(f"<row>{cells}</row>" for _ in range(100)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b"<worksheet><sheetData>")
            written = 0
            while written < unpacked_mb * 2**20:
                sheet.write(rows)
                written += len(rows)
            sheet.write(b"</sheetData></worksheet>")
    return path


def test_a_compression_bomb_is_refused_from_the_zip_directory(
    tmp_path: Path, knowledge: Knowledge, calendar: WorkingCalendar
) -> None:
    bomb = xlsx_bomb(tmp_path / "export.xlsx", unpacked_mb=48)
    assert bomb.stat().st_size < 2**20  # small on disk
    limits = ImportLimits(max_unpacked_bytes=16 * 2**20)
    parsed = parse_export(bomb, knowledge.catalogue, calendar, limits=limits, now=NOW)
    assert parsed.rows == [] and parsed.errors == []
    [problem] = parsed.file_errors
    assert "giải nén ra 48 MB" in problem and "MOTCUA_IMPORT_MAX_UNPACKED_BYTES" in problem


def test_long_cells_are_row_errors_quoted_short_and_the_list_is_capped(
    tmp_path: Path, knowledge: Knowledge, calendar: WorkingCalendar
) -> None:
    """The report's file: every row quoting a 30,000-character cell in full (452 MB printed)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for n in range(300):
        sheet.append([f"H57.132-260105-{n:04d}", "Đăng ký khai sinh", "Nguyễn " + "A" * 30_000,
                      "0912345678", "05/01/2026", "", "Đang giải quyết", "", ""])  # fmt: skip
    book.save(tmp_path / "long.xlsx")
    limits = ImportLimits(kept_errors=100)
    parsed = parse_export(tmp_path / "long.xlsx", knowledge.catalogue, calendar, limits=limits)
    assert len(parsed.errors) == 100 and parsed.error_count == 300
    assert parsed.bad_row_count == 300 and parsed.more_bad_rows == 200
    first = parsed.errors[0]
    assert "ô dài 30.007 ký tự, quá giới hạn 2.000" in first.message
    assert len(str(first)) < 250 and len(first.value or "") <= 80
    assert sum(len(str(error)) for error in parsed.errors) < 100 * 250


def test_rows_and_columns_are_limited_while_streaming(
    tmp_path: Path, knowledge: Knowledge, calendar: WorkingCalendar
) -> None:
    rows = [row(**{"Mã hồ sơ": f"H57.132-260105-{n:04d}"}) for n in range(60)]
    path = write_csv(tmp_path / "many.csv", rows, HEADER)
    parsed = parse_export(path, knowledge.catalogue, calendar, limits=ImportLimits(max_rows=30))
    assert parsed.rows == [] and "hơn 30 dòng" in parsed.file_errors[0]

    wide = tmp_path / "wide.csv"
    with wide.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER + [f"cột {n}" for n in range(300)])
        out.writerow(list(row().values()) + ["x"] * 300)
    parsed = parse_export(wide, knowledge.catalogue, calendar)
    assert parsed.rows == [] and "hơn 200 cột" in parsed.file_errors[0]


def test_future_receipts_and_control_characters_are_row_errors(
    tmp_path: Path, catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    rows = [
        row(**{"Mã hồ sơ": "A-260105-0001", "Ngày tiếp nhận": "05/01/2099"}),
        row(**{"Mã hồ sơ": "A-260105-0002", "Ngày tiếp nhận": "08/01/2026 09:00"}),
        row(**{"Mã hồ sơ": "A-260105-0003", "Ngày tiếp nhận": "07/01/2026 08:00"}),  # tomorrow
        row(**{"Mã hồ sơ": "A-260105-0004", "Người nộp": "Nguyễn\x00Văn An"}),
        row(**{"Mã hồ sơ": "A-260105-0005", "Ghi chú": "bổ sung\x1b[2J giấy tờ"}),
        row(**{"Mã hồ sơ": "A-260105-0006", "Ghi chú": "dòng một\ndòng hai"}),  # a newline: fine
    ]
    path = write_csv(tmp_path / "export.csv", rows, HEADER)
    parsed = parse_export(path, catalogue, calendar, now=NOW)
    by_row = {error.row_number: error for error in parsed.errors}
    assert sorted(by_row) == [2, 3, 5, 6]
    assert "tương lai" in by_row[2].message and "tương lai" in by_row[3].message
    assert "U+0000" in by_row[5].message and "\x00" not in str(by_row[5])
    assert "U+001B" in by_row[6].message
    assert {r.row_number for r in parsed.rows} == {4, 7}


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture
def catalogue(knowledge: Knowledge) -> Catalogue:
    return knowledge.catalogue


async def test_an_officer_sees_the_first_errors_and_how_many_more(
    officer_chat: Transcript, tmp_path: Path
) -> None:
    """In the chat: 25 errors, each quoting at most 80 characters, then "… và K lỗi khác"; the
    attached list holds the rest. Nothing is imported."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for n in range(300):
        sheet.append([f"H57.132-260105-{n:04d}", "Đăng ký khai sinh", "B" * 30_000,
                      "0912345678", "05/01/2026", "", "Đang giải quyết", "", ""])  # fmt: skip
    book.save(tmp_path / "xuat.xlsx")
    await officer_chat.send_file("xuat.xlsx", (tmp_path / "xuat.xlsx").read_bytes())
    officer_chat.expect("có 300 lỗi ở 300 dòng", "… và 275 lỗi khác", "Chưa nhập hồ sơ nào")
    assert len(officer_chat.text) < 8_000
    [attached] = [reply.file for reply in officer_chat.last if reply.file is not None]
    assert attached.content.count(b"\n") == 300 and len(attached.content) < 300 * 300
