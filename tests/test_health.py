"""/healthz and /metrics (issue 18 point 7) over HTTP (ASGI), on the tests' SQLite services:
the database's figures read at each scrape, this process's counters, a failing database."""

from __future__ import annotations

import dataclasses
import datetime as dt

import httpx
from starlette.applications import Starlette

from bot import health, metrics
from bot.app import Dispatcher
from core.messages import IncomingMessage, TextFormat
from core.outbox import OutboxKind
from handlers.context import Services
from storage.base import OutboxMessage


def _client(services: Services) -> httpx.AsyncClient:
    app = Starlette(routes=health.routes(services))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot")


def _value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics:\n{text}")


async def test_healthz_says_the_database_answers(services: Services) -> None:
    async with _client(services) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "inbox": {}, "status": "ok"}


async def test_healthz_fails_when_the_database_does_not(services: Services) -> None:
    class Unreachable:
        async def inbox_depth(self) -> dict[str, object]:
            raise OSError("connection refused")

    broken = dataclasses.replace(services)
    broken.storage = type("S", (), {"workers": Unreachable()})()  # type: ignore[assignment]
    async with _client(broken) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_metrics_show_the_queues_the_counters_and_the_catalogue(
    services: Services, clock: object
) -> None:
    now = services.clock.now()
    await services.storage.workers.add_update("telegram", "1", "5", "{}", now)
    notice = OutboxMessage("k", "telegram", "5", OutboxKind.APOLOGY_WATCH, {"day": "2026-11-23"})
    await services.storage.outbox.enqueue([notice], now - dt.timedelta(minutes=10))
    async with _client(services) as client:
        before = (await client.get("/metrics")).text
        await Dispatcher(services).handle(
            IncomingMessage("telegram", "8", "8", text="đăng ký khai sinh"), TextFormat.HTML
        )
        metrics.observe("lookup_throttled", "telegram")
        after = (await client.get("/metrics")).text
    assert _value(before, 'motcua_inbox_waiting{channel="telegram"}') == 1
    assert _value(before, 'motcua_inbox_waiting{channel="zalo"}') == 0
    assert _value(before, 'motcua_outbox{status="pending"}') == 1
    assert _value(before, "motcua_outbox_oldest_unsent_seconds") == 600
    assert _value(before, "motcua_catalogue_procedures") == len(services.knowledge.catalogue)
    handled = 'motcua_messages_handled_total{channel="telegram"}'
    assert _value(after, handled) == _value(before, handled) + 1
    throttled = "motcua_lookups_throttled_total"
    assert _value(after, throttled) == _value(before, throttled) + 1
    assert f'motcua_catalogue_info{{version="{services.knowledge.version}"}} 1.0' in after
