"""`knowledge/lexicon.yaml`: abbreviations, dialect, stop words, aspects and small talk."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from core.catalogue.errors import (
    CatalogueError,
    CatalogueInvalid,
    describe_validation_error,
    format_field_path,
)
from core.catalogue.yaml_lines import YamlSyntaxError, load_located
from core.text import fold

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
T = TypeVar("T")


class Aspect(StrEnum):
    """The part of a procedure a question is about."""

    DOCUMENTS = "documents"
    FEES = "fees"
    TIME = "time"
    WHERE = "where"


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    ACK = "ack"
    BYE = "bye"
    CONTACT = "contact"  # the office's phone, hours, address


class _LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    abbreviations: dict[str, str] = {}
    dialect: dict[str, str] = {}
    stopwords: list[str] = []
    context_words: list[str] = []
    synonyms: dict[str, str] = {}
    stop_phrases: list[str] = []
    aspects: dict[Aspect, list[str]] = {}
    small_talk: dict[SmallTalk, list[str]] = {}


class _Skip(StrEnum):
    """Kind of a stop phrase: words removed without meaning anything."""

    STOP = "stop"


def accent_key(word: str) -> str:
    """A word with its diacritics, independent of where the tone mark was typed (hoà = hòa)."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    tones = "".join(ch for ch in decomposed if ch in _TONES)
    rest = "".join(ch for ch in decomposed if ch not in _TONES)
    return unicodedata.normalize("NFC", rest) + tones


# A phrase word: (folded, accent key). A word typed with diacritics must match the accent key too,
# so that "vàng" (gold) is not taken for "vâng" (yes).
PhraseWord = tuple[str, str]


def phrase_words(phrase: str) -> tuple[PhraseWord, ...]:
    return tuple((fold(word), accent_key(word)) for word in phrase.split() if fold(word))


class PhraseTable(Generic[T]):
    """Phrases looked up by their first word, longest first: a message is scanned once."""

    def __init__(self, entries: Iterable[tuple[tuple[PhraseWord, ...], T]]) -> None:
        by_first: dict[str, list[tuple[tuple[PhraseWord, ...], T]]] = {}
        for phrase, value in entries:
            if phrase:
                by_first.setdefault(phrase[0][0], []).append((phrase, value))
        self._by_first = {
            first: tuple(sorted(found, key=lambda item: -len(item[0])))
            for first, found in by_first.items()
        }

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def candidates(self, folded: str) -> tuple[tuple[tuple[PhraseWord, ...], T], ...]:
        return self._by_first.get(folded, ())


def split_accent_key(key: str) -> tuple[str, str]:
    """accent_key("thực") → ("thưc", dot below): the letters with their shapes, and the tone."""
    shape = key.rstrip("".join(_TONES))
    return shape, key[len(shape) :]


@dataclass(frozen=True)
class Lexicon:
    abbreviations: dict[str, tuple[str, ...]]  # folded key → folded expansion tokens
    expansion_words: dict[str, tuple[str, ...]]  # folded key → expansion words with accents
    dialect: dict[str, str]  # folded key → the standard word, with its diacritics
    stop_accented: frozenset[str]
    stop_folded: frozenset[str]
    context_words: frozenset[str]  # folded
    synonyms: PhraseTable[tuple[PhraseWord, ...]]
    # Phrases set aside before the words are matched against the catalogue.
    aspects: PhraseTable[Aspect]
    small_talk: PhraseTable[SmallTalk]
    stop_phrases: PhraseTable[_Skip]

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        text = path.read_text(encoding="utf-8")
        try:
            located = load_located(text)
        except YamlSyntaxError as exc:
            raise CatalogueInvalid(
                [CatalogueError(path.name, exc.line, f"sai cú pháp YAML ({exc.problem})")]
            ) from exc
        try:
            data = _LexiconFile.model_validate(located.data or {})
        except ValidationError as exc:
            raise CatalogueInvalid(
                [
                    CatalogueError(
                        path.name,
                        located.line_of(tuple(error["loc"])),
                        describe_validation_error(error),
                        field=format_field_path(tuple(error["loc"])),
                    )
                    for error in exc.errors(include_url=False)
                ]
            ) from exc
        return cls.from_file(data)

    @classmethod
    def from_file(cls, data: _LexiconFile) -> Lexicon:
        return cls(
            abbreviations={fold(k): tuple(fold(v).split()) for k, v in data.abbreviations.items()},
            expansion_words={
                fold(k): tuple(v.casefold().split()) for k, v in data.abbreviations.items()
            },
            dialect={fold(k): v.casefold() for k, v in data.dialect.items()},
            stop_accented=frozenset(accent_key(w) for w in data.stopwords),
            stop_folded=frozenset(fold(w) for w in data.stopwords),
            context_words=frozenset(fold(w) for w in data.context_words),
            synonyms=PhraseTable(
                (phrase_words(p), phrase_words(std)) for p, std in data.synonyms.items()
            ),
            aspects=PhraseTable(
                (phrase_words(p), aspect) for aspect, ps in data.aspects.items() for p in ps
            ),
            small_talk=PhraseTable(
                (phrase_words(p), kind) for kind, ps in data.small_talk.items() for p in ps
            ),
            stop_phrases=PhraseTable((phrase_words(p), _Skip.STOP) for p in data.stop_phrases),
        )
