"""Search understands how people write; accuracy on the query sets is measured and enforced."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.catalogue.errors import CatalogueInvalid
from core.search import Aspect, SearchResult, SmallTalk
from core.search.analyzer import (
    _NO_VOCABULARY,
    _expand,
    _same_word,
    analyse,
    name_purpose,
    split_words,
)
from core.search.lexicon import Lexicon, PhraseTable, parse_frame, parse_pattern
from core.text import fold, is_syllable, phonetic_key
from handlers.context import Knowledge
from tests.conftest import REPORTED_FIGURES

DATA = Path(__file__).parent / "data"
DISABILITY = {"xac-dinh-muc-do-khuyet-tat", "tro-cap-xa-hoi-hang-thang"}


def first_shown(result: SearchResult) -> str | None:
    """The procedure shown first: the confident answer, or the first of a short choice."""
    return result.answer or (result.candidates[0].id if result.candidates else None)


@dataclass
class Accuracy:
    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    out_of_scope: int = 0
    declined: int = 0
    answered: int = 0  # confident answers, to any question
    answered_right: int = 0
    aspects: int = 0  # questions that ask about one part (documents, fees…)
    aspects_right: int = 0

    @property
    def precision(self) -> float:
        """Right answers ÷ all confident answers: how far a confident answer can be trusted."""
        return self.answered_right / max(self.answered, 1)

    def report(self, name: str) -> str:
        line = (
            f"{name}: top-1 {self.top1}/{self.in_scope} = {self.top1 / self.in_scope:.1%}, "
            f"top-3 {self.top3}/{self.in_scope} = {self.top3 / self.in_scope:.1%}, "
            f"off-topic declined {self.declined}/{self.out_of_scope} = "
            f"{self.declined / max(self.out_of_scope, 1):.1%}, "
            f"confident answers right {self.answered_right}/{self.answered} = {self.precision:.1%}"
        )
        if self.aspects:
            line += f", aspect {self.aspects_right}/{self.aspects}"
        return line


def measure(knowledge: Knowledge, path: Path) -> tuple[Accuracy, list[str]]:
    accuracy = Accuracy()
    misses = []
    for case in yaml.safe_load(path.read_text(encoding="utf-8")):
        result = knowledge.search.search(case["q"])
        expected = set(case["expect"])
        accuracy.answered += result.answer is not None
        accuracy.answered_right += result.answer is not None and result.answer in expected
        if "aspect" in case:
            accuracy.aspects += 1
            got = result.aspect.value if result.aspect else None
            accuracy.aspects_right += got == case["aspect"]
            if got != case["aspect"]:
                misses.append(f"aspect {got!r} for {case['q']!r}, expected {case['aspect']!r}")
        if not expected:
            accuracy.out_of_scope += 1
            accuracy.declined += result.answer is None
            if result.answer is not None:
                misses.append(f"answered {result.answer!r} to out-of-scope {case['q']!r}")
            continue
        accuracy.in_scope += 1
        # The first procedure shown counts, whether as a confident answer or first of a short
        # choice (as the owners' blind set counts it): turning a doubtful answer into a choice
        # costs nothing here, and the precision of confident answers shows what it gains.
        first = first_shown(result)
        accuracy.top1 += first in expected
        top3 = {c.id for c in result.candidates[:3]}
        accuracy.top3 += bool(top3 & expected)
        if first not in expected:
            got = [(c.id, round(c.score, 2)) for c in result.candidates[:3]]
            misses.append(
                f"{case['q']!r}: expected {sorted(expected)}, answered {result.answer}, got {got}"
            )
    return accuracy, misses


@pytest.mark.parametrize(
    ("name", "top1", "top3", "declined", "precision"),
    [
        ("dev_queries.yaml", 0.95, 0.98, 0.90, 0.95),
        ("search_tune.yaml", 0.93, 0.98, 0.95, 0.97),
        # Held out while tuning; its figures are the honest estimate, so its bar is what was
        # measured when the engine was last changed, less a small margin.
        ("search_holdout.yaml", 0.91, 0.97, 0.95, 0.97),
        # Issue 14's own held-out set: near-misses, aspects, long stories (its failures were
        # read once, after it was first measured: see docs/search.md).
        ("search_heldout_issue14.yaml", 0.90, 0.94, 0.92, 0.94),
        # The blind set's categories (2026-12-08): the first was read once before the work,
        # the second not at all while tuning (see docs/search.md).
        ("search_heldout_categories.yaml", 0.97, 0.97, 0.80, 0.95),
        ("search_heldout_categories2.yaml", 0.90, 0.94, 0.80, 0.92),
        # The third (2026-12-06), written before that session's changes; figures only.
        ("search_heldout_i14t.yaml", 0.88, 0.96, 0.80, 0.93),
        # A blind set written 2026-12-06 by writers who saw only the ids and STYLES.md: the
        # feedback half's misses were read as categories, the untouched half never (figures only).
        ("search_blind_feedback.yaml", 0.95, 0.97, 0.95, 0.96),
        ("search_blind_untouched.yaml", 0.94, 0.97, 0.95, 0.96),
        # A second blind set (later session), new writers; bars as last measured, less a margin.
        ("search_blind2_feedback.yaml", 0.97, 0.99, 0.95, 0.97),
        ("search_blind2_untouched.yaml", 0.94, 0.96, 0.95, 0.95),
        # A third, written at the end of that round (its untouched half declined 92.7 % then,
        # 98.2 % after the sixth round's near-miss work): bars as measured, less a margin.
        ("search_blind3_feedback.yaml", 0.95, 0.98, 0.97, 0.97),
        ("search_blind3_untouched.yaml", 0.96, 0.97, 0.95, 0.97),
        # A fourth (2026-12-06, start of the sixth round), near-miss heavy: measured at a99a2ad
        # feedback 94.5 / 97.8 / 93.3 / 92.7 %, untouched 97.5 / 99.0 / 93.8 / 95.8 %; at the
        # round's end 97.8 / 98.9 / 100 / 98.6 % and 97.5 / 99.0 / 94.6 / 96.4 %.
        ("search_blind4_feedback.yaml", 0.96, 0.97, 0.97, 0.96),
        ("search_blind4_untouched.yaml", 0.96, 0.98, 0.95, 0.96),
        # A fifth (2026-12-06, start of the seventh round), two new writers: measured at 874b218
        # feedback 96.4 / 97.4 / 93.2 / 94.2 %, untouched 99.5 / 99.5 / 92.8 / 94.5 %; at the
        # round's end 97.4 / 97.9 / 99.0 / 98.7 % and 99.5 / 99.5 / 95.5 / 96.9 %.
        ("search_blind5_feedback.yaml", 0.96, 0.97, 0.97, 0.97),
        ("search_blind5_untouched.yaml", 0.98, 0.98, 0.94, 0.95),
        # A sixth (2026-12-06, start of the eighth round), two new writers: measured at 30b9746
        # feedback 97.9 / 100 / 95.0 / 95.3 %, untouched 96.0 / 100 / 99.0 / 98.1 %; at the
        # round's end 98.9 / 100 / 100 / 99.3 % and 97.0 / 100 / 99.0 / 98.1 %.
        ("search_blind6_feedback.yaml", 0.97, 0.99, 0.98, 0.97),
        ("search_blind6_untouched.yaml", 0.95, 0.99, 0.97, 0.97),
        # A seventh, written at the same time and kept outside the repository until the round's
        # end (never read): at 30b9746 97.9 / 99.5 / 97.8 / 97.7 %, at the round's end 97.9 /
        # 99.5 / 98.7 / 98.4 %.
        ("search_blind7_untouched.yaml", 0.96, 0.98, 0.96, 0.97),
    ],
)
def test_accuracy_on_query_sets(
    knowledge: Knowledge, name: str, top1: float, top3: float, declined: float, precision: float
) -> None:
    """Prints the figures; fails below the targets of the issue (held-out set: a little lower)."""
    accuracy, misses = measure(knowledge, DATA / name)
    REPORTED_FIGURES.append(accuracy.report(name))
    print(accuracy.report(name))
    # An untouched half stays a measurement only while nobody tuning reads its questions.
    for miss in [] if "untouched" in name else misses:
        print("  miss:", miss)
    assert accuracy.top1 / accuracy.in_scope >= top1, accuracy.report(name)
    assert accuracy.top3 / accuracy.in_scope >= top3, accuracy.report(name)
    assert accuracy.declined / accuracy.out_of_scope >= declined, accuracy.report(name)
    assert accuracy.precision >= precision, accuracy.report(name)


# -- normalisation ------------------------------------------------------------------------


def test_fold_handles_nfd_tone_placement_case_and_punctuation() -> None:
    nfd = unicodedata.normalize("NFD", "Đăng ký KHAI TỬ!!")
    assert fold(nfd) == "dang ky khai tu"
    assert fold("hoà giải") == fold("hòa giải") == "hoa giai"
    assert fold("Uỷ ban") == fold("ủy ban") == "uy ban"
    assert fold("khai-sinh,cho   bé") == "khai sinh cho be"
    assert fold("ＣＣＣＤ") == "cccd"  # full-width letters from some keyboards


def test_phonetic_key_merges_confused_spellings() -> None:
    assert phonetic_key("xinh") == phonetic_key("sinh")
    assert phonetic_key("chu") == phonetic_key("tru")
    assert phonetic_key("ki") == phonetic_key("ky")
    assert phonetic_key("dang") == phonetic_key("rang")
    assert phonetic_key("sinh") != phonetic_key("sanh")


def test_syllable_shape() -> None:
    assert is_syllable("nghieng") and is_syllable("khuyet") and is_syllable("quyen")
    assert not is_syllable("sih") and not is_syllable("khaisinh") and not is_syllable("asdfgh")
    # A vowel typed twice is a typo ("hưu" and "xoong" write "uu", "oo").
    assert not is_syllable("khaii") and not is_syllable("kyy") and not is_syllable("thaan")
    assert is_syllable("huu") and is_syllable("xoong")


# -- how people write ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dang ky khai sinh", "dang-ky-khai-sinh"),
        ("ĐĂNG KÝ KHAI SINH", "dang-ky-khai-sinh"),
        ("dk khai sinh", "dang-ky-khai-sinh"),
        ("đkks cho con", "dang-ky-khai-sinh"),
        ("làm giấy khai sanh", "dang-ky-khai-sinh"),
        ("khaisinh", "dang-ky-khai-sinh"),
        ("dangkykhaitu", "dang-ky-khai-tu"),  # a whole name run together
        ("xacnhantinhtranghonnhan", "xac-nhan-tinh-trang-hon-nhan"),
        ("khai sih cho be", "dang-ky-khai-sinh"),
        ("dkkh", "dang-ky-ket-hon"),
        ("đăng kí kết hôn", "dang-ky-ket-hon"),
        ("xin giấy xn tthn", "xac-nhan-tinh-trang-hon-nhan"),
        ("giấy độc thân", "xac-nhan-tinh-trang-hon-nhan"),
        ("công chứng giấy tờ", "chung-thuc-ban-sao"),
        ("đăng ký thường chú", "dang-ky-thuong-tru"),
        ("nhập hộ khẩu", "dang-ky-thuong-tru"),
        ("nvqs lần đầu", "dang-ky-nghia-vu-quan-su"),
        (
            unicodedata.normalize("NFD", "hoà giải tranh chấp đất đai"),
            "hoa-giai-tranh-chap-dat-dai",
        ),
    ],
)
def test_everyday_writing_finds_the_procedure(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert knowledge.search.search(query).answer == expected


@pytest.mark.parametrize(
    "query",
    [
        "xin chào",
        "cảm ơn nhiều",
        "ok",
        "asdfgh",
        "giá vàng hôm nay",
        "tên bạn là gì",  # one catalogue word ("tên") proves nothing
        "thời tiết ngày mai",
        "",
        "   ",
        "🙂🙂",
    ],
)
def test_off_topic_gets_no_answer(knowledge: Knowledge, query: str) -> None:
    result = knowledge.search.search(query)
    assert result.answer is None


@pytest.mark.parametrize("query", ["làm hộ chiếu", "cấp hộ chiếu", "đổi giấy phép lái xe"])
def test_procedures_done_elsewhere_are_referred_not_answered(
    knowledge: Knowledge, query: str
) -> None:
    result = knowledge.search.search(query)
    assert result.answer is None
    assert result.referral is not None


def test_small_talk_is_recognised(knowledge: Knowledge) -> None:
    assert knowledge.search.search("cảm ơn bạn nhé").small_talk is SmallTalk.THANKS
    assert knowledge.search.search("xin chào").small_talk is SmallTalk.GREETING
    assert knowledge.search.search("chào em, cho hỏi khai sinh").small_talk is None


@pytest.mark.parametrize(
    ("query", "aspect"),
    [
        ("chứng thực bản sao hết bao nhiêu tiền", Aspect.FEES),
        ("đăng ký kết hôn mất bao lâu", Aspect.TIME),
        ("khai tử cần giấy tờ gì", Aspect.DOCUMENTS),
        ("đăng ký tạm trú nộp ở đâu", Aspect.WHERE),
        # Issue 14: every way of asking what to bring, with or without diacritics.
        ("làm giấy khai sinh cần gì", Aspect.DOCUMENTS),
        ("lam giay khai sinh can gi", Aspect.DOCUMENTS),
        ("ket hon can chi", Aspect.DOCUMENTS),
        ("đăng ký kết hôn can j", Aspect.DOCUMENTS),
        ("khai tử cần những gì", Aspect.DOCUMENTS),
        ("khai tử mang gì", Aspect.DOCUMENTS),
        ("khai tử mang theo gì", Aspect.DOCUMENTS),
        ("kết hôn giấy tờ gì", Aspect.DOCUMENTS),
        ("hồ sơ kết hôn gồm những gì", Aspect.DOCUMENTS),
        ("khai sinh chuẩn bị gì", Aspect.DOCUMENTS),
        ("thủ tục khai sinh ntn", Aspect.DOCUMENTS),
        ("nộp khai sinh online được không", Aspect.ONLINE),
        ("đăng ký tạm trú qua mạng được không", Aspect.ONLINE),
        ("ai được đi khai sinh cho bé", Aspect.WHO),
        ("đăng ký kết hôn người khác đi thay được không", Aspect.WHO),
        ("xac nhan doc than mat may ngay", Aspect.TIME),
        ("kết hôn có tốn tiền không", Aspect.FEES),
        # The blind set's everyday ways: a choice of places, small money words, who goes.
        ("khai tử ra xã hay lên huyện", Aspect.WHERE),
        ("đăng ký kết hôn ở xã vợ hay xã chồng", Aspect.WHERE),
        ("xin xác nhận độc thân ở nơi thường trú hay nơi tạm trú", Aspect.WHERE),
        ("đăng ký kết hôn có cần ra tận xã không", Aspect.WHERE),
        ("chứng thực bản sao mất đồng nào không", Aspect.FEES),
        ("chứng thực chữ ký mấy đồng", Aspect.FEES),
        ("trích lục khai sinh phí nhiêu", Aspect.FEES),
        ("sao y bằng cấp bao nhiêu 1 bản", Aspect.FEES),
        ("xác nhận độc thân mất nhiêu ngày", Aspect.TIME),
        ("đăng ký thường trú chủ hộ có phải đi không", Aspect.WHO),
        ("khai sinh cho cháu thì bà nội đi được không", Aspect.WHO),
        ("đăng ký kết hôn ck đi một mình được không hay phải vk đi cùng", Aspect.WHO),
        ("trích lục kết hôn tự làm được không", Aspect.WHO),
        ("nhờ hàng xóm nộp hồ sơ tạm trú giùm", Aspect.WHO),
        # Frames: the procedure between the parts of the question (lexicon `aspect_frames`).
        ("bà nội đi khai sinh cho cháu được không", Aspect.WHO),
        ("anh trai có được đi đăng ký tạm trú thay em không", Aspect.WHO),
        ("người độc thân có được nhận con nuôi không", Aspect.WHO),
        ("nhờ cháu đi xin giấy độc thân giúp có được không", Aspect.WHO),
        ("khai sinh làm ở xã có được không", Aspect.WHERE),
        # Online said in passing: the time is what is asked.
        ("đăng ký khai sinh trên dịch vụ công mất bao lâu", Aspect.TIME),
        ("khai tử qua mạng mấy ngày thì xong", Aspect.TIME),
        ("dang ky ket hon cna gi", Aspect.DOCUMENTS),  # "cna": "can" with two letters swapped
        ("where to register birth for baby", Aspect.WHERE),
        # The fresh blind set's categories (2026-12-06), in other words than the tune set's.
        # Who: alone, the asker going for someone, signing before the officer, who files,
        # whom to register with, signing oneself, an officer coming home, both at once.
        ("xin trích lục kết hôn thì tôi đi một mình có được không", Aspect.WHO),
        ("anh tôi nhờ tôi đăng ký khai tử cho bố, tôi đi được không", Aspect.WHO),
        ("chứng thực hợp đồng thuê nhà có phải ký trước mặt người chứng thực không", Aspect.WHO),
        ("tranh chấp đất với nhà bên cạnh thì ai đứng đơn xin hòa giải", Aspect.WHO),
        ("xin công nhận gia đình văn hóa thì đăng ký với ai", Aspect.WHO),
        ("xin trợ cấp cho bà cụ thì bà cụ có cần tự ký đơn không", Aspect.WHO),
        # An officer coming home: the where section says so (asp7, 2026-12-06).
        ("làm di chúc mà ông yếu quá, cán bộ tư pháp có đến tận nhà không", Aspect.WHERE),
        ("đăng ký nhận cha con thì hai bên có phải có mặt cùng lúc không", Aspect.WHO),
        ("khai tử có ủy quyền được không", Aspect.WHO),
        ("làm khai sinh có phải chính chủ đi không", Aspect.WHO),
        # Time: a deadline ("phải ra xã" tells, does not ask where), office days and hours.
        ("khai tử cho ông trong vòng bao lâu", Aspect.TIME),
        ("ông mất rồi phải ra xã làm khai tử trong thời hạn mấy ngày", Aspect.TIME),
        ("hạn chót đăng ký thường trú là bao giờ", Aspect.TIME),
        ("xã có nhận đăng ký tạm trú vào chủ nhật không", Aspect.TIME),
        ("cuối tuần xã có làm chứng thực chữ ký không", Aspect.TIME),
        ("chứng thực bản sao thì mấy giờ xã bắt đầu trả kết quả", Aspect.TIME),
        # Where: a choice of two places, one of them around the procedure's name.
        ("xin trích lục khai tử ở xã mình hay lên trên huyện", Aspect.WHERE),
        ("đăng ký tạm trú nộp ở thôn hay lên xã", Aspect.WHERE),
        ("về quê đăng ký kết hôn hay đăng ký ở chỗ làm", Aspect.WHERE),
        # Online or in person: the office beside the online word is the alternative.
        ("xác nhận độc thân làm qua mạng được không hay phải ra ủy ban", Aspect.ONLINE),
        ("đăng ký thường trú phải lên công an không hay nộp trên vneid được", Aspect.ONLINE),
        # Documents: what to add, which form, how many sets, a test, a copy, a paper missing.
        ("đăng ký nhận con nuôi cần bổ sung thêm giấy gì", Aspect.DOCUMENTS),
        ("xác nhận độc thân điền đơn theo mẫu nào", Aspect.DOCUMENTS),
        ("làm thủ tục nhận con có bị bắt xét nghiệm ADN không", Aspect.DOCUMENTS),
        ("chứng thực chữ ký phải nộp mấy bộ hồ sơ", Aspect.DOCUMENTS),
        ("đăng ký tạm trú mà không có hợp đồng thuê trọ thì khai sao", Aspect.DOCUMENTS),
        ("sao y bằng tốt nghiệp đem bản photo được không hay phải đem bản chính", Aspect.DOCUMENTS),
        # Fees: "phí …" with no question word, a fine for being late.
        ("phí xác nhận tình trạng hôn nhân", Aspect.FEES),
        ("khai tử quá hạn có bị phạt không", Aspect.FEES),
        ("đăng ký tạm trú có tốn kém không", Aspect.FEES),
        # Two parts in one question: a condition before "thì" or after "nếu" is context.
        ("xin trích lục khai tử qua cổng dịch vụ công thì cần nộp những giấy gì", Aspect.DOCUMENTS),
        ("con trai đi đăng ký tạm trú thay tôi thì phải mang theo những gì", Aspect.DOCUMENTS),
        ("phải chuẩn bị giấy tờ gì nếu nhờ chị gái đi khai sinh giùm", Aspect.DOCUMENTS),
        ("dang ky thuong tru tren vneid co phai scan so ho khau khong", Aspect.DOCUMENTS),
        ("làm giấy độc thân mà nhờ bạn đi thì mất bao lâu", Aspect.TIME),
        # Who: present in person, a person to bring, a proxy's authorisation.
        ("chứng thực chữ ký thì có bắt buộc có mặt không", Aspect.WHO),
        ("khai sinh cho bé có phải dắt bé theo không", Aspect.WHO),
        ("em đi đăng ký kết hôn thay anh có cần văn bản ủy quyền không", Aspect.WHO),
        # Time in other words: ready by a day, a deadline, dialect "bữa mô", "hồi nào".
        ("nộp hồ sơ khai tử rồi thứ hai tuần sau lấy được chưa", Aspect.TIME),
        ("trích lục kết hôn nộp sáng nay chiều mai có được không", Aspect.TIME),
        ("hạn nộp đăng ký nghĩa vụ quân sự là đến khi nào", Aspect.TIME),
        ("xác nhận độc thân khi mô thì có", Aspect.TIME),
        ("dang ky tam tru hoi nao thi nhan duoc", Aspect.TIME),
        ("đăng ký kết hôn chờ có lâu lắm không", Aspect.TIME),
        # Where: the desk inside the office, whom to see there, the office that decides.
        ("chứng thực chữ ký lên lầu mấy", Aspect.WHERE),
        ("nộp hồ sơ khai tử ở quầy số mấy", Aspect.WHERE),
        ("xin hòa giải đất đai thì phải gặp người nào", Aspect.WHERE),
        ("xác định mức độ khuyết tật thì bên nào xét duyệt", Aspect.WHERE),
        # The fourth blind set's everyday ways (its feedback half, read as categories).
        ("làm trích lục khai tử có thu phí không hay free", Aspect.FEES),
        ("đăng ký kết hôn thì lên phường bên nào", Aspect.WHERE),
        ("đơn xin trợ cấp nộp cho ai ở thôn", Aspect.WHERE),
        ("hồ sơ xét gia đình văn hóa phải nộp trước ngày mấy", Aspect.TIME),
        ("đơn hòa giải đất cần ghi những gì", Aspect.DOCUMENTS),
    ],
)
def test_the_aspect_asked_about_is_recognised(
    knowledge: Knowledge, query: str, aspect: Aspect
) -> None:
    result = knowledge.search.search(query)
    assert result.aspect is aspect
    # An answer, or a short choice when two procedures fit alike.
    assert result.answer is not None or len(result.candidates) >= 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lam giay khai sinh can gi", "dang-ky-khai-sinh"),  # "can" is not "căn", "gi" no name
        ("khai tu can gi", "dang-ky-khai-tu"),
        ("ket hon can chi", "dang-ky-ket-hon"),
        ("đăng ký lại khai sinh cần gì", "dang-ky-lai-khai-sinh"),
        ("làm ks cho con cần cccd của bố mẹ không", "dang-ky-khai-sinh"),  # a document named
        ("khai tử có cần mang giấy khai sinh của người mất không", "dang-ky-khai-tu"),
        ("ở nhờ nhà bạn 2 tháng có cần đăng ký tạm trú không", "dang-ky-tam-tru"),
        ("kết hôn bao lâu thì lấy được giấy", "dang-ky-ket-hon"),  # "lấy được giấy": the time
    ],
)
def test_the_aspect_never_changes_the_procedure(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert knowledge.search.search(query).answer == expected


@pytest.mark.parametrize(
    ("query", "expected", "aspect"),
    [
        # "phí" that ends a procedure's name ("mai táng phí") asks no fee.
        ("mai táng phí làm ở đâu", "mai-tang-phi-nguoi-co-cong", Aspect.WHERE),
        ("hỗ trợ chi phí mai táng làm ở đâu", "ho-tro-chi-phi-mai-tang", Aspect.WHERE),
        # "giấy ủy quyền" is a paper to certify, not who may file.
        ("chứng thực chữ ký giấy ủy quyền được không", "chung-thuc-chu-ky", None),
    ],
)
def test_a_word_that_continues_a_name_starts_no_aspect(
    knowledge: Knowledge, query: str, expected: str, aspect: Aspect | None
) -> None:
    result = knowledge.search.search(query)
    assert result.aspect is aspect
    assert (result.answer or result.candidates[0].id) == expected


def test_office_days_alone_are_the_offices_hours(knowledge: Knowledge) -> None:
    """ "Chủ nhật xã có làm việc không" asks the office's hours; with a procedure, its time."""
    assert knowledge.search.search("chủ nhật xã có làm việc không").small_talk is SmallTalk.CONTACT
    result = knowledge.search.search("chủ nhật xã có nhận đăng ký khai sinh không")
    assert result.aspect is Aspect.TIME


@pytest.mark.parametrize(
    "query",
    [
        "trích lục khai sinh thì xã mở cửa lúc mấy giờ",
        "xa lam viec den may gio, em muon chung thuc chu ky",
        "tôi cần đăng ký tạm trú, giờ làm việc của xã là mấy giờ",
    ],
)
def test_the_offices_hours_asked_about_a_procedure_are_its_time(
    knowledge: Knowledge, query: str
) -> None:
    result = knowledge.search.search(query)
    assert result.aspect is Aspect.TIME and result.small_talk is None
    assert result.answer is not None or len(result.candidates) >= 2


@pytest.mark.parametrize(
    ("query", "aspect"),
    [
        # In someone's place, asked; on someone's behalf ("thay mặt").
        ("mấy đứa con có được ra xã xin trích lục kết hôn thay cho ba má không", Aspect.WHO),
        ("em có được thay mặt chồng đi đăng ký thường trú cho con không", Aspect.WHO),
        # Implied: both parents away, someone else files.
        ("cha mẹ thằng bé đi làm ăn xa hết, bà nội đăng ký khai sinh cho nó", Aspect.WHO),
        # The petition's wording; the dossier's contents; the steps and the papers.
        ("xin xác định mức độ khuyết tật cho con thì làm đơn thế nào", Aspect.DOCUMENTS),
        ("tờ khai đăng ký giám hộ điền kiểu gì", Aspect.DOCUMENTS),
        ("thành phần hồ sơ đăng ký kết hôn có những gì", Aspect.DOCUMENTS),
        ("xin chỉ dẫn quy trình và giấy tờ đăng ký tạm trú", Aspect.DOCUMENTS),
        # When in the year, when at all: a deed, then the question.
        ("xét công nhận gia đình văn hóa tháng nào vậy", Aspect.TIME),
        ("đăng ký sinh hoạt tôn giáo tập trung bao giờ", Aspect.TIME),
        # Grown children for a parent; how it is done ("kiểu gì"); this office or another.
        ("mẹ nằm viện, các con có thể đi nhận tiền trợ cấp thay không", Aspect.WHO),
        ("đăng ký khai tử cho bà nội kiểu gì", Aspect.DOCUMENTS),
        ("trên này có chứng thực chữ ký không hay phải về xã", Aspect.WHERE),
    ],
)
def test_parts_read_without_setting_words_aside(
    knowledge: Knowledge, query: str, aspect: Aspect
) -> None:
    """`aspects_kept`: the part is read, the words stay, so the procedure is the same."""
    result = knowledge.search.search(query)
    assert result.aspect is aspect
    assert result.answer is not None or len(result.candidates) >= 2


@pytest.mark.parametrize(
    "query",
    [
        "bố mẹ nó đi xuất khẩu lao động ở Nhật hết rồi",  # a story, no procedure named
        "em thay mặt cả nhà cảm ơn xã nhiều",
    ],
)
def test_a_part_kept_holds_only_beside_a_procedure(knowledge: Knowledge, query: str) -> None:
    assert knowledge.search.search(query).aspect is None


@pytest.mark.parametrize("query", ["mấy giờ xã mở cửa", "giờ làm việc của xã"])
def test_the_offices_hours_alone_are_contact(knowledge: Knowledge, query: str) -> None:
    result = knowledge.search.search(query)
    assert result.small_talk is SmallTalk.CONTACT and result.answer is None


@pytest.mark.parametrize("query", ["cần gì", "bao nhiêu tiền", "mấy ngày", "nộp ở đâu"])
def test_an_aspect_alone_names_no_procedure(knowledge: Knowledge, query: str) -> None:
    result = knowledge.search.search(query)
    assert result.aspect is not None and result.answer is None and not result.candidates


@pytest.mark.parametrize(
    "query",
    [
        "con tôi sinh nhật",
        "em tôi đang đi nghĩa vụ quân sự bao giờ về phép",
        "chó nhà tôi chết chôn ở đâu",
        "quà sinh nhật cho bé 3 tuổi nên mua gì",
        "đám cưới bạn tôi mặc gì cho đẹp",
        "phim về di chúc hay nhất",
        "con mèo nhà tôi sinh 4 con",
        "mượn đất nhà bác trồng sắn rồi chia nhau",
        "lịch hội làng năm nay",
        "đường liên thôn bị sụt lún cần sửa gấp",
        "thư viện huyện mở cửa mấy giờ",
        "nhà thờ giáo xứ mấy giờ có lễ chủ nhật",
        "mua đất ở đâu rẻ",
        "hồ sơ của tôi đến đâu rồi",
        "bò nhà tôi chết vì bệnh, có được hỗ trợ không",
        # A need for a thing of another subject, a deed told as done, a prize received:
        "nhận nuôi chó",
        "muốn nhận nuôi một con mèo",
        "ông tôi là thương binh, hồi trẻ ông viết sách về chiến tranh",
        "hồi trước mẹ tôi làm khai sinh cho cả xóm",
        "con tôi được giấy khen học sinh giỏi",
        # Complaints in other words, games, speeches and scripts for a ceremony:
        "họp thôn thấy chia trợ cấp bất công lắm",
        "gia đình văn hóa năm nay xét không công bằng chút nào",
        "trò chơi nông trại có cho làm giấy khai sinh cho thú cưng không",
        "phát biểu gì trong buổi lễ trao giấy khen cho con",
        # A need inside a work or homework (a game typed plain is still a game), a young
        # animal, a baby's health, advice, a soldier serving, customs, a shop:
        "cách nhận con nuôi trong game nông trại",
        "trong tiểu thuyết đó ông trùm lập di chúc cho ai",
        "làm bài tập về thủ tục khai sinh môn giáo dục công dân",
        "muốn nhận nuôi con cún nhà hàng xóm",
        "con nhà em bị vàng da sau khi khai sinh",
        "mới cưới thì có nên sinh con liền không",
        "anh hai đang đi bộ đội ở Trường Sa, tết có về không",
        "làm văn khấn cho người mới mất",
        "cho tui hỏi tiệm nào đánh chìa khóa nhà",
        # A paper's name in English, an online game, a litter given away, the hours of a
        # library with no need, raising livestock, a family quarrel:
        "giấy khai tử tiếng anh là gì",
        "giấy chứng thực chữ ký dịch sang tiếng anh gọi là gì",
        "acc free fire bị khóa vì tranh chấp với bạn",
        "con chó nhà mình đẻ 6 con, ai muốn nhận nuôi thì nhắn",
        "thu vien huyen mo cua thu bay khong",
        "nuoi con gi nhanh giau",
        "hòa giải chuyện vợ chồng ở đâu",
        # A name changed on a device or an account is no civil-status change:
        "đổi tên wifi thế nào",
        "sua ten tren facebook",
        # A wish said not to be had, feelings before a wedding, a case in the news, pride in
        # a certificate already received:
        "chị tôi bảo không muốn kết hôn nữa",
        "anh người yêu ngỏ lời mà tôi còn do dự chuyện kết hôn",
        "đọc báo thấy vụ tranh chấp đất ở miền Tây căng thẳng quá",
        "được giấy khen năm nay, bà nội khoe khắp xóm",
        # What a household already poor receives, a place renamed:
        "nhà mình thuộc hộ cận nghèo thì được hỗ trợ những gì",
        "tỉnh mình sắp đổi tên thành gì",
        # A matter placed at another body, the commune not said:
        "mua đất rồi ra văn phòng công chứng làm hợp đồng thì phí bao nhiêu",
        # Benefits of a status held, duties that are no military service, news of the
        # administration, a certificate received:
        "nhà đạt gia đình văn hóa thì có được thưởng gì không",
        "quyền và nghĩa vụ của người lao động là gì",
        "xã mình sắp sáp nhập với xã bên hả",
        "cháu mới được giấy khen, ông bà cho tiền",
        "mới cưới được tháng, vợ chồng tính ra riêng mà sợ mẹ chồng buồn",
        "em gái đã được tặng giấy khen, cả xóm kéo tới chúc mừng",
        "nghe đâu mấy vụ tranh chấp đất ở huyện bên căng lắm",
        "xin con nuôi có phải xem tuổi bố mẹ nuôi không",
        "bà nội dọa sẽ làm di chúc cho chú út hết",
        "nghe bảo quy định mới sắp bỏ đăng ký thường trú phải không",
        # The form asks about something else: a worry about a paper had or a thing past, a
        # word's meaning, a question of knowledge (sa7):
        "hồi còn nhỏ làm rách tờ giấy khen thì có sao không",
        "tờ trích lục bị ố vàng có bị làm sao không",
        "đăng ký nghĩa vụ quân sự có nghĩa là gì",
        "nguồn gốc của tục lập di chúc",
        "tại sao gọi là chứng thực chữ ký",
        "nghe đâu ông trưởng thôn cũ lập di chúc cho đứa con nuôi",
        "hôm kia con bé nhà bên đăng ký tạm trú ở khu trọ mới, vui ghê",
        "sổ hộ khẩu cũ bị mờ chữ có sao không",
        "xin mời hai họ tới dự tiệc mừng đăng ký kết hôn của hai cháu",
        "cám ơn cán bộ xã đã xác nhận tình trạng hôn nhân nhanh cho con",
    ],
)
def test_near_misses_get_no_confident_answer(knowledge: Knowledge, query: str) -> None:
    """Issue 14: a message that shares words with a procedure but asks for nothing."""
    result = knowledge.search.search(query)
    assert result.answer is None and result.referral is None, result


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A work told as finished before the need is the story ("xem phim xong, …").
        ("đọc truyện xong thấy lo, tôi muốn lập di chúc ở xã", "chung-thuc-di-chuc"),
        # The custom done, then the procedure asked for.
        ("làm tuần 49 ngày cho ba xong rồi, giờ đi đăng ký khai tử", "dang-ky-khai-tu"),
        # "cho con" typed plain is "for the child", never "chó con".
        ("lam giay khai sinh cho con o xa", "dang-ky-khai-sinh"),
        # A land quarrel is the mediation; three children born is no litter.
        ("hàng xóm tranh chấp đất, nhờ xã hòa giải giúp", "hoa-giai-tranh-chap-dat-dai"),
        ("con gái tôi sinh được 3 con rồi, giờ làm khai sinh cho đứa út", "dang-ky-khai-sinh"),
        # A wish not had beside a need that still is: renouncing an inheritance.
        ("anh không muốn nhận đất thừa kế, nhường hết cho em gái", "chung-thuc-phan-chia-di-san"),
        # Asking to become a poor household; a child's name changed at the commune.
        ("xin vào hộ nghèo ở xã cần gì", "cong-nhan-ho-ngheo"),
        ("lên xã đổi tên cho con được không", "thay-doi-cai-chinh-ho-tich"),
        # The commune said beside another body: the commune's procedure is asked.
        ("hợp đồng mua bán xe làm ở ủy ban hay văn phòng công chứng", "chung-thuc-hop-dong"),
        # Military service and a certificate asked for beside the same words.
        ("thanh niên 17 tuổi đi đăng ký nghĩa vụ ở xã cần gì", "dang-ky-nghia-vu-quan-su"),
        ("muốn được giấy khen của chủ tịch xã thì thôn làm hồ sơ thế nào", "tang-giay-khen"),
        ("điều kiện được tặng giấy khen của chủ tịch xã là gì", "tang-giay-khen"),
        # A worry about a deed planned, done late or not yet asks about the procedure; a need
        # after the worry is still one (sa7).
        ("đăng ký tạm trú ở nhà người quen có sao không", "dang-ky-tam-tru"),
        ("khai sinh cho cháu quá hạn có bị làm sao không", "dang-ky-khai-sinh"),
        ("trích lục kết hôn bị rách có sao không, xin lại ở đâu", "cap-ban-sao-trich-luc"),
        ("nghe nói chị hàng xóm đăng ký tạm trú online, tôi làm sao", "dang-ky-tam-tru"),
        ("tháng trước vợ tôi sinh bé gái, nay muốn đăng ký khai sinh cho bé", "dang-ky-khai-sinh"),
        ("cảm ơn anh, cho em hỏi đăng ký tạm trú ở đâu", "dang-ky-tam-tru"),
    ],
)
def test_real_requests_told_near_other_subjects(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    result = knowledge.search.search(query)
    assert result.answer == expected, result


def test_a_story_whose_need_names_nothing_offers_a_choice(knowledge: Knowledge) -> None:
    """ "Giờ tôi muốn làm giấy tờ cho cháu": the context alone must make the answer clear."""
    result = knowledge.search.search(
        "Nhà tôi ở xóm Bắc, vợ mới sinh ở trạm y tế. Giờ tôi muốn làm giấy tờ cho cháu"
    )
    assert result.answer is None
    assert "dang-ky-khai-sinh" in [c.id for c in result.candidates[:3]]


def test_a_question_about_a_dossier_is_not_a_referral(knowledge: Knowledge) -> None:
    result = knowledge.search.search("hồ sơ của tôi đến đâu rồi")
    assert result.small_talk is SmallTalk.DOSSIER and result.referral is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "vợ chồng tôi lấy nhau 10 năm mà chưa có con, đi chữa nhiều nơi không được. "
            "Giờ muốn nhận một bé về nuôi",
            "dang-ky-nuoi-con-nuoi",
        ),
        (  # the pension named in the context is not what is asked: no referral; from 75
            # without a pension the monthly money is the social pension (NĐ 176/2025/NĐ-CP)
            "mẹ tôi 82 tuổi, không có lương hưu, sống một mình. Nghe nói được nhận tiền hàng tháng",
            "tro-cap-huu-tri-xa-hoi",
        ),
        (  # what was done already is context; the need is what is left
            "Ông tôi mất tháng trước, nhà đã làm khai tử xong rồi. Ông đang hưởng trợ cấp bảo "
            "trợ xã hội. Giờ nhà muốn xin tiền hỗ trợ mai táng",
            "ho-tro-chi-phi-mai-tang",
        ),
        ("đã làm khai sinh cho con, giờ muốn nhập hộ khẩu", "dang-ky-thuong-tru"),
        (  # the need sentence read alone names another procedure than the context: it wins
            "Tôi nhận trợ cấp hằng tháng vì khuyết tật. Nay tôi và chồng muốn nhận một bé gái "
            "về làm con nuôi",
            "dang-ky-nuoi-con-nuoi",
        ),
        (  # … but the context still chooses between procedures the need fits alike
            "Ba tôi là liệt sĩ, mẹ tôi hưởng trợ cấp tuất. Mẹ vừa mất. Cần làm hồ sơ mai táng phí",
            "mai-tang-phi-nguoi-co-cong",
        ),
        ("photo sổ đỏ xong đem ra xã sao y", "chung-thuc-ban-sao"),  # "xong" before: next step
        ("ông nội 75 tuổi mà chưa từng được khai sinh, giờ muốn làm", "dang-ky-khai-sinh"),
        # Dialect need verbs, everyday names, English words mixed in:
        ("mần giấy khai sanh cho con được hông", "dang-ky-khai-sinh"),
        ("nhập khẩu cho vợ", "dang-ky-thuong-tru"),
        ("làm giấy hôn thú", "dang-ky-ket-hon"),
        ("làm giấy báo tử cho bà ở xã", "dang-ky-khai-tu"),
        ("xin birth certificate cho con", "dang-ky-khai-sinh"),
        ("marriage certificate", "dang-ky-ket-hon"),
        ("notarize hợp đồng thuê nhà", "chung-thuc-hop-dong"),
        ("register military service", "dang-ky-nghia-vu-quan-su"),
        ("land dispute với hàng xóm", "hoa-giai-tranh-chap-dat-dai"),
        ("certificate of marital status", "xac-nhan-tinh-trang-hon-nhan"),
        ("d9a8ng ky1 ke6t1 ho6n", "dang-ky-ket-hon"),  # VNI keystrokes
        ("d9a8ng ky1 ta5m tru1", "dang-ky-tam-tru"),
        ("ddawng kys giams hooj", "dang-ky-giam-ho"),  # Telex keystrokes
        ("coong chuwngs banr sao", "chung-thuc-ban-sao"),  # "coong" is shaped like a syllable
        ("khia sinh cho con", "dang-ky-khai-sinh"),  # two letters swapped, beside "sinh"
        ("dnag ky tam tru", "dang-ky-tam-tru"),
        ("dang ky ket hno", "dang-ky-ket-hon"),  # not a syllable: the swap that is a word
        ("death certificate for my father", "dang-ky-khai-tu"),  # English family words
        ("open a community library, register where", "dang-ky-thu-vien-tu-nhan"),
        # The purpose after "để" says why, not what: it weighs less than the need.
        ("Nhà khó khăn. Muốn xin hộ nghèo để con được miễn học phí", "cong-nhan-ho-ngheo"),
        ("thủ tục để bố nhận con", "dang-ky-nhan-cha-me-con"),  # no need before "để"
        ("đk kh", "dang-ky-ket-hon"),  # kh: kết hôn beside đăng ký…
        ("vk ck em muốn đk kh", "dang-ky-ket-hon"),
        ("nhập hk cho ck", "dang-ky-thuong-tru"),
        ("xn tình trạng hn", "xac-nhan-tinh-trang-hon-nhan"),
    ],
)
def test_how_people_really_write(knowledge: Knowledge, query: str, expected: str) -> None:
    result = knowledge.search.search(query)
    # The right procedure, and confidently — unless a neighbour fits almost as well: then it
    # is first of a short choice (a tap, never a wrong card).
    if result.answer is None and not result.clear:
        assert result.candidates[0].id == expected
        assert len(result.candidates) <= 3
    else:
        assert result.answer == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cụ nhà tôi khuất núi hôm qua, ra xã làm giấy gì", "dang-ky-khai-tu"),
        ("bà tắt thở lúc sáng, báo xã làm giấy tử", "dang-ky-khai-tu"),
        ("ong noi man phan roi, khai bao voi xa", "dang-ky-khai-tu"),
        ("hai đứa định lấy nhau, ra xã làm giấy", "dang-ky-ket-hon"),
        ("cuoi nhau roi ma chua co giay to cuoi", "dang-ky-ket-hon"),
        ("xin giấy xác nhận chưa lấy chồng", "xac-nhan-tinh-trang-hon-nhan"),
        ("lam giay single de lam ho so", "xac-nhan-tinh-trang-hon-nhan"),
        ("chứng nhận còn son để nộp hồ sơ đi làm", "xac-nhan-tinh-trang-hon-nhan"),
        ("bố muốn nhận đứa con rơi", "dang-ky-nhan-cha-me-con"),
        ("lam nguoi do dau cho chau mo coi", "dang-ky-giam-ho"),
        ("đăng ký làm người bảo hộ cho em bị tâm thần", "dang-ky-giam-ho"),
        ("mang bản gốc ra xã chứng thực bản photo", "chung-thuc-ban-sao"),
        ("xin trích sao giấy kết hôn", "cap-ban-sao-trich-luc"),
        ("lam giay uy quyen cho con", "chung-thuc-chu-ky"),
        ("viết giấy ủy quyền cho em trai nộp hồ sơ", "chung-thuc-chu-ky"),
        ("làm giấy sang nhượng mảnh ruộng", "chung-thuc-hop-dong"),
        ("cắm sổ đỏ vay tiền, chứng hợp đồng", "chung-thuc-hop-dong"),
        ("ông muốn viết lời trăn trối để lại nhà", "chung-thuc-di-chuc"),
        ("anh em chia của cải cha mẹ để lại", "chung-thuc-phan-chia-di-san"),
        ("xin giấy xác nhận cho con bị bại não", "xac-dinh-muc-do-khuyet-tat"),
        ("xac nhan khuyet tat cho nguoi bi mu", "xac-dinh-muc-do-khuyet-tat"),
        ("giấy xác nhận cho người câm điếc", "xac-dinh-muc-do-khuyet-tat"),
        ("làm sổ nghèo cho nhà tôi", "cong-nhan-ho-ngheo"),
        ("xin vào diện cận nghèo", "cong-nhan-ho-ngheo"),
        ("con gia đình chính sách được miễn học phí không", "uu-dai-giao-duc-nguoi-co-cong"),
        ("giành đất với nhà bên, nhờ xã hòa giải", "hoa-giai-tranh-chap-dat-dai"),
        ("bị hàng xóm lấn ranh, xã giải quyết", "hoa-giai-tranh-chap-dat-dai"),
        ("đăng ký quân dịch cho con trai", "dang-ky-nghia-vu-quan-su"),
        ("con trai muốn đi quân đội, đăng ký ở đâu", "dang-ky-nghia-vu-quan-su"),
        ("lập nhóm tụng kinh tại nhà", "sinh-hoat-ton-giao-tap-trung"),
        ("đăng ký nhóm tin lành sinh hoạt tại gia", "sinh-hoat-ton-giao-tap-trung"),
        ("mở góc đọc sách cho thiếu nhi trong thôn", "dang-ky-thu-vien-tu-nhan"),
        ("xin bằng khen cho người cứu người", "tang-giay-khen"),
        ("về quê ở hẳn, đăng ký cư trú", "dang-ky-thuong-tru"),
        # Regional names (second round): giấy chết, lo tang, chữ lót, tái giá, lương già…
        ("xin giấy chết cho bà ngoại", "dang-ky-khai-tu"),
        ("cụ hưởng bảo trợ xã hội mất, xin hỗ trợ lo tang", "ho-tro-chi-phi-mai-tang"),
        ("sửa chữ lót trong giấy khai sinh", "thay-doi-cai-chinh-ho-tich"),
        ("giay xac nhan chua tai gia de huong che do", "xac-nhan-tinh-trang-hon-nhan"),
        ("xin lương già cho mẹ 76 tuổi", "tro-cap-huu-tri-xa-hoi"),
        ("thị thực chữ ký trên giấy cam kết", "chung-thuc-chu-ky"),
        ("cha là lão thành cách mạng từ trần, xin mai táng phí", "mai-tang-phi-nguoi-co-cong"),
        ("con người nhiễm dioxin được miễn học phí không", "uu-dai-giao-duc-nguoi-co-cong"),
        ("xin giấy chứng nhận cho cháu bị hội chứng down", "xac-dinh-muc-do-khuyet-tat"),
        # Old Southern names, English and teen-code of young people (third round):
        ("làm giấy giá thú cho hai đứa", "dang-ky-ket-hon"),
        ("đưa tên vợ vào sổ gia đình bên chồng", "dang-ky-thuong-tru"),
        ("giấy confirm chưa kết hôn", "xac-nhan-tinh-trang-hon-nhan"),
        ("single dad đăng ký khai sinh cho con", "dang-ky-khai-sinh"),
        ("xin giấy độc thân đi xkld", "xac-nhan-tinh-trang-hon-nhan"),
        ("đk tạm trú cho sv thuê trọ", "dang-ky-tam-tru"),
        ("cụ già không nơi nương tựa xin trợ cấp hằng tháng", "tro-cap-xa-hoi-hang-thang"),
        ("chứng thực syll xin đi làm", "chung-thuc-chu-ky"),
        ("ông là thương bệnh binh mất, xin tiền mai táng", "mai-tang-phi-nguoi-co-cong"),
    ],
)
def test_everyday_names_and_situations(knowledge: Knowledge, query: str, expected: str) -> None:
    """Folk names and situations the catalogue does not say (the lexicon's synonyms: "khuất
    núi", "lấy nhau", "còn son", "con rơi", "sổ nghèo", "quân dịch", "bại não"…): the right
    procedure is shown first, as an answer or first of a short choice."""
    result = knowledge.search.search(query)
    first = first_shown(result)
    assert first == expected
    assert result.answer in (None, expected)


@pytest.mark.parametrize(
    "query",
    [
        "ông khuất núi đã ba năm, giỗ ông nấu món gì",
        "con rơi con vãi là sao",
        "hai đứa lấy nhau năm nào thì hợp tuổi",
        "phim về người mù hay nhất",
        "chùa có tụng kinh ngày rằm không",
        "bằng khen của con treo ở đâu cho đẹp",
        "của cải không mang theo được khi chết",
        "đám hiếu ở quê kéo dài mấy ngày",
        "ly dị xong con cái ở với ai",
        "tên lót nào hay cho bé trai",
        "single dad nuôi con một mình có mệt không",
        "roommate không trả tiền phòng thì sao",
        "confirm lại giúp em giờ họp",
        "tuổi già cô đơn buồn lắm",
    ],
)
def test_everyday_names_in_other_talk_get_no_answer(knowledge: Knowledge, query: str) -> None:
    assert knowledge.search.search(query).answer is None


@pytest.mark.parametrize(
    ("pattern", "text", "size"),
    [
        ("cần (những) [gì|chi]", "cần những gì", 3),  # the optional word said
        ("cần (những) [gì|chi]", "cần chi", 2),  # left out: the word after is the last slot's
        ("cần (những) [gì|chi]", "cần tiền", 0),  # the word after can continue nothing
        ("cần (những) [gì|chi]", "cần", 0),  # nothing after a word that needs one
        ("[mất|tốn] (bao lâu)", "mất", 1),  # a match may end after its first word
        ("[giấy tờ|hồ sơ] gì", "hồ sơ gì", 3),  # the second word inside the first slot
        ("(có) cần gì", "cần gì", 2),  # an optional first slot left out
        ("(có) cần gì", "có cần gì", 3),  # … or said
        ("(có) cần gì", "có tiền", 0),  # after "có" only "cần" may stand
        ("(có) cần gì", "cần tiền", 0),  # after "cần" (the slot it fills) only "gì"
        ("(có) (phải) mang gì", "có mang gì", 3),  # several optional slots passed over
        ("(có) (phải) mang gì", "có nhà", 0),
        ("(có) [được|phải]", "có", 0),  # the required slot after it is missing
        ("[có|được] (không)", "có gì", 1),  # a match may end after "có": never turned away
    ],
)
def test_a_pattern_is_turned_away_by_its_second_word_only_when_it_cannot_match(
    pattern: str, text: str, size: int
) -> None:
    """PhraseTable looks at the word after the first before trying a pattern (speed): that test
    must never turn away a pattern that would match."""
    table = PhraseTable([(parse_pattern(pattern), "x")])
    words = split_words(text)
    found = table.matches(words, 0, _same_word) if words[0].folded in table.first_words else []
    assert max((found_size for found_size, _ in found), default=0) == size


def test_word_classes_in_lexicon_patterns(tmp_path: Path) -> None:
    """`<người>` in a pattern stands for every word of the class; an unknown class is refused
    with the file's name, in Vietnamese."""
    lexicon_file = tmp_path / "lexicon.yaml"
    lexicon_file.write_text(
        "classes:\n  người: [con, hàng xóm]\naspects:\n  who: ['[<người>] đi thay']\n",
        encoding="utf-8",
    )
    lexicon = Lexicon.load(lexicon_file)
    words = split_words("hàng xóm đi thay")
    assert [size for size, _ in lexicon.aspects.matches(words, 0, lambda w, e: True)] == [4]
    lexicon_file.write_text("aspects:\n  who: ['[<ai>] đi thay']\n", encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as refused:
        Lexicon.load(lexicon_file)
    assert "lexicon.yaml" in refused.value.report() and "<ai>" in refused.value.report()


def test_a_word_class_may_name_another(tmp_path: Path) -> None:
    """ "người làm: [<người>, cụ]" holds every word of "người" too; a class that names itself,
    even through another, is refused."""
    lexicon_file = tmp_path / "lexicon.yaml"
    lexicon_file.write_text(
        "classes:\n  người: [con, hàng xóm]\n  người làm: [<người>, cụ]\n"
        "aspects:\n  who: ['[<người làm>] đi thay']\n",
        encoding="utf-8",
    )
    lexicon = Lexicon.load(lexicon_file)
    for text, size in (("hàng xóm đi thay", 4), ("cụ đi thay", 3)):
        words = split_words(text)
        assert [n for n, _ in lexicon.aspects.matches(words, 0, lambda w, e: True)] == [size]
    lexicon_file.write_text(
        "classes:\n  a: [<b>, con]\n  b: [<a>]\naspects:\n  who: ['[<a>] đi thay']\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueInvalid) as refused:
        Lexicon.load(lexicon_file)
    assert "lexicon.yaml" in refused.value.report()


def test_kh_is_still_khong_elsewhere(knowledge: Knowledge) -> None:
    result = knowledge.search.search("khai sinh có mất phí kh")
    assert result.answer == "dang-ky-khai-sinh" and result.aspect is Aspect.FEES


def test_tt_leaves_the_choice_to_the_person(knowledge: Knowledge) -> None:
    result = knowledge.search.search("đăng ký tt")
    assert result.answer is None
    assert {c.id for c in result.candidates[:2]} == {"dang-ky-tam-tru", "dang-ky-thuong-tru"}


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("cam on nhieu nha", SmallTalk.THANKS),
        ("dạ em cảm ơn ạ", SmallTalk.THANKS),
        ("cám ơn con nghen", SmallTalk.THANKS),
        ("chào cháu", SmallTalk.GREETING),
        ("chào bác", SmallTalk.GREETING),
        ("số điện thoại xã", SmallTalk.CONTACT),
    ],
)
def test_thanks_and_greetings_in_any_dialect(
    knowledge: Knowledge, query: str, kind: SmallTalk
) -> None:
    assert knowledge.search.search(query).small_talk is kind


def test_candidates_are_best_first_and_scored(knowledge: Knowledge) -> None:
    result = knowledge.search.search("khai sinh")
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert result.candidates[0].id == result.answer


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_gets_an_answer_or_none_never_an_error(knowledge: Knowledge, text: str) -> None:
    result = knowledge.search.search(text)
    assert result.answer is None or result.answer in knowledge.catalogue


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=2000, max_size=20000))
def test_very_long_messages_are_handled(knowledge: Knowledge, text: str) -> None:
    knowledge.search.search(text)


def test_search_json_contract() -> None:
    """`python -m bot search --json`: one query per line in, one JSON object per line out."""
    queries = ["dang ky khai sinh", "xin chào", "cấp hộ chiếu", ""]
    run = subprocess.run(
        [sys.executable, "-m", "bot", "search", "--json"],
        input="\n".join(queries) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["query"] for line in lines] == queries
    assert lines[0]["answer"] == "dang-ky-khai-sinh"
    assert lines[0]["candidates"][0]["id"] == "dang-ky-khai-sinh"
    assert isinstance(lines[0]["candidates"][0]["score"], float)
    assert lines[1]["answer"] is None and lines[2]["answer"] is None
    assert all(set(line) >= {"query", "answer", "candidates"} for line in lines)


def test_search_json_reports_the_aspect() -> None:
    queries = ["khai tu can gi", "bao nhiêu tiền", "nộp khai sinh online được không", "khai tử"]
    run = subprocess.run(
        [sys.executable, "-m", "bot", "search", "--json"],
        input="\n".join(queries) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    aspects = [json.loads(line)["aspect"] for line in run.stdout.splitlines()]
    assert aspects == ["documents", "fees", "online", None]


@pytest.mark.parametrize(
    ("query", "second"),
    [
        # Neighbours the message fits alike: a choice, the likelier first (both listed).
        ("trích lục khai tử", "cap-ban-sao-trich-luc"),
        ("làm hồ sơ mai táng phí", "ho-tro-chi-phi-mai-tang"),
    ],
)
def test_a_close_call_is_a_choice_not_an_answer(
    knowledge: Knowledge, query: str, second: str
) -> None:
    result = knowledge.search.search(query)
    assert result.answer is None
    assert not result.clear
    assert 2 <= len(result.candidates) <= 3
    assert second in {c.id for c in result.candidates[:2]}


@pytest.mark.parametrize(
    "query",
    ["kết hôn", "ket hon can chi", "nhận con nuôi", "nhập hộ khẩu", "khai tử", "đăng ký tạm trú"],
)
def test_a_clear_question_gets_a_confident_answer(knowledge: Knowledge, query: str) -> None:
    """The whole name of one procedure said, and none of its neighbours': no choice needed."""
    result = knowledge.search.search(query)
    assert result.answer is not None and result.clear


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("bà tôi không có lương hưu gì cả, xã có trợ cấp không", "tro-cap-huu-tri-xa-hoi"),
        ("bố tôi già rồi mà chẳng có đồng lương hưu nào, xã có hỗ trợ gì không", None),
        # The whole noun phrase of what is missing, however long.
        (
            "mẹ mất mà không có bảo hiểm xã hội thì có được tiền mai táng không",
            "ho-tro-chi-phi-mai-tang",
        ),
        (
            "ông mất, không có chế độ bảo hiểm xã hội gì, xin xã tiền mai táng được không",
            "ho-tro-chi-phi-mai-tang",
        ),
        ("bà nội mất mà ko có bhxh thì xin tiền chôn cất ở đâu", "ho-tro-chi-phi-mai-tang"),
    ],
)
def test_a_thing_said_to_be_missing_is_not_what_is_asked(
    knowledge: Knowledge, query: str, wanted: str | None
) -> None:
    """ "Không có lương hưu" is no question about the pension (no referral to social insurance):
    what is missing is context, the need decides."""
    result = knowledge.search.search(query)
    assert result.referral is None
    first = result.answer or result.candidates[0].id
    assert first in (
        {wanted} if wanted else {"tro-cap-huu-tri-xa-hoi", "tro-cap-xa-hoi-hang-thang"}
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("người khuyết tật có được nhận nuôi con nuôi không", "dang-ky-nuoi-con-nuoi"),
        ("mẹ đơn thân có được đăng ký khai sinh cho con không", "dang-ky-khai-sinh"),
        ("người cao tuổi sống một mình có được làm giám hộ cho cháu không", "dang-ky-giam-ho"),
    ],
)
def test_who_is_described_does_not_outweigh_what_is_asked(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected
    assert result.aspect is Aspect.WHO


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("đăng ký lại khai sinh cho mẹ", "dang-ky-lai-khai-sinh"),
        ("đk lại ks cho bố 70 tuổi", "dang-ky-lai-khai-sinh"),
        ("khai sinh lại cho ông vì giấy cũ mục hết", "dang-ky-lai-khai-sinh"),
        ("làm lại giấy kết hôn bị cháy", "dang-ky-lai-ket-hon"),
        ("cần đăng ký lại kết hôn vì sổ ở xã bị mất", "dang-ky-lai-ket-hon"),
    ],
)
def test_again_with_a_registering_verb_is_a_re_registration(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected


@pytest.mark.parametrize(
    "query",
    [
        "mẹ đẻ muốn nhận lại con đã thất lạc nhiều năm",
        "chồng cũ bỏ đi mười năm, nay quay về muốn nhận lại con",
        "nhan lai con that lac nhieu nam nay moi tim duoc",
        "đi làm ăn xa nay về lại quê sống thì đăng ký thường trú thế nào",
        "tìm được đứa con bị lạc từ nhỏ, giờ muốn nhận lại",
        # the person lost after the word
        "thất lạc đứa con trai từ năm 1990, nay tìm được rồi muốn nhận lại",
        "lạc mất con gái hồi nhỏ, giờ gặp lại muốn nhận lại",
    ],
)
def test_back_or_a_lost_person_is_no_re_registration(knowledge: Knowledge, query: str) -> None:
    """ "lại" after "nhận", "về" says back, not again; a child lost is not a paper lost."""
    result = knowledge.search.search(query)
    shown = [result.answer] if result.answer else [c.id for c in result.candidates[:1]]
    assert not {"dang-ky-lai-khai-sinh", "dang-ky-lai-ket-hon"} & set(shown)


def test_the_sense_of_lai_is_read_alike_in_catalogue_and_message(knowledge: Knowledge) -> None:
    search = knowledge.search

    def words(text: str) -> list[str]:
        return [w.folded for w in analyse(text, search.lexicon, search.index).words]

    assert "lai" in words("đăng ký lại khai sinh") and "lai" in words("giấy kết hôn làm lại")
    assert "lai" not in words("nhận lại con") and "lai" not in words("để lại đất cho con")
    # The other sense is one with its verb, and the catalogue spells it the same way.
    assert words("nhận lại con")[1] in search.index.vocab
    assert words("để lại đất cho con")[0] in search.index.vocab
    assert not {w for w in words("đứa con thất lạc") if w.isalnum()} & {"that", "lac"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vợ mất sớm, tôi nuôi hai đứa con ăn học, xin vào diện hộ nghèo", "cong-nhan-ho-ngheo"),
        ("ông một mình nuôi mấy đứa cháu, muốn xin trợ cấp xã hội", "tro-cap-xa-hoi-hang-thang"),
        ("nuoi 3 dua con nho, xin ho can ngheo", "cong-nhan-ho-ngheo"),
        ("chị nuôi mẹ già bị liệt, xin trợ cấp chăm sóc", "tro-cap-xa-hoi-hang-thang"),
    ],
)
def test_raising_ones_children_is_no_adoption(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """ "nuôi" before a count of people or a parent ("nuôi hai đứa con", "nuôi mẹ già") is
    raising them, a situation; the need said after it decides."""
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected


def test_adopting_keeps_its_sense_with_a_count(knowledge: Knowledge) -> None:
    search = knowledge.search

    def words(text: str) -> list[str]:
        return [w.folded for w in analyse(text, search.lexicon, search.index).words]

    assert "nuoi" in words("nhận nuôi hai bé mồ côi") and "nuoi" in words("muốn nuôi một bé")
    assert "nuoi" not in words("một mình nuôi con") and "nuoi" not in words("nuôi 2 đứa nhỏ")
    result = search.search("nhận nuôi hai bé mồ côi trong xóm")
    assert (result.answer or result.candidates[0].id) == "dang-ky-nuoi-con-nuoi"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("chồng tôi xin hộ nghèo cho cả nhà được không", "cong-nhan-ho-ngheo"),
        ("mẹ em làm hộ cận nghèo thay được không", "cong-nhan-ho-ngheo"),
        ("bà nội nhập hộ khẩu cho cháu được hông", "dang-ky-thuong-tru"),
    ],
)
def test_a_household_is_not_on_behalf(knowledge: Knowledge, query: str, expected: str) -> None:
    """ "hộ" that begins a catalogue pair ("hộ nghèo", "hộ khẩu") is no part of a who-frame."""
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected
    assert "ho" in [
        w.folded for w in analyse(query, knowledge.search.lexicon, knowledge.search.index).words
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A gift of land in everyday words is a contract to certify.
        ("bố tôi cho em gái một thửa đất, ra xã làm giấy thế nào", "chung-thuc-hop-dong"),
        ("ong ba cho chau dat vuon thi lam giay to gi", "chung-thuc-hop-dong"),
        ("muốn viết giấy cho đất thằng út", "chung-thuc-hop-dong"),
        ("đem hợp đồng mua bán ra xã chứng mất mấy ngày", "chung-thuc-hop-dong"),
        # A pension said to be missing without "có" is context, not the procedure asked.
        ("cụ ông 82 tuổi chẳng lương hưu gì, xin trợ cấp", "tro-cap-xa-hoi-hang-thang"),
        # English "again" after a registration is a re-registration.
        ("need to register my birth again, old paper lost", "dang-ky-lai-khai-sinh"),
        # A record gone from the commune's books: a need, though no verb says it.
        (
            "giấy khai sinh của ông ngày trước bị cháy hết, xã không còn lưu",
            "dang-ky-lai-khai-sinh",
        ),
        ("ủy ban hông còn lưu sổ khai sinh của tui", "dang-ky-lai-khai-sinh"),
        ("giấy kết hôn của ông bà mất, xã cũng chẳng còn sổ", "dang-ky-lai-ket-hon"),
    ],
)
def test_everyday_words_of_the_fifth_round(knowledge: Knowledge, query: str, expected: str) -> None:
    result = knowledge.search.search(query)
    shown = result.answer or (result.candidates[0].id if result.candidates else None)
    if expected == "tro-cap-xa-hoi-hang-thang":
        assert shown in {expected, "tro-cap-huu-tri-xa-hoi"}
    else:
        assert shown == expected


@pytest.mark.parametrize(
    "query",
    [
        "làm giấy cho nhà hàng xóm được không",  # "cho nhà …": on someone's behalf
        "giấy chứng tử của bố để đâu rồi",  # "chứng" alone is no certification
        "xin cho mình sổ đỏ",
    ],
)
def test_giving_is_a_gift_only_of_land(knowledge: Knowledge, query: str) -> None:
    result = knowledge.search.search(query)
    assert result.answer != "chung-thuc-hop-dong"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("con trai đi học xa có cần đăng ký tạm trú không", "dang-ky-tam-tru"),
        ("đi làm thuê ở tỉnh khác có cần khai báo tạm trú không", "dang-ky-tam-tru"),
        ("bán cái xe máy cũ cho bạn có cần chứng thực hợp đồng không", "chung-thuc-hop-dong"),
    ],
)
def test_a_procedure_asked_whether_needed_is_the_need(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """ "… có cần đăng ký tạm trú không" with no need outside the question: the question is the
    need (the rest, "đi học xa", is no procedure of its own)."""
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected


def test_a_need_inside_a_document_question_is_the_rest_s_need_only_at_its_end(
    knowledge: Knowledge,
) -> None:
    search = knowledge.search

    def need(text: str) -> bool:
        return analyse(text, search.lexicon, search.index).need

    assert not need("ở nhà thuê có cần chứng thực hợp đồng không")
    assert need("làm khai sinh cho con có cần cccd của bố không")
    # "cần … chưa" inside a sentence that goes on is no question about a document.
    assert need("công ty cần giấy xác nhận cháu chưa kết hôn")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cám ơn chị đã chỉ cách làm giấy khai sinh nha", None),
        ("dạ cảm ơn cán bộ đã giúp vụ tạm trú cho con", None),
        # Thanks, then a need: the need is answered.
        ("cảm ơn ạ, cho em hỏi thêm tạm trú cần giấy gì", "dang-ky-tam-tru"),
        ("cảm ơn, giờ em muốn làm giấy xác nhận độc thân", "xac-nhan-tinh-trang-hon-nhan"),
    ],
)
def test_thanks_naming_a_procedure_are_thanks(
    knowledge: Knowledge, query: str, expected: str | None
) -> None:
    """Thanks for help given ("đã chỉ", "đã giúp": a deed done) that ask nothing get no card."""
    result = knowledge.search.search(query)
    assert result.answer == expected
    assert result.small_talk is (SmallTalk.THANKS if expected is None else None)


def test_a_missing_thing_is_its_whole_noun_phrase(knowledge: Knowledge) -> None:
    """Up to the word that starts something else: "thì", a question word, a verb."""
    search = knowledge.search

    def context(text: str) -> list[str]:
        analysis = analyse(text, search.lexicon, search.index)
        return [w.folded for w in analysis.words if w.earlier]

    assert context("không có giấy báo tử của bệnh viện thì sao") == [
        "giay", "chung", "tu", "benh~", "vien~",
    ]  # fmt: skip
    assert context("không có giấy đăng ký kết hôn thì làm khai sinh được không") == [
        "giay", "dang", "ky", "ket", "hon",
    ]  # fmt: skip
    assert context("không có giấy chứng sinh khai sinh cho con được không") == [
        "giay", "chung", "sinh",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Both parts said (a birth, the father acknowledged), or one part and the combined
        # procedure's own words ("chưa kết hôn"): the combined procedure first.
        ("khai sinh kèm nhận cha cho bé mới đẻ", "khai-sinh-ket-hop-nhan-cha-me-con"),
        ("khai sinh cho con ngoài giá thú mà bố muốn nhận", "khai-sinh-ket-hop-nhan-cha-me-con"),
        ("lam khai sinh cho con moi sinh va nhan bo luon", "khai-sinh-ket-hop-nhan-cha-me-con"),
        ("con mới sinh chưa khai sinh, bố đẻ muốn nhận con", "khai-sinh-ket-hop-nhan-cha-me-con"),
        # One part: that part. A paper already in hand is context; "bố đẻ" is a person.
        ("bố đẻ muốn nhận con đã có giấy khai sinh từ lâu", "dang-ky-nhan-cha-me-con"),
        ("cha ruột của bé muốn nhận con thì làm sao", "dang-ky-nhan-cha-me-con"),
        ("giay khai sinh cho con cua me don than, ko co ten bo", "dang-ky-khai-sinh"),
        ("dang ki giay khai sinh cho dua thu 2", "dang-ky-khai-sinh"),
    ],
)  # fmt: skip
def test_a_combined_procedure_needs_both_of_its_parts(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected


def test_combined_procedures_are_found_from_their_names(knowledge: Knowledge) -> None:
    index = knowledge.search.index
    ids = [e.id for e in index.entries]
    combined = {
        ids[e]: {ids[p.entry] for p in parts if p.entry >= 0} for e, parts in index.parts.items()
    }
    assert combined["khai-sinh-ket-hop-nhan-cha-me-con"] == {
        "dang-ky-khai-sinh",
        "dang-ky-nhan-cha-me-con",
    }


def test_a_paper_in_hand_and_a_parent_by_birth_are_context(knowledge: Knowledge) -> None:
    search = knowledge.search

    def context(text: str) -> list[str]:
        analysis = analyse(text, search.lexicon, search.index)
        return [w.folded for w in analysis.words if w.earlier or not w.folded.isalnum()]

    # (the marker's own word, "sẵn", is context too)
    assert context("bé đã có sẵn giấy khai sinh, bố muốn nhận con") == [
        "san",
        "giay",
        "khai",
        "sinh",
    ]
    assert context("bố đẻ muốn nhận con") == ["de~"]
    assert context("con mới đẻ làm giấy gì") == []


# Every way of asking about a part, said in everyday words (the blind set, 2026-12-06): the part
# is recognised, and setting it aside never changes the procedure.
WHO, ONLINE, TIME, WHERE, DOCS = (
    Aspect.WHO, Aspect.ONLINE, Aspect.TIME, Aspect.WHERE, Aspect.DOCUMENTS,
)  # fmt: skip
EVERYDAY_ASPECTS = [
    # who may file, on someone's behalf
    ("tui đăng ký khai sinh thay cho nó được không", "dang-ky-khai-sinh", WHO),
    ("bà làm tạm trú thay cháu được không", "dang-ky-tam-tru", WHO),
    ("me xin giay xac nhan khuyet tat thay con dc ko", "xac-dinh-muc-do-khuyet-tat", WHO),
    ("dang ky tam tru cho con thi no co phai co mat khong", "dang-ky-tam-tru", WHO),
    ("khai tử cho ông thì cháu có phải đi theo không", "dang-ky-khai-tu", WHO),
    ("làm giấy khai sinh có cần bố mẹ có mặt không", "dang-ky-khai-sinh", WHO),
    ("chứng thực di chúc có cần ông có mặt không", "chung-thuc-di-chuc", WHO),
    ("đăng ký kết hôn thì ai là người đứng ra làm", "dang-ky-ket-hon", WHO),
    ("chia thua ke dat cua bo me thi ai dung ra lam", "chung-thuc-phan-chia-di-san", WHO),
    ("tui xin giấy xác nhận độc thân cho nó được hông", "xac-nhan-tinh-trang-hon-nhan", WHO),
    ("em đăng ký nghĩa vụ quân sự thay cho em trai được không", "dang-ky-nghia-vu-quan-su", WHO),
    # the parties of a deed are people too
    ("làm chứng thực chữ ký có cần người ký có mặt không", "chung-thuc-chu-ky", WHO),
    ("chung thuc hop dong ban dat nguoi ban co phai co mat khong", "chung-thuc-hop-dong", WHO),
    ("chứng thực di chúc người lập di chúc có cần có mặt không", "chung-thuc-di-chuc", WHO),
    ("tui khai tử cho nó được không", "dang-ky-khai-tu", WHO),
    ("đăng ký kết hôn có phải đi cả hai người không", "dang-ky-ket-hon", WHO),
    # a verb that begins the procedure's name stays with it ("ai được đi | khai tử")
    ("ai được đi khai tử cho ông", "dang-ky-khai-tu", WHO),
    ("ai đứng ra khai tử cho ông", "dang-ky-khai-tu", WHO),
    ("bao giờ thì phải đi khai tử", "dang-ky-khai-tu", TIME),
    # online
    ("đăng ký tạm trú làm trên điện thoại được không", "dang-ky-tam-tru", ONLINE),
    ("khai tu lam qua app duoc khong", "dang-ky-khai-tu", ONLINE),
    ("xin trích lục khai sinh làm qua ứng dụng được hông", "cap-ban-sao-trich-luc", ONLINE),
    ("đăng ký thường trú nộp bằng điện thoại được không", "dang-ky-thuong-tru", ONLINE),
    ("khai tử cho bố có cách nào khỏi lên xã không", "dang-ky-khai-tu", ONLINE),
    # time
    ("xin giấy độc thân lấy liền được không", "xac-nhan-tinh-trang-hon-nhan", TIME),
    ("chung thuc ban sao lay ngay trong ngay duoc khong", "chung-thuc-ban-sao", TIME),
    ("chứng thực chữ ký có chờ lâu hông", "chung-thuc-chu-ky", TIME),
    ("chứng thực bản sao lấy luôn được không", "chung-thuc-ban-sao", TIME),
    ("đăng ký nghĩa vụ quân sự tháng mấy thì đi đăng ký", "dang-ky-nghia-vu-quan-su", TIME),
    ("con trai 17 tuoi khi nao thi phai di dang ky nghia vu quan su",
        "dang-ky-nghia-vu-quan-su", TIME),
    ("giấy xác nhận khuyết tật bao lâu thì có", "xac-dinh-muc-do-khuyet-tat", TIME),
    # where, also with a duration in the context
    ("xin giấy độc thân làm ở xã nơi thường trú hay xã nơi đang ở",
        "xac-nhan-tinh-trang-hon-nhan", WHERE),
    ("chứng thực hợp đồng mua bán đất nộp chỗ nào", "chung-thuc-hop-dong", WHERE),
    ("khai tu cho ba ra dau lam", "dang-ky-khai-tu", WHERE),
    ("ở trọ được 3 tháng thì đăng ký tạm trú ở đâu", "dang-ky-tam-tru", WHERE),
    ("con sinh được 2 tháng rồi thì làm khai sinh ở đâu", "dang-ky-khai-sinh", WHERE),
    # a document accepted instead of another
    ("đăng ký kết hôn mà không có căn cước chỉ có hộ chiếu được không", "dang-ky-ket-hon", DOCS),
    ("chung thuc ban sao ma ko co ban chinh chi co ban photo duoc ko", "chung-thuc-ban-sao", DOCS),
    ("làm khai tử mà không có giấy báo tử chỉ có giấy của trưởng thôn được không",
        "dang-ky-khai-tu", DOCS),
    # the fresh blind set's categories: a deadline, online or the office, both at once, a fee
    ("khai tử cho bà thì trong vòng mấy ngày phải làm", "dang-ky-khai-tu", TIME),
    ("đăng ký kết hôn qua mạng được không hay phải lên xã", "dang-ky-ket-hon", ONLINE),
    ("chứng thực hợp đồng thì 2 bên có cần lên xã cùng lúc không", "chung-thuc-hop-dong", WHO),
    ("xác nhận độc thân xin ở xã nơi ở trọ hay về xã nơi thường trú",
        "xac-nhan-tinh-trang-hon-nhan", WHERE),
    # online asked with "how" (how is only a fallback), without going, by post
    ("đăng ký thường trú trên vneid như thế nào", "dang-ky-thuong-tru", ONLINE),
    ("làm giấy độc thân mà không cần ra xã được không", "xac-nhan-tinh-trang-hon-nhan", ONLINE),
    ("chứng thực chữ ký gửi qua đường bưu điện được không", "chung-thuc-chu-ky", ONLINE),
    # time: ready by a given time, in time, how much time, when in the year
    ("nộp hồ sơ trích lục khai sinh hôm nay thì chiều mai có lấy được không",
        "cap-ban-sao-trich-luc", TIME),
    ("đăng ký tạm trú có tốn nhiều thời gian không", "dang-ky-tam-tru", TIME),
    ("giấy xác nhận độc thân làm kịp trong tuần sau không", "xac-nhan-tinh-trang-hon-nhan", TIME),
    ("công nhận gia đình văn hóa xét vào đợt nào", "gia-dinh-van-hoa", TIME),
    # who: responsible, cannot write, a person's consent, going oneself
    ("người nào có nghĩa vụ đi khai tử cho cụ", "dang-ky-khai-tu", WHO),
    ("ông tôi mù chữ thì chứng thực di chúc ra sao", "chung-thuc-di-chuc", WHO),
    ("chứng thực hợp đồng có cần vợ đồng ý không", "chung-thuc-hop-dong", WHO),
    ("cháu tôi 15 tuổi có tự đi đăng ký tạm trú được không", "dang-ky-tam-tru", WHO),
    # where: the office that issues it; a place named "nơi …" needs no "ở"
    ("giấy xác nhận khuyết tật do ai cấp", "xac-dinh-muc-do-khuyet-tat", WHERE),
    ("đăng ký kết hôn ở nơi thường trú của vợ hay nơi tạm trú", "dang-ky-ket-hon", WHERE),
    # documents in other words; a document question beside a name said unclearly
    ("hồ sơ đăng ký kết hôn gồm có những cái gì", "dang-ky-ket-hon", DOCS),
    ("đăng ký khai sinh có bắt buộc giám định ADN không", "dang-ky-khai-sinh", DOCS),
    # time fast, any day, when in the year; the age that gives the right; a fee "thu phí"
    ("đăng ký tạm trú có giải quyết nhanh được không", "dang-ky-tam-tru", TIME),
    ("chứng thực hợp đồng ngày nào cũng nộp được hả", "chung-thuc-hop-dong", TIME),
    ("tháng mấy thì bình xét gia đình văn hóa", "gia-dinh-van-hoa", TIME),
    ("người bao nhiêu tuổi thì được nhận trợ cấp hưu trí xã hội", "tro-cap-huu-tri-xa-hoi", WHO),
    ("chứng thực bản sao có thu phí không", "chung-thuc-ban-sao", Aspect.FEES),
    # where: the place one is ("ở trên đó"); documents: a paper missing, the dossier, the form
    ("đăng ký thường trú cho con ở quê hay ở trên đó", "dang-ky-thuong-tru", WHERE),
    ("không có giấy chứng tử thì xin hỗ trợ mai táng được không", "ho-tro-chi-phi-mai-tang", DOCS),
    ("xin hộ nghèo làm hồ sơ sao", "cong-nhan-ho-ngheo", DOCS),
    ("hòa giải tranh chấp đất thì phải ghi gì vào đơn", "hoa-giai-tranh-chap-dat-dai", DOCS),
    # More everyday ways (asp7, 2026-12-06). Where: an officer or the council at the home or
    # the hospital bed, done at that office, here or back home, which ward.
    ("chứng thực chữ ký cho mẹ nằm liệt thì xã có cử người xuống nhà không",
        "chung-thuc-chu-ky", WHERE),
    ("bố đang điều trị, lập di chúc thì cán bộ có vào tận bệnh viện được không",
        "chung-thuc-di-chuc", WHERE),
    ("giám định khuyết tật cho ông thì hội đồng có về nhà đánh giá không",
        "xac-dinh-muc-do-khuyet-tat", WHERE),
    ("đăng ký khai tử cho bà thì lên xã làm được không", "dang-ky-khai-tu", WHERE),
    ("giấy xác nhận độc thân xin ở đây được không hay phải về quê",
        "xac-nhan-tinh-trang-hon-nhan", WHERE),
    ("khai sinh cho con ở dưới này hay trên quê", "dang-ky-khai-sinh", WHERE),
    ("đăng ký thường trú ở phường nào vậy", "dang-ky-thuong-tru", WHERE),
    # Who: both together, coming back to sign, signing from afar, who in the family, the person
    # brought, a lodger's right.
    ("đăng ký nhận cha con thì hai bố con phải cùng lên ủy ban không",
        "dang-ky-nhan-cha-me-con", WHO),
    ("chứng thực hợp đồng bán nhà mà chồng ở Nhật thì ổng có phải bay về ký không",
        "chung-thuc-hop-dong", WHO),
    ("phân chia di sản mà anh ấy ở Canada thì anh ấy ký làm sao",
        "chung-thuc-phan-chia-di-san", WHO),
    ("ông mất rồi, người nào trong gia đình được đứng ra khai tử", "dang-ky-khai-tu", WHO),
    ("xác định khuyết tật cho con có cần đưa người ra tận xã không",
        "xac-dinh-muc-do-khuyet-tat", WHO),
    ("thuê trọ ở đây thì có được xét công nhận hộ nghèo không", "cong-nhan-ho-ngheo", WHO),
    # Time: when it is decided; documents: a form downloaded, more papers.
    ("gia đình văn hóa năm nay xét vào khi nào", "gia-dinh-van-hoa", TIME),
    ("đăng ký kết hôn tờ khai tải về ở đâu", "dang-ky-ket-hon", DOCS),
    ("xin trích lục khai tử có phải chứng minh gì thêm không", "cap-ban-sao-trich-luc", DOCS),
    # A paper kept on the phone asked as a substitute; being shown how the dossier is made.
    ("chứng thực bản sao mà không có bằng gốc, chỉ có hình chụp trên điện thoại thì được không",
        "chung-thuc-ban-sao", DOCS),
    ("cụ ở một mình, không ai lo, nhờ cán bộ hướng dẫn cho cháu làm hồ sơ hộ nghèo cho cụ",
        "cong-nhan-ho-ngheo", DOCS),
    # Where: "thì đến đâu", this commune or one higher up, the place one lives; who: both present.
    ("làm giấy chứng nhận gia đình văn hóa thì tới đâu", "gia-dinh-van-hoa", WHERE),
    ("phường mình có nhận đăng ký tạm trú không hay phải lên công an quận",
        "dang-ky-tam-tru", WHERE),
    ("đăng ký kết hôn nộp chỗ thường trú được không", "dang-ky-ket-hon", WHERE),
    ("đăng ký nhận cha con thì cả hai bố con có mặt không", "dang-ky-nhan-cha-me-con", WHO),
    ("xin giấy xác nhận độc thân có cần về tận quê xin không",
        "xac-nhan-tinh-trang-hon-nhan", WHERE),
    ("đăng ký tạm trú thì chủ nhà đăng ký hay người ở trọ tự đăng ký", "dang-ky-tam-tru", WHO),
    ("đăng ký kết hôn có nhất thiết hai người cùng lên xã không", "dang-ky-ket-hon", WHO),
    # Two parts: a yes/no where, then the fee or the time asked.
    ("chứng thực chữ ký làm tại xã được không, phí bao nhiêu", "chung-thuc-chu-ky", Aspect.FEES),
    ("khai tử làm ở phường được hông, bao lâu thì có", "dang-ky-khai-tu", TIME),
]  # fmt: skip


@pytest.mark.parametrize(
    "query", ["xin trợ cấp xã hội thì liên hệ cán bộ nào", "khai sinh cho bé do ai giải quyết"]
)
def test_whom_to_contact_beside_a_procedure_is_where(knowledge: Knowledge, query: str) -> None:
    result = knowledge.search.search(query)
    assert result.aspect is Aspect.WHERE
    assert result.answer is not None or len(result.candidates) >= 2


@pytest.mark.parametrize(
    "query",
    ["đèn đường trước ngõ bị hỏng thì liên hệ ai", "chó nhà bên sủa cả đêm do ai giải quyết"],
)
def test_whom_to_contact_alone_is_no_part_asked(knowledge: Knowledge, query: str) -> None:
    """Complaints ask it in the same words: no procedure, and no part of the one last shown."""
    result = knowledge.search.search(query)
    assert result.aspect is None and result.answer is None


def test_whom_to_contact_alone_stays_contact_small_talk(knowledge: Knowledge) -> None:
    assert knowledge.search.search("liên hệ với ai").small_talk is SmallTalk.CONTACT


def test_a_question_ending_in_a_is_no_chat_abbreviation(knowledge: Knowledge) -> None:
    """ "à" typed with its mark ends a question; "a" typed plain is chat's "anh"."""
    result = knowledge.search.search("đăng ký tạm trú thì chủ nhà phải đồng ý bằng văn bản à")
    assert result.aspect is Aspect.WHO


def test_a_frame_part_in_braces_is_required_but_left_in_the_message(
    knowledge: Knowledge,
) -> None:
    frame = parse_frame("không có …0 {giấy} … thì … được không", Aspect.DOCUMENTS, 10)
    assert frame.left == (False, True, False, False)
    search = knowledge.search
    analysis = analyse(
        "không có giấy chứng tử thì làm mai táng được không", search.lexicon, search.index
    )
    assert analysis.aspect is Aspect.DOCUMENTS
    assert "giay" in [w.folded for w in analysis.words]


def test_a_document_question_beside_a_name_said_unclearly_still_asks_the_documents(
    knowledge: Knowledge,
) -> None:
    """The rest names procedures, though none clearly: the document asked about (a DNA
    test) is no procedure, the question is about the documents."""
    result = knowledge.search.search("bố nhận con ngoài giá thú có cần giấy xét nghiệm ADN không")
    assert result.aspect is Aspect.DOCUMENTS
    assert result.candidates[0].id == "dang-ky-nhan-cha-me-con"


@pytest.mark.parametrize(("query", "expected", "aspect"), EVERYDAY_ASPECTS)
def test_every_way_of_asking_about_a_part_is_recognised(
    knowledge: Knowledge, query: str, expected: str, aspect: Aspect
) -> None:
    result = knowledge.search.search(query)
    assert result.aspect is aspect
    assert (result.answer or result.candidates[0].id) == expected


@pytest.mark.parametrize(("query", "expected", "aspect"), EVERYDAY_ASPECTS)
def test_the_everyday_aspect_never_changes_the_procedure(
    knowledge: Knowledge, query: str, expected: str, aspect: Aspect
) -> None:
    """The procedure found is the one found for the message without the way of asking."""
    search = knowledge.search
    with_part = search.search(query)
    analysis = analyse(query, search.lexicon, search.index)
    assert analysis.aspect is aspect
    named = " ".join(w.folded for w in analysis.words)
    assert (with_part.answer or with_part.candidates[0].id) == expected
    bare = search.search(named)
    assert expected in {c.id for c in bare.candidates[:3]} | {bare.answer}


def test_a_dialect_word_typed_with_other_marks_is_itself() -> None:
    """ "nó" (him) typed with its marks is not the dialect "nớ" (that)."""
    lexicon = Lexicon.load(Path(__file__).parent.parent / "knowledge" / "lexicon.yaml")

    words = _expand(split_words("thay cho nó, nớ"), lexicon, _NO_VOCABULARY)
    assert [w.folded for w in words][2:] == ["no", "do"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ctck", "chung-thuc-chu-ky"),
        ("ctck het bao nhieu tien", "chung-thuc-chu-ky"),
        ("lam ctbs giay to xin viec", "chung-thuc-ban-sao"),
        ("dknvqs lần đầu", "dang-ky-nghia-vu-quan-su"),
        ("hgtcdd với hàng xóm", "hoa-giai-tranh-chap-dat-dai"),
        ("đkkh cần những gì", "dang-ky-ket-hon"),  # an abbreviation of the lexicon first
    ],
)
def test_the_first_letters_of_a_name_stand_for_it(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert knowledge.search.search(query).answer == expected


def test_first_letters_shared_by_names_are_a_choice(knowledge: Knowledge) -> None:
    """ "dktt": đăng ký tạm trú or thường trú; "ctdc": chứng thực di chúc or điểm chỉ."""
    for query, both in [
        ("dktt cho con", {"dang-ky-tam-tru", "dang-ky-thuong-tru"}),
        ("muốn làm ctdc cho bố", {"chung-thuc-di-chuc", "chung-thuc-chu-ky"}),
    ]:
        result = knowledge.search.search(query)
        assert result.answer is None and both <= {c.id for c in result.candidates[:3]}


def test_first_letters_are_never_a_word_or_an_abbreviation(knowledge: Knowledge) -> None:
    index, lexicon = knowledge.search.index, knowledge.search.lexicon
    for key in index._initialisms:
        assert len(key) >= 4 and not is_syllable(key) and key not in index.vocab
        assert key not in lexicon.abbreviations and key not in lexicon.known_words


def test_first_letters_many_procedures_share_stand_for_nothing(knowledge: Knowledge) -> None:
    """At 2,000 procedures many names share their first letters: a choice or nothing."""
    from core.catalogue import Catalogue
    from core.search import ProcedureSearch

    base = knowledge.catalogue
    template = next(iter(base))
    copies = [
        template.model_copy(update={"id": f"dang-ky-trang-trai-{n}", "name": f"Đăng ký {name}"})
        for n, name in enumerate(["trang trại", "tổ tiết", "thư tịch", "tàu thuyền"])
    ]
    search = ProcedureSearch(Catalogue([*base, *copies], base.commune, base.referrals),
                             knowledge.search.lexicon)  # fmt: skip
    result = search.search("dktt cho con")
    assert result.answer is None and search.index.initialism("dktt") is None


@pytest.mark.parametrize(
    "query",
    [
        "dang ky khai sinh nooj ow ddaau",  # "nooj" for "noopj", "ow" for "owr"
        "dang ky khai sinh noopj owr ddaau",
        "ket hon nooj hoof sow ow ddaau",
        "ddawng kys ket hon owr ddaau",  # Telex marks: no message typed with diacritics
    ],
)
def test_telex_with_a_key_left_out_is_read_before_the_part_asked(
    knowledge: Knowledge, query: str
) -> None:
    result = knowledge.search.search(query)
    assert result.aspect is Aspect.WHERE
    assert (result.answer or result.candidates[0].id) in {"dang-ky-khai-sinh", "dang-ky-ket-hon"}


@pytest.mark.parametrize(
    "query",
    [
        "nhận cháu ruột làm con nuôi được không",
        "con riêng của chồng có nhận làm con nuôi được hông",
        "nhận con của chị gái làm con nuôi có được không",
    ],
)
def test_a_person_after_a_need_is_its_object_not_who_asks(knowledge: Knowledge, query: str) -> None:
    """ "làm con nuôi được không": "con nuôi" is what is asked for, not who files."""
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == "dang-ky-nuoi-con-nuoi"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bà ngoại đi khai sinh cho cháu được không hay mẹ cháu phải có mặt", "dang-ky-khai-sinh"),
        ("anh trai đi khai tử cho bố được không hay phải con ruột mới được", "dang-ky-khai-tu"),
        (
            "con dâu đi khai tu cho me chong duoc khong hay la phai con de moi lam",
            "dang-ky-khai-tu",
        ),
        ("em đi đăng ký tạm trú cho chị được không hay chị phải có mặt", "dang-ky-tam-tru"),
        ("một mình tôi đi đăng ký kết hôn được không hay cả hai phải có mặt", "dang-ky-ket-hon"),
    ],
)
def test_an_alternative_clause_in_a_who_question_is_set_aside_whole(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """ "… được không hay bố phải có mặt": the whole "hay …" clause asks who must come; "có mặt"
    (present) never leaves "mặt" behind to be read as "mất" (died)."""
    result = knowledge.search.search(query)
    first = first_shown(result)
    assert first == expected
    assert result.answer in (None, expected)
    assert result.aspect is Aspect.WHO


@pytest.mark.parametrize(
    "query",
    [
        "bố nó muốn nhận thằng cu là con",
        "nhan con be la con cua minh",
        "ông bà muốn làm giấy nhận đứa nhỏ là con của con trai, con trai đã mất",
        "con muốn nhận ông ấy là bố đẻ",
        "muốn recognize my child, bé có giấy khai sinh rồi",
    ],
)
def test_taking_someone_as_ones_child_is_an_acknowledgement(
    knowledge: Knowledge, query: str
) -> None:
    result = knowledge.search.search(query)
    first = first_shown(result)
    assert first == "dang-ky-nhan-cha-me-con"


@pytest.mark.parametrize(
    "query", ["nhận cháu là con nuôi", "chú muốn nhận thằng bé là con nuôi được không"]
)
def test_taking_someone_as_an_adopted_child_stays_an_adoption(
    knowledge: Knowledge, query: str
) -> None:
    assert knowledge.search.search(query).answer == "dang-ky-nuoi-con-nuoi"


@pytest.mark.parametrize(
    "query",
    [
        "vợ mất rồi, tôi muốn xin giấy xác nhận hiện không có vợ",
        "ly hôn xong giờ đi bước nữa, xin giấy chứng nhận hiện tại không có chồng",
        "xin giay xac nhan dang khong co chong de lam thu tuc",
    ],
)
def test_a_paper_saying_one_has_no_spouse_now_is_marital_status(
    knowledge: Knowledge, query: str
) -> None:
    result = knowledge.search.search(query)
    first = first_shown(result)
    assert first == "xac-nhan-tinh-trang-hon-nhan"


@pytest.mark.parametrize(
    "query",
    [
        "cán bộ một cửa làm việc nhanh quá, khen",
        "xã làm việc tận tình, cảm ơn và khen các chị",
        "xin việc ở công ty cần viết đơn thế nào",
        "mẫu đơn xin việc nào đẹp",
        "đám cưới ở quê hết bao nhiêu tiền",
        "làm đám cưới mời bao nhiêu mâm",
        "đi du học cần chuẩn bị những gì",
    ],
)
def test_jobs_weddings_and_compliments_get_no_answer(knowledge: Knowledge, query: str) -> None:
    assert knowledge.search.search(query).answer is None


def test_a_paper_in_hand_closed_by_roi_is_context(knowledge: Knowledge) -> None:
    """ "bé có giấy khai sinh rồi": the paper is in hand (context, like "đã có"); only a paper —
    "người có công mất rồi" is a person, and a need inside ("có … làm … rồi") ends it."""
    analysis = analyse(
        "bé có giấy khai sinh rồi, bố muốn nhận", knowledge.search.lexicon, knowledge.search.index
    )
    weights = {w.folded: w.weight for w in analysis.words}
    assert weights["sinh"] < 0.5 and weights["nhan"] == 1.0
    analysis = analyse(
        "bố là người có công mất rồi, xin tiền mai táng",
        knowledge.search.lexicon,
        knowledge.search.index,
    )
    weights = {w.folded: w.weight for w in analysis.words}
    assert weights["cong"] == 1.0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bố mẹ lấy nhau từ hồi 1980, giấy kết hôn bị mối ăn, làm lại", "dang-ky-lai-ket-hon"),
        ("cuoi nhau tu nam 1990 co dang ky, gio mat giay muon lam lai", "dang-ky-lai-ket-hon"),
        ("ông là người có công vừa qua đời, nhà xin tiền mai táng", "mai-tang-phi-nguoi-co-cong"),
        ("me la nguoi co cong mat roi, xin tro cap mai tang", "mai-tang-phi-nguoi-co-cong"),
    ],
)
def test_an_old_marriage_and_a_person_of_merit_are_read_from_everyday_words(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """ "cưới từ năm …" is an old marriage (a lost paper is re-registered); "người có công" is
    short for "người có công với cách mạng" (both parts of mai táng phí người có công)."""
    result = knowledge.search.search(query)
    first = first_shown(result)
    assert first == expected
    assert result.answer in (None, expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sắp cưới thì đăng ký kết hôn cần gì", "dang-ky-ket-hon"),
        ("ông cụ neo đơn mất, xin hỗ trợ chôn cất", "ho-tro-chi-phi-mai-tang"),
    ],
)
def test_a_new_marriage_and_a_lone_elder_stay_themselves(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert knowledge.search.search(query).answer == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A name left off the record is missing, a refusal or a paper in hand is denied: the
        # birth alone, or the acknowledgement alone.
        ("tôi làm khai sinh cho bé nhưng không muốn ghi tên cha", "dang-ky-khai-sinh"),
        ("ba nó không chịu nhận con, tui đi làm giấy khai sinh cho cháu", "dang-ky-khai-sinh"),
        ("chồng bỏ đi không nhận con, tôi làm khai sinh một mình", "dang-ky-khai-sinh"),
        ("bé đã có sẵn khai sinh, nay ba ruột muốn nhận con", "dang-ky-nhan-cha-me-con"),
        # "không phải X": X is not what is asked.
        ("đây là con đẻ chứ không phải con nuôi, bố muốn nhận con", "dang-ky-nhan-cha-me-con"),
        ("tôi muốn nhận nuôi bé, không phải nhận con ruột", "dang-ky-nuoi-con-nuoi"),
    ],
)  # fmt: skip
def test_what_is_denied_or_in_hand_is_not_what_is_asked(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert first_shown(knowledge.search.search(query)) == expected


def test_a_denial_is_read_only_where_it_stands(knowledge: Knowledge) -> None:
    """A refusal ("không chịu nhận") denies its verb and what follows in its clause; "không
    nhận được" is not a refusal; a name not written is missing (context) but not denied."""
    search = knowledge.search

    def denied(text: str) -> list[str]:
        analysis = analyse(text, search.lexicon, search.index)
        return [w.folded for w in analysis.words if w.denied < 1.0]

    assert denied("ba nó không chịu nhận con, tui làm khai sinh") == ["chiu", "nhan", "con"]
    assert denied("tháng này mẹ không nhận được tiền trợ cấp") == []
    assert denied("khai sinh không ghi tên bố được không") == []
    assert denied("con đã có khai sinh rồi, bố muốn nhận") == ["khai", "sinh"]


def test_a_denial_that_leaves_nothing_named_is_the_need(knowledge: Knowledge) -> None:
    """Denied words are context only when something else names the need."""
    result = knowledge.search.search("không muốn nhận di sản thừa kế, nhường hết cho em")
    assert first_shown(result) == "chung-thuc-phan-chia-di-san"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # The birth already registered (a deed done, a paper described by what it lacks or
        # says): the acknowledgement, however the paper is named again in the need.
        (
            "đã làm giấy khai sinh cho bé rồi, bây giờ bố muốn ghi tên vào khai sinh",
            "dang-ky-nhan-cha-me-con",
        ),
        ("bé làm khai sinh xong rồi, ba ruột mới về muốn nhận con", "dang-ky-nhan-cha-me-con"),
        ("khai sinh của thằng nhỏ không có tên cha, ba nó muốn nhận", "dang-ky-nhan-cha-me-con"),
        ("giấy khai sinh của con chỉ có tên mẹ, giờ bố muốn nhận con", "dang-ky-nhan-cha-me-con"),
        # A paper had since some time ("từ lâu", "từ năm ngoái") is in hand, like one "… rồi".
        ("thằng bé có giấy khai sinh từ lâu, giờ cha ruột muốn nhận", "dang-ky-nhan-cha-me-con"),
        ("cha ruột muốn đưa tên mình vào giấy khai sinh đã làm rồi", "dang-ky-nhan-cha-me-con"),
        # Both parts wanted: the combined procedure, whatever the examples model prefers.
        ("làm khai sinh cho con mới sinh, bố muốn nhận luôn", "khai-sinh-ket-hop-nhan-cha-me-con"),
    ],
)  # fmt: skip
def test_a_part_already_done_rules_out_the_combined_procedure(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert first_shown(knowledge.search.search(query)) == expected


def test_a_paper_described_by_what_it_lacks_is_in_hand(knowledge: Knowledge) -> None:
    """Only a paper the clause begins with, named after "giấy" or before "của" its owner."""
    search = knowledge.search

    def in_hand(text: str) -> list[str]:
        analysis = analyse(text, search.lexicon, search.index)
        return [w.folded for w in analysis.words if w.ruled_out]

    assert in_hand("giấy khai sinh của cháu không có tên bố") == ["giay", "khai", "sinh"]
    assert in_hand("khai sinh của bé chỉ có tên mẹ, giờ bố muốn nhận") == ["khai", "sinh"]
    assert in_hand("khai sinh không ghi tên bố được không") == []
    assert in_hand("làm giấy khai sinh không có tên bố được không") == []
    # … or named just before a word saying it is done or had.
    assert in_hand("muốn ghi tên cha vào khai sinh đã làm") == ["khai", "sinh"]
    assert in_hand("khai sinh làm ở đâu") == []


def test_the_examples_model_keeps_a_combined_procedure_and_its_parts_in_order(
    knowledge: Knowledge,
) -> None:
    index = knowledge.search.index
    family = index.families
    assert family["dang-ky-khai-sinh"] == family["khai-sinh-ket-hop-nhan-cha-me-con"]
    assert family["dang-ky-nhan-cha-me-con"] == family["dang-ky-khai-sinh"]
    assert "dang-ky-ket-hon" not in family


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Taking a child in to raise as one's own is an adoption…
        ("muốn đón một bé gái về nuôi làm con", "dang-ky-nuoi-con-nuoi"),
        ("nhà không có con, tính nhận một cháu bé về làm con", "dang-ky-nuoi-con-nuoi"),
        # … and a newborn's name entered in the civil-status register is its birth registration.
        ("con mới sinh tuần trước, giờ đưa tên bé vào sổ hộ tịch ở xã", "dang-ky-khai-sinh"),
        ("thằng cu mới chào đời, đi ghi tên nó vô sổ hộ tịch", "dang-ky-khai-sinh"),
    ],
)
def test_everyday_words_for_an_adoption_and_a_birth_registration(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert first_shown(knowledge.search.search(query)) == expected


def test_a_name_wrong_in_the_register_stays_a_correction(knowledge: Knowledge) -> None:
    result = knowledge.search.search("tên trong sổ hộ tịch bị sai, sửa thế nào")
    assert first_shown(result) == "thay-doi-cai-chinh-ho-tich"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "cháu gái lên 4 tuổi mà bố mẹ chưa làm giấy khai sinh. Giờ đi làm ở đâu",
            "dang-ky-khai-sinh",
        ),
        (
            "đứa nhỏ hồi đó không kịp, chưa đăng ký khai sinh. Bây giờ đi thì cần gì",
            "dang-ky-khai-sinh",
        ),
        ("cu tí nhà tôi vẫn chưa có giấy khai sinh, giờ đi làm thì sao", "dang-ky-khai-sinh"),
        (
            "hai đứa sống chung lâu rồi mà chưa đăng ký kết hôn, nay đi làm phải mang gì",
            "dang-ky-ket-hon",
        ),
    ],
)
def test_what_is_not_done_yet_is_the_need_when_the_need_names_nothing(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """ "chưa làm / chưa đăng ký / chưa có X" is not a missing thing but what the person will do,
    when the sentence that says the need ("giờ đi làm thì cần gì") names nothing."""
    assert first_shown(knowledge.search.search(query)) == expected


def test_what_is_not_done_yet_stays_context_beside_a_named_need(knowledge: Knowledge) -> None:
    """Beside a need that names a procedure, a paper not had yet is context, as "không có" is."""
    search = knowledge.search
    analysis = analyse(
        "con chưa có giấy khai sinh, muốn đăng ký tạm trú", search.lexicon, search.index
    )
    weights = {w.folded: w.weight for w in analysis.words}
    assert weights["sinh"] < 0.5 and weights["tam"] == 1.0
    analysis = analyse("bé chưa có giấy khai sinh, giờ đi làm", search.lexicon, search.index)
    weights = {w.folded: w.weight for w in analysis.words}
    assert weights["sinh"] == 1.0


def test_a_deed_not_done_yet_is_no_deed_told_as_done(knowledge: Knowledge) -> None:
    """ "hồi đó chưa làm khai sinh": "hồi đó" tells of the past, but "chưa" says the deed (and a
    need word inside what follows it) was not done; the clause is no clause of things done."""
    search = knowledge.search
    analysis = analyse(
        "hồi trước chưa làm khai sinh cho con, giờ xin làm", search.lexicon, search.index
    )
    weights = {w.folded: w.weight for w in analysis.words}
    assert weights["sinh"] > 0.2
    analysis = analyse(
        "hồi trước đã làm khai sinh cho con, giờ xin làm", search.lexicon, search.index
    )
    assert {w.folded: w.weight for w in analysis.words}["sinh"] <= 0.2


@pytest.mark.parametrize(
    ("query", "aspect", "kept"),
    [
        ("ông nội qua đời, có cắt hộ khẩu cho ông luôn không", None, "khau"),
        ("anh trai mất rồi, đi xóa hộ khẩu luôn hay không", None, "khau"),
        ("chị gái đi nộp hồ sơ hộ em được không", Aspect.WHO, None),
    ],
)
def test_ho_in_a_name_is_not_on_someones_behalf(
    knowledge: Knowledge, query: str, aspect: Aspect | None, kept: str | None
) -> None:
    """A who-question's "hộ" (on one's behalf) is not the "hộ" of "hộ khẩu", "hộ nghèo": a part
    of a frame does not end on a word that makes a catalogue pair with the next."""
    search = knowledge.search
    analysis = analyse(query, search.lexicon, search.index)
    assert analysis.aspect is aspect
    if kept:
        assert {"ho", kept} <= {w.folded for w in analysis.words}


def test_a_story_before_giờ_is_context_when_the_need_comes_after(knowledge: Knowledge) -> None:
    """ ", giờ …", ", bây giờ …" turns from the story to what is wanted now: the clauses before
    it weigh as an earlier sentence when they say no need and what follows names something."""
    search = knowledge.search

    def weights(query: str) -> dict[str, float]:
        return {w.folded: w.weight for w in analyse(query, search.lexicon, search.index).words}

    assert weights("bà nhà tôi mất mấy năm nay, bây giờ tôi xin xác nhận độc thân")["mat"] == 0.5
    # What follows names nothing: the story is what the person asks about.
    assert weights("ông cụ mất hôm qua, giờ phải làm gì")["mat"] == 1.0
    # A need before the turn: no story, one request.
    assert weights("xin khai tử cho mẹ, giờ làm ở đâu")["tu"] == 1.0
    assert weights("bố mẹ bé chưa đăng ký kết hôn, nay đi khai sinh cho bé")["ket"] == 1.0
    # … unless it only tells the story: damage to a paper, or the name it begins.
    lost = weights("giấy chứng tử của ông bị thất lạc, giờ cần thêm bản sao để làm sổ đỏ")
    assert lost["lac"] == lost["tu"] == 0.5
    named = "mẹ tôi mất năm 2019, khai tử ở xã rồi, nay cần trích lục bản sao để rút tiết kiệm"
    assert weights(named)["mat"] == 0.5
    assert first_shown(search.search(named)) == "cap-ban-sao-trich-luc"


def test_where_someone_lives_told_as_a_state_is_context(knowledge: Knowledge) -> None:
    """A residence told in a clause that asks for nothing ("hộ khẩu ở quê", "ở trọ") weighs as
    an earlier sentence when the message asks for something that names another procedure; a
    residence a need takes as its object, or one the need names nothing besides, is asked."""
    search = knowledge.search

    def weights(query: str) -> dict[str, float]:
        return {w.folded: w.weight for w in analyse(query, search.lexicon, search.index).words}

    told = weights("dì tôi ở trọ bên thị trấn, hộ khẩu ở huyện khác, dì mới mất, khai tử ở đâu")
    assert told["tro"] == told["khau"] == 0.5
    assert told["tu"] == 1.0
    # The object of a need: asked for.
    assert weights("ông mất rồi, giờ muốn chuyển hộ khẩu cho bà về ở với con")["khau"] == 1.0
    # Said first in the clause of a need that has no object of its own: its object.
    assert weights("hộ khẩu cho đứa nhỏ mới sinh thì làm sao")["khau"] == 1.0
    # The need names nothing else, or there is no need at all: the residence is the question.
    assert weights("ở trọ được nửa năm, giờ đăng ký ở đâu")["tro"] == 1.0
    assert weights("căn hộ thuê thì thường trú được không")["tru"] == 1.0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "anh tôi sống ở quê, hộ khẩu ở quê, anh mới mất tuần rồi, khai tử cho anh ở xã nào",
            "dang-ky-khai-tu",
        ),
        (
            "hai đứa ở trọ chung trên tỉnh, hộ khẩu dưới quê, muốn đăng ký kết hôn",
            "dang-ky-ket-hon",
        ),
    ],
)
def test_a_residence_told_does_not_outweigh_the_need(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert first_shown(knowledge.search.search(query)) == expected


@pytest.mark.parametrize(
    "query",
    [
        "chồng tôi mất đã lâu, giờ mua đất người ta cần giấy xác nhận tôi không có chồng",
        "vo mat tu lau, bay gio can giay chung nhan toi khong co vo de lam so do",
    ],
)
def test_a_death_told_before_a_paper_saying_one_has_no_spouse_is_context(
    knowledge: Knowledge, query: str
) -> None:
    """ "xác nhận … không có vợ/chồng" is the single-status paper; the death told before it is
    the story, not a death to register."""
    assert first_shown(knowledge.search.search(query)) == "xac-nhan-tinh-trang-hon-nhan"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nộp hồ sơ tạm trú mà bị từ chối, thiếu giấy tờ gì", "dang-ky-tam-tru"),
        ("xin thường trú cho mẹ bị trả về, phải bổ sung cái gì", "dang-ky-thuong-tru"),
    ],
)
def test_a_dossier_returned_or_refused_asks_for_its_procedure(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert first_shown(knowledge.search.search(query)) == expected


def test_bundles_are_found_from_their_names(knowledge: Knowledge) -> None:
    """A procedure whose name holds the names of two or more others among more words is a
    bundle of them (liên thông khai sinh: khai sinh, thường trú, BHYT)."""
    index = knowledge.search.index
    bundles = {
        index.entries[e].id: {index.entries[p.entry].id for p in parts}
        for e, parts in index.bundles.items()
    }
    assert bundles["lien-thong-khai-sinh"] == {"dang-ky-khai-sinh", "dang-ky-thuong-tru"}
    assert {"dang-ky-khai-tu", "dang-ky-thuong-tru"} <= bundles["lien-thong-khai-tu"]
    assert "dang-ky-khai-sinh" not in bundles


@pytest.mark.parametrize(
    "query",
    [
        "đăng ký khai sinh cho thằng bé xong rồi, giờ đăng ký thường trú cho nó",
        "cháu đã có giấy khai sinh, bây giờ nhập hộ khẩu cho cháu về nhà nội",
        "giay khai sinh lam xong roi, gio nhap khau cho con",
    ],
)
def test_a_bundle_with_a_part_told_done_goes_after_its_other_part(
    knowledge: Knowledge, query: str
) -> None:
    """A registration told as done or a paper in hand is not needed again, nor a bundle that
    does it along with others: the residence registration comes first, and is no liên thông."""
    result = knowledge.search.search(query)
    assert first_shown(result) == "dang-ky-thuong-tru"
    assert result.answer != "lien-thong-khai-sinh"


@pytest.mark.parametrize(
    "query",
    [
        "công chứng bản sao bằng lái ô tô với giấy đăng ký xe máy",
        "cần sao y hộ chiếu và căn cước của con",
        "xin chung thuc ban sao bang lai xe",
    ],
)
def test_a_paper_to_copy_is_not_another_offices_procedure(knowledge: Knowledge, query: str) -> None:
    """A document named as the object of a copy or a certification (a driving licence, a
    vehicle's papers, a passport) is the paper to copy, not the other office's procedure."""
    result = knowledge.search.search(query)
    assert result.referral is None
    assert first_shown(result) == "chung-thuc-ban-sao"


def test_the_other_offices_procedure_is_still_referred(knowledge: Knowledge) -> None:
    result = knowledge.search.search(
        "mất bằng lái xe, làm lại ở đâu, có cần bản sao căn cước không"
    )
    assert result.referral == "giay-phep-lai-xe"


@pytest.mark.parametrize(
    "query",
    [
        "mang giấy gốc ra ủy ban để chứng thực mấy bản photo",
        "công ty đòi bản sao công chứng bằng đại học",
        "trường bắt nộp bản photo có dấu đỏ giấy khai sinh của con",
    ],
)
def test_certified_copies_in_everyday_words(knowledge: Knowledge, query: str) -> None:
    """ "giấy gốc" is the original; "bản sao công chứng", "bản photo có dấu đỏ" are copies
    certified."""
    assert first_shown(knowledge.search.search(query)) == "chung-thuc-ban-sao"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tờ cam kết đã ký sẵn, đem lên ủy ban chứng được không", "chung-thuc-chu-ky"),
        ("nhờ xã chứng chữ ký trên đơn xin việc", "chung-thuc-chu-ky"),
    ],
)
def test_chung_cut_short_is_read_whole(knowledge: Knowledge, query: str, expected: str) -> None:
    """ "chứng" typed with its marks at the end of its clause or before "được", "chữ ký" is
    short for chứng thực."""
    assert first_shown(knowledge.search.search(query)) == expected


@pytest.mark.parametrize(
    "query", ["có cần người làm chứng không", "đi công chứng giấy tờ ở đâu", "chung được không"]
)
def test_chung_in_other_words_stays_itself(knowledge: Knowledge, query: str) -> None:
    search = knowledge.search
    folded = [w.folded for w in analyse(query, search.lexicon, search.index).words]
    assert "thuc" not in folded


@pytest.mark.parametrize(
    "query",
    [
        "hồ sơ tạm trú thiếu giấy, phải nộp thêm giấy gì",
        "đơn bị trả về, cần bổ sung những giấy tờ nào",
    ],
)
def test_what_to_add_to_a_dossier_asks_for_the_documents(knowledge: Knowledge, query: str) -> None:
    search = knowledge.search
    assert analyse(query, search.lexicon, search.index).aspect is Aspect.DOCUMENTS


@pytest.mark.parametrize(
    "query",
    [
        "giấy khai sinh của tôi bị mối ăn, xin lại bản sao ở xã",
        "to giay ket hon bi rach nat, xin lai ban sao duoc khong",
    ],
)
def test_a_copy_asked_again_is_a_copy_not_a_re_registration(
    knowledge: Knowledge, query: str
) -> None:
    """ "xin lại bản sao": a copy of a record the register still holds, not "đăng ký lại"."""
    assert first_shown(knowledge.search.search(query)) == "cap-ban-sao-trich-luc"


@pytest.mark.parametrize(
    "query",
    [
        "trường không nhận bản photo giấy khai sinh của cháu vì chưa chứng thực",
        "ban photo so ho khau bi tra lai do chua co dau do",
    ],
)
def test_a_photocopy_is_a_copy_to_certify(knowledge: Knowledge, query: str) -> None:
    """A photocopy ("bản photo") is the person's own copy, brought to be certified; a copy the
    register issues ("bản sao trích lục") is another procedure."""
    assert first_shown(knowledge.search.search(query)) == "chung-thuc-ban-sao"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "Nhà trồng ngô với sắn, mùa này bận thu hoạch, còn nuôi heo nữa. "
            "Giờ rảnh mới đi làm giấy khai sinh cho con út",
            "dang-ky-khai-sinh",
        ),
        (
            "Bố mới bán con bò lấy ít tiền. Nay bố muốn làm di chúc để lại đất cho các cháu",
            "chung-thuc-di-chuc",
        ),
    ],
)
def test_another_subject_in_the_story_before_the_need_is_context(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """A word of another subject ("heo", "bán") in a sentence of the story before the one
    that says the need does not make the message about something else."""
    assert knowledge.search.search(query).answer == expected


@pytest.mark.parametrize(
    "query", ["Con chó nhà tôi chết rồi. Chôn ở đâu", "tôi muốn nhận nuôi một con mèo hoang"]
)
def test_another_subject_in_the_need_sentence_still_declines(
    knowledge: Knowledge, query: str
) -> None:
    assert knowledge.search.search(query).answer is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cháu bị bại não bẩm sinh, nhà xin xã xác nhận cho cháu hưởng chế độ", DISABILITY),
        ("ông cụ bị liệt giường mấy năm, xin giấy xác nhận", DISABILITY),
        ("chồng bị cụt hai chân vì bom mìn, xin xác nhận để hưởng trợ cấp", DISABILITY),
        ("xin xã xác nhận tôi hiện đang có chồng", {"xac-nhan-tinh-trang-hon-nhan"}),
    ],
)
def test_a_condition_with_a_confirmation_is_the_disability_paper(
    knowledge: Knowledge, query: str, expected: set[str]
) -> None:
    """ "xác nhận" is a kind of paper many procedures share: a condition (bại não, liệt
    giường, cụt chân) says which one; marital status needs its own words (có chồng)."""
    result = knowledge.search.search(query)
    assert first_shown(result) in expected
    assert result.answer in {None, *expected}


def test_a_confirmation_alone_names_no_procedure(knowledge: Knowledge) -> None:
    search = knowledge.search
    assert search.search("xin giấy xác nhận để làm hồ sơ").answer is None
    analysis = analyse("xin xã xác nhận giúp", search.lexicon, search.index)
    # Spelled apart, as in the catalogue: it weighs like a context word there.
    assert [w.folded for w in analysis.words if w.folded.startswith(("xac", "nhan"))] == [
        "xac~",
        "nhan~",
    ]


def test_the_purpose_an_alias_says_is_not_the_paper(knowledge: Knowledge) -> None:
    """ "giấy độc thân | đi xuất khẩu lao động": the purpose weighs as a message's does, so
    the purpose alone names no paper, while the paper with it still does."""
    search = knowledge.search
    assert search.search("chuẩn bị hồ sơ đi xuất khẩu lao động Malaysia").answer is None
    assert search.search("vay ngân hàng thì cần chuẩn bị những gì").answer is None
    answer = search.search("làm giấy độc thân để đi xuất khẩu lao động bên Đài Loan").answer
    assert answer == "xac-nhan-tinh-trang-hon-nhan"


@pytest.mark.parametrize(
    ("name", "at"),
    [
        ("giấy độc thân để mua bán đất", None),  # "để": the index keeps it (see docs)
        ("giấy độc thân đi xuất khẩu lao động", 3),
        ("chia tài sản bố mẹ để lại", None),  # "để lại" is no purpose
        ("đi nghĩa vụ", None),  # nothing named before it
        ("đăng ký đi bộ đội", None),
    ],
)
def test_where_a_name_says_its_purpose(knowledge: Knowledge, name: str, at: int | None) -> None:
    words = split_words(name)
    assert name_purpose(words, knowledge.search.lexicon) == (len(words) if at is None else at)


@pytest.mark.parametrize(
    "query",
    [
        "ông ngoại tôi đi bộ đội từ năm 1968, năm 1975 thì giải ngũ",
        "chú tôi đi lính năm 2020 đến 2022",
        "cậu tôi đi nghĩa vụ quân sự năm kia",
    ],
)
def test_service_told_as_past_is_no_request(knowledge: Knowledge, query: str) -> None:
    assert knowledge.search.search(query).answer is None


def test_a_registration_this_year_is_still_a_request(knowledge: Knowledge) -> None:
    answer = knowledge.search.search("con tôi năm nay đủ tuổi, đăng ký nghĩa vụ quân sự").answer
    assert answer == "dang-ky-nghia-vu-quan-su"


@pytest.mark.parametrize(
    "query",
    [
        "bằng khen của bố bị ướt nát hết",  # damage: no procedure makes it anew
        "giấy khen của cháu để chỗ nào rồi",  # where it is kept
        "thư viện tỉnh giờ mở cửa thế nào",  # opening hours: "mở" is no need
        "phòng đọc sách xã mở cửa tới mấy giờ",
    ],
)
def test_an_existing_thing_is_no_request(knowledge: Knowledge, query: str) -> None:
    assert knowledge.search.search(query).answer is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("giấy khai sinh của con bị cháy", {"dang-ky-lai-khai-sinh", "cap-ban-sao-trich-luc"}),
        ("muốn mở phòng đọc sách cho thiếu nhi trong thôn", {"dang-ky-thu-vien-tu-nhan"}),
        ("công chứng 4 bộ hồ sơ dự tuyển", {"chung-thuc-ban-sao"}),
        ("xin sao y mấy bộ giấy tờ nộp trường", {"chung-thuc-ban-sao"}),
    ],
)
def test_a_damaged_paper_a_new_library_and_copies_are_requests(
    knowledge: Knowledge, query: str, expected: set[str]
) -> None:
    assert knowledge.search.search(query).answer in expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("con gái tôi chuẩn bị vào lớp 1 mà chưa có khai sinh", "dang-ky-khai-sinh"),
        ("cháu tôi sắp nhập học lớp 1 nhưng chưa đăng ký khai sinh", "dang-ky-khai-sinh"),
    ],
)
def test_a_commune_procedure_named_whole_beside_another_office_is_shown(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """Another office's matter said in passing (school enrolment) beside one of the commune's
    procedures said by its whole name: that procedure is shown, not a referral."""
    result = knowledge.search.search(query)
    assert result.referral is None
    assert first_shown(result) == expected


def test_beside_another_office_only_the_named_procedure_is_confident(
    knowledge: Knowledge,
) -> None:
    """A procedure other than the one named whole is at most a choice there."""
    result = knowledge.search.search("ngân hàng chính sách cho vay vốn, cần xác nhận hộ nghèo")
    assert result.referral is None
    assert result.answer in (None, "cong-nhan-ho-ngheo")


@pytest.mark.parametrize(
    "query",
    [
        "thư viện thành phố thứ bảy có mở cửa không",  # a public library's days
        "bai tap ve nha: viet doan van ke ve ho ngheo duoc giup do",  # homework
        "nuôi con gì mau có lời cho hộ cận nghèo",  # livestock: "con" counts animals
        "định nuôi con bò sinh sản, vốn ít có được không",
        "tạm trú nghĩa là gì",  # a question about a word
        "birth certificate là chữ gì trong tiếng Anh vậy",
        "bà Năm mới nhận nuôi con bé mồ côi, thương người thật",  # praise of another's deed
        "con chó vàng nhà tui đẻ một lứa, có ai xin nuôi không",  # a litter given away
        "bị tranh chấp nick game rồi bị report khóa luôn",  # games and social networks
    ],
)
def test_other_subjects_of_the_fourth_blind_set_get_no_card(
    knowledge: Knowledge, query: str
) -> None:
    assert knowledge.search.search(query).answer is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A spouse's child taken as one's own is an adoption (Luật Nuôi con nuôi 2010, Điều 8
        # khoản 2, Điều 28: cha dượng, mẹ kế nhận con riêng của vợ, của chồng làm con nuôi).
        ("tui muốn đăng ký nhận con riêng của bà xã", "dang-ky-nuoi-con-nuoi"),
        # Who signs a contract is the who part; the contract is the need.
        (
            "chứng thực hợp đồng cho thuê đất mà chủ đất ủy quyền cho cháu ký thay",
            "chung-thuc-hop-dong",
        ),
    ],
)
def test_a_step_child_and_a_contract_signed_by_a_proxy(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected


def test_a_story_decides_between_procedures_the_need_shares_a_word_with(
    knowledge: Knowledge,
) -> None:
    result = knowledge.search.search(
        "Bố tôi ký hợp đồng chuyển nhượng đất cho chú. Giờ ra xã chứng thực được không"
    )
    assert (result.answer or result.candidates[0].id) == "chung-thuc-hop-dong"


def test_a_final_k_is_chat_spelling_of_c() -> None:
    assert phonetic_key("dok") == phonetic_key("doc")


@pytest.mark.parametrize(
    ("query", "expected", "aspect"),
    [
        # Registering a marriage late ("làm bổ sung hôn thú") is a marriage registration.
        ("đăng ký bổ sung giấy kết hôn cho ông bà nội", "dang-ky-ket-hon", None),
        # A job's "làm" is no need; the paper asked for on a relative's behalf is.
        (
            "thằng em làm công nhân ở Long An, giờ nó cần giấy dok thân để nộp công ty, tui ra"
            " xã lấy giùm nó được hông",
            "xac-nhan-tinh-trang-hon-nhan",
            Aspect.WHO,
        ),
    ],
)
def test_a_late_marriage_paper_and_a_paper_for_a_worker_far_away(
    knowledge: Knowledge, query: str, expected: str, aspect: Aspect | None
) -> None:
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected
    if aspect is not None:
        assert result.aspect is aspect


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("chị mới đẻ ở bệnh viện thành phố, về quê làm giấy cho bé", "dang-ky-khai-sinh"),
        ("tụi nó ăn ở với nhau lâu rồi, giờ mới làm giấy", "dang-ky-ket-hon"),
        ("hai đứa nó về ở với nhau, giờ ra xã ký giấy ở đâu", "dang-ky-ket-hon"),
    ],
)
def test_a_birth_or_a_marriage_told_in_everyday_words(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """ "bệnh viện" is the place of a birth or a death ("viện" there is no "sinh viên" nor
    "thư viện"), "chị đẻ" is a mother giving birth (not "mẹ đẻ", a person), and two people
    who "về ở với nhau" or "ăn ở với nhau" are a couple to register."""
    assert first_shown(knowledge.search.search(query)) == expected


def test_a_story_closed_by_roi_that_lacks_a_paper_keeps_its_choice(knowledge: Knowledge) -> None:
    """ "rồi" closing a clause ("tổ chức cưới rồi") is no "ok" when the story then tells of a
    paper not made yet; without such a paper ("kết hôn rồi mà chưa có con") it stays talk."""
    shown = knowledge.search.search("tổ chức cưới rồi mà vẫn chưa làm giấy tờ")
    assert "dang-ky-ket-hon" in [c.id for c in shown.candidates[:3]]
    assert not knowledge.search.search("kết hôn rồi mà chưa có con, buồn quá").candidates


PENSION, ALLOWANCE = "tro-cap-huu-tri-xa-hoi", "tro-cap-xa-hoi-hang-thang"


@pytest.mark.parametrize(
    "query",
    [
        "bà ngoại 90 tuổi chưa từng có lương hưu muốn nhận tiền hằng tháng",
        "cha tôi 80 tuổi làm nông cả đời giờ có được nhà nước cho tiền không",
        "ông 76 tuổi xin hưu trí xã hội cần giấy gì",
        "lương hưu xã hội cho ông 77 tuổi",
        "tiền già",
        "trợ cấp người khuyết tật nặng",
    ],
)
def test_a_procedure_and_the_one_it_took_people_from_are_listed_together(
    knowledge: Knowledge, query: str
) -> None:
    """Since 1/7/2025 the over-75s without a pension get the trợ cấp hưu trí xã hội (Luật Bảo
    hiểm xã hội 2024, Điều 21–22; NĐ 176/2025), taken over from the monthly social allowance
    (`took_over_from`): whichever is listed first or second, the other is in the first three,
    and the relation changes neither the answer nor the first two."""
    from core.catalogue import Catalogue
    from core.search import ProcedureSearch

    result = knowledge.search.search(query)
    first_two = {c.id for c in result.candidates[:2]}
    assert first_two & {PENSION, ALLOWANCE}, result
    assert {PENSION, ALLOWANCE} <= {c.id for c in result.candidates[:3]}, result
    base = knowledge.catalogue
    unlinked = [p.model_copy(update={"took_over_from": []}) for p in base]
    lexicon = knowledge.search.lexicon
    plain = ProcedureSearch(Catalogue(unlinked, base.commune, base.referrals), lexicon)
    without, with_relation = plain.search(query), ProcedureSearch(base, lexicon).search(query)
    assert with_relation.answer == without.answer
    kept = without.candidates[:2]
    assert with_relation.candidates[: len(kept)] == kept


def test_the_legal_call_stays_with_the_procedure_in_force(knowledge: Knowledge) -> None:
    """An old person of 75 or more without a pension is shown the trợ cấp hưu trí xã hội first
    (the procedure in force), the monthly allowance beside it."""
    result = knowledge.search.search("bà ngoại 90 tuổi chưa có lương hưu, muốn nhận tiền tháng")
    assert result.candidates[0].id == PENSION


def test_among_entries_covered_alike_the_one_with_the_message_s_pair_is_scored(
    knowledge: Knowledge,
) -> None:
    """Words many names share tie a dozen entries on coverage; the shortlist scored on phrases
    keeps the one whose names have the message's word pair ("khai sinh"), not whichever the
    partition happens to keep (at 2,000 procedures ties are common)."""
    from core.catalogue import Catalogue
    from core.search import ProcedureSearch

    base = knowledge.catalogue
    template = next(iter(base))
    alike = [
        template.model_copy(
            update={
                "id": f"sinh-hoat-khai-bao-{n}",
                "name": f"Khai báo giấy sinh hoạt {place}",
                "aliases": [],
                "keywords": [],
            }
        )
        for n, place in enumerate(["đình", "chùa", "chợ", "bến", "đồi", "suối"] * 3)
    ]
    # The look-alikes first: a partition tends to keep the first of equals.
    search = ProcedureSearch(Catalogue([*alike, *base], base.commune, base.referrals),
                             knowledge.search.lexicon)  # fmt: skip
    analysis = analyse("giấy khai sinh", search.lexicon, search.index)
    scored = search._score(search._positions(analysis))
    assert "dang-ky-khai-sinh" in {search.index.entries[e].id for e in scored}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ba ủy quyền cho con trai đi hòa giải vụ tranh chấp ranh đất được không",
            {"hoa-giai-tranh-chap-dat-dai"}),
        ("ủy quyền cho bà ngoại đi khai sinh cho cháu được không",
            {"dang-ky-khai-sinh", "lien-thong-khai-sinh"}),
        ("vợ ủy quyền cho chồng đi nộp hồ sơ đăng ký thường trú được không",
            {"dang-ky-thuong-tru"}),
        # the authorisation itself is a paper to certify
        ("làm giấy ủy quyền cho con đi bán đất ở đâu",
            {"chung-thuc-chu-ky", "chung-thuc-hop-dong"}),
        ("hợp đồng ủy quyền cho em trai quản lý nhà làm ở xã được không",
            {"chung-thuc-hop-dong", "chung-thuc-chu-ky"}),
    ],
)  # fmt: skip
def test_authorising_someone_to_go_is_who_goes_for_the_procedure_named(
    knowledge: Knowledge, query: str, expected: set[str]
) -> None:
    """ "ủy quyền cho X đi <làm thủ tục>" asks who may go for the procedure it names, not for a
    signature to be certified; "giấy / hợp đồng ủy quyền" is still that paper."""
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) in expected, result


def test_a_lost_death_paper_asked_again_is_a_copy(knowledge: Knowledge) -> None:
    """A death registered long ago whose paper is lost: its copy (trích lục, bản sao), not a
    new death registration."""
    result = knowledge.search.search("giấy chứng tử của cha bị mất, giờ xin bản sao được không")
    assert (result.answer or result.candidates[0].id) == "cap-ban-sao-trich-luc", result


@pytest.mark.parametrize(
    "query",
    [
        "khai sinh cho cháu ngay khi mới sinh, không ghi tên cha, nay cha cháu muốn nhận con",
        "làm khai sinh cho con lúc nó mới đẻ, chỉ có tên mẹ, bây giờ bố nó muốn nhận",
    ],
)
def test_a_birth_registered_at_birth_is_in_hand(knowledge: Knowledge, query: str) -> None:
    """A birth registered "khi mới sinh", "lúc nó mới đẻ" is a deed told as done: the father
    who now recognises the child asks for nhận cha, mẹ, con, not the combined procedure (for a
    child not yet registered, Luật Hộ tịch 2014 Điều 15)."""
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == "dang-ky-nhan-cha-me-con", result


def test_a_birth_not_registered_at_birth_is_still_to_register(knowledge: Knowledge) -> None:
    result = knowledge.search.search(
        "lúc mới sinh chưa làm khai sinh, giờ con 3 tuổi làm được không"
    )
    assert (result.answer or result.candidates[0].id) == "dang-ky-khai-sinh", result


BURIALS = {"ho-tro-chi-phi-mai-tang", "mai-tang-phi-nguoi-co-cong"}


@pytest.mark.parametrize(
    "query",
    [
        "cụ bà nhà tôi 87 tuổi, xin trợ cấp cho cụ cần giấy gì",
        "ông cụ 92 tuổi có được hưởng trợ cấp xã hội không",
        "tro cap cho ong cu 89 tuoi lam o dau",
    ],
)
def test_a_burial_support_needs_a_death_said(knowledge: Knowledge, query: str) -> None:
    """The burial support exists when a person who had an allowance dies (NĐ 20/2021 Điều 11;
    lexicon `events`): an old person's allowance asked with no death nor burial said is neither
    answered nor listed first as that support; the allowances come first."""
    result = knowledge.search.search(query)
    assert result.answer not in BURIALS, result
    assert (result.answer or result.candidates[0].id) in {PENSION, ALLOWANCE}, result


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mẹ tôi hưởng trợ cấp xã hội đã mãn phần, xin tiền chôn cất", "ho-tro-chi-phi-mai-tang"),
        ("cha toi la thuong binh da mat, gia dinh xin mai tang phi", "mai-tang-phi-nguoi-co-cong"),
        ("tiền mai táng cho người hưởng trợ cấp bao lâu thì có", "ho-tro-chi-phi-mai-tang"),
    ],
)
def test_a_burial_support_with_a_death_said_stays(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """A death or a burial said anywhere (a euphemism, without diacritics, or inside the part
    asked: "mai táng … bao lâu") keeps the burial support first."""
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected, result


def test_events_a_procedure_needs_come_from_its_name(knowledge: Knowledge) -> None:
    index = knowledge.search.index
    needing = {e.id for e in index.entries if e.events}
    assert needing >= BURIALS
    assert not needing & {PENSION, ALLOWANCE, "dang-ky-khai-sinh"}
    assert needing >= {"khai-sinh-ket-hop-nhan-cha-me-con", "dang-ky-nhan-cha-me-con"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lấy nhau từ hồi xưa mà chưa bao giờ làm giấy kết hôn, giờ muốn làm", "dang-ky-ket-hon"),
        ("bà nội 70 tuổi cả đời chưa có giấy khai sinh, giờ làm lần đầu", "dang-ky-khai-sinh"),
    ],
)
def test_a_re_registration_needs_a_paper_that_was_made(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """Re-registration is for a deed registered whose paper and register are both lost (NĐ
    123/2015 Điều 24; lexicon `events`): a paper never made is a first registration, whatever
    the years."""
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected, result


def test_a_lost_paper_still_asks_the_re_registration(knowledge: Knowledge) -> None:
    assert {e.id for e in knowledge.search.index.entries if 1 in e.events} >= {
        "dang-ky-lai-ket-hon",
        "dang-ky-lai-khai-sinh",
    }
    result = knowledge.search.search("giấy kết hôn của bố mẹ cháy hết, xã cũng không còn lưu sổ")
    assert (result.answer or result.candidates[0].id) == "dang-ky-lai-ket-hon", result


@pytest.mark.parametrize(
    "query",
    [
        "ông nội vẫn giữ giấy cưới cũ của hai ông bà",
        "mẹ tôi còn giữ giấy cưới của bà ngoại",
        "mất giấy cưới rồi, hai ông bà lấy nhau từ năm 1970",
    ],
)
def test_a_paper_name_rewritten_from_an_everyday_name_asks_nothing(
    knowledge: Knowledge, query: str
) -> None:
    """ "giấy hôn thú" reads "giấy chứng nhận kết hôn": the "nhận" of the name is no request
    (ex7). A story of the paper kept asks nothing; a paper lost is no first registration."""
    result = knowledge.search.search(query)
    assert result.answer is None and result.referral is None, result


@pytest.mark.parametrize(
    "query",
    ["giấy hôn thú xin ở đâu", "ra xã làm giấy cưới cần những gì", "giay hon thu lam o dau"],
)
def test_a_paper_named_the_everyday_way_is_still_asked_for(
    knowledge: Knowledge, query: str
) -> None:
    assert knowledge.search.search(query).answer == "dang-ky-ket-hon"


@pytest.mark.parametrize(
    "query",
    [
        "cháu đích tôn đang làm nghĩa vụ ngoài Cà Mau, tối chủ nhật mới gọi video về",
        "anh Tư xong nghĩa vụ quân sự về có được ưu tiên xin vô làm nhà máy giày không",
        "thằng Bi đi bộ đội về sẽ được nhận vào làm công an xã hả",
    ],
)
def test_someone_serving_or_back_from_the_army_is_no_first_registration(
    knowledge: Knowledge, query: str
) -> None:
    """A soldier serving (calls home, a unit) or back (work after it) is not the first
    registration of a seventeen-year-old (nm8)."""
    assert knowledge.search.search(query).answer is None


def test_the_first_military_registration_is_still_asked(knowledge: Knowledge) -> None:
    assert (
        knowledge.search.search("thằng Bi tròn 17 tuổi đi đăng ký nghĩa vụ quân sự ở đâu").answer
        == "dang-ky-nghia-vu-quan-su"
    )


@pytest.mark.parametrize(
    ("query", "referral"),
    [
        (
            "sổ hưu của ông có rồi mà lương hưu kỳ này chưa nhận, lên bảo hiểm xã hội huyện hỏi",
            "bao-hiem-xa-hoi",
        ),
        (
            "trợ cấp thất nghiệp tháng thứ ba chưa về, trụ sở bảo hiểm xã hội ở chỗ nào",
            "tro-cap-that-nghiep",
        ),
    ],
)
def test_a_benefit_placed_at_social_insurance_is_referred(
    knowledge: Knowledge, query: str, referral: str
) -> None:
    """A pension or an unemployment benefit asked at the social insurance office is that
    body's, not the commune's social allowance (Luật Bảo hiểm xã hội 2024; nm8)."""
    result = knowledge.search.search(query)
    assert result.answer is None and result.referral == referral, result


@pytest.mark.parametrize(
    "query",
    [
        "nhà cô Năm được xã công nhận hộ cận nghèo hồi tháng ba",
        "gia đình anh Sáu vẫn là gia đình văn hóa tiêu biểu của thôn đó nha",
        "thằng Tý đạt giấy khen học sinh giỏi cấp xã rồi",
        "cô chủ nhà làm tạm trú cho cả xóm trọ rồi, khỏi lo nữa",
        "anh rể đăng ký kết hôn cho hai đứa xong rồi nên nhà đỡ phải lo",
        "ong ba chu tro khai bao tam tru cho tui em roi, an tam",
    ],
)
def test_news_of_a_status_held_or_a_deed_done_asks_nothing(
    knowledge: Knowledge, query: str
) -> None:
    """A status held told as news, or someone's deed told done, with nothing asked and no
    wish: no request (nm8)."""
    result = knowledge.search.search(query)
    assert result.answer is None and result.referral is None, result


MERIT_EDUCATION = "uu-dai-giao-duc-nguoi-co-cong"
LAND_MEDIATION = "hoa-giai-tranh-chap-dat-dai"


@pytest.mark.parametrize(
    "query",
    [
        "cháu học lớp 9 nhà khó khăn, xin miễn tiền học cần giấy gì",
        "sinh viên năm nhất muốn xin hỗ trợ học phí thì làm sao",
        "cãi nhau với em chồng chuyện tiền bạc, xã có hòa giải không",
        "bạn nợ tiền không trả, xin xã hòa giải giúp",
    ],
)
def test_a_condition_a_procedure_is_for_must_be_said(knowledge: Knowledge, query: str) -> None:
    """A procedure whose name says the people or the matter it is for (lexicon `events` with
    `reorder: false`: người có công, tranh chấp đất đai) is no confident answer when the message
    says neither: a pupil's fees, a quarrel over money (prec8)."""
    result = knowledge.search.search(query)
    assert result.answer not in {MERIT_EDUCATION, LAND_MEDIATION}, result


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("điều kiện được công nhận hộ cận nghèo", "cong-nhan-ho-ngheo"),
        ("đề nghị xã công nhận gia đình văn hóa cho hộ tôi", "gia-dinh-van-hoa"),
        ("chủ trọ đăng ký tạm trú cho tụi em chưa", "dang-ky-tam-tru"),
    ],
)
def test_a_status_or_deed_asked_about_still_asks(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    assert knowledge.search.search(query).answer == expected


@pytest.mark.parametrize(
    "query",
    [
        "bọn mình chưa đăng ký kết hôn, nay anh nhà muốn làm giấy nhận con trai",
        "hai vợ chồng chưa đăng kí kết hôn, bé có khai sinh rồi, giờ ba nó muốn nhận con",
    ],
)
def test_a_deed_not_done_yet_before_a_wish_said_now_is_the_story(
    knowledge: Knowledge, query: str
) -> None:
    """ "chưa đăng ký kết hôn" is the couple's state; "giờ … muốn nhận con" is the need (rc8):
    the acknowledgement (or the birth with it) first, never a confident marriage."""
    result = knowledge.search.search(query)
    assert result.answer != "dang-ky-ket-hon", result
    assert (result.answer or result.candidates[0].id) in {
        "dang-ky-nhan-cha-me-con",
        "khai-sinh-ket-hop-nhan-cha-me-con",
    }, result


def test_a_part_not_done_yet_joins_the_need_said_now(knowledge: Knowledge) -> None:
    """A birth not registered yet and the father who now wants the child acknowledged: both
    at once (Luật Hộ tịch 2014 Điều 15), though the need sentence alone names only one."""
    result = knowledge.search.search("bé chưa làm khai sinh, bây giờ ba bé muốn nhận con")
    assert (result.answer or result.candidates[0].id) == "khai-sinh-ket-hop-nhan-cha-me-con"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cho em xin lại bản trích lục khai tử của ba, ba mất năm 2001", "cap-ban-sao-trich-luc"),
        ("vợ chồng tui lấy nhau từ năm 1988, giấy kết hôn bị chuột cắn nát", "dang-ky-lai-ket-hon"),
    ],
)
def test_a_paper_asked_again_is_made_anew_not_registered_first(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    """A paper asked for again, or lost or damaged long after its event, was registered: the
    copy of the extract or the re-registration (Luật Hộ tịch 2014 Điều 63–64, NĐ 123/2015
    Điều 24–27) goes first, never the first registration as a confident answer (rc8)."""
    result = knowledge.search.search(query)
    assert result.answer is None or result.answer == expected, result
    assert (result.answer or result.candidates[0].id) == expected, result


def test_a_death_just_now_still_asks_its_first_registration(knowledge: Knowledge) -> None:
    result = knowledge.search.search("má vừa qua đời tối qua, làm giấy chứng tử ở đâu")
    assert (result.answer or result.candidates[0].id) == "dang-ky-khai-tu", result


@pytest.mark.parametrize(
    "query",
    [
        "cháu nó học lớp 4 rồi, bây giờ bố ruột mới về xin nhận con",
        "giấy khai sinh của bé làm từ hồi mới đẻ, nay anh ấy muốn nhận bé là con",
        "ba no muon nhan thang be la con, no 6 tuoi, hai dua chua cuoi",
        "con bé có giấy khai sinh rồi, giờ mẹ ruột muốn nhận con",
    ],
)
def test_a_recognition_with_no_birth_to_register_is_not_combined(
    knowledge: Knowledge, query: str
) -> None:
    """The combined procedure is for a birth registered and a parent recognised at once (NĐ
    123/2015 Điều 15): a recognition with no birth still to register (a paper in hand, an older
    child) is đăng ký nhận cha, mẹ, con first, the combined one beside it."""
    result = knowledge.search.search(query)
    assert result.answer in (None, "dang-ky-nhan-cha-me-con"), result
    assert (result.answer or result.candidates[0].id) == "dang-ky-nhan-cha-me-con", result


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mẹ cháu là bệnh binh, cháu học cao đẳng xin trợ cấp ưu đãi", MERIT_EDUCATION),
        ("nhà bên xây tường lấn sang vườn nhà tôi, nhờ xã hòa giải", LAND_MEDIATION),
    ],
)
def test_a_condition_said_keeps_the_procedure(
    knowledge: Knowledge, query: str, expected: str
) -> None:
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == expected, result


def test_a_condition_unsaid_keeps_the_order(knowledge: Knowledge) -> None:
    """Unlike an event, a condition left unsaid does not move the procedure down: nothing else
    said is evidence for another one."""
    lexicon = knowledge.search.lexicon
    assert lexicon.conditions
    needing = {e.id for e in knowledge.search.index.entries if set(e.events) & lexicon.conditions}
    assert {MERIT_EDUCATION, LAND_MEDIATION, "mai-tang-phi-nguoi-co-cong"} <= needing


@pytest.mark.parametrize(
    "query",
    [
        "ông đã có giấy xác nhận khuyết tật rồi thì còn được những quyền lợi gì",
        "có sẵn giấy xác nhận khuyết tật rồi, được hỗ trợ gì thêm",
    ],
)
def test_a_paper_named_with_a_shared_word_can_be_in_hand(knowledge: Knowledge, query: str) -> None:
    """ "giấy xác nhận khuyết tật" held ("có … rồi"): the kind of paper many procedures share
    (lexicon `generic`) continues the paper's name, as a catalogue pair does, so the paper is in
    hand and is no request for it (prec8)."""
    result = knowledge.search.search(query)
    assert result.answer != "xac-dinh-muc-do-khuyet-tat", result


def test_a_paper_in_hand_then_lost_is_asked_again(knowledge: Knowledge) -> None:
    result = knowledge.search.search("có giấy xác nhận khuyết tật rồi mà bị cháy mất, làm lại sao")
    assert (result.answer or result.candidates[0].id) == "xac-dinh-muc-do-khuyet-tat", result


@pytest.mark.parametrize(
    "query",
    [
        "bé mới đẻ hôm kia, bố mẹ chưa cưới, bố muốn nhận con ngay khi làm khai sinh",
        "làm khai sinh có tên bố cho con mới sinh khi hai đứa chưa đăng ký kết hôn",
        "con chưa có khai sinh, giờ bố nó muốn nhận con",
    ],
)
def test_a_birth_to_register_and_a_recognition_stay_combined(
    knowledge: Knowledge, query: str
) -> None:
    result = knowledge.search.search(query)
    assert (result.answer or result.candidates[0].id) == "khai-sinh-ket-hop-nhan-cha-me-con", result


def test_an_event_to_do_is_not_said_by_a_paper_in_hand(knowledge: Knowledge) -> None:
    """A `to_do` event is said only by words not in hand, done nor denied."""
    search = knowledge.search
    combined = search._event_ids["khai-sinh-ket-hop-nhan-cha-me-con"]
    had = analyse("bé có giấy khai sinh rồi, bố muốn nhận con", search.lexicon, search.index)
    wanted = analyse("bé chưa làm khai sinh, bố muốn nhận con", search.lexicon, search.index)
    assert not had.events.issuperset(combined)
    assert wanted.events.issuperset(combined)


@pytest.mark.parametrize(
    "query",
    [
        "tờ thỏa thuận chia đất viết tay năm 95 giờ còn giá trị không",
        "bản di chúc ông viết tay hồi trước có dùng được không",
    ],
)
def test_a_handwritten_paper_is_no_need_to_write(knowledge: Knowledge, query: str) -> None:
    """ "viết tay" describes a paper, as "đánh máy", "in sẵn" do: no need to write one (prec8)."""
    assert knowledge.search.search(query).answer is None


@pytest.mark.parametrize(
    "query",
    [
        "ông ngoại hưởng trợ cấp hàng tháng nay đã mất, nhà muốn báo thôi hưởng",
        "ong noi huong tro cap xa hoi da mat, bao thoi huong o dau",
        "mẹ tôi đang nhận bảo trợ xã hội thì mất, con cái phải làm gì để dừng trợ cấp",
    ],
)
def test_a_beneficiary_s_death_reported_to_stop_the_allowance(
    knowledge: Knowledge, query: str
) -> None:
    """Stopping the allowance of a beneficiary who died is the monthly allowance procedure
    (its name says thôi hưởng, NĐ 20/2021 Điều 8–9), not the burial support, when no funeral
    nor its cost is asked (lexicon `events`, `unless`)."""
    result = knowledge.search.search(query)
    assert result.answer not in BURIALS, result
    assert (result.answer or result.candidates[0].id) in {ALLOWANCE, PENSION}, result


def test_a_stop_asked_with_the_funeral_keeps_the_burial_support(knowledge: Knowledge) -> None:
    result = knowledge.search.search(
        "bố hưởng trợ cấp người khuyết tật vừa mất, báo thôi hưởng và xin hỗ trợ mai táng"
    )
    assert "ho-tro-chi-phi-mai-tang" in {c.id for c in result.candidates[:3]}, result


@pytest.mark.parametrize(
    "query",
    [
        "chuyện lấn ranh vườn thì tòa án giải quyết hay sao",
        "tranh chấp lối đi chung, công an huyện có xử lý không",
        "huyện có thụ lý vụ tranh chấp ruộng của nhà tôi không",
    ],
)
def test_another_body_asked_whether_it_handles_a_matter_gets_a_choice(
    knowledge: Knowledge, query: str
) -> None:
    """Whether another body (tòa án, công an, huyện, tỉnh) handles a matter is a question about
    that body (lexicon `other_offices`): at most a choice of the commune's own procedures."""
    result = knowledge.search.search(query)
    assert result.answer is None, result
    assert result.candidates and result.candidates[0].id == LAND_MEDIATION, result


def test_the_commune_said_beside_another_body_is_still_asked(knowledge: Knowledge) -> None:
    result = knowledge.search.search("tranh chấp ranh đất thì lên huyện hay xã hòa giải")
    assert (result.answer or result.candidates[0].id) == LAND_MEDIATION, result
