"""Files the command line writes for the officer (a report, a list of apologies, slips, a backup):
whole or not at all (issue 15 point 5).

The content goes to a hidden file beside the target, which is renamed over it once written, so a
full disk or a folder without write permission leaves no half-written file. A failure is an
`OutputNotWritten`: one Vietnamese line naming the file and what to do, and sysexits' exit
status (`bot.cli.main` prints it), not the database's advice that `storage.faults` would give for
the same OS error.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from storage.faults import FaultKind, fault_of

# sysexits.h: cannot create (user) output file.
EX_CANTCREAT = 73


class OutputNotWritten(Exception):
    exit_code = EX_CANTCREAT

    def __init__(self, path: Path, error: Exception) -> None:
        super().__init__(f"{path}: {error}")
        self.path = path
        self.error = error

    @property
    def line(self) -> str:
        fault = fault_of(self.error)
        why = _WHY.get(fault) if fault is not None else None
        why = why or f"lỗi hệ thống: {self.error}"
        return f"Không ghi được tệp «{self.path}»: {why}. Không có tệp nào ghi dở."


# The same OS (or SQLite) errors as the database's faults, said of the officer's file.
_WHY = {
    FaultKind.FULL: "ổ đĩa đã đầy: giải phóng dung lượng hoặc ghi sang ổ khác",
    FaultKind.READ_ONLY: "không có quyền ghi vào thư mục đó: chọn thư mục khác hoặc cấp quyền ghi",
    FaultKind.UNAVAILABLE: "đường dẫn không dùng được (thư mục không có, hoặc trùng tên một tệp)",
}


def write_output(path: Path | str, content: bytes) -> None:
    """Write `content` to `path` atomically; raises OutputNotWritten (nothing left behind)."""
    path = Path(path)
    staging = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with staging.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staging, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            staging.unlink(missing_ok=True)
        raise OutputNotWritten(path, error) from error


def not_written(path: Path, error: Exception) -> OutputNotWritten:
    """For a file written by someone else (SQLite's backup): what it left is removed."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
    return OutputNotWritten(path, error)
