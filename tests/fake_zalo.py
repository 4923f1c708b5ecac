"""A stand-in for Zalo's APIs on 127.0.0.1, and a driver that posts signed webhooks.

One Starlette app plays the OA API v3 (`/v3.0/oa/message/{cs,transaction,promotion}`), the
OAuth v4 token endpoint (`/v4/oa/access_token`) and ZNS (`/message/template`); the bot's base
URLs all point at it. Tokens are checked as Zalo does (a stale access token gets an error code,
a refresh token works once), and a test makes the next calls fail with any error code.
Answers have Zalo's shape: HTTP 200 with {"error": 0 | code, "message", "data"}.
Model: tests/fake_telegram.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.zalo import SIGNATURE_HEADER, ZaloOptions, event_signature
from core.clock import Clock
from tests.fake_telegram import _Server

JSON = dict[str, Any]
PAYLOADS = Path(__file__).parent / "data" / "zalo"
APP_ID = "3608465249409039671"
OA_SECRET = "oa-secret-key-for-tests"
APP_SECRET = "app-secret-for-tests"
OA_ID = "388613280878808645"
TOKEN_INVALID = -216


@dataclass(frozen=True)
class Sent:
    """A message the bot got through: kind is cs, transaction, promotion or zns."""

    kind: str
    to: str  # user id, or the phone for ZNS
    body: JSON
    message_id: str

    @property
    def text(self) -> str:
        message = self.body.get("message", {})
        if "text" in message:
            return str(message["text"])
        payload = message.get("attachment", {}).get("payload", {})
        return "\n".join(str(e.get("content", "")) for e in payload.get("elements", []))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        message = self.body.get("message", {})
        payload = message.get("attachment", {}).get("payload", {})
        return [(b["title"], b["payload"]) for b in payload.get("buttons", [])]

    def button(self, title: str) -> str:
        for label, payload in self.buttons:
            if label == title:
                return payload
        raise AssertionError(f"no button {title!r}: {self.buttons}")


@dataclass
class _Failure:
    endpoint: str
    code: int
    to: str | None
    times: int


@dataclass
class FakeZalo:
    access_token: str = "access-1"
    refresh_token: str = "refresh-1"
    token_lifetime: int = 90000
    sent: list[Sent] = field(default_factory=list)
    refreshes: list[JSON] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (endpoint, error code)
    refresh_error: int | None = None
    port: int = 0
    # Who wrote each message the webhook driver posted: a reply by `recipient.message_id` goes
    # to its author (Zalo resolves it the same way).
    authors: dict[str, str] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)  # pictures people sent, by name
    image_downloads: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._tokens = itertools.count(2)
        self._changed = asyncio.Event()
        app = Starlette(
            routes=[
                Route("/v3.0/oa/message/{kind}", self._message, methods=["POST"]),
                Route("/v4/oa/access_token", self._oauth, methods=["POST"]),
                Route("/message/template", self._zns, methods=["POST"]),
                Route("/img/{name}", self._image, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def options(self, **changes: Any) -> ZaloOptions:
        """The bot's Zalo settings pointed at this fake, listening on a free loopback port;
        the outbox is delivered by the test itself (hourly interval) unless changed."""
        base = ZaloOptions(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            oa_secret_key=OA_SECRET,
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            api_base_url=self.base_url,
            oauth_base_url=self.base_url,
            zns_base_url=self.base_url,
            listen="127.0.0.1",
            port=0,
            outbox_interval=3600,
            image_hosts=("127.0.0.1",),
        )
        return replace(base, **changes)

    async def __aenter__(self) -> FakeZalo:
        self._task = asyncio.create_task(self._server.serve())
        await self._server.listening.wait()
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._server.exit_requested.set()
        if self._task is not None:
            await self._task

    # -- what a test does --

    def add_image(self, name: str, content: bytes) -> str:
        """A picture on "Zalo's servers"; returns its URL, for an image event."""
        self.images[name] = content
        return f"{self.base_url}/img/{name}"

    def fail_next(self, endpoint: str, code: int, *, to: str | None = None, times: int = 1) -> None:
        """The next `times` calls of endpoint (cs, transaction, zns, oauth) answer `code`."""
        self._failures.append(_Failure(endpoint, code, to, times))

    def expire_access_token(self) -> None:
        """Zalo's side: the current access token stops working (it expired)."""
        self.access_token = f"expired-{self.access_token}"

    def to(self, user: str) -> list[Sent]:
        return [s for s in self.sent if s.to == user]

    async def wait_until(self, condition: Callable[[], bool], seconds: float = 5.0) -> None:
        async with asyncio.timeout(seconds):
            while not condition():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.05)

    async def wait_for(self, user: str, count: int, seconds: float = 5.0) -> list[Sent]:
        await self.wait_until(lambda: len(self.to(user)) >= count, seconds)
        return self.to(user)

    # -- the endpoints --

    def _take_failure(self, endpoint: str, to: str | None) -> int | None:
        for failure in self._failures:
            if failure.endpoint == endpoint and failure.to in (None, to):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure.code
        return None

    def _answer(self, endpoint: str, code: int, data: JSON | None = None) -> Response:
        self.calls.append((endpoint, code))
        self._changed.set()
        body: JSON = {"error": code, "message": "Success" if code == 0 else f"error {code}"}
        if data is not None:
            body["data"] = data
        return JSONResponse(body)

    async def _message(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if request.headers.get("access_token") != self.access_token:
            return self._answer(kind, TOKEN_INVALID)
        body = json.loads(await request.body())
        recipient = body.get("recipient", {})
        if "message_id" in recipient:  # a reply to the person's message
            replied = str(recipient["message_id"])
            user = self.authors.get(replied, f"?{replied}")
        else:
            user = str(recipient.get("user_id", ""))
        failure = self._take_failure(kind, user)
        if failure is not None:
            return self._answer(kind, failure)
        message_id = f"m{next(self._ids)}"
        self.sent.append(Sent(kind, user, body, message_id))
        return self._answer(kind, 0, {"message_id": message_id, "user_id": user})

    async def _zns(self, request: Request) -> Response:
        if request.headers.get("access_token") != self.access_token:
            return self._answer("zns", -124)
        body = json.loads(await request.body())
        failure = self._take_failure("zns", str(body.get("phone")))
        if failure is not None:
            return self._answer("zns", failure)
        message_id = f"z{next(self._ids)}"
        self.sent.append(Sent("zns", str(body["phone"]), body, message_id))
        return self._answer("zns", 0, {"msg_id": message_id, "sent_time": "1764580000000"})

    async def _image(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.image_downloads.append(name)
        if name not in self.images:
            return Response(status_code=404)
        return Response(self.images[name], media_type="image/jpeg")

    async def _oauth(self, request: Request) -> Response:
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        self.refreshes.append(form)
        self._changed.set()
        ok = (
            request.headers.get("secret_key") == APP_SECRET
            and form.get("app_id") == APP_ID
            and form.get("grant_type") == "refresh_token"
            and form.get("refresh_token") == self.refresh_token
            and self.refresh_error is None
        )
        if not ok:
            code = self.refresh_error or -14014
            return JSONResponse({"error": code, "error_name": "Invalid refresh token"})
        n = next(self._tokens)
        self.access_token, self.refresh_token = f"access-{n}", f"refresh-{n}"  # single use
        return JSONResponse(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": str(self.token_lifetime),
            }
        )


class WebhookDriver:
    """Posts Zalo's webhook events, signed as Zalo signs them, from the literal payloads in
    tests/data/zalo/ (placeholders: __USER__, __TEXT__, __MSG_ID__, __TIMESTAMP__)."""

    def __init__(
        self,
        url: str,
        app_id: str = APP_ID,
        oa_secret: str = OA_SECRET,
        fake: FakeZalo | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`clock`: the bot's, so that events are sent "now" (the bot refuses events older
        than its replay window); without it, fixed times from 2025-12-01."""
        self.url = url
        self.fake = fake  # told who wrote each message, to resolve replies to it
        self.app_id = app_id
        self.oa_secret = oa_secret
        # trust_env=False: a proxy from the environment must not carry a loopback request away.
        self.client = httpx.AsyncClient(timeout=5.0, trust_env=False)
        self._ids = itertools.count(1)
        self.clock = clock
        self._steps = itertools.count(1764580000000, 1000)

    async def close(self) -> None:
        await self.client.aclose()

    def payload(self, name: str, user: str, text: str = "", msg_id: str | None = None) -> bytes:
        raw = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
        msg_id = msg_id or f"{next(self._ids):020d}abcdef"
        if self.fake is not None:
            self.fake.authors[msg_id] = user
        values = {
            "__USER__": user,
            "__TEXT__": json.dumps(text, ensure_ascii=False)[1:-1],
            "__MSG_ID__": msg_id,
            "__TIMESTAMP__": str(self.timestamp()),
        }
        for key, value in values.items():
            raw = raw.replace(key, value)
        return raw.encode()

    def timestamp(self) -> int:
        """Milliseconds, as Zalo sends them: the clock's now (a millisecond apart each time)."""
        step = next(self._steps)
        if self.clock is None:
            return step
        return int(self.clock.now().timestamp() * 1000) + (step - 1764580000000) // 1000

    def sign(self, body: bytes) -> str:
        timestamp = str(json.loads(body, parse_int=str)["timestamp"])
        return event_signature(self.app_id, body, timestamp, self.oa_secret)

    def sign_raw(self, body: bytes, timestamp: str) -> str:
        """Zalo's signature of any bytes with this timestamp (a body that is not JSON, too)."""
        return event_signature(self.app_id, body, timestamp, self.oa_secret)

    async def post(self, body: bytes, signature: str | None = "auto") -> httpx.Response:
        headers = {"content-type": "application/json"}
        if signature == "auto":
            signature = self.sign(body)
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return await self.client.post(self.url, content=body, headers=headers)

    async def text(self, user: str, text: str) -> httpx.Response:
        return await self.post(self.payload("user_send_text", user, text))

    async def event(self, name: str, user: str) -> httpx.Response:
        return await self.post(self.payload(name, user))
