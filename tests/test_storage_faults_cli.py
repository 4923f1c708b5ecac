"""Issue 15 point 5 on the command line: every `motcua` subcommand that opens the database stops
on a fault of it with one Vietnamese line and sysexits' code, no traceback; a file the officer
asked for (a list, a report, a backup) is written whole or not at all, and a failure to write it
names that file, not the database.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.output_files import EX_CANTCREAT
from bot.settings import KNOWLEDGE_DIR
from storage.faults import ADVICE, EXIT_CODES, FaultKind
from tests.test_storage_faults import _export, small_tmpfs

NOTICE = "Từ thứ Hai, bộ phận một cửa làm việc cả sáng thứ Bảy."
TELEGRAM = {"TELEGRAM_BOT_TOKEN": "123456:test-token"}
ZALO = {
    "ZALO_APP_ID": "1",
    "ZALO_APP_SECRET": "app-secret",
    "ZALO_OA_SECRET_KEY": "oa-secret",
    "ZALO_REFRESH_TOKEN": "refresh-1",
}

# Every subcommand that opens the database, with what it needs besides (search, check-catalogue
# and calendar do not open it).
COMMANDS: dict[str, tuple[list[str], dict[str, str]]] = {
    "chat": (["chat"], {}),
    "run": (["run"], {}),
    "run telegram": (["run", "--channel", "telegram"], TELEGRAM),
    "run zalo": (["run", "--channel", "zalo"], ZALO),
    "run all": (["run", "--channel", "all"], {**TELEGRAM, **ZALO}),
    "import-dossiers": (["import-dossiers", "{export}"], {}),
    "apologies": (["apologies"], {}),
    "report": (["report"], {}),
    "slips": (["slips", "--poster"], {"MOTCUA_TELEGRAM_BOT_USERNAME": "motcua_bot"}),
    "reload": (["reload", "{catalogue}", "--yes"], {}),
    "broadcast": (["broadcast", "--text", NOTICE, "--yes"], {}),
    "backup": (["backup"], {}),
    "migrate-db": (["migrate-db", "--to", "postgresql://127.0.0.1:1/none"], {}),
}


async def cli(args: list[str]) -> int:
    return await asyncio.to_thread(main, args)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(folder))
    # reload installs into the catalogue in use: a copy, never the shipped file
    monkeypatch.setenv("MOTCUA_CATALOGUE_FILE", str(shutil.copy(
        KNOWLEDGE_DIR / "procedures.yaml", tmp_path / "procedures.yaml")))  # fmt: skip
    return folder


@pytest.mark.parametrize("name", list(COMMANDS))
async def test_every_subcommand_stops_on_a_corrupt_database_with_one_line(
    name: str,
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv, env = COMMANDS[name]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    new_catalogue = tmp_path / "new.yaml"
    in_use = (tmp_path / "procedures.yaml").read_text(encoding="utf-8")
    new_catalogue.write_text(in_use + "\n# sửa đổi\n", encoding="utf-8")
    values = {"{export}": str(_export(tmp_path, 3)), "{catalogue}": str(new_catalogue)}
    argv = [values.get(arg, arg) for arg in argv]
    (data / "motcua.sqlite3").write_bytes(b"SQLite format 2\x00 not really " * 200)
    capsys.readouterr()
    assert await cli(argv) == EXIT_CODES[FaultKind.CORRUPT]
    err = capsys.readouterr().err
    assert ADVICE[FaultKind.CORRUPT] in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    # reload: the history could not be written, so the catalogue in use did not change
    assert (tmp_path / "procedures.yaml").read_text(encoding="utf-8") == in_use


async def test_a_lock_held_by_another_program_stops_a_writing_command(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite waits 5 s for a lock (busy_timeout) before it gives up: one command is enough."""
    assert await cli(["import-dossiers", str(_export(tmp_path, 3))]) == 0
    holder = sqlite3.connect(data / "motcua.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        capsys.readouterr()
        assert await cli(["import-dossiers", str(_export(tmp_path, 30))]) == 75
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert ADVICE[FaultKind.LOCKED] in err and "Traceback" not in err
    check = sqlite3.connect(data / "motcua.sqlite3")
    assert check.execute("SELECT COUNT(*) FROM dossiers").fetchone() == (3,)  # nothing half
    check.close()


async def test_a_file_that_cannot_be_written_is_named_and_not_left_half_written(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli(["import-dossiers", str(_export(tmp_path, 3))]) == 0
    taken = tmp_path / "taken"
    taken.write_text("a file, where the officer meant a folder")
    target = taken / "xin-loi.csv"
    capsys.readouterr()
    assert await cli(["apologies", "--csv", str(target)]) == EX_CANTCREAT
    err = capsys.readouterr().err
    assert f"Không ghi được tệp «{target}»" in err and "Traceback" not in err
    assert "cơ sở dữ liệu" not in err  # the officer's file, not the database

    with small_tmpfs(tmp_path / "disk", size="64k") as disk:
        if disk is None:
            pytest.skip("cannot mount a tmpfs here")
        (disk / "filler").write_bytes(b"x" * 60_000)  # nearly full
        report = ["report", "--pdf", str(disk / "bao-cao.pdf")]
        for argv in (report, ["backup", "--out", str(disk / "b.sqlite3")]):
            capsys.readouterr()
            assert await cli(argv) == EX_CANTCREAT
            err = capsys.readouterr().err
            assert "ổ đĩa đã đầy" in err and "Traceback" not in err
            assert sorted(p.name for p in disk.iterdir()) == ["filler"]  # nothing half-written
