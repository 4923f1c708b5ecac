"""One aiosqlite connection per process: WAL, foreign keys, migrations at start-up.

Coroutines share the connection, so every storage method holds `self._lock` for its whole
duration: a transaction can never pick up another coroutine's statements halfway.

Long read-only queries (the quarterly report reads every dossier of a year: ~0.7 s at 100,000)
go to a second, read-only connection opened on first use (`_snapshot`): WAL lets it read a
consistent snapshot while the main connection keeps answering citizens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from storage.migrate import apply_migrations


class SqliteConnection:
    def __init__(self, connection: aiosqlite.Connection, path: Path | None = None) -> None:
        self._db = connection
        self._lock = asyncio.Lock()
        self._path = path  # None in memory: no second connection can see the data
        self._reader: aiosqlite.Connection | None = None
        self._reader_lock = asyncio.Lock()

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
            await apply_migrations(connection)
        except BaseException:
            await connection.close()
            raise
        return cls(connection, None if str(path) == ":memory:" else Path(path))

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error; callers hold `self._lock`."""
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        await self._db.execute("COMMIT")

    async def _snapshot(self, *queries: tuple[str, Sequence[Any]]) -> list[list[Any]]:
        """Run read-only queries in one consistent snapshot, without holding `self._lock`
        (in memory, where there is only one connection, under it)."""
        if self._path is None:
            async with self._lock:
                return [await self._all(sql, params) for sql, params in queries]
        async with self._reader_lock:
            if self._reader is None:
                uri = f"{self._path.resolve().as_uri()}?mode=ro"
                self._reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
                await self._reader.execute("PRAGMA busy_timeout=5000")
            reader = self._reader
            await reader.execute("BEGIN")  # one read transaction: one snapshot for all queries
            try:
                return [list(await reader.execute_fetchall(sql, p)) for sql, p in queries]
            finally:
                await reader.execute("COMMIT")

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run a query and fetch its rows in one trip to the database thread."""
        return list(await self._db.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def schema_version(self) -> int:
        async with self._lock:
            row = await self._one("SELECT MAX(version) FROM schema_migrations")
        return int(row[0] or 0) if row else 0


def optional_time(text: str | None) -> dt.datetime | None:
    """A nullable timestamp column → a datetime, or None."""
    return dt.datetime.fromisoformat(text) if text else None


def day_range(first: dt.date, last: dt.date) -> tuple[str, str]:
    """Days `first`..`last` (inclusive) as a half-open range of ISO text: `>= start AND < after`."""
    return first.isoformat(), (last + dt.timedelta(days=1)).isoformat()
