"""A message → the words that can point to a procedure, plus what else it says.

Abbreviations and dialect are expanded, the part of the procedure asked about ("bao nhiêu tiền")
and small talk ("cảm ơn") are recognised and set aside, and stop words dropped.

Diacritics are evidence when the person uses them. In a message typed with diacritics, a word
without any ("cho", "bao") is meant as written, so stop words are matched with their accents:
"cần" is a stop word, "căn" (căn cước) is not. In a message typed without diacritics we cannot
tell them apart, so such a word is dropped when the catalogue mostly uses it as a stop word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from core.search.lexicon import Aspect, Lexicon, PhraseTable, PhraseWord, SmallTalk, accent_key
from core.text import fold

_WORD = re.compile(r"[^\W_]+")
_MAX_WORDS = 120  # a question never needs more; bounds the work on pasted essays
T = TypeVar("T")


# A message is "typed with diacritics" when at least this share of its words carry some:
# about three Vietnamese syllables in four do, while unaccented typing gives none.
ACCENTED_MESSAGE = 0.4


class Vocabulary(Protocol):
    def __contains__(self, folded: object) -> bool: ...

    def leans_stop(self, folded: str) -> bool:
        """Whether the catalogue uses this folded form mostly as a stop word ("cho" vs "chỗ")."""
        ...


@dataclass(frozen=True)
class Word:
    folded: str
    accent: str  # accent_key of what was typed (or of the expansion)
    accented: bool  # whether the person typed diacritics on this word
    # Whether `accent` says which word was meant: true for words typed with diacritics, and for
    # every word of a message typed with diacritics.
    trusted: bool = False
    # One typed abbreviation is one idea however many words it expands to ("cccd" → căn cước
    # công dân): its words share the weight of a word or two.
    weight: float = 1.0


@dataclass
class Analysis:
    words: list[Word] = field(default_factory=list)  # content words, in order
    aspect: Aspect | None = None
    small_talk: SmallTalk | None = None
    accented_message: bool = False


def split_words(text: str) -> list[Word]:
    words: list[Word] = []
    for raw in _WORD.findall(unicodedata.normalize("NFC", text[:2000]).casefold()):
        parts = fold(raw).split()
        if len(parts) == 1:
            words.append(Word(parts[0], accent_key(raw), parts[0] != raw))
        else:
            words.extend(Word(part, part, False) for part in parts)
        if len(words) >= _MAX_WORDS:
            break
    return words


def analyse(text: str, lexicon: Lexicon, vocabulary: Vocabulary) -> Analysis:
    raw = split_words(text)
    lettered = [w for w in raw if not w.folded.isdigit()]
    accented_message = bool(lettered) and (
        sum(w.accented for w in lettered) / len(lettered) >= ACCENTED_MESSAGE
    )
    words = _synonyms(
        [
            replace(word, trusted=word.accented or accented_message)
            for word in _expand(raw, lexicon, vocabulary)
        ],
        lexicon,
    )
    consumed = [False] * len(words)
    result = Analysis(accented_message=accented_message)
    result.aspect = _mark_phrases(words, consumed, lexicon.aspects)
    result.small_talk = _mark_phrases(words, consumed, lexicon.small_talk)
    _mark_phrases(words, consumed, lexicon.stop_phrases)
    for word, used in zip(words, consumed, strict=True):
        if used or _is_stopword(word, lexicon, vocabulary):
            continue
        result.words.append(word)
    return result


def _expand(words: list[Word], lexicon: Lexicon, vocabulary: Vocabulary) -> list[Word]:
    expanded: list[Word] = []
    for word in words:
        key = word.folded
        if key in vocabulary:
            expanded.append(word)
        elif key in lexicon.abbreviations:
            expansion = lexicon.abbreviations[key]
            share = min(1.0, 2 / len(expansion))
            for folded, raw in zip(expansion, lexicon.expansion_words[key], strict=False):
                expanded.append(Word(folded, accent_key(raw), True, weight=share))
        elif key in lexicon.dialect:
            standard = lexicon.dialect[key]
            expanded.append(Word(fold(standard), accent_key(standard), True))
        else:
            expanded.append(word)
    return expanded


def _synonyms(words: list[Word], lexicon: Lexicon) -> list[Word]:
    """Folk and regional names → the catalogue's words ("hôn thú" → "kết hôn")."""
    if not lexicon.synonyms:
        return words
    result: list[Word] = []
    i = 0
    while i < len(words):
        found = _phrase_at(words, i, lexicon.synonyms)
        if found is None:
            result.append(words[i])
            i += 1
            continue
        size, standard = found
        result.extend(Word(folded, accent, True, True) for folded, accent in standard)
        i += size
    return result


def _mark_phrases(words: list[Word], consumed: list[bool], table: PhraseTable[T]) -> T | None:
    """Mark the phrases of the table (leftmost, longest); return the kind found first."""
    first: T | None = None
    i = 0
    while i < len(words):
        found = None if consumed[i] else _phrase_at(words, i, table)
        if found is None:
            i += 1
            continue
        size, kind = found
        consumed[i : i + size] = [True] * size
        first = kind if first is None else first
        i += size
    return first


def _phrase_at(words: list[Word], i: int, table: PhraseTable[T]) -> tuple[int, T] | None:
    for phrase, value in table.candidates(words[i].folded):
        size = len(phrase)
        window = words[i : i + size]
        if len(window) == size and all(
            _same_word(w, e) for w, e in zip(window, phrase, strict=True)
        ):
            return size, value
    return None


def _same_word(word: Word, expected: PhraseWord) -> bool:
    folded, accent = expected
    return word.folded == folded and (not word.trusted or word.accent == accent)


def _is_stopword(word: Word, lexicon: Lexicon, vocabulary: Vocabulary) -> bool:
    if word.trusted:
        return word.accent in lexicon.stop_accented
    return word.folded in lexicon.stop_folded and (
        word.folded not in vocabulary or vocabulary.leans_stop(word.folded)
    )
