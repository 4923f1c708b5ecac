"""The webhook server, shared by Zalo's and Telegram's webhooks: one ASGI app (Starlette on
uvicorn) inside the runner's event loop, and what every webhook route does first.

Refuse early (issue 15): a body over the limit is refused before it is read (its declared
length), or as soon as the bytes read pass the limit (a body sent without a length); only then
is a secret or signature checked, and only then is anything parsed. Before, a 300 MiB unsigned
POST to the Zalo webhook was read whole (memory 88 → 687 MiB) before the signature said 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

# A Telegram update or a Zalo event is a few kilobytes: a message is at most 4,096 characters on
# Telegram (Bot API sendMessage), 2,000 on Zalo; a file arrives as a reference, never inline.
# 1 MiB leaves a hundredfold margin and still refuses anything that could hurt (setting
# MOTCUA_WEBHOOK_MAX_BYTES).
DEFAULT_MAX_BODY = 1 << 20
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit`: refused from its declared length without
    reading a byte, else read in chunks and abandoned past the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def too_large() -> Response:
    return Response(status_code=413)


def build_app(routes: Sequence[BaseRoute]) -> Starlette:
    """One server for every webhook (Zalo's, Telegram's, the status page)."""
    return Starlette(routes=list(routes))


class WebhookServer(uvicorn.Server):
    """uvicorn inside our event loop: signals are ours (the runner's), not uvicorn's."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        super().__init__(
            uvicorn.Config(
                app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
            )
        )
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.listening.set()

    @contextlib.contextmanager
    def capture_signals(self):
        yield

    @property
    def port(self) -> int:
        return int(self.servers[0].sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._task = asyncio.create_task(self.serve())
        await self.listening.wait()

    async def stop(self) -> None:
        self.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def telegram_body(request: Request, secret: str | None, max_body: int) -> bytes | Response:
    """A Telegram webhook request's body, or the refusal: the secret header checked first
    (403), then the size before reading (413)."""
    given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
    if secret and not hmac.compare_digest(given.encode(), secret.encode()):
        return Response(status_code=403)
    body = await read_body(request, max_body)
    return too_large() if body is None else body


def telegram_route(application: Any, path: str, secret: str | None, max_body: int) -> BaseRoute:
    """Telegram's webhook: the size refused before reading, the secret header checked before
    parsing, the update handed to python-telegram-bot's queue (its handlers, our dedup and
    outbox, as with long polling)."""
    from telegram import Update

    async def webhook(request: Request) -> Response:
        body = await telegram_body(request, secret, max_body)
        if isinstance(body, Response):
            return body
        try:
            update = Update.de_json(_json(body), application.bot)
        except ValueError:
            return Response(status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return Route(path, webhook, methods=["POST"])


def _json(body: bytes) -> dict[str, Any]:
    import json

    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("an update is a JSON object")
    return data
