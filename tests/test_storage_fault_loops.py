"""Issue 15 point 5 in the long-running loops: a fault of the database pauses the outbox worker,
the Zalo inbox, the daily watches and the terminal's notifications — one log line, longer waits
while it lasts — and they resume by themselves; nothing is lost, nothing is sent twice.

The fault is a held lock (another connection in BEGIN IMMEDIATE), as in test_storage_faults.py,
with a 50 ms busy timeout so that the tests do not wait SQLite's 5 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.backoff import LONGEST, FaultBackoff
from bot.care_jobs import DailyWatches
from bot.channels.zalo import event_key, parse_event
from bot.delivery import OutboxWorker
from bot.webhook_server import ZaloBot
from bot.workers import LeasedSender
from core.clock import FixedClock
from core.dossiers import Status
from core.messages import Reply, TextFormat
from handlers.context import Services
from storage.base import ChatRef, OutboxStatus
from storage.faults import FaultKind, fault_of
from tests.dossier_fixtures import dossier, with_hash
from tests.fake_zalo import FakeZalo, WebhookDriver
from tests.test_zalo import CITIZEN, zalo_options

NOW = dt.datetime(2026, 11, 23, 9, 0)
FOLLOWERS = [ChatRef("telegram", str(n)) for n in (101, 102, 103)]


def _raw(services: Services) -> Any:
    return services.storage.db.raw  # type: ignore[attr-defined]  # the SQLite connection


@contextmanager
def held_lock(database: Path) -> Iterator[sqlite3.Connection]:
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


async def _followed(services: Services) -> None:
    storage = services.storage
    await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    for chat in FOLLOWERS:
        await storage.follows.follow(chat, dossier().code_key, None, "đồng ý", NOW)
    changed = dossier(status=Status.READY, note="Mời nhận kết quả")
    await storage.dossiers.apply_dossiers([with_hash(changed)], NOW, "import:b.csv")
    await _raw(services).execute("PRAGMA busy_timeout = 50")


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within the time allowed")


class LockingSender:
    """Sends; when `lock_on` is reached, another program takes the write lock right after the
    message went out (so recording it fails)."""

    text_format = TextFormat.HTML

    def __init__(self, database: Path, lock_on: int | None = 1) -> None:
        self.database = database
        self.lock_on = lock_on
        self.sent: list[str] = []
        self.holder: sqlite3.Connection | None = None
        self.all_sent = asyncio.Event()

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        self.sent.append(chat_id)
        if len(self.sent) == self.lock_on:
            self.holder = sqlite3.connect(self.database, isolation_level=None)
            self.holder.execute("BEGIN IMMEDIATE")
        if len(set(self.sent)) == len(FOLLOWERS):
            self.all_sent.set()
        return f"m{len(self.sent)}"

    def release(self) -> None:
        assert self.holder is not None
        self.holder.execute("ROLLBACK")
        self.holder.close()


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_a_lock_in_the_middle_of_a_round_loses_nothing_and_sends_nothing_twice(
    services: Services, settings: Any, concurrency: int
) -> None:
    await _followed(services)
    sender = LockingSender(settings.database_file)
    worker = OutboxWorker(services, {"telegram": sender}, concurrency=concurrency)
    with pytest.raises(sqlite3.Error) as locked:
        await worker.deliver_due()
    assert fault_of(locked.value) is FaultKind.LOCKED
    assert len(sender.sent) == concurrency  # nothing more started once the fault was seen
    with pytest.raises(sqlite3.Error):  # still locked: the next round fails too, changes nothing
        await worker.deliver_due()
    sender.release()
    await worker.deliver_due()  # the lock gone: what the failed rounds left is settled first
    assert sorted(sender.sent) == ["101", "102", "103"]  # each once: none sent twice
    counts = await services.storage.outbox.outbox_counts()
    assert counts[OutboxStatus.SENT] == 3 and counts[OutboxStatus.SENDING] == 0
    ids = await _raw(services).execute_fetchall("SELECT message_id FROM outbox ORDER BY id")
    assert all(message_id for (message_id,) in ids)  # the first one's id recorded late


async def test_the_worker_loop_pauses_logs_once_and_resumes(
    services: Services, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    await _followed(services)
    sender = LockingSender(settings.database_file, lock_on=None)
    worker = OutboxWorker(services, {"telegram": sender})
    stop = asyncio.Event()
    caplog.set_level(logging.INFO)
    with held_lock(settings.database_file):
        loop = asyncio.create_task(worker.run(stop, interval=0.01))
        await until(lambda: any("paused" in r.message for r in caplog.records))
        await asyncio.sleep(0.3)  # several rounds, each waiting longer
    await asyncio.wait_for(sender.all_sent.wait(), 5)
    stop.set()
    await loop
    faults = [r for r in caplog.records if r.name == "bot.backoff"]
    assert [r.levelname for r in faults] == ["ERROR", "WARNING"]  # paused once, resumed once
    assert "outbox delivery paused: database locked" in faults[0].message
    assert "resumed" in faults[1].message
    assert all(r.exc_info is None for r in caplog.records)  # no traceback
    assert sorted(sender.sent) == ["101", "102", "103"]


def test_the_wait_doubles_while_a_fault_lasts_and_resets_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    locked = sqlite3.OperationalError("database is locked")
    full = sqlite3.OperationalError("database or disk is full")
    backoff = FaultBackoff("outbox delivery", 1.0)
    waits = [backoff.failed(locked) for _ in range(9)]
    assert waits == [1, 2, 4, 8, 16, 32, LONGEST, LONGEST, LONGEST]
    assert backoff.failed(full) == LONGEST  # another fault: logged, the wait goes on growing
    for _ in range(5000):  # a fault all night: no overflow, nothing more logged
        assert backoff.failed(full) == LONGEST
    assert backoff.succeeded() == 1.0
    assert backoff.failed(locked) == 1.0
    assert backoff.failed(ValueError("a bug")) == 1.0  # not the database: the usual pace
    records = [r for r in caplog.records if r.name == "bot.backoff"]
    lines = [(r.levelname, r.getMessage().split(":")[0]) for r in records]
    assert lines == [
        ("ERROR", "outbox delivery paused"),
        ("ERROR", "outbox delivery paused"),
        ("WARNING", "outbox delivery resumed"),
        ("ERROR", "outbox delivery paused"),
        ("ERROR", "outbox delivery failed"),
    ]
    assert records[-1].exc_info is not None  # a bug keeps its traceback


async def test_the_daily_watches_pause_on_a_lock_and_run_when_it_is_gone(
    services: Services, settings: Any, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    await _followed(services)
    clock.set(dt.datetime(2026, 11, 23, 8, 30))  # a Monday, after the 07:30 list and 08:00
    watches = DailyWatches(services, [ChatRef("telegram", "900")], dt.time(7, 30))
    with held_lock(settings.database_file):
        waits = [await watches.run_if_due() for _ in range(3)]
    assert waits == [30.0, 60.0, 60.0]  # longer while it lasts
    assert await services.storage.jobs.job_last_day(watches.care.UNLINK) is None
    faults = [r.getMessage().split(" (")[0] for r in caplog.records if r.name == "bot.backoff"]
    assert faults == ["apology watch paused: database locked", "care watch paused: database locked"]
    assert await watches.run_if_due() == 30.0
    assert await services.storage.jobs.job_last_day(watches.care.UNLINK) == clock.now().date()
    assert all(r.exc_info is None for r in caplog.records)


async def test_the_zalo_inbox_waits_out_a_lock_and_handles_every_event(
    services: Services, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeZalo() as fake:
        bot = ZaloBot(services, zalo_options(fake), serve=False, watches=False)
        await _raw(services).execute("PRAGMA busy_timeout = 50")
        driver = WebhookDriver("http://127.0.0.1:9/", fake=fake, clock=services.clock)
        for question in ("khai sinh cần gì", "kết hôn cần gì", "xin chào"):
            body = driver.payload("user_send_text", CITIZEN, question)
            key = event_key(parse_event(body))
            await services.storage.zalo.inbox_add(key, CITIZEN, body.decode(), services.clock.now())
        await driver.close()
        await bot.start()
        try:
            with held_lock(settings.database_file):
                bot.channel.wake.set()
                await until(lambda: any("Zalo inbox paused" in r.message for r in caplog.records))
                assert not fake.to(CITIZEN)
            for _ in range(500):  # every event handled once the lock is gone
                if not await services.storage.zalo.inbox_pending(10, 10):
                    break
                await asyncio.sleep(0.01)
            replies = "\n".join(sent.text for sent in fake.to(CITIZEN)).casefold()
            assert "khai sinh" in replies and "kết hôn" in replies
        finally:
            await bot.stop()
    assert all(r.exc_info is None for r in caplog.records if r.name == "bot.backoff")


async def test_zalo_tokens_renewed_while_the_database_is_locked_are_not_lost(
    services: Services, settings: Any
) -> None:
    """Refresh tokens are single-use: the new pair, not saved, must still be the one used."""
    async with FakeZalo() as fake:
        bot = ZaloBot(
            services,
            zalo_options(fake, access_token=None, refresh_token="refresh-1"),
            serve=False,
        )
        await bot.keeper.load()
        await _raw(services).execute("PRAGMA busy_timeout = 50")
        with held_lock(settings.database_file):
            assert await bot.keeper.access_token() == "access-2"  # renewed, not saved
            assert bot.keeper.unsaved and not bot.keeper.broken
        assert await bot.keeper.access_token() == "access-2"  # saved at its next use
        stored = await services.storage.zalo.zalo_tokens()
        assert stored is not None and stored.refresh_token == "refresh-2"
        assert not bot.keeper.unsaved and len(fake.refreshes) == 1
        await bot.http.aclose()


async def test_the_leased_sender_pauses_on_a_lock_and_sends_when_it_is_gone(
    services: Services, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 18's sender (one process per channel holds its lease): the same as the worker."""
    await _followed(services)
    sender = LockingSender(settings.database_file, lock_on=None)
    leased = LeasedSender(
        services,
        "telegram",
        OutboxWorker(services, {"telegram": sender}),
        "worker-1",
        dt.timedelta(seconds=30),
        interval=0.01,
    )
    leased.RATE_WINDOW = 0.0  # no other sender to leave a second for
    stop = asyncio.Event()
    with held_lock(settings.database_file):
        loop = asyncio.create_task(leased.run(stop))
        await until(lambda: any("outbox paused" in r.message for r in caplog.records))
        await asyncio.sleep(0.3)  # several rounds, each waiting longer
    await asyncio.wait_for(sender.all_sent.wait(), 5)
    stop.set()
    await loop
    faults = [r for r in caplog.records if r.name == "bot.backoff"]
    assert [r.levelname for r in faults] == ["ERROR", "WARNING"]  # paused once, resumed once
    assert "telegram outbox paused: database locked" in faults[0].message
    assert sorted(sender.sent) == ["101", "102", "103"]
