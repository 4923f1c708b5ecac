"""Daily care (issue 7), durable like the apology watch (`bot.jobs`): the day it ran is recorded
in the database, so a restart neither repeats nor skips it.

- **Appointment-day reminders**: on working days at a set time (08:00 by default), every chat
  following a dossier whose result is ready and whose appointment day is today gets one reminder,
  once ever per dossier and chat ("đã có kết quả" itself went out when the status changed). At
  send time the reminder is dropped if the result was collected meanwhile.
- **Unlinking**: every day, chats are unlinked from dossiers finished (returned, refused…) more
  than `MOTCUA_UNLINK_RETURNED_DAYS` days ago (30 by default; 0 turns it off), and the consent
  to follow them is marked withdrawn: the bot keeps a chat linked to a dossier only as long as it
  is useful.

`DailyWatches` runs both watches (and the officers' apology list of `bot.jobs`) for a runner
that owns them: exactly one set per process, whichever channels it serves (`motcua run
--channel zalo` runs them in the Zalo runner; with `--channel all` the Telegram side owns them).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence

from bot.backoff import FaultBackoff, run_rounds
from bot.jobs import ApologyWatch
from handlers.context import Services
from storage.base import ChatRef

log = logging.getLogger(__name__)

CATCH_UP = dt.timedelta(days=7)


class CareWatch:
    REMINDERS = "ready-reminders"
    UNLINK = "unlink-finished"

    def __init__(self, services: Services) -> None:
        self.services = services

    JOB = "care"

    async def run_if_due(self) -> int:
        """Do what is due now; returns how many reminders were queued and links removed.
        Several processes (issue 18): one of them does it, the others skip this round."""
        async with self.services.storage.jobs.exclusively(self.JOB) as mine:
            return await self._due_now() if mine else 0

    async def _due_now(self) -> int:
        services = self.services
        policy, storage = services.care, services.storage
        now = services.clock.now()
        today = now.date()
        done = 0
        if (
            policy.ready_reminder
            and now.time() >= policy.ready_reminder_time
            and services.calendar.is_working_day(today)
            and await storage.jobs.job_last_day(self.REMINDERS) != today
        ):
            # The appointment day itself; after a stop, the days missed since the last run too
            # (at most a week back), so that nobody is reminded twice and nobody is skipped.
            last = await storage.jobs.job_last_day(self.REMINDERS)
            first = max(last + dt.timedelta(days=1), today - CATCH_UP) if last else today
            queued = await storage.care.queue_ready_reminders(first, today, now)
            await storage.jobs.record_job_day(self.REMINDERS, today, now)
            log.info("ready reminders: %d queued", queued)
            done += queued
        if policy.unlink_returned_days and await storage.jobs.job_last_day(self.UNLINK) != today:
            moment = now - dt.timedelta(days=policy.unlink_returned_days)
            removed = await storage.care.unlink_finished_before(moment, now)
            await storage.jobs.record_job_day(self.UNLINK, today, now)
            log.info("unlinked %d chat(s) from finished dossiers", removed)
            done += removed
        return done

    async def run(self, stop: asyncio.Event, interval: float = 60.0) -> None:
        # A fault of the database: one log line, longer waits (bot.backoff).
        await run_rounds(stop, "care watch", interval, self.run_if_due)


class DailyWatches:
    """The officers' morning apology list and citizen care, for a runner whose channel does not
    run them already; `ran` is set after each round (tests wait for it instead of sleeping)."""

    def __init__(
        self, services: Services, officer_chats: Sequence[ChatRef], apology_at: dt.time
    ) -> None:
        self.apology = ApologyWatch(services, officer_chats, apology_at)
        self.care = CareWatch(services)
        self.rounds = 0
        self.ran = asyncio.Event()
        self.interval = 30.0
        # Each watch on its own: one failing does not stop the other (bot.backoff's log lines).
        self._backoffs = (
            FaultBackoff("apology watch", self.interval),
            FaultBackoff("care watch", self.interval),
        )

    async def run_if_due(self) -> float:
        """One round of both watches; the seconds to wait before the next (longer while a
        fault of the database lasts)."""
        waits = []
        rounds = (self.apology.run_if_due, self.care.run_if_due)
        for run_if_due, backoff in zip(rounds, self._backoffs, strict=True):
            try:
                await run_if_due()
                waits.append(backoff.succeeded())
            except Exception as error:
                waits.append(backoff.failed(error))
        self.rounds += 1
        self.ran.set()
        return max(waits)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            wait = await self.run_if_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
