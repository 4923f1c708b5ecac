"""A pool of asyncpg connections; migrations under an advisory lock at start-up.

Why asyncpg (rather than psycopg 3): the bot's ceiling is CPU per message on one event loop
(issue 18), and asyncpg spends the least of it per query — binary protocol, statements prepared
and cached per connection, no libpq layer; it has its own pool, and the API the next steps need
(`LISTEN/NOTIFY` listeners, `FOR UPDATE SKIP LOCKED` claims in explicit transactions, advisory
locks). Its one catch: behind PgBouncer in transaction mode its statement cache must be off
(docs/postgresql.md).

The areas' SQL is SQLite's (`?` parameters); `_numbered` rewrites it once per statement to
PostgreSQL's `$1, $2…`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from functools import lru_cache
from types import TracebackType
from typing import Any, Self, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.migrate import SchemaTooNew, postgres_migrations, statements
from storage.sql.session import Row

Connection = asyncpg.Connection | PoolConnectionProxy  # a pool's connections are proxies

# Any number will do, as long as nothing else in the database uses it: two processes starting
# at once migrate one after the other.
_MIGRATION_LOCK = 0x6D6F7463  # "motc"

log = logging.getLogger(__name__)


class PostgresDialect:
    def json_text(self, column: str, key: str) -> str:
        return f"({column}::json ->> '{key}')"

    @property
    def arrival_order(self) -> str:
        return "arrival"  # an identity column of zalo_inbox (migrations/postgresql/0009)

    @property
    def skip_locked(self) -> str:
        return " FOR UPDATE SKIP LOCKED"

    def rows_where(self, table: str, where: str) -> str:
        # `= ANY(ARRAY(…))`, not `IN (SELECT …)`: the outer DELETE then fetches the rows by
        # their ctid (a TID scan) instead of scanning the table to join.
        return f"ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {where} LIMIT ?))"


class PostgresSession:
    def __init__(self, connection: Connection) -> None:
        self.raw = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        status = await self.raw.execute(_numbered(sql), *params)
        return _row_count(status)

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self.raw.executemany(_numbered(sql), rows)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return cast(list[Row], await self.raw.fetch(_numbered(sql), *params))

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return cast(Row | None, await self.raw.fetchrow(_numbered(sql), *params))

    async def serialize_writes(self, table: str) -> None:
        """Inside a transaction: writers of `table` wait for this one (readers do not), as every
        writer waits in SQLite. For numbering within a year (MAX + 1) and the like."""
        await self.raw.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


class _Acquired:
    """A connection from the pool for one block, in a transaction or not."""

    __slots__ = ("_begin", "_connection", "_pool", "_transaction")

    def __init__(self, pool: asyncpg.Pool, begin: bool) -> None:
        self._pool = pool
        self._begin = begin
        self._connection: Any = None
        self._transaction: Any = None

    async def __aenter__(self) -> PostgresSession:
        self._connection = await self._pool.acquire()
        if self._begin:
            try:
                self._transaction = self._connection.transaction()
                await self._transaction.start()
            except BaseException:
                await self._pool.release(self._connection)
                raise
        return PostgresSession(self._connection)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None:
                if exc_type is None:
                    await self._transaction.commit()
                else:
                    try:
                        await self._transaction.rollback()
                    except Exception:  # keep the error that got us here (issue 15)
                        log.warning("ROLLBACK failed after an error", exc_info=True)
        finally:
            await self._pool.release(self._connection)


class PostgresDatabase:
    def __init__(self, pool: asyncpg.Pool, url: str | None = None) -> None:
        self.pool = pool
        self.dialect = PostgresDialect()
        self._url = url
        self._listener: asyncpg.Connection | None = None
        self._listener_lock = asyncio.Lock()
        self._listening: list[tuple[str, Callable[[str], None]]] = []
        self._reconnecting: asyncio.Task[None] | None = None
        self._closing = False

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> Self:
        """Connect (the URL as libpq takes it: postgresql://user@host:port/database?…) and
        bring the schema up to date; a database newer than this program is refused."""
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
        try:
            async with pool.acquire() as connection:
                await apply_migrations(connection)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url)

    def connection(self) -> _Acquired:
        return _Acquired(self.pool, begin=False)

    def transaction(self) -> _Acquired:
        return _Acquired(self.pool, begin=True)

    async def snapshot(self, *queries: tuple[str, Sequence[Any]]) -> list[list[Row]]:
        """One read-only REPEATABLE READ transaction on a connection of its own: the report's
        long read sees one moment and holds no lock that a writer waits for."""
        async with (
            self.pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            return [
                cast(list[Row], await connection.fetch(_numbered(sql), *params))
                for sql, params in queries
            ]

    async def snapshot_scan(
        self,
        scan: tuple[str, Sequence[Any]],
        each: Callable[[list[Row]], None],
        batch: int,
        *queries: tuple[str, Sequence[Any]],
    ) -> list[list[Row]]:
        """As `snapshot`; `scan` through a server-side cursor, `batch` rows a round trip."""
        async with (
            self.pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            found = [
                cast(list[Row], await connection.fetch(_numbered(sql), *params))
                for sql, params in queries
            ]
            cursor = await connection.cursor(_numbered(scan[0]), *scan[1])
            while rows := await cursor.fetch(batch):
                each(cast(list[Row], rows))
            return found

    async def schema_version(self) -> int:
        async with self.pool.acquire() as connection:
            return await _version(connection)

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """True in one process at a time: a session advisory lock on a connection held for the
        block (released at its end, or by the server when the process dies)."""
        key = _lock_key(name)
        async with self.pool.acquire() as connection:
            mine = bool(await connection.fetchval("SELECT pg_try_advisory_lock($1)", key))
            try:
                yield mine
            finally:
                if mine:
                    await connection.execute("SELECT pg_advisory_unlock($1)", key)

    async def notify(self, topic: str, payload: str = "") -> None:
        async with self.pool.acquire() as connection:
            await connection.execute("SELECT pg_notify($1, $2)", _topic(topic), payload)

    async def listen(self, topic: str, callback: Callable[[str], None]) -> None:
        """LISTEN on a connection of its own (a pool's connections are reset when released);
        if the server drops it, it is opened again (`_reconnect`)."""
        async with self._listener_lock:
            self._listening.append((_topic(topic), callback))
            if self._listener is None:
                await self._connect_listener()
            else:
                await self._listener.add_listener(_topic(topic), _heard(callback))

    async def _connect_listener(self) -> None:
        if self._url is None:
            raise RuntimeError("listening needs the database URL")
        connection = await asyncpg.connect(self._url)
        connection.add_termination_listener(self._listener_lost)
        for topic, callback in self._listening:
            await connection.add_listener(topic, _heard(callback))
        self._listener = connection

    def _listener_lost(self, _connection: object) -> None:
        if self._closing:
            return
        log.warning("the database closed the notices' connection: opening it again")
        self._listener = None
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.5
        while not self._closing:
            try:
                async with self._listener_lock:
                    await self._connect_listener()
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("notices' connection not open yet (%s): again in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            # Notices sent while it was closed are lost: every listener looks once ("").
            for _topic_name, callback in self._listening:
                callback("")
            return

    async def close(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        await self.pool.close()


async def apply_migrations(connection: Connection) -> int:
    """Bring the schema up to date (one transaction per migration, under an advisory lock so
    that processes starting together do not race); returns the resulting version."""
    await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
            ' name TEXT COLLATE "C" NOT NULL, applied_at TEXT COLLATE "C" NOT NULL)'
        )
        current = await _version(connection)
        migrations = postgres_migrations()
        if current > len(migrations):
            raise SchemaTooNew(
                f"database schema {current} is newer than this program ({len(migrations)})"
            )
        for migration in migrations[current:]:
            async with connection.transaction():
                for statement in statements(migration.sql):
                    await connection.execute(statement)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    dt.datetime.now(dt.UTC).isoformat(),
                )
            current = migration.version
        return current
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


async def _version(connection: Connection) -> int:
    value = await connection.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
    return int(value or 0)


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")


@lru_cache(maxsize=2048)
def _numbered(sql: str) -> str:
    """`?` → `$1, $2…`, leaving string literals alone."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _heard(callback: Callable[[str], None]) -> Callable[[object, int, str, object], None]:
    def heard(_connection: object, _pid: int, _channel: str, payload: object) -> None:
        callback(str(payload))

    return heard


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a name (stable across processes and versions)."""
    digest = hashlib.blake2b(f"motcua:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _topic(topic: str) -> str:
    """NOTIFY channels of this program are prefixed (the database may be shared)."""
    return f"motcua_{topic}"


def _row_count(status: str) -> int:
    """asyncpg's command tag ("UPDATE 3", "INSERT 0 1", "DELETE 0") → the rows changed."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
