"""Issue 21: a person when the bot cannot help — the conversation handed to an officer and back.

Transcripts of a person and officers talking through the bot on the test channel; what the outbox
sends is rendered by the real worker into a recording sender, so buttons inside notices can be
pressed. Channels end to end (terminal, Telegram, Zalo) are in tests/test_tickets_channels.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.app import Dispatcher, running_services
from bot.delivery import OutboxWorker
from bot.settings import Settings
from core.clock import VIETNAM, FixedClock
from core.messages import IncomingFile, IncomingMessage, Reply, TextFormat
from core.office_hours import HoursUnreadable, OfficeHours, parse_session, when_text
from core.officers import AuditAction, AuditEntry, Officer
from core.tickets import ClosedBy, TicketStatus, nearest_rank, ticket_figures
from core.workdays import WorkingCalendar
from handlers.context import Knowledge, Services
from storage.base import ChatRef, OutboxStatus
from tests.dossier_fixtures import CODE, dossier, with_hash
from tests.test_outbox_delivery import RecordingSender
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)  # Monday, office open
PERSON = ChatRef("test", "100")
OFFICE = "Trung tâm Phục vụ hành chính công xã Bình An"


class Desk:
    """The outbox, delivered on demand: what each chat received, newest last."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sender = RecordingSender()
        self.sender.text_format = TextFormat.PLAIN
        # The admins are on Telegram too (tests/conftest.py): they are told there as well.
        self.telegram = RecordingSender()

    async def deliver(self) -> list[tuple[str, Reply]]:
        """What reached the test channel."""
        before = len(self.sender.sent)
        senders = {"test": self.sender, "telegram": self.telegram}
        await OutboxWorker(self.services, senders).deliver_due()
        return self.sender.sent[before:]

    def to(self, chat_id: str) -> list[Reply]:
        return [reply for chat, reply in self.sender.sent if chat == chat_id]

    def last_to(self, chat_id: str) -> Reply:
        replies = self.to(chat_id)
        assert replies, f"nothing sent to {chat_id}"
        return replies[-1]


def show(chat: Transcript, reply: Reply) -> None:
    """A notice that arrived in this chat becomes the last thing on screen (its buttons too)."""
    chat.last = [reply]


@pytest.fixture
def desk(services: Services) -> Desk:
    return Desk(services)


@pytest.fixture
def second_officer(dispatcher: Dispatcher) -> Transcript:
    return Transcript(dispatcher, user_id="901")


@pytest.fixture
async def two_officers(services: Services) -> Services:
    """Admin 900 (settings) and officer 901, added in the chat."""
    officer = Officer("test", "901", "Anh Hùng", "900", NOW)
    await services.storage.officers.add_officer(officer, _audit_entry())
    services.roster.add("test", "901")
    return services


def _audit_entry() -> AuditEntry:
    return AuditEntry(NOW, "test", "900", None, AuditAction.OFFICER_ADDED, "901")


async def ask(chat: Transcript, question: str = "Con tôi sinh ở nước ngoài thì làm sao?") -> None:
    await chat.say("/hoicanbo")
    chat.expect("Ông/bà viết câu hỏi")
    await chat.say(question)


async def claim(officer: Transcript, desk: Desk) -> None:
    await desk.deliver()
    show(officer, desk.last_to(officer.user_id))
    await officer.press("Nhận trả lời")


# -- asking -------------------------------------------------------------------------------------


async def test_a_person_asks_an_officer_answers_and_the_bot_comes_back(
    chat: Transcript, officer_chat: Transcript, desk: Desk, services: Services
) -> None:
    await chat.say("con chó cắn người")
    chat.expect("chưa tìm được thủ tục")
    assert chat.buttons[0].label == "💬 Hỏi cán bộ"  # on every not-found reply, first
    await chat.press("Hỏi cán bộ")
    chat.expect("Ông/bà viết câu hỏi", "trong giờ làm việc hôm nay")
    await chat.say("Tôi muốn hỏi về giấy phép nuôi chim cảnh")
    chat.expect("Số: HT-1/2026", "trong giờ làm việc hôm nay", "bot không tự trả lời")

    [(to, notice)] = await desk.deliver()
    assert to == "900" and "Câu hỏi mới HT-1/2026" in notice.text
    assert "giấy phép nuôi chim cảnh" in notice.text
    assert "con chó cắn người" in notice.text  # what the person asked the bot before

    # While the question is open the bot does not answer free text itself, and says so.
    await chat.say("khai sinh cần giấy tờ gì")
    chat.expect("Đã chuyển cho cán bộ", "HT-1/2026")
    chat.expect_not("Đăng ký khai sinh")
    # Commands and buttons still work.
    await chat.say("/lienhe")
    chat.expect("Điện thoại")

    show(officer_chat, notice)
    await officer_chat.press("Nhận trả lời HT-1/2026")
    officer_chat.expect(
        "Ông/bà đã nhận trả lời câu hỏi HT-1/2026",
        "giấy phép nuôi chim cảnh",
        "khai sinh cần giấy tờ gì",  # everything so far
        f"đứng tên {OFFICE}",
    )
    await officer_chat.say("Chào ông/bà, việc này do UBND xã cấp phép, ông/bà mang CCCD đến.")
    officer_chat.expect("Đã gửi cho người hỏi (HT-1/2026)")
    [(to, answer)] = await desk.deliver()
    assert to == "100"
    assert answer.text.startswith(f"💬 {OFFICE} trả lời (câu hỏi HT-1/2026):")
    assert "mang CCCD đến" in answer.text
    assert "900" not in answer.text  # never the officer's own account

    await chat.say("Cảm ơn cán bộ, cho hỏi lệ phí bao nhiêu?")
    chat.expect("Đã chuyển cho cán bộ")
    [(to, relayed)] = await desk.deliver()
    assert to == "900" and "lệ phí bao nhiêu" in relayed.text

    show(officer_chat, officer_chat.last[0])
    await officer_chat.press("Kết thúc câu hỏi")
    officer_chat.expect("Đã kết thúc câu hỏi HT-1/2026")
    [(to, closed)] = await desk.deliver()
    assert to == "100" and "Bot trả lời tự động trở lại" in closed.text

    await chat.say("khai sinh cần giấy tờ gì")
    chat.expect("Đăng ký khai sinh")  # the bot answers again

    actions = [e.action for e in await services.storage.officers.audit_entries(10)]
    assert actions == [
        AuditAction.TICKET_CLOSED,
        AuditAction.TICKET_REPLIED,
        AuditAction.TICKET_CLAIMED,
    ]
    [replied] = [e for e in await services.storage.officers.audit_entries(10) if e.detail]
    assert "CCCD" not in (replied.detail or "")  # the log says what was done, not the words


async def test_after_two_unanswered_questions_the_officer_is_offered(chat: Transcript) -> None:
    await chat.say("con chó cắn người")
    chat.expect("chưa tìm được thủ tục")
    chat.expect_not("hai câu hỏi liên tiếp")
    await chat.say("giá lúa hôm nay")
    chat.expect("chưa trả lời được hai câu hỏi liên tiếp", "Hỏi cán bộ")
    await chat.say("đăng ký khai tử")  # an answer resets the count
    await chat.say("con chó cắn người")
    chat.expect_not("hai câu hỏi liên tiếp")


async def test_the_contact_card_and_a_dossier_not_found_offer_an_officer(
    chat: Transcript,
) -> None:
    await chat.say("/lienhe")
    assert "💬 Hỏi cán bộ" in [b.label for b in chat.buttons]
    await chat.say("mã hồ sơ 000.00.19.H47-260105-9999")
    await chat.say("1234")  # issue 15: the digits first, for every code
    chat.expect("chưa khớp")
    await chat.press("Hỏi cán bộ")
    chat.expect("Ông/bà viết câu hỏi")


async def test_the_ticket_carries_what_the_bot_knew_masked(
    chat: Transcript, officer_chat: Transcript, desk: Desk, services: Services
) -> None:
    await services.storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a")
    await services.storage.follows.follow(PERSON, dossier().code_key, None, "đồng ý", NOW)
    await chat.say("làm giấy khai sinh cần gì")
    chat.expect("Đăng ký khai sinh")
    await chat.say("/hoicanbo Con tôi sinh ở nhà, không có giấy chứng sinh thì sao?")
    chat.expect("HT-1/2026")
    [(_, notice)] = await desk.deliver()
    assert "Thủ tục đang xem: Đăng ký khai sinh" in notice.text
    assert "«làm giấy khai sinh cần gì»" in notice.text
    assert CODE in notice.text and "Nguyễn V*** A**" in notice.text
    assert "Nguyễn Văn An" not in notice.text and "0912" not in notice.text


async def test_when_an_answer_can_be_expected(
    chat: Transcript, clock: FixedClock, services: Services
) -> None:
    clock.set(dt.datetime(2026, 11, 25, 18, 30))  # Wednesday evening
    await chat.say("/hoicanbo")
    chat.expect("sáng mai (từ 7:30)")
    await chat.press("Hủy")
    clock.set(dt.datetime(2026, 11, 27, 17, 30))  # Friday evening
    await chat.say("/hoicanbo")
    chat.expect("sáng thứ Hai 30/11 (từ 7:30)")
    await chat.press("Hủy")
    clock.set(dt.datetime(2026, 11, 26, 12, 0))  # Thursday, lunch
    await chat.say("/hoicanbo")
    chat.expect("chiều nay (từ 13:30)")


async def test_a_second_ask_joins_the_open_question(
    chat: Transcript, desk: Desk, services: Services
) -> None:
    await ask(chat)
    await chat.say("/hoicanbo")
    chat.expect("đang có câu hỏi HT-1/2026")
    await chat.say("/hoicanbo thêm một câu nữa")
    assert await services.storage.tickets.count_open_tickets() == 1
    ticket = await services.storage.tickets.chat_ticket(PERSON)
    assert ticket is not None
    texts = [m.text for m in await services.storage.tickets.ticket_messages(ticket.id)]
    assert texts == ["Con tôi sinh ở nước ngoài thì làm sao?", "thêm một câu nữa"]


async def test_cancelling_and_too_short(chat: Transcript, services: Services) -> None:
    await chat.say("/hoicanbo")
    await chat.say("a")
    chat.expect("ngắn quá")
    await chat.say("thôi")
    chat.expect("Đã hủy")
    assert await services.storage.tickets.count_open_tickets() == 0


# -- the bot stays quiet, and comes back --------------------------------------------------------


async def test_the_person_ends_the_question_and_the_officer_is_told(
    chat: Transcript, officer_chat: Transcript, desk: Desk
) -> None:
    await ask(chat)
    await claim(officer_chat, desk)
    await chat.press("Kết thúc hỏi cán bộ")
    chat.expect("Đã kết thúc câu hỏi HT-1/2026")
    [(to, told)] = await desk.deliver()
    assert to == "900" and "Người hỏi đã kết thúc câu hỏi HT-1/2026" in told.text
    await officer_chat.say("Ông/bà còn hỏi gì không?")
    officer_chat.expect("đã kết thúc", "không được gửi")
    assert await desk.deliver() == []
    await chat.say("đăng ký khai tử")
    chat.expect("Đăng ký khai tử")


async def test_after_the_silence_the_bot_answers_again(
    chat: Transcript, officer_chat: Transcript, desk: Desk, clock: FixedClock, services: Services
) -> None:
    await ask(chat)
    clock.advance(minutes=119)
    await chat.say("đăng ký khai tử")
    chat.expect("Đã chuyển cho cán bộ")  # still quiet: the silence counts from the last message
    clock.advance(minutes=121)
    await chat.say("đăng ký khai tử")
    chat.expect("Đăng ký khai tử")
    chat.expect_not("Đã chuyển cho cán bộ")
    assert await services.storage.tickets.count_open_tickets() == 1  # the question still waits
    await claim(officer_chat, desk)  # the officer takes it up: quiet again
    await chat.say("vâng ạ")
    chat.expect("Đã chuyển cho cán bộ")


async def test_only_a_chat_that_asked_an_officer_pays_a_look_up(
    chat: Transcript, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dispatcher looks for an open ticket only where the conversation carries the hint."""
    storage = services.storage
    real = storage.tickets.chat_ticket
    looked: list[ChatRef] = []

    async def counting(chat_ref: ChatRef):  # type: ignore[no-untyped-def]
        looked.append(chat_ref)
        return await real(chat_ref)

    monkeypatch.setattr(storage.tickets, "chat_ticket", counting)
    await chat.say("đăng ký khai tử")
    await chat.say("mã hồ sơ 000.00.19.H47-260105-9999")
    assert looked == []
    await ask(chat)
    looked.clear()
    await chat.say("còn gì nữa không")
    chat.expect("Đã chuyển cho cán bộ")
    assert len(looked) == 1
    ticket = await real(PERSON)
    assert ticket is not None
    await storage.tickets.close_ticket(
        ticket.id, ClosedBy.CITIZEN, services.clock.now(), chat=PERSON
    )
    await chat.say("đăng ký khai tử")  # the hint leads to a closed ticket: dropped
    chat.expect("Đăng ký khai tử")
    await chat.say("đăng ký khai sinh")
    assert len(looked) == 2


async def test_the_silence_is_a_setting(
    tmp_path: Path, clock: FixedClock, knowledge: Knowledge
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "d", OFFICER_IDS="test:900", ticket_silence_minutes=5
    )
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        chat = Transcript(Dispatcher(services))
        await ask(chat)
        clock.advance(minutes=6)
        await chat.say("đăng ký khai tử")
        chat.expect("Đăng ký khai tử")


# -- officers ---------------------------------------------------------------------------------


async def test_two_officers_press_at_once_exactly_one_wins(
    two_officers: Services,
    chat: Transcript,
    officer_chat: Transcript,
    second_officer: Transcript,
    desk: Desk,
) -> None:
    await ask(chat)
    await desk.deliver()
    show(officer_chat, desk.last_to("900"))
    show(second_officer, desk.last_to("901"))
    first, second = await asyncio.gather(
        officer_chat.press("Nhận trả lời"), second_officer.press("Nhận trả lời")
    )
    texts = [" ".join(r.text for r in replies) for replies in (first, second)]
    won = [t for t in texts if "Ông/bà đã nhận trả lời câu hỏi HT-1/2026" in t]
    lost = [t for t in texts if "đã có" in t and "nhận trả lời" in t]
    assert len(won) == 1 and len(lost) == 1
    ticket = await two_officers.storage.tickets.chat_ticket(PERSON)
    assert ticket is not None and ticket.officer is not None
    claims = [
        e
        for e in await two_officers.storage.officers.audit_entries(10)
        if e.action is AuditAction.TICKET_CLAIMED
    ]
    assert [e.actor for e in claims] == [ticket.officer.user_id]


async def test_the_queue_oldest_first_shows_who_holds_what(
    two_officers: Services,
    officer_chat: Transcript,
    second_officer: Transcript,
    desk: Desk,
    dispatcher: Dispatcher,
    clock: FixedClock,
) -> None:
    people = [Transcript(dispatcher, user_id=str(n)) for n in (101, 102, 103)]
    for person in people:
        await ask(person, f"Câu hỏi của người {person.user_id}")
        clock.advance(minutes=1)
    await desk.deliver()
    show(second_officer, desk.to("901")[1])  # the second question
    await second_officer.press("Nhận trả lời HT-2/2026")
    await officer_chat.say("/hotro")
    officer_chat.expect(
        "HT-1/2026", "HT-2/2026", "HT-3/2026", "chờ cán bộ nhận", "901 đang trả lời"
    )
    assert officer_chat.text.index("HT-1/2026") < officer_chat.text.index("HT-3/2026")
    labels = [b.label for b in officer_chat.buttons]
    assert labels == ["🙋 Nhận trả lời HT-1/2026", "🙋 Nhận trả lời HT-3/2026"]
    # Once taken, the notice still on other officers' screens says who has it.
    show(officer_chat, desk.to("900")[1])
    await officer_chat.press("Nhận trả lời HT-2/2026")
    officer_chat.expect("đã có", "nhận trả lời")
    await people[0].say("/hotro")
    people[0].expect("dành cho cán bộ")


async def test_an_officer_passes_the_question_to_another(
    two_officers: Services,
    chat: Transcript,
    officer_chat: Transcript,
    second_officer: Transcript,
    desk: Desk,
    services: Services,
) -> None:
    await ask(chat)
    await claim(officer_chat, desk)
    await officer_chat.say("Tôi chuyển cho anh Hùng bên hộ tịch nhé.")
    await officer_chat.press("Chuyển cán bộ khác")
    await officer_chat.press("Anh Hùng")
    officer_chat.expect("Đã chuyển câu hỏi HT-1/2026 cho Anh Hùng")
    sent = await desk.deliver()
    passed = [r for to, r in sent if to == "901"]
    assert passed and "chuyển cho ông/bà câu hỏi HT-1/2026" in passed[0].text
    await officer_chat.say("Tin này không còn là trả lời")  # back to the bot: not relayed
    officer_chat.expect_not("Đã gửi cho người hỏi")
    show(second_officer, passed[0])
    await second_officer.press("Trả lời tiếp HT-1/2026")
    second_officer.expect("chuyển cho anh Hùng bên hộ tịch")  # the whole conversation
    await second_officer.say("Chào ông/bà, tôi là cán bộ hộ tịch.")
    [(to, answer)] = await desk.deliver()
    assert to == "100" and OFFICE in answer.text and "Anh Hùng" not in answer.text
    actions = [e.action for e in await services.storage.officers.audit_entries(10)]
    assert AuditAction.TICKET_PASSED in actions


async def test_officers_on_a_channel_another_process_serves_are_told(
    services: Services, dispatcher: Dispatcher
) -> None:
    """Zalo and Telegram may run as two processes on one database: a question asked on Zalo
    reaches the Telegram admins (OFFICER_IDS carry their channel)."""
    services.channels.add("zalo")  # this process serves Zalo only
    person = Transcript(dispatcher, user_id="2468458835296117922", channel="zalo")
    await ask(person)
    queued = await services.storage.outbox.claim_due(services.clock.now(), 10)
    told = {(i.message.channel, i.message.chat_id) for i in queued}
    assert told == {("telegram", "900"), ("test", "900")}


async def test_citizens_cannot_claim_or_answer(
    chat: Transcript, dispatcher: Dispatcher, desk: Desk, services: Services
) -> None:
    await ask(chat)
    ticket = await services.storage.tickets.chat_ticket(PERSON)
    assert ticket is not None
    other = Transcript(dispatcher, user_id="555")
    await other.press_data(f"ht:c:{ticket.id}")
    other.expect("dành cho cán bộ")
    await other.press_data(f"ht:x:{ticket.id}")
    other.expect("dành cho cán bộ")
    await other.press_data(f"ht:end:{ticket.id}")  # not their question
    assert (await services.storage.tickets.get_ticket(ticket.id)).is_open  # type: ignore[union-attr]


async def test_photos_of_papers_go_both_ways(
    chat: Transcript, officer_chat: Transcript, desk: Desk, services: Services
) -> None:
    jpeg = b"\xff\xd8\xff\xe0 a photo of a birth certificate"
    await chat.say("/hoicanbo")
    chat.expect("có thể gửi kèm ảnh")
    await _send_photo(chat, jpeg, "Giấy này còn dùng được không?")
    chat.expect("HT-1/2026")
    [(_, notice)] = await desk.deliver()
    assert notice.file is not None and notice.file.content == jpeg
    assert "Giấy này còn dùng được không?" in notice.text
    show(officer_chat, notice)
    await officer_chat.press("Nhận trả lời")
    assert [r.file.content for r in officer_chat.last if r.file] == [jpeg]
    await _send_photo(officer_chat, b"\xff\xd8 the form", "Mẫu tờ khai đây ạ")
    [(to, answer)] = await desk.deliver()
    assert to == "100" and answer.file is not None and "Mẫu tờ khai" in answer.text
    # A photo outside any question is read for a receipt's code, as before (issue 20).
    await chat.press_data("ht:end:1")
    await _send_photo(chat, jpeg, "")
    chat.expect_not("HT-1/2026")


async def _send_photo(chat: Transcript, content: bytes, caption: str) -> list[Reply]:
    ref = f"photo-{len(chat.files) + 1}"
    chat.files[ref] = content
    image = IncomingFile("anh.jpg", ref, "image/jpeg", len(content))
    message = IncomingMessage(chat.channel, chat.user_id, chat.user_id, text=caption, image=image)
    return await chat._send(message)


# -- durable and private ------------------------------------------------------------------------


async def test_a_restart_with_questions_open_loses_nothing(
    tmp_path: Path, clock: FixedClock, knowledge: Knowledge
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "d", OFFICER_IDS="test:900")  # type: ignore[call-arg]
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        dispatcher = Dispatcher(services)
        person, officer, desk = (
            Transcript(dispatcher),
            Transcript(dispatcher, "900"),
            Desk(services),
        )
        await ask(person)
        await claim(officer, desk)
        await officer.say("Ông/bà cho biết con sinh năm nào?")  # queued, not delivered yet
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        dispatcher = Dispatcher(services)
        person, officer, desk = (
            Transcript(dispatcher),
            Transcript(dispatcher, "900"),
            Desk(services),
        )
        [(to, answer)] = await desk.deliver()  # what waited in the outbox goes out
        assert to == "100" and "sinh năm nào" in answer.text
        await person.say("khai sinh")  # still quiet
        person.expect("Đã chuyển cho cán bộ")
        [(to, relayed)] = await desk.deliver()
        assert to == "900" and "khai sinh" in relayed.text
        await officer.say("Vậy ông/bà nộp hồ sơ đăng ký khai sinh quá hạn.")  # still answering
        officer.expect("Đã gửi cho người hỏi")
        [(to, _)] = await desk.deliver()
        assert to == "100"


async def test_deleting_data_mid_question_keeps_an_anonymised_record(
    chat: Transcript, officer_chat: Transcript, desk: Desk, services: Services
) -> None:
    await ask(chat, "Tôi tên Lan, nhà ở thôn 3, hỏi về khai sinh")
    await claim(officer_chat, desk)
    await officer_chat.say("Chào bà Lan")
    await chat.say("Cảm ơn")  # relayed to the officer, not sent yet
    await chat.say("/xoadulieu")
    await chat.press("Xóa dữ liệu của tôi")
    chat.expect("Đã xóa")
    sent = await desk.deliver()
    assert [to for to, _ in sent] == ["900"]  # nothing more to the person; the officer is told
    assert "đã xóa dữ liệu" in sent[0][1].text
    await officer_chat.say("Bà còn ở đó không?")
    officer_chat.expect("đã kết thúc", "đã xóa dữ liệu")
    assert await desk.deliver() == []
    ticket = await services.storage.tickets.get_ticket(1)
    assert ticket is not None and ticket.status is TicketStatus.CLOSED
    assert ticket.closed_by is ClosedBy.ERASED and ticket.chat_id is None
    assert ticket.closed_at == services.clock.now()
    assert ticket.first_answer_at is not None  # the figures keep it
    texts = [m.text for m in await services.storage.tickets.ticket_messages(1)]
    assert texts and all(t == "" for t in texts)
    assert await services.storage.tickets.chat_ticket(PERSON) is None
    counts = await services.storage.outbox.outbox_counts()
    assert counts[OutboxStatus.PENDING] == 0
    await chat.say("khai tử")  # a new start: the bot answers
    chat.expect("Đăng ký khai tử")


# -- office hours and the figures ----------------------------------------------------------------


def test_office_hours_are_read_as_communes_write_them() -> None:
    assert parse_session("7:30 – 11:30") == (dt.time(7, 30), dt.time(11, 30))
    assert parse_session("7h30-11h30") == (dt.time(7, 30), dt.time(11, 30))
    assert parse_session("13 giờ 30 đến 17 giờ") == (dt.time(13, 30), dt.time(17, 0))
    for bad in ("sáng", "11:30 – 7:30", "25:00 – 26:00", ""):
        with pytest.raises(HoursUnreadable):
            parse_session(bad)


def test_office_time_counts_only_office_hours_on_working_days() -> None:
    hours = OfficeHours.of("7:30 – 11:30", "13:30 – 17:00", WorkingCalendar())
    friday_evening = dt.datetime(2026, 11, 27, 18, 0)
    monday = dt.datetime(2026, 11, 30, 8, 0)
    assert hours.office_time_between(friday_evening, monday) == dt.timedelta(minutes=30)
    morning, afternoon = dt.datetime(2026, 11, 23, 11, 0), dt.datetime(2026, 11, 23, 14, 0)
    assert hours.office_time_between(morning, afternoon) == dt.timedelta(minutes=60)
    assert not hours.is_open(dt.datetime(2026, 11, 23, 12, 0))
    # 2 September (Quốc khánh) is not a working day.
    holiday = dt.datetime(2026, 9, 2, 9, 0, tzinfo=VIETNAM)
    assert hours.next_opening(holiday) > holiday + dt.timedelta(hours=20)
    opening = hours.next_opening(friday_evening)
    assert when_text(friday_evening, opening) == "sáng thứ Hai 30/11 (từ 7:30)"


def test_percentiles_are_nearest_rank() -> None:
    values = [dt.timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert nearest_rank(values, 50) == dt.timedelta(minutes=5)
    assert nearest_rank(values, 90) == dt.timedelta(minutes=9)
    assert nearest_rank(values[:1], 90) == dt.timedelta(minutes=1)
    assert nearest_rank([], 50) is None


async def test_figures_received_answered_office_time_open(
    chat: Transcript,
    officer_chat: Transcript,
    desk: Desk,
    dispatcher: Dispatcher,
    services: Services,
    clock: FixedClock,
) -> None:
    # Asked Friday 16:30, answered Monday 8:00: 30 + 30 minutes of office time.
    clock.set(dt.datetime(2026, 11, 27, 16, 30))
    await ask(chat)
    clock.set(dt.datetime(2026, 11, 30, 8, 0))
    await claim(officer_chat, desk)
    await officer_chat.say("Trả lời")
    # Asked Monday 9:00, answered 9:10.
    other = Transcript(dispatcher, user_id="101")
    clock.set(dt.datetime(2026, 11, 30, 9, 0))
    await ask(other)
    clock.set(dt.datetime(2026, 11, 30, 9, 10))
    await claim(officer_chat, desk)
    await officer_chat.say("Trả lời")
    third = Transcript(dispatcher, user_id="102")
    await ask(third)  # not answered yet
    hours = OfficeHours.of("7:30 – 11:30", "13:30 – 17:00", services.calendar)
    tickets = await services.storage.tickets.tickets_between(
        dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    )
    figures = ticket_figures(tickets, hours)
    assert (figures.received, figures.answered, figures.still_open) == (3, 2, 3)
    assert figures.median == dt.timedelta(minutes=10) and figures.p90 == dt.timedelta(minutes=60)
    await officer_chat.say("/baocao 01/11/2026 30/11/2026")
    officer_chat.expect(
        "Hỏi cán bộ qua bot: 3 câu hỏi",
        "đã trả lời 2",
        "trung vị 10 phút",
        "90% trong 1 giờ 00 phút",
        "còn mở 3",
    )
