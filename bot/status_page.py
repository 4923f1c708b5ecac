"""The status page the receipt's QR opens (issue 20): `GET /hs/<token>` on the bot's web server
(bot/webhook_server.py), for the person and their family, on any phone, nothing to install.

- Server-rendered (jinja2, templates/web/), Vietnamese, phone-first, no script at all: the
  Content-Security-Policy forbids scripts, so the page works the same with JavaScript off.
- The card is the chat's status card (templates/status_card.j2, same values: name masked, no
  phone number), then two buttons: "Theo dõi trên Telegram" (the deep link that opens the chat
  on the dossier) and "Theo dõi trên Zalo" (the OA's page, and a short follow code to send it).
- Nothing personal is kept by a browser or a proxy, nor indexed: `Cache-Control: no-store`,
  `X-Robots-Tag: noindex` and the same in a meta tag; `Referrer-Policy: no-referrer`, so the
  token in the address never leaves in a Referer header when a button is followed.
- Each address may ask for a limited number of pages a minute (`AddressLimiter`); behind the
  commune's reverse proxy on the same machine, uvicorn takes the client's address from
  X-Forwarded-For (its default trusts 127.0.0.1 only: FORWARDED_ALLOW_IPS).
- An unknown, revoked or expired token gets a kind page (404) saying how to ask at the desk.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from core.messages import TextFormat
from core.render import vn_date
from core.slips import (
    LinkedDossier,
    is_token,
    new_follow_code,
    show_follow_code,
    telegram_link,
    token_hash,
)
from handlers.context import Services, render
from handlers.dossiers import card_values

HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none';"
        " form-action 'none'; frame-ancestors 'none'"
    ),
}


class AddressLimiter:
    """A token bucket per address: `per_minute` requests, refilled evenly over the minute.
    At most `max_addresses` are remembered (the longest idle are forgotten first)."""

    def __init__(
        self,
        per_minute: int,
        monotonic: Callable[[], float] = time.monotonic,
        max_addresses: int = 50_000,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.monotonic = monotonic
        self.max_addresses = max_addresses
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, address: str) -> bool:
        now = self.monotonic()
        tokens, last = self._buckets.pop(address, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[address] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > self.max_addresses:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self) -> int:
        return max(1, round(1.0 / self.rate))


class StatusPage:
    def __init__(
        self,
        services: Services,
        templates_dir: Path,
        *,
        per_minute: int = 30,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.limiter = AddressLimiter(per_minute, monotonic)
        self._env = Environment(
            loader=FileSystemLoader(templates_dir / "web"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self._env.filters["vn_date"] = vn_date

    def routes(self) -> list[BaseRoute]:
        return [Route("/hs/{token}", self.page, methods=["GET"])]

    async def page(self, request: Request) -> Response:
        address = request.client.host if request.client else "?"
        if not self.limiter.allow(address):
            headers = {**HEADERS, "Retry-After": str(self.limiter.retry_after())}
            return self._html("busy.html.j2", 429, headers)
        token = request.path_params["token"]
        linked = None
        if is_token(token):
            linked = await self.services.storage.links.linked_dossier(token_hash(token))
        now = self.services.clock.now()
        if linked is None or not linked.usable(now, self.services.links):
            return self._html("unknown.html.j2", 404)
        return self._html("status.html.j2", 200, values=await self._status(token, linked))

    async def _status(self, token: str, linked: LinkedDossier) -> dict[str, object]:
        services, dossier = self.services, linked.dossier
        now = services.clock.now()
        events = await services.storage.dossiers.dossier_events(dossier.code_key, limit=4)
        apologies = await services.storage.apologies.apologies_for(dossier.code_key)
        apology = max(apologies, key=lambda a: a.id) if apologies else None
        values = card_values(services, dossier, events, apology, now.date())
        card = render(
            services,
            TextFormat.HTML,
            "status_card.j2",
            **values,
            following=False,
            one_tap_follow=False,
        )
        links = services.links
        telegram = (
            telegram_link(links.telegram_username, token) if links.telegram_username else None
        )
        follow_code = None
        if links.zalo_oa_url:
            code = new_follow_code()
            await services.storage.links.add_follow_code(
                token_hash(code), token_hash(token), now + links.follow_code_ttl, now
            )
            follow_code = f"THEO {show_follow_code(code)}"
        return {
            "card": Markup(card),
            "telegram": telegram,
            "zalo": links.zalo_oa_url,
            "follow_code": follow_code,
            "follow_hours": round(links.follow_code_ttl.total_seconds() / 3600),
        }

    def _html(
        self,
        template: str,
        status: int,
        headers: dict[str, str] | None = None,
        values: dict[str, object] | None = None,
    ) -> HTMLResponse:
        commune = self.services.knowledge.catalogue.commune
        body = self._env.get_template(template).render(commune=commune, **(values or {}))
        return HTMLResponse(body, status_code=status, headers=headers or HEADERS)
