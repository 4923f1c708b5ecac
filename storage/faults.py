"""Faults of the database itself, recognised whatever the backend (issue 15: a locked, read-only,
full, missing or corrupt database ended in raw tracebacks, and a full disk in "cannot rollback").

`fault_of(error)` names the fault behind an exception (looking through its causes): SQLite's
result codes (Python's `sqlite3` errors carry them), PostgreSQL's SQLSTATE (psycopg errors carry
`sqlstate`), and the OS errors of opening the file. `ADVICE` is the one Vietnamese line an
officer or the command line gets for each (what is wrong, what to do); `EXIT_CODES` the exit
status of a command that stops on it (sysexits.h). A citizen only ever gets the short apology.

Nothing is half-written: every write is one transaction, rolled back on any error (and when
SQLite has already rolled it back itself, as it does on a full disk, the original error is kept:
`storage.sqlite.connection`).
"""

from __future__ import annotations

import errno
import sqlite3
from enum import StrEnum


class FaultKind(StrEnum):
    LOCKED = "locked"  # another program holds the write lock past the busy timeout
    READ_ONLY = "read-only"  # the file, folder or database refuses writes
    FULL = "full"  # the disk (or the database's size limit) is full
    CORRUPT = "corrupt"  # not a database, or a damaged one
    UNAVAILABLE = "unavailable"  # cannot be opened or reached at all


# SQLite primary result codes (sqlite3.h).
_SQLITE = {
    5: FaultKind.LOCKED,  # SQLITE_BUSY
    6: FaultKind.LOCKED,  # SQLITE_LOCKED
    8: FaultKind.READ_ONLY,  # SQLITE_READONLY
    10: FaultKind.UNAVAILABLE,  # SQLITE_IOERR
    11: FaultKind.CORRUPT,  # SQLITE_CORRUPT
    13: FaultKind.FULL,  # SQLITE_FULL
    14: FaultKind.UNAVAILABLE,  # SQLITE_CANTOPEN
    23: FaultKind.READ_ONLY,  # SQLITE_AUTH
    26: FaultKind.CORRUPT,  # SQLITE_NOTADB
}
# PostgreSQL SQLSTATE codes (Appendix A of its manual), by prefix for the classes.
_SQLSTATE = {
    "55P03": FaultKind.LOCKED,  # lock_not_available
    "40P01": FaultKind.LOCKED,  # deadlock_detected
    "25006": FaultKind.READ_ONLY,  # read_only_sql_transaction
    "42501": FaultKind.READ_ONLY,  # insufficient_privilege
    "53100": FaultKind.FULL,  # disk_full
    "53200": FaultKind.FULL,  # out_of_memory
    "XX001": FaultKind.CORRUPT,  # data_corrupted
    "XX002": FaultKind.CORRUPT,  # index_corrupted
    "08": FaultKind.UNAVAILABLE,  # connection exceptions
    "57P": FaultKind.UNAVAILABLE,  # operator intervention (shutdown, cannot connect now)
}
_OS = {
    errno.ENOSPC: FaultKind.FULL,
    errno.EDQUOT: FaultKind.FULL,
    errno.EROFS: FaultKind.READ_ONLY,
    errno.EACCES: FaultKind.READ_ONLY,
    errno.EPERM: FaultKind.READ_ONLY,
    errno.ENOTDIR: FaultKind.UNAVAILABLE,
    errno.ENOENT: FaultKind.UNAVAILABLE,
    errno.EEXIST: FaultKind.UNAVAILABLE,  # the data folder's name is taken by a file
    errno.ECONNREFUSED: FaultKind.UNAVAILABLE,  # PostgreSQL not listening
}


def fault_of(error: BaseException | None) -> FaultKind | None:
    """The database fault behind `error` (or one of its causes), if it is one."""
    seen = 0
    while error is not None and seen < 10:
        kind = _kind(error)
        if kind is not None:
            return kind
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def _kind(error: BaseException) -> FaultKind | None:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) in _SQLITE:
            return _SQLITE[code & 0xFF]
        text = str(error).lower()
        for words, kind in _SQLITE_TEXTS:
            if words in text:
                return kind
        return None
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str):
        for prefix, kind in _SQLSTATE.items():
            if sqlstate.startswith(prefix):
                return kind
        return None
    if isinstance(error, OSError) and error.errno in _OS:
        return _OS[error.errno]
    return None


# For errors without a result code (older Pythons, errors raised by aiosqlite itself).
_SQLITE_TEXTS = (
    ("database is locked", FaultKind.LOCKED),
    ("readonly database", FaultKind.READ_ONLY),
    ("database or disk is full", FaultKind.FULL),
    ("malformed", FaultKind.CORRUPT),
    ("not a database", FaultKind.CORRUPT),
    ("unable to open database", FaultKind.UNAVAILABLE),
    ("disk i/o error", FaultKind.UNAVAILABLE),
)

ADVICE = {
    FaultKind.LOCKED: (
        "Cơ sở dữ liệu đang bị một chương trình khác giữ khóa ghi (một lệnh motcua khác đang chạy,"
        " hoặc một công cụ mở tệp dữ liệu): chờ lệnh đó xong rồi làm lại."
    ),
    FaultKind.READ_ONLY: (
        "Không ghi được vào cơ sở dữ liệu (tệp hoặc thư mục dữ liệu chỉ cho đọc): cấp quyền ghi"
        " cho tài khoản chạy bot trên thư mục dữ liệu (MOTCUA_DATA_DIR) rồi làm lại."
    ),
    FaultKind.FULL: (
        "Ổ đĩa chứa cơ sở dữ liệu đã đầy: giải phóng dung lượng (xóa tệp tạm, bản sao lưu cũ) hoặc"
        " chuyển thư mục dữ liệu sang ổ khác, rồi làm lại. Dữ liệu đã ghi vẫn nguyên vẹn."
    ),
    FaultKind.CORRUPT: (
        "Tệp cơ sở dữ liệu bị hỏng hoặc không phải cơ sở dữ liệu của bot: dừng bot, khôi phục tệp"
        " từ bản sao lưu gần nhất (thư mục dữ liệu, MOTCUA_DATA_DIR) rồi chạy lại."
    ),
    FaultKind.UNAVAILABLE: (
        "Không mở được cơ sở dữ liệu (thư mục dữ liệu không có hoặc không dùng được, hoặc máy chủ"
        " cơ sở dữ liệu không trả lời): kiểm tra MOTCUA_DATA_DIR (hoặc MOTCUA_DATABASE_URL) rồi"
        " chạy lại."
    ),
}

# sysexits.h: try again later; permission; I/O error; bad data; cannot create.
EXIT_CODES = {
    FaultKind.LOCKED: 75,
    FaultKind.READ_ONLY: 77,
    FaultKind.FULL: 74,
    FaultKind.CORRUPT: 65,
    FaultKind.UNAVAILABLE: 73,
}
