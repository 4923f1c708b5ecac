"""What the area implementations need from a database: sessions, transactions, a snapshot.

The SQL of every area is written once (`storage.sql.*`) against these two small interfaces, in
the dialect both backends share (`?` parameters, `INSERT … ON CONFLICT`, `RETURNING`, ISO-8601
text for moments); a backend (`storage.sqlite`, `storage.postgres`) supplies the connection,
the transaction and the few expressions that differ (`Dialect`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Row = Sequence[Any]


class Session(Protocol):
    """One connection, inside a transaction or not (then each statement commits by itself)."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; how many rows it changed."""
        ...

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def serialize_writes(self, table: str) -> None:
        """Inside a transaction: other writers of `table` wait until it ends (they always do in
        SQLite; PostgreSQL locks the table against writers, never against readers). Before a
        read-then-write such as numbering within the year (MAX + 1)."""
        ...


class Dialect(Protocol):
    """The expressions the backends spell differently."""

    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of `key` in the JSON object stored (as text) in `column`."""
        ...

    @property
    def arrival_order(self) -> str:
        """The column that orders zalo_inbox's rows by arrival."""
        ...

    def rows_where(self, table: str, where: str) -> str:
        """A predicate for at most `?` rows of `table` matching `where` (found by an index),
        for deleting in batches: SQLite by rowid, PostgreSQL by ctid."""
        ...

    @property
    def skip_locked(self) -> str:
        """What ends a SELECT of rows to claim so that concurrent claimers skip each other's
        (nothing in SQLite, where one writer runs at a time)."""
        ...


class Database(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    def connection(self) -> AbstractAsyncContextManager[Session]:
        """A session for statements that are atomic by themselves."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Session]:
        """A session inside one write transaction: committed at the end of the block, rolled
        back if it raises."""
        ...

    async def snapshot(self, *queries: tuple[str, Sequence[Any]]) -> list[list[Row]]:
        """Long read-only queries in one consistent snapshot, without holding up the
        connections that answer citizens."""
        ...

    async def snapshot_scan(
        self,
        scan: tuple[str, Sequence[Any]],
        each: Callable[[list[Row]], None],
        batch: int,
        *queries: tuple[str, Sequence[Any]],
    ) -> list[list[Row]]:
        """As `snapshot` for `queries`, and in the same snapshot `scan`'s rows handed to `each`
        `batch` at a time, none kept (a year of a province's dossiers: issue 19)."""
        ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        """True in one process at a time for `name` (PostgreSQL: an advisory lock)."""
        ...

    async def notify(self, topic: str, payload: str = "") -> None: ...

    async def listen(self, topic: str, callback: Callable[[str], None]) -> None: ...

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...
