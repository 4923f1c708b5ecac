"""A real process, killed with SIGKILL while sending, loses no notification.

The child process delivers the outbox with a sender that hangs on the wire; the test kills it
there, then restarts delivery in this process: every follower gets exactly one message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.app import load_knowledge, running_services
from bot.delivery import OutboxWorker
from bot.settings import Settings
from core.clock import FixedClock
from core.dossiers import Status
from storage.base import ChatRef, OutboxStatus
from tests.dossier_fixtures import dossier, with_hash
from tests.test_outbox_delivery import RecordingSender

NOW = dt.datetime(2026, 11, 23, 9, 0)
FOLLOWERS = [ChatRef("telegram", str(n)) for n in (201, 202, 203)]

CHILD = """
import asyncio, datetime as dt, sys
from pathlib import Path
from bot.app import running_services
from bot.delivery import OutboxWorker
from bot.settings import Settings
from core.clock import FixedClock
from core.messages import TextFormat

marker = Path(sys.argv[1])

class HangingSender:
    text_format = TextFormat.HTML
    async def send(self, chat_id, reply):
        marker.write_text(chat_id)
        await asyncio.Event().wait()  # the wire hangs; the parent kills us here

async def main():
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0))
    async with running_services(Settings(_env_file=None), clock=clock) as services:
        await OutboxWorker(services, {"telegram": HangingSender()}).deliver_due()

asyncio.run(main())
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_sigkill_while_sending_then_restart_delivers_each_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    knowledge = load_knowledge(settings)
    clock = FixedClock(NOW)
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a")
        for chat in FOLLOWERS:
            await services.storage.follows.follow(chat, dossier().code_key, None, "đồng ý", NOW)
        ready = dossier(status=Status.READY)
        outcome = await services.storage.dossiers.apply_dossiers(
            [with_hash(ready)], NOW, "import:b"
        )
        assert outcome.notifications == 3

    marker = tmp_path / "sending"
    env = {**os.environ, "MOTCUA_DATA_DIR": str(data_dir)}
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD, str(marker), env=env)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():  # waiting for another process, not for time to pass
            assert child.returncode is None, "the delivering process ended early"
            assert time.monotonic() < deadline, "the delivering process never started sending"
            await asyncio.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        await asyncio.wait_for(child.wait(), timeout=30)
    assert child.returncode == -signal.SIGKILL

    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        assert (await services.storage.outbox.outbox_counts())[OutboxStatus.SENDING] == 3
        sender = RecordingSender()
        worker = OutboxWorker(services, {"telegram": sender})
        assert await worker.recover() == 3
        await worker.deliver_due()
        assert sorted(chat for chat, _ in sender.sent) == ["201", "202", "203"]
        counts = await services.storage.outbox.outbox_counts()
        assert counts[OutboxStatus.SENT] == 3 and counts[OutboxStatus.SENDING] == 0
