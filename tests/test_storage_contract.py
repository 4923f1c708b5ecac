"""One contract for every storage backend (PostgreSQL will join the parametrisation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiosqlite
import pytest

from storage.base import ConversationKey, ConversationState, Storage
from storage.migrate import SchemaTooNew, available_migrations
from storage.sqlite import SqliteStorage

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
KEY = ConversationKey("telegram", "42", "42")

Opener = Callable[[Path], Awaitable[Storage]]


async def _sqlite_file(tmp_path: Path) -> Storage:
    return await SqliteStorage.open(tmp_path / "data" / "motcua.sqlite3")


async def _sqlite_memory(_tmp_path: Path) -> Storage:
    return await SqliteStorage.open(":memory:")


@pytest.fixture(params=[_sqlite_file, _sqlite_memory], ids=["sqlite-file", "sqlite-memory"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await request.param(tmp_path)
    yield opened
    await opened.close()


async def test_state_round_trip(storage: Storage) -> None:
    assert await storage.load_state(KEY) == ConversationState()
    await storage.save_state(KEY, "procedure.viewing", {"procedure": "dang-ky-khai-sinh"}, NOW)
    assert await storage.load_state(KEY) == ConversationState(
        "procedure.viewing", {"procedure": "dang-ky-khai-sinh"}
    )
    await storage.save_state(KEY, "other", {"n": 1, "tên": "Nguyễn"}, NOW)
    assert (await storage.load_state(KEY)).data == {"n": 1, "tên": "Nguyễn"}
    await storage.clear_state(KEY)
    assert await storage.load_state(KEY) == ConversationState()


async def test_state_is_per_conversation(storage: Storage) -> None:
    other = ConversationKey("telegram", "42", "43")
    await storage.save_state(KEY, "a", {}, NOW)
    assert (await storage.load_state(other)).name is None
    assert (await storage.load_state(ConversationKey("console", "42", "42"))).name is None


async def test_first_contact_is_reported_once(storage: Storage) -> None:
    assert await storage.touch_chat("telegram", "42", NOW) is True
    assert await storage.touch_chat("telegram", "42", NOW) is False
    assert await storage.touch_chat("telegram", "42", NOW + dt.timedelta(days=1)) is False
    assert await storage.touch_chat("console", "42", NOW) is True


async def test_file_database_keeps_state_across_restarts(tmp_path: Path) -> None:
    first = await _sqlite_file(tmp_path)
    await first.save_state(KEY, "kept", {"x": 1}, NOW)
    await first.close()
    second = await _sqlite_file(tmp_path)
    try:
        assert (await second.load_state(KEY)).name == "kept"
    finally:
        await second.close()


async def test_migrations_are_recorded_and_the_database_is_wal(tmp_path: Path) -> None:
    storage = await _sqlite_file(tmp_path)
    assert isinstance(storage, SqliteStorage)
    assert await storage.schema_version() == len(available_migrations())
    await storage.close()
    async with (
        aiosqlite.connect(tmp_path / "data" / "motcua.sqlite3") as db,
        db.execute("PRAGMA journal_mode") as cursor,
    ):
        assert (await cursor.fetchone()) == ("wal",)


async def test_a_database_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    storage = await _sqlite_file(tmp_path)
    await storage.close()
    async with aiosqlite.connect(tmp_path / "data" / "motcua.sqlite3") as db:
        await db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')"
        )
        await db.commit()
    with pytest.raises(SchemaTooNew):
        await _sqlite_file(tmp_path)
