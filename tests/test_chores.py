"""Chores never stall replies (issue 18 point 5): the daily unlinking and the hourly clean-ups
find their rows through an index and work in small batches, on every backend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from core.dossiers import Status
from storage.base import ChatRef, Storage
from storage.postgres import PostgresStorage
from storage.sql.apologies import REPEATED_SUPPLEMENTS, running_due_sql
from storage.sql.care import _FINISHED, READY_REMINDERS, unlink_batch_sql
from storage.sql.chores import batch_delete_sql, delete_in_batches
from storage.sqlite import SqliteStorage
from tests.dossier_fixtures import dossier, with_hash

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _codes(n: int) -> list[str]:
    return [f"000.00.19.H47-261116-{i:04d}" for i in range(1, n + 1)]


async def test_unlinking_walks_the_follows_in_batches(storage: Storage) -> None:
    """Seven follows, five of them of dossiers returned a while ago, batches of two: every
    stale link goes, the others stay, whatever batch they fall in."""
    codes = _codes(7)
    returned = [with_hash(dossier(c, status=Status.RETURNED)) for c in codes[:5]]
    running = [with_hash(dossier(c)) for c in codes[5:]]
    await storage.dossiers.apply_dossiers([*returned, *running], NOW, "import:a")
    chats = [ChatRef("telegram", str(n)) for n in range(3)]
    for i, code in enumerate(codes):
        await storage.follows.follow(chats[i % 3], dossier(code).code_key, None, "đồng ý", NOW)
    later = NOW + dt.timedelta(days=31)
    assert await storage.care.unlink_finished_before(NOW, later, batch=2) == 0  # not yet
    assert await storage.care.unlink_finished_before(later, later, batch=2) == 5
    left = [f.dossier.code for chat in chats for f in await storage.follows.follows(chat)]
    assert sorted(left) == codes[5:]
    assert await storage.care.unlink_finished_before(later, later, batch=2) == 0


async def test_old_rows_are_deleted_in_batches(storage: Storage) -> None:
    for n in range(7):
        moment = NOW + dt.timedelta(minutes=n)
        await storage.conversations.first_delivery("telegram", str(n), moment)
        await storage.dossiers.record_lookup_failure(ChatRef("telegram", "1"), moment)
    cutoff = NOW + dt.timedelta(minutes=5)
    db: Any = storage.db  # type: ignore[attr-defined]
    assert (
        await delete_in_batches(db, "processed_updates", "received_at < ?", [cutoff.isoformat()], 2)
        == 5
    )
    assert await storage.dossiers.forget_lookup_failures_before(cutoff) == 5
    assert await storage.conversations.first_delivery("telegram", "6", NOW) is False  # kept
    assert await storage.conversations.first_delivery("telegram", "0", NOW) is True  # forgotten


def _chore_statements(db: Any) -> list[tuple[str, list[Any]]]:
    moment, day = NOW.isoformat(), NOW.date().isoformat()
    return [
        (running_due_sql(2), ["dang-xu-ly", "cho-bo-sung", day]),
        (REPEATED_SUPPLEMENTS, [1, 20]),
        (READY_REMINDERS, [Status.READY.value, day, day]),
        (unlink_batch_sql(db), [*_FINISHED, moment, "", "", "", 500]),
        (batch_delete_sql(db, "processed_updates", "received_at < ?"), [moment, 500]),
        (batch_delete_sql(db, "lookup_failures", "at < ?"), [moment, 500]),
        (
            batch_delete_sql(db, "zalo_inbox", "status IN ('done', 'failed') AND received_at < ?"),
            [moment, 500],
        ),
        (batch_delete_sql(db, "follow_codes", "expires_at < ?"), [moment, 500]),
    ]


async def test_every_chore_finds_its_rows_through_an_index(storage: Storage) -> None:
    """The query plans of every daily and hourly job: no table is read whole (PostgreSQL is
    told to avoid sequential scans when it can, as it would on a big table)."""
    plans: list[str] = []
    if isinstance(storage, SqliteStorage):
        for sql, params in _chore_statements(storage.db):
            rows = await storage.db.raw.execute_fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
            plans += [row[3] for row in rows]
        # (`found` is a handful of rows already picked through an index, then sorted.)
        assert not [p for p in plans if p.startswith("SCAN") and p != "SCAN found"], plans
    else:
        assert isinstance(storage, PostgresStorage)
        async with storage.db.connection() as session:
            await session.raw.execute("SET enable_seqscan = off")
            for sql, params in _chore_statements(storage.db):
                rows = await session.fetch_all(f"EXPLAIN {sql}", params)
                plans += [row[0] for row in rows]
            await session.raw.execute("RESET enable_seqscan")
        assert not [p for p in plans if "Seq Scan" in p], plans
    assert plans


async def test_sqlite_checkpoints_off_the_connection_that_answers(tmp_path: Path) -> None:
    """The commit that fills the WAL no longer copies it back while replies wait: the main
    connection never checkpoints; a connection of its own does (every second in the bot)."""
    storage = await SqliteStorage.open(tmp_path / "motcua.sqlite3")
    try:
        [(automatic,)] = await storage.db.raw.execute_fetchall("PRAGMA wal_autocheckpoint")
        assert automatic == 0
        for n in range(50):
            await storage.conversations.first_delivery("telegram", str(n), NOW)
        pages, copied = await storage.db.checkpoint()
        assert pages > 0 and copied == pages
    finally:
        await storage.close()
