"""Issue 7: ratings, feedback, reminders, volunteers, checklists, button-first use, personal data.

Each test reads as a chat; what the outbox would send is rendered by the real worker into a
recording sender on the transcript's channel ("test"), so a button in a notice can be pressed.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import Dispatcher, running_services
from bot.care_jobs import CareWatch
from bot.delivery import OutboxWorker
from bot.settings import Settings
from core.care import Rating, summarise_ratings
from core.checklist_pdf import MIN_SIZE, Checklist, ChecklistDocument, checklist_pdf
from core.clock import FixedClock
from core.dossiers import Status
from core.officers import AuditAction
from core.render import money
from handlers.checklists import checklist_of
from handlers.commands import CITIZEN_COMMANDS, OFFICER_COMMANDS
from handlers.context import Knowledge, Services
from handlers.procedure_view import DOCUMENT_KIND, time_text
from storage.base import ChatRef, OutboxStatus, Purpose, Storage
from tests.dossier_fixtures import CODE, OTHER_CODE, dossier, with_hash
from tests.pdf_reading import A5_POINTS, page_texts, read_pdf
from tests.test_outbox_delivery import RecordingSender
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)  # Monday
CITIZEN = ChatRef("test", "100")
KEY = dossier().code_key


async def deliver(services: Services) -> RecordingSender:
    sender = RecordingSender()
    await OutboxWorker(services, {"test": sender}).deliver_due()
    return sender


async def set_status(services: Services, status: Status, code: str = CODE, **kw: object) -> None:
    item = dossier(code, status=status, **kw)  # type: ignore[arg-type]
    await services.storage.dossiers.apply_dossiers([with_hash(item)], NOW, f"import:{status}")


@pytest.fixture
async def followed(services: Services) -> Services:
    await set_status(services, Status.PROCESSING)
    await services.storage.follows.follow(CITIZEN, KEY, None, "đồng ý", NOW)
    return services


# -- 5. satisfaction ratings ----------------------------------------------------------------------


async def rate(chat: Transcript, sent: RecordingSender, *labels: str) -> None:
    [(_, notice)] = [s for s in sent.sent if s[0] == chat.user_id]
    chat.last = [notice]
    for label in labels:
        await chat.press(label)


async def test_a_returned_dossier_asks_three_questions_once(
    followed: Services, chat: Transcript
) -> None:
    """NĐ 61/2018 Điều 27–32: the person rates return time, trips and attitude, 2/1/0 each."""
    await set_status(followed, Status.RETURNED)
    sent = await deliver(followed)
    notice = sent.sent[0][1]
    assert "Đã trả kết quả" in notice.text and "Câu 1/3" in notice.text
    await rate(chat, sent, "Sớm hoặc đúng hẹn")
    chat.expect("Câu 2/3")
    await chat.press("Thêm 1 lần")
    chat.expect("Câu 3/3", "Cán bộ tiếp ông/bà thế nào?")
    await chat.press("Lịch sự, tận tình")
    chat.expect("Cảm ơn ông/bà đã đánh giá")
    [rating] = await followed.storage.care.ratings_between(NOW.date(), NOW.date())
    assert rating.scores == (2, 1, 2) and rating.code_key == KEY
    # The same buttons again (an old message): no second rating.
    await chat.press_data(f"dg:{KEY}:210")
    chat.expect("đã đánh giá hồ sơ")
    assert len(await followed.storage.care.ratings_between(NOW.date(), NOW.date())) == 1


async def test_no_second_ask_when_the_dossier_is_returned_again(
    followed: Services, chat: Transcript
) -> None:
    await set_status(followed, Status.RETURNED)
    await deliver(followed)
    await set_status(followed, Status.READY)
    await set_status(followed, Status.RETURNED)
    sent = await deliver(followed)
    texts = [reply.text for _, reply in sent.sent]
    assert len(texts) == 2 and not any("Câu 1/3" in t for t in texts)


async def test_only_a_follower_can_rate(followed: Services, dispatcher: object) -> None:
    from bot.app import Dispatcher

    assert isinstance(dispatcher, Dispatcher)
    stranger = Transcript(dispatcher, user_id="555")
    await set_status(followed, Status.RETURNED)
    await stranger.press_data(f"dg:{KEY}:222")
    stranger.expect("Không ghi được đánh giá")
    await stranger.press_data(f"dg:{KEY}:9")  # forged scores
    stranger.expect("Không ghi được đánh giá")
    assert await followed.storage.care.ratings_between(NOW.date(), NOW.date()) == []


def test_scores_are_averaged_per_indicator_and_per_dossier() -> None:
    ratings = [Rating("a", (2, 2, 2), NOW), Rating("b", (0, 1, 2), NOW)]
    summary = summarise_ratings(ratings)
    assert summary is not None and summary.responses == 2
    assert [round(avg, 2) for _, avg in summary.by_indicator] == [1.0, 1.5, 2.0]
    assert summary.average == pytest.approx(1.5)
    assert summarise_ratings([]) is None


async def test_ratings_and_feedback_appear_in_the_report(
    followed: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    await set_status(followed, Status.RETURNED)
    sent = await deliver(followed)
    await rate(chat, sent, "Trễ, không được báo", "1 lần nộp", "Bình thường")
    await chat.say("/phananh Thủ tục chứng thực yêu cầu quá nhiều bản sao")
    await officer_chat.say("/baocao")
    officer_chat.expect(
        "Mức độ hài lòng của người dân: 1 phiếu, điểm trung bình 1,00/2",
        "Thời gian trả kết quả so với ngày hẹn: 0,00/2",
        "Số lần phải đi lại: 2,00/2",
        "Thái độ của cán bộ: 1,00/2",
        "Phản ánh, kiến nghị qua bot: 1 (đã trả lời 0, chưa trả lời 1)",
    )


# -- 6. feedback ----------------------------------------------------------------------------------


async def test_feedback_is_numbered_answered_and_the_answer_reaches_the_person(
    services: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    await chat.say("/phananh")
    chat.expect("Phản ánh, kiến nghị về thủ tục hành chính")
    await chat.say("dở")
    chat.expect("Nội dung quá ngắn")
    await chat.say("Giờ làm việc buổi chiều nên mở sớm hơn cho bà con đi làm đồng về")
    chat.expect("Số tiếp nhận: PA-1/2026")
    # The officers are told (admins' private chats on the same channel).
    sent = await deliver(services)
    [(to, notice)] = sent.sent
    assert to == "900" and "PA-1/2026" in notice.text and "đi làm đồng" in notice.text
    officer_chat.last = [notice]
    await officer_chat.press("Trả lời")
    officer_chat.expect("Cán bộ viết nội dung trả lời")
    await officer_chat.say("Từ tháng 12, Bộ phận Một cửa mở cửa chiều từ 13 giờ 30. Cảm ơn ông/bà.")
    officer_chat.expect("Đã gửi trả lời phản ánh PA-1/2026", "Không có phản ánh nào chưa trả lời")
    sent = await deliver(services)
    [(to, answer)] = sent.sent
    assert to == "100" and "Trả lời phản ánh số PA-1/2026" in answer.text
    assert "13 giờ 30" in answer.text
    [entry] = await services.storage.officers.audit_entries(5)
    assert entry.action is AuditAction.FEEDBACK_ANSWERED and entry.target == "PA-1/2026"
    # Answered once: the old button does not send a second answer.
    await officer_chat.press_data("pa:a:1")
    officer_chat.expect("đã được trả lời")
    await officer_chat.say("/phananh_ds")
    officer_chat.expect("Đã trả lời gần đây", "PA-1/2026")


async def test_citizens_cannot_answer_feedback(services: Services, chat: Transcript) -> None:
    await chat.say("/phananh Đề nghị niêm yết lệ phí rõ hơn ở bảng tin")
    await chat.press_data("pa:a:1")
    chat.expect("dành cho cán bộ")
    assert (await services.storage.care.get_feedback(1)).answer is None  # type: ignore[union-attr]


async def test_feedback_from_the_contact_card_by_tapping(chat: Transcript) -> None:
    await chat.say("/start")
    await chat.press("Gọi cho Bộ phận Một cửa")
    chat.expect("Điện thoại", "Giờ làm việc")
    await chat.press("Gửi phản ánh, kiến nghị")
    await chat.press("Hủy")
    chat.expect("Đã hủy")


# -- 4. reminders ---------------------------------------------------------------------------------


async def test_reminder_on_the_appointment_day_if_not_collected(
    services: Services, clock: FixedClock
) -> None:
    await set_status(services, Status.READY, due=NOW.date())
    await services.storage.follows.follow(CITIZEN, KEY, None, "đồng ý", NOW)
    await deliver(services)  # nothing queued yet by the follow itself
    watch = CareWatch(services)
    clock.set(dt.datetime(2026, 11, 23, 7, 0))
    assert await watch.run_if_due() == 0  # before the reminder time (08:00)
    clock.set(dt.datetime(2026, 11, 23, 8, 5))
    assert await watch.run_if_due() == 1
    sent = await deliver(services)
    [(to, reminder)] = sent.sent
    assert to == "100" and "hôm nay là ngày hẹn trả kết quả" in reminder.text
    assert await CareWatch(services).run_if_due() == 0  # restarted: not twice
    clock.set(dt.datetime(2026, 11, 25, 8, 5))  # 24/11 is a day off; nothing new
    await watch.run_if_due()
    assert not (await deliver(services)).sent


async def test_no_reminder_once_collected(services: Services, clock: FixedClock) -> None:
    await set_status(services, Status.READY, due=NOW.date())
    await services.storage.follows.follow(CITIZEN, KEY, None, "đồng ý", NOW)
    clock.set(dt.datetime(2026, 11, 23, 8, 5))
    await CareWatch(services).run_if_due()
    await set_status(services, Status.RETURNED, due=NOW.date())  # collected before the send
    sent = await deliver(services)
    assert all("Nhắc" not in reply.text for _, reply in sent.sent)
    counts = await services.storage.outbox.outbox_counts()
    assert counts[OutboxStatus.CANCELLED] == 1


async def test_reminders_can_be_turned_off(services: Services, clock: FixedClock) -> None:
    from dataclasses import replace

    services.care = replace(services.care, ready_reminder=False, unlink_returned_days=0)
    await set_status(services, Status.READY, due=NOW.date())
    await services.storage.follows.follow(CITIZEN, KEY, None, "đồng ý", NOW)
    assert await CareWatch(services).run_if_due() == 0


# -- 7. personal data -----------------------------------------------------------------------------


async def test_finished_dossiers_are_unlinked_after_the_set_time(
    services: Services, clock: FixedClock
) -> None:
    await set_status(services, Status.RETURNED)  # returned on 23/11
    await set_status(services, Status.PROCESSING, code=OTHER_CODE)
    for key in (KEY, dossier(OTHER_CODE).code_key):
        await services.storage.follows.follow(CITIZEN, key, None, "đồng ý", NOW)
    clock.set(NOW + dt.timedelta(days=29))
    assert await CareWatch(services).run_if_due() == 0
    clock.set(NOW + dt.timedelta(days=31))
    assert await CareWatch(services).run_if_due() == 1
    follows = await services.storage.follows.follows(CITIZEN)
    assert [f.dossier.code for f in follows] == [OTHER_CODE]


async def test_privacy_notice_on_first_contact_only(chat: Transcript) -> None:
    await chat.say("khai sinh")
    chat.expect("Về dữ liệu của ông/bà", "/xoadulieu", "30 ngày")
    await chat.say("khai tử")
    chat.expect_not("Về dữ liệu của ông/bà")


async def test_erasing_unlinks_ratings_and_feedback_and_ends_volunteering(
    followed: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    await set_status(followed, Status.RETURNED)
    sent = await deliver(followed)
    await rate(chat, sent, "Sớm hoặc đúng hẹn", "1 lần nộp", "Lịch sự")
    await chat.say("/phananh Đề nghị có thêm ghế chờ cho người cao tuổi")
    await become_volunteer(chat, officer_chat)
    await chat.say("/xoadulieu")
    await chat.press("Xóa dữ liệu của tôi")
    storage = followed.storage
    assert not await storage.care.has_rated(CITIZEN, KEY)
    assert len(await storage.care.ratings_between(NOW.date(), NOW.date())) == 1  # the figure stays
    item = await storage.care.get_feedback(1)
    assert item is not None and item.chat_id is None
    assert await storage.care.get_volunteer("test", "100") is None
    assert ("test", "100") not in followed.volunteers


# -- 1. volunteers --------------------------------------------------------------------------------


async def become_volunteer(chat: Transcript, officer_chat: Transcript) -> None:
    await chat.say("/tinhnguyenvien")
    chat.expect("Bot sẽ lưu: họ tên, tổ, thôn")
    await chat.press("Đồng ý, đăng ký")
    await chat.say("Nguyễn Thị Hoa")
    await chat.say("Tổ công nghệ số cộng đồng thôn Đồng")
    await chat.say("Thôn Đồng")
    chat.expect("Đã gửi đăng ký tình nguyện viên")
    await officer_chat.say("/tinhnguyenvien_ds")
    officer_chat.expect("Chờ duyệt", "Nguyễn Thị Hoa – Tổ công nghệ số cộng đồng thôn Đồng")
    await officer_chat.press("Duyệt 100")
    officer_chat.expect("Đã duyệt tình nguyện viên Nguyễn Thị Hoa")


async def test_a_volunteer_joins_follows_for_an_elder_and_forwards_a_message(
    services: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    await set_status(services, Status.READY)
    await chat.say("/tinhnguyenvien")
    await chat.press("Đồng ý, đăng ký")
    await chat.say("Nguyễn Thị Hoa")
    await chat.say("Tổ CNSCĐ thôn Đồng")
    await chat.say("Thôn Đồng")
    await chat.say("/tinhnguyenvien")
    chat.expect("đang chờ cán bộ duyệt")
    # The officers get the request with its two buttons.
    sent = await deliver(services)
    [(to, request)] = sent.sent
    assert to == "900" and "Nguyễn Thị Hoa" in request.text
    officer_chat.last = [request]
    await officer_chat.press("Duyệt")
    officer_chat.expect("Đã duyệt")
    sent = await deliver(services)
    assert any("đã được duyệt" in reply.text for to, reply in sent.sent if to == "100")
    # Following an elder's dossier: the elder gives the last 4 digits, the volunteer names it.
    await chat.say(CODE)
    await chat.say("5678")
    await chat.press("Theo dõi hồ sơ này")
    await chat.press("Đồng ý theo dõi")
    chat.expect("Hồ sơ này của ai?")
    await chat.say("Bà Lan – khai sinh cháu")
    chat.expect("Đã ghi: Bà Lan – khai sinh cháu")
    await chat.say("/hoso")
    chat.expect("Bà Lan – khai sinh cháu", "Đã có kết quả")
    chat.expect_not("Nguyễn Văn An")
    await chat.press("Tin nhắn: Bà Lan")
    chat.expect("Gửi Bà Lan – khai sinh cháu:", "Đã có kết quả", "giấy hẹn")
    actions = [e.action for e in await services.storage.officers.audit_entries(20)]
    assert AuditAction.VOLUNTEER_LOOKUP in actions and AuditAction.VOLUNTEER_DECIDED in actions
    # The volunteer receives the dossier's notices, named as they named it.
    await deliver(services)
    await set_status(services, Status.RETURNED)
    [(to, notice)] = (await deliver(services)).sent
    assert to == "100" and notice.text.startswith("👤 Bà Lan – khai sinh cháu\n")


async def test_a_volunteer_may_fail_more_lookups(
    services: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    await become_volunteer(chat, officer_chat)
    for n in range(6):  # more than the 5 anyone else gets (MOTCUA_LOOKUP_MAX_FAILURES)
        await chat.say(f"000.00.19.H47-261116-90{n:02d}")
        await chat.say("1234")
        chat.expect("chưa khớp")
    for n in range(6, 25):  # but limited too: 5 × 5 by default (MOTCUA_VOLUNTEER_LOOKUP_FACTOR)
        await chat.say(f"000.00.19.H47-261116-90{n:02d}")
        await chat.say("1234")
    chat.expect("tra cứu sai nhiều lần")


async def test_citizens_cannot_approve_volunteers(services: Services, chat: Transcript) -> None:
    await chat.press_data("tv:y:100")
    chat.expect("dành cho cán bộ")
    assert ("test", "100") not in services.volunteers


def test_new_commands_are_in_the_menus() -> None:
    citizen = {name for name, _ in CITIZEN_COMMANDS}
    officer = {name for name, _ in OFFICER_COMMANDS} - citizen
    assert {"phananh", "tinhnguyenvien"} <= citizen
    assert {"phananh_ds", "tinhnguyenvien_ds"} <= officer


# -- 3. checklists, 2. button-first ---------------------------------------------------------------


async def test_checklist_to_print_or_forward(chat: Transcript) -> None:
    await chat.say("/start")
    await chat.press("Xem thủ tục theo lĩnh vực")
    await chat.press("Hộ tịch")
    await chat.press("khai sinh")
    await chat.press("Danh sách giấy tờ để in")
    chat.expect("☐", "Lệ phí:", "Thời gian:", "Giờ làm việc:")
    page = next(reply.file for reply in chat.last if reply.file is not None)
    assert page.name == "giay-to-dang-ky-khai-sinh.pdf" and page.mime_type == "application/pdf"
    pages, sizes, text = read_pdf(page.content)
    assert pages == 1 and sizes[0] == pytest.approx(A5_POINTS, abs=0.5)
    assert "GIẤY TỜ CẦN CHUẨN BỊ Đăng ký khai sinh" in text and text.count("☐") == 4


async def test_followed_dossiers_are_one_tap_from_the_lookup_button(
    followed: Services, chat: Transcript
) -> None:
    await chat.say("/start")
    await chat.press("Tra cứu hồ sơ đã nộp")
    await chat.press("Hồ sơ đang theo dõi (1)")
    chat.expect("Hồ sơ ông/bà đang theo dõi", CODE)


# -- storage --------------------------------------------------------------------------------------


async def test_storage_numbers_feedback_per_year_and_decides_once(services: Services) -> None:
    storage, officers = services.storage, [ChatRef("test", "900")]
    first = await storage.care.create_feedback(CITIZEN, "Đề nghị A cho rõ ràng", NOW, officers)
    second = await storage.care.create_feedback(CITIZEN, "Đề nghị B cho rõ ràng", NOW, officers)
    next_year = await storage.care.create_feedback(
        CITIZEN, "Đề nghị C cho rõ ràng", dt.datetime(2027, 1, 4, 8, 0), officers
    )
    assert [first.number, second.number, next_year.number] == [
        "PA-1/2026",
        "PA-2/2026",
        "PA-1/2027",
    ]
    in_2026 = await storage.care.feedback_between(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [f.number for f in in_2026] == ["PA-1/2026", "PA-2/2026"]
    assert not await storage.follows.label_follow(CITIZEN, KEY, "Bà Lan")  # not followed
    from core.care import Volunteer, VolunteerStatus
    from core.officers import AuditEntry

    volunteer = Volunteer("test", "100", "100", "Hoa", "Tổ 1", "Thôn Đồng",
                          VolunteerStatus.PENDING, NOW)  # fmt: skip
    await storage.care.request_volunteer(volunteer, NOW, officers)
    entry = AuditEntry(NOW, "test", "900", None, AuditAction.VOLUNTEER_DECIDED, "100")
    decided = await storage.care.decide_volunteer("test", "100", True, entry, NOW)
    assert decided is not None and decided.status is VolunteerStatus.APPROVED
    assert await storage.care.decide_volunteer("test", "100", False, entry, NOW) is None


async def test_storage_contract_for_ratings_reminders_unlinking(storage: Storage) -> None:
    """The same contract as tests/test_storage_contract.py, for issue 7's methods."""
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY, due=NOW.date()))], NOW, "a"
    )
    await storage.follows.follow(CITIZEN, KEY, None, "đồng ý", NOW)
    assert await storage.follows.label_follow(CITIZEN, KEY, "Bà Lan")
    assert await storage.follows.follow_label(CITIZEN, KEY) == "Bà Lan"
    # Reminders: once ever per dossier and chat, only for appointment days in the range.
    assert await storage.care.queue_ready_reminders(NOW.date(), NOW.date(), NOW) == 1
    assert await storage.care.queue_ready_reminders(NOW.date(), NOW.date(), NOW) == 0
    tomorrow = NOW.date() + dt.timedelta(days=1)
    assert await storage.care.queue_ready_reminders(tomorrow, tomorrow, NOW) == 0
    # Ratings: one per chat and dossier; erasing the chat keeps the figure, not the link.
    rating = Rating(KEY, (2, 1, 0), NOW)
    assert await storage.care.save_rating(CITIZEN, rating)
    assert not await storage.care.save_rating(CITIZEN, rating)
    await storage.chats.forget_chat(CITIZEN)
    assert not await storage.care.has_rated(CITIZEN, KEY)
    assert [r.scores for r in await storage.care.ratings_between(NOW.date(), NOW.date())] == [
        (2, 1, 0)
    ]
    # Unlinking: a follow of a finished dossier goes once the moment is after its last change.
    await storage.follows.follow(CITIZEN, KEY, None, "đồng ý", NOW)
    await storage.follows.record_consent(CITIZEN, Purpose.VOLUNTEER, f"{KEY}: xem tên", NOW)
    assert await storage.follows.has_dossier_consent(CITIZEN, Purpose.VOLUNTEER, KEY)
    assert not await storage.follows.has_dossier_consent(CITIZEN, Purpose.NOTICES, KEY)
    assert await storage.care.unlink_finished_before(NOW + dt.timedelta(days=1), NOW) == 0  # READY
    returned = dossier(status=Status.RETURNED, due=NOW.date())
    await storage.dossiers.apply_dossiers([with_hash(returned)], NOW, "b")
    assert await storage.care.unlink_finished_before(NOW - dt.timedelta(days=1), NOW) == 0
    assert await storage.care.unlink_finished_before(NOW + dt.timedelta(days=1), NOW) == 1
    assert await storage.follows.follows(CITIZEN) == []
    assert not await storage.follows.has_dossier_consent(CITIZEN, Purpose.VOLUNTEER, KEY)
    assert not await storage.follows.has_dossier_consent(CITIZEN, Purpose.FOLLOW_DOSSIER, KEY)


# -- audit of issue 7 (acceptance) ----------------------------------------------------------------


async def test_a_volunteer_sees_the_name_only_with_the_persons_recorded_consent(
    services: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    await set_status(services, Status.PROCESSING)
    await become_volunteer(chat, officer_chat)
    await chat.say(CODE)
    await chat.say("5678")  # the elder gives the last 4 digits
    chat.expect("Nguyễn V*** A*")
    chat.expect_not("Nguyễn Văn An")
    await chat.press("Theo dõi hồ sơ này")
    await chat.press("Đồng ý theo dõi")
    await chat.press("Bỏ qua")  # no label: the follow stays, nothing is "cancelled"
    chat.expect("Khi hồ sơ thay đổi, bot sẽ nhắn ông/bà")
    chat.expect_not("Đã hủy")
    await chat.press("Người dân đồng ý cho xem tên")
    chat.expect("Chỉ bấm khi chính người đó đã đồng ý")
    await chat.press("Người dân đã đồng ý")
    chat.expect("đồng ý cho ông/bà xem họ tên đầy đủ")
    await chat.press("Xem hồ sơ")
    chat.expect("Người nộp: Nguyễn Văn An")
    storage = services.storage
    assert await storage.follows.has_dossier_consent(CITIZEN, Purpose.VOLUNTEER, KEY)
    entries = await storage.officers.audit_entries(20)
    assert any(
        e.action is AuditAction.VOLUNTEER_NAME_CONSENT and e.actor == "100" and e.target == CODE
        for e in entries
    )
    # The consent ends with the follow: looked up again, the name is masked.
    await chat.say(f"/huytheodoi {CODE}")
    assert not await storage.follows.has_dossier_consent(CITIZEN, Purpose.VOLUNTEER, KEY)
    await chat.say(CODE)
    await chat.say("5678")
    chat.expect("Nguyễn V*** A*")
    chat.expect_not("Nguyễn Văn An")


async def test_a_citizen_cannot_record_a_name_consent(followed: Services, chat: Transcript) -> None:
    await chat.press_data(f"tv:ky:{KEY}")
    chat.expect("không còn theo dõi")
    assert not await followed.storage.follows.has_dossier_consent(CITIZEN, Purpose.VOLUNTEER, KEY)
    await chat.say("/hoso")
    await chat.press(f"Xem {CODE}")
    chat.expect("Nguyễn V*** A*")
    assert not any("xem tên" in b.label for b in chat.buttons)


def _short(chat: Transcript) -> None:
    """Elders read on small phones: every reply of the main paths stays short."""
    for reply in chat.last:
        lines = reply.text.splitlines()
        assert len(reply.text) <= 1200 and len(lines) <= 30, reply.text
        # Procedure names come from the catalogue as they are (the longest: 77 characters).
        assert all(len(b.label) <= 80 for b in reply.all_buttons), reply.all_buttons


async def test_every_main_path_works_by_tapping_alone(followed: Services, chat: Transcript) -> None:
    """Issue 7 §2: start → field → procedure → sections → checklist; lookup → followed
    dossiers → the card; the office's phone and hours; every end leaves a way on."""
    await chat.say("/start")  # Telegram's "Start" button, Zalo's first tap
    for label in ("Xem thủ tục theo lĩnh vực", "Hộ tịch", "Đăng ký khai sinh"):
        await chat.press(label)
        _short(chat)
    for section, heading in (
        ("Giấy tờ cần chuẩn bị", "Giấy tờ"),
        ("Lệ phí", "Lệ phí"),
        ("Thời gian", "Thời gian"),
        ("Nộp ở đâu", "Nộp"),
    ):
        await chat.press(section)
        chat.expect(heading)
        _short(chat)
    await chat.press("Tóm tắt thủ tục")
    await chat.press("Danh sách giấy tờ để in")
    chat.expect("☐", "Lệ phí:", "Giờ làm việc:")
    await chat.say("/start")
    await chat.press("Gọi cho Bộ phận Một cửa")
    chat.expect("Điện thoại: 0200", "Giờ làm việc", "Sáng 7:30")
    _short(chat)
    await chat.press("Về đầu")
    await chat.press("Tra cứu hồ sơ đã nộp")
    await chat.press("Hồ sơ đang theo dõi (1)")
    _short(chat)
    await chat.press(f"Xem {CODE}")
    chat.expect("Trạng thái:", "Ngày hẹn trả")
    _short(chat)
    await chat.press("Gọi cho Bộ phận Một cửa")
    chat.expect("Giờ làm việc")


async def test_following_ends_with_buttons_to_go_on(services: Services, chat: Transcript) -> None:
    await set_status(services, Status.PROCESSING)
    await chat.say(CODE)
    await chat.say("5678")
    await chat.press("Theo dõi hồ sơ này")
    await chat.press("Đồng ý theo dõi")
    chat.expect("Đã theo dõi hồ sơ")
    await chat.press("Hồ sơ đang theo dõi")
    chat.expect("Hồ sơ ông/bà đang theo dõi", CODE)


async def test_followers_are_told_the_result_is_ready(followed: Services) -> None:
    await deliver(followed)
    await set_status(followed, Status.READY)
    [(to, notice)] = (await deliver(followed)).sent
    assert to == "100" and "Đã có kết quả" in notice.text


async def test_each_follower_is_asked_once(followed: Services, dispatcher: object) -> None:
    from bot.app import Dispatcher

    assert isinstance(dispatcher, Dispatcher)
    await followed.storage.follows.follow(ChatRef("test", "200"), KEY, None, "đồng ý", NOW)
    await set_status(followed, Status.RETURNED)
    sent = await deliver(followed)
    asked = sorted(to for to, reply in sent.sent if "Câu 1/3" in reply.text)
    assert asked == ["100", "200"]
    second = Transcript(dispatcher, user_id="200")
    await rate(second, sent, "Sớm hoặc đúng hẹn", "1 lần nộp", "Lịch sự")
    second.expect("Cảm ơn ông/bà đã đánh giá")
    assert [
        r.scores for r in await followed.storage.care.ratings_between(NOW.date(), NOW.date())
    ] == [(2, 2, 2)]


async def test_typing_huy_leaves_the_feedback_form(services: Services, chat: Transcript) -> None:
    await chat.say("/phananh")
    await chat.say("Hủy")
    chat.expect("Đã hủy")
    chat.expect_not("quá ngắn")
    await chat.say("khai sinh")
    chat.expect("Đăng ký khai sinh")
    assert await services.storage.care.feedback_items(answered=False, limit=5) == []


async def test_keeping_the_data_is_not_a_declined_follow(chat: Transcript) -> None:
    await chat.say("/xoadulieu")
    chat.expect("Bot sẽ xóa ngay", "không bị xóa")
    chat.expect_not("tình nguyện viên")  # only volunteers are told about their registration
    await chat.press("Không xóa")
    chat.expect("giữ nguyên dữ liệu")


async def test_every_printable_checklist_is_one_a5_page(services: Services) -> None:
    """Issue 7 §3, issue 16 §6: a box per document, fees, time, where, hours, phone — read back
    from the PDF, one A5 page for every procedure of the catalogue. All fit today (the smallest
    body size used is 9.5 pt); a procedure that cannot fit at 8.5 pt goes on numbered pages
    (next test), and this test says which."""
    catalogue = services.knowledge.catalogue
    commune = catalogue.commune
    procedures = list(catalogue)
    # One booklet of all the checklists: the fonts are read once (the chat sends one at a time).
    booklet = checklist_pdf(*(checklist_of(services, p) for p in procedures))
    assert [p.id for p, n in zip(procedures, booklet.pages, strict=True) if n > 1] == []
    assert min(booklet.sizes) >= MIN_SIZE
    pages, sizes, _ = read_pdf(booklet.content)
    assert pages == len(procedures)
    assert all(size == pytest.approx(A5_POINTS, abs=0.5) for size in sizes)
    for procedure, text in zip(procedures, page_texts(booklet.content), strict=True):
        expected = [
            commune.office_name.upper(),
            "GIẤY TỜ CẦN CHUẨN BỊ",
            procedure.name,
            *(f"{d.name} – {DOCUMENT_KIND[d.kind]}" for d in procedure.documents),
            "Lệ phí",
            *(
                f"{line.fee.label}: "
                + ("hỏi Bộ phận Một cửa" if line.unknown else money(line.amount))
                for line in catalogue.fee_lines(procedure)
            ),
            f"Thời gian {time_text(procedure.processing_time)}",
            f"Nộp ở đâu {procedure.where}",
            f"Giờ làm việc {commune.hours.days}",
            f"Sáng {commune.hours.morning}, chiều {commune.hours.afternoon}",
            f"Liên hệ {commune.address}",
            f"Điện thoại: {commune.phone}",
            f"rà soát ngày {procedure.last_reviewed:%d/%m/%Y}",
        ]
        for part in expected:
            assert part in text, (procedure.id, part)
        assert text.count("☐") == len(procedure.documents), procedure.id
        assert "Trang " not in text  # one page: not numbered


def test_a_checklist_too_long_for_one_page_goes_on_numbered_pages() -> None:
    documents = tuple(
        ChecklistDocument(f"Giấy tờ thứ {n} – bản chính, 2 bản", f"Mẫu số {n}") for n in range(40)
    )
    checklist = Checklist(
        office="Trung tâm Phục vụ hành chính công xã Bình An",
        procedure="Thủ tục có rất nhiều giấy tờ",
        code=None,
        documents=documents,
        fees=("Lệ phí: miễn phí",),
        time="3 ngày làm việc",
        where="Bộ phận Một cửa",
        filing="trực tiếp tại xã",
        hours=("Thứ Hai – Thứ Sáu", "Sáng 7:30 – 11:30, chiều 13:30 – 17:00"),
        address="Trụ sở UBND xã",
        phone="0200 3 000 000",
        reviewed=dt.date(2026, 11, 23),
    )
    made = checklist_pdf(checklist)
    assert made.sizes == (MIN_SIZE,) and made.pages[0] > 1
    texts = page_texts(made.content)
    assert len(texts) == made.pages[0]
    for number, text in enumerate(texts, start=1):
        assert f"Trang {number}/{len(texts)}" in text
    whole = " ".join(texts)
    assert whole.count("☐") == 40 and "Giấy tờ thứ 39" in whole and "Mẫu số 39" in whole
    assert "Điện thoại: 0200 3 000 000" in whole


async def test_forgetting_a_chat_leaves_no_row_linked_to_it(
    followed: Services, chat: Transcript, officer_chat: Transcript
) -> None:
    """/xoadulieu on the storage side: every table holding a (channel, chat_id) has nothing of
    the chat left, except ratings and feedback, which stay unlinked for the office's records."""
    import aiosqlite

    storage = followed.storage
    await become_volunteer(chat, officer_chat)
    await storage.follows.label_follow(CITIZEN, KEY, "Bà Lan")
    await storage.follows.record_consent(CITIZEN, Purpose.VOLUNTEER, f"{KEY}: tên", NOW)
    await chat.say("/dangkythongbao")
    await chat.press("Nhận tất cả thông báo")
    await set_status(followed, Status.RETURNED)  # queues the rating question to the chat
    await chat.say("/phananh Đề nghị niêm yết lệ phí ở bảng tin")
    await chat.say("000.00.19.H47-261116-9999")  # a failed lookup
    await chat.say("/phananh")  # a conversation in progress
    await storage.care.save_rating(CITIZEN, Rating(KEY, (2, 2, 2), NOW))
    await chat.say("/xoadulieu")
    await chat.press("Xóa dữ liệu của tôi")
    db: aiosqlite.Connection = storage.db.raw  # type: ignore[attr-defined]
    listing = await db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    tables = [r[0] for r in await listing.fetchall()]
    left: dict[str, int] = {}
    for table in tables:
        columns = {r[1] for r in await (await db.execute(f"PRAGMA table_info({table})")).fetchall()}
        if {"channel", "chat_id"} <= columns:
            sql = f"SELECT COUNT(*) FROM {table} WHERE channel = ? AND chat_id = ?"
        elif {"channel", "user_id"} <= columns and table != "officers":
            sql = f"SELECT COUNT(*) FROM {table} WHERE channel = ? AND user_id = ?"
        else:
            continue
        row = await (await db.execute(sql, ("test", "100"))).fetchone()
        if row and row[0]:
            left[table] = row[0]
    assert left == {}
    assert len(await storage.care.ratings_between(NOW.date(), NOW.date())) == 1
    assert len(await storage.care.feedback_between(NOW.date(), NOW.date())) == 1
    assert ("test", "100") not in followed.volunteers


async def test_a_volunteer_receives_the_apology_named_by_the_label(
    followed: Services, officer_chat: Transcript
) -> None:
    """Issue 7 §1: the apology (NĐ 61/2018 Đ19 k9) reaches the volunteer with the person's name."""
    from tests.test_apologies import issue

    await followed.storage.follows.label_follow(CITIZEN, KEY, "Bà Lan – khai sinh cháu")
    await deliver(followed)
    await issue(officer_chat)
    sent = await deliver(followed)
    [notice] = [r for to, r in sent.sent if to == "100"]
    assert notice.text.startswith("👤 Bà Lan – khai sinh cháu\n") and "xin lỗi" in notice.text


async def test_unlinking_leaves_no_trace_tying_the_chat_to_the_old_dossier(
    followed: Services, chat: Transcript, clock: FixedClock
) -> None:
    """Issue 7 §7: after MOTCUA_UNLINK_RETURNED_DAYS the chat is no longer tied to the dossier
    anywhere: follow, consents, rating (kept, unlinked), the dossier's messages to the chat."""
    storage = followed.storage
    other_key = dossier(OTHER_CODE).code_key
    await set_status(followed, Status.PROCESSING, code=OTHER_CODE)
    await storage.follows.follow(CITIZEN, other_key, None, "đồng ý", NOW)
    await set_status(followed, Status.RETURNED)
    sent = await deliver(followed)
    await rate(chat, sent, "Sớm hoặc đúng hẹn", "1 lần nộp", "Lịch sự")
    await set_status(followed, Status.READY, code=OTHER_CODE)  # a message about the other one
    assert await storage.care.has_rated(CITIZEN, KEY)
    clock.set(NOW + dt.timedelta(days=31))
    assert await CareWatch(followed).run_if_due() == 1
    assert not await storage.care.has_rated(CITIZEN, KEY)
    assert len(await storage.care.ratings_between(NOW.date(), NOW.date())) == 1  # the figure stays
    assert not await storage.follows.has_dossier_consent(CITIZEN, Purpose.FOLLOW_DOSSIER, KEY)
    assert await storage.follows.has_dossier_consent(CITIZEN, Purpose.FOLLOW_DOSSIER, other_key)
    db = storage.db.raw  # type: ignore[attr-defined]
    cursor = await db.execute(
        "SELECT json_extract(payload, '$.code_key') FROM outbox WHERE chat_id = '100'"
    )
    assert {row[0] for row in await cursor.fetchall()} == {other_key}
    # The old rating buttons no longer work for the chat.
    await chat.press_data(f"dg:{KEY}:222")
    chat.expect("Không ghi được đánh giá")


async def test_a_volunteer_approved_in_another_process_is_one_at_once(
    settings: Settings, clock: FixedClock, knowledge: Knowledge
) -> None:
    """Issue 14: Telegram and Zalo may run as two processes on one database. The officer
    approves in one; the volunteer, talking to the other, is a volunteer at once: following a
    dossier asks whose it is, /hoso has the message to forward. Erasing ends it there too."""
    async with (
        running_services(settings, clock=clock, knowledge=knowledge) as officers_process,
        running_services(settings, clock=clock, knowledge=knowledge) as volunteers_process,
    ):
        await set_status(volunteers_process, Status.READY)
        chat = Transcript(Dispatcher(volunteers_process), user_id="100")
        officer_chat = Transcript(Dispatcher(officers_process), user_id="900")
        await chat.say("/tinhnguyenvien")
        await chat.press("Đồng ý, đăng ký")
        for answer in ("Nguyễn Thị Hoa", "Tổ công nghệ số thôn Đồng", "Thôn Đồng"):
            await chat.say(answer)
        await officer_chat.say("/tinhnguyenvien_ds")
        await officer_chat.press("Duyệt 100")
        officer_chat.expect("Đã duyệt tình nguyện viên Nguyễn Thị Hoa")
        assert ("test", "100") not in volunteers_process.volunteers  # not told in memory
        await chat.say(CODE)
        await chat.say("5678")
        await chat.press("Theo dõi hồ sơ này")
        await chat.press("Đồng ý theo dõi")
        chat.expect("Hồ sơ này của ai?")
        await chat.say("Bà Lan – khai sinh cháu")
        await chat.say("/hoso")
        assert any(b.label.startswith("📨 Tin nhắn: Bà Lan") for b in chat.buttons)
        # Erased in the first process (say, from the Zalo chat): no longer one in the second.
        await officers_process.storage.chats.forget_chat(ChatRef("test", "100"))
        await chat.say("/hoso")
        assert not any(b.label.startswith("📨 Tin nhắn") for b in chat.buttons)
