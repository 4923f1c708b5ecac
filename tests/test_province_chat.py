"""Issue 19 point 3: citizens of a province's communes (transcripts on the test channel)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Dispatcher, running_services
from bot.knowledge_files import KnowledgeFiles
from core.clock import FixedClock
from handlers.context import Knowledge, Services
from storage.base import ChatRef
from tests.conftest import make_settings
from tests.test_dossier_import import row, write_csv
from tests.transcript import Transcript

EXAMPLE = Path(__file__).parent / "data" / "province" / "province.yaml"


@pytest.fixture(scope="module")
def province_knowledge() -> Knowledge:
    return KnowledgeFiles(make_settings(Path("."), province_file=EXAMPLE)).load()


@pytest.fixture
async def province_services(
    tmp_path: Path, clock: FixedClock, province_knowledge: Knowledge
) -> AsyncIterator[Services]:
    settings = make_settings(tmp_path, province_file=EXAMPLE, OFFICER_IDS="test:900")
    async with running_services(settings, clock=clock, knowledge=province_knowledge) as services:
        yield services


@pytest.fixture
def citizen(province_services: Services) -> Transcript:
    return Transcript(Dispatcher(province_services), user_id="100")


async def test_the_first_question_asks_the_commune_once(
    citizen: Transcript, province_services: Services
) -> None:
    await citizen.say("xin giấy xác nhận tình trạng hôn nhân")
    citizen.expect("Ông/bà ở xã, phường nào của tỉnh Ví Dụ?")
    assert [b.label for b in citizen.buttons] == ["xã Bình An", "phường Đông Hòa", "xã Tân Phú"]
    await citizen.say("dong thanh")  # the ward's name before the merger, without diacritics
    citizen.expect("Đã ghi nhận: ông/bà ở phường Đông Hòa", "tình trạng hôn nhân")
    await citizen.press("Lệ phí")
    citizen.expect("Miễn")
    chat = ChatRef("test", "100")
    assert await province_services.storage.chats.chat_commune(chat) == "dong-hoa"
    # Not asked again, even after a restart (the choice is in the database).
    again = Transcript(Dispatcher(province_services), user_id="100")
    await again.say("đăng ký khai sinh")
    again.expect_not("xã, phường nào")
    again.expect("Đăng ký khai sinh")


async def test_fees_and_office_follow_the_commune(citizen: Transcript) -> None:
    await citizen.say("xac nhan tinh trang hon nhan")
    await citizen.press("xã Bình An")
    citizen.expect("xã Bình An")
    await citizen.press("Lệ phí")
    citizen.expect("3.000")
    await citizen.say("đổi xã")
    citizen.expect("Ông/bà đang xem thông tin của xã Bình An", "Ông/bà ở xã, phường nào")
    await citizen.say("Tân Phú")
    citizen.expect("Đã ghi nhận: ông/bà ở xã Tân Phú")
    await citizen.say("doi phuong")
    await citizen.say("phuong dong hoa")
    await citizen.say("hòa giải tranh chấp đất đai")  # hidden in Đông Hòa's overlay
    citizen.expect("không giải quyết tại Trung tâm Phục vụ hành chính công phường Đông Hòa")
    citizen.expect("0200 3 222 222")


@pytest.mark.parametrize(
    ("typed", "outcome"),
    [
        ("bnh an", "Đã ghi nhận: ông/bà ở xã Bình An"),  # a typo
        ("XÃ BÌNH HÒA", "Đã ghi nhận: ông/bà ở xã Bình An"),
        ("hoa", "Có 2 xã, phường gần với «hoa»"),
        ("xã Hòa Bình Xanh", "Chưa tìm thấy xã, phường «xã Hòa Bình Xanh» trong tỉnh Ví Dụ"),
    ],
)
async def test_the_commune_typed_in_any_form(citizen: Transcript, typed: str, outcome: str) -> None:
    await citizen.say("đăng ký khai tử")
    await citizen.say(typed)
    citizen.expect(outcome)


async def test_small_talk_is_not_held_for_the_commune(citizen: Transcript) -> None:
    await citizen.say("cảm ơn")
    citizen.expect_not("xã, phường nào")


async def test_a_code_finds_its_commune_without_a_question(
    tmp_path: Path, province_services: Services, citizen: Transcript
) -> None:
    from core.dossier_import import CommuneRule, parse_export
    from handlers.imports import apply_import, plan_import

    path = write_csv(
        tmp_path / "tinh.csv",
        [
            row(**{"Mã hồ sơ": "H57.132-261116-0001", "Ngày tiếp nhận": "16/11/2026 09:30",
                   "Ngày hẹn trả": "18/11/2026", "Số điện thoại": "0912 345 678"}),
        ],
    )  # fmt: skip
    services = province_services
    parsed = parse_export(
        path, services.knowledge.catalogue, services.calendar, now=services.clock.now(),
        communes=CommuneRule(services.knowledge.province),
    )  # fmt: skip
    assert not parsed.errors
    await apply_import(services, await plan_import(services, parsed), "test")
    await citizen.say("H57.132-261116-0001")
    citizen.expect_not("xã, phường nào")
    await citizen.say("5678")
    # Late: the card names the ward's own phone, not the first commune's.
    citizen.expect("quá ngày hẹn trả", "0200 3 222 222")


async def test_subscribing_asks_the_commune_first(
    citizen: Transcript, province_services: Services
) -> None:
    """A commune's notices reach the chats that chose it: /dangkythongbao asks the commune,
    then offers the notices; a button of an earlier offer is kept while the bot asks."""
    from core.broadcasts import ALL_TOPICS
    from handlers.actions import SubscribeAll

    await citizen.say("/dangkythongbao")
    citizen.expect("gửi theo từng xã, phường", "Ông/bà ở xã, phường nào của tỉnh Ví Dụ?")
    assert "✅ Nhận tất cả thông báo" not in [b.label for b in citizen.buttons]
    await citizen.press("phường Đông Hòa")
    citizen.expect("Đã ghi nhận: ông/bà ở phường Đông Hòa", "Nhận thông báo của Trung tâm")
    assert "✅ Nhận tất cả thông báo" in [b.label for b in citizen.buttons]
    await citizen.press("✅ Nhận tất cả thông báo")
    citizen.expect("Đã đăng ký nhận tất cả thông báo")
    sizes = province_services.storage.broadcasts.audience_sizes
    assert (await sizes(("dong-hoa",))).size(ALL_TOPICS) == 1
    assert (await sizes(("binh-an",))).size(ALL_TOPICS) == 0

    other = Transcript(Dispatcher(province_services), user_id="200")
    await other.press_data(SubscribeAll().data)  # an offer's button, before any commune
    other.expect("Ông/bà ở xã, phường nào")
    await other.say("binh an")
    other.expect("Đã ghi nhận: ông/bà ở xã Bình An", "Đã đăng ký nhận tất cả thông báo")
    assert (await sizes(("binh-an",))).size(ALL_TOPICS) == 1
    await other.say("/dangkythongbao")  # the commune is known: the offer at once
    other.expect("Ông/bà đang nhận thông báo: tất cả thông báo")
    assert "🔕 Dừng nhận thông báo" in [b.label for b in other.buttons]
    other.expect_not("xã, phường nào")
