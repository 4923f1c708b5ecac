"""The SQLite backend, through aiosqlite: one file in the data folder, WAL, foreign keys.

The areas' SQL is shared with every backend (`storage.sql`); this package supplies the
connection (`connection.SqliteDatabase`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from storage.sql import SqlStorage
from storage.sqlite.connection import SqliteDatabase


class SqliteStorage(SqlStorage[SqliteDatabase]):
    @classmethod
    async def open(cls, path: Path | str) -> Self:
        """Open (creating it if needed) and migrate the database file, or ":memory:"."""
        return cls(await SqliteDatabase.open(path))


__all__ = ["SqliteStorage"]
