"""Files officers send in the chat: a new catalogue (validated, previewed, applied without
stopping) and the one-stop software's export (same validation and all-or-nothing rule as
`motcua import-dossiers`). Citizens who send a file are asked to type instead."""

from __future__ import annotations

import copy
import csv
import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.app import Dispatcher, running_services
from bot.settings import Settings
from core.clock import FixedClock
from core.officers import AuditAction
from handlers.context import Knowledge, Services
from tests.conftest import make_settings
from tests.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "knowledge" / "procedures.yaml"
NEW_NAME = "Cấp giấy xác nhận nuôi ong mật"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The catalogue in use is a copy: applying a new one must never touch the shipped file."""
    catalogue = tmp_path / "procedures.yaml"
    shutil.copy(SHIPPED, catalogue)
    return make_settings(tmp_path, OFFICER_IDS="test:900", catalogue_file=catalogue)


@pytest.fixture
async def services(
    settings: Settings, clock: FixedClock, knowledge: Knowledge
) -> AsyncIterator[Services]:
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        yield services


def catalogue_yaml(change) -> bytes:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def with_new_procedure(data: dict) -> None:  # type: ignore[type-arg]
    new = copy.deepcopy(data["procedures"][0])
    new.update(id="xac-nhan-nuoi-ong", name=NEW_NAME, aliases=["nuôi ong mật"], keywords=["ong"])
    new.pop("code", None)
    data["procedures"].append(new)
    data["procedures"][1]["fees"][0]["note"] = "Miễn lệ phí nếu đăng ký đúng hạn (đã sửa)."


def with_a_negative_fee(data: dict) -> None:  # type: ignore[type-arg]
    data["procedures"][1]["fees"][0]["amount"] = -5000
    data["procedures"].append(copy.deepcopy(data["procedures"][2]))  # a duplicate id


async def test_a_valid_catalogue_is_previewed_then_applied_without_stopping(
    officer_chat: Transcript, services: Services, settings: Settings
) -> None:
    before = settings.catalogue_file.read_bytes()
    await officer_chat.send_file("procedures.yaml", catalogue_yaml(with_new_procedure))
    officer_chat.expect("Danh mục mới hợp lệ", f"+ {NEW_NAME} (xac-nhan-nuoi-ong)", "Sửa 1 thủ tục")
    assert services.knowledge.catalogue.get("xac-nhan-nuoi-ong") is None  # not before confirming
    assert settings.catalogue_file.read_bytes() == before

    await officer_chat.press("Áp dụng")
    officer_chat.expect("Đã áp dụng danh mục mới", "thêm 1, sửa 1, bỏ 0", "/thongbao")
    offered = [b.data for b in officer_chat.buttons if b.label.startswith("📢 Thông báo: ")]
    changed = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))["procedures"][1]["id"]
    assert offered == ["up:ann:xac-nhan-nuoi-ong", f"up:ann:{changed}"]
    assert services.knowledge.catalogue.get("xac-nhan-nuoi-ong") is not None
    assert b"xac-nhan-nuoi-ong" in settings.catalogue_file.read_bytes()
    backups = list(settings.catalogue_file.parent.glob("procedures.yaml.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    # The search index was rebuilt: citizens find the new procedure at once.
    citizen = Transcript(Dispatcher(services), user_id="100")
    await citizen.say("xin giấy nuôi ong mật")
    citizen.expect(NEW_NAME)
    [entry, *_] = await services.storage.officers.audit_entries(5)
    assert entry.action is AuditAction.CATALOGUE_UPDATED and entry.actor == "900"
    # The catalogue's history, for the report's "thủ tục mới, sửa đổi" line (core.report).
    today = services.clock.now().date()
    data = await services.storage.reports.report_data(today, today)
    assert data.catalogue is not None and data.catalogue.added + data.catalogue.changed >= 1
    # The button again: nothing left to apply.
    await officer_chat.press_data("up:cat")
    officer_chat.expect("đã được xử lý hoặc đã hết hạn")
    # Announcing the new procedure is offered: its button opens a notice prefilled from its card.
    await officer_chat.press_data("up:ann:xac-nhan-nuoi-ong")
    officer_chat.expect("Bản soạn sẵn từ danh mục", NEW_NAME)
    await officer_chat.press("Dùng nội dung này")
    officer_chat.expect("đăng ký")  # the audience step (no subscriber yet in this test)


async def test_an_invalid_catalogue_changes_nothing_and_lists_every_error(
    officer_chat: Transcript, services: Services, settings: Settings
) -> None:
    before = settings.catalogue_file.read_bytes()
    catalogue = services.knowledge.catalogue
    await officer_chat.send_file("procedures.yaml", catalogue_yaml(with_a_negative_fee))
    officer_chat.expect("lỗi, chưa áp dụng", "Bot vẫn dùng danh mục cũ", "procedures.yaml dòng ")
    officer_chat.expect("trường fees[0].amount", "không âm")
    officer_chat.expect("trùng")  # the duplicate id, in the same reply
    assert services.knowledge.catalogue is catalogue
    assert settings.catalogue_file.read_bytes() == before


async def test_a_citizen_sending_a_file_is_asked_to_type(chat: Transcript) -> None:
    await chat.send_file("procedures.yaml", b"procedures: []")
    chat.expect("gõ câu hỏi bằng chữ")
    await chat.press_data("up:cat")
    chat.expect("dành cho cán bộ")


def export_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Mã hồ sơ", "Mã thủ tục", "Người nộp", "Ngày tiếp nhận", "Trạng thái"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


GOOD = [
    "H57.132-261116-0001",
    "dang-ky-khai-tu",
    "Lê Thị Hoa",
    "16/11/2026 08:00",
    "Đang giải quyết",
]
BAD = ["H57.132-261116-0002", "cap-so-do", "Trần Văn Nam", "31/02/2026", "Đang giải quyết"]


async def test_an_export_with_errors_applies_nothing_until_the_officer_chooses(
    officer_chat: Transcript, services: Services
) -> None:
    await officer_chat.send_file("xuat.csv", export_csv([GOOD, BAD]))
    officer_chat.expect("có 2 lỗi ở 1 dòng", "Chưa nhập hồ sơ nào", "dòng 3, cột «Mã thủ tục»")
    officer_chat.expect("dòng 3, cột «Ngày tiếp nhận»")
    assert await services.storage.dossiers.count_dossiers() == 0
    await officer_chat.press("Nhập 1 dòng hợp lệ")
    officer_chat.expect("Đã nhập «xuat.csv»: 1 hồ sơ (bỏ qua 1 dòng lỗi)", "mới: 1")
    assert await services.storage.dossiers.count_dossiers() == 1
    [entry, *_] = await services.storage.officers.audit_entries(5)
    assert entry.action is AuditAction.DOSSIERS_IMPORTED and entry.target == "xuat.csv"


async def test_a_good_export_is_applied_at_once_and_twice_changes_nothing(
    officer_chat: Transcript, services: Services
) -> None:
    await officer_chat.send_file("xuat.csv", export_csv([GOOD]))
    officer_chat.expect("Đã nhập «xuat.csv»: 1 hồ sơ.", "mới: 1")
    await officer_chat.send_file("xuat.csv", export_csv([GOOD]))
    officer_chat.expect("mới: 0", "không đổi: 1")
    assert await services.storage.dossiers.count_dossiers() == 1


async def test_unknown_kinds_and_unreadable_exports_get_a_clear_answer(
    officer_chat: Transcript, services: Services
) -> None:
    await officer_chat.send_file("anh.jpg", b"\xff\xd8")
    officer_chat.expect("chưa nhận loại tệp «anh.jpg»", "procedures.yaml", ".csv hoặc .xlsx")
    await officer_chat.send_file("xuat.xlsx", b"not a zip")
    officer_chat.expect("Không đọc được tệp «xuat.xlsx»", "Chưa nhập hồ sơ nào")
    assert await services.storage.dossiers.count_dossiers() == 0
