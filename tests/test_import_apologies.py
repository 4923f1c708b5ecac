"""An export row that moves a late dossier's return date, with a reason, is the apology the law
requires, issued "from the one-stop software" (handlers.imports).

NĐ 61/2018/NĐ-CP Điều 19 khoản 9: for a dossier that will be late, the office sends the person a
written apology with the reason and a new return date; the date is set again not more than once.
The clock stands at Monday 23/11/2026 09:00; the dossier was due Thursday 19/11/2026 (overdue).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from pathlib import Path

import pytest

from bot import cli
from core.apologies import FROM_SOFTWARE
from core.dossier_import import parse_export
from core.dossiers import EventKind, Status
from handlers.context import Services
from handlers.imports import apply_import, plan_import
from storage.base import ChatRef, OutboxStatus
from tests.dossier_fixtures import CODE, dossier, with_hash

NOW = dt.datetime(2026, 11, 23, 9, 0)
KEY = dossier().code_key
HEADER = ["Mã hồ sơ", "Mã thủ tục", "Người nộp", "Số điện thoại", "Ngày tiếp nhận",
          "Ngày hẹn trả", "Trạng thái", "Lý do trễ hạn"]  # fmt: skip


def export(tmp_path: Path, due: str, reason: str, *, name: str = "export.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        out.writerow([CODE, "xac-nhan-tinh-trang-hon-nhan", "Nguyễn Văn An", "0912 345 678",
                      "16/11/2026 09:30", due, "Đang giải quyết", reason])  # fmt: skip
    return path


async def run_import(services: Services, path: Path):  # type: ignore[no-untyped-def]
    parsed = parse_export(path, services.knowledge.catalogue, services.calendar)
    assert parsed.ok, parsed.errors
    plan = await plan_import(services, parsed)
    if plan.errors:
        return plan, None
    return plan, await apply_import(services, plan, f"import:{path.name}")


async def following(services: Services) -> ChatRef:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:first.csv")
    chat = ChatRef("telegram", "42")
    await services.storage.follows.follow(chat, KEY, None, "đồng ý", NOW)
    return chat


async def test_a_new_date_with_a_reason_issues_the_apology_once(
    services: Services, tmp_path: Path
) -> None:
    """Điều 19 k.9: reason + new date → written apology, to every follower, exactly once."""
    await following(services)
    path = export(tmp_path, "27/11/2026", "Chờ cơ quan liên thông trả kết quả")
    _, outcome = await run_import(services, path)
    assert outcome is not None and len(outcome.apologies) == 1
    issued = outcome.apologies[0]
    apology = issued.apology
    assert apology.issued_by == FROM_SOFTWARE and apology.reason.startswith("Chờ cơ quan")
    assert (apology.old_due, apology.new_due) == (dt.date(2026, 11, 19), dt.date(2026, 11, 27))
    assert issued.followers == 1 and outcome.notifications == 1
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 11, 27)
    assert stored.status is Status.PROCESSING
    due_events = [
        e for e in await services.storage.dossiers.dossier_events(KEY) if e.kind is EventKind.DUE
    ]
    assert len(due_events) == 1 and due_events[0].source == f"xin-loi:{apology.number}"
    # The same export again: no second apology, nobody told twice.
    _, again = await run_import(services, path)
    assert again is not None and again.apologies == () and again.unchanged == 1
    assert len(await services.storage.apologies.apologies_for(KEY)) == 1
    assert (await services.storage.outbox.outbox_counts()).get(OutboxStatus.PENDING) == 1


async def test_the_new_date_must_be_a_working_day_after_the_old_one(
    services: Services, tmp_path: Path
) -> None:
    """Điều 19 k.9 (new return date): Saturday 28/11/2026 is refused on its row; nothing applied."""
    await following(services)
    plan, outcome = await run_import(services, export(tmp_path, "28/11/2026", "Cần xác minh thêm"))
    assert outcome is None
    [error] = plan.errors
    assert error.row_number == 2 and "không phải ngày làm việc" in error.message
    assert "30/11/2026" in error.message  # the next working day, proposed
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 11, 19)
    assert await services.storage.apologies.apologies_for(KEY) == []


async def test_a_second_new_date_is_refused_citing_the_rule(
    services: Services, tmp_path: Path
) -> None:
    """Điều 19 k.9: the return date is set again not more than once (setting, default 1)."""
    await following(services)
    _, first = await run_import(services, export(tmp_path, "25/11/2026", "Cần xác minh thêm"))
    assert first is not None and len(first.apologies) == 1
    later = export(tmp_path, "04/12/2026", "Vẫn chờ xác minh", name="later.csv")
    plan, outcome = await run_import(services, later)
    assert outcome is None
    [error] = plan.errors
    assert "Theo Nghị định 118/2025/NĐ-CP" in error.message  # the law in force (core.law)
    assert "không quá một lần" in error.message


async def test_a_date_moved_long_before_the_due_date_is_an_ordinary_change(
    services: Services, tmp_path: Path
) -> None:
    """No apology is due while the dossier is not near its due date (Điều 19 k.9)."""
    far = dossier(due=dt.date(2026, 12, 10))
    await services.storage.dossiers.apply_dossiers([with_hash(far)], NOW, "import:first.csv")
    _, outcome = await run_import(services, export(tmp_path, "15/12/2026", "Cần xác minh thêm"))
    assert outcome is not None and outcome.apologies == () and outcome.updated == 1
    stored = await services.storage.dossiers.get_dossier(KEY)
    assert stored is not None and stored.due_date == dt.date(2026, 12, 15)


async def test_motcua_apologies_lists_them_for_the_quarterly_report(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report line "việc xin lỗi … khi để xảy ra trễ hạn": `motcua apologies` → CSV."""
    await following(services)
    await run_import(services, export(tmp_path, "27/11/2026", "Cần xác minh thêm"))
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    table = tmp_path / "xin-loi.csv"
    argv = ["apologies", "--from", "01/10/2026", "--to", "31/12/2026", "--csv", str(table)]
    assert await asyncio.to_thread(cli.main, argv) == 0
    rows = list(csv.reader(table.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["Số văn bản", "Ngày ban hành", "Mã hồ sơ"]
    assert rows[1][2] == CODE and rows[1][4] == "Cần xác minh thêm"
    assert rows[1][5:] == ["19/11/2026", "27/11/2026", "Phần mềm một cửa"]
    bad = ["apologies", "--from", "31/12/2026", "--to", "01/10/2026"]
    assert await asyncio.to_thread(cli.main, bad) == 2
