"""Scheduled work, kept in our database (python-telegram-bot's JobQueue lives in memory).

The apology watch runs once per working day at a set time (07:30 by default): it sends the
officers the dossiers that need an apology now — due within the notice period or already
overdue (NĐ 61/2018/NĐ-CP Điều 19 k.9). The day it ran is recorded, so a restart neither
repeats it nor skips it: a bot started at 09:00 still sends that morning's list.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence

from bot.backoff import run_rounds
from core.outbox import OutboxKind
from handlers.apologies import due_list, repeated_supplements
from handlers.context import Services
from storage.base import ChatRef, OutboxMessage

log = logging.getLogger(__name__)


class ApologyWatch:
    JOB = "apology-watch"

    def __init__(
        self, services: Services, officer_chats: Sequence[ChatRef], run_at: dt.time
    ) -> None:
        self.services = services
        self.officer_chats = list(officer_chats)
        self.run_at = run_at

    async def run_if_due(self) -> bool:
        """Queue today's list for the officers if it is time and not done yet today."""
        services = self.services
        now = services.clock.now()
        today = now.date()
        if now.time() < self.run_at or not services.calendar.is_working_day(today):
            return False
        # Several processes (issue 18): one of them runs it, the others skip this round.
        async with services.storage.jobs.exclusively(self.JOB) as mine:
            if not mine or await services.storage.jobs.job_last_day(self.JOB) == today:
                return False
            await self._queue_list(today, now)
        return True

    async def _queue_list(self, today: dt.date, now: dt.datetime) -> None:
        services = self.services
        items = await due_list(services, today)
        repeated = await repeated_supplements(services)
        if (items or repeated) and self.officer_chats:
            await services.storage.outbox.enqueue(
                [
                    OutboxMessage(
                        dedupe_key=f"{self.JOB}:{today.isoformat()}:{c.channel}:{c.chat_id}",
                        channel=c.channel,
                        chat_id=c.chat_id,
                        kind=OutboxKind.APOLOGY_WATCH,
                        payload={"day": today.isoformat()},
                    )
                    for c in self.officer_chats
                ],
                now,
            )
            log.info("apology watch: %d dossier(s) need an apology", len(items))
        await services.storage.jobs.record_job_day(self.JOB, today, now)

    async def run(self, stop: asyncio.Event, interval: float = 30.0) -> None:
        # A fault of the database: one log line, longer waits (bot.backoff).
        await run_rounds(stop, "apology watch", interval, self.run_if_due)
