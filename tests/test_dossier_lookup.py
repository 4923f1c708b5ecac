"""Looking up, following and forgetting dossiers, as transcripts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.app import Dispatcher
from core.clock import FixedClock
from core.dossiers import Status
from handlers.context import LookupPolicy, Services
from storage.base import ChatRef
from tests.dossier_fixtures import CODE, NO_PHONE_CODE, OTHER_CODE, dossier, with_hash
from tests.transcript import Transcript, channel_transcript

NOW = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture
async def seeded(services: Services) -> Services:
    await services.storage.dossiers.apply_dossiers(
        [
            with_hash(dossier()),
            with_hash(dossier(OTHER_CODE, status=Status.READY, name="Trần Thị Bích Ngọc")),
            with_hash(dossier(NO_PHONE_CODE, phone=None, status=Status.SUPPLEMENT)),
        ],
        NOW,
        "import:test.csv",
    )
    return services


async def test_a_code_anywhere_in_a_message_is_looked_up(
    seeded: Services, chat: Transcript
) -> None:
    await chat.say("cho hỏi hồ sơ của em mã 000.00.19.h47 – 261116 – 0007 đến đâu rồi ạ")
    chat.expect("4 chữ số cuối", CODE)
    chat.expect_not("Nguyễn", "0912")


async def test_second_factor_then_status_card_with_masked_name(
    seeded: Services, chat: Transcript
) -> None:
    await chat.say(CODE.lower())
    await chat.say("1111")
    chat.expect("chưa khớp")
    await chat.say("5678")
    chat.expect(
        f"Hồ sơ {CODE}",
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        "Nguyễn V*** A**",
        "Đang giải quyết",
        "👉",
        "Thứ Năm, 19/11/2026",
    )
    chat.expect_not("Nguyễn Văn An", "0912", "345")
    # 19/11 has passed on 23/11 without a result: the card says so.
    chat.expect("quá ngày hẹn trả 2 ngày làm việc")


async def test_dossier_without_phone_is_told_by_the_office(
    seeded: Services, chat: Transcript
) -> None:
    """No digits can prove it: asked like any other code, never shown (issue 15)."""
    await chat.say(f"ma ho so {NO_PHONE_CODE}")
    chat.expect("4 chữ số cuối")
    await chat.say("0000")
    chat.expect("chưa khớp", "không khai số điện thoại thì chỉ tra cứu được tại Bộ phận Một cửa")
    chat.expect_not("Chờ bổ sung")


async def test_unknown_code_says_what_to_check_after_the_digits(
    seeded: Services, chat: Transcript
) -> None:
    await chat.say("000.00.19.H47-260101-9999")
    chat.expect("4 chữ số cuối")
    await chat.say("1234")
    chat.expect("chưa khớp", "giấy tiếp nhận", seeded.knowledge.catalogue.commune.phone)


async def test_known_and_unknown_codes_answer_alike_until_the_digits_are_right(
    seeded: Services, dispatcher: Dispatcher
) -> None:
    """Issue 15: the replies never say whether a code exists (the 1,420-chat attack learnt that
    a code existed from "gõ 4 số cuối", which only a known code got)."""

    async def replies(code: str, user: str) -> list[str]:
        chat = Transcript(dispatcher, user_id=user)
        said = [await chat.say(code), await chat.say("1111"), await chat.say("1111")]
        return [reply.text.replace(code, "<mã>") for replies in said for reply in replies]

    known = await replies(CODE, "801")
    unknown = await replies("000.00.19.H47-261116-0099", "802")
    no_phone = await replies(NO_PHONE_CODE, "803")
    assert known == unknown == no_phone


async def test_a_code_of_any_shape_is_looked_up_not_refused(
    seeded: Services, chat: Transcript
) -> None:
    """Never refuse a code only for its shape (DOMAIN.md): /tracuu takes whatever is typed."""
    odd = dossier("HS/2026/ABC-77", status=Status.RETURNED)
    await seeded.storage.dossiers.apply_dossiers([with_hash(odd)], NOW, "import:test.csv")
    await chat.say("/tracuu hs 2026 abc 77")
    await chat.say("5678")
    chat.expect("Đã trả kết quả")
    await chat.say("/tracuu")
    chat.expect("Ông/bà gõ mã hồ sơ")
    await chat.say("hs-2026-abc-77")
    await chat.say("5678")
    chat.expect("Đã trả kết quả")


async def test_text_without_digits_after_the_prompt_is_a_question(
    seeded: Services, chat: Transcript
) -> None:
    await chat.say("/tracuu")
    await chat.say("đăng ký khai tử")
    assert chat.last[0].text.startswith("Đăng ký khai tử")


async def test_failed_lookups_are_limited_per_chat(
    seeded: Services, dispatcher: Dispatcher, clock: FixedClock
) -> None:
    """Codes cannot be enumerated: 5 failures in 10 minutes block the chat for a while."""
    chat = Transcript(dispatcher, user_id="666")
    for n in range(5):
        await chat.say(f"000.00.19.H47-260101-{n:04d}")
        await chat.say("1234")
    chat.expect("tra cứu sai nhiều lần", "10 phút")
    await chat.say(OTHER_CODE)
    chat.expect("tra cứu sai nhiều lần", "10 phút")
    other = Transcript(dispatcher, user_id="667")
    await other.say(OTHER_CODE)
    other.expect("4 chữ số cuối")  # another chat is not affected
    clock.advance(minutes=11)
    await chat.say(OTHER_CODE)
    chat.expect("4 chữ số cuối")


async def test_wrong_digits_count_as_failures(seeded: Services, dispatcher: Dispatcher) -> None:
    chat = Transcript(dispatcher, user_id="668")
    await chat.say(CODE)
    for _ in range(4):
        await chat.say("0000")
        chat.expect("chưa khớp")
    await chat.say("0000")
    chat.expect("tra cứu sai nhiều lần")
    await chat.say(CODE)
    chat.expect("tra cứu sai nhiều lần")


async def test_second_factor_can_be_switched_off(seeded: Services, chat: Transcript) -> None:
    seeded.lookup = LookupPolicy(second_factor=False)
    await chat.say(CODE)
    chat.expect("Đang giải quyết")


async def test_follow_needs_consent_and_is_listed(seeded: Services, chat: Transcript) -> None:
    await chat.say(CODE)
    await chat.say("5678")
    await chat.press("Theo dõi hồ sơ này")
    chat.expect("Nếu ông/bà đồng ý", "/huytheodoi")
    assert not await seeded.storage.follows.is_following(ChatRef("test", "100"), dossier().code_key)
    await chat.press("Đồng ý theo dõi")
    chat.expect("Đã theo dõi hồ sơ")
    assert await seeded.storage.follows.is_following(ChatRef("test", "100"), dossier().code_key)
    await chat.say("/hoso")
    chat.expect(CODE, "Cấp Giấy xác nhận tình trạng hôn nhân", "Đang giải quyết")
    # Following proves the chat is the person's: no digits asked again.
    await chat.say(CODE)
    chat.expect("Đang giải quyết", "đang theo dõi hồ sơ này")


async def test_declining_consent_stores_nothing(seeded: Services, chat: Transcript) -> None:
    await chat.say(OTHER_CODE)
    await chat.say("5678")
    await chat.press("Theo dõi hồ sơ này")
    await chat.press("Không, cảm ơn")
    chat.expect("Bot không lưu gì thêm")
    assert await seeded.storage.follows.follows(ChatRef("test", "100")) == []


async def test_a_forged_follow_button_still_needs_the_digits(
    seeded: Services, chat: Transcript
) -> None:
    """Button data can be forged by a modified client: the handler checks again."""
    await chat.press_data(f"h:y:{dossier().code_key}")
    chat.expect("4 chữ số cuối")
    assert await seeded.storage.follows.follows(ChatRef("test", "100")) == []


async def test_unfollow_and_erase(seeded: Services, chat: Transcript) -> None:
    await chat.say(OTHER_CODE)
    await chat.say("5678")
    await chat.press("Theo dõi hồ sơ này")
    await chat.press("Đồng ý theo dõi")
    await chat.say("/huytheodoi")
    await chat.press(f"Bỏ theo dõi {OTHER_CODE}")
    chat.expect("Đã dừng theo dõi")
    assert await seeded.storage.follows.follows(ChatRef("test", "100")) == []

    await chat.say(OTHER_CODE)  # proven a moment ago: no digits asked again
    await chat.press("Theo dõi hồ sơ này")
    await chat.press("Đồng ý theo dõi")
    await chat.say("/xoadulieu")
    chat.expect("Hồ sơ hành chính thuộc Bộ phận Một cửa")
    await chat.press("Xóa dữ liệu của tôi")
    chat.expect("Đã xóa toàn bộ dữ liệu")
    assert await seeded.storage.follows.follows(ChatRef("test", "100")) == []
    # The dossier itself belongs to the office and stays.
    assert await seeded.storage.dossiers.get_dossier(dossier(OTHER_CODE).code_key) is not None


async def test_forged_view_buttons_are_lookups_like_any_other(
    seeded: Services, dispatcher: Dispatcher
) -> None:
    chat = Transcript(dispatcher, user_id="669")
    await chat.press_data(f"h:v:{dossier().code_key}")
    chat.expect("4 chữ số cuối")
    chat.expect_not("Đang giải quyết")
    for n in range(5):
        await chat.press_data(f"h:v:0000019H47260101{n:04d}")
        chat.expect("4 chữ số cuối")
        await chat.say("1234")
    await chat.press_data(f"h:v:{dossier(OTHER_CODE).code_key}")
    chat.expect("tra cứu sai nhiều lần")


# -- issue 14: taps during a lookup, on the terminal and as Telegram delivers them -----------------


@pytest.fixture(params=["console", "telegram"])
def talk(request: pytest.FixtureRequest, dispatcher: Dispatcher, tmp_path: Path) -> Transcript:
    return channel_transcript(dispatcher, request.param, "700", files_dir=tmp_path)


async def test_numbers_tapped_after_the_prompt_press_its_buttons_and_count_nothing(
    seeded: Services, talk: Transcript
) -> None:
    """An elder taps "Tra cứu hồ sơ", then numbers: a number among the buttons presses that
    button; any other short input says what a receipt code looks like; nothing is a failure."""
    await talk.say("/start")
    await talk.press("Tra cứu hồ sơ")
    talk.sees("gõ mã hồ sơ")
    labels = [b.label for b in talk.buttons]
    assert labels == ["🏠 Về đầu", "📞 Gọi cho Bộ phận Một cửa"]
    await talk.say("2")  # the second button: the office's phone
    talk.sees(seeded.knowledge.catalogue.commune.phone, "Giờ làm việc")
    await talk.say("/tracuu")
    for typed in ["7", "12", "0912", "không nhớ mã", "???"]:
        await talk.say(typed)
        talk.sees("chưa phải là mã hồ sơ", "000.00.19.H47-260105-0001")
        talk.sees_not("chưa tìm thấy hồ sơ")
        assert [b.label for b in talk.buttons] == labels
    await talk.say("1")  # still waiting for a code: "1" is "Về đầu"
    assert "🔎 Tra cứu hồ sơ đã nộp" in [b.label for b in talk.buttons]
    # None of it counted: the real code goes through at once.
    since = NOW - dt.timedelta(minutes=10)
    assert (
        await seeded.storage.dossiers.find_dossier("X", _chat(talk), since)
    ).recent_failures == 0
    await talk.say(CODE)
    talk.sees("4 chữ số cuối")


async def test_only_code_shaped_input_counts_towards_the_limit(
    seeded: Services, talk: Transcript
) -> None:
    await talk.say("/tracuu")
    for n in range(20):
        await talk.say(str(n % 9 + 3))  # taps that press no button
    for n in range(5):
        await talk.say(f"000.00.19.H47-260101-{n:04d}")
        talk.sees("4 chữ số cuối")  # issue 15: an unknown code is asked the digits too
        await talk.say("1234")
        assert talk.buttons, "a wrong-digits reply leaves a way on"
    await talk.say(OTHER_CODE)
    talk.sees("tra cứu sai nhiều lần")
    assert [b.label for b in talk.buttons] == ["🏠 Về đầu", "📞 Gọi cho Bộ phận Một cửa"]


@pytest.mark.parametrize(
    "typed",
    [
        "000001 9H472611160007",  # not a code: the digits do not line up
    ],
)
async def test_a_mistyped_code_is_looked_up_and_counted(
    seeded: Services, talk: Transcript, typed: str
) -> None:
    await talk.say("/tracuu")
    await talk.say(typed)
    talk.sees("4 chữ số cuối")  # issue 15: like a known code; the wrong guess counts
    await talk.say("5678")
    talk.sees("chưa khớp")
    view = await seeded.storage.dossiers.find_dossier(
        "X", _chat(talk), NOW - dt.timedelta(minutes=1)
    )
    assert view.recent_failures == 1


@pytest.mark.parametrize(
    "typed",
    [
        "0000019H472611160007",  # no separators at all
        "000.00.19.H47-2611160007",  # date and sequence run together
        "000 00 19 h47 261116 0007",
        "ma ho so 0000019h472611160007",
    ],
)
async def test_codes_typed_without_separators_are_found(
    seeded: Services, talk: Transcript, typed: str
) -> None:
    await talk.say(typed)
    talk.sees("4 chữ số cuối")  # the code echoed as typed (issue 15: alike for every code)
    await talk.say("5678")
    talk.sees(CODE, "Đang giải quyết")


def _chat(talk: Transcript) -> ChatRef:
    return ChatRef(talk.channel, talk.user_id)
