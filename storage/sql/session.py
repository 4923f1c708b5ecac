"""What the area implementations need from a database: sessions, transactions, a snapshot.

The SQL of every area is written once (`storage.sql.*`) against these two small interfaces, in
the dialect both backends share (`?` parameters, `INSERT … ON CONFLICT`, `RETURNING`, ISO-8601
text for moments); a backend (`storage.sqlite`, `storage.postgres`) supplies the connection,
the transaction and the few expressions that differ (`Dialect`).
"""

from __future__ import annotations

from collections.abc import Sequence
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


class Dialect(Protocol):
    """The expressions the backends spell differently."""

    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of `key` in the JSON object stored (as text) in `column`."""
        ...

    @property
    def arrival_order(self) -> str:
        """A column that orders a table's rows by insertion (SQLite's rowid…)."""
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

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...
