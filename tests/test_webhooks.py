"""Issue 15: webhooks refuse early. Bodies over the limit are refused before they are read (both
webhooks); Zalo's signature is checked before any JSON is parsed; signed events older than the
replay window are refused, and handled event ids are kept longer than that window."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest

from bot.channels.zalo import channel as zalo_module
from bot.telegram_runner import TelegramBot
from bot.webhook_server import ZaloBot
from bot.webhooks import TELEGRAM_SECRET_HEADER
from core.clock import FixedClock
from handlers.context import Services
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo, WebhookDriver
from tests.test_telegram_e2e import _free_port
from tests.test_telegram_e2e import options as telegram_options

CITIZEN = "2468458835296117922"
LIMIT = 64 * 1024


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


@pytest.fixture
async def zalo(fake: FakeZalo, services: Services) -> AsyncIterator[ZaloBot]:
    bot = ZaloBot(services, fake.options(max_body=LIMIT), watches=False)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def driver(zalo: ZaloBot, fake: FakeZalo, services: Services) -> AsyncIterator[WebhookDriver]:
    client = WebhookDriver(
        f"http://127.0.0.1:{zalo.port}/zalo/webhook", fake=fake, clock=services.clock
    )
    yield client
    await client.close()


async def _raw(port: int, head: str, body: bytes = b"") -> int:
    """Send a request's head (and maybe part of a body) on a bare socket; the status line of
    the answer. An answer that comes while the body has not been sent was given unread."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=5)
        return int(line.split()[1])
    finally:
        writer.close()


def _head(path: str, length: int | None, **headers: str) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def _chunks(total: int, size: int = 16 * 1024) -> bytes:
    piece = f"{size:x}\r\n".encode() + b"[" * size + b"\r\n"
    return piece * (total // size)  # no final chunk: the sender would go on


# -- size before reading ----------------------------------------------------------------------


async def test_zalo_refuses_a_declared_300_mib_body_without_reading_it(zalo: ZaloBot) -> None:
    """The report's attack: a 300 MiB unsigned POST was read whole (88 → 687 MiB). Now the
    declared length is refused at once: the answer comes before a byte of body is sent."""
    assert await _raw(zalo.port, _head("/zalo/webhook", 300 << 20)) == 413


async def test_zalo_stops_reading_a_body_without_length_past_the_limit(zalo: ZaloBot) -> None:
    assert await _raw(zalo.port, _head("/zalo/webhook", None), _chunks(4 * LIMIT)) == 413
    assert await zalo.services.storage.zalo.inbox_counts() == {}


async def test_the_telegram_webhook_refuses_early_too(services: Services) -> None:
    """Telegram's webhook (our server, not python-telegram-bot's tornado, which reads any body
    up to 100 MB first): the secret before anything, then the size before reading."""
    port = _free_port()
    async with FakeTelegram() as tg:
        options = telegram_options(
            tg,
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            secret_token="s3cret",
            max_body=LIMIT,
        )
        telegram = TelegramBot(services, options)
        await telegram.start()
        try:
            secret = {TELEGRAM_SECRET_HEADER.replace("-", "_"): "s3cret"}
            assert await _raw(port, _head("/telegram", 300 << 20)) == 403  # no secret, unread
            assert await _raw(port, _head("/telegram", 300 << 20, **secret)) == 413
            body = _chunks(4 * LIMIT)
            assert await _raw(port, _head("/telegram", None, **secret), body) == 413
            small = json.dumps({"update_id": 1}).encode()
            assert await _raw(port, _head("/telegram", len(small), **secret), small) == 200
        finally:
            await telegram.stop()


# -- the signature before parsing -------------------------------------------------------------


async def test_zalo_checks_the_signature_before_parsing_anything(
    zalo: ZaloBot, driver: WebhookDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    real = zalo_module.parse_event

    def counting(body: bytes) -> dict[str, object]:
        parsed.append(body)
        return real(body)

    monkeypatch.setattr(zalo_module, "parse_event", counting)
    # Nested past Python's recursion limit: json.loads would raise RecursionError (a 500).
    deep = b'{"timestamp": "1", "x": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    for body, signature in [
        (deep, "mac=" + "0" * 64),
        (b"not json at all", "mac=" + "0" * 64),
        (driver.payload("user_send_text", CITIZEN, "khai sinh"), None),
        (driver.payload("user_send_text", CITIZEN, "khai sinh"), "mac=" + "f" * 64),
    ]:
        assert (await driver.post(body, signature=signature)).status_code == 401
    assert parsed == []
    # Signed but not JSON: parsed, refused as a bad request.
    broken = b'{"timestamp": "1764580000000", "event_name": '
    assert (await driver.post(broken, driver.sign_raw(broken, "1764580000000"))).status_code == 400


async def test_a_signature_over_another_timestamp_than_the_events_is_refused(
    zalo: ZaloBot, driver: WebhookDriver
) -> None:
    """The timestamp is read from the raw bytes: the event's own must be the one signed."""
    body = driver.payload("user_send_text", CITIZEN, '"timestamp": "1"')
    assert b'\\"timestamp\\": \\"1\\"' in body  # the text carries a look-alike, escaped
    assert (await driver.post(body)).status_code == 200
    nested = json.loads(body)
    nested["message"]["timestamp"] = "1"
    outer = json.dumps(nested).encode()
    forged_order = outer.replace(b'"timestamp": "1"', b'"timestamp": "2"', 1)
    response = await driver.post(forged_order, driver.sign_raw(forged_order, "2"))
    assert response.status_code == 400  # signed over the nested "2", not the event's own


# -- replays ----------------------------------------------------------------------------------


async def test_old_signed_events_are_refused_and_never_answered(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services
) -> None:
    """A correctly signed event from 2010 got a reply before issue 15."""
    body = driver.payload("user_send_text", CITIZEN, "/start")
    old = json.loads(body)
    old["timestamp"] = str(int(dt.datetime(2010, 1, 1, tzinfo=dt.UTC).timestamp() * 1000))
    old_body = json.dumps(old).encode()
    assert (
        await driver.post(old_body, driver.sign_raw(old_body, old["timestamp"]))
    ).status_code == 400
    future = dict(old, timestamp=str(driver.timestamp() + 3_600_000))
    future_body = json.dumps(future).encode()
    response = await driver.post(future_body, driver.sign_raw(future_body, future["timestamp"]))
    assert response.status_code == 400
    await zalo.channel.process_pending()
    assert await services.storage.zalo.inbox_counts() == {} and fake.sent == []


async def test_a_replay_after_the_inbox_is_pruned_is_refused(
    fake: FakeZalo, zalo: ZaloBot, driver: WebhookDriver, services: Services, clock: FixedClock
) -> None:
    """Before: once handled events were pruned, the same signed bytes were handled again. Now
    the bytes are too old by then (and ids are kept two weeks, far longer than 10 minutes)."""
    body = driver.payload("user_send_text", CITIZEN, "/start")
    assert (await driver.post(body)).status_code == 200
    await zalo.channel.process_pending()
    assert len(fake.to(CITIZEN)) == 1
    assert (await driver.post(body)).status_code == 200  # within the window: a redelivery
    await zalo.channel.process_pending()
    assert len(fake.to(CITIZEN)) == 1  # handled once
    clock.advance(minutes=11)
    await services.storage.zalo.forget_inbox_before(clock.now())  # as if pruned
    assert (await driver.post(body)).status_code == 400
    await zalo.channel.process_pending()
    assert len(fake.to(CITIZEN)) == 1


def test_handled_ids_outlive_the_replay_window() -> None:
    """The settings cap the window at 7 days; ids are kept at least 14 (`ZaloBot`)."""
    from bot.settings import ZaloSettings

    field = ZaloSettings.model_fields["webhook_max_age_minutes"]
    assert field.default == 10
    assert any(getattr(m, "le", None) == 7 * 24 * 60 for m in field.metadata)
