"""Subscribing to the office's notices, and broadcasts: compose, audience, preview, confirm,
delivery through the outbox (after dossiers' own messages), progress, cancel, final report;
and `motcua broadcast` from the command line."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import aiosqlite
import pytest

from bot.app import Dispatcher, running_services
from bot.cli import main
from bot.delivery import OutboxWorker
from bot.settings import Settings
from core.broadcasts import ALL_TOPICS, TO_FILL
from core.care import Volunteer, VolunteerStatus
from core.dossiers import Status
from core.messages import TextFormat
from core.officers import AuditAction, AuditEntry
from handlers.broadcasts import prefilled_text
from handlers.context import Services
from storage.base import ChatRef, OutboxStatus
from tests.dossier_fixtures import dossier, with_hash
from tests.fake_telegram import visible_text
from tests.test_outbox_delivery import RecordingSender
from tests.transcript import Transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)
CHANNEL = "test"  # the transcript's channel


def person(dispatcher: Dispatcher, user_id: str) -> Transcript:
    return Transcript(dispatcher, user_id=user_id)


async def subscribe(dispatcher: Dispatcher, user_id: str, *choices: str) -> Transcript:
    chat = person(dispatcher, user_id)
    await chat.say("/dangkythongbao")
    for choice in choices:
        await chat.press(choice)
    return chat


async def consents(services: Services, chat_id: str) -> list[tuple[str, str, str | None]]:
    path = services.storage.db.raw  # type: ignore[attr-defined]  # the test reads the consent rows
    rows = await path.execute_fetchall(
        "SELECT purpose, detail, withdrawn_at FROM consents WHERE chat_id = ? ORDER BY id",
        (chat_id,),
    )
    return [tuple(row) for row in rows]


# -- subscriptions ------------------------------------------------------------------------------


async def test_subscribing_to_fields_then_to_everything_records_consent(
    services: Services, dispatcher: Dispatcher
) -> None:
    chat = await subscribe(dispatcher, "101")
    chat.expect("Nhận thông báo của Trung tâm Phục vụ hành chính công xã Bình An?")
    chat.expect("Bot chỉ lưu mã cuộc trò chuyện và lĩnh vực đã chọn")
    await chat.press("Chỉ lĩnh vực Hộ tịch")
    await chat.press("Chỉ lĩnh vực Chứng thực")
    chat.expect("Ông/bà đang nhận thông báo: lĩnh vực Chứng thực, lĩnh vực Hộ tịch.")
    assert "Chỉ lĩnh vực Hộ tịch" not in [b.label for b in chat.buttons]
    me = ChatRef(CHANNEL, "101")
    assert await services.storage.broadcasts.subscriptions(me) == ["chung-thuc", "ho-tich"]
    await chat.press("Nhận tất cả")
    chat.expect("Đã đăng ký nhận tất cả thông báo.")
    assert await services.storage.broadcasts.subscriptions(me) == [ALL_TOPICS]
    recorded = await consents(services, "101")
    assert [(purpose, detail.split(":")[0]) for purpose, detail, _ in recorded] == [
        ("notices", "ho-tich"),
        ("notices", "chung-thuc"),
        ("notices", "*"),
    ]
    assert all("gửi thông báo của Bộ phận Một cửa" in detail for _, detail, _ in recorded)


async def test_opting_out_withdraws_consent_and_erasing_deletes_everything(
    services: Services, dispatcher: Dispatcher
) -> None:
    chat = await subscribe(dispatcher, "101", "Chỉ lĩnh vực Hộ tịch")
    await chat.say("/huythongbao")
    chat.expect("Đã dừng gửi thông báo cho ông/bà.")
    assert await services.storage.broadcasts.subscriptions(ChatRef(CHANNEL, "101")) == []
    [(_, _, withdrawn)] = await consents(services, "101")
    assert withdrawn is not None
    await chat.say("/huythongbao")
    chat.expect("Ông/bà chưa đăng ký nhận thông báo.")

    other = await subscribe(dispatcher, "102", "Nhận tất cả")
    await other.say("/xoadulieu")
    await other.press("Xóa dữ liệu của tôi")
    assert await services.storage.broadcasts.subscriptions(ChatRef(CHANNEL, "102")) == []
    assert await consents(services, "102") == []
    assert (await services.storage.broadcasts.audience_sizes()).everyone == 0


async def test_declining_stores_nothing(services: Services, dispatcher: Dispatcher) -> None:
    chat = await subscribe(dispatcher, "101", "Không, cảm ơn")
    chat.expect("Bot không lưu gì thêm.")
    assert await consents(services, "101") == []


# -- composing and sending ------------------------------------------------------------------


@pytest.fixture
async def audience(services: Services, dispatcher: Dispatcher) -> dict[str, Transcript]:
    """Four citizens: Hộ tịch and Chứng thực (one chat, two fields), everything, Chứng thực
    only, and one who declined."""
    return {
        "both": await subscribe(
            dispatcher, "101", "Chỉ lĩnh vực Hộ tịch", "Chỉ lĩnh vực Chứng thực"
        ),
        "all": await subscribe(dispatcher, "102", "Nhận tất cả"),
        "chung-thuc": await subscribe(dispatcher, "103", "Chỉ lĩnh vực Chứng thực"),
        "none": await subscribe(dispatcher, "104", "Không, cảm ơn"),
    }


async def deliver(services: Services, sender: RecordingSender, batch: int = 50) -> int:
    return await OutboxWorker(services, {CHANNEL: sender}, batch=batch).deliver_due()


async def test_an_officer_broadcasts_to_one_field_and_gets_the_report(
    services: Services, officer_chat: Transcript, audience: dict[str, Transcript]
) -> None:
    await officer_chat.say("/thongbao")
    officer_chat.expect("Gửi thông báo cho người đăng ký")
    await officer_chat.say("Từ 01/12/2026, Bộ phận Một cửa nhận hồ sơ hộ tịch cả sáng thứ Bảy.")
    officer_chat.expect("Gửi cho ai?")
    labels = [b.label for b in officer_chat.buttons]
    assert labels[:3] == [
        "Tất cả người đăng ký (3)",
        "Lĩnh vực Hộ tịch (2)",
        "Lĩnh vực Nuôi con nuôi (1)",
    ]
    assert "Lĩnh vực Chứng thực (3)" in labels
    await officer_chat.press("Lĩnh vực Hộ tịch")
    officer_chat.expect(
        "Xem lại trước khi gửi:",
        "Trung tâm Phục vụ hành chính công xã Bình An thông báo",
        "nhận hồ sơ hộ tịch cả sáng thứ Bảy.",
        "đã đăng ký nhận thông báo lĩnh vực Hộ tịch. Gõ /huythongbao để dừng.",
        "Người nhận: lĩnh vực Hộ tịch – 2 người.",
    )
    await officer_chat.press("Gửi cho 2 người")
    officer_chat.expect("Đã xếp hàng thông báo #1 cho 2 người.")
    await officer_chat.press("Xem tiến độ")
    officer_chat.expect("Đã gửi: 0 · Không gửi được: 0 · Còn lại: 2 (tổng 2)")

    sender = RecordingSender()
    assert await deliver(services, sender) == 2
    assert sorted(chat for chat, _ in sender.sent) == ["101", "102"]
    assert "<b>Trung tâm Phục vụ hành chính công xã Bình An thông báo</b>" in sender.sent[0][1].text
    # The report is queued by the round that sent the last message, and sent once.
    assert await deliver(services, sender) == 1
    assert await deliver(services, sender) == 0
    chat_id, report = sender.sent[-1]
    assert chat_id == "900"
    assert (
        "Thông báo #1 đã gửi xong" in report.text and "Đã gửi: 2 · Không gửi được: 0" in report.text
    )
    await officer_chat.say("/thongbao_ds")
    officer_chat.expect("#1 – 09:00 ngày 23/11/2026, lĩnh vực Hộ tịch", "Đã gửi 2/2")
    [entry] = await services.storage.officers.audit_entries(10)
    assert (entry.action, entry.actor, entry.target) == (AuditAction.BROADCAST_SENT, "900", "#1")
    assert entry.detail is not None and entry.detail.startswith("2 người nhận · lĩnh vực Hộ tịch")


async def test_a_prefilled_notice_marks_what_the_catalogue_lacks_and_cannot_be_sent_as_is(
    services: Services, officer_chat: Transcript, audience: dict[str, Transcript]
) -> None:
    await officer_chat.say("/thongbao")
    await officer_chat.press("Soạn từ một thủ tục")
    await officer_chat.press("Chứng thực")
    await officer_chat.press("Chứng thực bản sao từ bản chính")
    procedure = services.knowledge.catalogue.get("chung-thuc-ban-sao")
    assert procedure is not None
    officer_chat.expect(
        f"Thủ tục mới / sửa đổi: {procedure.name}",
        "Lĩnh vực: Chứng thực",
        *procedure.legal_basis,
        f"Quyết định công bố: {TO_FILL}: số, ngày quyết định công bố thủ tục",
    )
    await officer_chat.press("Dùng nội dung này")
    # Everyone first, then the procedure's own field.
    assert [b.label for b in officer_chat.buttons[:2]] == [
        "Tất cả người đăng ký (3)",
        "Lĩnh vực Chứng thực (3)",
    ]
    await officer_chat.press("Lĩnh vực Chứng thực")
    officer_chat.expect("còn chỗ", "bot không tự điền số, ngày quyết định")
    assert "Gửi cho" not in " ".join(b.label for b in officer_chat.buttons)
    await officer_chat.press_data("b:c")  # an old or forged button
    officer_chat.expect("còn chỗ", "nên chưa gửi")
    assert await services.storage.broadcasts.recent_broadcasts(5) == []

    # The officer copies the text, removes what cannot be filled in yet, sends it back.
    prefilled = prefilled_text(services, procedure)
    await officer_chat.say(
        "\n".join(line for line in prefilled.splitlines() if TO_FILL not in line)
    )
    officer_chat.expect("Người nhận: lĩnh vực Chứng thực – 3 người.")
    await officer_chat.press("Gửi cho 3 người")
    officer_chat.expect("Đã xếp hàng thông báo #1 cho 3 người.")
    sender = RecordingSender()
    await deliver(services, sender)
    assert sorted(chat for chat, _ in sender.sent[:3]) == ["101", "102", "103"]
    assert sender.sent[0][1].buttons[0][0].data == "p:c:chung-thuc-ban-sao"
    assert all(TO_FILL not in reply.text for _, reply in sender.sent)


async def test_cancelling_stops_what_is_not_sent_even_when_claimed(
    services: Services, officer_chat: Transcript, audience: dict[str, Transcript]
) -> None:
    await officer_chat.say("/thongbao Lịch tiếp dân tuần này đổi sang chiều thứ Năm.")
    await officer_chat.press("Tất cả người đăng ký")
    await officer_chat.press("Gửi cho 3 người")
    storage = services.storage
    [first] = await storage.outbox.claim_due(services.clock.now(), 1, [CHANNEL])
    sender = RecordingSender()
    worker = OutboxWorker(services, {CHANNEL: sender})
    await worker.deliver(first)  # one message went out
    [claimed] = await storage.outbox.claim_due(
        services.clock.now(), 1, [CHANNEL]
    )  # one in the worker

    await officer_chat.press("Hủy gửi")
    officer_chat.expect("Hủy gửi thông báo #1?")
    await officer_chat.press("⛔ Hủy gửi")
    officer_chat.expect(
        "Đã hủy thông báo #1: 1 tin chưa gửi sẽ không được gửi.",
        "Đã gửi: 1 · Không gửi được: 0 · Còn lại: 1 · Đã hủy: 1 (tổng 3)",
    )
    await worker.deliver(claimed)  # the worker renders it after the cancellation: not sent
    assert await worker.deliver_due() == 0
    assert len(sender.sent) == 1
    progress = await storage.broadcasts.broadcast_progress(1)
    assert (progress.sent, progress.cancelled, progress.left) == (1, 2, 0)
    await officer_chat.press_data("b:xy:1")
    officer_chat.expect("đã được hủy trước đó")
    actions = [e.action for e in await storage.officers.audit_entries(10)]
    assert actions == [AuditAction.BROADCAST_CANCELLED, AuditAction.BROADCAST_SENT]
    assert (await storage.outbox.outbox_counts())[OutboxStatus.CANCELLED] == 2


async def test_a_dossiers_message_goes_before_a_queued_broadcast(
    services: Services, officer_chat: Transcript, audience: dict[str, Transcript]
) -> None:
    await officer_chat.say("/thongbao Lịch tiếp dân tuần này đổi sang chiều thứ Năm.")
    await officer_chat.press("Tất cả người đăng ký")
    await officer_chat.press("Gửi cho 3 người")
    storage = services.storage
    await storage.dossiers.apply_dossiers([with_hash(dossier())], NOW, "import:a")
    await storage.follows.follow(ChatRef(CHANNEL, "555"), dossier().code_key, None, "đồng ý", NOW)
    await storage.dossiers.apply_dossiers(
        [with_hash(dossier(status=Status.READY))], NOW, "import:b"
    )
    [first] = await storage.outbox.claim_due(services.clock.now(), 1, [CHANNEL])
    assert (first.message.kind, first.message.chat_id) == ("dossier-status", "555")


async def test_nobody_subscribed_and_bad_texts(
    services: Services, officer_chat: Transcript
) -> None:
    await officer_chat.say("/thongbao")
    await officer_chat.say("ngắn")
    officer_chat.expect("Nội dung thông báo cần từ 10 đến 3000 ký tự (đang có 4)")
    await officer_chat.say("Một thông báo đủ dài nhưng chưa ai đăng ký.")
    officer_chat.expect("Chưa có ai đăng ký nhận thông báo")
    assert [b.data for b in officer_chat.buttons] == ["menu:start"]  # nothing to send


async def test_the_officers_text_is_escaped_for_telegram(
    services: Services, officer_chat: Transcript, audience: dict[str, Transcript]
) -> None:
    await officer_chat.say("/thongbao Giờ làm việc <b>mới</b> & lịch trực: 7h30 – 11h30.")
    await officer_chat.press("Tất cả người đăng ký")
    await officer_chat.press("Gửi cho 3 người")
    sender = RecordingSender()
    await deliver(services, sender)
    assert "Giờ làm việc &lt;b&gt;mới&lt;/b&gt; &amp; lịch trực" in sender.sent[0][1].text


# -- the command line -----------------------------------------------------------------------


async def test_command_line_queues_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(data_dir))
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    async with running_services(settings) as services:
        for chat_id, topic in (("1", "ho-tich"), ("2", "chung-thuc"), ("3", ALL_TOPICS)):
            await services.storage.broadcasts.subscribe(
                ChatRef("telegram", chat_id), topic, "ok", NOW
            )

    async def motcua(*argv: str) -> int:  # `main` runs its own event loop: in a thread
        return await asyncio.to_thread(main, list(argv))

    assert await motcua("broadcast", "--text", "Nghỉ làm việc chiều 24/11.", "--field", "xyz") == 2
    assert "Không có lĩnh vực «xyz». Các lĩnh vực: ho-tich (Hộ tịch)" in capsys.readouterr().err
    assert await motcua("broadcast", "--text", f"Quyết định {TO_FILL}: số]", "--yes") == 2
    text = "Bộ phận Một cửa nghỉ làm việc chiều 24/11 (Ngày Văn hóa Việt Nam)."
    assert await motcua("broadcast", "--text", text, "--field", "ho-tich") == 2  # no tty, no --yes
    assert await motcua("broadcast", "--text", text, "--field", "ho-tich", "--yes") == 0
    out = capsys.readouterr().out
    assert "Người nhận: lĩnh vực Hộ tịch – 2 người." in out
    assert "Đã xếp hàng thông báo #1 cho 2 người." in out

    async with running_services(settings) as services:
        progress = await services.storage.broadcasts.broadcast_progress(1)
        assert progress.pending == 2
        [entry] = await services.storage.officers.audit_entries(5)
        assert entry.channel == "cli" and entry.actor.startswith("cli:")
    async with aiosqlite.connect(data_dir / "motcua.sqlite3") as db:
        rows = await db.execute_fetchall(
            "SELECT chat_id FROM outbox WHERE broadcast_id = 1 ORDER BY chat_id"
        )
    assert [r[0] for r in rows] == ["1", "3"]


async def test_every_officer_screen_is_valid_telegram_html(
    services: Services, dispatcher: Dispatcher, audience: dict[str, Transcript]
) -> None:
    """Telegram refuses a message whose HTML it cannot parse (400): the officer's text, with
    its own < and &, must be escaped exactly once on every screen."""
    officer = Transcript(dispatcher, user_id="900", text_format=TextFormat.HTML)
    screens: list[str] = []
    for step in (
        officer.say("/thongbao"),
        officer.say("Giờ làm việc <b>mới</b> & lịch trực: 7h30 – 11h30."),
        officer.press("Tất cả người đăng ký"),
        officer.press("Gửi cho 3 người"),
        officer.press("Xem tiến độ"),
        officer.press("Hủy gửi"),
        officer.press("⛔ Hủy gửi"),
        officer.say("/thongbao_ds"),
        officer.say("/nhatky"),
        officer.say("/canbo"),
        officer.say("/canbo giup"),
        officer.say("/canbo them <b>"),
        officer.say("/trogiup"),
        officer.say("/dangkythongbao"),
        officer.say("/thongbao"),
        officer.press("Soạn từ một thủ tục"),
        officer.press("Hộ tịch"),
        officer.press("Đăng ký khai sinh"),
        officer.press("Dùng nội dung này"),
        officer.press("Lĩnh vực Hộ tịch"),
    ):
        await step
        screens.append(officer.text)
    for screen in screens:
        visible = visible_text(screen, "HTML")  # raises as Telegram would
        assert "&lt;" not in visible and "&amp;" not in visible
    assert "Giờ làm việc <b>mới</b> & lịch trực" in visible_text(screens[2], "HTML")


# -- the volunteers' audience -----------------------------------------------------------------


async def volunteers(services: Services, statuses: dict[str, bool | None]) -> None:
    """Volunteers who asked to join (issue 7); True approved, False refused, None pending.
    The messages telling them the decision are sent (and forgotten) here."""
    storage = services.storage
    for user_id, approve in statuses.items():
        volunteer = Volunteer(
            CHANNEL, user_id, user_id, f"Tình nguyện viên {user_id}", "Tổ 1", "Thôn Đông",
            VolunteerStatus.PENDING, NOW,
        )  # fmt: skip
        await storage.care.request_volunteer(volunteer, NOW, [])
        if approve is not None:
            entry = AuditEntry(NOW, CHANNEL, "900", None, AuditAction.VOLUNTEER_DECIDED, user_id)
            await storage.care.decide_volunteer(CHANNEL, user_id, approve, entry, NOW)
    await deliver(services, RecordingSender())


async def test_an_officer_sends_a_notice_to_the_approved_volunteers(
    services: Services, officer_chat: Transcript, audience: dict[str, Transcript]
) -> None:
    await volunteers(services, {"301": True, "302": True, "303": None, "304": False})
    await officer_chat.say("/thongbao Từ tháng 12, tổ công nghệ số giúp dân tại nhà văn hóa.")
    labels = [b.label for b in officer_chat.buttons]
    assert labels[0] == "Tất cả người đăng ký (3)"
    assert labels[-2:] == ["Tình nguyện viên (2)", "Hủy"]
    await officer_chat.press("Tình nguyện viên")
    officer_chat.expect(
        "tổ công nghệ số giúp dân tại nhà văn hóa.",
        "Ông/bà nhận tin này vì là tình nguyện viên của Trung tâm Phục vụ hành chính công xã",
        "Người nhận: tình nguyện viên – 2 người.",
    )
    officer_chat.expect_not("/huythongbao")
    await officer_chat.press("Gửi cho 2 người")
    officer_chat.expect("Đã xếp hàng thông báo #1 cho 2 người.")

    sender = RecordingSender()
    assert await deliver(services, sender) == 2
    assert sorted(chat for chat, _ in sender.sent) == ["301", "302"]  # not pending, not refused
    assert "vì là tình nguyện viên" in sender.sent[0][1].text
    await deliver(services, sender)
    chat_id, report = sender.sent[-1]
    assert chat_id == "900" and "Người nhận: tình nguyện viên – 2 người." in report.text
    await officer_chat.say("/thongbao_ds")
    officer_chat.expect("#1 – 09:00 ngày 23/11/2026, tình nguyện viên", "Đã gửi 2/2")
    [entry, *_] = await services.storage.officers.audit_entries(10)
    assert entry.action is AuditAction.BROADCAST_SENT
    assert entry.detail is not None and entry.detail.startswith("2 người nhận · tình nguyện viên")


async def test_volunteers_are_an_audience_when_nobody_subscribed(
    services: Services, officer_chat: Transcript
) -> None:
    await volunteers(services, {"301": True})
    await officer_chat.say("/thongbao Lịch tập huấn tình nguyện viên: 8 giờ thứ Bảy.")
    assert [b.label for b in officer_chat.buttons] == ["Tình nguyện viên (1)", "Hủy"]


async def test_command_line_sends_to_the_volunteers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(data_dir))
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    text = "Tập huấn tình nguyện viên sáng thứ Bảy tại hội trường xã."

    async def motcua(*argv: str) -> int:  # `main` runs its own event loop: in a thread
        return await asyncio.to_thread(main, list(argv))

    assert await motcua("broadcast", "--text", text, "--volunteers", "--yes") == 1
    assert "Chưa có ai trong nhóm nhận «tình nguyện viên»: chưa gửi." in capsys.readouterr().err
    async with running_services(settings) as services:
        await services.storage.broadcasts.subscribe(ChatRef(CHANNEL, "1"), ALL_TOPICS, "ok", NOW)
        await volunteers(services, {"301": True, "302": None})
    assert await motcua("broadcast", "--text", text, "--volunteers", "--yes") == 0
    out = capsys.readouterr().out
    assert "vì là tình nguyện viên của" in out
    assert "Người nhận: tình nguyện viên – 1 người." in out
    async with running_services(settings) as services:
        sender = RecordingSender()
        await deliver(services, sender)
        assert [chat for chat, _ in sender.sent] == ["301"]
