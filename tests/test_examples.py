"""knowledge/examples.yaml and the model built from it (core.search.examples)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import cli
from bot.app import load_knowledge
from bot.settings import Settings
from core.catalogue.errors import CatalogueInvalid
from core.search import ProcedureSearch
from core.search.examples import NONE, ExampleModel, Examples, load_examples, training_set
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
    plain = ProcedureSearch(knowledge.catalogue, knowledge.search.lexicon)
    cases = yaml.safe_load((DATA / "search_tune.yaml").read_text(encoding="utf-8"))
    changed = 0
    for case in cases:
        with_model, without = knowledge.search.search(case["q"]), plain.search(case["q"])
        assert with_model.answer in (None, without.answer), case["q"]
        listed = {c.id for c in with_model.candidates}
        assert listed <= {c.id for c in without.candidates}, case["q"]  # nothing added
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
