"""One aiosqlite connection per process: WAL, foreign keys, migrations at start-up.

Coroutines share the connection, so every session holds `_lock` for its whole duration: a
transaction can never pick up another coroutine's statements halfway.

Long read-only queries (the quarterly report reads every dossier of a year: ~0.7 s at 100,000)
go to a second, read-only connection opened on first use (`snapshot`): WAL lets it read a
consistent snapshot while the main connection keeps answering citizens.

Checkpoints (copying the WAL back into the database file) run on a third connection, every
second, in PASSIVE mode (never waiting for a reader or a writer): left to SQLite's automatic
checkpoint, the commit that crosses 1,000 pages copies them while holding `_lock`, and every
reply waits for it (~0.3 s during the unlinking chore at 1 M dossiers; bench/chores.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from storage.migrate import apply_migrations
from storage.sql.session import Row

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 1.0  # seconds


def _unless_writable(path: Path, error: sqlite3.Error) -> None:
    """SQLite says only "unable to open database file" when the folder or the file cannot be
    written (a read-only disk, a file without write permission): say which (storage.faults)."""
    for target in (path.parent, path):
        if target.exists() and not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, "cannot write", str(target)) from error


class SqliteDialect:
    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    @property
    def arrival_order(self) -> str:
        return "rowid"

    @property
    def skip_locked(self) -> str:
        return ""

    def rows_where(self, table: str, where: str) -> str:
        return f"rowid IN (SELECT rowid FROM {table} WHERE {where} LIMIT ?)"


class SqliteSession:
    """The one connection, used by whoever holds the lock."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._db.execute(sql, params)
        return cursor.rowcount

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._db.executemany(sql, rows)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a query and fetch its rows in one trip to the database thread."""
        return list(await self._db.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def serialize_writes(self, table: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE made this the only writer."""


class _Locked:
    """`async with database.connection()`: the lock, then the session (a class rather than a
    generator: it is entered for every statement on the hot path)."""

    __slots__ = ("_begin", "_database")

    def __init__(self, database: SqliteDatabase, begin: bool) -> None:
        self._database = database
        self._begin = begin

    async def __aenter__(self) -> SqliteSession:
        database = self._database
        await database._lock.acquire()
        if self._begin:
            try:
                await database.raw.execute("BEGIN IMMEDIATE")
            except BaseException:
                database._lock.release()
                raise
        return database._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        database = self._database
        try:
            if self._begin and exc_type is None:
                try:
                    await database.raw.execute("COMMIT")
                except BaseException:
                    await database.rollback_quietly()  # a failed COMMIT may leave it open
                    raise
            elif self._begin:
                await database.rollback_quietly()
        finally:
            database._lock.release()


class SqliteDatabase:
    def __init__(self, connection: aiosqlite.Connection, path: Path | None = None) -> None:
        self.raw = connection  # tests read rows through it; the code goes through sessions
        self.dialect = SqliteDialect()
        self._session = SqliteSession(connection)
        self._lock = asyncio.Lock()
        self._path = path  # None in memory: no second connection can see the data
        self._reader: aiosqlite.Connection | None = None
        self._reader_lock = asyncio.Lock()
        self._checkpoints: asyncio.Task[None] | None = None
        self._checkpointer: aiosqlite.Connection | None = None
        # One process: exclusive jobs and notices stay inside it (issue 18's several
        # processes need PostgreSQL).
        self._exclusive: set[str] = set()
        self._listeners: dict[str, list[Callable[[str], None]]] = {}
        if path is not None:
            self._checkpoints = asyncio.create_task(self._checkpoint_every(CHECKPOINT_EVERY))

    @classmethod
    async def open(cls, path: Path | str) -> Self:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            await connection.execute("PRAGMA wal_autocheckpoint=0")  # see the module's docstring
            await apply_migrations(connection)
        except BaseException as error:
            await connection.close()
            if isinstance(error, sqlite3.Error) and str(path) != ":memory:":
                _unless_writable(Path(path), error)
            raise
        return cls(connection, None if str(path) == ":memory:" else Path(path))

    async def rollback_quietly(self) -> None:
        """Roll back what is still open, keeping the error that got us here: on a full disk or
        an I/O error SQLite has already rolled back itself, and a ROLLBACK then fails with
        "cannot rollback - no transaction is active", which hid the real fault (issue 15)."""
        if not self.raw.in_transaction:
            return
        try:
            await self.raw.execute("ROLLBACK")
        except sqlite3.Error:
            log.warning("ROLLBACK failed after an error", exc_info=True)

    @property
    def lock(self) -> asyncio.Lock:
        """Held by every session of the main connection (a test holds it to show that a
        report does not wait for it)."""
        return self._lock

    def connection(self) -> _Locked:
        return _Locked(self, begin=False)

    def transaction(self) -> _Locked:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
        return _Locked(self, begin=True)

    async def snapshot(self, *queries: tuple[str, Sequence[Any]]) -> list[list[Row]]:
        """Run read-only queries in one consistent snapshot, without holding `_lock` (in
        memory, where there is only one connection, under it)."""
        return await self._read(None, lambda rows: None, 0, queries)

    async def snapshot_scan(
        self,
        scan: tuple[str, Sequence[Any]],
        each: Callable[[list[Row]], None],
        batch: int,
        *queries: tuple[str, Sequence[Any]],
    ) -> list[list[Row]]:
        """As `snapshot`; `scan`'s rows fetched `batch` at a time from one cursor."""
        return await self._read(scan, each, batch, queries)

    async def _read(
        self,
        scan: tuple[str, Sequence[Any]] | None,
        each: Callable[[list[Row]], None],
        batch: int,
        queries: Sequence[tuple[str, Sequence[Any]]],
    ) -> list[list[Row]]:
        if self._path is None:
            async with self.connection():
                return await _fetch(self.raw, scan, each, batch, queries)
        async with self._reader_lock:
            if self._reader is None:
                uri = f"{self._path.resolve().as_uri()}?mode=ro"
                self._reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
                await self._reader.execute("PRAGMA busy_timeout=5000")
            reader = self._reader
            await reader.execute("BEGIN")  # one read transaction: one snapshot for all queries
            try:
                return await _fetch(reader, scan, each, batch, queries)
            finally:
                await reader.execute("COMMIT")

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """True unless this process is already inside a block of the same name."""
        if name in self._exclusive:
            yield False
            return
        self._exclusive.add(name)
        try:
            yield True
        finally:
            self._exclusive.discard(name)

    async def notify(self, topic: str, payload: str = "") -> None:
        for callback in list(self._listeners.get(topic, ())):
            asyncio.get_running_loop().call_soon(callback, payload)

    async def listen(self, topic: str, callback: Callable[[str], None]) -> None:
        self._listeners.setdefault(topic, []).append(callback)

    async def schema_version(self) -> int:
        async with self.connection() as session:
            row = await session.fetch_one("SELECT MAX(version) FROM schema_migrations")
        return int(row[0] or 0) if row else 0

    async def _checkpoint_every(self, seconds: float) -> None:
        failing: str | None = None  # a checkpoint failing every second is logged once
        try:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await self.checkpoint()
                except sqlite3.Error as error:  # the next one copies what this one could not
                    if str(error) != failing:
                        log.warning("WAL checkpoint failed: %s", error)
                    failing = str(error)
                else:
                    failing = None
        finally:
            if self._checkpointer is not None:
                await self._checkpointer.close()
                self._checkpointer = None

    async def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL into the database file as far as no reader needs it (PASSIVE), on a
        connection of its own; (pages in the WAL, pages copied)."""
        assert self._path is not None
        if self._checkpointer is None:
            self._checkpointer = await aiosqlite.connect(str(self._path), isolation_level=None)
        rows = await self._checkpointer.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        _busy, pages, copied = next(iter(rows))
        return int(pages), int(copied)

    async def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpoints
            self._checkpoints = None
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        await self.raw.close()


async def _fetch(
    connection: aiosqlite.Connection,
    scan: tuple[str, Sequence[Any]] | None,
    each: Callable[[list[Row]], None],
    batch: int,
    queries: Sequence[tuple[str, Sequence[Any]]],
) -> list[list[Row]]:
    found: list[list[Row]] = [list(await connection.execute_fetchall(sql, p)) for sql, p in queries]
    if scan is not None:
        async with connection.execute(*scan) as cursor:
            while rows := await cursor.fetchmany(batch):
                each(list(rows))
    return found
