"""`motcua migrate-db` and `motcua backup`: moving a commune to PostgreSQL, consistent copies.

    motcua migrate-db --to postgresql://motcua@127.0.0.1/motcua   # the SQLite file → PostgreSQL
    motcua backup [--out data/backups/motcua-….sqlite3]            # SQLite: online backup
    motcua backup                                                  # PostgreSQL: pg_dump

Stop the bot before `migrate-db` (the copy is one snapshot: what the bot writes afterwards
stays in the SQLite file), then set MOTCUA_DATABASE_URL and start it again (docs/postgresql.md).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.output_files import not_written
from bot.settings import Settings
from storage.faults import fault_of
from storage.migrate import SchemaTooNew
from storage.postgres import PostgresStorage
from storage.sqlite import SqliteStorage
from storage.transfer import TransferRefused, backup_name, backup_sqlite, copy_to_postgres


def add_database_parsers(commands: Any) -> None:
    migrate = commands.add_parser(
        "migrate-db",
        help="chép toàn bộ dữ liệu từ tệp SQLite sang một cơ sở dữ liệu PostgreSQL mới",
    )
    migrate.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://người_dùng@máy:cổng/tên_csdl"
    )
    migrate.set_defaults(run=_migrate_db)

    backup = commands.add_parser(
        "backup", help="sao lưu cơ sở dữ liệu (SQLite: bản sao nhất quán khi bot vẫn chạy)"
    )
    backup.add_argument("--out", help="tệp sao lưu (mặc định: data/backups/motcua-<thời điểm>)")
    backup.set_defaults(run=_backup)


def _migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(migrate_db(args.to, settings))


async def migrate_db(url: str, settings: Settings) -> int:
    if not url.startswith(("postgresql://", "postgres://")):
        print("--to phải là địa chỉ PostgreSQL: postgresql://…", file=sys.stderr)
        return 2
    if not settings.database_file.exists():
        print(f"Không có tệp dữ liệu {settings.database_file} để chép.", file=sys.stderr)
        return 2
    source = await SqliteStorage.open(settings.database_file)
    try:
        try:
            target = await PostgresStorage.open(url, min_size=1, max_size=1)
        except (OSError, SchemaTooNew) as error:
            print(f"Không mở được cơ sở dữ liệu đích: {error}", file=sys.stderr)
            return 2
        try:
            counts = await copy_to_postgres(source, target)
        except TransferRefused as refused:
            print(str(refused), file=sys.stderr)
            return 2
        finally:
            await target.close()
    finally:
        await source.close()
    width = max(len(c.table) for c in counts)
    print(f"Đã chép {settings.database_file} sang PostgreSQL; số dòng mỗi bảng (nguồn = đích):")
    for count in counts:
        print(f"  {count.table:<{width}}  {count.source:>10,} = {count.target:,}")
    print("Đặt MOTCUA_DATABASE_URL bằng địa chỉ trên rồi khởi động lại bot.")
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    now = dt.datetime.now()
    if settings.database_url:
        return backup_postgres(settings.database_url, args.out, settings, now)
    out = (
        Path(args.out)
        if args.out
        else settings.data_dir / "backups" / f"{backup_name(now)}.sqlite3"
    )
    if not settings.database_file.exists():
        print(f"Không có tệp dữ liệu {settings.database_file} để sao lưu.", file=sys.stderr)
        return 2
    return asyncio.run(_backup_sqlite(settings.database_file, out))


async def _backup_sqlite(database: Path, out: Path) -> int:
    source = await SqliteStorage.open(database)
    try:
        counts = await backup_sqlite(source, out)
    except TransferRefused as refused:
        print(str(refused), file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error) as error:
        # The database is open and read in a snapshot: a fault now is the copy's (its disk
        # full or read-only); what it left is removed, and the line names the copy.
        if fault_of(error) is not None:
            raise not_written(out, error) from error
        raise
    finally:
        await source.close()
    rows = sum(count for _, count in counts)
    print(f"Đã sao lưu vào {out} ({len(counts)} bảng, {rows:,} dòng; kiểm tra toàn vẹn: ok).")
    print(f"Khôi phục: dừng bot, chép {out.name} thành {database}, khởi động lại.")
    return 0


def backup_postgres(url: str, out: str | None, settings: Settings, now: dt.datetime) -> int:
    """pg_dump's custom format: one consistent snapshot, taken while the bot runs."""
    target = Path(out) if out else settings.data_dir / "backups" / f"{backup_name(now)}.dump"
    command = ["pg_dump", "--format=custom", f"--file={target}", url]
    if shutil.which("pg_dump") is None:
        print(
            "Cần chương trình pg_dump (gói postgresql-client). Sao lưu bằng lệnh:", file=sys.stderr
        )
        print(f'  pg_dump --format=custom --file={target} "$MOTCUA_DATABASE_URL"', file=sys.stderr)
        print("Khôi phục: pg_restore --clean --if-exists --dbname=<URL> <tệp>", file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"pg_dump thất bại: {done.stderr.strip()}", file=sys.stderr)
        return 2
    print(f"Đã sao lưu vào {target} (pg_dump, định dạng custom).")
    print(f"Khôi phục vào một cơ sở dữ liệu trống: pg_restore --dbname=<URL> {target}")
    return 0
