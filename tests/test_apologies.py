"""The apology the law requires for late dossiers (NĐ 61/2018/NĐ-CP Điều 19 khoản 9).

Each rule has a test whose docstring cites it; deadlines cross a weekend and Tết.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from bot.app import Dispatcher
from bot.delivery import OutboxWorker
from bot.jobs import ApologyWatch
from core.apologies import ApologyRefused, ApologyRules, DueKind, check_new_date, classify
from core.apology_pdf import MAX_REASON, Letter, apology_pdf, mask_phone, place_of
from core.catalogue import Catalogue
from core.catalogue.models import LawVersion
from core.clock import FixedClock
from core.dossiers import Status
from core.law import law_of
from core.messages import TextFormat
from core.workdays import WorkingCalendar, load_calendar_overrides
from handlers.context import Knowledge, Services
from handlers.notices import render_outbox
from storage.base import ApologyDraft, ChatRef, OutboxStatus
from tests.dossier_fixtures import CODE, dossier, with_hash
from tests.pdf_reading import A5_POINTS, read_pdf
from tests.test_outbox_delivery import RecordingSender
from tests.transcript import Transcript

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
NOW = dt.datetime(2026, 11, 23, 9, 0)  # Monday
CALENDAR = WorkingCalendar(load_calendar_overrides(KNOWLEDGE / "calendar_overrides.yaml"))
RULES = ApologyRules()
NĐ61 = law_of(LawVersion.TT_01_2018).apology_rule


# -- detection ---------------------------------------------------------------------------------


def test_due_on_the_next_working_day_needs_an_apology_now() -> None:
    """NĐ 61/2018 Điều 19 k.9: the apology is sent at the latest one working day before the due
    date — so a dossier due on the next working day must get it today."""
    today = dt.date(2026, 11, 23)  # Monday
    # 24/11/2026 is Ngày Văn hóa Việt Nam, a day off: the next working day is Wednesday 25/11.
    assert CALENDAR.next_working_day(today) == dt.date(2026, 11, 25)
    assert classify(dossier(due=dt.date(2026, 11, 25)), today, CALENDAR, RULES) is DueKind.DUE_SOON
    assert classify(dossier(due=dt.date(2026, 11, 26)), today, CALENDAR, RULES) is None
    friday = dt.date(2026, 11, 27)
    monday = dt.date(2026, 11, 30)
    assert classify(dossier(due=monday), friday, CALENDAR, RULES) is DueKind.DUE_SOON
    assert classify(dossier(due=dt.date(2026, 12, 1)), friday, CALENDAR, RULES) is None


def test_the_notice_period_crosses_tet() -> None:
    """NĐ 61/2018 Điều 19 k.9 counts working days: on Wednesday 3/2/2027, before the Tết holiday
    (4–10/2), a dossier due on Thursday 11/2 is due on the next working day."""
    today = dt.date(2027, 2, 3)
    assert CALENDAR.next_working_day(today) == dt.date(2027, 2, 11)
    assert classify(dossier(due=dt.date(2027, 2, 11)), today, CALENDAR, RULES) is DueKind.DUE_SOON
    assert classify(dossier(due=dt.date(2027, 2, 12)), today, CALENDAR, RULES) is None


def test_notice_period_is_a_setting() -> None:
    """The decree's details are unconfirmed under NĐ 118/2025 (DOMAIN.md): the notice period is
    configuration, one working day by default."""
    two_days = ApologyRules(notice_working_days=2)
    friday = dt.date(2026, 11, 27)
    due = dt.date(2026, 12, 1)  # Tuesday, two working days after Friday
    assert classify(dossier(due=due), friday, CALENDAR, two_days) is DueKind.DUE_SOON


def test_overdue_and_what_does_not_count() -> None:
    """Late is late (Điều 19 k.9); but the office's clock is stopped while the person must
    supplement the dossier (Điều 15 k.3, Điều 19 k.4: time restarts when it is complete) or
    processing is suspended, and finished dossiers cannot be late."""
    today = dt.date(2026, 11, 23)
    past = dt.date(2026, 11, 19)
    assert classify(dossier(due=past), today, CALENDAR, RULES) is DueKind.OVERDUE
    for status in (Status.SUPPLEMENT, Status.SUSPENDED, Status.READY, Status.RETURNED):
        assert classify(dossier(due=past, status=status), today, CALENDAR, RULES) is None


# -- the new date ------------------------------------------------------------------------------


def test_new_date_must_be_a_working_day_after_the_current_one() -> None:
    """Điều 19 k.9: the apology gives a new return date; it must be later than the current one
    and a working day (a Sunday or a Tết day is refused, with the next working day suggested)."""
    item = dossier(due=dt.date(2027, 2, 3))
    with pytest.raises(ApologyRefused, match="sau ngày hẹn hiện tại"):
        check_new_date(item, dt.date(2027, 2, 2), CALENDAR, 0, RULES)
    with pytest.raises(ApologyRefused, match=r"không phải ngày làm việc.*11/02/2027"):
        check_new_date(item, dt.date(2027, 2, 8), CALENDAR, 0, RULES)
    check_new_date(item, dt.date(2027, 2, 11), CALENDAR, 0, RULES)


def test_only_one_new_date_unless_the_setting_allows_more() -> None:
    """Điều 19 k.9: "Việc hẹn lại ngày trả kết quả được thực hiện không quá một lần"."""
    item = dossier(due=dt.date(2026, 11, 19))
    with pytest.raises(ApologyRefused, match="Theo Nghị định 61/2018/NĐ-CP Điều 19 khoản 9"):
        check_new_date(item, dt.date(2026, 12, 1), CALENDAR, 1, RULES, NĐ61)
    check_new_date(item, dt.date(2026, 12, 1), CALENDAR, 1, ApologyRules(max_extensions=2))


# -- the conversation --------------------------------------------------------------------------


@pytest.fixture
async def late(services: Services) -> Services:
    """A dossier due last Thursday, followed by two chats."""
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    for chat in (ChatRef("telegram", "301"), ChatRef("telegram", "302")):
        await services.storage.follows.follow(chat, dossier().code_key, None, "đồng ý", NOW)
    return services


async def issue(officer_chat: Transcript, new_date: str = "30/11/2026") -> None:
    await officer_chat.say(f"/xinloi {CODE}")
    await officer_chat.press("Cần xác minh thêm thông tin")
    await officer_chat.say(new_date)
    await officer_chat.press("Ban hành và gửi")


async def test_citizens_cannot_issue_apologies(late: Services, chat: Transcript) -> None:
    for command in (f"/xinloi {CODE}", "/trehan", "/xinloi_ds"):
        await chat.say(command)
        chat.expect("dành cho cán bộ")
    await chat.press_data(f"x:s:{dossier().code_key}")
    chat.expect("dành cho cán bộ")


async def test_reason_and_new_date_are_required_then_the_text_is_shown(
    late: Services, officer_chat: Transcript
) -> None:
    """Điều 19 k.9: the apology states the reason for the delay and the new return date."""
    await officer_chat.say(f"/xinloi {CODE}")
    officer_chat.expect("Lý do chậm trễ", "Thứ Năm, 19/11/2026")
    await officer_chat.say("ừ")
    officer_chat.expect("Lý do cần ghi rõ hơn")
    await officer_chat.say("Chờ Công an xã xác minh nơi cư trú")
    officer_chat.expect("Ngày hẹn trả mới?", "Đề xuất")
    await officer_chat.say("29/11/2026")  # a Sunday
    officer_chat.expect("không phải ngày làm việc", "30/11/2026")
    await officer_chat.say("30/11")
    officer_chat.expect(
        "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
        "Lý do: Chờ Công an xã xác minh nơi cư trú",
        "Ngày hẹn trả kết quả mới: Thứ Hai, 30/11/2026",
        "xin lỗi",
    )
    assert (
        await late.storage.apologies.apologies_for(dossier().code_key) == []
    )  # nothing before confirming


async def test_issuing_moves_the_date_records_history_and_tells_followers(
    late: Services, officer_chat: Transcript
) -> None:
    """Điều 19 k.9: the desk updates the return date and notifies the person by message."""
    await issue(officer_chat)
    officer_chat.expect("Đã ban hành văn bản xin lỗi số 01/VBXL", "2 người theo dõi")
    [apology] = await late.storage.apologies.apologies_for(dossier().code_key)
    assert (apology.old_due, apology.new_due) == (dt.date(2026, 11, 19), dt.date(2026, 11, 30))
    assert apology.issued_by == "900" and apology.reason == "Cần xác minh thêm thông tin"
    stored = await late.storage.dossiers.get_dossier(dossier().code_key)
    assert stored is not None and stored.due_date == dt.date(2026, 11, 30)
    [event, *_] = await late.storage.dossiers.dossier_events(dossier().code_key)
    assert event.new_due == dt.date(2026, 11, 30) and event.source == "xin-loi:01/VBXL"

    sender = RecordingSender()
    worker = OutboxWorker(late, {"telegram": sender})
    await worker.deliver_due()
    assert sorted(chat for chat, _ in sender.sent) == ["301", "302"]
    text = sender.sent[0][1].text
    assert "Văn bản xin lỗi số 01/VBXL" in text and "30/11/2026" in text
    assert "Cần xác minh thêm thông tin" in text
    # Never sent twice: a restart finds nothing to resend.
    await OutboxWorker(late, {"telegram": sender}).recover()
    assert await worker.deliver_due() == 0 and len(sender.sent) == 2


async def test_the_letter_is_one_a5_pdf_page_with_every_element_of_mau_04(
    late: Services, officer_chat: Transcript
) -> None:
    """Mẫu 04 (TT 03/2025 Phụ lục I; DOMAIN.md): number and date, "Kính gửi" the applicant with
    address and (masked) phone, receipt date and code, procedure, original date, reason, the
    apology, the new date, the office and the signer — on one A5 page, place name as written."""
    await issue(officer_chat)
    page = next(r.file for r in officer_chat.last if r.file)
    assert page.mime_type == "application/pdf" and page.name.endswith(".pdf")
    pages, sizes, text = read_pdf(page.content)
    assert pages == 1 and sizes[0] == pytest.approx(A5_POINTS, abs=0.5)
    for expected in (
        "ỦY BAN NHÂN DÂN XÃ BÌNH AN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 01/VBXL",
        "Bình An, ngày 23 tháng 11 năm 2026",
        "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
        "Kính gửi: Ông/bà Nguyễn Văn An",
        "Điện thoại: 09** *** 678",
        "Ngày 16/11/2026",
        CODE,
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        "19/11/2026",
        "Lý do: Cần xác minh thêm thông tin.",
        "thành thật xin lỗi",
        "30/11/2026",
        "KT. CHỦ TỊCH",
        "Mẫu số 04, Phụ lục I Thông tư 03/2025/TT-VPCP",
        "Nghị định 118/2025/NĐ-CP",
    ):
        assert expected in text, expected
    assert "0912" not in text and "345" not in text  # the phone is masked
    assert "61/2018" not in text  # one law: the one in force


async def test_title_follows_the_configured_forms_circular(
    late: Services, officer_chat: Transcript
) -> None:
    """Under TT 01/2018/TT-VPCP the form is "Phiếu xin lỗi và hẹn lại ngày trả kết quả", and the
    citation is NĐ 61/2018 Điều 19 khoản 9."""
    old = late.knowledge.catalogue
    commune = old.commune.model_copy(update={"law_version": LawVersion.TT_01_2018})
    catalogue = Catalogue(list(old), commune, old.referrals)
    late.knowledge = Knowledge(catalogue, late.knowledge.search)  # this test's services only
    await issue(officer_chat)
    _, _, text = read_pdf(next(r.file for r in officer_chat.last if r.file).content)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "Nghị định 61/2018/NĐ-CP Điều 19 khoản 9" in text and "118/2025" not in text


def test_every_procedure_fits_one_a5_page_with_the_longest_reason(knowledge: Knowledge) -> None:
    """The letter fits ONE A5 page for every procedure in the catalogue, with the longest reason
    /xinloi keeps, a long name, a long address and a long office name."""
    reason = (
        "Chờ cơ quan liên thông trả kết quả xác minh nơi cư trú trước đây của người yêu "
        "cầu tại tỉnh khác; "
    ) * 6
    reason = reason[:MAX_REASON]
    for procedure in knowledge.catalogue:
        letter = Letter(
            authority="ỦY BAN NHÂN DÂN XÃ PHƯỚC VĨNH AN HUYỆN CŨ CỦ CHI THÀNH PHỐ",
            office="Trung tâm Phục vụ hành chính công xã Phước Vĩnh An",
            number="123/VBXL",
            place="Phước Vĩnh An",
            issued=dt.date(2026, 11, 23),
            title=law_of(LawVersion.TT_03_2025).form_title,
            applicant="Tôn Nữ Thị Hoàng Quỳnh Phương Nguyễn",
            address="Số 1234, tổ dân phố 15, thôn Phước Hưng Đông, xã Phước Vĩnh An, TP. HCM",
            phone="09** *** 678",
            received=dt.date(2026, 11, 16),
            code="000.00.19.H47-261116-0007",
            procedure=procedure.name,
            old_due=dt.date(2026, 11, 19),
            reason=reason,
            new_due=dt.date(2026, 11, 30),
            signer_title="KT. CHỦ TỊCH / PHÓ CHỦ TỊCH",
            signer_name="Nguyễn Văn Bình",
            basis=law_of(LawVersion.TT_03_2025).form_basis,
            rule="Nghị định 118/2025/NĐ-CP Điều 99 khoản 9",
        )
        pages, _, text = read_pdf(apology_pdf(letter))
        assert pages == 1, procedure.id
        assert "Nguyễn Văn Bình" in text and reason[-30:].strip() in text, procedure.id


def test_place_and_phone() -> None:
    assert place_of("xã Bình An") == "Bình An" and place_of("Phường Hà Đông") == "Hà Đông"
    assert place_of("thị trấn Nam Sách") == "Nam Sách" and place_of("Bình An") == "Bình An"
    assert mask_phone("0912 345 678") == "09** *** 678" and mask_phone(None) is None


async def test_a_second_extension_is_refused_citing_the_rule(
    late: Services, officer_chat: Transcript
) -> None:
    """Điều 19 k.9: the return date is set again at most once."""
    await issue(officer_chat)
    await officer_chat.say(f"/xinloi {CODE}")
    officer_chat.expect("Theo Nghị định 118/2025/NĐ-CP, việc", "không quá một lần")
    draft = ApologyDraft(
        dossier().code_key, "lý do khác", dt.date(2026, 12, 7), "900", None,
        LawVersion.TT_03_2025, "VBXL",
    )  # fmt: skip
    with pytest.raises(ApologyRefused):  # the database refuses too: two officers at once
        await late.storage.apologies.issue_apology(draft, NOW, max_extensions=1)


async def test_without_followers_the_officer_is_told_to_print(
    services: Services, officer_chat: Transcript
) -> None:
    """Điều 19 k.9: the person must be told; if nobody follows the dossier in the bot, the
    officer gets the printable page to send."""
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a.csv")
    await issue(officer_chat)
    officer_chat.expect("Chưa ai theo dõi hồ sơ này qua bot", "in văn bản")
    assert any(r.file for r in officer_chat.last)


async def test_the_status_card_shows_the_apology(
    late: Services, officer_chat: Transcript, chat: Transcript
) -> None:
    await issue(officer_chat)
    await chat.say(CODE)
    await chat.say("5678")
    chat.expect("Văn bản xin lỗi số 01/VBXL", "Cần xác minh thêm thông tin", "30/11/2026")
    chat.expect_not("phải gửi văn bản xin lỗi")


async def test_issued_apologies_are_listed_with_a_csv(
    late: Services, officer_chat: Transcript
) -> None:
    """For the quarterly report line "việc xin lỗi tổ chức, cá nhân khi để xảy ra trễ hạn"."""
    await issue(officer_chat)
    await officer_chat.say("/xinloi_ds 01/10/2026 31/12/2026")
    officer_chat.expect("Tổng cộng: 1 văn bản", "Số 01/VBXL", "19/11/2026 → Thứ Hai, 30/11/2026")
    file = next(r.file for r in officer_chat.last if r.file)
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Số văn bản", "Ngày ban hành", "Mã hồ sơ"]
    assert rows[1][0] == "01/VBXL" and rows[1][2] == CODE and rows[1][6] == "30/11/2026"
    await officer_chat.say("/xinloi_ds 01/01/2026 31/01/2026")
    officer_chat.expect("Không có văn bản xin lỗi nào")


# -- the morning watch -------------------------------------------------------------------------


async def test_the_morning_list_reaches_officers_once_per_working_day(
    late: Services, clock: FixedClock, officer_chat: Transcript
) -> None:
    """Detection of Điều 19 k.9 cases every working day at the set time, kept across restarts."""
    officers = [ChatRef("telegram", "900")]
    watch = ApologyWatch(late, officers, dt.time(7, 30))
    clock.set(dt.datetime(2026, 11, 23, 7, 0))
    assert not await watch.run_if_due()  # too early
    clock.set(dt.datetime(2026, 11, 23, 7, 31))
    assert await watch.run_if_due()
    assert not await ApologyWatch(late, officers, dt.time(7, 30)).run_if_due()  # restarted
    sender = RecordingSender()
    await OutboxWorker(late, {"telegram": sender}).deliver_due()
    [(chat_id, reply)] = sender.sent
    assert chat_id == "900" and CODE in reply.text and "QUÁ HẠN" in reply.text
    assert reply.all_buttons[0].data == f"x:s:{dossier().code_key}"
    # Pressing it starts the apology.
    await officer_chat.press_data(reply.all_buttons[0].data)
    officer_chat.expect("Lý do chậm trễ")
    # Not on a day off (24/11/2026 is Ngày Văn hóa Việt Nam).
    clock.set(dt.datetime(2026, 11, 24, 8, 0))
    assert not await watch.run_if_due()


async def test_nothing_due_sends_nothing(services: Services, clock: FixedClock) -> None:
    watch = ApologyWatch(services, [ChatRef("telegram", "900")], dt.time(7, 30))
    clock.set(dt.datetime(2026, 11, 23, 8, 0))
    assert await watch.run_if_due()
    assert (await services.storage.outbox.outbox_counts())[OutboxStatus.PENDING] == 0


async def test_on_demand_list(late: Services, officer_chat: Transcript) -> None:
    await officer_chat.say("/trehan")
    officer_chat.expect(CODE, "QUÁ HẠN", "Theo Nghị định 118/2025/NĐ-CP, văn bản xin lỗi")


async def test_on_telegram_the_text_is_html_escaped_exactly_once(late: Services) -> None:
    """The apology's text is rendered once and embedded: tags stay tags, the reason stays text."""
    officer = Transcript(Dispatcher(late), user_id="900", text_format=TextFormat.HTML)
    await officer.say(f"/xinloi {CODE}")
    await officer.say("Chờ <Công an> & UBND xác minh")
    await officer.say("30/11/2026")
    officer.expect("<b>VĂN BẢN XIN LỖI", "Chờ &lt;Công an&gt; &amp; UBND xác minh")
    officer.expect_not("&lt;b&gt;", "&amp;lt;")
    await officer.press("Ban hành và gửi")
    [item] = await late.storage.outbox.claim_due(NOW + dt.timedelta(hours=1), 1)
    reply = await render_outbox(late, item, TextFormat.HTML)
    assert reply is not None and "<b>VĂN BẢN XIN LỖI" in reply.text
    assert "&lt;b&gt;" not in reply.text and "Chờ &lt;Công an&gt; &amp; UBND" in reply.text


def with_law(services: Services, **settings: object) -> None:
    """This test's services only: the commune's law setting changed."""
    old = services.knowledge.catalogue
    commune = old.commune.model_copy(update=settings)
    services.knowledge = Knowledge(
        Catalogue(list(old), commune, old.referrals), services.knowledge.search
    )


async def test_every_citation_follows_the_law_in_force(
    late: Services, officer_chat: Transcript
) -> None:
    """One setting: under NĐ 61/2018 + TT 01/2018 the morning list and the refusal cite Điều 19
    khoản 9; under NĐ 118/2025 the article is printed only once the commune has set it (its
    number is unconfirmed: core.law)."""
    with_law(late, law_version=LawVersion.TT_03_2025, apology_article="Điều 99 khoản 9")
    await officer_chat.say("/trehan")
    officer_chat.expect("Theo Nghị định 118/2025/NĐ-CP Điều 99 khoản 9")
    officer_chat.expect_not("61/2018")
    with_law(late, law_version=LawVersion.TT_01_2018)
    await officer_chat.say("/trehan")
    officer_chat.expect("Theo Nghị định 61/2018/NĐ-CP Điều 19 khoản 9")
    await issue(officer_chat)
    await officer_chat.say(f"/xinloi {CODE}")
    officer_chat.expect("Theo Nghị định 61/2018/NĐ-CP Điều 19 khoản 9, việc hẹn lại")
