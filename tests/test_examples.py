"""knowledge/examples.yaml and the model built from it (core.search.examples)."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
import yaml

from bot import cli
from bot.app import load_knowledge
from bot.settings import Settings
from core.catalogue import Catalogue
from core.catalogue.errors import CatalogueInvalid
from core.search import ProcedureSearch
from core.search.analyzer import analyse
from core.search.engine import Candidate, SearchResult
from core.search.examples import (
    NONE,
    AnalysisCache,
    ExampleModel,
    Examples,
    load_examples,
    training_set,
)
from handlers.context import Knowledge

DATA = Path(__file__).parent / "data"
SHIPPED = Path(__file__).parent.parent / "knowledge" / "examples.yaml"


def test_shipped_examples_cover_every_procedure(knowledge: Knowledge) -> None:
    examples = load_examples(SHIPPED, [p.id for p in knowledge.catalogue])
    for procedure in knowledge.catalogue:
        assert len(examples.questions[procedure.id]) >= 20, procedure.id
    assert len(examples.questions[NONE]) >= 100
    assert knowledge.search.model is not None


def test_an_unknown_id_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "examples.yaml"
    path.write_text(
        "# ví dụ\ndang-ky-khai-sinh:\n  - làm giấy khai sinh cho con\n"
        "dang-ky-khai-sinhh:\n  - khai sinh cho bé\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueInvalid) as raised:
        load_examples(path, ["dang-ky-khai-sinh"])
    (error,) = raised.value.errors
    assert str(error).startswith("examples.yaml dòng 4: “dang-ky-khai-sinhh” không phải mã")


def test_a_group_must_be_a_list_of_questions(tmp_path: Path) -> None:
    path = tmp_path / "examples.yaml"
    path.write_text("none: chào xã\ndang-ky-khai-tu:\n  - 3\n", encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as raised:
        load_examples(path, ["dang-ky-khai-tu"])
    lines = sorted(str(e) for e in raised.value.errors)
    assert lines[0].startswith('examples.yaml dòng 1, thủ tục "none": mỗi nhóm là một danh sách')
    assert lines[1].startswith('examples.yaml dòng 2, thủ tục "dang-ky-khai-tu": mỗi nhóm')


def test_a_broken_file_is_a_catalogue_error(tmp_path: Path) -> None:
    path = tmp_path / "examples.yaml"
    path.write_text('none:\n  - "chào xã\n', encoding="utf-8")
    with pytest.raises(CatalogueInvalid) as raised:
        load_examples(path, [])
    assert "examples.yaml dòng" in str(raised.value.errors[0])


def test_an_unknown_id_stops_the_knowledge_from_loading(tmp_path: Path) -> None:
    path = tmp_path / "examples.yaml"
    path.write_text("thu-tuc-khong-co:\n  - câu hỏi\n", encoding="utf-8")
    with pytest.raises(CatalogueInvalid):
        load_knowledge(Settings(_env_file=None, examples_file=path))  # type: ignore[call-arg]


def test_check_catalogue_checks_the_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "examples.yaml"
    path.write_text("none:\n  - chào xã\ndang-ky-ket-hom:\n  - cưới vợ\n", encoding="utf-8")
    monkeypatch.setenv("MOTCUA_EXAMPLES_FILE", str(path))
    assert cli.main(["check-catalogue"]) == 1
    assert "examples.yaml dòng 3: “dang-ky-ket-hom” không phải mã" in capsys.readouterr().err


def _toy_model() -> ExampleModel:
    examples = Examples(
        {
            "a": ("con bị lạc tìm được", "nhận lại con thất lạc"),
            "b": ("giấy bị mất sổ không còn", "lũ cuốn mất giấy"),
            NONE: ("chào xã", "giá vàng hôm nay"),
        }
    )
    names = {"a": [{"nhận": 1.0, "con": 1.0}], "b": [{"đăng": 1.0, "lại": 1.0}]}

    def analysed(text: str) -> dict[str, float]:
        return dict.fromkeys(text.split(), 1.0)

    return ExampleModel(training_set(examples, names, analysed))


def test_the_model_is_deterministic_and_a_distribution() -> None:
    one, two = _toy_model(), _toy_model()
    message = {"con": 1.0, "lạc": 1.0, "giấy": 0.5, "xyz": 1.0}
    first = one.posteriors(message, ["a", "b"])
    assert first == two.posteriors(message, ["b", "a"])
    assert sum(first.values()) == pytest.approx(1.0)
    assert first["a"] > 0.8  # the situation's words decide
    assert one.posteriors({"lũ": 1.0, "mất": 1.0}, ["a", "b"])["b"] > 0.8
    assert one.posteriors({"xyz": 1.0}, ["a", "b"]) == {}  # nothing it knows: no opinion
    assert one.posteriors(message, ["a", "unknown-id"]) == {"a": 1.0}


def test_the_examples_never_make_a_confident_answer(knowledge: Knowledge) -> None:
    """Over every tuning question: an answer with the model is the engine's own answer, or
    none (a choice) — the model only reorders what the engine listed."""
    assert knowledge.search.model is not None
    # The engine alone: neither the model nor the procedures kept together because one took
    # over the other's people (`took_over_from`, applied after the model).
    base = knowledge.catalogue
    unlinked = [p.model_copy(update={"took_over_from": []}) for p in base]
    plain = ProcedureSearch(
        Catalogue(unlinked, base.commune, base.referrals), knowledge.search.lexicon
    )
    cases = yaml.safe_load((DATA / "search_tune.yaml").read_text(encoding="utf-8"))
    changed = 0
    for case in cases:
        with_model, without = knowledge.search.search(case["q"]), plain.search(case["q"])
        assert with_model.answer in (None, without.answer), case["q"]
        listed = {c.id for c in with_model.candidates}
        # Nothing added but the procedure kept beside one listed first or second.
        kept_with = knowledge.search.kept_with
        kept = {k for c in with_model.candidates[:2] for k in kept_with.get(c.id, ())}
        assert listed <= {c.id for c in without.candidates} | kept, case["q"]
        changed += [c.id for c in with_model.candidates] != [c.id for c in without.candidates]
    assert changed  # it does reorder


def test_a_search_handed_the_analysed_examples_learns_the_same_model(knowledge: Knowledge) -> None:
    """A commune's search takes the example questions as the province's search analysed them
    (handlers.context): the model it counts is the one it would have read itself."""
    shipped = knowledge.search
    assert shipped.examples is not None and shipped.model is not None
    lexicon, examples = shipped.lexicon, shipped.examples
    own = ProcedureSearch(knowledge.catalogue, lexicon, examples=examples)
    handed = ProcedureSearch(
        knowledge.catalogue, lexicon, examples=examples, analysed_examples=shipped.analysed_examples
    )
    assert handed.model is not None and own.model is not None
    assert handed.model.vocabulary == own.model.vocabulary
    message = {"con": 1.0, "thất": 1.0, "lạc": 1.0, "giấy": 0.5}
    groups = sorted(own.model.groups)
    assert handed.model.posteriors(message, groups) == own.model.posteriors(message, groups)


SMALL = Examples(
    {
        "dang-ky-khai-sinh": ("vợ mới sinh em bé cần làm giấy gì", "lam giay khai sinh cho con"),
        NONE: ("giá lúa hôm nay bao nhiêu",),
    }
)


def _analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The questions analysed from now on (not taken from a cache)."""
    seen: list[str] = []
    analyse = ProcedureSearch._features_of

    def counting(self: ProcedureSearch, text: str) -> dict[str, float]:
        seen.append(text)
        return analyse(self, text)

    monkeypatch.setattr(ProcedureSearch, "_features_of", counting)
    return seen


def test_the_analysed_examples_are_kept_between_starts(
    knowledge: Knowledge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second start reads the questions' analysis from the file: the same features, in
    the same order (the model's sums depend on it), so the same model."""
    shipped = knowledge.search
    assert shipped.examples is not None and shipped.model is not None
    cache = AnalysisCache(tmp_path / "cache" / "examples-analysed.json")
    first = ProcedureSearch(
        knowledge.catalogue, shipped.lexicon, examples=shipped.examples, examples_cache=cache
    )
    assert list(cache.path.parent.iterdir()) == [cache.path]  # no temporary file left
    analysed = _analysed(monkeypatch)
    second = ProcedureSearch(
        knowledge.catalogue, shipped.lexicon, examples=shipped.examples, examples_cache=cache
    )
    assert analysed == []
    assert [list(f.items()) for f in second.analysed_examples.values()] == [
        list(f.items()) for f in first.analysed_examples.values()
    ]
    assert first.analysed_examples == shipped.analysed_examples
    assert first.model is not None and second.model is not None
    assert second.model._log == first.model._log == shipped.model._log


def test_the_analysis_is_not_reused_after_a_change(
    knowledge: Knowledge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another lexicon, another catalogue text or other questions: analysed again, and the
    file rewritten for what is now in use."""
    catalogue, lexicon = knowledge.catalogue, knowledge.search.lexicon
    cache = AnalysisCache(tmp_path / "examples-analysed.json")
    ProcedureSearch(catalogue, lexicon, examples=SMALL, examples_cache=cache)
    analysed = _analysed(monkeypatch)
    ProcedureSearch(catalogue, lexicon, examples=SMALL, examples_cache=cache)
    assert analysed == []
    other_lexicon = dataclasses.replace(lexicon, fingerprint="another file")
    ProcedureSearch(catalogue, other_lexicon, examples=SMALL, examples_cache=cache)
    assert len(analysed) == 3
    first = next(iter(catalogue))
    renamed = first.model_copy(update={"aliases": [*first.aliases, "giấy chào đời"]})
    changed = Catalogue([renamed, *list(catalogue)[1:]], catalogue.commune, catalogue.referrals)
    ProcedureSearch(changed, other_lexicon, examples=SMALL, examples_cache=cache)
    assert len(analysed) == 6
    more = Examples({**SMALL.questions, NONE: ("giá lúa hôm nay bao nhiêu", "trời mưa không")})
    ProcedureSearch(changed, other_lexicon, examples=more, examples_cache=cache)
    assert len(analysed) == 10
    ProcedureSearch(changed, other_lexicon, examples=more, examples_cache=cache)
    assert len(analysed) == 10  # the file now holds the last one


@pytest.mark.parametrize(
    "content", ["", "{not json", "[]", '{"key": "x", "questions": {}}', "\udcff"]
)
def test_a_broken_or_foreign_cache_file_is_analysed_again(
    knowledge: Knowledge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    catalogue, lexicon = knowledge.catalogue, knowledge.search.lexicon
    cache = AnalysisCache(tmp_path / "examples-analysed.json")
    fresh = ProcedureSearch(catalogue, lexicon, examples=SMALL, examples_cache=cache)
    cache.path.write_bytes(content.encode("utf-8", "surrogateescape"))
    analysed = _analysed(monkeypatch)
    again = ProcedureSearch(catalogue, lexicon, examples=SMALL, examples_cache=cache)
    assert len(analysed) == 3
    assert again.analysed_examples == fresh.analysed_examples


def test_a_malformed_entry_in_the_cache_file_is_analysed_again(
    knowledge: Knowledge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue, lexicon = knowledge.catalogue, knowledge.search.lexicon
    cache = AnalysisCache(tmp_path / "examples-analysed.json")
    ProcedureSearch(catalogue, lexicon, examples=SMALL, examples_cache=cache)
    text = cache.path.read_text(encoding="utf-8")
    cache.path.write_text(text.replace(": 1.0", ': "1.0"', 1), encoding="utf-8")
    analysed = _analysed(monkeypatch)
    ProcedureSearch(catalogue, lexicon, examples=SMALL, examples_cache=cache)
    assert len(analysed) == 3


def test_no_cache_without_a_lexicon_file_or_a_writable_folder(
    knowledge: Knowledge, tmp_path: Path
) -> None:
    catalogue, lexicon = knowledge.catalogue, knowledge.search.lexicon
    unknown = AnalysisCache(tmp_path / "examples-analysed.json")
    built = dataclasses.replace(lexicon, fingerprint="")  # not loaded from a file
    ProcedureSearch(catalogue, built, examples=SMALL, examples_cache=unknown)
    assert not unknown.path.exists()
    (tmp_path / "a-file").write_text("")
    unwritable = AnalysisCache(tmp_path / "a-file" / "examples-analysed.json")
    search = ProcedureSearch(catalogue, lexicon, examples=SMALL, examples_cache=unwritable)
    assert search.model is not None


def test_the_bot_keeps_the_analysis_in_its_cache_folder(settings: Settings) -> None:
    lexicon = settings.lexicon_file
    fingerprint = hashlib.sha256(lexicon.read_bytes()).hexdigest()
    assert load_knowledge(settings).search.lexicon.fingerprint == fingerprint
    path = settings.data_dir / "cache" / "examples-analysed.json"
    assert path.exists()
    elsewhere = settings.model_copy(update={"cache_dir": settings.data_dir / "elsewhere"})
    load_knowledge(elsewhere)
    assert (settings.data_dir / "elsewhere" / "examples-analysed.json").exists()


# Messages about nothing that share a procedure's words (knowledge/examples.yaml's `none`): a
# toy set, so the test reads the brake's rule rather than the shipped examples.
TALK = Examples(
    {
        "dang-ky-khai-tu": (
            "bố tôi vừa mất, làm giấy báo tử ở xã",
            "ông nội qua đời hôm kia, đăng ký khai tử cho ông",
        ),
        NONE: (
            "tối qua xem phim truyền hình hay quá",
            "phim truyền hình dài tập chiếu lúc mấy giờ",
            "diễn viên phim truyền hình đóng đạt ghê",
        ),
    }
)


def _confident(search: ProcedureSearch, text: str, answer: str) -> SearchResult:
    """What the engine would say with `answer` sure: the brake's input."""
    listed = (Candidate(answer, 0.8), Candidate("lien-thong-khai-tu", 0.5))
    return SearchResult(query=text, answer=answer, candidates=listed)


def _brake(search: ProcedureSearch, text: str, answer: str = "dang-ky-khai-tu") -> SearchResult:
    assert search.model is not None
    analysis = analyse(text, search.lexicon, search.index)
    return search._about_nothing(_confident(search, text, answer), analysis, search.model)


def test_an_answer_to_a_message_about_nothing_becomes_a_choice(knowledge: Knowledge) -> None:
    search = ProcedureSearch(knowledge.catalogue, knowledge.search.lexicon, examples=TALK)
    story = _brake(search, "phim truyền hình tối qua diễn viên đóng cảnh khai tử")
    assert story.answer is None
    assert [c.id for c in story.candidates] == ["dang-ky-khai-tu", "lien-thong-khai-tu"]
    # Asked as people ask for it: the answer stands.
    assert _brake(search, "bố mất rồi, đăng ký khai tử cho bố ở xã").answer == "dang-ky-khai-tu"


def test_the_brake_needs_examples_of_the_answer_and_of_none(knowledge: Knowledge) -> None:
    lexicon, story = (
        knowledge.search.lexicon,
        "phim truyền hình tối qua diễn viên đóng cảnh khai tử",
    )
    search = ProcedureSearch(knowledge.catalogue, lexicon, examples=TALK)
    # A procedure known by its names alone (a commune's own) is never taken for talk.
    assert _brake(search, story, "lien-thong-khai-tu").answer == "lien-thong-khai-tu"
    no_talk = Examples({"dang-ky-khai-tu": TALK.questions["dang-ky-khai-tu"]})
    search = ProcedureSearch(knowledge.catalogue, lexicon, examples=no_talk)
    assert _brake(search, story).answer == "dang-ky-khai-tu"
