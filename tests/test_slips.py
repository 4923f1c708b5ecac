"""Issue 20: the receipt's QR and the follow code, a photo of the receipt, the officers' slips —
as transcripts, plus the links' storage contract and the tokens' rules."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from core.code_reader import read_codes
from core.dossiers import Status
from core.messages import IncomingFile, IncomingMessage
from core.officers import AuditAction
from core.receipt_codes import code_key
from core.slips import (
    DEEP_LINK_MAX,
    LinkPolicy,
    deep_link_payload,
    follow_code_from_text,
    interpret_codes,
    new_follow_code,
    new_token,
    page_url,
    telegram_link,
    token_from_start,
    token_from_text,
    token_hash,
)
from handlers.context import Knowledge, Services
from storage.base import ChatRef, Storage
from storage.sqlite import SqliteStorage
from tests.dossier_fixtures import CODE, OTHER_CODE, dossier, with_hash
from tests.receipt_images import PUBLIC_URL, photo
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)
KEY = code_key(CODE)


# -- tokens, links, codes ---------------------------------------------------------------------


def test_tokens_are_128_bits_of_url_safe_text_and_fit_telegrams_payload() -> None:
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in list(tokens)[:50]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)  # 22 × 6 bits ≥ 128 bits
        payload = deep_link_payload(token)
        assert len(payload) <= DEEP_LINK_MAX and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
        assert token_from_start(payload) == token
        assert token_from_text(page_url("https://a.gov.vn/", token)) == token
        assert len(token_hash(token)) == 64 and token not in token_hash(token)
    assert telegram_link("@motcua_bot", "x" * 22) == f"https://t.me/motcua_bot?start=hs_{'x' * 22}"
    assert token_from_start("khac") is None and token_from_start("hs_short") is None


def test_follow_codes_are_read_as_people_type_them_and_words_never_pass() -> None:
    code = new_follow_code()
    assert len(code) == 8 and any(ch.isdigit() for ch in code)
    assert follow_code_from_text(f"THEO {code[:4]}-{code[4:]}") == code
    assert follow_code_from_text(f"theo dõi {code.lower()}") == code
    assert follow_code_from_text("7K3M-9QX2") == "7K3M9QX2"
    assert follow_code_from_text("theo 7k3m 9qxO") == "7K3M9QX0"  # O typed for 0
    for words in ("khai sinh", "theo doi khai sinh", "KHAISINH", "lam giay", "theo 1234"):
        assert follow_code_from_text(words) is None, words


def test_photo_codes_are_interpreted_token_first() -> None:
    token = new_token()
    assert interpret_codes(["xyz", page_url(PUBLIC_URL, token)]) is not None
    assert interpret_codes([f"{CODE}", page_url(PUBLIC_URL, token)]).token == token  # type: ignore[union-attr]
    link = "https://dichvucong.gov.vn/tra-cuu?ma=000.00.19.H47%2D261116%2D0007"
    assert interpret_codes([link]).dossier_code == CODE  # type: ignore[union-attr]
    assert interpret_codes(["https://zalo.me/123", "hello"]) is None


# -- storage contract -------------------------------------------------------------------------


@pytest.fixture
async def storage(storage: Storage) -> AsyncIterator[Storage]:
    """Every backend (tests/conftest.py), with two dossiers."""
    opened = storage
    await opened.dossiers.apply_dossiers(
        [with_hash(dossier()), with_hash(dossier(OTHER_CODE, received=dt.datetime(2026, 11, 18)))],
        NOW,
        "import:test.csv",
    )
    yield opened


async def test_links_are_stored_hashed_found_and_revoked(storage: Storage) -> None:
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    first, second = token_hash("a" * 22), token_hash("b" * 22)
    await storage.links.add_dossier_links([(first, KEY), (second, KEY)], now)
    linked = await storage.links.linked_dossier(first)
    assert linked is not None and linked.dossier.code == CODE and not linked.revoked
    assert linked.finished_at is None
    assert await storage.links.linked_dossier(token_hash("c" * 22)) is None
    assert await storage.links.revoke_dossier_links(KEY, now) == 2
    assert await storage.links.revoke_dossier_links(KEY, now) == 0
    revoked = await storage.links.linked_dossier(second)
    assert revoked is not None and revoked.revoked


async def test_follow_codes_expire_and_are_forgotten(storage: Storage) -> None:
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    link = token_hash("a" * 22)
    await storage.links.add_dossier_links([(link, KEY)], now)
    await storage.links.add_follow_code(
        token_hash("7K3M9QX2"), link, now + dt.timedelta(hours=1), now
    )
    # Compared across time zones: 16:30 in Vietnam is 09:30 UTC, within the hour.
    vietnam = dt.timezone(dt.timedelta(hours=7))
    found = await storage.links.followed_by_code(
        token_hash("7K3M9QX2"), dt.datetime(2026, 11, 23, 16, 30, tzinfo=vietnam)
    )
    assert found is not None and found.dossier.code_key == KEY
    later = now + dt.timedelta(hours=2)
    assert await storage.links.followed_by_code(token_hash("7K3M9QX2"), later) is None
    assert await storage.links.forget_follow_codes_before(later) == 1


async def test_a_finished_dossier_says_when_it_finished(storage: Storage) -> None:
    link = token_hash("a" * 22)
    await storage.links.add_dossier_links([(link, KEY)], NOW)
    returned = dt.datetime(2026, 11, 25, 10, 0)
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.RETURNED))], returned, "import:later.csv"
    )
    linked = await storage.links.linked_dossier(link)
    assert linked is not None and linked.finished_at is not None
    assert linked.finished_at.date() == returned.date()
    policy = LinkPolicy(days_after_finished=30)
    vietnam = dt.timezone(dt.timedelta(hours=7))
    assert linked.usable(dt.datetime(2026, 12, 20, tzinfo=vietnam), policy)
    assert not linked.usable(dt.datetime(2026, 12, 26, tzinfo=vietnam), policy)


async def test_dossiers_received_on_a_day(storage: Storage) -> None:
    day = dt.datetime(2026, 11, 16)
    found = await storage.links.dossiers_received_between(day, day + dt.timedelta(days=1))
    assert [d.code for d in found] == [CODE]


# -- conversations ----------------------------------------------------------------------------


@pytest.fixture
async def linked(services: Services) -> Services:
    services.links = LinkPolicy(
        public_url=PUBLIC_URL, telegram_username="motcua_test_bot", zalo_oa_url="https://zalo.me/1"
    )
    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier()), with_hash(dossier(OTHER_CODE, received=NOW.replace(hour=8)))],
        NOW,
        "import:test.csv",
    )
    return services


async def _token_for(services: Services, key: str = KEY) -> str:
    token = new_token()
    await services.storage.links.add_dossier_links([(token_hash(token), key)], services.clock.now())
    return token


async def test_deep_link_opens_the_card_and_one_tap_follows_without_digits(
    linked: Services, chat: Transcript
) -> None:
    token = await _token_for(linked)
    await chat.say(f"/start {deep_link_payload(token)}")
    chat.expect(f"Hồ sơ {CODE}", "Nguyễn V*** A**", "Đồng ý theo dõi", "chỉ lưu mã hồ sơ")
    chat.expect_not("4 chữ số", "0912", "Nguyễn Văn An")
    await chat.press("Đồng ý theo dõi")
    chat.expect(f"Đã theo dõi hồ sơ {CODE}")
    assert await linked.storage.follows.is_following(ChatRef("test", "100"), KEY)


async def test_unknown_revoked_and_expired_links_get_a_kind_answer_and_count(
    linked: Services, chat: Transcript
) -> None:
    await chat.say(f"/start {deep_link_payload(new_token())}")
    chat.expect("không còn dùng được", "gõ mã hồ sơ")
    token = await _token_for(linked)
    await linked.storage.links.revoke_dossier_links(KEY, linked.clock.now())
    await chat.say(f"/start {deep_link_payload(token)}")
    chat.expect("không còn dùng được")
    since = linked.clock.now() - dt.timedelta(minutes=10)
    assert await linked.storage.dossiers.lookup_failures_since(ChatRef("test", "100"), since) == 2
    # Five failures: even a good link is refused for a while (no guessing).
    for _ in range(3):
        await chat.say(f"/start {deep_link_payload(new_token())}")
    good = await _token_for(linked, code_key(OTHER_CODE))
    await chat.say(f"/start {deep_link_payload(good)}")
    chat.expect_not(OTHER_CODE)


async def test_plain_start_still_greets(linked: Services, chat: Transcript) -> None:
    await chat.say("/start")
    chat.expect_not("không còn dùng được")
    assert chat.buttons


async def test_zalo_follow_code_opens_the_dossier(linked: Services, chat: Transcript) -> None:
    token = await _token_for(linked)
    code = new_follow_code()
    now = linked.clock.now()
    await linked.storage.links.add_follow_code(
        token_hash(code), token_hash(token), now + dt.timedelta(hours=24), now
    )
    await chat.say(f"THEO {code[:4]}-{code[4:]}")
    chat.expect(f"Hồ sơ {CODE}", "Đồng ý theo dõi")
    await chat.say("THEO 7K3M-9QX2")
    chat.expect("Mã theo dõi này không đúng")


def _png(content: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(content)).save(out, "PNG")
    return out.getvalue()


async def test_a_photo_of_the_slip_opens_the_dossier(linked: Services, chat: Transcript) -> None:
    import random

    shot = photo(random.Random(1), "bot-qr")
    # The photo carries some token; make it this dossier's.
    await linked.storage.links.add_dossier_links([(token_hash(shot.expected), KEY)], NOW)
    await chat.send_image("anh.jpg", shot.jpeg)
    chat.expect(f"Hồ sơ {CODE}", "Đồng ý theo dõi")
    chat.expect_not("4 chữ số")


async def test_a_photo_of_the_receipt_looks_the_code_up_with_the_second_factor(
    linked: Services, chat: Transcript
) -> None:
    import random

    shot = photo(random.Random(2), "code128")
    await linked.storage.dossiers.apply_dossiers(
        [with_hash(dossier(shot.expected))], NOW, "import:photo.csv"
    )
    await chat.send_image("anh.jpg", shot.jpeg)
    chat.expect("4 chữ số cuối", shot.expected)


async def test_a_photo_without_a_code_and_a_photo_too_large(
    linked: Services, chat: Transcript
) -> None:
    blank = io.BytesIO()
    Image.new("L", (400, 300), 200).save(blank, "JPEG")
    await chat.send_image("anh.jpg", blank.getvalue())
    chat.expect("chụp lại gần hơn, đủ sáng", "gõ mã hồ sơ")
    assert any(b.data == "menu:lookup" for b in chat.buttons)
    await chat.send_image("anh.jpg", b"\xff\xd8" + b"0" * (linked.photos.max_bytes + 1))
    chat.expect("lớn quá")
    await chat.send_image("anh.jpg", b"not an image at all")
    chat.expect("chụp lại gần hơn")


# -- officers: slips, sheet, poster, revoking -------------------------------------------------


def _qr_texts(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    texts = []
    for page in document:
        image = page.render(scale=150 / 72).to_pil()
        out = io.BytesIO()
        image.save(out, "PNG")
        texts += read_codes(out.getvalue())
    return texts


async def test_officer_prints_a_slip_whose_qr_opens_the_dossier(
    linked: Services, officer_chat: Transcript, chat: Transcript
) -> None:
    await officer_chat.say(f"/phieuqr {CODE}")
    [reply] = officer_chat.last
    assert reply.file is not None and reply.file.mime_type == "application/pdf"
    assert reply.file.content.startswith(b"%PDF")
    [url] = _qr_texts(reply.file.content)
    token = token_from_text(url)
    assert url.startswith(PUBLIC_URL + "/hs/") and token is not None
    entries = await linked.storage.officers.audit_entries(5)
    assert entries[0].action is AuditAction.SLIPS_PRINTED and entries[0].target == CODE
    await chat.say(f"/start {deep_link_payload(token)}")
    chat.expect(f"Hồ sơ {CODE}")
    await officer_chat.say(f"/thuhoiqr {CODE}")
    officer_chat.expect("Đã hủy 1 phiếu QR")
    await chat.say(f"/start {deep_link_payload(token)}")
    chat.expect("không còn dùng được")


async def test_officer_prints_todays_label_sheet_and_the_poster(
    linked: Services, officer_chat: Transcript
) -> None:
    linked.clock.set(dt.datetime(2026, 11, 23, 15, 0))  # type: ignore[attr-defined]
    await officer_chat.say("/phieuqr")
    [reply] = officer_chat.last
    officer_chat.expect("1 phiếu theo dõi cho các hồ sơ nhận hôm nay")
    assert reply.file is not None
    texts = _qr_texts(reply.file.content)
    assert len(texts) == 1 and texts[0].startswith(PUBLIC_URL)
    await officer_chat.say("/apphich")
    [poster] = officer_chat.last
    assert poster.file is not None
    assert set(_qr_texts(poster.file.content)) == {
        "https://zalo.me/1",
        "https://t.me/motcua_test_bot",
    }


async def test_citizens_cannot_print_and_no_address_means_no_slips(
    services: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    await chat.say(f"/phieuqr {CODE}")
    chat.expect("dành cho cán bộ")
    await officer_chat.say(f"/phieuqr {CODE}")
    officer_chat.expect("MOTCUA_PUBLIC_URL")


def test_image_messages_keep_nothing_but_the_code() -> None:
    """The neutral message carries a reference to fetch, never the picture's bytes."""
    image = IncomingFile("anh.jpg", "FILE0001", "image/jpeg", 1234)
    message = IncomingMessage("telegram", "1", "1", image=image)
    assert not any(isinstance(v, bytes) for v in vars(message).values())


# -- the command line -------------------------------------------------------------------------


async def test_motcua_slips_prints_revokes_and_makes_the_poster(
    tmp_path: Path, knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import build_parser
    from bot.slips_cli import slips_from_command_line
    from tests.conftest import make_settings

    async def motcua(*argv: str, **settings: object) -> int:
        args = build_parser().parse_args(["slips", *argv])
        return await slips_from_command_line(args, make_settings(tmp_path, **settings))

    monkeypatch.setattr("bot.app.load_knowledge", lambda _settings: knowledge)  # loaded once
    storage = await SqliteStorage.open(make_settings(tmp_path).database_file)
    await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    await storage.close()
    assert await motcua(CODE) == 2  # no public address yet
    out, sheet = tmp_path / "phieu.pdf", tmp_path / "ngay.pdf"
    assert await motcua(CODE, "--size", "a5", "--out", str(out), public_url=PUBLIC_URL) == 0
    [url] = _qr_texts(out.read_bytes())
    assert url.startswith(PUBLIC_URL + "/hs/")
    assert await motcua("--date", "16/11/2026", "--out", str(sheet), public_url=PUBLIC_URL) == 0
    assert len(_qr_texts(sheet.read_bytes())) == 1
    assert await motcua("--date", "17/11/2026", public_url=PUBLIC_URL) == 2
    assert await motcua("--revoke", CODE) == 0
    poster = str(tmp_path / "p.pdf")
    assert await motcua("--poster", "--out", poster) == 2
    assert await motcua("--poster", "--out", poster, telegram_bot_username="motcua_bot") == 0
    storage = await SqliteStorage.open(make_settings(tmp_path).database_file)
    try:
        linked = await storage.links.linked_dossier(token_hash(token_from_text(url) or ""))
        assert linked is not None and linked.revoked
        actions = [e.action for e in await storage.officers.audit_entries(10)]
        assert AuditAction.LINKS_REVOKED in actions and AuditAction.SLIPS_PRINTED in actions
    finally:
        await storage.close()
