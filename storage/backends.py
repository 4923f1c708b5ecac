"""Which backend a deployment uses: PostgreSQL when a URL is configured, else the SQLite file."""

from __future__ import annotations

from pathlib import Path

from storage.base import Storage
from storage.postgres import PostgresStorage
from storage.sqlite import SqliteStorage


async def open_storage(database_url: str | None, sqlite_file: Path) -> Storage:
    """Open and migrate the database (MOTCUA_DATABASE_URL, or the data folder's SQLite file);
    raises storage.migrate.SchemaTooNew for a database written by a newer program."""
    if database_url:
        return await PostgresStorage.open(database_url)
    return await SqliteStorage.open(sqlite_file)
