"""Status changes reach every follower once, through the durable outbox, across crashes.

Delivery is at-least-once on the wire for the messages a worker had in flight when it died
(no chat platform has an idempotency key for sending) and exactly once for all the others.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery import OutboxWorker, RetryLater, RetryPolicy, Undeliverable
from core.clock import FixedClock
from core.dossiers import Status
from core.messages import Reply, TextFormat
from handlers.context import Services
from storage.base import ChatRef, OutboxStatus
from tests.dossier_fixtures import CODE, dossier, with_hash

NOW = dt.datetime(2026, 11, 23, 9, 0)
FOLLOWERS = [ChatRef("telegram", str(n)) for n in (101, 102, 103)]


class Crash(BaseException):
    """Stands for the process being killed: nothing after it runs, not even `except Exception`."""


class RecordingSender:
    text_format = TextFormat.HTML

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self.crash_before: int | None = None  # crash when about to send message number n
        self.crash_after: int | None = None  # crash right after message number n went out
        self.failures: list[Exception] = []

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        number = len(self.sent) + 1
        if self.crash_before == number:
            self.crash_before = None
            raise Crash
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat_id, reply))
        if self.crash_after == number:
            self.crash_after = None
            raise Crash
        return f"m{number}"

    def count(self, chat_id: str) -> int:
        return sum(1 for sent_to, _ in self.sent if sent_to == chat_id)


@pytest.fixture
async def followed(services: Services) -> Services:
    storage = services.storage
    await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    for chat in FOLLOWERS:
        await storage.follows.follow(chat, dossier().code_key, None, "đồng ý", NOW)
    return services


async def change_status(services: Services, status: Status, note: str | None = None) -> None:
    item = dossier(status=status, note=note)
    await services.storage.dossiers.apply_dossiers([with_hash(item)], NOW, "import:b.csv")


async def test_each_follower_gets_one_message_per_change(followed: Services) -> None:
    sender = RecordingSender()
    worker = OutboxWorker(followed, {"telegram": sender})
    await change_status(followed, Status.READY, note="Mời nhận kết quả sáng thứ Hai")
    assert await worker.deliver_due() == 3
    assert sorted(chat for chat, _ in sender.sent) == ["101", "102", "103"]
    text = sender.sent[0][1].text
    assert f"Hồ sơ {CODE}" in text and "Đã có kết quả – chờ trả" in text
    assert "Mời nhận kết quả" in text and "Nguyễn" not in text
    # Importing the same data again changes nothing and notifies nobody.
    await change_status(followed, Status.READY, note="Mời nhận kết quả sáng thứ Hai")
    assert await worker.deliver_due() == 0
    assert len(sender.sent) == 3


async def test_killed_between_the_write_and_the_send_loses_nothing(followed: Services) -> None:
    """The change and its notifications are committed together; a worker that dies before
    sending leaves them claimed; after the restart each follower gets exactly one message."""
    sender = RecordingSender()
    sender.crash_before = 1
    await change_status(followed, Status.READY)
    with pytest.raises(Crash):
        await OutboxWorker(followed, {"telegram": sender}).deliver_due()
    assert sender.sent == []
    counts = await followed.storage.outbox.outbox_counts()
    assert counts[OutboxStatus.SENDING] == 3  # claimed, in flight when the process died

    restarted = OutboxWorker(followed, {"telegram": sender})
    assert await restarted.recover() == 3
    await restarted.deliver_due()
    assert [sender.count(chat.chat_id) for chat in FOLLOWERS] == [1, 1, 1]
    assert (await followed.storage.outbox.outbox_counts())[OutboxStatus.SENT] == 3


async def test_only_the_message_in_flight_can_be_duplicated(followed: Services) -> None:
    """Killed after the platform accepted message 2 but before it was recorded as sent: only
    that message is sent twice; the others exactly once."""
    sender = RecordingSender()
    sender.crash_after = 2
    await change_status(followed, Status.READY)
    with pytest.raises(Crash):
        await OutboxWorker(followed, {"telegram": sender}).deliver_due()
    restarted = OutboxWorker(followed, {"telegram": sender})
    await restarted.recover()
    await restarted.deliver_due()
    counts = sorted(sender.count(chat.chat_id) for chat in FOLLOWERS)
    assert counts == [1, 1, 2]
    assert len(sender.sent) == 4


async def test_a_restart_sends_nothing_already_sent(followed: Services) -> None:
    sender = RecordingSender()
    await change_status(followed, Status.READY)
    await OutboxWorker(followed, {"telegram": sender}).deliver_due()
    restarted = OutboxWorker(followed, {"telegram": sender})
    assert await restarted.recover() == 0
    assert await restarted.deliver_due() == 0
    assert len(sender.sent) == 3


async def test_transient_failures_are_retried_with_backoff(
    followed: Services, clock: FixedClock
) -> None:
    sender = RecordingSender()
    sender.failures = [RetryLater("429", retry_after=30), ConnectionError("reset")]
    worker = OutboxWorker(followed, {"telegram": sender}, policy=RetryPolicy())
    await change_status(followed, Status.READY)
    await worker.deliver_due()
    assert len(sender.sent) == 1  # two failed, the third went out
    clock.advance(seconds=6)  # the network error's 5 s back-off has passed, the 429's 30 s not
    await worker.deliver_due()
    assert len(sender.sent) == 2
    clock.advance(seconds=30)
    await worker.deliver_due()
    assert sorted(sender.count(chat.chat_id) for chat in FOLLOWERS) == [1, 1, 1]


async def test_a_blocked_chat_is_deactivated_and_others_still_served(
    followed: Services,
) -> None:
    sender = RecordingSender()
    sender.failures = [Undeliverable("Forbidden: bot was blocked by the user")]
    worker = OutboxWorker(followed, {"telegram": sender})
    await change_status(followed, Status.READY)
    await worker.deliver_due()
    assert len(sender.sent) == 2
    counts = await followed.storage.outbox.outbox_counts()
    assert counts[OutboxStatus.FAILED] == 1 and counts[OutboxStatus.SENT] == 2
    # The blocked chat gets nothing more; the others get the next change.
    await change_status(followed, Status.RETURNED)
    await worker.deliver_due()
    assert len(sender.sent) == 4


async def test_gives_up_after_the_last_attempt(followed: Services, clock: FixedClock) -> None:
    sender = RecordingSender()
    sender.failures = [ConnectionError("down")] * 6
    worker = OutboxWorker(
        followed, {"telegram": sender}, policy=RetryPolicy(max_attempts=2), batch=1
    )
    await change_status(followed, Status.READY)
    for _ in range(4):
        await worker.deliver_due()
        clock.advance(minutes=5)
    counts = await followed.storage.outbox.outbox_counts()
    assert counts[OutboxStatus.FAILED] >= 1
    assert counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING] == 0


async def test_status_history_is_kept(followed: Services) -> None:
    await change_status(followed, Status.SUPPLEMENT, note="Thiếu bản sao CCCD")
    await change_status(followed, Status.PROCESSING)
    events = await followed.storage.dossiers.dossier_events(dossier().code_key)
    assert [e.new_status for e in events if e.new_status] == [
        Status.PROCESSING,
        Status.SUPPLEMENT,
        Status.PROCESSING,
    ]
    assert events[1].note == "Thiếu bản sao CCCD" and events[1].source == "import:b.csv"
