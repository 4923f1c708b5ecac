"""/capnhat MÃ: an officer changes a dossier's status from the chat; history, followers told,
audit recorded — the same path as an import."""

from __future__ import annotations

import datetime as dt

from core.dossiers import EventKind, Status
from core.officers import AuditAction
from handlers.context import Services
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
