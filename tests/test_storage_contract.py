"""One contract for every storage backend: each test runs on SQLite (file and memory) and
PostgreSQL, and every method of every area is exercised (test_every_area_method_is_exercised)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

import aiosqlite
import pytest

from core.apologies import ApologyRefused
from core.broadcasts import ALL_TOPICS, BroadcastDraft, BroadcastProgress, NoRecipients
from core.care import Volunteer, VolunteerStatus
from core.catalogue.models import LawVersion
from core.dossiers import Status
from core.lookup_limits import FailureCounts, FailureWindows
from core.officers import AuditAction, AuditEntry, Officer
from core.outbox import OutboxKind
from core.receipt_codes import code_key
from core.report import ReportDossier
from core.tickets import (
    Author,
    ClosedBy,
    OfficerRef,
    Photo,
    TicketContext,
)
from storage.base import (
    ApologyDraft,
    ChatRef,
    ConversationKey,
    ConversationState,
    OutboxMessage,
    OutboxStatus,
    Storage,
    ZaloFollower,
    ZaloTokens,
)
from storage.migrate import SchemaTooNew, available_migrations
from storage.sqlite import SqliteStorage
from tests.dossier_fixtures import dossier, with_hash
from tests.storage_backends import sqlite_file

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
KEY = ConversationKey("telegram", "42", "42")

# The `storage` fixture (tests/conftest.py) gives each test a fresh database of every backend.


async def test_state_round_trip(storage: Storage) -> None:
    assert await storage.conversations.load_state(KEY) == ConversationState()
    await storage.conversations.save_state(
        KEY, "procedure.viewing", {"procedure": "dang-ky-khai-sinh"}, NOW
    )
    assert await storage.conversations.load_state(KEY) == ConversationState(
        "procedure.viewing", {"procedure": "dang-ky-khai-sinh"}
    )
    await storage.conversations.save_state(KEY, "other", {"n": 1, "tên": "Nguyễn"}, NOW)
    assert (await storage.conversations.load_state(KEY)).data == {"n": 1, "tên": "Nguyễn"}
    await storage.conversations.clear_state(KEY)
    assert await storage.conversations.load_state(KEY) == ConversationState()


async def test_state_is_per_conversation(storage: Storage) -> None:
    other = ConversationKey("telegram", "42", "43")
    await storage.conversations.save_state(KEY, "a", {}, NOW)
    assert (await storage.conversations.load_state(other)).name is None
    assert (
        await storage.conversations.load_state(ConversationKey("console", "42", "42"))
    ).name is None


async def test_first_contact_is_reported_once(storage: Storage) -> None:
    assert await storage.chats.touch_chat("telegram", "42", NOW) is True
    assert await storage.chats.touch_chat("telegram", "42", NOW) is False
    assert await storage.chats.touch_chat("telegram", "42", NOW + dt.timedelta(days=1)) is False
    assert await storage.chats.touch_chat("console", "42", NOW) is True


async def test_file_database_keeps_state_across_restarts(tmp_path: Path) -> None:
    first = await sqlite_file(tmp_path)
    await first.conversations.save_state(KEY, "kept", {"x": 1}, NOW)
    await first.close()
    second = await sqlite_file(tmp_path)
    try:
        assert (await second.conversations.load_state(KEY)).name == "kept"
    finally:
        await second.close()


async def test_migrations_are_recorded_and_the_database_is_wal(tmp_path: Path) -> None:
    storage = await sqlite_file(tmp_path)
    assert isinstance(storage, SqliteStorage)
    assert await storage.schema_version() == len(available_migrations())
    await storage.close()
    async with (
        aiosqlite.connect(tmp_path / "data" / "motcua.sqlite3") as db,
        db.execute("PRAGMA journal_mode") as cursor,
    ):
        assert (await cursor.fetchone()) == ("wal",)


async def test_a_database_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    storage = await sqlite_file(tmp_path)
    await storage.close()
    async with aiosqlite.connect(tmp_path / "data" / "motcua.sqlite3") as db:
        await db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')"
        )
        await db.commit()
    with pytest.raises(SchemaTooNew):
        await sqlite_file(tmp_path)


# -- dossiers, follows, outbox ------------------------------------------------------------

CHAT = ChatRef("telegram", "42")


async def test_apply_dossiers_is_idempotent_and_keeps_history(storage: Storage) -> None:
    first = await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a")
    assert (first.created, first.updated, first.unchanged) == (1, 0, 0)
    again = await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    moved = await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b"
    )
    assert (moved.updated, moved.status_changes, moved.notifications) == (1, 1, 0)
    stored = await storage.dossiers.get_dossier(dossier().code_key)
    assert stored is not None and stored.status is Status.READY
    events = await storage.dossiers.dossier_events(dossier().code_key)
    assert [(e.old_status, e.new_status) for e in events] == [
        (Status.PROCESSING, Status.READY),
        (None, Status.PROCESSING),
    ]
    assert await storage.dossiers.count_dossiers() == 1


async def test_follow_notify_unfollow_forget(storage: Storage) -> None:
    key = dossier().code_key
    await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a")
    await storage.follows.follow(CHAT, key, "Bà Lan", "đồng ý", NOW)
    assert await storage.follows.is_following(CHAT, key)
    [follow] = await storage.follows.follows(CHAT)
    assert follow.label == "Bà Lan" and follow.dossier.code_key == key
    outcome = await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b"
    )
    assert outcome.notifications == 1
    [sent] = await storage.outbox.claim_due(NOW, 10)
    await storage.outbox.mark_sent(sent.id, "77", NOW)
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.RETURNED))], NOW, "import:c"
    )
    assert await storage.follows.unfollow(CHAT, key, NOW)
    assert not await storage.follows.is_following(CHAT, key)
    await storage.follows.follow(CHAT, key, None, "đồng ý", NOW)
    await storage.chats.forget_chat(CHAT)
    assert await storage.follows.follows(CHAT) == []
    counts = await storage.outbox.outbox_counts()
    assert sum(counts.values()) == 0  # its messages are gone too, sent (ids) or not


async def test_deactivated_chats_get_no_notifications(storage: Storage) -> None:
    key = dossier().code_key
    await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a")
    await storage.follows.follow(CHAT, key, None, "đồng ý", NOW)
    await storage.chats.deactivate_chat(CHAT)
    outcome = await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b"
    )
    assert outcome.notifications == 0 and await storage.follows.follows(CHAT) == []


async def test_lookup_failures_are_counted_in_a_window(storage: Storage) -> None:
    for minute in range(3):
        await storage.dossiers.record_lookup_failure(CHAT, NOW + dt.timedelta(minutes=minute))
    assert await storage.dossiers.lookup_failures_since(CHAT, NOW) == 3
    assert await storage.dossiers.lookup_failures_since(CHAT, NOW + dt.timedelta(minutes=2)) == 1
    assert await storage.dossiers.lookup_failures_since(ChatRef("telegram", "7"), NOW) == 0


async def test_lookup_failures_are_counted_four_ways(storage: Storage) -> None:
    """Issue 15: per chat, per channel user (any chat), per code (any chat) and overall."""
    group = ChatRef("telegram", "-100")
    at = NOW + dt.timedelta(minutes=30)
    await storage.dossiers.record_lookup_failure(CHAT, NOW, CHAT.chat_id, "A")
    await storage.dossiers.record_lookup_failure(CHAT, at, CHAT.chat_id, "B")
    await storage.dossiers.record_lookup_failure(
        group, at, CHAT.chat_id, "A"
    )  # same person, a group
    await storage.dossiers.record_lookup_failure(
        ChatRef("zalo", CHAT.chat_id), at, CHAT.chat_id, "A"
    )
    await storage.dossiers.record_lookup_failure(ChatRef("telegram", "8"), at, "8", "C")
    since = FailureWindows(chat=NOW, user=NOW, dossier=NOW, everyone=NOW)
    counts = await storage.dossiers.lookup_failures(CHAT, CHAT.chat_id, "A", since)
    assert counts == FailureCounts(chat=2, user=3, dossier=3, everyone=5)
    later = FailureWindows(chat=at, user=at, dossier=at, everyone=at)
    assert await storage.dossiers.lookup_failures(CHAT, CHAT.chat_id, "A", later) == FailureCounts(
        chat=1, user=2, dossier=2, everyone=4
    )
    assert await storage.dossiers.forget_lookup_failures_before(at) == 1
    assert (await storage.dossiers.lookup_failures(CHAT, CHAT.chat_id, "A", since)).everyone == 4


async def test_outbox_dedupes_claims_and_recovers(storage: Storage) -> None:
    message = OutboxMessage("k1", "telegram", "42", OutboxKind.DOSSIER_STATUS, {"text": "xin chào"})
    assert await storage.outbox.enqueue([message, message], NOW) == 1
    assert await storage.outbox.enqueue([message], NOW) == 0
    [item] = await storage.outbox.claim_due(NOW, 10)
    assert item.message == message and item.attempts == 1
    assert await storage.outbox.claim_due(NOW, 10) == []  # claimed once only
    assert await storage.outbox.recover_in_flight() == 1
    [item] = await storage.outbox.claim_due(NOW, 10, ["telegram"])
    await storage.outbox.mark_retry(item.id, "429", NOW + dt.timedelta(seconds=30))
    assert await storage.outbox.claim_due(NOW, 10) == []
    [item] = await storage.outbox.claim_due(NOW + dt.timedelta(seconds=31), 10)
    assert item.attempts == 3
    await storage.outbox.mark_sent(item.id, "m1", NOW)
    counts = await storage.outbox.outbox_counts()
    assert counts[OutboxStatus.SENT] == 1 and counts[OutboxStatus.PENDING] == 0


async def test_a_row_of_an_unknown_kind_is_failed_not_handed_out(storage: Storage) -> None:
    """A row written by a newer version sharing the database: failed, never guessed at."""
    future = OutboxMessage("k2", "telegram", "42", "from-a-newer-version", {})  # type: ignore[arg-type]
    known = OutboxMessage("k3", "telegram", "42", OutboxKind.APOLOGY, {"apology_id": 1})
    assert await storage.outbox.enqueue([future, known], NOW) == 2
    assert [item.message for item in await storage.outbox.claim_due(NOW, 10)] == [known]
    counts = await storage.outbox.outbox_counts()
    assert counts[OutboxStatus.FAILED] == 1 and counts[OutboxStatus.SENDING] == 1


# -- officers, audit, subscriptions, broadcasts ---------------------------------------------


def _audit(action: AuditAction, target: str | None = None, at: dt.datetime = NOW) -> AuditEntry:
    return AuditEntry(at, "telegram", "900", "Chị Lan", action, target)


async def test_officers_are_added_renamed_removed_with_their_audit_lines(storage: Storage) -> None:
    hoa = Officer("telegram", "555", "Lê Thị Hoa", "900", NOW)
    assert await storage.officers.add_officer(hoa, _audit(AuditAction.OFFICER_ADDED, "555")) is True
    renamed = Officer("telegram", "555", "Lê Hoa", "900", NOW)
    assert (
        await storage.officers.add_officer(renamed, _audit(AuditAction.OFFICER_ADDED, "555"))
        is False
    )
    await storage.officers.add_officer(
        Officer("console", "555", None, "900", NOW), _audit(AuditAction.OFFICER_ADDED, "555")
    )
    officers = await storage.officers.officers()
    assert [(o.channel, o.user_id, o.name) for o in officers] == [
        ("console", "555", None),
        ("telegram", "555", "Lê Hoa"),
    ]
    removed = _audit(AuditAction.OFFICER_REMOVED, "555")
    assert await storage.officers.remove_officer("telegram", "555", removed) is True
    assert (
        await storage.officers.remove_officer("telegram", "555", removed) is False
    )  # not recorded
    assert [o.channel for o in await storage.officers.officers()] == ["console"]
    actions = [e.action for e in await storage.officers.audit_entries(10)]
    assert actions == [AuditAction.OFFICER_REMOVED] + [AuditAction.OFFICER_ADDED] * 3


async def test_audit_entries_are_newest_first_and_paged(storage: Storage) -> None:
    for n in range(5):
        entry = _audit(AuditAction.APOLOGY_ISSUED, f"code-{n}", NOW + dt.timedelta(minutes=n))
        await storage.officers.record_audit(entry)
    page = await storage.officers.audit_entries(2, offset=1)
    assert [e.target for e in page] == ["code-3", "code-2"]
    assert page[0].at == NOW + dt.timedelta(minutes=3) and page[0].actor_name == "Chị Lan"
    assert page[0].id is not None


async def test_subscriptions_audience_and_forgetting(storage: Storage) -> None:
    a, b, c = (ChatRef("telegram", n) for n in ("1", "2", "3"))
    await storage.broadcasts.subscribe(a, "ho-tich", "ok", NOW)
    await storage.broadcasts.subscribe(a, "chung-thuc", "ok", NOW)
    await storage.broadcasts.subscribe(b, "ho-tich", "ok", NOW)
    await storage.broadcasts.subscribe(b, ALL_TOPICS, "ok", NOW)  # replaces b's fields
    await storage.broadcasts.subscribe(b, "chung-thuc", "ok", NOW)  # already included
    await storage.broadcasts.subscribe(c, "chung-thuc", "ok", NOW)
    assert await storage.broadcasts.subscriptions(a) == ["chung-thuc", "ho-tich"]
    assert await storage.broadcasts.subscriptions(b) == [ALL_TOPICS]
    sizes = await storage.broadcasts.audience_sizes()
    assert (sizes.everyone, sizes.size("ho-tich"), sizes.size("chung-thuc")) == (3, 2, 3)
    assert sizes.size("quan-su") == 1
    await storage.chats.deactivate_chat(c)  # blocked the bot
    assert (await storage.broadcasts.audience_sizes()).size("chung-thuc") == 2
    assert await storage.broadcasts.unsubscribe(a, NOW) == 2
    await storage.chats.forget_chat(b)
    assert (await storage.broadcasts.audience_sizes()).everyone == 0


async def test_a_broadcast_reaches_each_chat_once_and_reports_once(storage: Storage) -> None:
    chats = [ChatRef("telegram", str(n)) for n in range(1, 5)]
    for chat in chats[:2]:
        await storage.broadcasts.subscribe(chat, "ho-tich", "ok", NOW)
        await storage.broadcasts.subscribe(chat, "chung-thuc", "ok", NOW)
    await storage.broadcasts.subscribe(chats[2], ALL_TOPICS, "ok", NOW)
    await storage.broadcasts.subscribe(chats[3], "chung-thuc", "ok", NOW)
    draft = BroadcastDraft("Nghỉ chiều 24/11.", "ho-tich", None, "telegram", "900", None, "900")
    sent = await storage.broadcasts.create_broadcast(draft, _audit(AuditAction.BROADCAST_SENT), NOW)
    assert sent.recipients == 3
    assert await storage.broadcasts.get_broadcast(sent.id) == sent
    items = await storage.outbox.claim_due(NOW, 10)
    assert sorted(i.message.chat_id for i in items) == ["1", "2", "3"]
    assert {i.message.kind for i in items} == {"broadcast"}
    assert await storage.broadcasts.finish_broadcasts([sent.id], NOW) == []  # still in flight
    for item in items:
        await storage.outbox.mark_sent(item.id, "m", NOW)
    assert await storage.broadcasts.broadcast_progress(sent.id) == BroadcastProgress(sent=3)
    assert await storage.broadcasts.finish_broadcasts([sent.id], NOW) == [sent.id]
    assert await storage.broadcasts.finish_broadcasts([sent.id], NOW) == []
    [report] = await storage.outbox.claim_due(NOW, 10)
    assert (report.message.kind, report.message.chat_id) == ("broadcast-report", "900")
    [(listed, progress)] = await storage.broadcasts.recent_broadcasts(5)
    assert listed.id == sent.id and progress.sent == 3
    [entry] = await storage.officers.audit_entries(5)
    assert entry.target == f"#{sent.id}"


async def test_an_empty_audience_stores_nothing(storage: Storage) -> None:
    draft = BroadcastDraft("Nghỉ chiều 24/11.", ALL_TOPICS, None, "telegram", "900", None, None)
    with pytest.raises(NoRecipients):
        await storage.broadcasts.create_broadcast(draft, _audit(AuditAction.BROADCAST_SENT), NOW)
    assert await storage.broadcasts.recent_broadcasts(5) == []
    assert await storage.officers.audit_entries(5) == []


async def test_cancelling_a_broadcast_marks_pending_rows_once(storage: Storage) -> None:
    for n in range(3):
        await storage.broadcasts.subscribe(ChatRef("telegram", str(n)), ALL_TOPICS, "ok", NOW)
    draft = BroadcastDraft("Nghỉ chiều 24/11.", ALL_TOPICS, None, "telegram", "900", None, None)
    sent = await storage.broadcasts.create_broadcast(draft, _audit(AuditAction.BROADCAST_SENT), NOW)
    [claimed] = await storage.outbox.claim_due(NOW, 1)
    cancel = _audit(AuditAction.BROADCAST_CANCELLED)
    assert await storage.broadcasts.cancel_broadcast(sent.id, cancel, NOW) == 2
    assert await storage.broadcasts.cancel_broadcast(sent.id, cancel, NOW) is None
    await storage.outbox.mark_cancelled(claimed.id, NOW)
    assert await storage.outbox.claim_due(NOW, 10) == []
    assert await storage.broadcasts.broadcast_progress(sent.id) == BroadcastProgress(cancelled=3)
    stored = await storage.broadcasts.get_broadcast(sent.id)
    assert stored is not None and stored.cancelled_at == NOW
    assert [e.action for e in await storage.officers.audit_entries(5)] == [
        AuditAction.BROADCAST_CANCELLED,
        AuditAction.BROADCAST_SENT,
    ]


# -- Zalo Official Account: inbox, tokens, followers, the reply window ------------------------


async def test_zalo_inbox_stores_dedupes_and_hands_out_pending_events_in_order(
    storage: Storage,
) -> None:
    assert await storage.zalo.inbox_add("msg:1", "u1", '{"n": 1}', NOW) is True
    assert await storage.zalo.inbox_add("msg:1", "u1", '{"n": 1}', NOW) is False  # a redelivery
    later = NOW + dt.timedelta(seconds=1)
    assert await storage.zalo.inbox_add("msg:2", "u2", '{"n": 2}', later) is True
    assert await storage.zalo.inbox_add("msg:3", "u1", '{"n": 3}', later) is True
    first = await storage.zalo.inbox_pending(2)
    assert [(e.event_key, e.user_id, e.payload) for e in first] == [
        ("msg:1", "u1", '{"n": 1}'),
        ("msg:2", "u2", '{"n": 2}'),
    ]
    await storage.zalo.inbox_done(["msg:1", "msg:2"], later)
    await storage.zalo.inbox_done(["msg:3"], later, error="ValueError()")
    assert await storage.zalo.inbox_pending(10) == []  # handled or failed: never handed out again
    assert await storage.zalo.inbox_counts() == {"done": 2, "failed": 1}
    assert await storage.zalo.inbox_add("msg:1", "u1", '{"n": 1}', later) is False  # still refused
    assert await storage.zalo.inbox_add("msg:4", "u1", "{}", later) is True
    assert await storage.zalo.forget_inbox_before(later + dt.timedelta(seconds=1)) == 3
    assert await storage.zalo.inbox_counts() == {"pending": 1}  # a pending event is never forgotten


async def test_zalo_inbox_requests_arriving_together_are_committed_together(
    storage: Storage,
) -> None:
    """Concurrent writes (the webhook under load) each learn whether their own event was new,
    a key sent twice at once counting once."""
    keys = [f"msg:{n % 40}" for n in range(60)]  # 20 keys twice
    results = await asyncio.gather(*(storage.zalo.inbox_add(k, "u", "{}", NOW) for k in keys))
    assert sum(results) == 40
    assert {k for k, new in zip(keys, results, strict=True) if new} == set(keys)
    assert await storage.zalo.inbox_counts() == {"pending": 40}
    assert len(await storage.zalo.inbox_pending(100)) == 40


async def test_zalo_tokens_are_saved_whole_and_replaced_whole(storage: Storage) -> None:
    assert await storage.zalo.zalo_tokens() is None
    first = ZaloTokens("access-1", "refresh-1", NOW + dt.timedelta(hours=1), seed="abc")
    await storage.zalo.zalo_save_tokens(first, NOW)
    assert await storage.zalo.zalo_tokens() == first
    # A refresh: both tokens replaced in one write; the seed stays when the refresh has none.
    second = ZaloTokens("access-2", "refresh-2", NOW + dt.timedelta(hours=26), seed=None)
    await storage.zalo.zalo_save_tokens(second, NOW + dt.timedelta(hours=1))
    assert await storage.zalo.zalo_tokens() == ZaloTokens(
        "access-2", "refresh-2", NOW + dt.timedelta(hours=26), seed="abc"
    )


async def test_zalo_follower_state_and_the_reply_window(storage: Storage) -> None:
    user = "2468458835296117922"
    assert await storage.zalo.zalo_follower(user) is None
    await storage.zalo.zalo_set_followed(user, True, NOW)
    follower = await storage.zalo.zalo_follower(user)
    assert follower is not None and follower.followed and follower.last_interaction is None
    await storage.zalo.zalo_interaction(user, NOW)
    await storage.zalo.zalo_count_cs(user)
    await storage.zalo.zalo_count_cs(user, 2)
    await storage.zalo.zalo_set_choices(user, ["tok1", "tok2"])
    follower = await storage.zalo.zalo_follower(user)
    assert follower == ZaloFollower(user, True, NOW, 3, ("tok1", "tok2"))
    later = NOW + dt.timedelta(hours=30)
    await storage.zalo.zalo_interaction(user, later, "msg-2")  # wrote again: the window restarts
    follower = await storage.zalo.zalo_follower(user)
    assert follower is not None and follower.last_interaction == later and follower.cs_sent == 0
    assert follower.last_message_id == "msg-2"  # replies refer to it
    await storage.zalo.zalo_interaction(user, later)  # a follow event has no message: the id stays
    assert (await storage.zalo.zalo_follower(user)).last_message_id == "msg-2"  # type: ignore[union-attr]
    await storage.zalo.zalo_set_followed(user, False, later)
    follower = await storage.zalo.zalo_follower(user)
    assert follower is not None and not follower.followed and follower.last_interaction == later


async def test_zalo_buttons_keep_their_first_data(storage: Storage) -> None:
    await storage.zalo.zalo_save_buttons([("t1", "follow:X", "Theo dõi")], NOW)
    await storage.zalo.zalo_save_buttons([("t1", "other", "Khác"), ("t2", "fee:Y", "Lệ phí")], NOW)
    assert await storage.zalo.zalo_button("t1") == ("follow:X", "Theo dõi")
    assert await storage.zalo.zalo_button("t2") == ("fee:Y", "Lệ phí")
    assert await storage.zalo.zalo_button("nope") is None


async def test_forgetting_a_zalo_chat_removes_its_zalo_traces(storage: Storage) -> None:
    user, other = "2468458835296117922", "8756412398745612301"
    for who in (user, other):
        await storage.zalo.zalo_interaction(who, NOW)
        await storage.zalo.zalo_set_choices(who, ["tok1"])
    await storage.zalo.inbox_add("msg:1", user, '{"text": "mã hồ sơ của tôi"}', NOW)
    await storage.zalo.inbox_add("msg:2", other, '{"text": "khai sinh"}', NOW)
    await storage.zalo.inbox_done(["msg:1", "msg:2"], NOW)
    await storage.zalo.inbox_add("msg:3", user, '{"text": "/xoadulieu"}', NOW)  # being handled
    await storage.chats.forget_chat(ChatRef("zalo", user))
    assert await storage.zalo.zalo_follower(user) is None
    assert await storage.zalo.zalo_follower(other) is not None
    assert [e.event_key for e in await storage.zalo.inbox_pending(10)] == ["msg:3"]
    assert (
        await storage.zalo.inbox_add("msg:1", user, "{}", NOW) is False
    )  # redelivery still refused
    await storage.chats.forget_chat(ChatRef("telegram", other))  # another channel's chat: untouched
    assert await storage.zalo.zalo_follower(other) is not None


async def test_the_waiting_clock_counts_supplements_and_the_restart(storage: Storage) -> None:
    """core.waiting: each entry into "Chờ bổ sung" is one request; leaving a waiting state
    records when the time restarted. Re-importing the same status counts nothing."""
    base = dossier()
    key = base.code_key
    steps = [Status.SUPPLEMENT, Status.SUPPLEMENT, Status.PROCESSING, Status.SUPPLEMENT]
    for number, status in enumerate(steps):
        moment = NOW + dt.timedelta(days=number)
        item = dossier(status=status, note=f"lần {number}")
        await storage.dossiers.apply_dossiers([with_hash(item)], moment, "import:x.csv")
    stored = await storage.dossiers.get_dossier(key)
    assert stored is not None and stored.supplements == 2
    assert stored.clock_restarted_at == NOW + dt.timedelta(days=2)
    assert [d.code_key for d in await storage.apologies.repeated_supplements(1, 10)] == [key]
    assert await storage.apologies.repeated_supplements(2, 10) == []
    done = dossier(status=Status.RETURNED)
    await storage.dossiers.apply_dossiers(
        [with_hash(done)], NOW + dt.timedelta(days=5), "import:y.csv"
    )
    assert await storage.apologies.repeated_supplements(1, 10) == []  # finished: no longer flagged


# -- issue 21: tickets ----------------------------------------------------------------------

LAN = OfficerRef("telegram", "900", "Chị Lan")
HUNG = OfficerRef("zalo", "2468458835296117000", "Anh Hùng")
DESK = [ChatRef(LAN.channel, LAN.user_id), ChatRef(HUNG.channel, HUNG.user_id)]
PERSON = ChatRef("zalo", "8756412398745612301")


def _officer_audit(officer: OfficerRef, action: AuditAction, at: dt.datetime) -> AuditEntry:
    return AuditEntry(at, officer.channel, officer.user_id, officer.name, action, "HT-1/2026")


async def _kinds(storage: Storage) -> list[tuple[str, str]]:
    """What is queued now (kind, chat), and mark it sent."""
    items = await storage.outbox.claim_due(NOW + dt.timedelta(days=30), 100)
    for item in items:
        await storage.outbox.mark_sent(item.id, None, NOW)
    return [(i.message.kind, i.message.chat_id) for i in items]


async def test_a_ticket_is_numbered_within_the_year_one_open_per_chat(storage: Storage) -> None:
    context = TicketContext(("khai sinh cho con nuôi",), "Đăng ký khai sinh", None)
    ticket, new = await storage.tickets.open_ticket(
        PERSON, "Con nuôi thì sao?", None, context, NOW, DESK
    )
    assert new and ticket.number == "HT-1/2026" and ticket.is_open and ticket.officer is None
    assert ticket.context == context
    again, new = await storage.tickets.open_ticket(
        PERSON, "còn nữa", None, TicketContext(), NOW, DESK
    )
    assert not new and again.id == ticket.id  # one open ticket per chat
    assert await storage.tickets.chat_ticket(PERSON) == ticket
    other, _ = await storage.tickets.open_ticket(CHAT, "Hỏi khác", None, TicketContext(), NOW, [])
    assert other.number == "HT-2/2026"
    next_year = NOW.replace(year=2027)
    third, _ = await storage.tickets.open_ticket(
        ChatRef("telegram", "5"), "Năm mới", None, TicketContext(), next_year, []
    )
    assert third.number == "HT-1/2027"
    assert sorted(await _kinds(storage)) == [
        (OutboxKind.TICKET_NEW, HUNG.user_id),
        (OutboxKind.TICKET_NEW, LAN.user_id),
    ]
    [first] = await storage.tickets.ticket_messages(ticket.id)
    assert first.author is Author.CITIZEN and first.text == "Con nuôi thì sao?"
    assert [t.id for t in await storage.tickets.open_tickets(10)] == [ticket.id, other.id, third.id]
    assert await storage.tickets.count_open_tickets() == 3


async def test_claims_race_exactly_one_officer_wins(storage: Storage) -> None:
    ticket, _ = await storage.tickets.open_ticket(PERSON, "Hỏi", None, TicketContext(), NOW, DESK)
    claims = await asyncio.gather(
        *(
            storage.tickets.claim_ticket(
                ticket.id, officer, _officer_audit(officer, AuditAction.TICKET_CLAIMED, NOW)
            )
            for officer in (LAN, HUNG, LAN, HUNG)
        )
    )
    winners = {
        (c.ticket.officer.user_id if c.ticket and c.ticket.officer else None) for c in claims
    }
    assert len(winners) == 1  # everyone sees the same holder
    holder = claims[0].ticket.officer if claims[0].ticket else None
    assert holder is not None
    assert all(c.won == holder.same(o) for c, o in zip(claims, (LAN, HUNG, LAN, HUNG), strict=True))
    audit = await storage.officers.audit_entries(10)
    assert [e.action for e in audit] == [AuditAction.TICKET_CLAIMED]  # the win only


async def test_messages_both_ways_go_through_the_outbox(storage: Storage) -> None:
    photo = Photo("giay-to.jpg", "image/jpeg", b"\xff\xd8 jpeg")
    ticket, _ = await storage.tickets.open_ticket(PERSON, "Hỏi", photo, TicketContext(), NOW, DESK)
    await _kinds(storage)
    later = NOW + dt.timedelta(minutes=5)
    before_claim = await storage.tickets.add_citizen_message(ticket.id, "Thêm nữa", None, later)
    assert before_claim is not None and await _kinds(storage) == []  # nobody holds it yet
    audit = _officer_audit(LAN, AuditAction.TICKET_CLAIMED, later)
    assert (await storage.tickets.claim_ticket(ticket.id, LAN, audit)).won
    not_holder = _officer_audit(HUNG, AuditAction.TICKET_REPLIED, later)
    assert (
        await storage.tickets.add_officer_message(ticket.id, HUNG, "Xen vào", None, not_holder)
        is None
    )
    answer_at = NOW + dt.timedelta(minutes=20)
    reply = _officer_audit(LAN, AuditAction.TICKET_REPLIED, answer_at)
    sent = await storage.tickets.add_officer_message(ticket.id, LAN, "Chào ông/bà", None, reply)
    assert sent is not None and sent.author is Author.OFFICER and LAN.same(sent.officer)
    second = _officer_audit(LAN, AuditAction.TICKET_REPLIED, answer_at + dt.timedelta(minutes=1))
    await storage.tickets.add_officer_message(ticket.id, LAN, "Thêm", None, second)
    back = await storage.tickets.add_citizen_message(
        ticket.id, "Cảm ơn", None, answer_at + dt.timedelta(minutes=2)
    )
    assert back is not None
    assert await _kinds(storage) == [
        (OutboxKind.TICKET_REPLY, PERSON.chat_id),
        (OutboxKind.TICKET_REPLY, PERSON.chat_id),
        (OutboxKind.TICKET_CITIZEN, LAN.user_id),
    ]
    stored = await storage.tickets.get_ticket(ticket.id)
    assert stored is not None and stored.first_answer_at == answer_at
    messages = await storage.tickets.ticket_messages(ticket.id)
    assert [m.text for m in messages] == ["Hỏi", "Thêm nữa", "Chào ông/bà", "Thêm", "Cảm ơn"]
    assert messages[0].photo == photo
    assert await storage.tickets.ticket_message(back.id) == back


async def test_passing_and_closing_belong_to_the_holder(storage: Storage) -> None:
    ticket, _ = await storage.tickets.open_ticket(PERSON, "Hỏi", None, TicketContext(), NOW, DESK)
    await storage.tickets.claim_ticket(
        ticket.id, LAN, _officer_audit(LAN, AuditAction.TICKET_CLAIMED, NOW)
    )
    await _kinds(storage)
    passing = _officer_audit(HUNG, AuditAction.TICKET_PASSED, NOW)
    assert (
        await storage.tickets.pass_ticket(ticket.id, HUNG, LAN, passing) is None
    )  # not the holder
    passing = _officer_audit(LAN, AuditAction.TICKET_PASSED, NOW)
    passed = await storage.tickets.pass_ticket(ticket.id, LAN, HUNG, passing)
    assert passed is not None and HUNG.same(passed.officer)
    assert await _kinds(storage) == [(OutboxKind.TICKET_PASSED, HUNG.user_id)]
    closing = _officer_audit(LAN, AuditAction.TICKET_CLOSED, NOW)
    assert (
        await storage.tickets.close_ticket(
            ticket.id, ClosedBy.OFFICER, NOW, officer=LAN, audit=closing
        )
        is None
    )
    closing = _officer_audit(HUNG, AuditAction.TICKET_CLOSED, NOW)
    closed = await storage.tickets.close_ticket(
        ticket.id, ClosedBy.OFFICER, NOW, officer=HUNG, audit=closing
    )
    assert closed is not None and not closed.is_open and closed.closed_by is ClosedBy.OFFICER
    assert await _kinds(storage) == [(OutboxKind.TICKET_CLOSED, PERSON.chat_id)]
    assert await storage.tickets.chat_ticket(PERSON) is None
    assert await storage.tickets.add_citizen_message(ticket.id, "muộn", None, NOW) is None
    actions = [e.action for e in await storage.officers.audit_entries(10)]
    assert actions == [
        AuditAction.TICKET_CLOSED,
        AuditAction.TICKET_PASSED,
        AuditAction.TICKET_CLAIMED,
    ]
    # The person closes their own ticket: the holder is told.
    again, _ = await storage.tickets.open_ticket(PERSON, "Hỏi lại", None, TicketContext(), NOW, [])
    await storage.tickets.claim_ticket(
        again.id, LAN, _officer_audit(LAN, AuditAction.TICKET_CLAIMED, NOW)
    )
    assert await storage.tickets.close_ticket(again.id, ClosedBy.CITIZEN, NOW, chat=CHAT) is None
    assert (
        await storage.tickets.close_ticket(again.id, ClosedBy.CITIZEN, NOW, chat=PERSON) is not None
    )
    assert await _kinds(storage) == [(OutboxKind.TICKET_CLOSED, LAN.user_id)]


async def test_erasing_a_chat_keeps_an_anonymised_ticket(storage: Storage) -> None:
    photo = Photo("a.jpg", "image/jpeg", b"jpeg")
    context = TicketContext(("tên tôi là Lan",), "Đăng ký khai sinh", "000.00.19.H47-260105-0001")
    ticket, _ = await storage.tickets.open_ticket(
        PERSON, "Nhà tôi ở thôn 3", photo, context, NOW, DESK
    )
    audit = _officer_audit(LAN, AuditAction.TICKET_CLAIMED, NOW)
    await storage.tickets.claim_ticket(ticket.id, LAN, audit)
    reply = _officer_audit(LAN, AuditAction.TICKET_REPLIED, NOW + dt.timedelta(minutes=3))
    await storage.tickets.add_officer_message(ticket.id, LAN, "Chào bà Lan", None, reply)
    kept, _ = await storage.tickets.open_ticket(CHAT, "Người khác", None, TicketContext(), NOW, [])
    await _kinds(storage)
    await storage.chats.forget_chat(PERSON)
    erased = await storage.tickets.get_ticket(ticket.id)
    assert erased is not None and erased.channel is None and erased.chat_id is None
    assert not erased.is_open and erased.closed_by is ClosedBy.ERASED
    assert erased.context == TicketContext() and erased.number == "HT-1/2026"
    assert erased.first_answer_at == NOW + dt.timedelta(minutes=3) and LAN.same(erased.officer)
    messages = await storage.tickets.ticket_messages(ticket.id)
    assert [(m.author, m.text, m.photo) for m in messages] == [
        (Author.CITIZEN, "", None),
        (Author.OFFICER, "", None),
    ]
    assert await _kinds(storage) == [(OutboxKind.TICKET_CLOSED, LAN.user_id)]  # the holder is told
    assert (await storage.tickets.ticket_messages(kept.id))[0].text == "Người khác"
    assert [t.id for t in await storage.tickets.tickets_between(NOW.date(), NOW.date())] == [
        ticket.id,
        kept.id,
    ]


async def test_held_messages_wait_for_the_person(storage: Storage) -> None:
    message = OutboxMessage(
        "k1", "zalo", PERSON.chat_id, OutboxKind.TICKET_REPLY, {"message_id": 1}
    )
    await storage.outbox.enqueue([message], NOW)
    [item] = await storage.outbox.claim_due(NOW, 10)
    await storage.outbox.mark_held(item.id, "outside the window", NOW)
    assert await storage.outbox.claim_due(NOW + dt.timedelta(days=365), 10) == []
    assert (await storage.outbox.outbox_counts())[OutboxStatus.HELD] == 1
    assert await storage.outbox.recover_in_flight() == 0
    assert await storage.outbox.release_held(CHAT, NOW) == 0
    later = NOW + dt.timedelta(days=3)
    assert await storage.outbox.release_held(PERSON, later) == 1
    [again] = await storage.outbox.claim_due(later, 10)
    assert again.message == message


async def test_claims_race_across_two_processes_exactly_one_wins(tmp_path: Path) -> None:
    """Two connections to one database file, as two bot processes would have."""
    first, second = await sqlite_file(tmp_path), await sqlite_file(tmp_path)
    try:
        for round_ in range(5):
            chat = ChatRef("zalo", f"person-{round_}")
            ticket, _ = await first.tickets.open_ticket(
                chat, "Hỏi", None, TicketContext(), NOW, DESK
            )
            claims = await asyncio.gather(
                first.tickets.claim_ticket(
                    ticket.id, LAN, _officer_audit(LAN, AuditAction.TICKET_CLAIMED, NOW)
                ),
                second.tickets.claim_ticket(
                    ticket.id, HUNG, _officer_audit(HUNG, AuditAction.TICKET_CLAIMED, NOW)
                ),
            )
            assert sorted(c.won for c in claims) == [False, True]
            holders = {c.ticket.officer.user_id for c in claims if c.ticket and c.ticket.officer}
            assert len(holders) == 1
        assert len(await first.officers.audit_entries(20)) == 5
    finally:
        await first.close()
        await second.close()


# -- the rest of every area: updates, lookups, apologies, feedback, volunteers, jobs ----------


async def test_updates_are_handled_once_and_forgotten_after_a_while(storage: Storage) -> None:
    assert await storage.conversations.first_delivery("telegram", "501", NOW) is True
    assert await storage.conversations.first_delivery("telegram", "501", NOW) is False
    assert await storage.conversations.first_delivery("zalo", "501", NOW) is True  # per channel
    later = NOW + dt.timedelta(days=15)
    assert await storage.conversations.first_delivery("telegram", "502", later) is True
    assert await storage.conversations.forget_updates_before(NOW + dt.timedelta(days=1)) == 2
    assert await storage.conversations.first_delivery("telegram", "501", later) is True
    assert await storage.conversations.first_delivery("telegram", "502", later) is False


async def test_a_lookup_reads_failures_dossier_follow_and_apology_at_once(
    storage: Storage,
) -> None:
    key, other = dossier().code_key, dossier("H57.132-261118-0583").code_key
    unknown = await storage.dossiers.find_dossier(key, CHAT, NOW)
    assert (unknown.recent_failures, unknown.dossier, unknown.following) == (0, None, False)
    await storage.dossiers.record_lookup_failure(CHAT, NOW)
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier()), with_hash(dossier("H57.132-261118-0583"))], NOW, "import:a"
    )
    await storage.follows.follow(CHAT, key, None, "đồng ý", NOW)
    view = await storage.dossiers.find_dossier(key, CHAT, NOW - dt.timedelta(minutes=1))
    assert view.recent_failures == 1 and view.following and view.apology is None
    assert view.dossier is not None and view.dossier.applicant_name == "Nguyễn Văn An"
    assert (await storage.dossiers.find_dossier(other, CHAT, NOW)).following is False
    found = await storage.dossiers.get_dossiers([key, other, "khong-co"])
    assert sorted(found) == sorted([key, other]) and found[other].code_key == other
    assert await storage.dossiers.get_dossiers([]) == {}
    moved = await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b"
    )
    assert moved.notifications == 1
    [newest, _] = await storage.dossiers.dossier_events(key)
    assert await storage.dossiers.event(newest.id) == newest
    assert newest.new_status is Status.READY and newest.source == "import:b"
    assert await storage.dossiers.event(newest.id + 1000) is None


def _draft(code_key: str, new_due: dt.date, reason: str = "Cần xác minh thêm") -> ApologyDraft:
    return ApologyDraft(code_key, reason, new_due, "900", "Chị Lan", LawVersion.TT_03_2025, "VBXL")


async def test_apologies_are_numbered_move_the_date_and_reach_the_followers(
    storage: Storage,
) -> None:
    key = dossier().code_key
    late = dossier("H57.132-261118-0583", due=dt.date(2026, 11, 30))
    await storage.dossiers.apply_dossiers([with_hash(dossier()), with_hash(late)], NOW, "a")
    await storage.follows.follow(CHAT, key, None, "đồng ý", NOW)
    due = await storage.apologies.running_dossiers_due_by(
        dt.date(2026, 11, 20), [Status.PROCESSING]
    )
    assert [(d.code_key, n) for d, n in due] == [(key, 0)]
    issued = await storage.apologies.issue_apology(_draft(key, dt.date(2026, 11, 27)), NOW, 1)
    assert issued.apology.number == "01/VBXL" and issued.followers == 1
    assert issued.dossier.due_date == dt.date(2026, 11, 19)  # as it was before
    stored = await storage.dossiers.get_dossier(key)
    assert stored is not None and stored.due_date == dt.date(2026, 11, 27)
    [message] = await storage.outbox.claim_due(NOW, 10)
    assert message.message.kind == "apology" and message.message.chat_id == CHAT.chat_id
    with pytest.raises(ApologyRefused):  # one new date only (max_extensions=1)
        await storage.apologies.issue_apology(_draft(key, dt.date(2026, 12, 4)), NOW, 1)
    second = await storage.apologies.issue_apology(
        _draft(late.code_key, dt.date(2026, 12, 7)), NOW + dt.timedelta(days=1), 1
    )
    assert second.apology.number == "02/VBXL" and second.followers == 0
    assert await storage.apologies.get_apology(issued.apology.id) == issued.apology
    assert await storage.apologies.get_apology(issued.apology.id + 1000) is None
    assert [a.number for a in await storage.apologies.apologies_for(key)] == ["01/VBXL"]
    between = await storage.apologies.apologies_between(NOW.date(), NOW.date())
    assert [a.number for a in between] == ["01/VBXL"]
    everything = await storage.apologies.apologies_between(NOW.date(), dt.date(2026, 12, 31))
    assert [a.number for a in everything] == ["01/VBXL", "02/VBXL"]
    due = await storage.apologies.running_dossiers_due_by(
        dt.date(2026, 12, 31), [Status.PROCESSING]
    )
    assert [(d.code_key, n) for d, n in due] == [(key, 1), (late.code_key, 1)]
    view = await storage.dossiers.find_dossier(key, CHAT, NOW)
    assert view.apology == issued.apology  # the latest, shown with the dossier


async def test_feedback_is_numbered_answered_once_and_listed(storage: Storage) -> None:
    desk = [ChatRef("telegram", "900"), ChatRef("zalo", "901")]
    first = await storage.care.create_feedback(CHAT, "Đề nghị niêm yết lệ phí", NOW, desk)
    later = NOW + dt.timedelta(hours=1)
    second = await storage.care.create_feedback(CHAT, "Đề nghị thêm ghế chờ", later, [])
    assert (first.number, second.number) == ("PA-1/2026", "PA-2/2026")
    notices = await storage.outbox.claim_due(later, 10)
    assert sorted((n.message.kind, n.message.chat_id) for n in notices) == [
        ("feedback-new", "900"),
        ("feedback-new", "901"),
    ]
    assert await storage.care.get_feedback(first.id) == first
    assert await storage.care.get_feedback(first.id + 1000) is None
    open_items = await storage.care.feedback_items(answered=False, limit=10)
    assert [f.number for f in open_items] == ["PA-1/2026", "PA-2/2026"]  # oldest first
    audit = _audit(AuditAction.FEEDBACK_ANSWERED, first.number, later)
    answered = await storage.care.answer_feedback(first.id, "Đã niêm yết.", audit, later)
    assert answered is not None and answered.answer == "Đã niêm yết."
    assert answered.answered_by == "900" and answered.answered_at == later
    assert await storage.care.answer_feedback(first.id, "Lần nữa", audit, later) is None
    assert await storage.care.answer_feedback(first.id + 1000, "?", audit, later) is None
    [reply] = await storage.outbox.claim_due(later, 10)
    assert (reply.message.kind, reply.message.chat_id) == ("feedback-answer", CHAT.chat_id)
    assert [f.number for f in await storage.care.feedback_items(True, 10)] == ["PA-1/2026"]
    assert [f.number for f in await storage.care.feedback_items(False, 10)] == ["PA-2/2026"]
    assert len(await storage.care.feedback_between(NOW.date(), NOW.date())) == 2
    assert [e.action for e in await storage.officers.audit_entries(5)] == [
        AuditAction.FEEDBACK_ANSWERED
    ]


async def test_volunteers_ask_and_an_officer_decides_once(storage: Storage) -> None:
    hoa = Volunteer(
        "telegram", "300", "300", "Lê Thị Hoa", "Tổ 1", "Thôn Đông", VolunteerStatus.PENDING, NOW
    )
    assert await storage.care.get_volunteer("telegram", "300") is None
    await storage.care.request_volunteer(hoa, NOW, [ChatRef("telegram", "900")])
    assert await storage.care.get_volunteer("telegram", "300") == hoa
    [told] = await storage.outbox.claim_due(NOW, 10)
    assert (told.message.kind, told.message.chat_id) == ("volunteer-request", "900")
    later = NOW + dt.timedelta(hours=2)
    entry = _audit(AuditAction.VOLUNTEER_DECIDED, "300", later)
    decided = await storage.care.decide_volunteer("telegram", "300", True, entry, later)
    assert decided is not None and decided.status is VolunteerStatus.APPROVED
    assert decided.decided_by == "900" and decided.decided_at == later
    assert await storage.care.decide_volunteer("telegram", "300", False, entry, later) is None
    [answer] = await storage.outbox.claim_due(later, 10)
    assert (answer.message.kind, answer.message.chat_id) == ("volunteer-decision", "300")
    lan = Volunteer("zalo", "301", "301", "Lan", "Tổ 2", "Thôn Tây", VolunteerStatus.PENDING, later)
    await storage.care.request_volunteer(lan, later, [])
    assert [(v.user_id, v.status) for v in await storage.care.volunteers()] == [
        ("300", VolunteerStatus.APPROVED),
        ("301", VolunteerStatus.PENDING),
    ]


async def test_jobs_remember_the_last_day_they_ran(storage: Storage) -> None:
    assert await storage.jobs.job_last_day("apology-watch") is None
    await storage.jobs.record_job_day("apology-watch", NOW.date(), NOW)
    await storage.jobs.record_job_day("care", NOW.date() - dt.timedelta(days=1), NOW)
    next_day = NOW.date() + dt.timedelta(days=1)
    await storage.jobs.record_job_day("apology-watch", next_day, NOW + dt.timedelta(days=1))
    assert await storage.jobs.job_last_day("apology-watch") == next_day
    assert await storage.jobs.job_last_day("care") == NOW.date() - dt.timedelta(days=1)


async def test_a_failed_message_is_never_claimed_again(storage: Storage) -> None:
    message = OutboxMessage(
        "k-failed", "telegram", "42", OutboxKind.DOSSIER_STATUS, {"text": "xin chào"}
    )
    await storage.outbox.enqueue([message], NOW)
    [item] = await storage.outbox.claim_due(NOW, 10)
    await storage.outbox.mark_failed(item.id, "chat not found", NOW)
    assert await storage.outbox.claim_due(NOW + dt.timedelta(days=1), 10) == []
    assert await storage.outbox.recover_in_flight() == 0
    assert (await storage.outbox.outbox_counts())[OutboxStatus.FAILED] == 1


async def test_coming_back_to_a_ticket_restarts_its_silence(storage: Storage) -> None:
    ticket, _ = await storage.tickets.open_ticket(PERSON, "Hỏi", None, TicketContext(), NOW, [])
    later = NOW + dt.timedelta(minutes=30)
    await storage.tickets.touch_ticket(ticket.id, later)
    touched = await storage.tickets.get_ticket(ticket.id)
    assert touched is not None and touched.last_activity_at == later
    closed = await storage.tickets.close_ticket(ticket.id, ClosedBy.CITIZEN, later, chat=PERSON)
    assert closed is not None
    await storage.tickets.touch_ticket(ticket.id, later + dt.timedelta(hours=1))  # closed: no-op
    kept = await storage.tickets.get_ticket(ticket.id)
    assert kept is not None and kept.last_activity_at == later


async def test_forgetting_a_zalo_user_keeps_pending_events_and_refused_keys(
    storage: Storage,
) -> None:
    user = "2468458835296117922"
    await storage.zalo.zalo_interaction(user, NOW, "msg-1")
    await storage.zalo.inbox_add("msg:1", user, '{"text": "tên tôi là Lan"}', NOW)
    await storage.zalo.inbox_done(["msg:1"], NOW)
    await storage.zalo.inbox_add("msg:2", user, '{"text": "chưa xử lý"}', NOW)
    await storage.zalo.forget_zalo_user(user)
    assert await storage.zalo.zalo_follower(user) is None
    [pending] = await storage.zalo.inbox_pending(10)
    assert (pending.event_key, pending.user_id) == ("msg:2", user)  # still to answer
    assert await storage.zalo.inbox_add("msg:1", user, "{}", NOW) is False


async def test_zalo_inbox_hands_out_everyones_first_event_before_anyones_second(
    storage: Storage,
) -> None:
    for n, user in enumerate(["u1", "u1", "u1", "u2"]):
        moment = NOW + dt.timedelta(seconds=n)
        assert await storage.zalo.inbox_add(f"msg:{n}", user, "{}", moment)
    everyone = await storage.zalo.inbox_pending(10)
    assert [e.event_key for e in everyone] == ["msg:0", "msg:3", "msg:1", "msg:2"]
    firsts = await storage.zalo.inbox_pending(10, per_user=1)
    assert [e.event_key for e in firsts] == ["msg:0", "msg:3"]
    assert [e.event_key for e in await storage.zalo.inbox_pending(1)] == ["msg:0"]


# -- issue 19: communes ------------------------------------------------------------------------


async def test_dossiers_get_their_commune_from_the_agency_segment(storage: Storage) -> None:
    from dataclasses import replace

    from core.receipt_codes import agency_key

    codes = [
        "000.00.19.H47-260105-0001",
        "000.00.20.H47-260105-0001",
        "000.00.20.H47-260105-0002",
        "H99.1-260105-0001",  # an agency no commune claims
    ]
    await storage.dossiers.apply_dossiers([with_hash(dossier(c)) for c in codes], NOW, "test")
    # An import that names the commune keeps it; one that does not leaves it as it was.
    named = replace(dossier("000.00.21.H47-260105-0009"), commune_id="tan-phu")
    await storage.dossiers.apply_dossiers([with_hash(named)], NOW, "test")
    agencies = [(agency_key("000.00.19.H47-260105-0001") or "", "binh-an")]
    agencies.append((agency_key("000.00.20.H47-260105-0001") or "", "dong-hoa"))
    assert await storage.dossiers.assign_communes(agencies) == 3
    found = await storage.dossiers.get_dossiers([code_key(c) for c in codes])
    assert [found[code_key(c)].commune_id for c in codes] == ["binh-an", "dong-hoa", "dong-hoa", ""]
    assert (await storage.dossiers.get_dossier(code_key(named.code))).commune_id == "tan-phu"  # type: ignore[union-attr]
    # A province of one: whatever is left is its commune's; nothing is assigned twice.
    assert await storage.dossiers.assign_communes([], "binh-an") == 1
    assert await storage.dossiers.assign_communes(agencies, "binh-an") == 0
    assert (await storage.dossiers.get_dossier(code_key(codes[3]))).commune_id == "binh-an"  # type: ignore[union-attr]


async def test_a_chat_remembers_its_commune(storage: Storage) -> None:
    chat = ChatRef("telegram", "42")
    assert await storage.chats.chat_commune(chat) is None
    await storage.chats.touch_chat("telegram", "42", NOW)
    assert await storage.chats.chat_commune(chat) is None
    await storage.chats.set_chat_commune(chat, "dong-hoa")
    assert await storage.chats.chat_commune(chat) == "dong-hoa"
    assert await storage.chats.chat_commune(ChatRef("zalo", "42")) is None
    await storage.chats.set_chat_commune(chat, None)
    assert await storage.chats.chat_commune(chat) is None


async def test_report_data_for_one_commune_and_split_by_commune(storage: Storage) -> None:
    from dataclasses import replace

    first, last = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    rows = [
        replace(dossier("000.00.19.H47-261116-0001"), commune_id="binh-an"),
        replace(dossier("000.00.20.H47-261116-0001"), commune_id="dong-hoa"),
        replace(dossier("000.00.20.H47-261116-0002"), commune_id="dong-hoa"),
    ]
    await storage.dossiers.apply_dossiers([with_hash(r) for r in rows], NOW, "test")
    draft = ApologyDraft(
        rows[1].code_key, "Cần xác minh", dt.date(2026, 11, 25), "900", None,
        LawVersion.TT_03_2025, "VBXL",
    )  # fmt: skip
    await storage.apologies.issue_apology(draft, NOW, 1)
    everything = await storage.reports.report_data(first, last)
    assert sorted(r.commune_id for r in everything.dossiers) == ["binh-an", "dong-hoa", "dong-hoa"]
    assert everything.apology_communes == ["dong-hoa"]
    split = everything.by_commune()
    assert len(split["dong-hoa"].dossiers) == 2 and split["dong-hoa"].apology_procedures
    assert split["binh-an"].apology_procedures == []
    ward = await storage.reports.report_data(first, last, "dong-hoa")
    assert {r.commune_id for r in ward.dossiers} == {"dong-hoa"} and len(ward.dossiers) == 2
    assert len(ward.apology_procedures) == 1
    none = await storage.reports.report_data(first, last, "tan-phu")
    assert none.dossiers == [] and none.apology_procedures == []


async def test_the_report_scanned_in_batches_keeps_nothing_and_misses_nothing(
    storage: Storage,
) -> None:
    """Issue 19: `scan_report` hands the dossiers over `batch` at a time (a province's year is
    millions); together they are `report_data`'s, with the same apologies and catalogue."""
    from dataclasses import replace

    first, last = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    rows = [
        replace(dossier(f"000.00.{19 + n % 2}.H47-261116-{n:04d}"), commune_id=commune)
        for n, commune in enumerate(["binh-an", "dong-hoa", "dong-hoa", "binh-an", "dong-hoa"], 1)
    ]
    await storage.dossiers.apply_dossiers([with_hash(r) for r in rows], NOW, "test")
    draft = ApologyDraft(
        rows[1].code_key, "Cần xác minh", dt.date(2026, 11, 25), "900", None,
        LawVersion.TT_03_2025, "VBXL",
    )  # fmt: skip
    await storage.apologies.issue_apology(draft, NOW, 1)
    await storage.reports.record_catalogue_changes([("moi", "added")], "test", NOW)
    whole = await storage.reports.report_data(first, last)
    assert len(whole.dossiers) == 5
    for batch, commune, expected in ((2, None, 5), (1, "dong-hoa", 3), (10, "tan-phu", 0)):
        batches: list[list[ReportDossier]] = []
        scanned = await storage.reports.scan_report(first, last, batches.append, commune, batch)
        assert scanned.dossiers == [] and all(0 < len(b) <= batch for b in batches)
        got = [r for b in batches for r in b]
        assert Counter(got) == Counter(r for r in whole.dossiers if commune in (None, r.commune_id))
        assert len(got) == expected
        assert scanned.catalogue == whole.catalogue
        assert len(scanned.apology_procedures) == (0 if commune == "tan-phu" else 1)


async def test_officers_questions_and_lists_of_one_commune(storage: Storage) -> None:
    """Issue 19 point 4: what an officer of one commune reads is filtered in the query."""
    from dataclasses import replace

    ward, village = ChatRef("test", "100"), ChatRef("test", "200")
    for chat, commune in ((ward, "dong-hoa"), (village, "binh-an")):
        await storage.chats.touch_chat(chat.channel, chat.chat_id, NOW)
        await storage.chats.set_chat_commune(chat, commune)
    # Officers and the audit log carry their commune.
    entry = AuditEntry(NOW, "test", "900", None, AuditAction.OFFICER_ADDED, "55", None)
    officer = Officer("test", "55", "Ba", "900", NOW, "dong-hoa")
    await storage.officers.add_officer(officer, replace(entry, commune_id="dong-hoa"))
    [stored] = await storage.officers.officers()
    assert stored.commune_id == "dong-hoa"
    await storage.officers.record_audit(replace(entry, target="56"))
    assert [e.target for e in await storage.officers.audit_entries(10, 0, "dong-hoa")] == ["55"]
    assert len(await storage.officers.audit_entries(10)) == 2
    # Feedback, questions and volunteers take their chat's commune when created.
    item = await storage.care.create_feedback(ward, "Đường ngập nước", NOW, [])
    await storage.care.create_feedback(village, "Xin thêm ghế chờ", NOW, [])
    assert item.commune_id == "dong-hoa"
    assert [f.id for f in await storage.care.feedback_items(False, 10, "dong-hoa")] == [item.id]
    assert len(await storage.care.feedback_items(False, 10)) == 2
    ticket, _ = await storage.tickets.open_ticket(ward, "Hỏi đất", None, TicketContext(), NOW, [])
    await storage.tickets.open_ticket(village, "Hỏi hộ tịch", None, TicketContext(), NOW, [])
    assert ticket.commune_id == "dong-hoa"
    assert [t.id for t in await storage.tickets.open_tickets(10, "dong-hoa")] == [ticket.id]
    assert await storage.tickets.count_open_tickets("dong-hoa") == 1
    assert await storage.tickets.count_open_tickets() == 2
    for chat in (ward, village):
        volunteer = Volunteer(
            "test", chat.chat_id, chat.chat_id, "Tư", "Tổ 3", "Khu 2", VolunteerStatus.PENDING, NOW
        )
        await storage.care.request_volunteer(volunteer, NOW, [])
    assert [v.user_id for v in await storage.care.volunteers("binh-an")] == ["200"]
    assert (await storage.care.get_volunteer("test", "100")).commune_id == "dong-hoa"  # type: ignore[union-attr]
    # Dossiers: the morning list, repeated supplements, apologies and the day's slips.
    rows = [
        replace(dossier("000.00.19.H47-261116-0001"), commune_id="binh-an"),
        replace(dossier("000.00.20.H47-261116-0002"), commune_id="dong-hoa"),
    ]
    rows = [replace(r, supplements=3) for r in rows]
    await storage.dossiers.apply_dossiers([with_hash(r) for r in rows], NOW, "test")
    due = await storage.apologies.running_dossiers_due_by(
        dt.date(2026, 11, 30), [Status.PROCESSING], "dong-hoa"
    )
    assert [d.commune_id for d, _ in due] == ["dong-hoa"]
    everyone = await storage.apologies.running_dossiers_due_by(
        dt.date(2026, 11, 30), [Status.PROCESSING]
    )
    assert len(everyone) == 2
    repeated = await storage.apologies.repeated_supplements(2, 10, "binh-an")
    assert [d.commune_id for d in repeated] == ["binh-an"]
    assert len(await storage.apologies.repeated_supplements(2, 10)) == 2
    draft = ApologyDraft(
        rows[1].code_key, "Cần xác minh", dt.date(2026, 11, 25), "900", None,
        LawVersion.TT_03_2025, "VBXL",
    )  # fmt: skip
    await storage.apologies.issue_apology(draft, NOW, 1)
    first, last = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    assert len(await storage.apologies.apologies_between(first, last, "dong-hoa")) == 1
    assert await storage.apologies.apologies_between(first, last, "binh-an") == []
    start = dt.datetime(2026, 11, 16)
    day = await storage.links.dossiers_received_between(
        start, start + dt.timedelta(days=1), "binh-an"
    )
    assert [d.commune_id for d in day] == ["binh-an"]


async def test_broadcasts_to_some_communes(storage: Storage) -> None:
    """Issue 19 point 7: subscribers of the communes picked, by the commune their chat chose."""
    chats = {"1": "binh-an", "2": "dong-hoa", "3": "tan-phu", "4": None}
    for chat_id, commune in chats.items():
        chat = ChatRef("telegram", chat_id)
        await storage.chats.touch_chat(chat.channel, chat.chat_id, NOW)
        await storage.chats.set_chat_commune(chat, commune)
        await storage.broadcasts.subscribe(
            chat, "ho-tich" if chat_id == "1" else ALL_TOPICS, "", NOW
        )
    sizes = await storage.broadcasts.audience_sizes(("binh-an", "tan-phu"))
    assert (sizes.everyone, sizes.size("ho-tich"), sizes.size("chung-thuc")) == (2, 2, 1)
    assert (await storage.broadcasts.audience_sizes()).everyone == 4
    draft = BroadcastDraft(
        "Nghỉ chiều 24/11.", ALL_TOPICS, None, "telegram", "900", None, None,
        communes=("binh-an", "tan-phu"),
    )  # fmt: skip
    sent = await storage.broadcasts.create_broadcast(draft, _audit(AuditAction.BROADCAST_SENT), NOW)
    assert sent.recipients == 2 and sent.communes == ("binh-an", "tan-phu")
    assert (await storage.broadcasts.get_broadcast(sent.id)).communes == sent.communes  # type: ignore[union-attr]
    one = replace_draft(draft, communes=("dong-hoa",))
    own = await storage.broadcasts.create_broadcast(one, _audit(AuditAction.BROADCAST_SENT), NOW)
    assert own.recipients == 1 and own.commune_id == "dong-hoa"
    listed = await storage.broadcasts.recent_broadcasts(5, "dong-hoa")
    assert [b.id for b, _ in listed] == [own.id]
    assert len(await storage.broadcasts.recent_broadcasts(5)) == 2


def replace_draft(draft: BroadcastDraft, **changes: object) -> BroadcastDraft:
    from dataclasses import replace

    return replace(draft, **changes)  # type: ignore[arg-type]
