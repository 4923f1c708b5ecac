"""A broadcast survives SIGKILL of the delivering process: after a restart every recipient is
served, and only a message that was on the wire when the process died is sent twice.

What the outbox guarantees: the recipients became outbox rows in the transaction that confirmed
the broadcast, so none can be lost; a worker marks a row `sending` before it sends and `sent`
after. Rows `sending` at the crash (the claimed batch) go back to pending at restart: the ones
that had really gone out are sent again (at-least-once, only for in-flight sends); every other
recipient gets exactly one message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.app import load_knowledge, running_services
from bot.delivery import OutboxWorker
from bot.settings import Settings
from core.broadcasts import ALL_TOPICS, BroadcastDraft
from core.clock import FixedClock
from core.officers import AuditAction, AuditEntry
from storage.base import ChatRef, OutboxStatus
from tests.test_outbox_delivery import RecordingSender

NOW = dt.datetime(2026, 11, 23, 9, 0)
RECIPIENTS = [str(5000 + n) for n in range(120)]
SENT_BEFORE_HANG = 70  # the 71st message reaches the wire, then the process hangs and is killed
BATCH = 50
OFFICER = "900"

CHILD = """
import asyncio, datetime as dt, sys
from pathlib import Path
from bot.app import running_services
from bot.delivery import OutboxWorker
from bot.settings import Settings
from core.clock import FixedClock
from core.messages import TextFormat

wire, marker, limit = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])

class WireSender:
    text_format = TextFormat.HTML
    def __init__(self):
        self.count = 0
    async def send(self, chat_id, reply):
        with wire.open("a") as log:  # what reached the person, written before we return
            log.write(chat_id + "\\n")
        self.count += 1
        if self.count > limit:
            marker.write_text(chat_id)
            await asyncio.Event().wait()  # the platform never answers; the parent kills us
        return f"m{self.count}"

async def main():
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0))
    async with running_services(Settings(_env_file=None), clock=clock) as services:
        worker = OutboxWorker(services, {"telegram": WireSender()}, batch=50)
        await worker.deliver_due()

asyncio.run(main())
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_sigkill_mid_broadcast_then_restart_serves_everyone_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    knowledge = load_knowledge(settings)
    clock = FixedClock(NOW)
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        for chat_id in RECIPIENTS:
            await services.storage.subscribe(ChatRef("telegram", chat_id), ALL_TOPICS, "ok", NOW)
        draft = BroadcastDraft(
            "Lịch tiếp dân đổi sang chiều thứ Năm.", ALL_TOPICS, None, "telegram", OFFICER,
            None, OFFICER,
        )  # fmt: skip
        entry = AuditEntry(clock.now(), "telegram", OFFICER, None, AuditAction.BROADCAST_SENT)
        broadcast = await services.storage.create_broadcast(draft, entry, clock.now())
        assert broadcast.recipients == len(RECIPIENTS)

    wire, marker = tmp_path / "wire.log", tmp_path / "hanging"
    env = {**os.environ, "MOTCUA_DATA_DIR": str(data_dir)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(wire), str(marker), str(SENT_BEFORE_HANG), env=env
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():  # waiting for another process, not for time to pass
            assert child.returncode is None, "the delivering process ended early"
            assert time.monotonic() < deadline, "the delivering process never hung"
            await asyncio.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        await asyncio.wait_for(child.wait(), timeout=30)
    assert child.returncode == -signal.SIGKILL
    before = wire.read_text().split()
    in_flight_on_wire = marker.read_text()
    assert len(before) == SENT_BEFORE_HANG + 1 and before[-1] == in_flight_on_wire

    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        storage = services.storage
        counts = await storage.outbox_counts()
        # Two batches claimed: the first all sent, the second sent up to the hang.
        assert counts[OutboxStatus.SENT] == SENT_BEFORE_HANG
        assert counts[OutboxStatus.SENDING] == 2 * BATCH - SENT_BEFORE_HANG
        assert counts[OutboxStatus.PENDING] == len(RECIPIENTS) - 2 * BATCH
        sender = RecordingSender()
        worker = OutboxWorker(services, {"telegram": sender}, batch=BATCH)
        assert await worker.recover() == 2 * BATCH - SENT_BEFORE_HANG
        await worker.deliver_due()
        await worker.deliver_due()
        after = [chat for chat, _ in sender.sent if chat != OFFICER]
        served = Counter(before + after)
        assert set(served) == set(RECIPIENTS)
        duplicates = {chat: n for chat, n in served.items() if n > 1}
        assert duplicates == {in_flight_on_wire: 2}  # only the message on the wire at the kill
        reports = [reply.text for chat, reply in sender.sent if chat == OFFICER]
        assert len(reports) == 1 and "Đã gửi: 120 · Không gửi được: 0" in reports[0]
        progress = await storage.broadcast_progress(broadcast.id)
        assert (progress.sent, progress.left) == (len(RECIPIENTS), 0)
