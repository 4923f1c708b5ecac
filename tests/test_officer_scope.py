"""Issue 19 point 4: officers belong to a commune, or to the province. The authorisation matrix,
pair by pair: an officer of Bình An on Đông Hòa's dossier, apology, status, slips, report,
feedback, question, volunteer — refused and nothing changed; Bình An's own — done; the
province's officer — done for any commune. A province of one behaves as before (every other
test runs so)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Dispatcher, running_services
from bot.knowledge_files import KnowledgeFiles
from core.broadcasts import ALL_TOPICS
from core.care import Volunteer, VolunteerStatus
from core.clock import FixedClock
from core.dossier_import import CommuneRule, parse_export
from core.dossiers import Status
from core.officers import AdminIds, AuditAction, Scope
from core.receipt_codes import code_key
from handlers.actions import (
    AnswerFeedback,
    ApproveVolunteer,
    BroadcastCommunes,
    CancelBroadcast,
    ClaimTicket,
    ShowProgress,
    ShowReport,
)
from handlers.context import Knowledge, Services
from handlers.imports import apply_import, plan_import
from storage.base import ChatRef, ConversationKey
from tests.conftest import make_settings
from tests.test_dossier_import import row, write_csv
from tests.transcript import Transcript

EXAMPLE = Path(__file__).parent / "data" / "province" / "province.yaml"
REFUSED = "Việc này thuộc một xã, phường khác"
OURS = "000.00.19.H47-261116-0001"  # Bình An
THEIRS = "000.00.20.H47-261116-0002"  # Đông Hòa
PROVINCE, BINH_AN, DONG_HOA = "900", "901", "902"


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return KnowledgeFiles(make_settings(Path("."), province_file=EXAMPLE)).load()


@pytest.fixture
async def services(
    tmp_path: Path, clock: FixedClock, knowledge: Knowledge
) -> AsyncIterator[Services]:
    ids = f"test:{PROVINCE}, test:{BINH_AN}@binh-an, test:{DONG_HOA}@dong-hoa"
    settings = make_settings(tmp_path, province_file=EXAMPLE, OFFICER_IDS=ids)
    async with running_services(settings, clock=clock, knowledge=knowledge) as running:
        path = write_csv(
            tmp_path / "tinh.csv",
            [
                row(**{"Mã hồ sơ": code, "Ngày tiếp nhận": "16/11/2026 09:30",
                       "Ngày hẹn trả": "20/11/2026"})
                for code in (OURS, THEIRS)
            ],
        )  # fmt: skip
        parsed = parse_export(
            path, running.knowledge.catalogue, running.calendar, now=running.clock.now(),
            communes=CommuneRule(running.knowledge.province),
        )  # fmt: skip
        assert not parsed.errors
        await apply_import(running, await plan_import(running, parsed), "test")
        yield running


def officer(services: Services, user_id: str) -> Transcript:
    return Transcript(Dispatcher(services), user_id=user_id)


def test_officer_ids_carry_a_commune() -> None:
    admins = AdminIds.parse(["telegram:1@binh-an", "zalo:2", "3"])
    assert admins.scope("telegram", "1") == Scope("binh-an")
    assert admins.scope("zalo", "2") == Scope(None)
    assert admins.scope("console", "1") == Scope("binh-an")  # the terminal: the id's
    assert admins.commune_ids() == {"binh-an"}
    assert "telegram:1@binh-an" in admins.labels()
    assert Scope("binh-an").covers("binh-an") and not Scope("binh-an").covers("dong-hoa")
    assert not Scope("binh-an").covers(None) and Scope().covers("dong-hoa")


async def test_an_unknown_commune_in_officer_ids_stops_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`telegram:1@no-such` is the officer's configuration mistake: start-up and check-catalogue
    stop with one line naming the entry and the province's commune ids."""
    from bot.cli import main
    from core.officers import AdminIdInvalid

    ids = "telegram:1@binh-an, telegram:2@no-such"
    settings = make_settings(tmp_path, province_file=EXAMPLE, OFFICER_IDS=ids)
    with pytest.raises(AdminIdInvalid) as stopped:
        async with running_services(settings):
            pytest.fail("started with an unknown commune")
    line = str(stopped.value)
    assert "«telegram:2@no-such»" in line and "«no-such»" in line and "\n" not in line
    assert "binh-an, dong-hoa, tan-phu" in line
    assert not (tmp_path / "data" / "motcua.sqlite3").exists()  # stopped before the database

    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MOTCUA_PROVINCE_FILE", str(EXAMPLE))
    monkeypatch.setenv("OFFICER_IDS", ids)
    import asyncio

    async def motcua(*argv: str) -> int:  # `main` runs its own event loop: in a thread
        return await asyncio.to_thread(main, list(argv))

    assert await motcua("check-catalogue") == 1
    assert capsys.readouterr().err.strip() == line
    assert await motcua("report", "--year", "2026") == 2  # any command starting the services
    assert capsys.readouterr().err.strip() == line
    monkeypatch.setenv("OFFICER_IDS", "telegram:1@binh-an, telegram:2")
    assert await motcua("check-catalogue") == 0


async def _status(services: Services, code: str) -> Status:
    dossier = await services.storage.dossiers.get_dossier(code_key(code))
    assert dossier is not None
    return dossier.status


@pytest.mark.parametrize(
    "command",
    ["/xinloi {code}", "/capnhat {code}", "/thuhoiqr {code}"],
)
async def test_another_communes_dossier_is_refused(services: Services, command: str) -> None:
    mine = officer(services, BINH_AN)
    await mine.say(command.format(code=THEIRS))
    mine.expect(REFUSED, "xã Bình An")
    mine.expect_not(THEIRS, "Nguyễn", "Đăng ký khai sinh")  # nothing of the dossier shown
    key = ConversationKey("test", BINH_AN, BINH_AN)
    state = await services.storage.conversations.load_state(key)
    assert state.name is None  # no step begun
    await mine.say(command.format(code=OURS))  # their own commune's: done as before
    mine.expect_not(REFUSED)
    province = officer(services, PROVINCE)
    await province.say(command.format(code=THEIRS))  # the province's officer: any commune
    province.expect_not(REFUSED)


async def test_apology_and_status_update_change_nothing_elsewhere(services: Services) -> None:
    theirs = officer(services, DONG_HOA)
    await theirs.say(f"/capnhat {THEIRS}")
    theirs.expect("Cập nhật")
    mine = officer(services, BINH_AN)
    # A button of the status step pressed by Bình An's officer (their state holds no code of
    # Đông Hòa: the step never began for them) — and /capnhat itself is refused.
    await mine.say(f"/capnhat {THEIRS}")
    mine.expect(REFUSED)
    await mine.say(f"/xinloi {THEIRS}")
    mine.expect(REFUSED)
    assert await services.storage.apologies.apologies_for(code_key(THEIRS)) == []
    assert await _status(services, THEIRS) is Status.PROCESSING


async def test_morning_list_and_issued_apologies_are_the_communes(services: Services) -> None:
    mine = officer(services, BINH_AN)
    await mine.say("/trehan")
    mine.expect(OURS)
    mine.expect_not(THEIRS)
    province = officer(services, PROVINCE)
    await province.say("/trehan")
    province.expect(OURS, THEIRS)


async def test_report_of_the_officers_commune(services: Services) -> None:
    mine = officer(services, BINH_AN)
    await mine.say("/baocao")
    mine.expect_not("Đông Hòa", "Tân Phú")  # one commune's figures, not the table of all
    await mine.say("/baocao dong-hoa")
    mine.expect(REFUSED)
    await mine.press_data(ShowReport("2026", "dong-hoa").data)
    mine.expect(REFUSED)
    province = officer(services, PROVINCE)
    await province.say("/baocao")
    province.expect("phường Đông Hòa", "xã Tân Phú")  # one line per commune
    await province.say("/baocao phường Đông Hòa năm nay")
    province.expect_not("xã Tân Phú")
    await province.say("/baocao dong-hoa")
    province.expect_not("xã Tân Phú")


async def _citizen_of(services: Services, user_id: str, commune: str) -> Transcript:
    citizen = Transcript(Dispatcher(services), user_id=user_id)
    await citizen.say("đổi xã")
    await citizen.say(commune)
    citizen.expect("Đã ghi nhận")
    return citizen


async def _notified(services: Services, kind: str) -> set[str]:
    due = await services.storage.outbox.claim_due(services.clock.now(), 100)
    return {item.message.chat_id for item in due if item.message.kind.value == kind}


async def test_feedback_of_another_commune(services: Services) -> None:
    citizen = await _citizen_of(services, "100", "Đông Hòa")
    await citizen.say("/phananh Đường vào trụ sở phường bị ngập, xin sửa giúp")
    citizen.expect("PA-1/2026")
    told = await _notified(services, "feedback-new")
    assert told == {PROVINCE, DONG_HOA}  # not Bình An's officer
    [item] = await services.storage.care.feedback_items(False, 10)
    assert item.commune_id == "dong-hoa"
    mine = officer(services, BINH_AN)
    await mine.say("/phananh_ds")
    mine.expect_not("PA-1/2026", "ngập")
    await mine.press_data(AnswerFeedback(item.id).data)
    mine.expect(REFUSED)
    mine.expect_not("ngập")
    assert (await services.storage.care.get_feedback(item.id)).answer is None  # type: ignore[union-attr]
    for user_id in (DONG_HOA, PROVINCE):
        allowed = officer(services, user_id)
        await allowed.say("/phananh_ds")
        allowed.expect("PA-1/2026")


async def test_question_for_an_officer_of_another_commune(services: Services) -> None:
    citizen = await _citizen_of(services, "100", "Đông Hòa")
    await citizen.say("/hoicanbo")
    await citizen.say("Tôi muốn hỏi về giấy tờ đất của gia đình")
    ticket = await services.storage.tickets.chat_ticket(ChatRef("test", "100"))
    assert ticket is not None and ticket.commune_id == "dong-hoa"
    assert await _notified(services, "ticket-new") == {PROVINCE, DONG_HOA}
    mine = officer(services, BINH_AN)
    await mine.say("/hotro")
    mine.expect_not(ticket.number)
    await mine.press_data(ClaimTicket(ticket.id).data)
    mine.expect(REFUSED)
    mine.expect_not("giấy tờ đất")
    claimed = await services.storage.tickets.get_ticket(ticket.id)
    assert claimed is not None and claimed.officer is None
    theirs = officer(services, DONG_HOA)
    await theirs.press_data(ClaimTicket(ticket.id).data)
    theirs.expect("giấy tờ đất")


async def test_volunteer_of_another_commune(services: Services) -> None:
    await _citizen_of(services, "300", "Đông Hòa")
    now = services.clock.now()
    volunteer = Volunteer(
        "test", "300", "300", "Lê Văn Tư", "Tổ 3", "Khu phố 2", VolunteerStatus.PENDING, now
    )
    await services.storage.care.request_volunteer(volunteer, now, [])
    mine = officer(services, BINH_AN)
    await mine.say("/tinhnguyenvien_ds")
    mine.expect_not("Lê Văn Tư")
    await mine.press_data(ApproveVolunteer("300").data)
    mine.expect(REFUSED)
    known = await services.storage.care.get_volunteer("test", "300")
    assert known is not None and known.status is VolunteerStatus.PENDING
    assert known.commune_id == "dong-hoa"
    province = officer(services, PROVINCE)
    await province.press_data(ApproveVolunteer("300").data)
    province.expect("Đã duyệt")


async def test_import_refuses_other_communes_rows(services: Services, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "xa.csv",
        [row(**{"Mã hồ sơ": "000.00.20.H47-261117-0009", "Ngày tiếp nhận": "17/11/2026 09:30"})],
    )
    mine = officer(services, BINH_AN)
    await mine.send_file("xa.csv", path.read_bytes())
    mine.expect("không phải của xã Bình An")
    assert (
        await services.storage.dossiers.get_dossier(code_key("000.00.20.H47-261117-0009")) is None
    )
    await mine.send_file("danh-muc.yaml", b"version: 1\n")
    mine.expect("chỉ cán bộ cấp tỉnh")


async def test_audit_log_records_the_commune(services: Services) -> None:
    theirs = officer(services, DONG_HOA)
    await theirs.say("/canbo them 55 Trần Thị Ba")
    theirs.expect("Đã thêm cán bộ")
    assert services.officer_scope("test", "55") == Scope("dong-hoa")
    await theirs.say("/canbo them 56@binh-an")
    theirs.expect(REFUSED)
    assert ("test", "56") not in services.roster
    [entry] = await services.storage.officers.audit_entries(10, 0, "dong-hoa")
    assert entry.action is AuditAction.OFFICER_ADDED and entry.commune_id == "dong-hoa"
    assert await services.storage.officers.audit_entries(10, 0, "binh-an") == []
    province = officer(services, PROVINCE)
    await province.say("/canbo them 57@binh-an")
    assert services.officer_scope("test", "57") == Scope("binh-an")
    mine = officer(services, BINH_AN)
    await mine.say("/canbo xoa 55")  # Đông Hòa's officer
    mine.expect(REFUSED)
    assert ("test", "55") in services.roster


# -- point 7: broadcasts to one commune, several, or the province ------------------------------


async def _subscribers(services: Services) -> None:
    for user_id, commune in (("100", "Đông Hòa"), ("200", "Bình An"), ("300", "Tân Phú")):
        await _citizen_of(services, user_id, commune)
        chat = ChatRef("test", user_id)
        await services.storage.broadcasts.subscribe(
            chat, ALL_TOPICS, "đồng ý", services.clock.now()
        )


def labels(transcript: Transcript) -> list[str]:
    return [b.label for b in transcript.buttons]


async def _recipients(services: Services, broadcast_id: int) -> set[str]:
    due = await services.storage.outbox.claim_due(services.clock.now(), 100)
    return {i.message.chat_id for i in due if i.message.payload.get("broadcast_id") == broadcast_id}


async def test_a_communes_officer_broadcasts_to_their_commune(services: Services) -> None:
    await _subscribers(services)
    mine = officer(services, BINH_AN)
    await mine.say("/thongbao Chiều thứ Sáu bộ phận một cửa nghỉ để tập huấn.")
    assert "Tất cả người đăng ký (1)" in labels(mine)
    assert not any("📍" in label for label in labels(mine))  # nothing to pick: their own
    await mine.press("Tất cả người đăng ký (1)")
    mine.expect("ở xã Bình An – 1 người")
    await mine.press("✅ Gửi cho 1 người")
    [(sent, _)] = await services.storage.broadcasts.recent_broadcasts(5)
    assert sent.communes == ("binh-an",)
    assert await _recipients(services, sent.id) == {"200"}
    await mine.press_data(BroadcastCommunes().data)
    mine.expect(REFUSED)
    [entry] = [
        e
        for e in await services.storage.officers.audit_entries(20)
        if e.action is AuditAction.BROADCAST_SENT
    ]
    assert entry.commune_id == "binh-an"


async def test_the_province_broadcasts_to_several_communes(services: Services) -> None:
    await _subscribers(services)
    province = officer(services, PROVINCE)
    await province.say("/thongbao Từ tuần sau nhận hồ sơ cả sáng thứ Bảy.")
    province.expect("Gửi đến: cả tỉnh Ví Dụ")
    assert "Tất cả người đăng ký (3)" in labels(province)
    await province.press("📍 Gửi đến: cả tỉnh Ví Dụ")
    await province.press("▫️ xã Bình An")
    await province.press("▫️ xã Tân Phú")
    province.expect("Đang chọn: xã Bình An, xã Tân Phú")
    await province.press("✔️ Xong")
    assert "Tất cả người đăng ký (2)" in labels(province)
    await province.press("Tất cả người đăng ký (2)")
    await province.press("✅ Gửi cho 2 người")
    [(sent, _)] = await services.storage.broadcasts.recent_broadcasts(5)
    assert sent.communes == ("binh-an", "tan-phu")
    assert await _recipients(services, sent.id) == {"200", "300"}
    # Bình An's officer neither lists nor follows nor cancels a notice of several communes.
    mine = officer(services, BINH_AN)
    await mine.say("/thongbao_ds")
    mine.expect_not(f"#{sent.id}")
    await mine.press_data(ShowProgress(sent.id).data)
    mine.expect(REFUSED)
    await mine.press_data(CancelBroadcast(sent.id).data)
    mine.expect(REFUSED)
    assert (await services.storage.broadcasts.get_broadcast(sent.id)).cancelled_at is None  # type: ignore[union-attr]
    # The whole province again: everyone.
    await province.say("/thongbao Cổng dịch vụ công bảo trì tối Chủ nhật.")
    await province.press("Tất cả người đăng ký (3)")
    await province.press("✅ Gửi cho 3 người")
    latest = (await services.storage.broadcasts.recent_broadcasts(1))[0][0]
    assert latest.communes == () and await _recipients(services, latest.id) == {"100", "200", "300"}


async def test_command_line_broadcast_to_some_communes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.cli import main
    from bot.settings import Settings

    data_dir = tmp_path / "data"
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MOTCUA_PROVINCE_FILE", str(EXAMPLE))
    settings = Settings(_env_file=None, data_dir=data_dir, province_file=EXAMPLE)  # type: ignore[call-arg]
    async with running_services(settings) as running:
        now = running.clock.now()
        for chat_id, commune in (("1", "binh-an"), ("2", "dong-hoa"), ("3", "tan-phu")):
            chat = ChatRef("telegram", chat_id)
            await running.storage.chats.touch_chat(chat.channel, chat.chat_id, now)
            await running.storage.chats.set_chat_commune(chat, commune)
            await running.storage.broadcasts.subscribe(chat, ALL_TOPICS, "ok", now)

    async def motcua(*argv: str) -> int:  # `main` runs its own event loop: in a thread
        return await asyncio.to_thread(main, list(argv))

    text = "Bộ phận Một cửa nghỉ làm việc chiều 24/11 để tập huấn."
    assert await motcua("broadcast", "--text", text, "--commune", "xyz", "--yes") == 2
    assert "Không có xã, phường «xyz»" in capsys.readouterr().err
    args = ("--commune", "tan-phu", "--commune", "binh-an", "--yes")
    assert await motcua("broadcast", "--text", text, *args) == 0
    out = capsys.readouterr().out
    assert "ở xã Bình An, xã Tân Phú – 2 người" in out
    async with running_services(settings) as running:
        sent = await running.storage.broadcasts.get_broadcast(1)
        assert sent is not None and sent.communes == ("binh-an", "tan-phu")


# -- the dossier's commune's office in what the person receives ---------------------------------


async def test_notices_and_the_call_button_name_the_dossiers_commune(services: Services) -> None:
    import datetime as dt

    from core.messages import TextFormat
    from handlers.apologies import apology_text

    dossier = await services.storage.dossiers.get_dossier(code_key(THEIRS))
    assert dossier is not None
    text = apology_text(
        services, TextFormat.PLAIN, dossier, "Cần xác minh", dt.date(2026, 11, 20),
        dt.date(2026, 11, 27), "1/VBXL",
    )  # fmt: skip
    assert "phường Đông Hòa" in text and "xã Bình An" not in text
    citizen = await _citizen_of(services, "100", "Bình An")
    await citizen.say(THEIRS)
    await citizen.say("5678")
    await citizen.press("📞 Gọi cho Bộ phận Một cửa")
    citizen.expect("0200 3 222 222")  # Đông Hòa's, though the chat chose Bình An
    await citizen.say("/lienhe")
    citizen.expect("0200 3 111 111")  # the chat's own commune again


async def test_a_communes_report_counts_its_own_feedback(services: Services) -> None:
    citizen = await _citizen_of(services, "100", "Đông Hòa")
    await citizen.say("/phananh Đường vào trụ sở phường bị ngập, xin sửa giúp")
    mine = officer(services, BINH_AN)
    await mine.say("/baocao")
    mine.expect("Phản ánh, kiến nghị qua bot: 0")
    theirs = officer(services, DONG_HOA)
    await theirs.say("/baocao")
    theirs.expect("Phản ánh, kiến nghị qua bot: 1")


async def test_the_province_report_gives_each_communes_ratings_and_feedback(
    services: Services,
) -> None:
    """Issue 19 point 6: each commune's line carries its satisfaction and feedback (text, CSV,
    XLSX, PDF); the total's are the province's, as before."""
    import csv
    import io

    from openpyxl import load_workbook

    from core.care import Rating
    from core.messages import TextFormat
    from core.report import Period
    from core.report_files import report_csv, report_xlsx
    from core.report_pdf import report_pdf
    from handlers.report import province_report, report_text

    now = services.clock.now()
    for chat, code, scores in (("1", OURS, (2, 2, 1)), ("2", THEIRS, (0, 1, 0))):
        await services.storage.care.save_rating(
            ChatRef("test", chat), Rating(code_key(code), scores, now)
        )
    citizen = await _citizen_of(services, "100", "Đông Hòa")
    await citizen.say("/phananh Đường vào trụ sở phường bị ngập, xin sửa giúp")
    stranger = Transcript(Dispatcher(services), user_id="101")  # no commune chosen
    await stranger.say("/phananh Bot trả lời chậm quá, xin xem lại giúp")

    report = await province_report(services, Period.quarter(2026, 4))
    assert report.care_of("xã Bình An").satisfaction is not None
    assert report.care_of("xã Bình An").feedback is not None
    assert report.care_of("xã Tân Phú").satisfaction is None
    text = report_text(services, TextFormat.PLAIN, report)
    assert "hài lòng 1 phiếu, điểm 1,67/2" in text and "hài lòng 1 phiếu, điểm 0,33/2" in text
    assert "phản ánh 1 (đã trả lời 0)" in text
    assert "Mức độ hài lòng của người dân: 2 phiếu" in text  # the province's total, as before
    assert "Phản ánh, kiến nghị qua bot: 2" in text

    table = report_csv(report, "X").decode("utf-8-sig")
    rows = {r[1]: r for r in csv.reader(io.StringIO(table)) if len(r) > 1}
    header = rows["Xã, phường"]
    assert header[-4:] == [
        "Mức độ hài lòng – Số phiếu đánh giá", "Mức độ hài lòng – Điểm trung bình (0–2)",
        "Phản ánh, kiến nghị – Tiếp nhận", "Phản ánh, kiến nghị – Đã trả lời",
    ]  # fmt: skip
    assert rows["xã Bình An"][-4:] == ["1", "1,67", "0", "0"]
    assert rows["phường Đông Hòa"][-4:] == ["1", "0,33", "1", "0"]
    assert rows["xã Tân Phú"][-4:] == ["0", "", "0", "0"]
    assert rows["Tổng cộng"][-4:] == ["2", "1,00", "2", "0"]  # unassigned feedback: total only

    sheet = load_workbook(io.BytesIO(report_xlsx(report, "X"))).active
    assert sheet is not None
    found = {row[1]: row for row in sheet.iter_rows(values_only=True) if row and row[1]}
    assert found["xã Bình An"][-4:] == (1, pytest.approx(5 / 3), 0, 0)
    assert found["Tổng cộng"][-4:] == (2, pytest.approx(1.0), 2, 0)
    assert report_pdf(report, "X").startswith(b"%PDF")


# -- `motcua apologies` and `motcua slips` for one commune --------------------------------------


async def test_command_line_apologies_and_slips_of_a_commune(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import datetime as dt

    from bot.cli import build_parser
    from core.catalogue.models import LawVersion
    from storage.base import ApologyDraft

    for code, reason in ((OURS, "Cần xác minh Bình An"), (THEIRS, "Cần xác minh Đông Hòa")):
        draft = ApologyDraft(
            code_key(code), reason, dt.date(2026, 12, 1), PROVINCE, None,
            LawVersion.TT_03_2025, "VBXL",
        )  # fmt: skip
        await services.storage.apologies.issue_apology(draft, services.clock.now(), 1)
    settings = make_settings(tmp_path, province_file=EXAMPLE, public_url="https://hs.example")

    async def motcua(*argv: str) -> int:  # its own event loop, on the same database file
        args = build_parser().parse_args(list(argv))
        return int(await asyncio.to_thread(args.run, args, settings))

    async def apologies(*argv: str) -> str:
        assert await motcua("apologies", "--from", "01/11/2026", "--to", "31/12/2026", *argv) == 0
        return capsys.readouterr().out

    both = await apologies()
    assert "Bình An" in both and "Đông Hòa" in both
    ours = await apologies("--commune", "binh-an")
    assert "ở xã Bình An" in ours and OURS in ours and THEIRS not in ours
    two = await apologies("--commune", "dong-hoa", "--commune", "binh-an")
    assert OURS in two and THEIRS in two
    assert await motcua("apologies", "--commune", "no-such") == 64
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "«no-such»" in err and "binh-an, dong-hoa, tan-phu" in err

    sheet = tmp_path / "ngay.pdf"
    day = ("--date", "16/11/2026", "--out", str(sheet))
    assert await motcua("slips", *day, "--commune", "dong-hoa") == 0
    assert "(1 phiếu)" in capsys.readouterr().out
    assert await motcua("slips", *day) == 0
    assert "(2 phiếu)" in capsys.readouterr().out
    assert await motcua("slips", OURS, "--out", str(sheet), "--commune", "dong-hoa") == 2
    assert "ở phường Đông Hòa: không in phiếu nào" in capsys.readouterr().err
    assert await motcua("slips", "--revoke", THEIRS, "--commune", "binh-an") == 2
    assert await motcua("slips", "--revoke", THEIRS, "--commune", "dong-hoa") == 0
    assert await motcua("slips", "--poster", "--commune", "no-such") == 64
    assert "«no-such»" in capsys.readouterr().err
    two_posters = ("slips", "--poster", "--commune", "binh-an", "--commune", "dong-hoa")
    assert await motcua(*two_posters) == 64


def test_a_wrong_setting_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed OFFICER_IDS entry (or any setting) stops the command with its name and what
    is wrong, not a traceback."""
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no .env of the machine
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OFFICER_IDS", "telegram:12 34")
    assert main(["check-catalogue"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "OFFICER_IDS: «telegram:12 34» không hợp lệ" in err
    assert "Traceback" not in err and "pydantic" not in err
    monkeypatch.setenv("OFFICER_IDS", "telegram:1")
    monkeypatch.setenv("MOTCUA_LOOKUP_MAX_FAILURES", "abc")
    assert main(["check-catalogue"]) == 2
    assert "Cấu hình sai – MOTCUA_LOOKUP_MAX_FAILURES:" in capsys.readouterr().err
