"""Moving a commune from its SQLite file to PostgreSQL (`motcua migrate-db`), and backups.

The copy is all or nothing: every table in one PostgreSQL transaction, read from one SQLite
snapshot, rows counted on both sides before the commit. A target that holds any row is refused
(a copy never merges into, or overwrites, another commune's data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from storage.postgres import PostgresStorage
from storage.postgres.connection import Connection
from storage.sqlite import SqliteStorage

ROWS_PER_COPY = 10_000


class TransferRefused(Exception):
    """The target cannot take the copy; the message says why (in Vietnamese, for officers)."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int


async def copy_to_postgres(
    source: SqliteStorage,
    target: PostgresStorage,
    progress: Callable[[str, int], None] | None = None,
) -> list[TableCount]:
    """Copy every table (parents before children), check the counts, then commit; raises
    TransferRefused (nothing written) for a non-empty target or counts that differ."""
    sqlite = source.db.raw
    tables = await _tables_in_order(sqlite)
    async with target.db.pool.acquire() as connection:
        filled = [
            t for t in tables if await connection.fetchval(f"SELECT EXISTS (SELECT 1 FROM {t})")
        ]
        if filled:
            raise TransferRefused(
                "Cơ sở dữ liệu đích đã có dữ liệu (bảng " + ", ".join(filled) + "): bot chỉ chép"
                " vào một cơ sở dữ liệu PostgreSQL mới, trống. Hãy tạo một cơ sở dữ liệu mới."
            )
        counts: list[TableCount] = []
        await sqlite.execute("BEGIN")  # one snapshot of the source, whatever writes meanwhile
        try:
            async with connection.transaction():
                for table in tables:
                    copied = await _copy_table(sqlite, connection, table, progress)
                    counts.append(copied)
                await _restart_identities(connection)
                wrong = [c for c in counts if c.source != c.target]
                if wrong:
                    raise TransferRefused(
                        "Số dòng chép được không khớp (đã hủy, không ghi gì): "
                        + ", ".join(f"{c.table} {c.source} → {c.target}" for c in wrong)
                    )
        finally:
            await sqlite.execute("COMMIT")
    return counts


async def _tables_in_order(sqlite: aiosqlite.Connection) -> list[str]:
    """The data tables, each after the tables its foreign keys point to."""
    names = [
        row[0]
        for row in await sqlite.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name <> 'schema_migrations' ORDER BY rowid"
        )
    ]
    parents = {
        name: {row[2] for row in await sqlite.execute_fetchall(f"PRAGMA foreign_key_list({name})")}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= {*ordered, n}]
        if not ready:
            raise RuntimeError(
                f"foreign keys form a cycle among {sorted(set(names) - set(ordered))}"
            )
        ordered += ready
    return ordered


async def _copy_table(
    sqlite: aiosqlite.Connection,
    connection: Connection,
    table: str,
    progress: Callable[[str, int], None] | None,
) -> TableCount:
    source_columns = [
        row[1] for row in await sqlite.execute_fetchall(f"PRAGMA table_info({table})")
    ]
    types = {
        row[0]: row[1]
        for row in await connection.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1"
            " AND is_generated = 'NEVER' AND identity_generation IS DISTINCT FROM 'ALWAYS'",
            table,
        )
    }
    columns = [c for c in source_columns if c in types]
    convert = [_converter(types[c]) for c in columns]
    copied = 0
    async with sqlite.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid") as rows:
        while batch := await rows.fetchmany(ROWS_PER_COPY):
            records = [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in batch]
            await connection.copy_records_to_table(table, records=records, columns=columns)
            copied += len(records)
            if progress:
                progress(table, copied)
    source = await sqlite.execute_fetchall(f"SELECT COUNT(*) FROM {table}")
    target = await connection.fetchval(f"SELECT COUNT(*) FROM {table}")
    return TableCount(table, int(next(iter(source))[0]), int(target))


def _converter(data_type: str) -> Callable[[Any], Any]:
    """SQLite keeps what it was given; PostgreSQL's binary COPY wants the column's own type."""
    if data_type == "bigint":
        return lambda v: None if v is None else int(v)
    if data_type == "bytea":
        return lambda v: None if v is None else bytes(v)
    return lambda v: None if v is None else str(v)


async def _restart_identities(connection: Connection) -> None:
    """Copied ids were given explicitly: the next generated id follows the largest."""
    for table, column in await connection.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        " AND identity_generation = 'BY DEFAULT'"
    ):
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence($1, $2),"
            f" COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)",
            table,
            column,
        )


# -- backups -------------------------------------------------------------------------------


async def backup_sqlite(source: SqliteStorage, target: Path) -> Sequence[tuple[str, int]]:
    """A consistent copy of the database while the bot runs (SQLite's online backup API, page
    by page), checked (integrity_check) and counted table by table."""
    if _exists(target):
        raise TransferRefused(f"Tệp {target} đã có: chọn tên khác.")
    async with aiosqlite.connect(str(target)) as copy:
        await source.db.raw.backup(copy)
        [(verdict,)] = await copy.execute_fetchall("PRAGMA integrity_check")
        if verdict != "ok":
            raise TransferRefused(f"Bản sao {target} không nguyên vẹn: {verdict}")
        names = [
            row[0]
            for row in await copy.execute_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = []
        for name in names:
            [(count,)] = await copy.execute_fetchall(f"SELECT COUNT(*) FROM {name}")
            counts.append((name, int(count)))
    return counts


def _exists(path: Path) -> bool:
    """(Before the copy starts; a folder is made for it.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.exists()


def backup_name(now: dt.datetime) -> str:
    return f"motcua-{now.strftime('%Y%m%d-%H%M%S')}"
