"""A message → the words that can point to a procedure, plus what else it says.

Abbreviations and dialect are expanded, the part of the procedure asked about ("bao nhiêu tiền")
and small talk ("cảm ơn") are recognised and set aside, and stop words dropped. Stop words are
matched with their diacritics: "cần" is a stop word but "căn" (căn cước) is not. When a person types
without diacritics we cannot tell them apart, so an unaccented word is dropped only if the catalogue
never uses it as a content word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass, field
from typing import TypeVar

from core.search.lexicon import Aspect, Lexicon, PhraseWord, SmallTalk, accent_key
from core.text import fold

_WORD = re.compile(r"[^\W_]+")
_MAX_WORDS = 120  # a question never needs more; bounds the work on pasted essays
T = TypeVar("T")


@dataclass(frozen=True)
class Word:
    folded: str
    accent: str  # accent_key of what was typed (or of the expansion)
    accented: bool  # whether the person typed diacritics on this word


@dataclass
class Analysis:
    words: list[Word] = field(default_factory=list)  # content words, in order
    aspect: Aspect | None = None
    small_talk: SmallTalk | None = None


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


def analyse(text: str, lexicon: Lexicon, content_vocab: Container[str]) -> Analysis:
    words = _expand(split_words(text), lexicon, content_vocab)
    consumed = [False] * len(words)
    result = Analysis()
    result.aspect = _mark_phrases(words, consumed, lexicon.aspects)
    result.small_talk = _mark_phrases(words, consumed, lexicon.small_talk)
    _mark_phrases(words, consumed, lexicon.stop_phrases)
    for word, used in zip(words, consumed, strict=True):
        if used or _is_stopword(word, lexicon, content_vocab):
            continue
        result.words.append(word)
    return result


def _expand(words: list[Word], lexicon: Lexicon, vocab: Container[str]) -> list[Word]:
    expanded: list[Word] = []
    for word in words:
        key = word.folded
        if key in vocab:
            expanded.append(word)
        elif key in lexicon.abbreviations:
            for folded, raw in zip(
                lexicon.abbreviations[key], lexicon.expansion_words[key], strict=False
            ):
                expanded.append(Word(folded, accent_key(raw), True))
        elif key in lexicon.dialect:
            expanded.append(Word(lexicon.dialect[key], lexicon.dialect[key], False))
        else:
            expanded.append(word)
    return expanded


def _mark_phrases(
    words: list[Word], consumed: list[bool], phrases: tuple[tuple[tuple[PhraseWord, ...], T], ...]
) -> T | None:
    """Mark every occurrence of the phrases (longest first); return the kind found first."""
    first: tuple[int, T] | None = None
    for phrase, kind in phrases:
        size = len(phrase)
        for start in range(len(words) - size + 1):
            if any(consumed[start : start + size]) or not all(
                _same_word(word, expected)
                for word, expected in zip(words[start : start + size], phrase, strict=True)
            ):
                continue
            consumed[start : start + size] = [True] * size
            if first is None or start < first[0]:
                first = (start, kind)
    return first[1] if first else None


def _same_word(word: Word, expected: PhraseWord) -> bool:
    folded, accent = expected
    return word.folded == folded and (not word.accented or word.accent == accent)


def _is_stopword(word: Word, lexicon: Lexicon, vocab: Container[str]) -> bool:
    if word.accented:
        return word.accent in lexicon.stop_accented
    return word.folded in lexicon.stop_folded and word.folded not in vocab
