"""Evidence from how people ask: `knowledge/examples.yaml` and a small model built from it.

The file lists, under each procedure's id, questions as citizens ask them (stories, situations,
everyday names); the group `none` holds messages about no procedure of the commune. At load time
a multinomial naive Bayes model is built over the same analysed words the engine scores (after
normalisation, the lexicon, Telex/VNI repair and the part asked about set aside): single words
and adjacent pairs, each weighted as the analysis weighs it (context sentences count less).
Each procedure's name, aliases and keywords are questions of it too, so a procedure without
examples (a commune's added one) still has a class.

The model never answers on its own: the engine uses it only to order the procedures it already
found (core.search.engine), and to turn a confident answer into a choice when the model clearly
prefers another one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from core.catalogue.errors import CatalogueError, CatalogueInvalid
from core.catalogue.loader import read_located
from core.catalogue.yaml_lines import DEFAULT_MAX_BYTES
from core.search.analyzer import Word

NONE = "none"  # the group of messages about no procedure
# Additive smoothing of word counts; a name or alias counts as this many questions.
ALPHA, NAME_WEIGHT = 0.1, 1.0
# A word's weight in the analysis (context sentences 0.5, a thing said missing 0.2…) counts
# squared: the model has no other way to tell the need from the story around it.
WEIGHT_POWER = 2.0


@dataclass(frozen=True)
class Examples:
    """Questions by procedure id (and `NONE`), in file order."""

    questions: Mapping[str, tuple[str, ...]]

    def __len__(self) -> int:
        return sum(len(q) for q in self.questions.values())


def load_examples(
    path: Path, known_ids: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> Examples:
    """Read and check the examples file: every group must be a procedure or referral id of the
    catalogue, or `none`, with a list of questions. Raises CatalogueInvalid with every problem,
    each with its file and line."""
    errors: list[CatalogueError] = []
    located = read_located(path, errors, max_bytes)
    if located is None:
        raise CatalogueInvalid(errors)
    name, known = path.name, set(known_ids)
    questions: dict[str, tuple[str, ...]] = {}
    for key, value in located.data.items():
        line = located.line_of((key,))
        if not isinstance(key, str) or (key not in known and key != NONE):
            errors.append(
                CatalogueError(
                    name,
                    line,
                    f"“{key}” không phải mã của thủ tục nào trong danh mục (procedures.yaml);"
                    f" viết đúng mã thủ tục, hoặc “{NONE}” cho câu không thuộc thủ tục nào",
                )
            )
            continue
        items = value if isinstance(value, list) else None
        if not items or not all(isinstance(q, str) and q.strip() for q in items):
            errors.append(
                CatalogueError(
                    name,
                    line,
                    "mỗi nhóm là một danh sách câu hỏi, mỗi câu một dòng bắt đầu bằng “- ”",
                    key,
                )
            )
            continue
        questions[key] = tuple(items)
    if errors:
        raise CatalogueInvalid(errors)
    return Examples(questions)


Features = dict[str, float]  # feature → weight in the message

# The analysed example questions kept between starts (`AnalysisCache`); a new format is a new key.
CACHE_FORMAT = 1


def features(words: Sequence[Word], known: Callable[[str], str | None]) -> Features:
    """The analysed words → single words and adjacent pairs, each with the analysis's weight
    squared (a pair: the lesser of its two). `known` maps a folded word to the form the model
    knows (itself, or the catalogue word a typo stands for), or None to skip it."""
    found: Features = {}
    forms = [(known(w.folded), w.weight**WEIGHT_POWER) for w in words]
    for form, weight in forms:
        if form is not None:
            found[form] = max(found.get(form, 0.0), weight)
    for (a, wa), (b, wb) in pairwise(forms):
        if a is not None and b is not None:
            pair = f"{a} {b}"
            found[pair] = max(found.get(pair, 0.0), min(wa, wb))
    return found


class ExampleModel:
    """Multinomial naive Bayes over analysed words; deterministic (no sampling, sorted ids)."""

    def __init__(self, training: Mapping[str, Iterable[tuple[Features, float]]]) -> None:
        counts: dict[str, dict[str, float]] = {}
        for group in sorted(training):
            table: dict[str, float] = defaultdict(float)
            for found, weight in training[group]:
                for feature, value in found.items():
                    table[feature] += value * weight
            counts[group] = dict(table)
        vocabulary = sorted({f for table in counts.values() for f in table})
        self.vocabulary = frozenset(vocabulary)
        self.groups = tuple(counts)
        size = len(vocabulary)
        # log P(feature | group), and the log probability of a feature the group never saw.
        self._log: dict[str, dict[str, float]] = {}
        self._unseen: dict[str, float] = {}
        for group, table in counts.items():
            total = sum(table.values()) + ALPHA * size
            self._log[group] = {f: math.log((c + ALPHA) / total) for f, c in table.items()}
            self._unseen[group] = math.log(ALPHA / total)

    def posteriors(
        self, found: Features, groups: Iterable[str], temperature: float = 1.0
    ) -> dict[str, float]:
        """P(group | message) among `groups` (equal priors); groups the model lacks get none.
        Only words that one of these groups was taught count (a word none of them has seen
        would only favour the group with fewer words), and a message with none gets nothing.
        The log-likelihoods are taken per word of evidence and divided by `temperature`, so a
        long story is not more certain than a short question (naive Bayes's overconfidence)."""
        logs = {g: self._log[g] for g in groups if g in self._log}
        evidence = {f: w for f, w in found.items() if any(f in log for log in logs.values())}
        size = sum(evidence.values())
        if not logs or not size:
            return {}
        scores = {
            g: sum(w * log.get(f, self._unseen[g]) for f, w in evidence.items()) / size
            for g, log in logs.items()
        }
        top = max(scores.values())
        exps = {g: math.exp((s - top) / temperature) for g, s in scores.items()}
        total = sum(exps.values())
        return {g: v / total for g, v in exps.items()}


def phrase_features(tokens: Sequence[str]) -> Features:
    """A name or alias, as the index read it, → its words and adjacent pairs."""
    found: Features = dict.fromkeys(tokens, 1.0)
    found.update((f"{a} {b}", 1.0) for a, b in pairwise(tokens))
    return found


def training_set(
    examples: Examples,
    names: Mapping[str, Sequence[Features]],
    analysed: Callable[[str], Features],
) -> dict[str, list[tuple[Features, float]]]:
    """Every question of the file, and each group's names, aliases and keywords as questions
    (`names`: by group, already as features)."""
    training: dict[str, list[tuple[Features, float]]] = defaultdict(list)
    for group, phrases in names.items():
        training[group].extend((found, NAME_WEIGHT) for found in phrases)
    for group, questions in examples.questions.items():
        if group != NONE and group not in names:
            continue  # a procedure the commune's catalogue does not index
        for question in questions:
            training[group].append((analysed(question), 1.0))
    return dict(training)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The code that reads a question: Python's and Unicode's versions and the source of
    core/text.py and core/search/ (the analysis of an example is reused only by the code that
    made it, whatever the version number says)."""
    digest = hashlib.sha256(f"{sys.version_info[:3]} {unicodedata.unidata_version}".encode())
    here = Path(__file__).resolve().parent
    for path in (here.parent / "text.py", *sorted(here.glob("*.py"))):
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def analysis_key(lexicon: str, catalogue: Iterable[object], examples: Examples) -> str:
    """What the analysed examples depend on: the code, the lexicon (`Lexicon.fingerprint`),
    what the index reads of the catalogue, and the questions themselves."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{code_version()}\0{lexicon}".encode())
    for part in (*catalogue, *examples.questions.items()):
        digest.update(b"\0" + repr(part).encode())
    return digest.hexdigest()


class AnalysisCache:
    """The example questions as analysed (question → features), kept in one JSON file between
    starts: analysing the 1,933 questions is most of the search's start-up. The file is read
    only under the key it was written for (`analysis_key`): a file of another key, unreadable
    or malformed, is ignored and the questions are analysed again. It is replaced atomically (a
    temporary file beside it, then a rename), so processes starting together each read a whole
    file or none; one that cannot be written is skipped silently."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, key: str) -> dict[str, Features]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("key") != key:
            return {}
        questions = data.get("questions")
        if not isinstance(questions, dict) or not all(
            isinstance(found, dict) and all(type(w) is float for w in found.values())
            for found in questions.values()
        ):
            return {}
        return questions

    def save(self, key: str, analysed: Mapping[str, Features]) -> None:
        temporary: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump({"key": key, "questions": analysed}, file, ensure_ascii=False)
            os.replace(temporary, self.path)
        except OSError:
            if temporary is not None:
                with suppress(OSError):
                    os.unlink(temporary)
