"""Issue 14: what people hit first, as transcripts on the terminal and as Telegram delivers it —
the part asked about, an aspect alone, near-misses, long stories, thanks, a dossier question,
a number that presses nothing, and a way on under every reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Dispatcher
from tests.transcript import Transcript, channel_transcript


@pytest.fixture(params=["console", "telegram"])
def talk(request: pytest.FixtureRequest, dispatcher: Dispatcher, tmp_path: Path) -> Transcript:
    return channel_transcript(dispatcher, request.param, "701", files_dir=tmp_path)


def _card_title(talk: Transcript) -> str:
    return talk.seen.split("\n", 1)[0]


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        ("làm giấy khai sinh cần gì", "Đăng ký khai sinh"),
        ("lam giay khai sinh can gi", "Đăng ký khai sinh"),
        ("khai tu can gi", "Đăng ký khai tử"),
        ("ket hon can chi", "Đăng ký kết hôn"),
        ("đăng ký kết hôn can j", "Đăng ký kết hôn"),
        ("khai tử mang theo gì", "Đăng ký khai tử"),
        ("hồ sơ kết hôn gồm những gì", "Đăng ký kết hôn"),
        ("thủ tục khai sinh ntn", "Đăng ký khai sinh"),
        ("d9a8ng ky1 ke6t1 ho6n ca62n gi2", "Đăng ký kết hôn"),  # VNI keystrokes
        ("làm ks cho con cần cccd của bố mẹ không", "Đăng ký khai sinh"),
    ],
)
async def test_every_way_of_asking_what_to_bring_opens_the_documents(
    talk: Transcript, question: str, procedure: str
) -> None:
    await talk.say(question)
    assert _card_title(talk) == procedure
    talk.sees(f"Giấy tờ cần chuẩn bị – {procedure}")
    talk.every_reply_has_a_button()
    assert "🏠 Về đầu" in [b.label for b in talk.buttons]


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("đăng ký tạm trú mất bao nhiêu tiền", "Lệ phí – Đăng ký tạm trú"),
        ("đăng ký tạm trú mấy ngày thì xong", "Thời gian giải quyết – Đăng ký tạm trú"),
        ("đăng ký tạm trú nộp ở đâu", "Nộp ở đâu, nộp thế nào – Đăng ký tạm trú"),
        ("đăng ký tạm trú online được không", "Nộp ở đâu, nộp thế nào – Đăng ký tạm trú"),
        ("ai được đi đăng ký tạm trú", "Ai được nộp hồ sơ – Đăng ký tạm trú"),
        # in other words: "như thế nào" beside online, time spent, a person's consent, the office
        ("đăng ký tạm trú trên vneid như thế nào", "Nộp ở đâu, nộp thế nào – Đăng ký tạm trú"),
        ("đăng ký tạm trú có tốn nhiều thời gian không", "Thời gian giải quyết – Đăng ký tạm trú"),
        ("đăng ký tạm trú có cần chủ nhà đồng ý không", "Ai được nộp hồ sơ – Đăng ký tạm trú"),
        ("giấy xác nhận tạm trú do ai cấp", "Nộp ở đâu, nộp thế nào – Đăng ký tạm trú"),
    ],
)
async def test_fee_time_where_online_and_who(talk: Transcript, question: str, section: str) -> None:
    await talk.say(question)
    talk.sees(section)
    talk.every_reply_has_a_button()


async def test_a_procedure_chosen_for_a_part_asked_opens_that_part(talk: Transcript) -> None:
    # Two procedures fit alike: the person chooses, and still sees the part asked about.
    await talk.say("trích lục khai tử mất bao lâu")
    talk.sees("Có phải ông/bà muốn hỏi")
    await talk.press("Đăng ký khai tử")
    assert _card_title(talk) == "Đăng ký khai tử"
    talk.sees("Thời gian giải quyết – Đăng ký khai tử")
    talk.every_reply_has_a_button()
    await talk.press("💰 Lệ phí")  # a button of the card shown: that section alone
    talk.sees("Lệ phí – Đăng ký khai tử")
    assert not talk.seen.startswith("Đăng ký khai tử\n")


async def test_an_aspect_alone_is_about_the_procedure_shown_last(talk: Transcript) -> None:
    await talk.say("đăng ký kết hôn")
    assert _card_title(talk) == "Đăng ký kết hôn"
    for question, section in [
        ("cần gì", "Giấy tờ cần chuẩn bị"),
        ("bao nhiêu tiền", "Lệ phí"),
        ("mấy ngày", "Thời gian giải quyết"),
        ("nộp ở đâu", "Nộp ở đâu, nộp thế nào"),
        ("ai được đi nộp", "Ai được nộp hồ sơ"),
    ]:
        await talk.say(question)
        talk.sees(f"{section} – Đăng ký kết hôn")
        talk.every_reply_has_a_button()


async def test_an_aspect_alone_with_nothing_shown_asks_which_procedure(talk: Transcript) -> None:
    await talk.say("bao nhiêu tiền")
    talk.sees("muốn hỏi 💰 lệ phí của thủ tục nào")
    assert "Hộ tịch" in [b.label for b in talk.buttons]


@pytest.mark.parametrize(
    "message",
    [
        "con tôi sinh nhật",
        "em tôi đang đi nghĩa vụ quân sự bao giờ về phép",
        "chó nhà tôi chết chôn ở đâu",
        "thư viện huyện mở cửa mấy giờ",
        "mua đất ở đâu rẻ",
    ],
)
async def test_near_misses_get_no_procedure_card(talk: Transcript, message: str) -> None:
    await talk.say(message)
    assert not talk.seen.startswith(("Đăng ký", "Chứng thực", "Hỗ trợ", "Cấp")), talk.seen
    talk.every_reply_has_a_button()


async def test_a_question_about_a_dossier_offers_the_lookup(talk: Transcript) -> None:
    await talk.say("hồ sơ của tôi đến đâu rồi")
    talk.sees("mã hồ sơ", "000.00.19.H47-260105-0001")
    talk.sees_not("phạt", "giao thông")
    await talk.press("Tra cứu hồ sơ đã nộp")
    talk.sees("gõ mã hồ sơ")


async def test_a_long_story_is_answered_by_its_need(talk: Transcript) -> None:
    await talk.say(
        "Vợ chồng tôi lấy nhau 10 năm mà chưa có con, đi chữa nhiều nơi không được. "
        "Giờ muốn nhận một bé về nuôi"
    )
    assert _card_title(talk) == "Đăng ký việc nuôi con nuôi trong nước"


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("cam on nhieu nha", "không có gì"),
        ("dạ em cảm ơn ạ", "không có gì"),
        ("chào cháu", "Xin chào"),
    ],
)
async def test_thanks_and_greetings_get_a_warm_reply(
    talk: Transcript, message: str, reply: str
) -> None:
    await talk.say(message)
    talk.sees(reply)
    talk.sees_not("chưa tìm được thủ tục")
    talk.every_reply_has_a_button()


@pytest.mark.parametrize(
    # An abbreviation ("tt") or first letters ("dktt") that two names share: the person chooses.
    "message",
    ["đăng ký tt", "dktt cho con"],
)
async def test_an_abbreviation_that_leaves_a_choice_asks(talk: Transcript, message: str) -> None:
    await talk.say(message)
    talk.sees("Có phải ông/bà muốn hỏi")
    labels = [b.label for b in talk.buttons]
    assert "Đăng ký tạm trú" in labels and "Đăng ký thường trú" in labels


async def test_a_number_is_not_searched_as_a_question(talk: Transcript) -> None:
    await talk.say("cảm ơn")
    await talk.say("7")  # on the terminal: beyond the choices shown, so typed text
    talk.sees("chưa hiểu số 7")
    talk.sees_not("chưa tìm được thủ tục")
    talk.every_reply_has_a_button()


@pytest.mark.parametrize(
    "message",
    [
        "/thutuc",  # a prompt for typed input
        "/tracuu",
        "7",
        "xyzt qwer",  # not understood
        "cảm ơn",
        "ok",
        "con tôi sinh nhật",
        "/phananh",
        "/tinhnguyenvien",
        "/khonglenhnay",
        "làm hộ chiếu",  # a referral
        "khai sinh",
    ],
)
async def test_every_reply_has_a_way_on(talk: Transcript, message: str) -> None:
    """Issue 14: on every channel no reply ends without a button to go on."""
    await talk.say(message)
    talk.every_reply_has_a_button()


async def test_home_leaves_a_step_half_done(talk: Transcript) -> None:
    await talk.say("/tinhnguyenvien")
    await talk.press("Đồng ý, đăng ký")  # the bot now waits for a name…
    await talk.press("Về đầu")
    await talk.say("khai tử")  # …which this is not
    assert _card_title(talk) == "Đăng ký khai tử"


# -- the blind set's categories (2026-12-08): real needs said in everyday ways ---------------


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        ("mần giấy khai sanh cho con được hông", "Đăng ký khai sinh"),  # dialect, yes/no
        ("con tôi mới sinh thì có phải ra xã làm giấy không", "Đăng ký khai sinh"),
        ("nhập khẩu cho vợ", "Đăng ký thường trú"),  # everyday names
        ("làm giấy hôn thú", "Đăng ký kết hôn"),
        ("làm giấy báo tử cho bà ở xã", "Đăng ký khai tử"),
        ("xin birth certificate cho con", "Đăng ký khai sinh"),  # English mixed in
        ("register military service", "Đăng ký nghĩa vụ quân sự lần đầu"),
    ],
)
async def test_real_needs_in_everyday_words_get_the_procedure(
    talk: Transcript, question: str, procedure: str
) -> None:
    await talk.say(question)
    assert _card_title(talk) == procedure
    talk.every_reply_has_a_button()


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("khai tử ra xã hay lên huyện", "Nộp ở đâu, nộp thế nào – Đăng ký khai tử"),
        ("đăng ký kết hôn ở xã vợ hay xã chồng", "Nộp ở đâu, nộp thế nào – Đăng ký kết hôn"),
        ("đăng ký tạm trú mất đồng nào không", "Lệ phí – Đăng ký tạm trú"),
        ("đăng ký tạm trú phí nhiêu", "Lệ phí – Đăng ký tạm trú"),
        ("đăng ký thường trú chủ hộ có phải đi không", "Ai được nộp hồ sơ – Đăng ký thường trú"),
        ("đăng ký kết hôn ck đi một mình được không", "Ai được nộp hồ sơ – Đăng ký kết hôn"),
    ],
)
async def test_the_part_asked_about_in_everyday_words(
    talk: Transcript, question: str, section: str
) -> None:
    await talk.say(question)
    talk.sees(section)
    talk.every_reply_has_a_button()


async def test_an_everyday_aspect_alone_is_about_the_procedure_shown_last(talk: Transcript) -> None:
    await talk.say("làm giấy hôn thú")
    assert _card_title(talk) == "Đăng ký kết hôn"
    for question, section in [
        ("mất đồng nào không", "Lệ phí"),
        ("ra xã hay lên huyện", "Nộp ở đâu, nộp thế nào"),
        ("vợ đi một mình được không", "Ai được nộp hồ sơ"),
        ("cần chi", "Giấy tờ cần chuẩn bị"),
    ]:
        await talk.say(question)
        talk.sees(f"{section} – Đăng ký kết hôn")
        talk.every_reply_has_a_button()


@pytest.mark.parametrize(
    "message",
    [
        "nhận nuôi chó",
        "ông tôi là thương binh, hồi trẻ ông viết sách về chiến tranh",
        "hồi trước mẹ tôi làm khai sinh cho cả xóm",
        "con tôi được giấy khen học sinh giỏi",
    ],
)
async def test_a_shared_word_without_a_need_gets_no_card(talk: Transcript, message: str) -> None:
    await talk.say(message)
    assert not talk.seen.startswith(("Đăng ký", "Chứng thực", "Hỗ trợ", "Tặng", "Giải quyết"))
    talk.every_reply_has_a_button()


async def test_what_was_done_already_is_context_not_the_need(talk: Transcript) -> None:
    await talk.say(
        "Ông tôi mất tháng trước, nhà đã làm khai tử xong rồi. Ông đang hưởng trợ cấp bảo trợ "
        "xã hội. Giờ nhà muốn xin tiền hỗ trợ mai táng"
    )
    assert _card_title(talk) == "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội"


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("dạ cảm ơn cô nhiều lắm", "không có gì"),
        ("cám ơn chú nhiều nghen", "không có gì"),
        ("chào chú", "Xin chào"),
    ],
)
async def test_thanks_and_greetings_to_an_elder_get_a_warm_reply(
    talk: Transcript, message: str, reply: str
) -> None:
    await talk.say(message)
    talk.sees(reply)
    talk.sees_not("chưa tìm được thủ tục", "Có phải ông/bà muốn hỏi")
    talk.every_reply_has_a_button()


async def test_a_document_named_inside_a_question_on_an_everyday_name(talk: Transcript) -> None:
    await talk.say("nhập khẩu cho con có cần giấy khai sinh không")
    assert _card_title(talk) == "Đăng ký thường trú"
    talk.sees("Giấy tờ cần chuẩn bị – Đăng ký thường trú")


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("tui đăng ký tạm trú thay cho nó được không", "Ai được nộp hồ sơ – Đăng ký tạm trú"),
        ("dang ky tam tru no co phai co mat khong", "Ai được nộp hồ sơ – Đăng ký tạm trú"),
        ("đăng ký tạm trú làm trên điện thoại được không",
         "Nộp ở đâu, nộp thế nào – Đăng ký tạm trú"),
        ("đăng ký tạm trú lấy liền được không", "Thời gian giải quyết – Đăng ký tạm trú"),
        ("dang ky tam tru nooj ow ddaau", "Nộp ở đâu, nộp thế nào – Đăng ký tạm trú"),
        ("ctck hết bao nhiêu tiền", "Lệ phí – Chứng thực chữ ký"),
    ],
)  # fmt: skip
async def test_the_blind_sets_ways_of_asking_open_the_part(
    talk: Transcript, question: str, section: str
) -> None:
    """Who, online, time and where in everyday words, Telex with a key left out, and the first
    letters of a name ("ctck": chứng thực chữ ký)."""
    await talk.say(question)
    talk.sees(section)
    talk.every_reply_has_a_button()
