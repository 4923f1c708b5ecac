"""The OA API over HTTP: access tokens renewed ahead of expiry (OAuth v4; the single-use
refresh token stored before it could be needed again), paced calls, errors as ZaloApiError,
and pictures people send fetched from Zalo's servers only."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from bot import log_redaction
from bot.channels.zalo.options import ZaloOptions
from bot.delivery import RetryLater
from core.messages import (
    FileTooLarge,
    IncomingFile,
)
from handlers.context import Services
from storage.base import ZaloStore, ZaloTokens
from storage.faults import fault_of

log = logging.getLogger(__name__)

Alert = Callable[[str], Awaitable[None]]


class ZaloFiles:
    """`FileSource` for pictures people send on Zalo: downloaded from Zalo's servers, only from
    the configured hosts (never from an address an event could name), at most `max_bytes`
    (the download stops there), nothing written to disk."""

    def __init__(self, http: httpx.AsyncClient, hosts: Sequence[str]) -> None:
        self.http = http
        self.hosts = tuple(h.casefold().lstrip(".") for h in hosts)

    def allowed(self, url: str) -> bool:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        host = (parts.hostname or "").casefold()
        if parts.scheme not in ("https", "http") or not host:
            return False
        if parts.scheme == "http" and host != "127.0.0.1":  # plain HTTP: loopback tests only
            return False
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    async def fetch(self, file: IncomingFile, max_bytes: int) -> bytes:
        if file.size is not None and file.size > max_bytes:
            raise FileTooLarge(file.name)
        if not self.allowed(file.platform_ref):
            raise OSError(f"picture not on Zalo's servers: {file.platform_ref[:80]}")
        try:
            async with self.http.stream("GET", file.platform_ref) as response:
                if response.status_code != 200:
                    raise OSError(f"Zalo answered HTTP {response.status_code} for a picture")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise FileTooLarge(file.name)
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > max_bytes:
                        raise FileTooLarge(file.name)
        except httpx.HTTPError as error:
            raise OSError(f"picture not downloaded: {error!r}") from error
        return bytes(content)


# -- the API ---------------------------------------------------------------------------------


class ZaloApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo error {code}: {message}")
        self.code = code
        self.message = message


class TokensBroken(Exception):
    """The access token cannot be renewed: sending stops until an officer fixes the tokens."""


def seed_of(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


class TokenKeeper:
    """The OA's access token, renewed ahead of expiry; each new (single-use) refresh token is
    in the database before the old one could be needed again."""

    def __init__(
        self,
        services: Services,
        http: httpx.AsyncClient,
        options: ZaloOptions,
        alert: Alert,
    ) -> None:
        self.services = services
        self.http = http
        self.options = options
        self.alert = alert
        self.tokens: ZaloTokens | None = None
        self.broken = False
        self.unsaved = False  # renewed while the database could not take them (`_save`)
        self.refreshes = 0
        self._lock = asyncio.Lock()

    @property
    def store(self) -> ZaloStore:
        return self.services.storage.zalo

    async def load(self) -> None:
        """The database's tokens, unless the settings carry a refresh token they do not descend
        from (the officer authorised the OA again): then the settings' tokens."""
        now = self.services.clock.now()
        stored = await self.store.zalo_tokens()
        configured = self.options.refresh_token
        seed = seed_of(configured) if configured else None
        if stored is not None and (seed is None or stored.seed == seed):
            log_redaction.protect(stored.access_token, stored.refresh_token)
            self.tokens = stored
            return
        access = self.options.access_token or ""
        # An access token of unknown age is used until Zalo refuses it; without one, the
        # first use refreshes.
        expires = now + self.options.rules.token_refresh_ahead * 2 if access else now
        self.tokens = ZaloTokens(access, configured or "", expires, seed)
        await self.store.zalo_save_tokens(self.tokens, now)

    async def access_token(self) -> str:
        if self.broken:
            raise TokensBroken("Zalo tokens need renewing by an officer")
        if self.tokens is None:
            await self.load()
        assert self.tokens is not None
        if self.unsaved:
            await self._save()
        ahead = self.options.rules.token_refresh_ahead
        if self.services.clock.now() >= self.tokens.expires_at - ahead:
            await self.refresh(self.tokens.access_token)
        return self.tokens.access_token

    async def refresh(self, stale: str) -> None:
        """Renew once for a token found stale; concurrent callers wait for that one renewal."""
        async with self._lock:
            if self.broken:
                raise TokensBroken("Zalo tokens need renewing by an officer")
            assert self.tokens is not None
            if self.tokens.access_token != stale:
                return  # another coroutine renewed it meanwhile
            # Several processes (issue 18): one renews (refresh tokens are single-use), the
            # others take the new pair from the database.
            async with self.services.storage.jobs.exclusively("zalo-token") as mine:
                if await self._adopt_stored() or (not mine and await self._wait_for_stored()):
                    return
                await self._renew()

    async def _adopt_stored(self) -> bool:
        """The database holds a newer pair than ours (another process renewed): use it."""
        assert self.tokens is not None
        try:
            stored = await self.store.zalo_tokens()
        except Exception as error:
            if fault_of(error) is None:
                raise
            return False  # the database's fault: renew with what this process holds
        if stored is None or stored.expires_at <= self.tokens.expires_at:
            return False
        log_redaction.protect(stored.access_token, stored.refresh_token)
        self.tokens = stored
        return True

    async def _wait_for_stored(self, seconds: float = 15.0) -> bool:
        """Another process is renewing: wait for its pair (True), or give up (False: this
        process renews after all, on the next stale token)."""
        for _ in range(int(seconds / 0.25)):
            await asyncio.sleep(0.25)
            if await self._adopt_stored():
                return True
        return False

    async def _renew(self) -> None:
        assert self.tokens is not None
        try:
            fresh = await self._request(self.tokens)
        except Exception as error:
            self.broken = True
            log.error("Zalo token refresh failed: %s", error)
            await self.alert(
                "Bot không gia hạn được mã truy cập Zalo OA, nên đã tạm dừng gửi tin trên "
                "Zalo (không tin nào bị mất). Đề nghị cấp lại quyền cho ứng dụng, đặt "
                "ZALO_REFRESH_TOKEN mới rồi khởi động lại bot."
            )
            raise TokensBroken(str(error)) from error
        # Refresh tokens are single-use: the new pair is kept in memory before it is saved,
        # so a fault of the database (issue 15) cannot lose it with the old one spent.
        self.tokens = fresh
        self.refreshes += 1
        await self._save()

    async def _save(self) -> None:
        """Save the tokens in use; on a fault of the database keep them in memory and save them
        at their next use (`access_token`)."""
        assert self.tokens is not None
        try:
            await self.store.zalo_save_tokens(self.tokens, self.services.clock.now())
        except Exception as error:
            fault = fault_of(error)
            if fault is None:
                raise
            self.unsaved = True
            log.error("Zalo tokens renewed, not saved yet: database %s (%s)", fault, error)
        else:
            self.unsaved = False

    async def _request(self, current: ZaloTokens) -> ZaloTokens:
        if not current.refresh_token:
            raise ZaloApiError(0, "no refresh token")
        response = await self.http.post(
            f"{self.options.oauth_base_url}/v4/oa/access_token",
            headers={"secret_key": self.options.app_secret},
            data={
                "refresh_token": current.refresh_token,
                "app_id": self.options.app_id,
                "grant_type": "refresh_token",
            },
        )
        body = response.json(parse_int=str)
        if not isinstance(body, dict) or not body.get("access_token"):
            code = int(body.get("error", 0)) if isinstance(body, dict) else 0
            raise ZaloApiError(code, str(body)[:200])
        lifetime = float(body.get("expires_in") or 3600)
        log_redaction.protect(str(body["access_token"]), str(body.get("refresh_token") or ""))
        return ZaloTokens(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or ""),
            expires_at=self.services.clock.now() + dt.timedelta(seconds=lifetime),
            seed=current.seed,
        )


class RatePacer:
    """At most `per_second` requests overall (monotonic time)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            at = max(now, self._next)
            self._next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


class ZaloApi:
    """The OA API and ZNS through one shared httpx client; a stale token is renewed and the
    call tried once more."""

    def __init__(self, http: httpx.AsyncClient, options: ZaloOptions, keeper: TokenKeeper) -> None:
        self.http = http
        self.options = options
        self.keeper = keeper
        self.pacer = RatePacer(options.rules.messages_per_second)

    async def send_message(self, kind: str, body: dict[str, Any]) -> str:
        """kind: cs, transaction or promotion. Returns Zalo's message id."""
        data = await self._call(f"{self.options.api_base_url}/v3.0/oa/message/{kind}", body)
        return str(data.get("message_id", ""))

    async def send_zns(
        self, phone: str, template_id: str, fields: dict[str, str], tracking_id: str
    ) -> str:
        body = {
            "phone": phone,
            "template_id": template_id,
            "template_data": fields,
            "tracking_id": tracking_id,
        }
        data = await self._call(f"{self.options.zns_base_url}/message/template", body)
        return str(data.get("msg_id", ""))

    async def _call(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(2):
            token = await self.keeper.access_token()
            await self.pacer.wait()
            try:
                response = await self.http.post(url, headers={"access_token": token}, json=body)
                answer = response.json(parse_int=str)
            except (httpx.HTTPError, ValueError) as error:
                raise RetryLater(f"Zalo unreachable: {error!r}") from error
            if response.status_code >= 500 or not isinstance(answer, dict):
                raise RetryLater(f"Zalo answered HTTP {response.status_code}")
            code = int(answer.get("error", 0) or 0)
            if code == 0:
                data = answer.get("data")
                return data if isinstance(data, dict) else {}
            if code in self.options.rules.errors.token and attempt == 0:
                await self.keeper.refresh(token)
                continue
            raise ZaloApiError(code, str(answer.get("message", "")))
        raise AssertionError("unreachable")
