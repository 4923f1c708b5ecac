"""Every backend the storage tests run on: SQLite (a file, and in memory) and PostgreSQL.

PostgreSQL is reached at MOTCUA_TEST_POSTGRES_URL (default: the project machines' server,
postgresql://postgres@127.0.0.1:5432/postgres). Each test gets a database of its own, copied
from a template migrated once per session (copying is several times faster than migrating),
and drops it.
Without a reachable server those tests are skipped with the reason; with
MOTCUA_REQUIRE_POSTGRES=1 (as .ci/run sets) they fail instead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from storage.base import Storage
from storage.postgres import PostgresStorage
from storage.sqlite import SqliteStorage

# Read once, at import: the tests' own fixture clears MOTCUA_* variables for every test.
ADMIN_URL = os.environ.get(
    "MOTCUA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("MOTCUA_REQUIRE_POSTGRES", "") not in ("", "0")
_PREFIX = f"motcua_test_{os.getpid()}"
_numbers = itertools.count(1)


def database_url(name: str) -> str:
    """The admin URL with another database."""
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


class PostgresServer:
    """The server for this test session: reachable or not (and why), a migrated template, and
    databases copied from it ahead of need.

    Creating and dropping a database takes longer than most tests, so a thread of its own does
    both while tests run: a couple of copies are kept ready, and a test's database is dropped
    behind it (all are dropped before the session ends)."""

    READY = 2

    def __init__(self) -> None:
        self.problem: str | None = None
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._admin: asyncpg.Connection | None = None
        self._template: str | None = None
        self._ready: asyncio.Queue[str] | None = None
        self._pending: set[asyncio.Future[None]] = set()
        self._busy: asyncio.Lock | None = None  # one statement at a time on the admin connection

    def take(self) -> str:
        """A fresh migrated database's name, or skip (fail when PostgreSQL is required)."""
        if not self._started:
            self._start()
        if self._loop is None or self._ready is None:
            reason = f"PostgreSQL not reachable at {ADMIN_URL} ({self.problem})"
            if REQUIRE_POSTGRES:
                pytest.fail(f"{reason}; MOTCUA_REQUIRE_POSTGRES is set", pytrace=False)
            pytest.skip(reason)
        return asyncio.run_coroutine_threadsafe(self._ready.get(), self._loop).result(60)

    def give_back(self, name: str) -> None:
        """Drop the test's database (behind the test) and make another ready."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._schedule, self._drop_then_refill(name))

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._finish(), self._loop).result(120)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop.close()

    def _start(self) -> None:
        self._started = True
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="postgres-admin", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._prepare(), loop).result(120)
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            self.problem = f"{type(error).__name__}: {error}"
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
            return
        self._loop, self._thread = loop, thread

    async def _prepare(self) -> None:
        self._admin = await asyncpg.connect(ADMIN_URL, timeout=5)
        self._busy = asyncio.Lock()
        template = f"{_PREFIX}_template"
        await self._admin.execute(f"DROP DATABASE IF EXISTS {template}")
        await self._admin.execute(f"CREATE DATABASE {template}")
        migrated = await PostgresStorage.open(database_url(template), min_size=1, max_size=1)
        await migrated.close()  # a template must have no connection when it is copied
        self._template = template
        self._ready = asyncio.Queue()
        for _ in range(self.READY):
            self._schedule(self._create())

    def _schedule(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _admin_execute(self, sql: str) -> None:
        assert self._admin is not None and self._busy is not None
        async with self._busy:
            await self._admin.execute(sql)

    async def _create(self) -> None:
        assert self._ready is not None
        name = f"{_PREFIX}_{next(_numbers)}"
        await self._admin_execute(f"CREATE DATABASE {name} TEMPLATE {self._template}")
        self._ready.put_nowait(name)

    async def _drop_then_refill(self, name: str) -> None:
        await self._admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await self._create()

    async def _finish(self) -> None:
        while self._pending:
            failed = await asyncio.gather(*self._pending, return_exceptions=True)
            if errors := [e for e in failed if isinstance(e, BaseException)]:
                raise errors[0]
        assert self._admin is not None and self._ready is not None
        while not self._ready.empty():
            await self._admin_execute(f"DROP DATABASE IF EXISTS {self._ready.get_nowait()}")
        await self._admin_execute(f"DROP DATABASE IF EXISTS {self._template} WITH (FORCE)")
        await self._admin.close()


Opener = Callable[[Path], Awaitable[Storage]]


async def sqlite_file(tmp_path: Path) -> SqliteStorage:
    return await SqliteStorage.open(tmp_path / "data" / "motcua.sqlite3")


async def sqlite_memory(_tmp_path: Path) -> SqliteStorage:
    return await SqliteStorage.open(":memory:")


BACKENDS = ["sqlite-file", "sqlite-memory", "postgresql"]


@asynccontextmanager
async def open_backend(name: str, tmp_path: Path, server: PostgresServer) -> AsyncIterator[Storage]:
    """A fresh, migrated, empty database of this backend, closed (and dropped) at the end."""
    if name == "postgresql":
        database = server.take()
        try:
            storage: Storage = await PostgresStorage.open(
                database_url(database), min_size=1, max_size=4
            )
            try:
                yield storage
            finally:
                await storage.close()
        finally:
            server.give_back(database)
        return
    storage = await (sqlite_file if name == "sqlite-file" else sqlite_memory)(tmp_path)
    try:
        yield storage
    finally:
        await storage.close()
