"""Apologies only for running dossiers, and the waiting clock (core.apologies, core.waiting).

NĐ 61/2018/NĐ-CP Điều 19 khoản 9: the apology is for "hồ sơ quá hạn giải quyết" — a dossier still
being handled. Điều 15 khoản 3, Điều 19 khoản 4: a supplement is asked for once, and the time
restarts when the dossier is complete, so a dossier waiting for the person is not late.
The clock stands at Monday 23/11/2026 09:00; the dossier was received 16/11 and due 19/11.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from core.apologies import ApologyRefused
from core.catalogue.models import LawVersion
from core.dossier_import import parse_export
from core.dossiers import STATUS_INFO, Status, is_running
from core.messages import TextFormat
from handlers.apologies import morning_list
from handlers.context import Services
from handlers.imports import apply_import, plan_import
from storage.base import ApologyDraft, ChatRef, OutboxStatus
from tests.dossier_fixtures import CODE, dossier, with_hash
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)
KEY = dossier().code_key
NOT_RUNNING = [s for s in Status if not is_running(s)]


def test_the_statuses_that_are_not_running() -> None:
    """Finished (answered, returned, refused, withdrawn, stopped) or waiting (supplement,
    suspension): none of them can be late."""
    assert set(NOT_RUNNING) == {
        Status.READY, Status.RETURNED, Status.REFUSED, Status.WITHDRAWN, Status.STOPPED,
        Status.SUPPLEMENT, Status.SUSPENDED,
    }  # fmt: skip


@pytest.mark.parametrize("status", NOT_RUNNING, ids=[s.value for s in NOT_RUNNING])
async def test_xinloi_refuses_a_dossier_that_is_not_running(
    services: Services, officer_chat: Transcript, status: Status
) -> None:
    """Điều 19 k.9: nothing is numbered, sent or moved for a dossier not being handled; the
    officer reads why, in Vietnamese."""
    await services.storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=status))], NOW, "import:a"
    )
    await services.storage.follows.follow(ChatRef("telegram", "42"), KEY, None, "đồng ý", NOW)
    await officer_chat.say(f"/xinloi {CODE}")
    officer_chat.expect("Không lập văn bản xin lỗi", CODE)
    assert not officer_chat.buttons or "Cần xác minh thêm thông tin" not in [
        b.label for b in officer_chat.buttons
    ]
    if STATUS_INFO[status].finished:
        officer_chat.expect("chỉ dành cho hồ sơ đang giải quyết")
    else:
        officer_chat.expect("không chạy" if status is Status.SUSPENDED else "tạm dừng")
    draft = ApologyDraft(
        KEY, "Cần xác minh thêm", dt.date(2026, 11, 30), "900", None, LawVersion.TT_03_2025, "VBXL"
    )
    with pytest.raises(ApologyRefused):  # the database refuses too (a button pressed late)
        await services.storage.apologies.issue_apology(draft, NOW, max_extensions=1)
    assert await services.storage.apologies.apologies_for(KEY) == []
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 11, 19)
    assert not (await services.storage.outbox.outbox_counts()).get(OutboxStatus.PENDING)
    reply = await morning_list(services, TextFormat.PLAIN, NOW.date())
    assert CODE not in reply.text


HEADER = ["Mã hồ sơ", "Mã thủ tục", "Người nộp", "Số điện thoại", "Ngày tiếp nhận",
          "Ngày hẹn trả", "Trạng thái", "Lý do trễ hạn"]  # fmt: skip


def export(
    tmp_path: Path, status: str, due: str = "", reason: str = "", name: str = "x.csv"
) -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        out.writerow([CODE, "xac-nhan-tinh-trang-hon-nhan", "Nguyễn Văn An", "0912 345 678",
                      "16/11/2026 09:30", due, status, reason])  # fmt: skip
    return path


async def import_file(services: Services, path: Path):  # type: ignore[no-untyped-def]
    parsed = parse_export(path, services.knowledge.catalogue, services.calendar)
    assert parsed.ok, parsed.errors
    plan = await plan_import(services, parsed)
    return plan, (None if plan.errors else await apply_import(services, plan, "import:x"))


@pytest.mark.parametrize("status", ["Đã trả kết quả", "Từ chối", "Đã rút hồ sơ", "Chờ bổ sung"])
async def test_the_import_refuses_an_apology_for_a_dossier_not_running(
    services: Services, tmp_path: Path, status: str
) -> None:
    """The software's "Lý do trễ hạn" with a later date on a row that says the dossier is done
    (or waiting) is refused on its row: no number, no message, the date not moved."""
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:first")
    plan, outcome = await import_file(
        services, export(tmp_path, status, "27/11/2026", "Chờ cơ quan liên thông")
    )
    assert outcome is None
    [error] = plan.errors
    assert "Không lập văn bản xin lỗi" in error.message
    assert await services.storage.apologies.apologies_for(KEY) == []
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 11, 19)


async def test_a_dossier_waiting_for_the_person_is_not_late_and_says_what_to_bring(
    services: Services, chat: Transcript
) -> None:
    """Điều 15 k.3, Điều 19 k.4: while the person completes the dossier the time is stopped: the
    card says what to bring and that the time restarts, never "late" or "apology owed"."""
    waiting = dossier(status=Status.SUPPLEMENT, note="Bản sao giấy khai sinh của người yêu cầu")
    await services.storage.dossiers.apply_dossiers([with_hash(waiting)], NOW, "import:a")
    await chat.say(CODE)
    await chat.say("5678")
    chat.expect("Chờ bổ sung hồ sơ", "Cần bổ sung: Bản sao giấy khai sinh", "tính lại từ đầu")
    chat.expect_not("quá ngày hẹn", "phải gửi văn bản xin lỗi", "19/11/2026")


async def test_leaving_the_waiting_state_restarts_the_time_from_the_catalogue(
    services: Services, officer_chat: Transcript
) -> None:
    """Điều 19 k.4: the processing time (3 working days for this procedure) is counted again from
    the moment the dossier is complete: Monday 23/11 09:00 → Friday 27/11 (24/11 is a day off
    in the shipped calendar)."""
    waiting = dossier(status=Status.SUPPLEMENT)
    await services.storage.dossiers.apply_dossiers([with_hash(waiting)], NOW, "import:a")
    await officer_chat.say(f"/capnhat {CODE}")
    await officer_chat.press("Đang giải quyết")
    await officer_chat.press("Bỏ qua")
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.status is Status.PROCESSING
    expected = services.calendar.add_working_days(NOW.date(), 3)
    assert stored.due_date == expected and stored.clock_restarted_at is not None


async def test_the_import_restarts_the_time_and_the_softwares_date_wins(
    services: Services, tmp_path: Path
) -> None:
    """Without "Ngày hẹn trả" the import counts the time again when the dossier leaves "Chờ bổ
    sung", and keeps that date on the next import; a date in the export always wins."""
    await import_file(services, export(tmp_path, "Chờ bổ sung"))
    _, outcome = await import_file(services, export(tmp_path, "Đang giải quyết", name="b.csv"))
    assert outcome is not None
    restarted = services.calendar.add_working_days(NOW.date(), 3)
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == restarted
    # The same status again, with a note: the restarted date stays (not the receipt's 19/11).
    path = tmp_path / "c.csv"
    path.write_text(
        export(tmp_path, "Đang xử lý", name="c.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    await import_file(services, path)
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == restarted
    await import_file(services, export(tmp_path, "Đang giải quyết", "04/12/2026", name="d.csv"))
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 12, 4)


async def test_a_second_request_to_supplement_is_flagged_to_officers(
    services: Services, officer_chat: Transcript
) -> None:
    """Điều 15 k.3: a supplement is asked for only once; a second request shows in /trehan."""
    for number, status in enumerate((Status.SUPPLEMENT, Status.PROCESSING, Status.SUPPLEMENT)):
        item = dossier(status=status, note=f"lần {number}")
        await services.storage.dossiers.apply_dossiers([with_hash(item)], NOW, f"import:{number}")
    await officer_chat.say("/trehan")
    officer_chat.expect("Yêu cầu bổ sung hồ sơ quá 1 lần", f"{CODE} – 2 lần")
