"""Chores over big tables, in small batches: a reply never waits for more than one batch.

Every daily or hourly job finds its rows through an index (tests/test_chores.py reads the query
plans on both backends) and works in small batches (`BATCH` rows per delete here,
`storage.sql.care.UNLINK_BATCH` follows per unlinking transaction), each its own statement or
transaction: between two batches the connection (SQLite: the one connection's lock) goes back to
whoever waits — the replies. On PostgreSQL a batch holds row locks only on the rows it changes,
which no reply reads under a lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from storage.sql.session import Database

BATCH = 500


def batch_delete_sql(db: Database, table: str, where: str) -> str:
    """DELETE of at most `?` rows matching `where` (its parameters first, then the limit)."""
    return f"DELETE FROM {table} WHERE {db.dialect.rows_where(table, where)}"


async def delete_in_batches(
    db: Database, table: str, where: str, params: Sequence[Any], batch: int = BATCH
) -> int:
    """Delete every row matching `where`, `batch` rows per statement; how many in all."""
    sql = batch_delete_sql(db, table, where)
    deleted = 0
    while True:
        async with db.connection() as session:
            count = await session.execute(sql, [*params, batch])
        deleted += count
        if count < batch:
            return deleted
        await asyncio.sleep(0)  # let waiting replies take the connection first
