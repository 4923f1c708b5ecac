"""Issue 20 end to end: the status page served by the bot's web server (bot/webhook_server.py) over
loopback HTTP, opened in a real headless browser; the page's Zalo follow code and a photo sent
through the Zalo stand-in; the page's Telegram deep link and a photo through the Bot API
stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import re
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.settings import TEMPLATES_DIR, Settings
from bot.status_page import StatusPage
from bot.webhook_server import ZaloBot
from core.slips import LinkPolicy, new_token, token_hash
from handlers.context import Services
from storage.base import ChatRef, ConversationKey
from tests.dossier_fixtures import CODE, dossier, with_hash
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo, WebhookDriver
from tests.receipt_images import PUBLIC_URL, photo
from tests.test_telegram_e2e import options as telegram_options

NOW = dt.datetime(2026, 11, 23, 9, 0)
KEY = dossier().code_key
CITIZEN = "2468458835296117922"
PERSONAL = ("Nguyễn Văn An", "Văn An", "0912", "345 678", "345678")


class Ticks:
    """The rate limiter's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    url: str
    token: str
    page: StatusPage
    ticks: Ticks
    zalo: ZaloBot
    fake: FakeZalo


@pytest.fixture
async def site(services: Services) -> AsyncIterator[Site]:
    services.links = LinkPolicy(
        public_url=PUBLIC_URL,
        telegram_username="motcua_test_bot",
        zalo_oa_url="https://zalo.me/388613280878808645",
    )
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    token = new_token()
    await services.storage.links.add_dossier_links([(token_hash(token), KEY)], services.clock.now())
    ticks = Ticks()
    page = StatusPage(services, TEMPLATES_DIR, per_minute=5, monotonic=ticks)
    async with FakeZalo() as fake:
        options = fake.options(rules=fake.options().rules)
        zalo = ZaloBot(services, options, extra_routes=page.routes())
        await zalo.start()
        try:
            yield Site(f"http://127.0.0.1:{zalo.port}", token, page, ticks, zalo, fake)
        finally:
            await zalo.stop()


async def _get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False) as client:
        return await client.get(url)


async def test_the_page_shows_the_masked_card_and_both_buttons_and_keeps_nothing(
    site: Site,
) -> None:
    response = await _get(f"{site.url}/hs/{site.token}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "noindex" in response.headers["x-robots-tag"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    html = response.text
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert f"Hồ sơ {CODE}" in html and "Nguyễn V*** A**" in html
    assert "Theo dõi trên Zalo" in html and "Theo dõi trên Telegram" in html
    assert f"https://t.me/motcua_test_bot?start=hs_{site.token}" in html
    assert "<script" not in html.lower()
    for personal in PERSONAL:
        assert personal not in html, personal
    assert re.search(r"THEO [0-9A-Z]{4}-[0-9A-Z]{4}", html)


async def test_unknown_tokens_get_a_kind_page_and_addresses_are_limited(site: Site) -> None:
    for wrong in (new_token(), "abc", "x" * 200):
        response = await _get(f"{site.url}/hs/{wrong}")
        assert response.status_code == 404
        assert "không còn dùng được" in response.text and "0200 3 000 000" in response.text
        assert response.headers["cache-control"] == "no-store"
    await site.zalo.services.storage.links.revoke_dossier_links(KEY, NOW)
    assert (await _get(f"{site.url}/hs/{site.token}")).status_code == 404
    # 5 a minute from one address: the fifth request passes, the sixth waits.
    assert (await _get(f"{site.url}/hs/{site.token}")).status_code == 404
    refused = await _get(f"{site.url}/hs/{site.token}")
    assert refused.status_code == 429 and "thử lại sau" in refused.text
    assert int(refused.headers["retry-after"]) >= 1
    site.ticks.now += 60
    assert (await _get(f"{site.url}/hs/{site.token}")).status_code == 404


async def test_the_page_stops_working_some_days_after_the_dossier_finished(
    site: Site, services: Services
) -> None:
    from core.dossiers import Status

    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.RETURNED))], NOW, "import:b.csv"
    )
    assert (await _get(f"{site.url}/hs/{site.token}")).status_code == 200
    services.clock.advance(days=31)  # type: ignore[attr-defined]
    assert (await _get(f"{site.url}/hs/{site.token}")).status_code == 404


async def test_the_zalo_follow_code_from_the_page_follows_on_zalo(
    site: Site, services: Services
) -> None:
    html = (await _get(f"{site.url}/hs/{site.token}")).text
    found = re.search(r"THEO [0-9A-Z]{4}-[0-9A-Z]{4}", html)
    assert found is not None
    driver = WebhookDriver(f"{site.url}/zalo/webhook", fake=site.fake, clock=services.clock)
    try:
        await driver.text(CITIZEN, found.group(0))
        await site.zalo.channel.process_pending()
        [card] = site.fake.to(CITIZEN)
        assert f"Hồ sơ {CODE}" in card.text and "Nguyễn V*** A**" in card.text
        assert "4 chữ số" not in card.text
        await driver.text(CITIZEN, card.button("✅ Đồng ý theo dõi"))
        await site.zalo.channel.process_pending()
        assert "Đã theo dõi hồ sơ" in site.fake.to(CITIZEN)[-1].text
        assert await services.storage.follows.is_following(ChatRef("zalo", CITIZEN), KEY)
    finally:
        await driver.close()


async def test_a_zalo_image_event_is_read_and_the_photo_not_kept(
    site: Site, services: Services, settings: Settings
) -> None:
    shot = photo(random.Random(7), "bot-qr")
    await services.storage.links.add_dossier_links([(token_hash(shot.expected), KEY)], NOW)
    url = site.fake.add_image("phieu.jpg", shot.jpeg)
    driver = WebhookDriver(f"{site.url}/zalo/webhook", fake=site.fake, clock=services.clock)
    try:
        body = driver.payload("user_send_image", CITIZEN)
        body = body.replace(b"https://photo-stal-1.zadn.vn/abc.jpg", url.encode())
        assert (await driver.post(body)).status_code == 200
        await site.zalo.channel.process_pending()
        [card] = site.fake.to(CITIZEN)
        assert f"Hồ sơ {CODE}" in card.text and "Đồng ý theo dõi" in card.text
        assert site.fake.image_downloads == ["phieu.jpg"]
        # Nothing of the picture is in the database: only the conversation's state.
        # The event stays (its key refuses a redelivery) without the photo's address.
        with contextlib.closing(sqlite3.connect(settings.database_file)) as db:
            payloads = [row[0] for row in db.execute("SELECT payload FROM zalo_inbox")]
        assert payloads == ["{}"]
        state = await services.storage.conversations.load_state(
            ConversationKey("zalo", CITIZEN, CITIZEN)
        )
        assert state.data == {"code_key": KEY}
    finally:
        await driver.close()


async def test_the_telegram_deep_link_and_a_photo_over_the_bot_api(
    site: Site, services: Services
) -> None:
    from bot.telegram_runner import TelegramBot

    html = (await _get(f"{site.url}/hs/{site.token}")).text
    found = re.search(r"https://t\.me/motcua_test_bot\?start=([A-Za-z0-9_-]+)", html)
    assert found is not None and len(found.group(1)) <= 64
    async with FakeTelegram() as fake:
        telegram = TelegramBot(services, telegram_options(fake))
        await telegram.start()
        try:
            # What Telegram sends when the person taps "Bắt đầu" after following the link.
            fake.push_command(5011, f"/start {found.group(1)}")
            [card] = await fake.wait_for_messages(5011, 1)
            assert f"Hồ sơ {CODE}" in card.plain and "Nguyễn V*** A**" in card.plain
            assert "4 chữ số" not in card.plain and "0912" not in card.plain
            fake.push_callback(5011, card.button_data("✅ Đồng ý theo dõi"))
            [_, done] = await fake.wait_for_messages(5011, 2)
            assert "Đã theo dõi hồ sơ" in done.plain
            # A photo of another person's receipt (the one-stop software's barcode): the usual
            # second factor is asked.
            shot = photo(random.Random(3), "code128")
            await services.storage.dossiers.apply_dossiers(
                [with_hash(dossier(shot.expected))], NOW, "import:c.csv"
            )
            fake.push_photo(6022, shot.jpeg)
            [ask] = await fake.wait_for_messages(6022, 1)
            assert "4 chữ số cuối" in ask.plain and shot.expected in ask.plain
        finally:
            await telegram.stop()


# -- a real browser ---------------------------------------------------------------------------


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if found := shutil.which(name):
            return found
    return None


async def _browse(browser: str, tmp: Path, *arguments: str) -> bytes:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        f"--user-data-dir={tmp}",
        "--window-size=390,844",  # a phone
        *arguments,
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return out


@pytest.mark.skipif(
    _browser() is None, reason="no Chromium here: .ci/run installs Debian's chromium"
)
async def test_the_page_in_a_real_headless_browser(site: Site, tmp_path: Path) -> None:
    browser = _browser()
    assert browser is not None
    url = f"{site.url}/hs/{site.token}"
    # The page forbids every script (its Content-Security-Policy has no script-src and it has
    # no <script>): what the browser shows is what a browser without JavaScript shows.
    dom = (await _browse(browser, tmp_path / "a", "--dump-dom", url)).decode()
    card = re.search(r'<section class="card" id="the-card">(.*?)</section>', dom, re.S)
    assert card is not None, dom[:2000]
    assert f"Hồ sơ {CODE}" in card.group(1) and "Nguyễn V*** A**" in card.group(1)
    assert "Đang giải quyết" in card.group(1)
    buttons = re.findall(r'<a class="button [a-z]+" href="([^"]+)"[^>]*>([^<]+)</a>', dom)
    labels = {label.strip(): href for href, label in buttons}
    assert labels["Theo dõi trên Zalo"] == "#zalo"
    assert labels["Theo dõi trên Telegram"].startswith("https://t.me/motcua_test_bot?start=hs_")
    for personal in PERSONAL:
        assert personal not in dom, personal
    # Outside the card the page names nobody: no other name, no other phone than the office's.
    outside = dom.replace(card.group(0), "")
    assert "Nguyễn" not in outside
    numbers = {re.sub(r"\D", "", n) for n in re.findall(r"\d[\d .]{7,}\d", outside)}
    assert numbers <= {"02003000000", "388613280878808645"}, numbers  # the office's, the OA's
    # Drawn on a phone-sized screen. (Chromium's headless mode needs JavaScript itself to take
    # the DOM or a picture, so scripts cannot be switched off here; the page's own policy
    # forbids them, which is the same for the page.)
    shot = tmp_path / "page.png"
    await _browse(browser, tmp_path / "b", "--hide-scrollbars", f"--screenshot={shot}", url)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
