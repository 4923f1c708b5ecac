"""Contract: what several worker processes share (issue 18) — the inbox, chat leases, named
leases, notices, exclusive jobs — on every backend (PostgreSQL's claims also concurrently)."""

from __future__ import annotations

import asyncio
import datetime as dt

from storage.base import ChatRef, Storage

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


async def _add(storage: Storage, chat: str, *ids: int, at: dt.datetime = NOW) -> None:
    for n in ids:
        assert await storage.workers.add_update("telegram", str(n), chat, f'{{"n": {n}}}', at)


async def test_updates_are_stored_once_and_chats_leased_to_one_worker(storage: Storage) -> None:
    await _add(storage, "A", 1, 2)
    await _add(storage, "B", 3)
    await _add(storage, "C", 4)
    assert not await storage.workers.add_update("telegram", "1", "A", "{}", NOW)  # redelivered
    until = NOW + LEASE
    first = await storage.workers.claim_chats("telegram", "w1", NOW, until, 2)
    assert sorted(first) == ["A", "B"]
    second = await storage.workers.claim_chats("telegram", "w2", NOW, until, 5)
    assert second == ["C"]  # A and B are leased to w1
    assert await storage.workers.claim_chats("telegram", "w3", NOW, until, 5) == []
    events = await storage.workers.chat_events("telegram", "A", 10)
    assert [(e.event_key, e.user_id, e.payload, e.received_at) for e in events] == [
        ("1", "A", '{"n": 1}', NOW),
        ("2", "A", '{"n": 2}', NOW),
    ]
    await storage.workers.finish_update("telegram", "1", NOW)
    await storage.workers.finish_update("telegram", "2", NOW, "boom")
    assert await storage.workers.chat_events("telegram", "A", 10) == []
    assert not await storage.workers.release_chat("telegram", "A", "w2")  # still w1's
    await _add(storage, "A", 5)
    assert await storage.workers.claim_chats("telegram", "w3", NOW, until, 5) == []
    assert not await storage.workers.release_chat("telegram", "A", "w1")  # 5 is waiting
    assert await storage.workers.claim_chats("telegram", "w3", NOW, until, 5) == []
    await storage.workers.finish_update("telegram", "5", NOW)
    assert await storage.workers.release_chat("telegram", "A", "w1")
    await _add(storage, "A", 6)
    assert await storage.workers.claim_chats("telegram", "w3", NOW, until, 5) == ["A"]
    depth = await storage.workers.inbox_depth()
    assert depth["telegram"] == (3, NOW)  # B's, C's, A's 6


async def test_an_expired_lease_is_taken_over_and_renewal_keeps_it(storage: Storage) -> None:
    await _add(storage, "A", 1)
    await _add(storage, "B", 2)
    short = NOW + dt.timedelta(seconds=2)
    assert sorted(await storage.workers.claim_chats("telegram", "dead", NOW, short, 5)) == [
        "A",
        "B",
    ]
    assert await storage.workers.renew_leases("alive", NOW + LEASE) == 0
    later = NOW + dt.timedelta(seconds=3)
    assert await storage.workers.claim_chats("telegram", "w2", NOW, NOW + LEASE, 5) == []
    taken = await storage.workers.claim_chats("telegram", "w2", later, later + LEASE, 5)
    assert sorted(taken) == ["A", "B"]
    assert await storage.workers.renew_leases("w2", later + 2 * LEASE) == 2
    assert await storage.workers.claim_chats("telegram", "w3", later + LEASE, later, 5) == []
    assert await storage.workers.drop_leases("w2") == 2
    assert len(await storage.workers.claim_chats("telegram", "w3", later, later + LEASE, 5)) == 2


async def test_named_leases_elect_one_holder(storage: Storage) -> None:
    until = NOW + LEASE
    assert await storage.workers.take_lease("sender/telegram", "w1", NOW, until)
    assert await storage.workers.take_lease("sender/telegram", "w1", NOW, until)  # renewed
    assert not await storage.workers.take_lease("sender/telegram", "w2", NOW, until)
    assert await storage.workers.take_lease("sender/zalo", "w2", NOW, until)
    after = until + dt.timedelta(seconds=1)
    assert await storage.workers.take_lease("sender/telegram", "w2", after, after + LEASE)
    assert not await storage.workers.take_lease("sender/telegram", "w1", after, after + LEASE)


async def test_zalo_events_are_handed_out_by_person(storage: Storage) -> None:
    for key, user in (("e1", "u1"), ("e2", "u2"), ("e3", "u1")):
        assert await storage.zalo.inbox_add(key, user, f'{{"k": "{key}"}}', NOW)
    claimed = await storage.workers.claim_chats("zalo", "w1", NOW, NOW + LEASE, 1)
    assert claimed == ["u1"]  # the oldest event's person
    assert [e.event_key for e in await storage.workers.chat_events("zalo", "u1", 5)] == [
        "e1",
        "e3",
    ]
    await storage.workers.finish_update("zalo", "e1", NOW)
    assert [e.event_key for e in await storage.workers.chat_events("zalo", "u1", 5)] == ["e3"]
    assert await storage.workers.claim_chats("zalo", "w2", NOW, NOW + LEASE, 5) == ["u2"]
    assert (await storage.workers.inbox_depth())["zalo"] == (2, NOW)


async def test_handled_updates_are_forgotten_and_erased_with_the_chat(storage: Storage) -> None:
    await _add(storage, "A", 1, 2)
    await storage.workers.finish_update("telegram", "1", NOW)
    await storage.chats.forget_chat(ChatRef("telegram", "A"))
    # The handled one kept its id (a redelivery is still refused) without its text.
    assert not await storage.workers.add_update("telegram", "1", "A", "{}", NOW)
    assert [e.payload for e in await storage.workers.chat_events("telegram", "A", 5)] == [
        '{"n": 2}'
    ]
    assert await storage.workers.forget_handled_before(NOW + dt.timedelta(days=15)) == 1
    assert await storage.workers.add_update("telegram", "1", "A", "{}", NOW)


async def test_notices_reach_listeners(storage: Storage) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    await storage.workers.listen("catalogue", heard.put_nowait)
    await storage.workers.notify("catalogue", "v2")
    assert await asyncio.wait_for(heard.get(), 5) == "v2"


async def test_an_exclusive_job_runs_in_one_place_at_a_time(storage: Storage) -> None:
    async with storage.jobs.exclusively("apology-watch") as mine:
        assert mine
        async with storage.jobs.exclusively("apology-watch") as again:
            assert not again
        async with storage.jobs.exclusively("care") as other:
            assert other
    async with storage.jobs.exclusively("apology-watch") as mine:
        assert mine


async def test_concurrent_claims_never_share_a_chat(storage: Storage) -> None:
    chats = [f"c{n}" for n in range(40)]
    for n, chat in enumerate(chats):
        await _add(storage, chat, 2 * n, 2 * n + 1)
    claims = await asyncio.gather(
        *(storage.workers.claim_chats("telegram", f"w{n}", NOW, NOW + LEASE, 7) for n in range(8))
    )
    taken = [chat for claim in claims for chat in claim]
    assert len(taken) == len(set(taken))
    assert set(taken) <= set(chats)


async def test_the_oldest_unsent_notice_is_known(storage: Storage) -> None:
    from core.outbox import OutboxKind
    from storage.base import OutboxMessage

    assert await storage.outbox.oldest_unsent() is None
    message = OutboxMessage("k1", "telegram", "5", OutboxKind.APOLOGY_WATCH, {"day": "2026-11-23"})
    await storage.outbox.enqueue([message], NOW)
    later = OutboxMessage("k2", "telegram", "6", OutboxKind.APOLOGY_WATCH, {"day": "2026-11-23"})
    await storage.outbox.enqueue([later], NOW + LEASE)
    assert await storage.outbox.oldest_unsent() == NOW
    claimed = await storage.outbox.claim_due(NOW + LEASE, 1)
    assert await storage.outbox.oldest_unsent() == NOW  # in flight is not sent yet
    await storage.outbox.mark_sent(claimed[0].id, "1", NOW + LEASE)
    assert await storage.outbox.oldest_unsent() == NOW + LEASE
