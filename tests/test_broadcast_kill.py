"""A broadcast survives SIGKILL of the delivering process: after a restart every recipient is
served, and only a message that was on the wire when the process died is sent twice.

What the outbox guarantees: the recipients became outbox rows in the transaction that confirmed
the broadcast, so none can be lost; a worker marks a row `sending` before it sends and `sent`
after. Rows `sending` at the crash (the claimed batch; for Telegram, only the sends open at
once) go back to pending at restart: the ones that had really gone out are sent again
(at-least-once, only for in-flight sends); every other recipient gets exactly one message.
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
batch, concurrency = int(sys.argv[4]), int(sys.argv[5])

class WireSender:
    text_format = TextFormat.HTML
    def __init__(self):
        self.count = 0
    async def send(self, chat_id, reply):
        with wire.open("a") as log:  # what reached the person, written before we return
            log.write(chat_id + "\\n")
        self.count += 1
        if self.count > limit:
            with marker.open("a") as hanging:
                hanging.write(chat_id + "\\n")
            await asyncio.Event().wait()  # the platform never answers; the parent kills us
        return f"m{self.count}"

async def main():
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0))
    async with running_services(Settings(_env_file=None), clock=clock) as services:
        worker = OutboxWorker(
            services, {"telegram": WireSender()}, batch=batch, concurrency=concurrency
        )
        await worker.deliver_due()

asyncio.run(main())
"""


async def queue_broadcast(settings: Settings) -> int:
    knowledge = load_knowledge(settings)
    clock = FixedClock(NOW)
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        for chat_id in RECIPIENTS:
            await services.storage.broadcasts.subscribe(
                ChatRef("telegram", chat_id), ALL_TOPICS, "ok", NOW
            )
        draft = BroadcastDraft(
            "Lịch tiếp dân đổi sang chiều thứ Năm.", ALL_TOPICS, None, "telegram", OFFICER,
            None, OFFICER,
        )  # fmt: skip
        entry = AuditEntry(clock.now(), "telegram", OFFICER, None, AuditAction.BROADCAST_SENT)
        broadcast = await services.storage.broadcasts.create_broadcast(draft, entry, clock.now())
        assert broadcast.recipients == len(RECIPIENTS)
        return broadcast.id


async def run_until_killed(tmp_path: Path, batch: int, concurrency: int) -> tuple[list[str], str]:
    """The delivering process, killed once a send hangs on the wire; what reached the wire,
    and the chats whose send was hanging."""
    wire, marker = tmp_path / "wire.log", tmp_path / "hanging"
    env = {**os.environ, "MOTCUA_DATA_DIR": str(tmp_path / "data")}
    argv = [str(wire), str(marker), str(SENT_BEFORE_HANG), str(batch), str(concurrency)]
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD, *argv, env=env)
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
    return wire.read_text().split(), marker.read_text()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_sending_a_few_at_once_duplicates_at_most_the_rows_in_flight(
    tmp_path: Path,
) -> None:
    """As the Telegram worker runs: two sends at once, two rows claimed. Killed while sends
    hang on the wire: after the restart everyone is served, and the duplicates are among the
    rows that were `sending` at the kill — at most two."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    await queue_broadcast(settings)
    before, _ = await run_until_killed(tmp_path, batch=2, concurrency=2)

    clock = FixedClock(NOW)
    async with running_services(settings, clock=clock) as services:
        storage = services.storage
        counts = await storage.outbox.outbox_counts()
        in_flight = counts[OutboxStatus.SENDING]
        assert 1 <= in_flight <= 2
        assert counts[OutboxStatus.SENT] >= SENT_BEFORE_HANG - 1
        sender = RecordingSender()
        worker = OutboxWorker(services, {"telegram": sender}, batch=2, concurrency=2)
        assert await worker.recover() == in_flight
        await worker.deliver_due()
        await worker.deliver_due()
        after = [chat for chat, _ in sender.sent if chat != OFFICER]
    served = Counter(before + after)
    assert set(served) == set(RECIPIENTS)
    duplicates = [chat for chat, n in served.items() if n > 1]
    assert len(duplicates) <= in_flight and max(served.values()) == 2


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_sigkill_mid_broadcast_then_restart_serves_everyone_once(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    knowledge = load_knowledge(settings)
    clock = FixedClock(NOW)
    broadcast_id = await queue_broadcast(settings)
    before, hanging = await run_until_killed(tmp_path, batch=BATCH, concurrency=1)
    in_flight_on_wire = hanging.strip()
    assert len(before) == SENT_BEFORE_HANG + 1 and before[-1] == in_flight_on_wire

    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        storage = services.storage
        counts = await storage.outbox.outbox_counts()
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
        progress = await storage.broadcasts.broadcast_progress(broadcast_id)
        assert (progress.sent, progress.left) == (len(RECIPIENTS), 0)
