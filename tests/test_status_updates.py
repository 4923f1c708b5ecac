"""/capnhat MÃ: an officer changes a dossier's status from the chat; history, followers told,
audit recorded — the same path as an import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.dossier_import import parse_export
from core.dossiers import EventKind, Status
from core.officers import AuditAction
from handlers.context import Services
from handlers.imports import apply_import, plan_import
from storage.base import ChatRef, OutboxStatus
from tests.dossier_fixtures import CODE, dossier, with_hash
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)
KEY = dossier().code_key


async def test_status_and_note_reach_history_followers_and_the_audit_log(
    services: Services, officer_chat: Transcript
) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    await services.storage.follows.follow(ChatRef("telegram", "42"), KEY, None, "đồng ý", NOW)
    await officer_chat.say(f"/capnhat {CODE.lower()}")
    officer_chat.expect(f"Cập nhật hồ sơ {CODE}", "Trạng thái hiện tại: Đang giải quyết")
    assert "Đang giải quyết" not in [b.label for b in officer_chat.buttons]
    await officer_chat.press("Chờ bổ sung hồ sơ")
    officer_chat.expect("Trạng thái mới: Chờ bổ sung hồ sơ", "Bỏ qua")
    await officer_chat.say("Thiếu bản sao giấy khai sinh")
    officer_chat.expect(
        "Đã cập nhật hồ sơ", "Đang giải quyết → Chờ bổ sung hồ sơ", "Bot đang báo cho 1 người"
    )
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.status is Status.SUPPLEMENT
    assert stored.note == "Thiếu bản sao giấy khai sinh"
    [latest, *_] = await services.storage.dossiers.dossier_events(KEY)
    assert (latest.kind, latest.new_status, latest.source) == (
        EventKind.STATUS, Status.SUPPLEMENT, "officer:900")  # fmt: skip
    assert latest.note == "Thiếu bản sao giấy khai sinh"
    assert (await services.storage.outbox.outbox_counts()).get(OutboxStatus.PENDING) == 1
    [entry, *_] = await services.storage.officers.audit_entries(5)
    assert entry.action is AuditAction.STATUS_UPDATED and entry.target == CODE


async def test_skip_the_note_cancel_and_unknown_codes(
    services: Services, officer_chat: Transcript
) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    await officer_chat.say("/capnhat H57.132-000000-0000")
    officer_chat.expect("Không tìm thấy hồ sơ «H57.132-000000-0000»", "/capnhat 000.00")
    await officer_chat.say("/capnhat")
    officer_chat.expect("Gõ /capnhat kèm mã hồ sơ")
    await officer_chat.say(f"/capnhat {CODE}")
    await officer_chat.press("Hủy")
    officer_chat.expect("Đã hủy")
    await officer_chat.say(f"/capnhat {CODE}")
    await officer_chat.press("Đã có kết quả")
    await officer_chat.press("Bỏ qua")
    officer_chat.expect("Đang giải quyết → Đã có kết quả – chờ trả", "Chưa ai theo dõi")
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.status is Status.READY and stored.note is None
    await officer_chat.press_data("cn:n")  # an old button: nothing happens twice
    officer_chat.expect("đã được xử lý hoặc đã hết hạn")


async def test_a_marriage_that_needs_verifying_is_due_five_working_days_later(
    services: Services, officer_chat: Transcript, tmp_path: Path
) -> None:
    """Luật Hộ tịch 2014 Điều 18 khoản 2: a marriage is registered at once, but when its
    conditions must be verified the time is at most 05 working days. The officer sets that time
    on the dossier from /capnhat; the due date follows, the note and the history say why, the
    followers are told; a later export without a date does not take the date back."""
    marriage = dossier(
        procedure_id="dang-ky-ket-hon",
        status=Status.RECEIVED,
        received=dt.datetime(2026, 11, 23, 8, 30),  # Monday
        due=dt.date(2026, 11, 23),  # on receipt
    )
    await services.storage.dossiers.apply_dossiers([with_hash(marriage)], NOW, "import:a.csv")
    await services.storage.follows.follow(ChatRef("telegram", "42"), KEY, None, "đồng ý", NOW)
    await officer_chat.say(f"/capnhat {CODE}")
    officer_chat.expect("thêm tối đa 5 ngày làm việc", "Luật Hộ tịch 2014 Điều 18 khoản 2")
    # 24/11/2026 is a day off (calendar override): 25, 26, 27, 30/11, 01/12.
    await officer_chat.press("Cần xác minh – hẹn 01/12/2026")
    officer_chat.expect(
        "cần xác minh: hẹn trả kết quả ngày Thứ Ba, 01/12/2026", "Bot đang báo cho 1"
    )
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 12, 1)
    assert stored.status is Status.PROCESSING and "Cần xác minh" in (stored.note or "")
    kinds = {event.kind for event in await services.storage.dossiers.dossier_events(KEY)}
    assert {EventKind.STATUS, EventKind.DUE} <= kinds
    # Offered once: the date is already the longer one.
    await officer_chat.say(f"/capnhat {CODE}")
    assert not any("Cần xác minh" in b.label for b in officer_chat.buttons)
    await officer_chat.press("Hủy")
    # An export without "Ngày hẹn trả" keeps the date; one with a date wins.
    path = tmp_path / "x.csv"
    path.write_text(
        "Mã hồ sơ,Mã thủ tục,Người nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái\n"
        f"{CODE},dang-ky-ket-hon,Nguyễn Văn An,23/11/2026 08:30,,Đang giải quyết\n",
        encoding="utf-8",
    )
    parsed = parse_export(path, services.knowledge.catalogue, services.calendar)
    assert parsed.ok, parsed.errors
    await apply_import(services, await plan_import(services, parsed), "import:x")
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 12, 1)


async def test_no_verification_time_where_the_law_gives_none(
    services: Services, officer_chat: Transcript
) -> None:
    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier(procedure_id="chung-thuc-ban-sao"))], NOW, "import:a.csv"
    )
    await officer_chat.say(f"/capnhat {CODE}")
    officer_chat.expect("Chọn trạng thái mới")
    officer_chat.expect_not("xác minh")
    assert not any("xác minh" in b.label for b in officer_chat.buttons)
    await officer_chat.press_data("cn:v")  # a forged press: nothing changes
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 11, 19)
