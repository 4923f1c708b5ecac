"""Issue 15: faults of the database itself. Locked, read-only, full, missing or corrupt: the citizen
gets the short apology, the officer and the command line one Vietnamese line saying what is wrong
and what to do, the process keeps serving or exits with a clear code, nothing is half-written.

How each fault is made:
- a held lock: a second connection holds SQLite's write lock (BEGIN IMMEDIATE);
- a full disk: a real 2 MB tmpfs when this machine lets the tests mount one (root with
  CAP_SYS_ADMIN), else — and always, in its own test — SQLite's `max_page_count`, which fails
  writes with the same SQLITE_FULL a full disk gives;
- read-only: the same tmpfs remounted read-only (as root, `chmod` cannot stop writes); else
  `PRAGMA query_only`, which fails writes with SQLite's own SQLITE_READONLY;
- missing and corrupt: a data folder whose name is a file; a database file of other bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Dispatcher
from bot.cli import main
from handlers.context import Services
from storage.faults import ADVICE, EXIT_CODES, FaultKind, fault_of
from tests.dossier_fixtures import dossier, with_hash
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)
APOLOGY = "đang gặp trục trặc"


def _raw(services: Services) -> Any:
    return services.storage.db.raw  # type: ignore[attr-defined]  # the SQLite connection


def _dossiers(n: int, start: int = 0) -> list[Any]:
    return [
        with_hash(dossier(f"000.00.19.H47-261116-{start + i:04d}", name="Nguyễn Văn An " * 30))
        for i in range(n)
    ]


# -- what each fault is -----------------------------------------------------------------------


def test_faults_are_recognised_from_sqlite_errors_os_errors_and_sqlstates(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(db, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.Error) as locked:
        other.execute("INSERT INTO t VALUES (1)")
    assert fault_of(locked.value) is FaultKind.LOCKED
    holder.execute("ROLLBACK")
    reader = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    with pytest.raises(sqlite3.Error) as read_only:
        reader.execute("INSERT INTO t VALUES (1)")
    assert fault_of(read_only.value) is FaultKind.READ_ONLY
    other.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.Error) as full:
        other.execute("CREATE TABLE big AS SELECT zeroblob(100000) AS b")
    assert fault_of(full.value) is FaultKind.FULL
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database, only some bytes " * 100)
    damaged = sqlite3.connect(junk)
    with pytest.raises(sqlite3.Error) as corrupt:
        damaged.execute("SELECT * FROM sqlite_master")
    assert fault_of(corrupt.value) is FaultKind.CORRUPT
    for connection in (holder, other, reader, damaged):
        connection.close()

    class PostgresError(Exception):
        sqlstate = "53100"  # disk_full, as asyncpg's errors carry it

    assert fault_of(RuntimeError("wrapped")) is None
    try:
        raise RuntimeError("a handler's error") from PostgresError()
    except RuntimeError as wrapped:
        assert fault_of(wrapped) is FaultKind.FULL  # found through the cause
    assert fault_of(OSError(28, "No space left on device")) is FaultKind.FULL
    assert set(ADVICE) == set(EXIT_CODES) == set(FaultKind)


# -- a held lock: the bot keeps serving -------------------------------------------------------


async def test_a_held_lock_apologises_to_citizens_tells_officers_and_passes(
    services: Services, settings: Any, dispatcher: Dispatcher
) -> None:
    await services.storage.dossiers.apply_dossiers(_dossiers(3), NOW, "import:a")
    await _raw(services).execute("PRAGMA busy_timeout = 50")  # not 5 s: the test waits for it
    holder = sqlite3.connect(settings.database_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    citizen = Transcript(dispatcher, user_id="100")
    officer = Transcript(dispatcher, user_id="900")
    try:
        await citizen.say("khai sinh cần gì")
        citizen.expect(APOLOGY)
        citizen.expect_not("locked", "Traceback")
        await officer.say("/trehan")
        officer.expect(ADVICE[FaultKind.LOCKED])
        with pytest.raises(Exception) as refused:
            await services.storage.dossiers.apply_dossiers(_dossiers(5, 100), NOW, "import:b")
        assert fault_of(refused.value) is FaultKind.LOCKED
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert await services.storage.dossiers.count_dossiers() == 3  # nothing half-written
    await citizen.say("khai sinh cần gì")  # the lock gone, the bot serves again
    citizen.expect_not(APOLOGY)
    citizen.expect("khai sinh")


# -- a full disk ------------------------------------------------------------------------------


async def test_a_full_database_rolls_back_whole_and_says_so(
    services: Services, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    """SQLite's max_page_count: the same SQLITE_FULL a full disk gives (see the module)."""
    await services.storage.dossiers.apply_dossiers(_dossiers(10), NOW, "import:a")
    raw = _raw(services)
    [(pages,)] = await raw.execute_fetchall("PRAGMA page_count")
    await raw.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(Exception) as full:
        await services.storage.dossiers.apply_dossiers(_dossiers(400, 100), NOW, "import:b")
    assert fault_of(full.value) is FaultKind.FULL
    assert "cannot rollback" not in str(full.value)
    assert await services.storage.dossiers.count_dossiers() == 10  # all or nothing
    officer = Transcript(dispatcher, user_id="900")
    await officer.send_file("xuat.csv", _export(tmp_path, 400).read_bytes())
    officer.expect(ADVICE[FaultKind.FULL])
    assert await services.storage.dossiers.count_dossiers() == 10
    await raw.execute("PRAGMA max_page_count = 1073741823")  # room again: serving goes on
    await services.storage.dossiers.apply_dossiers(_dossiers(400, 100), NOW, "import:b")
    assert await services.storage.dossiers.count_dossiers() == 410


async def cli(args: list[str]) -> int:
    """`motcua …` as the command line runs it (its own event loop: another thread)."""
    return await asyncio.to_thread(main, args)


def _export(folder: Path, rows: int) -> Path:
    path = folder / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Mã hồ sơ", "Thủ tục", "Người nộp", "Ngày tiếp nhận", "Trạng thái"])
        for n in range(rows):
            out.writerow([f"H57.132-261116-{n:04d}", "Đăng ký khai sinh", "Nguyễn Văn An " * 20,
                          "16/11/2026 09:00", "Đang giải quyết"])  # fmt: skip
    return path


def remount_read_only(disk: Path) -> None:
    """A quick system call, not worth a thread."""
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "2m") -> Iterator[Path | None]:
    """A real small filesystem, when this machine lets the tests mount one."""
    where.mkdir()
    if os.geteuid() != 0:
        yield None
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


async def test_a_real_full_disk_and_a_read_only_disk_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_tmpfs(tmp_path / "disk") as disk:
        if disk is None:
            pytest.skip("cannot mount a tmpfs here: the simulated tests above stand in")
        monkeypatch.setenv("MOTCUA_DATA_DIR", str(disk))
        small = _export(tmp_path, 20)
        assert await cli(["import-dossiers", str(small)]) == 0
        big = _export(tmp_path, 6000)  # about 3 MB of rows: more than the disk holds
        capsys.readouterr()
        assert await cli(["import-dossiers", str(big)]) == EXIT_CODES[FaultKind.FULL]
        err = capsys.readouterr().err
        assert ADVICE[FaultKind.FULL] in err
        assert "Traceback" not in err and "cannot rollback" not in err
        assert await cli(["apologies"]) == 0  # reading still works on the full disk
        check = sqlite3.connect(disk / "motcua.sqlite3")
        assert check.execute("SELECT COUNT(*) FROM dossiers").fetchone() == (20,)
        check.close()
        capsys.readouterr()
        remount_read_only(disk)
        assert await cli(["import-dossiers", str(small)]) == EXIT_CODES[FaultKind.READ_ONLY]
        assert ADVICE[FaultKind.READ_ONLY] in capsys.readouterr().err


async def test_a_read_only_database_apologises_and_tells_the_officer(
    services: Services, dispatcher: Dispatcher
) -> None:
    """SQLite's own read-only refusal (PRAGMA query_only: see the module)."""
    await _raw(services).execute("PRAGMA query_only = 1")
    citizen = Transcript(dispatcher, user_id="100")
    await citizen.say("khai sinh cần gì")
    citizen.expect(APOLOGY)
    officer = Transcript(dispatcher, user_id="900")
    await officer.say("/trehan")
    officer.expect(ADVICE[FaultKind.READ_ONLY])
    await _raw(services).execute("PRAGMA query_only = 0")


# -- missing and corrupt: the command line exits with a clear code ------------------------------


async def test_a_corrupt_or_missing_database_exits_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "motcua.sqlite3").write_bytes(b"SQLite format 2\x00 not really " * 200)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(data))
    assert await cli(["apologies"]) == EXIT_CODES[FaultKind.CORRUPT]
    err = capsys.readouterr().err
    assert ADVICE[FaultKind.CORRUPT] in err and "Traceback" not in err

    taken = tmp_path / "a-file"
    taken.write_text("the data folder's name is taken by this file")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(taken))
    assert await cli(["apologies"]) == EXIT_CODES[FaultKind.UNAVAILABLE]
    assert ADVICE[FaultKind.UNAVAILABLE] in capsys.readouterr().err
