"""The Zalo OA channel end to end over loopback: signed webhooks posted to our server, our
handlers and SQLite, and the stand-in of Zalo's APIs (tests/fake_zalo.py) receiving the
messages. Windows, night hours and token expiry follow the settable clock; nothing sleeps."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.care_jobs import CareWatch
from bot.channels.zalo import (
    ZaloOptions,
    ZaloRules,
    ZnsTemplate,
    event_key,
    event_signature,
    format_reply,
    options_from_settings,
    parse_event,
    zns_phone,
)
from bot.jobs import ApologyWatch
from bot.settings import Settings
from bot.webhook_server import ZaloBot
from core.clock import FixedClock
from core.dossiers import Status
from core.messages import Button, Reply
from handlers.context import Services
from storage.base import ChatRef, OutboxStatus
from tests.conftest import make_settings
from tests.dossier_fixtures import CODE, NO_PHONE_CODE, OTHER_CODE, dossier, with_hash
from tests.fake_zalo import APP_ID, APP_SECRET, OA_SECRET, FakeZalo, Sent, WebhookDriver

CITIZEN = "2468458835296117922"  # Zalo ids do not fit a double: always strings
OTHER = "8756412398745612301"
NOW = dt.datetime(2026, 11, 23, 9, 0)
PHONE = "84912345678"


def zalo_options(fake: FakeZalo, **changes: object) -> ZaloOptions:
    rules = ZaloRules(
        messages_per_second=10_000,
        zns={
            "dossier-status": ZnsTemplate("231456", {"ma_ho_so": "code", "trang_thai": "status"}),
            "apology": ZnsTemplate("231457", {"ma_ho_so": "code", "ngay_hen_moi": "new_due"}),
        },
    )
    # tests deliver the outbox themselves, when they choose
    return fake.options(**{"rules": rules, **changes})


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


@pytest.fixture
async def zalo(fake: FakeZalo, services: Services) -> AsyncIterator[ZaloBot]:
    bot = ZaloBot(services, zalo_options(fake))
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def driver(zalo: ZaloBot, fake: FakeZalo) -> AsyncIterator[WebhookDriver]:
    url = f"http://127.0.0.1:{zalo.port}/zalo/webhook"
    client = WebhookDriver(url, fake=fake, clock=zalo.services.clock)
    yield client
    await client.close()


async def say(
    driver: WebhookDriver, zalo: ZaloBot, fake: FakeZalo, user: str, text: str
) -> list[Sent]:
    """One message from the person; the replies it got (everything sent once it is handled)."""
    before = len(fake.to(user))
    response = await driver.text(user, text)
    assert response.status_code == 200
    await zalo.channel.process_pending()
    return fake.to(user)[before:]


async def press(
    driver: WebhookDriver, zalo: ZaloBot, fake: FakeZalo, user: str, label: str
) -> list[Sent]:
    """Press a button of the last messages: its token, or its number in a numbered list."""
    for sent in reversed(fake.to(user)):
        for title, payload in sent.buttons:
            if title == label:
                return await say(driver, zalo, fake, user, payload)
        for line in sent.text.splitlines():
            number, _, rest = line.partition(". ")
            if number.isdigit() and rest == label:
                return await say(driver, zalo, fake, user, number)
    raise AssertionError(f"no button {label!r} sent to {user}")


async def follow_dossier(
    driver: WebhookDriver, zalo: ZaloBot, fake: FakeZalo, services: Services, user: str
) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    [ask] = await say(driver, zalo, fake, user, f"mã hồ sơ {CODE.lower()}")
    assert "4 chữ số cuối" in ask.text
    card = await say(driver, zalo, fake, user, "5678")
    assert any("Nguyễn V*** A**" in s.text for s in card)
    assert all("0912" not in s.text for s in card)
    await press(driver, zalo, fake, user, "🔔 Theo dõi hồ sơ này")
    done = await press(driver, zalo, fake, user, "✅ Đồng ý theo dõi")
    assert any("Đã theo dõi hồ sơ" in s.text for s in done)


async def change_status(services: Services, status: Status, source: str) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier(status=status))], NOW, source)


# -- pieces ------------------------------------------------------------------------------------


def test_the_signature_is_zalos_mac() -> None:
    body = b'{"event_name":"follow","timestamp":"1764580000000"}'
    expected = hashlib.sha256(
        (APP_ID + body.decode() + "1764580000000" + OA_SECRET).encode()
    ).hexdigest()
    assert event_signature(APP_ID, body, "1764580000000", OA_SECRET) == f"mac={expected}"


def test_big_integer_ids_stay_exact_strings() -> None:
    driver = WebhookDriver("http://127.0.0.1:9/unused")
    event = parse_event(driver.payload("follow", CITIZEN))
    assert event["oa_id"] == "388613280878808645"  # an unquoted number, read exactly
    assert event["user_id_by_app"] == "5521772797175877301"
    assert event["follower"]["id"] == CITIZEN
    assert event_key(event).startswith(f"follow:{CITIZEN}:")


def test_long_replies_are_split_and_many_buttons_become_a_numbered_list() -> None:
    rules = ZaloRules(text_limit=2000, max_buttons=5)
    text = "\n\n".join(f"Đoạn {n}: " + "chữ " * 120 for n in range(12))
    buttons = tuple((Button(f"Nút {n}", f"x:{n}"),) for n in range(7))
    formatted = format_reply(Reply(text=text, buttons=buttons), rules)
    assert len(formatted.messages) > 1
    assert all(len(m.text) <= 2000 for m in formatted.messages)
    assert formatted.messages[-1].text.endswith("7. Nút 6\n(Gõ số để chọn.)")
    assert formatted.choices is not None and len(formatted.choices) == 7
    few = format_reply(Reply(text="Chọn:", buttons=buttons[:2]), rules)
    assert [label for label, _token in few.messages[0].buttons] == ["Nút 0", "Nút 1"]


def test_quiet_hours_and_the_morning_after() -> None:
    rules = ZaloRules()
    late = dt.datetime(2026, 11, 23, 23, 10)
    assert rules.is_quiet(late) and rules.is_quiet(late.replace(hour=5, minute=59))
    assert not rules.is_quiet(late.replace(hour=6, minute=0))
    assert rules.morning_after(late) == dt.datetime(2026, 11, 24, 6, 0)
    assert rules.morning_after(late.replace(hour=2)) == dt.datetime(2026, 11, 23, 6, 0)


def test_zns_phone_numbers() -> None:
    assert zns_phone("0912 345 678") == PHONE
    assert zns_phone("+84 912 345 678") == PHONE
    assert zns_phone("1900") is None


def test_settings_name_what_is_missing(tmp_path: object) -> None:
    settings = make_settings(tmp_path, ZALO_APP_ID="1")  # type: ignore[arg-type]
    problem = options_from_settings(settings)
    assert isinstance(problem, str)
    assert "ZALO_APP_SECRET" in problem and "ZALO_OA_SECRET_KEY" in problem
    full = Settings(
        _env_file=None,  # type: ignore[call-arg]
        ZALO_APP_ID=APP_ID,
        ZALO_APP_SECRET=APP_SECRET,
        ZALO_OA_SECRET_KEY=OA_SECRET,
        ZALO_REFRESH_TOKEN="r",
        ZALO_ZNS_TEMPLATE_STATUS="231456",
        ZALO_WEBHOOK_URL="https://bot.xa.gov.vn/zalo/hook",
        zalo_errors_night="-133,-1340",
    )
    options = options_from_settings(full)
    assert isinstance(options, ZaloOptions)
    assert options.webhook_path == "/zalo/hook"
    assert options.rules.errors.night == frozenset({-133, -1340})
    assert options.rules.zns["dossier-status"].fields["ma_ho_so"] == "code"


# -- conversations ----------------------------------------------------------------------------


async def test_a_question_answered_with_buttons_then_a_button_press(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver
) -> None:
    replies = await say(driver, zalo, fake, CITIZEN, "đăng ký kết hôn cần mang gì")
    assert all(s.kind == "cs" for s in replies)
    assert replies[0].text.startswith("Đăng ký kết hôn")  # plain text, no HTML tags
    assert "<b>" not in "".join(s.text for s in replies)
    assert all(payload.startswith("#b:") for s in replies for _t, payload in s.buttons)
    fees = await press(driver, zalo, fake, CITIZEN, "💰 Lệ phí")
    assert any("Lệ phí – Đăng ký kết hôn" in s.text for s in fees)


async def test_lookup_follow_and_status_by_cs_inside_the_window_and_zns_outside(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services, clock: FixedClock
) -> None:
    await follow_dossier(driver, zalo, fake, services, CITIZEN)
    await change_status(services, Status.READY, "import:b.csv")
    await zalo.worker.deliver_due()
    notice = fake.to(CITIZEN)[-1]
    assert notice.kind == "cs" and "Đã có kết quả – chờ trả" in notice.text and CODE in notice.text

    clock.advance(hours=49)  # the free window is over; transaction messages are not allowed
    await change_status(services, Status.RETURNED, "import:c.csv")
    await zalo.worker.deliver_due()
    [zns] = fake.to(PHONE)
    assert zns.kind == "zns" and zns.body["template_id"] == "231456"
    assert zns.body["template_data"] == {"ma_ho_so": CODE, "trang_thai": "Đã trả kết quả"}
    assert (await services.storage.outbox.outbox_counts())[OutboxStatus.SENT] == 2


async def test_night_time_zns_waits_for_the_morning(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services, clock: FixedClock
) -> None:
    await follow_dossier(driver, zalo, fake, services, CITIZEN)
    clock.set(dt.datetime(2026, 11, 25, 23, 30))  # outside the window, and at night
    await change_status(services, Status.READY, "import:b.csv")
    assert await zalo.worker.deliver_due() == 1
    assert fake.to(PHONE) == []
    clock.set(dt.datetime(2026, 11, 26, 5, 59))
    assert await zalo.worker.deliver_due() == 0
    clock.set(dt.datetime(2026, 11, 26, 6, 0))
    await zalo.worker.deliver_due()
    assert [s.kind for s in fake.to(PHONE)] == ["zns"]


async def test_a_night_time_refusal_from_zalo_is_deferred_too(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services, clock: FixedClock
) -> None:
    await follow_dossier(driver, zalo, fake, services, CITIZEN)
    fake.fail_next("cs", -133, to=CITIZEN)
    sent_before = len(fake.to(CITIZEN))
    await change_status(services, Status.READY, "import:b.csv")
    await zalo.worker.deliver_due()
    assert len(fake.to(CITIZEN)) == sent_before
    clock.set(dt.datetime(2026, 11, 24, 6, 0))
    await zalo.worker.deliver_due()
    assert "Đã có kết quả" in fake.to(CITIZEN)[-1].text


async def test_token_expiry_in_the_middle_of_a_fan_out(
    fake: FakeZalo, zalo: ZaloBot, services: Services, clock: FixedClock
) -> None:
    storage = services.storage
    users = [f"70000000000000000{n:02d}" for n in range(6)]
    await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    for user in users:
        await storage.follows.follow(ChatRef("zalo", user), dossier().code_key, None, "đồng ý", NOW)
        await storage.zalo.zalo_interaction(user, clock.now())
    zalo.worker.batch = 2  # three rounds: the token dies between them
    await change_status(services, Status.READY, "import:b.csv")
    items = await storage.outbox.claim_due(clock.now(), 3)
    for item in items[:3]:
        await zalo.worker.deliver(item)
    fake.expire_access_token()
    await zalo.worker.deliver_due()
    assert sorted(s.to for s in fake.sent) == sorted(users)
    assert len(fake.refreshes) == 1 and fake.refreshes[0]["refresh_token"] == "refresh-1"
    stored = await storage.zalo.zalo_tokens()
    assert stored.refresh_token == fake.refresh_token == "refresh-2"  # the new one, saved
    assert (await storage.outbox.outbox_counts())[OutboxStatus.SENT] == 6

    # Ahead of expiry the token is renewed before use, without a refused call.
    refused = sum(1 for _e, code in fake.calls if code != 0)
    clock.advance(seconds=fake.token_lifetime - 1800)
    await change_status(services, Status.RETURNED, "import:c.csv")
    await zalo.worker.deliver_due()
    assert len(fake.refreshes) == 2
    assert sum(1 for _e, code in fake.calls if code != 0) == refused


async def test_a_failed_refresh_stops_sending_and_tells_the_officers(
    fake: FakeZalo, zalo: ZaloBot, services: Services
) -> None:
    storage = services.storage
    await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    await storage.follows.follow(ChatRef("zalo", CITIZEN), dossier().code_key, None, "đồng ý", NOW)
    await storage.zalo.zalo_interaction(CITIZEN, NOW)
    fake.expire_access_token()
    fake.refresh_error = -14014
    await change_status(services, Status.READY, "import:b.csv")
    await zalo.worker.deliver_due()
    assert zalo.keeper.broken and fake.sent == []
    assert any("tạm dừng gửi tin trên Zalo" in text for text in zalo.alerts)
    counts = await storage.outbox.outbox_counts()
    assert counts[OutboxStatus.PENDING] == 1 and counts[OutboxStatus.FAILED] == 0
    assert await zalo.worker.deliver_due() == 0  # stopped, nothing lost


async def test_no_interaction_and_no_zns_tells_the_officers(
    fake: FakeZalo, zalo: ZaloBot, services: Services, clock: FixedClock
) -> None:
    storage = services.storage
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier(NO_PHONE_CODE, phone=None))], NOW, "import:a"
    )
    key = dossier(NO_PHONE_CODE).code_key
    await storage.follows.follow(ChatRef("zalo", CITIZEN), key, None, "đồng ý", NOW)
    await storage.zalo.zalo_interaction(CITIZEN, NOW)
    clock.advance(days=8)
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier(NO_PHONE_CODE, phone=None, status=Status.READY))], NOW, "import:b"
    )
    await zalo.worker.deliver_due()
    assert fake.sent == []
    assert any(NO_PHONE_CODE in text and "liên hệ trực tiếp" in text for text in zalo.alerts)
    assert (await storage.outbox.outbox_counts())[OutboxStatus.FAILED] == 1


async def test_the_window_closing_early_falls_back_to_zns(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services
) -> None:
    await follow_dossier(driver, zalo, fake, services, CITIZEN)
    fake.fail_next("cs", -230, to=CITIZEN)  # Zalo: no interaction in the last 7 days
    await change_status(services, Status.READY, "import:b.csv")
    await zalo.worker.deliver_due()
    assert [s.kind for s in fake.to(PHONE)] == ["zns"]


async def test_follow_unfollow_and_things_that_are_not_text(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services
) -> None:
    assert (await driver.event("follow", OTHER)).status_code == 200
    await zalo.channel.process_pending()
    [greeting] = fake.to(OTHER)
    assert "Xin chào" in greeting.text
    for kind in ("user_send_image", "user_send_sticker"):
        await driver.post(driver.payload(kind, OTHER))
    await driver.post(driver.payload("user_seen_message", OTHER))
    await zalo.channel.process_pending()
    photo, sticker = fake.to(OTHER)[1:]
    # The picture's address is not on the hosts allowed (here: loopback only): not fetched.
    assert "chưa nhận được ảnh" in photo.text
    assert "chỉ đọc được chữ" in sticker.text

    await follow_dossier(driver, zalo, fake, services, CITIZEN)
    await driver.event("unfollow", CITIZEN)
    await zalo.channel.process_pending()
    follower = await services.storage.zalo.zalo_follower(CITIZEN)
    assert follower is not None and not follower.followed
    assert await services.storage.follows.follows(ChatRef("zalo", CITIZEN)) == []
    before = len(fake.sent)
    await change_status(services, Status.READY, "import:b.csv")
    await zalo.worker.deliver_due()
    assert len(fake.sent) == before  # nobody to tell: no message queued, none sent


async def test_forged_or_missing_signatures_are_refused(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services
) -> None:
    body = driver.payload("user_send_text", CITIZEN, "khai sinh")
    assert (await driver.post(body, signature=None)).status_code == 401
    assert (await driver.post(body, signature="mac=" + "0" * 64)).status_code == 401
    forged = WebhookDriver(driver.url, oa_secret="not-the-secret", clock=services.clock)
    assert (await forged.post(body)).status_code == 401
    await forged.close()
    tampered = body.replace(b"khai sinh", b"khai tu")
    assert (await driver.post(tampered, signature=driver.sign(body))).status_code == 401
    await zalo.channel.process_pending()
    assert await services.storage.zalo.inbox_counts() == {}
    assert fake.sent == []


async def test_a_repeated_webhook_is_handled_once(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services
) -> None:
    body = driver.payload("user_send_text", CITIZEN, "/start", msg_id="7a1f00000000000000001")
    first = await driver.post(body)
    again = await driver.post(body)  # Zalo retries when our 200 came late
    assert first.status_code == again.status_code == 200
    await zalo.channel.process_pending()
    assert len(fake.to(CITIZEN)) == 1
    assert await services.storage.zalo.inbox_counts() == {"done": 1}


async def test_a_restart_with_events_in_the_inbox_loses_none(
    fake: FakeZalo, services: Services
) -> None:
    first = ZaloBot(services, zalo_options(fake))
    first.channel.process_pending = _never  # type: ignore[method-assign]  # dies before handling
    await first.start()
    url = f"http://127.0.0.1:{first.port}/zalo/webhook"
    driver = WebhookDriver(url, fake=fake, clock=services.clock)
    for n, text in enumerate(["/start", "khai sinh", "/start"]):
        body = driver.payload("user_send_text", f"55500000000000000{n:02d}", text)
        assert (await driver.post(body)).status_code == 200
    await driver.close()
    await first.stop()
    assert await services.storage.zalo.inbox_counts() == {"pending": 3}
    assert fake.sent == []

    second = ZaloBot(services, zalo_options(fake))
    await second.start()
    try:
        await second.channel.process_pending()
    finally:
        await second.stop()
    assert sorted({s.to for s in fake.sent}) == [f"55500000000000000{n:02d}" for n in range(3)]
    assert await services.storage.zalo.inbox_counts() == {"done": 3}


async def _never() -> int:
    return 0


def test_payload_files_are_json() -> None:
    driver = WebhookDriver("http://127.0.0.1:9/unused")
    for name in ("user_send_text", "follow", "unfollow", "user_send_image", "user_send_sticker"):
        assert json.loads(driver.payload(name, CITIZEN, 'say "hi"'))["event_name"]


async def test_one_server_takes_zalo_and_telegram_webhooks(services: Services) -> None:
    """`motcua run --channel all`: Telegram's webhook is one more route of the Zalo server."""
    from bot.telegram_runner import TelegramBot
    from bot.webhooks import telegram_route
    from tests.fake_telegram import FakeTelegram
    from tests.test_telegram_e2e import options as telegram_options

    async with FakeTelegram() as tg, FakeZalo() as fake:
        options = telegram_options(tg, secret_token="s3cret")
        telegram = TelegramBot(services, options, serve_webhook=False)
        route = telegram_route(telegram.application, "/telegram", "s3cret", options.max_body)
        zalo = ZaloBot(services, zalo_options(fake), extra_routes=[route], watches=False)
        await zalo.start()
        url = f"http://127.0.0.1:{zalo.port}/telegram"  # known once the server listens
        telegram.options = replace(options, webhook_url=url)
        zalo_url = f"http://127.0.0.1:{zalo.port}/zalo/webhook"
        driver = WebhookDriver(zalo_url, fake=fake, clock=services.clock)
        try:
            await telegram.start()
            assert tg.webhook_url == url and tg.webhook_secret == "s3cret"
            assert _running_watch_loops() == ["ApologyWatch.run", "CareWatch.run"]  # once each
            update_id = tg.push_command(5011, "/start")
            assert await tg.post_update(url, tg.updates[update_id], "wrong") == 403
            assert await tg.deliver_to_webhook(update_id) == 200
            [greeting] = await tg.wait_for_messages(5011, 1)
            assert "Xin chào ông/bà" in greeting.plain
            replies = await say(driver, zalo, fake, CITIZEN, "/start")
            assert "Xin chào" in replies[0].text
        finally:
            await driver.close()
            await telegram.stop()
            await zalo.stop()


async def test_tokens_survive_restarts_and_new_settings_reseed(
    fake: FakeZalo, services: Services, clock: FixedClock
) -> None:
    storage = services.storage
    bot = ZaloBot(
        services, zalo_options(fake, access_token=None, refresh_token="refresh-1"), serve=False
    )
    await bot.keeper.load()
    assert await bot.keeper.access_token() == fake.access_token == "access-2"  # refreshed first
    stored = await storage.zalo.zalo_tokens()
    assert stored.refresh_token == "refresh-2" and stored.seed is not None
    # A restart with the same settings keeps the database's (newer) tokens: the configured
    # refresh token was used up and must not be sent again.
    again = ZaloBot(
        services, zalo_options(fake, access_token=None, refresh_token="refresh-1"), serve=False
    )
    await again.keeper.load()
    assert again.keeper.tokens == stored
    # The officer authorised the OA again: new tokens in the settings win.
    fresh = ZaloBot(
        services,
        zalo_options(fake, access_token="access-9", refresh_token="refresh-9"),
        serve=False,
    )
    await fresh.keeper.load()
    assert fresh.keeper.tokens is not None and fresh.keeper.tokens.access_token == "access-9"
    for keeper_bot in (bot, again, fresh):
        await keeper_bot.http.aclose()


async def test_erasing_ones_data_removes_the_zalo_follower_too(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services
) -> None:
    storage = services.storage
    await follow_dossier(driver, zalo, fake, services, CITIZEN)
    await say(driver, zalo, fake, OTHER, "/start")
    assert await storage.zalo.zalo_follower(CITIZEN) is not None
    await say(driver, zalo, fake, CITIZEN, "/xoadulieu")
    done = await press(driver, zalo, fake, CITIZEN, "🗑 Xóa dữ liệu của tôi")
    assert done and done[-1].kind == "cs"  # the confirmation still reaches the person
    assert await storage.follows.follows(ChatRef("zalo", CITIZEN)) == []
    assert await storage.zalo.zalo_follower(CITIZEN) is None  # no window, no choices, no state
    assert await storage.zalo.zalo_follower(OTHER) is not None
    # The seven events stay as keys only (a redelivery is still refused), their text gone.
    assert await storage.zalo.inbox_counts() == {"done": 7}


# -- the daily watches: in the Zalo runner, once per process ---------------------------------

ZALO_OFFICER = "3000000000000000042"


def _running_watch_loops() -> list[str]:
    return sorted(
        name
        for task in asyncio.all_tasks()
        if (name := getattr(task.get_coro(), "__qualname__", ""))
        in ("ApologyWatch.run", "CareWatch.run", "DailyWatches.run")
    )


async def test_the_daily_watches_run_in_the_zalo_runner(
    fake: FakeZalo, services: Services, clock: FixedClock
) -> None:
    """`motcua run --channel zalo`: the appointment-day reminder and the officers' morning list
    of dossiers needing an apology are queued and go out on Zalo, as on Telegram."""
    storage = services.storage
    today = clock.now().date()  # Monday 23/11/2026, 09:00: after 07:30 and 08:00
    await storage.dossiers.apply_dossiers(
        [
            with_hash(dossier(status=Status.READY, due=today)),
            with_hash(dossier(OTHER_CODE, phone=None, due=today)),  # due today, no apology
        ],
        NOW,
        "import:a",
    )
    await storage.follows.follow(ChatRef("zalo", CITIZEN), dossier().code_key, None, "đồng ý", NOW)
    for user in (CITIZEN, ZALO_OFFICER):  # both wrote to the OA lately: cs messages allowed
        await storage.zalo.zalo_interaction(user, clock.now())
    bot = ZaloBot(services, zalo_options(fake, officer_ids=(ZALO_OFFICER,)), serve=False)
    await bot.start()
    try:
        assert _running_watch_loops() == ["DailyWatches.run"]
        assert bot.watches is not None
        await asyncio.wait_for(bot.watches.ran.wait(), 10)
        await bot.worker.deliver_due()
    finally:
        await bot.stop()
    assert await storage.jobs.job_last_day(CareWatch.REMINDERS) == today
    assert await storage.jobs.job_last_day(ApologyWatch.JOB) == today
    assert any("hôm nay là ngày hẹn trả kết quả" in s.text for s in fake.to(CITIZEN))
    [morning] = fake.to(ZALO_OFFICER)
    assert OTHER_CODE in morning.text
    assert fake.to("900") == []  # Telegram's officer (settings), not a Zalo id


async def test_with_every_channel_the_watches_run_once(services: Services, tmp_path: Path) -> None:
    """`motcua run --channel all`: one apology watch (telling the officers on both channels)
    and one care watch, run by the Telegram side; the Zalo bot runs none."""
    from bot.webhook_server import Channels
    from tests.fake_telegram import FakeTelegram

    async with FakeTelegram() as tg, FakeZalo() as fake:
        settings = make_settings(
            tmp_path,
            OFFICER_IDS=f"telegram:900, zalo:{ZALO_OFFICER}",
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_BASE_URL=tg.base_url,
            TELEGRAM_BASE_FILE_URL=tg.base_file_url,
        )
        args = argparse.Namespace(
            channel="all", webhook_url=None, secret_token=None, listen=None, port=None
        )
        options = zalo_options(fake, officer_ids=(ZALO_OFFICER,))
        channels = Channels.build(args, settings, services, options)
        assert isinstance(channels, Channels) and channels.telegram is not None
        assert channels.zalo.watches is None
        assert channels.telegram.watch.officer_chats == [
            ChatRef("telegram", "900"),
            ChatRef("zalo", ZALO_OFFICER),
        ]
        await channels.start_telegram()
        await channels.zalo.start()
        try:
            assert _running_watch_loops() == ["ApologyWatch.run", "CareWatch.run"]
        finally:
            await channels.stop_telegram()
            await channels.zalo.stop()
        assert _running_watch_loops() == []


async def test_replies_refer_to_the_persons_message_so_zalo_counts_them_free(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services
) -> None:
    """Zalo OA help desk: a message sent by API with only user_id, no message_id, counts as a
    proactive (quota) message. Replies and notices in the window refer to the last message."""
    body = driver.payload("user_send_text", CITIZEN, "khai sinh", msg_id="a1b2c3d4e5f60001")
    assert (await driver.post(body)).status_code == 200
    await zalo.channel.process_pending()
    [reply] = fake.to(CITIZEN)
    assert reply.body["recipient"] == {"message_id": "a1b2c3d4e5f60001"}
    await follow_dossier(driver, zalo, fake, services, CITIZEN)
    last = (await services.storage.zalo.zalo_follower(CITIZEN)).last_message_id  # type: ignore[union-attr]
    await change_status(services, Status.READY, "import:b.csv")
    await zalo.worker.deliver_due()
    notice = fake.to(CITIZEN)[-1]
    assert "Đã có kết quả" in notice.text and notice.body["recipient"] == {"message_id": last}


async def test_replies_by_user_id_when_so_configured(
    fake: FakeZalo, services: Services, clock: FixedClock
) -> None:
    rules = ZaloRules(messages_per_second=10_000, reply_with_message_id=False)
    bot = ZaloBot(services, zalo_options(fake, rules=rules), watches=False)
    await bot.start()
    url = f"http://127.0.0.1:{bot.port}/zalo/webhook"
    driver = WebhookDriver(url, fake=fake, clock=services.clock)
    try:
        [reply] = await say(driver, bot, fake, CITIZEN, "khai sinh")
        assert reply.body["recipient"] == {"user_id": CITIZEN}
    finally:
        await driver.close()
        await bot.stop()


@pytest.mark.parametrize("text", ["/tracuu", "7", "xyzt qwer", "cảm ơn", "/thutuc", "khai sinh"])
async def test_on_zalo_every_reply_leaves_a_way_on(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, text: str
) -> None:
    """Issue 14: template buttons, or the numbered list that stands for more than Zalo shows."""
    *_, last = await say(driver, zalo, fake, CITIZEN, text)
    numbered = any(line.split(". ", 1)[0].isdigit() for line in last.text.splitlines())
    assert last.buttons or numbered, last.text
