"""Several worker processes on one PostgreSQL database (issue 18 points 3 and 4): real
`motcua worker` processes answering through the stand-in Bot API.

- every chat's messages are answered in order, each once, by whichever workers run;
- one process sends a channel's outbox at a time, so the rate holds across processes;
- SIGKILL a worker mid-conversation or mid-broadcast: nothing is lost, each chat's order is
  kept, and the only duplicates are the sends that were in flight in the killed process
  (counted and bounded); its chats and its sending are taken over once its leases expire.

Leases last one second here (MOTCUA_WORKER_LEASE_SECONDS), so each test takes a few seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import Dispatcher
from core.broadcasts import ALL_TOPICS, BroadcastDraft
from core.clock import VIETNAM, FixedClock
from core.messages import IncomingMessage, TextFormat
from core.officers import AuditAction, AuditEntry
from core.receipt_codes import code_key
from handlers.context import Services
from storage.base import ChatRef, ConversationKey, Storage
from storage.postgres import PostgresStorage
from tests.fake_telegram import FakeTelegram
from tests.storage_backends import PostgresServer, database_url
from tests.workers_harness import (
    SCRIPT,
    Workers,
    answered,
    running_workers,
    store_script,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    name = postgres_server.take()
    try:
        yield database_url(name)
    finally:
        postgres_server.give_back(name)


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[Storage]:
    storage = await PostgresStorage.open(pg_url, min_size=1, max_size=4)
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def _all_handled(pg: Storage) -> bool:
    return "telegram" not in await pg.workers.inbox_depth()


async def _handled_in_order(pg: Storage) -> None:
    """Each chat's updates were finished in the order they arrived."""
    db = pg.db  # type: ignore[attr-defined]
    rows = await db.pool.fetch(
        "SELECT chat_id, id, processed_at, status FROM inbox ORDER BY chat_id, id"
    )
    assert {row["status"] for row in rows} == {"done"}
    last: dict[str, str] = {}
    for row in rows:
        assert row["processed_at"] >= last.get(row["chat_id"], ""), row
        last[row["chat_id"]] = row["processed_at"]


async def test_three_workers_answer_every_chat_in_order(
    pg: Storage, pg_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    chats = list(range(1000, 1024))
    env = worker_env(pg_url, fake, tmp_path / "data")
    async with running_workers(env, tmp_path / "logs", 3) as workers:
        total = await store_script(pg, fake, chats)
        await wait_for(lambda: _all_handled(pg), workers, what="every update handled")
        # A new catalogue (motcua reload, or an officer's upload) reaches every process.
        await pg.workers.notify("catalogue", "v2")
        await wait_for(
            lambda: workers.output().count("catalogue reloaded") == 3,
            workers,
            what="every worker reloading the catalogue",
        )
    assert total == len(chats) * len(SCRIPT)
    for chat in chats:
        assert answered(fake, chat) == list(range(len(SCRIPT))), chat
    await _handled_in_order(pg)


async def test_sigkill_mid_conversation_loses_nothing_and_keeps_order(
    pg: Storage, pg_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    chats = list(range(2000, 2030))
    fake.send_latency = 0.05  # replies in flight long enough to be killed among them
    env = worker_env(pg_url, fake, tmp_path / "data", MOTCUA_WORKER_CHATS="4")
    async with running_workers(env, tmp_path / "logs", 3) as workers:
        total = await store_script(pg, fake, chats)
        names = workers.names()

        async def busy_victim() -> str | None:
            if len(fake.sent) < total // 4:
                return None
            rows = await pg.db.pool.fetch(  # type: ignore[attr-defined]
                "SELECT holder, COUNT(*) AS n FROM leases WHERE name LIKE 'chat/%'"
                " GROUP BY holder ORDER BY n DESC"
            )
            return next((r["holder"] for r in rows if r["holder"] in names), None)

        victim: str | None = None

        async def found() -> bool:
            nonlocal victim
            victim = await busy_victim()
            return victim is not None

        await wait_for(found, workers, what="a worker in the middle of its chats")
        assert victim is not None
        held = await pg.db.pool.fetchval(  # type: ignore[attr-defined]
            "SELECT COUNT(*) FROM leases WHERE holder = $1 AND name LIKE 'chat/%'", victim
        )
        workers.kill(names[victim])
        killed_at = time.monotonic()
        await wait_for(lambda: _all_handled(pg), workers, what="the killed worker's chats")
        taken_over_after = time.monotonic() - killed_at
    duplicates = 0
    for chat in chats:
        steps = answered(fake, chat)
        # Order kept: never an answer to an earlier message after a later one's.
        assert steps == sorted(steps), (chat, steps)
        assert set(steps) == set(range(len(SCRIPT))), (chat, steps)  # nothing lost
        duplicates += len(steps) - len(SCRIPT)
    # Only what was in flight in the killed worker: at most one message per chat it held.
    assert duplicates <= held, (duplicates, held)
    assert taken_over_after >= 0.5  # its chats waited for the lease (1 s) to expire
    await _handled_in_order(pg)


async def _broadcast(pg: Storage, recipients: int) -> int:
    now = dt.datetime.now(VIETNAM)
    for n in range(recipients):
        await pg.broadcasts.subscribe(ChatRef("telegram", str(3000 + n)), ALL_TOPICS, "có", now)
    draft = BroadcastDraft(
        "Xã thông báo lịch tiêm phòng.", ALL_TOPICS, None, "cli", "cli:test", None, None
    )
    entry = AuditEntry(now, "cli", "cli:test", None, AuditAction.BROADCAST_SENT)
    broadcast = await pg.broadcasts.create_broadcast(draft, entry, now)
    return broadcast.id


def _max_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


async def test_one_sender_keeps_the_rate_and_a_killed_sender_is_replaced(
    pg: Storage, pg_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    recipients = 60
    fake.send_latency = 0.02
    env = worker_env(pg_url, fake, tmp_path / "data", MOTCUA_TELEGRAM_MESSAGES_PER_SECOND="20")
    await _broadcast(pg, recipients)
    async with running_workers(env, tmp_path / "logs", 3) as workers:
        names = workers.names()

        async def sender() -> str | None:
            return await pg.db.pool.fetchval(  # type: ignore[attr-defined]
                "SELECT holder FROM leases WHERE name = 'sender/telegram'"
            )

        await wait_for(lambda: len(fake.sent) >= recipients // 3, workers, what="sending")
        victim = await sender()
        assert victim in names
        workers.kill(names[victim])
        await wait_for(
            lambda: len({m.chat_id for m in fake.sent}) == recipients,
            workers,
            what="every recipient reached after the sender was killed",
        )
        assert await sender() != victim
    per_chat = Counter(m.chat_id for m in fake.sent)
    duplicates = sum(n - 1 for n in per_chat.values())
    assert duplicates <= 4  # Pacing.in_flight: the requests the killed sender had open
    arrivals = [c.at for c in fake.calls_of("sendMessage")]
    # The rate held across three processes (two senders at once would reach ~40 a second).
    # Sends are spaced on their start times (bot.channels.telegram.Pacer); their arrival here
    # jitters by some milliseconds on a loaded machine, which can put one more in a second.
    assert _max_in_one_second(arrivals) <= 20 + 1
    assert (len(arrivals) - 1) / (max(arrivals) - min(arrivals)) <= 20


async def test_conversation_state_is_read_from_the_database_for_every_message(
    pg: Storage, services: Services, knowledge: object
) -> None:
    """Two processes' dispatchers (here: two dispatchers over one database, no shared memory
    but the database) continue one conversation between them."""
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0))
    first = Services(
        knowledge=services.knowledge,
        storage=pg,
        clock=clock,
        renderers=services.renderers,
        calendar=services.calendar,
    )
    second = Services(
        knowledge=services.knowledge,
        storage=pg,
        clock=clock,
        renderers=services.renderers,
        calendar=services.calendar,
    )
    one, two = Dispatcher(first), Dispatcher(second)

    def said(text: str | None = None, button: str | None = None) -> IncomingMessage:
        return IncomingMessage("telegram", "77", "77", text=text or "", button=button)

    replies = await one.handle(said("đăng ký khai sinh"), TextFormat.HTML)
    assert replies[0].text.startswith("<b>Đăng ký khai sinh")
    # The next message goes to the other process: "1" picks from the list the first showed.
    state = await pg.conversations.load_state(ConversationKey("telegram", "77", "77"))
    assert state.name is not None
    buttons = [b for row in replies[-1].buttons for b in row]
    pressed = await two.handle(said(buttons[0].label, buttons[0].data), TextFormat.HTML)
    assert pressed and pressed[0].text


async def test_run_with_workers_acknowledges_webhooks_and_serves_health_and_metrics(
    pg: Storage, pg_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    """`motcua run --channel telegram --workers 2`: the receiving process stores and
    acknowledges Telegram's posts (a redelivery once), two workers it started answer, and
    /healthz and /metrics tell what runs."""
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = worker_env(pg_url, fake, tmp_path / "data", TELEGRAM_WEBHOOK_SECRET="s3cret")
    front = Workers(env, tmp_path / "logs")
    front_log = (tmp_path / "logs").joinpath("front.log")
    (tmp_path / "logs").mkdir(parents=True, exist_ok=True)
    with front_log.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--channel", "telegram", "--workers", "2",
            "--webhook-url", "https://bot.example.vn/telegram", "--listen", "127.0.0.1",
            "--port", str(port), env=env, stdout=log, stderr=log,
        )  # fmt: skip
    front.processes.append(process)
    local = f"http://127.0.0.1:{port}"
    try:
        await wait_for(lambda: fake.webhook_url is not None, front, "setWebhook")

        async def health() -> dict[str, object] | None:
            try:
                async with httpx.AsyncClient(trust_env=False) as client:
                    response = await client.get(f"{local}/healthz")
            except httpx.HTTPError:
                return None
            body = response.json()
            return body if body.get("workers") == 2 else None

        await wait_for(health, front, "two workers")
        chats = [4000, 4001, 4002]
        for step in SCRIPT:
            for chat in chats:
                update_id = fake.push_text(chat, step)
                update = fake.updates[update_id]
                assert await fake.post_update(f"{local}/telegram", update, "s3cret") == 200
        assert await fake.post_update(f"{local}/telegram", update, "s3cret") == 200  # again
        assert await fake.post_update(f"{local}/telegram", update, "wrong") == 403
        await wait_for(lambda: _all_handled(pg), front, "every update handled")
        for chat in chats:
            assert answered(fake, chat) == list(range(len(SCRIPT)))
        async with httpx.AsyncClient(trust_env=False) as client:
            text = (await client.get(f"{local}/metrics")).text
        assert 'motcua_messages_handled_total{channel="telegram"} 12.0' in text
        assert 'motcua_inbox_waiting{channel="telegram"} 0.0' in text
        assert "motcua_reply_seconds_bucket" in text
        assert 'motcua_outbox{status="pending"}' in text
        assert "motcua_catalogue_info{version=" in text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            raise AssertionError(f"the front did not stop\n{front.output()}") from None
    assert process.returncode == 0, front.output()


def _export(rows: int, status: str) -> bytes:
    lines = ["Mã hồ sơ,Thủ tục,Người nộp,Số điện thoại,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái"]
    lines += [
        f"H57.132-260105-{n:04d},Đăng ký khai sinh,Nguyễn Văn An,0912 345 {n % 1000:03d},"
        f"05/01/2026 09:30,,{status}"
        for n in range(1, rows + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


async def test_sigkill_mid_import_applies_it_once(
    pg: Storage, pg_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    """An officer's export is being imported when the worker dies: the import's transaction
    is rolled back, another worker takes the officer's chat over and imports the file again;
    every follower is told once, the officer once."""
    from bot.front import store_update

    rows, officer, followers = 3000, 900, [5001, 5002, 5003]
    env = worker_env(pg_url, fake, tmp_path / "data", OFFICER_IDS=f"telegram:{officer}")
    services = type("S", (), {"storage": pg, "clock": FixedClock(dt.datetime.now(VIETNAM))})()

    async def upload(status: str) -> None:
        update_id = fake.push_document(officer, "xuat.csv", _export(rows, status), "text/csv")
        update = fake.updates[update_id]
        assert await store_update(services, update, json.dumps(update, ensure_ascii=False))
        await pg.workers.notify("inbox")

    def imports_done() -> int:
        return sum("Đã nhập" in (m.text or "") for m in fake.messages_to(officer))

    async with running_workers(env, tmp_path / "logs", 2) as workers:
        await upload("Đang giải quyết")
        await wait_for(lambda: imports_done() == 1, workers, "the first import")
        now = dt.datetime.now(VIETNAM)
        for n, chat in enumerate(followers, start=1):
            code = code_key(f"H57.132-260105-{n:04d}")
            await pg.follows.follow(ChatRef("telegram", str(chat)), code, None, "có", now)
        names = workers.names()
        downloads = len(fake.calls_of("getFile"))
        await upload("Đã có kết quả")
        await wait_for(lambda: len(fake.calls_of("getFile")) > downloads, workers, "a download")
        holder = await pg.db.pool.fetchval(  # type: ignore[attr-defined]
            "SELECT holder FROM leases WHERE name = $1", f"chat/telegram/{officer}"
        )
        workers.kill(names[holder])
        assert imports_done() == 1  # killed before the second import was done
        await wait_for(lambda: imports_done() == 2, workers, "the import taken over")
        await wait_for(
            lambda: all(fake.messages_to(chat) for chat in followers), workers, "notices"
        )
        await wait_for(lambda: _all_handled(pg), workers, "every update handled")
    assert len(fake.calls_of("getFile")) == downloads + 2  # downloaded again by the other
    assert await pg.dossiers.count_dossiers() == rows
    for chat in followers:
        assert len(fake.messages_to(chat)) == 1, chat  # told once
    outcome = [m.text or "" for m in fake.messages_to(officer) if "Đã nhập" in (m.text or "")]
    assert len(outcome) == 2


async def test_zalo_events_go_through_the_receiving_process_to_two_workers(
    pg: Storage, services: Services
) -> None:
    """Zalo (in one process here): the receiving side's webhook stores signed events in Zalo's
    inbox and wakes the workers; two worker processes' worth of objects share the database and
    answer each person's messages in order."""
    import dataclasses

    from starlette.applications import Starlette

    from bot.front import Notifier, _PokingZalo
    from bot.webhook_server import ZaloBot, zalo_routes
    from bot.workers import WorkerOptions, WorkerProcess
    from tests.fake_zalo import FakeZalo, WebhookDriver
    from tests.test_zalo import zalo_options

    shared = dataclasses.replace(services, storage=pg)
    people = ["2468458835296117922", "8756412398745612301"]
    async with FakeZalo() as fake:
        options = zalo_options(fake)
        front = ZaloBot(dataclasses.replace(shared), options, serve=False, watches=False)
        poking = _PokingZalo(front.channel, Notifier(shared))
        app = Starlette(routes=zalo_routes(poking, options.webhook_path))  # type: ignore[arg-type]
        driver = WebhookDriver("http://bot/zalo/webhook", fake=fake, clock=shared.clock)
        await driver.client.aclose()
        driver.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bot"
        )
        workers = []
        for n in (1, 2):
            process = WorkerProcess(
                dataclasses.replace(shared),
                WorkerOptions(name=f"test:{n}", lease=dt.timedelta(seconds=5), poll_interval=0.2),
            )
            await process.add_zalo(options)
            await process.start()
            workers.append(process)
        try:
            for step in SCRIPT[:3]:
                for person in people:
                    assert (await driver.text(person, step)).status_code == 200
            assert (await driver.text(people[0], SCRIPT[2])).status_code == 200
            await fake.wait_until(lambda: all(len(fake.to(p)) >= 3 for p in people), 20)
            await fake.wait_until(lambda: len(fake.to(people[0])) >= 4, 20)
            # A reply can reach Zalo before its event is marked done: wait for the inbox too.
            for _ in range(600):  # at most 30 s
                if "zalo" not in await pg.workers.inbox_depth():
                    break
                await asyncio.sleep(0.05)
        finally:
            for process in workers:
                await process.stop()
            await driver.close()
            await front.http.aclose()
    names = ["Đăng ký khai sinh", "Đăng ký kết hôn", "Chứng thực bản sao"]
    for person in people:
        firsts = [next(s.text for s in fake.to(person) if name in s.text) for name in names]
        order = [next(i for i, s in enumerate(fake.to(person)) if s.text == t) for t in firsts]
        assert order == sorted(order), person
    assert "zalo" not in await pg.workers.inbox_depth()  # every event handled


async def test_two_processes_renew_zalos_single_use_token_once(
    pg: Storage, services: Services
) -> None:
    """Each worker has its own token keeper: when the token goes stale in both, one renews
    (Zalo's refresh tokens work once) and the other takes the new pair from the database."""
    import dataclasses

    import httpx as http

    from bot.channels.zalo import TokenKeeper
    from tests.fake_zalo import FakeZalo
    from tests.test_zalo import zalo_options

    async with FakeZalo() as fake, http.AsyncClient(trust_env=False) as client:
        options = zalo_options(fake)
        keepers = [
            TokenKeeper(dataclasses.replace(services, storage=pg), client, options, _no_alert)
            for _ in range(2)
        ]
        for keeper in keepers:
            await keeper.load()
        stale = keepers[0].tokens.access_token  # type: ignore[union-attr]
        fake.expire_access_token()
        await asyncio.gather(*(keeper.refresh(stale) for keeper in keepers))
    assert len(fake.refreshes) == 1
    assert {k.tokens.access_token for k in keepers} == {fake.access_token}  # type: ignore[union-attr]
    assert not any(keeper.broken for keeper in keepers)


async def _no_alert(_text: str) -> None:
    raise AssertionError("no officer alert expected")


async def test_one_long_poller_stores_updates_for_the_workers(
    pg: Storage, pg_url: str, fake: FakeTelegram, tmp_path: Path
) -> None:
    """Without a webhook, the receiving process is the one long poller: it stores each update
    (its id deduplicates) and a worker answers."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = worker_env(pg_url, fake, tmp_path / "data")
    front = Workers(env, tmp_path / "logs")
    (tmp_path / "logs").mkdir(parents=True, exist_ok=True)
    with (tmp_path / "logs" / "front.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--channel", "telegram", "--workers", "1",
            "--listen", "127.0.0.1", "--port", str(port), env=env, stdout=log, stderr=log,
        )  # fmt: skip
    front.processes.append(process)
    try:
        chats = [6000, 6001]
        for step in SCRIPT[:2]:
            for chat in chats:
                fake.push_text(chat, step)
        await wait_for(
            lambda: all(len(fake.messages_to(c)) == 2 for c in chats), front, "the answers"
        )
        await wait_for(lambda: _all_handled(pg), front, "every update handled")
        for chat in chats:
            assert answered(fake, chat) == [0, 1]
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 20)
    assert process.returncode == 0, front.output()


async def test_notices_come_back_after_the_database_drops_the_listener(pg: Storage) -> None:
    """PostgreSQL restarted, or the connection killed: the listener is opened again, every
    listener looks once (notices sent meanwhile are lost), and the next notices arrive."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    await pg.workers.listen("catalogue", heard.put_nowait)
    db = pg.db  # type: ignore[attr-defined]
    await db.pool.execute("SELECT pg_terminate_backend($1)", db._listener.get_server_pid())
    assert await asyncio.wait_for(heard.get(), 15) == ""  # the look after reopening
    await pg.workers.notify("catalogue", "v3")
    assert await asyncio.wait_for(heard.get(), 15) == "v3"
