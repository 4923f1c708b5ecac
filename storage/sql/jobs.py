"""The daily jobs' bookkeeping: the last day each one ran (so a restart does not run it twice)."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager

from storage.sql.session import Database


class SqlJobs:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def job_last_day(self, job: str) -> dt.date | None:
        async with self.db.connection() as session:
            row = await session.fetch_one("SELECT last_day FROM job_runs WHERE job = ?", (job,))
        return dt.date.fromisoformat(row[0]) if row else None

    async def record_job_day(self, job: str, day: dt.date, now: dt.datetime) -> None:
        async with self.db.connection() as session:
            await session.execute(
                "INSERT INTO job_runs (job, last_day, ran_at) VALUES (?, ?, ?)"
                " ON CONFLICT (job) DO UPDATE SET last_day = excluded.last_day,"
                " ran_at = excluded.ran_at",
                (job, day.isoformat(), now.isoformat()),
            )

    def exclusively(self, job: str) -> AbstractAsyncContextManager[bool]:
        return self.db.exclusive(f"job:{job}")
