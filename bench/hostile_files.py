"""Every hostile (and one big honest) file, each read in its own child process: peak memory
(resource.getrusage in the child), time, and what the bot said (issue 15; target < 200 MB each).

    .venv/bin/python bench/hostile_files.py

Catalogues go through `check_catalogue` (what `motcua check-catalogue` and an officer's upload
run); exports through `parse_export` (what `motcua import-dossiers` and an upload run), with the
default limits. The files are generated in a temporary folder; the bombs are small on disk.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_hostile_files import (  # noqa: E402
    MERGE_BOMB,
    billion_laughs,
    measured,
    xlsx_bomb,
)

CHILD = """
import json, resource, sys, time
from pathlib import Path
started = time.perf_counter()
kind, name = sys.argv[1], Path(sys.argv[2])
if kind == "catalogue":
    from core.catalogue import check_catalogue
    said = [str(e) for e in check_catalogue(name, Path("knowledge/commune.yaml"))]
    said = said[:1] if said else ["hợp lệ"]
else:
    from bot.app import load_knowledge
    from bot.settings import Settings
    from core.dossier_import import parse_export
    from core.workdays import WorkingCalendar
    knowledge = load_knowledge(Settings(_env_file=None))
    parsed = parse_export(name, knowledge.catalogue, WorkingCalendar())
    longest = max((len(str(e)) for e in parsed.errors), default=0)
    said = parsed.file_errors[:1] or [
        f"{len(parsed.rows)} dòng hợp lệ, {parsed.error_count} lỗi ở {parsed.bad_row_count} dòng;"
        f" giữ {len(parsed.errors)} lỗi, dài nhất {longest} ký tự"
    ]
print(json.dumps({"said": said[0][:150], "seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(kind: str, path: Path) -> dict[str, object]:
    done = subprocess.run(
        measured(CHILD, kind, str(path)),  # a clean ru_maxrss (see tests/test_hostile_files.py)
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode:
        return {"said": f"exit {done.returncode}: {done.stderr[-200:]}", "seconds": 0, "peak_mb": 0}
    return json.loads(done.stdout.splitlines()[-1])


def big_catalogue(target: int, path: Path) -> Path:
    """The shipped procedures repeated under new ids up to `target` bytes (valid, honest)."""
    source = (ROOT / "knowledge" / "procedures.yaml").read_text(encoding="utf-8")
    head, marker, body = source.partition("\nprocedures:\n")
    body, tail_marker, tail = body.partition("\nreferrals:\n")  # the referrals once, at the end
    parts = [head, marker, body]
    size, n = len((head + marker + body + tail_marker + tail).encode()), 1
    while True:
        copy = re.sub(r"(\n  - id: )([a-z0-9-]+)", rf"\g<1>\g<2>-{n}", "\n" + body)
        if size + len(copy.encode()) > target:
            break
        parts.append(copy)
        size += len(copy.encode())
        n += 1
    path.write_text("".join([*parts, tail_marker, tail]), encoding="utf-8")
    return path


def long_cells(path: Path, rows: int) -> Path:
    """The report's file: every row with a 30,000-character name (shared, so it packs small)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["Mã hồ sơ", "Thủ tục", "Người nộp", "Số điện thoại", "Ngày tiếp nhận",
                  "Trạng thái"])  # fmt: skip
    name = "Nguyễn " + "A" * 30_000
    for n in range(rows):
        sheet.append([f"H57.132-260105-{n:05d}", "Đăng ký khai sinh", name, "0912345678",
                      "05/01/2026", "Đang giải quyết"])  # fmt: skip
    book.save(path)
    return path


def honest_export(work: Path, rows: int) -> Path:
    """What bench/dossiers.py imports: the one-stop software's columns, valid rows."""
    sys.path.insert(0, str(ROOT / "bench"))
    from dossiers import write_export, write_xlsx

    from bot.app import load_knowledge
    from bot.settings import Settings

    names = [p.name for p in load_knowledge(Settings(_env_file=None)).catalogue]  # type: ignore[call-arg]
    write_export(work / "honest.csv", rows, names, 0)
    write_xlsx(work / "honest.csv", work / "honest.xlsx")
    return work / "honest.xlsx"


def many_rows(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Mã hồ sơ", "Thủ tục", "Người nộp", "Ngày tiếp nhận", "Trạng thái"])
        for n in range(rows):
            out.writerow([f"X-260105-{n:06d}", "Đăng ký khai sinh", "A", "05/01/2026", "Xong"])
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)

        def write(name: str, text: str) -> Path:
            (work / name).write_text(text, encoding="utf-8")
            return work / name

        cases = [
            ("catalogue", "shipped procedures.yaml", ROOT / "knowledge" / "procedures.yaml"),
            (
                "catalogue",
                "billion laughs (aliases)",
                write("laughs.yaml", billion_laughs()),
            ),
            ("catalogue", "merge-key bomb", write("merge.yaml", MERGE_BOMB)),
            ("catalogue", "alias of itself", write("loop.yaml", "procedures: &a [1, *a]\n")),
            ("catalogue", "honest, 4.9 MB", big_catalogue(int(4.9 * 2**20), work / "big.yaml")),
            ("catalogue", "65 MB ordinary YAML", big_catalogue(65 * 2**20, work / "huge.yaml")),
            ("catalogue", "/dev/zero", Path("/dev/zero")),
            ("export", "XLSX bomb, 687 MB unpacked", xlsx_bomb(work / "bomb.xlsx", 687)),
            (
                "export",
                "XLSX, 20,000 rows × 30,000 chars",
                long_cells(work / "long.xlsx", 20_000),
            ),
            ("export", "XLSX, 6,000 rows × 30,000 chars", long_cells(work / "cells.xlsx", 6_000)),
            ("export", "CSV, 300,000 rows", many_rows(work / "rows.csv", 300_000)),
            ("export", "honest XLSX export, 100,000 rows", honest_export(work, 100_000)),
        ]
        print(f"{'file':<42} {'on disk':>9} {'peak RSS':>9} {'time':>7}  what the bot said")
        for kind, label, path in cases:
            size = path.stat().st_size if path.is_file() else 0
            result = run(kind, path)
            print(
                f"{label:<42} {size / 2**20:>7.2f}MB {result['peak_mb']:>7.0f}MB"
                f" {result['seconds']:>6.1f}s  {result['said']}"
            )


if __name__ == "__main__":
    main()
