"""The PostgreSQL backend (issue 18), through asyncpg: several processes, one database.

Selected by `MOTCUA_DATABASE_URL=postgresql://…`; the areas' SQL is the one SQLite runs
(`storage.sql`), the schema comes from the same migrations (`storage.migrate`).
"""

from __future__ import annotations

from typing import Self

from storage.postgres.connection import PostgresDatabase
from storage.sql import SqlStorage


class PostgresStorage(SqlStorage[PostgresDatabase]):
    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> Self:
        """Connect a pool and migrate; raises storage.migrate.SchemaTooNew for a database
        written by a newer program."""
        return cls(await PostgresDatabase.open(url, min_size=min_size, max_size=max_size))


__all__ = ["PostgresStorage"]
