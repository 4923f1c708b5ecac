"""Conversations, read as transcripts: what a citizen types and what the bot answers."""

from __future__ import annotations

import logging

import pytest

from bot.app import Dispatcher
from core.messages import MAX_REPLY_CHARS, TextFormat, Unsupported
from handlers import procedure_view
from handlers.context import Services
from handlers.routing import On, Route
from tests.transcript import Transcript


async def test_start_says_what_the_bot_does_in_three_lines_with_buttons(chat: Transcript) -> None:
    [reply] = await chat.say("/start")
    # The greeting, then (first contact only, issue 7) the short privacy notice.
    greeting, notice = reply.text.split("\n\n")
    assert len(greeting.splitlines()) == 3
    assert "/xoadulieu" in notice
    chat.expect("Xin chào ông/bà")
    assert [b.label for b in chat.buttons] == [
        "❓ Hỏi về một thủ tục",
        "📚 Xem thủ tục theo lĩnh vực",
        "🔎 Tra cứu hồ sơ đã nộp",
        "📞 Gọi cho Bộ phận Một cửa",
    ]


async def test_question_gets_a_short_card_with_detail_buttons(chat: Transcript) -> None:
    await chat.say("đăng ký kết hôn cần mang gì")
    first = chat.last[0]
    assert first.text.startswith("Đăng ký kết hôn")
    assert len(first.text) < 1200, "the first screen must fit a phone"
    for label in ("Thời gian:", "Lệ phí:", "Nộp hồ sơ:", "Căn cứ:"):
        assert label in first.text
    # The question asked what to bring: the documents follow the card at once.
    chat.expect("Giấy tờ cần chuẩn bị", "Tờ khai")
    await chat.press("Lệ phí")
    chat.expect("Lệ phí", "Căn cứ")
    await chat.press("Thời gian")
    chat.expect("Thời gian giải quyết")
    await chat.press("Nộp ở đâu")
    chat.expect("Các bước:", "Giờ làm việc")


async def test_a_card_tells_where_people_moved_by_law(chat: Transcript) -> None:
    """Luật Bảo hiểm xã hội 2024, Điều 21–22: the over-75s without a pension moved from the
    monthly social allowance to the trợ cấp hưu trí xã hội on 1/7/2025 (`took_over_from`);
    each card says so, and the choice between them keeps both."""
    await chat.say("ông 76 tuổi xin hưu trí xã hội cần giấy gì")
    pension = chat.last[0].text
    assert pension.startswith("Thực hiện, điều chỉnh, thôi hưởng trợ cấp hưu trí xã hội")
    assert "Trước 01/07/2025, người từ đủ 75 tuổi không có lương hưu" in pension
    assert "thuộc thủ tục “Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng" in pension
    await chat.say("trợ cấp xã hội hằng tháng cho người khuyết tật nặng")
    allowance = chat.last[0].text
    assert "Từ 01/07/2025, người từ đủ 75 tuổi" in allowance
    assert "chuyển sang thủ tục “Thực hiện, điều chỉnh, thôi hưởng trợ cấp hưu trí" in allowance


async def test_fee_question_opens_the_fee_section(chat: Transcript) -> None:
    await chat.say("công chứng giấy tờ photo hết bao nhiêu tiền")
    assert chat.last[0].text.startswith("Chứng thực bản sao")
    chat.expect("2.000 đ")


@pytest.mark.parametrize(
    ("question", "card", "section"),
    [
        # A deadline asked after "phải ra xã", which only tells where one goes.
        ("mẹ mất hôm qua, phải lên xã làm khai tử trong vòng bao nhiêu ngày ạ",
            "Đăng ký khai tử", "Thời gian giải quyết"),
        # The fee of a deed with no question word; an officer coming home is where (the where
        # section says the visit).
        ("phí chứng thực chữ ký", "Chứng thực chữ ký", "Lệ phí"),
        ("ông tôi nằm liệt giường, làm di chúc thì cán bộ tư pháp có xuống tận nhà không",
            "Chứng thực di chúc", "tại nhà"),
        # The fee asked after a yes/no where.
        ("khai tử làm ở xã được không, mất bao nhiêu tiền", "Đăng ký khai tử", "Lệ phí"),
        # The office's hours asked about a procedure: its time, with the hours.
        ("đăng ký kết hôn thì mấy giờ xã mở cửa", "Đăng ký kết hôn", "Giờ làm việc: Thứ"),
    ],
)  # fmt: skip
async def test_the_part_asked_in_everyday_words_opens_its_section(
    chat: Transcript, question: str, card: str, section: str
) -> None:
    await chat.say(question)
    assert chat.last[0].text.startswith(card)
    assert len(chat.last) == 2 and section in chat.last[1].text


async def test_follow_up_about_an_aspect_uses_the_procedure_last_shown(
    chat: Transcript, services: Services
) -> None:
    await chat.say("đăng ký khai tử")
    # A new dispatcher (as after a restart) still knows the conversation: state is in the database.
    chat.dispatcher = Dispatcher(services)
    await chat.say("mất bao lâu?")
    chat.expect("Thời gian giải quyết – Đăng ký khai tử")


async def test_related_procedures_are_one_tap_away(chat: Transcript) -> None:
    await chat.say("khai sinh")
    await chat.press("Thủ tục liên quan")
    await chat.press("Cấp bản sao trích lục hộ tịch")
    assert chat.last[0].text.startswith("Cấp bản sao trích lục hộ tịch")


async def test_tien_gia_offers_the_social_pension_one_tap_away(chat: Transcript) -> None:
    """Issue 16 §7: "tiền già" is the monthly social allowance's everyday name, but from 75
    without a pension the law in force is the social pension (NĐ 176/2025): the card says so on
    its second line and the pension is its first related procedure."""
    await chat.say("tiền già")
    chat.expect("trợ cấp xã hội hàng tháng", "Người từ đủ 75 tuổi không có lương hưu")
    await chat.press("Thủ tục liên quan")
    await chat.press("Thực hiện, điều chỉnh, thôi hưởng trợ cấp hưu trí xã hội")
    chat.expect("từ đủ 75 tuổi", "10 ngày làm việc")


async def test_vague_question_offers_choices(chat: Transcript) -> None:
    await chat.say("trợ cấp")
    chat.expect("Có phải ông/bà muốn hỏi")
    names = [b.label for b in chat.buttons]
    assert 3 <= len(names) <= 5 and names[-1] == "Không phải — xem theo lĩnh vực"
    await chat.press(names[0])
    assert chat.last[0].text.startswith(names[0])


async def test_a_close_second_is_offered_beside_the_answer(chat: Transcript) -> None:
    # The whole name of one procedure said ("nhập hộ khẩu"), a neighbour close behind.
    await chat.say("nhập hk cho con dâu")
    chat.expect("Đăng ký thường trú")
    assert any(b.label.startswith("Hoặc: ") for b in chat.buttons), chat.buttons


async def test_a_close_call_is_a_choice_with_the_likelier_first(chat: Transcript) -> None:
    # Register a death (its result is a "trích lục khai tử"), or a copy of its record? The
    # names alone tie; how people ask (knowledge/examples.yaml) puts the copy first.
    await chat.say("trích lục khai tử")
    chat.expect("Có phải ông/bà muốn hỏi")
    labels = [b.label for b in chat.buttons]
    assert labels[:2] == ["Cấp bản sao trích lục hộ tịch", "Đăng ký khai tử"], labels


async def test_a_tie_is_a_choice_not_a_guess(chat: Transcript) -> None:
    await chat.say("bản sao")  # a copy certified, or a copy of a civil-status record?
    chat.expect("Có phải ông/bà muốn hỏi")
    labels = [b.label for b in chat.buttons]
    assert "Cấp bản sao trích lục hộ tịch" in labels and any(
        "Chứng thực bản sao" in x for x in labels
    )


async def test_unknown_question_gets_fields_and_the_office_phone(
    chat: Transcript, services: Services
) -> None:
    await chat.say("giá vàng hôm nay bao nhiêu")
    chat.expect("chưa tìm được thủ tục", services.knowledge.catalogue.commune.phone)
    assert any(b.label == "Hộ tịch" for b in chat.buttons)


async def test_passport_is_referred_elsewhere(chat: Transcript) -> None:
    await chat.say("làm hộ chiếu ở đâu")
    chat.expect("Công an")
    chat.expect_not("Đăng ký")


async def test_greeting_and_thanks_are_answered_politely(chat: Transcript) -> None:
    await chat.say("xin chào")
    chat.expect("Xin chào ông/bà")
    await chat.say("cảm ơn nhiều nhé")
    chat.expect("không có gì")


async def test_browse_by_field(chat: Transcript) -> None:
    await chat.say("/linhvuc")
    await chat.press("Chứng thực")
    chat.expect("Lĩnh vực Chứng thực")
    await chat.press("Chứng thực di chúc")
    assert chat.last[0].text.startswith("Chứng thực di chúc")


async def test_thutuc_command_with_and_without_question(chat: Transcript) -> None:
    await chat.say("/thutuc")
    chat.expect("Ông/bà gõ tên thủ tục")
    await chat.say("/thutuc đăng ký tạm trú")
    assert chat.last[0].text.startswith("Đăng ký tạm trú")


async def test_unknown_command_and_stickers_get_help(chat: Transcript) -> None:
    await chat.say("/xyz")
    chat.expect("Tôi không có lệnh /xyz")
    await chat.send_unsupported(Unsupported.STICKER)
    chat.expect("tôi chỉ đọc được chữ")


async def test_help_shows_officer_notes_only_to_officers(
    chat: Transcript, officer_chat: Transcript
) -> None:
    await chat.say("/trogiup")
    chat.expect_not("Dành cho cán bộ")
    await officer_chat.say("/trogiup")
    officer_chat.expect("Dành cho cán bộ")


async def test_officers_see_what_the_catalogue_must_still_confirm(
    chat: Transcript, officer_chat: Transcript, services: Services
) -> None:
    procedure = next(p for p in services.knowledge.catalogue if p.to_confirm)
    await officer_chat.say(f"/thutuc {procedure.name}")
    officer_chat.expect("Cán bộ lưu ý")
    await chat.say(f"/thutuc {procedure.name}")
    chat.expect_not("Cán bộ lưu ý")


async def test_stale_button_after_a_catalogue_change(chat: Transcript) -> None:
    await chat.press_data("p:g:thu-tuc-da-bo")
    chat.expect("danh mục thủ tục vừa được cập nhật")


async def test_a_failing_handler_gives_a_short_apology_and_is_logged(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_ctx: object) -> list[object]:
        raise RuntimeError("boom")

    chat = Transcript(Dispatcher(services, [Route(On.TEXT, broken)]))  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR):
        await chat.say("khai sinh")
    chat.expect("Xin lỗi ông/bà, tôi đang gặp trục trặc")
    chat.expect_not("boom")
    assert "boom" in caplog.text and "Traceback" in caplog.text


@pytest.mark.parametrize("text_format", list(TextFormat))
async def test_no_reply_exceeds_the_limit_for_any_procedure_and_section(
    services: Services, text_format: TextFormat
) -> None:
    chat = Transcript(Dispatcher(services), text_format=text_format)
    for procedure in services.knowledge.catalogue:
        for section in procedure_view.SECTIONS:
            replies = await chat.press_data(f"p:{section}:{procedure.id}")
            for reply in replies:
                assert 0 < len(reply.text) <= MAX_REPLY_CHARS, (procedure.id, section)
                assert "{{" not in reply.text and "None" not in reply.text, reply.text


async def test_html_replies_escape_catalogue_text(services: Services) -> None:
    chat = Transcript(Dispatcher(services), text_format=TextFormat.HTML)
    await chat.say("chứng thực hợp đồng")
    text = chat.last[0].text
    assert text.startswith("<b>Chứng thực hợp đồng")
    body = text.replace("<b>", "").replace("</b>", "").replace("<i>", "").replace("</i>", "")
    assert "<" not in body and ">" not in body
