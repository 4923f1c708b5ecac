"""The search index: built once per catalogue, read-only afterwards (safe to share).

Every procedure and referral becomes an entry with weighted words: its name and aliases count
fully, its keywords a little less, its summary and documents only a little. Words are folded
(no diacritics), so what people type without accents still matches.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum, auto
from itertools import pairwise
from typing import Any

import numpy as np

from core.catalogue import Catalogue
from core.catalogue.models import Procedure, Referral
from core.search.analyzer import (
    PURPOSE_CLAUSE,
    Word,
    name_purpose,
    read_senses,
    says,
    split_words,
)
from core.search.lexicon import Initialism, Lexicon, PhraseWord, accent_key, split_accent_key
from core.text import fold, is_syllable, phonetic_key

STRONG, KEYWORD, SUMMARY, DOCUMENT = 1.0, 0.8, 0.35, 0.2
# The purpose a name or alias says ("giấy độc thân | để vay ngân hàng") is a phrase of its own
# that weighs as a message's purpose does: it is why the paper is wanted, not what it is. Its
# words are found as a summary's are (they never bring a procedure into the list alone).
PURPOSE = PURPOSE_CLAUSE
# A procedure whose name joins the names of two or more others by at most this many words
# ("Đăng ký khai sinh | kết hợp | nhận cha, mẹ, con") combines them.
JOINING_WORDS = 2


# Initialisms ("ctck": chứng thực chữ ký) of names and aliases of this many words (three letters
# are too often a chat abbreviation: "stt", "ktx"); letters that more procedures than a short
# choice share stand for nothing.
INITIALISM_WORDS, INITIALISM_CHOICE = (4, 6), 3
_WORD = re.compile(r"[^\W_]+")

# Words that set the scene but never say which procedure ("con", "nhà", "tiền").
CONTEXT_WEIGHT = 0.35


class AccentMatch(Enum):
    SAME = auto()
    FEWER_MARKS = auto()
    NO_MARKS = auto()
    OTHER_MARKS = auto()


@dataclass(frozen=True)
class Phrase:
    tokens: tuple[int, ...]
    weight: float  # STRONG for name/aliases, KEYWORD for keywords
    total_idf: float


@dataclass(frozen=True)
class Part:
    """One procedure a combined procedure joins, and the phrases that say it and not the others
    (its name and keywords, less the words of the other parts and context words): "khai sinh",
    "mới đẻ" for the birth; "nhận", "ngoài giá thú", "tên" for acknowledging the father. With
    `entry` -1, the combined procedure's own keywords ("chưa kết hôn", "kết hợp"): they stand
    for whichever part the message does not say."""

    entry: int
    phrases: tuple[frozenset[int], ...]


@dataclass(frozen=True)
class Entry:
    id: str
    is_referral: bool
    phrases: tuple[Phrase, ...]
    # Its names, aliases or keywords say it makes a paper anew ("cấp lại", "bản sao"): what a
    # message that only tells a paper's damage ("giấy khen bị rách") may be asking for.
    remakes: bool = False
    # The events (`Lexicon.events`, by position) its name says it exists for ("mai táng": a
    # death): it is wanted only when the message says one.
    events: tuple[int, ...] = ()
    # Its name says it makes a paper anew ("Đăng ký lại …", "Cấp bản sao trích lục …"): a
    # paper asked again or lost is made by it, not by its first registration.
    anew: bool = False


def indexed_text(procedure: Procedure | Referral) -> tuple[object, ...]:
    """What of a procedure the index reads: two procedures alike here index alike (a commune's
    overlay that changes only its office or fees keeps the province's index, issue 19). Of a
    referral, the index reads its names and keywords."""
    if isinstance(procedure, Referral):
        return (procedure.id, procedure.name, tuple(procedure.aliases), tuple(procedure.keywords))
    return (
        procedure.id,
        procedure.name,
        tuple(procedure.aliases),
        tuple(procedure.keywords),
        procedure.summary,
        procedure.field,
        tuple(d.name for d in procedure.documents),
    )


# Posting arrays shared by the indexes of one province's communes: most words are in the same
# procedures, at the same places, in every commune's index (issue 19, memory with 100 overlays).
PostingsPool = dict[bytes, "Postings"]


class SearchIndex:
    def __init__(
        self, catalogue: Catalogue, lexicon: Lexicon, pool: PostingsPool | None = None
    ) -> None:
        self.lexicon = lexicon
        self._pool = pool
        self.vocab: dict[str, int] = {}
        self.tokens: list[str] = []
        # How the catalogue writes each folded word: its accented forms, and how often a folded
        # form is a stop word there ("cho") rather than a content word ("chỗ").
        self._accents: dict[int, set[str]] = defaultdict(set)
        self._stop_uses: dict[str, int] = defaultdict(int)
        self._content_uses: dict[str, int] = defaultdict(int)
        # Each catalogue text read once while the index is built: a name, alias or keyword
        # serves the remake check, the phrases and the combined procedures, and a text that
        # many procedures share ("cấp lại") is read once for all.
        self._read: dict[str, list[Word]] = {}
        self._purposes: dict[str, int] = {}
        texts: list[tuple[str, bool, list[tuple[list[int], float]]]] = []
        names: list[tuple[str, list[str]]] = []
        self._remakes: set[str] = set()
        self._anew: set[str] = set()
        self._events: dict[str, tuple[int, ...]] = {}
        for procedure in catalogue:
            self._events[procedure.id] = self._needs_events(procedure.name)
            names.append((procedure.id, [procedure.name, *procedure.aliases]))
            if self._says_remake([procedure.name, *procedure.aliases, *procedure.keywords]):
                self._remakes.add(procedure.id)
            if says(self._words(procedure.name), self.lexicon.anew):
                self._anew.add(procedure.id)
            texts.append(
                (
                    procedure.id,
                    False,
                    self._names([procedure.name, *procedure.aliases])
                    + self._phrases(procedure.keywords, KEYWORD)
                    + self._phrases([procedure.summary, procedure.field], SUMMARY)
                    + self._phrases([d.name for d in procedure.documents], DOCUMENT),
                )
            )
        for referral in catalogue.referrals:
            self._events[referral.id] = self._needs_events(referral.name)
            names.append((referral.id, [referral.name, *referral.aliases]))
            texts.append(
                (
                    referral.id,
                    True,
                    self._names([referral.name, *referral.aliases])
                    + self._phrases(referral.keywords, KEYWORD),
                )
            )
        self._build(texts)
        self.parts, self.bundles = self._combined(list(catalogue))
        # Each combined procedure and its parts, by id → the combined procedure's entry (a part
        # of two combined procedures stays with the first).
        self.families: dict[str, int] = {}
        for combined, parts in self.parts.items():
            for entry in (combined, *(p.entry for p in parts if p.entry >= 0)):
                self.families.setdefault(self.entries[entry].id, combined)
        self._initialisms = self._find_initialisms(names)
        self._read, self._purposes, self._events = {}, {}, {}  # built: the words are not kept

    def _find_initialisms(self, names: list[tuple[str, list[str]]]) -> dict[str, Initialism]:
        """The first letters of each name and alias of 4–6 words ("chứng thực chữ ký" → ctck,
        đ as d), unless the letters are a Vietnamese syllable, a catalogue word, or a word or
        abbreviation of the lexicon. Letters that several phrases share are a choice between
        them; letters that more procedures share than a short choice stand for nothing."""
        lexicon = self.lexicon
        phrases: dict[str, dict[tuple[PhraseWord, ...], set[str]]] = defaultdict(dict)
        low, high = INITIALISM_WORDS
        for entry_id, texts in names:
            for text in texts:
                words = _WORD.findall(unicodedata.normalize("NFC", text).casefold())
                if not low <= len(words) <= high:
                    continue
                folded = [fold(word) for word in words]
                if not all(f.isalpha() and f.isascii() for f in folded):
                    continue
                spelled = tuple(zip(folded, map(accent_key, words), strict=True))
                phrases["".join(f[0] for f in folded)].setdefault(spelled, set()).add(entry_id)
        found: dict[str, Initialism] = {}
        for key, by_phrase in phrases.items():
            if (
                is_syllable(key)
                or key in self.vocab
                or key in lexicon.abbreviations
                or key in lexicon.ambiguous
                or key in lexicon.dialect
                or key in lexicon.known_words
                or key in lexicon.stop_folded
            ):
                continue
            entries: set[str] = set().union(*by_phrase.values())
            if len(entries) > INITIALISM_CHOICE:
                continue
            # One position per letter, the words the phrases say there (in catalogue order).
            positions = tuple(
                tuple(dict.fromkeys(phrase[k] for phrase in by_phrase)) for k in range(len(key))
            )
            found[key] = Initialism(positions, choice=len(entries) > 1)
        return found

    def initialism(self, folded: str) -> Initialism | None:
        return self._initialisms.get(fold(folded)) if folded.isalpha() else None

    # -- building -------------------------------------------------------------------------

    def _combined(
        self, procedures: list[Procedure]
    ) -> tuple[dict[int, tuple[Part, ...]], dict[int, tuple[Part, ...]]]:
        """Combined procedures (entry → its parts, then its own words): a name that is the
        names of two or more other procedures joined by a word or two ("kết hợp"). Also the
        bundles (entry → its parts): a name that holds the names of two or more others among
        more words ("Liên thông: đăng ký khai sinh, đăng ký thường trú, cấp thẻ BHYT")."""
        names = [set(self._known(p.name)) for p in procedures]
        context = {self.vocab[w] for w in self.lexicon.context_words if w in self.vocab}
        phrases = [
            [frozenset(self._known(text)) - context for text in (p.name, *p.keywords)]
            for p in procedures
        ]
        # A part's name is inside the combined one's, so its rarest word is too: only the
        # procedures filed under a word of the name are compared (2,000 procedures: not 4 M).
        frequency = Counter(w for name in names for w in name)
        by_rarest: dict[int, list[int]] = defaultdict(list)
        for a, name in enumerate(names):
            if name:
                by_rarest[min(name, key=lambda w: (frequency[w], w))].append(a)
        combined: dict[int, tuple[Part, ...]] = {}
        bundles: dict[int, tuple[Part, ...]] = {}
        for e, name in enumerate(names):
            near = sorted(a for w in name for a in by_rarest.get(w, ()))
            parts = [a for a in near if a != e and names[a] < name]
            if len(parts) < 2:
                continue
            words = {a: set().union(*phrases[a]) for a in parts}
            found = []
            for a in parts:
                others = set().union(*(words[b] for b in parts if b != a))
                found.append(Part(a, tuple(q - others for q in phrases[a] if q - others)))
            bundles[e] = tuple(found)
            covered = set().union(*(names[a] for a in parts))
            if len(name - covered) > JOINING_WORDS:
                continue
            every = set().union(*words.values())
            own = tuple(q - every for q in phrases[e][1:] if q - every)
            found.append(Part(-1, own))
            combined[e] = tuple(found)
        return combined, bundles

    def _known(self, text: str) -> list[int]:
        """The catalogue words of a text, without counting them again (see content_tokens)."""
        stop = self.lexicon.stop_accented
        return [
            self.vocab[w.folded]
            for w in self._words(text)
            if w.accent not in stop and w.folded in self.vocab
        ]

    def _token_id(self, token: str) -> int:
        tid = self.vocab.get(token)
        if tid is None:
            tid = self.vocab[token] = len(self.tokens)
            self.tokens.append(token)
        return tid

    def _phrases(self, texts: Iterable[str], weight: float) -> list[tuple[list[int], float]]:
        found = []
        for text in texts:
            tokens = [self._token_id(t) for t in self.content_tokens(text)]
            if tokens:
                found.append((tokens, weight))
        return found

    def _names(self, texts: Iterable[str]) -> list[tuple[list[int], float]]:
        """Names and aliases, each without the purpose it may say ("giấy độc thân | đi xuất
        khẩu lao động"): the purpose is a phrase of its own that weighs like a summary, so a
        message about the purpose alone ("đi xuất khẩu lao động cần gì") is not the paper."""
        found = []
        for text in texts:
            words, at = self._read_name(text)
            for part, weight in ((words[:at], STRONG), (words[at:], PURPOSE)):
                tokens = [self._token_id(t) for t in self._content(part)]
                if tokens:
                    found.append((tokens, weight))
        return found

    def _needs_events(self, name: str) -> tuple[int, ...]:
        words = self._words(name)
        events = self.lexicon.events
        return tuple(i for i, event in enumerate(events) if says(words, event.names))

    def _says_remake(self, texts: Iterable[str]) -> bool:
        return any(says(self._words(text), self.lexicon.remake) for text in texts)

    def content_tokens(self, text: str) -> list[str]:
        """Catalogue text → folded content words (catalogue text always has its diacritics)."""
        return self._content(self._words(text))

    def _words(self, text: str) -> list[Word]:
        """Catalogue text → its words, each read in its sense ("lại~"), once per text while the
        index is built (the words are only read afterwards)."""
        words = self._read.get(text)
        if words is None:
            words = self._read[text] = split_words(text)
            read_senses(words, self.lexicon)
        return words

    def _read_name(self, text: str) -> tuple[list[Word], int]:
        """A name or alias → its words and where it says its purpose (`name_purpose`)."""
        words = self._words(text)
        at = self._purposes.get(text)
        if at is None:
            at = self._purposes[text] = name_purpose(words, self.lexicon)
        return words, at

    def _content(self, words: list[Word]) -> list[str]:
        tokens: list[str] = []
        for word in words:
            if word.accent in self.lexicon.stop_accented:
                self._stop_uses[word.folded] += 1
                continue
            self._content_uses[word.folded] += 1
            if not word.accented and word.folded in self.lexicon.abbreviations:
                expansion = self.lexicon.expansion_words[word.folded]
                tokens.extend(self.lexicon.abbreviations[word.folded])
                for folded, raw in zip(
                    self.lexicon.abbreviations[word.folded], expansion, strict=False
                ):
                    self._accents[self._token_id(folded)].add(accent_key(raw))
            else:
                tokens.append(word.folded)
                self._accents[self._token_id(word.folded)].add(word.accent)
        return tokens

    def __contains__(self, folded: object) -> bool:
        return folded in self.vocab

    def leans_stop(self, folded: str) -> bool:
        return self._stop_uses.get(folded, 0) >= self._content_uses.get(folded, 0)

    def is_pair(self, first: str, second: str) -> bool:
        a, b = self.vocab.get(first), self.vocab.get(second)
        return a is not None and b is not None and (a, b) in self.bigram_postings

    def accent_match(self, tid: int, accent: str) -> AccentMatch:
        """How a typed word's diacritics compare with the catalogue's spellings of it."""
        forms = self.accents[tid]
        if accent in forms:
            return AccentMatch.SAME
        shape, tone = split_accent_key(accent)
        if shape == self.tokens[tid] and not tone:
            return AccentMatch.NO_MARKS
        for form in forms:
            form_shape, form_tone = split_accent_key(form)
            if shape in (form_shape, self.tokens[tid]) and tone in ("", form_tone):
                return AccentMatch.FEWER_MARKS
        return AccentMatch.OTHER_MARKS

    def _build(self, texts: list[tuple[str, bool, list[tuple[list[int], float]]]]) -> None:
        n_entries = len(texts)
        # How rare a word is, counted in names, aliases and keywords: "khai" is in almost every
        # document list ("tờ khai") but in few names, and it is the names that say what a
        # procedure is. Words found only in summaries and documents are counted there.
        df: dict[int, int] = defaultdict(int)
        df_weak: dict[int, int] = defaultdict(int)
        bigram_df: dict[tuple[int, int], int] = defaultdict(int)
        for _, _, phrases in texts:
            for tid in {t for tokens, w in phrases if w >= KEYWORD for t in tokens}:
                df[tid] += 1
            for tid in {t for tokens, w in phrases if w < KEYWORD for t in tokens}:
                df_weak[tid] += 1
            # Pairs count only from names, aliases and keywords: those are what pairs match.
            for bigram in {b for tokens, w in phrases if w >= KEYWORD for b in pairwise(tokens)}:
                bigram_df[bigram] += 1
        self.idf = [
            _idf(n_entries, df[tid] if tid in df else df_weak[tid])
            # A complement in its other sense ("để lại", "nhận lại") says little on its own.
            * (CONTEXT_WEIGHT if token in self.lexicon.context_words or not token.isalnum() else 1)
            for tid, token in enumerate(self.tokens)
        ]
        self.unknown_idf = _idf(n_entries, 0)
        self.bigram_idf = {b: _idf(n_entries, count) for b, count in bigram_df.items()}

        self.entries: list[Entry] = []
        postings: list[dict[int, float]] = [{} for _ in self.tokens]
        bigram_postings: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
        for index, (entry_id, is_referral, phrases) in enumerate(texts):
            scored = []
            for tokens, weight in phrases:
                for tid in tokens:
                    postings[tid][index] = max(postings[tid].get(index, 0.0), weight)
                if weight >= KEYWORD:
                    for bigram in pairwise(tokens):
                        current = bigram_postings[bigram].get(index, 0.0)
                        bigram_postings[bigram][index] = max(current, weight)
                if weight >= PURPOSE:
                    unique = tuple(dict.fromkeys(tokens))
                    scored.append(Phrase(unique, weight, sum(self.idf[t] for t in unique)))
            self.entries.append(
                Entry(
                    entry_id,
                    is_referral,
                    tuple(scored),
                    entry_id in self._remakes,
                    self._events.get(entry_id, ()),
                    entry_id in self._anew,
                )
            )
        # Postings as arrays (entries, weights), split by source: scoring adds whole arrays at
        # once, so a word found in 2,000 procedures costs one vector operation, not 2,000.
        self.n_entries = n_entries
        self.strong_postings = [
            self._arrays({e: w for e, w in p.items() if w >= KEYWORD}) for p in postings
        ]
        self.weak_postings = [
            self._arrays({e: w for e, w in p.items() if w < KEYWORD}) for p in postings
        ]
        self.bigram_postings = {b: self._arrays(p) for b, p in bigram_postings.items()}

        # Typo tolerance: one key per sound, and every one-letter deletion (SymSpell).
        by_sound: dict[str, int] = {}
        deletes: dict[str, list[int]] = defaultdict(list)
        for tid, token in enumerate(self.tokens):
            if not _is_content_word(token):
                continue
            key = phonetic_key(token)
            if key not in by_sound or df[tid] > df[by_sound[key]]:
                by_sound[key] = tid
            for variant in {token[:i] + token[i + 1 :] for i in range(len(token))} | {token}:
                deletes[variant].append(tid)
        self.by_sound = by_sound
        self.deletes = {k: tuple(v) for k, v in deletes.items()}
        self.bigram_by_sound: dict[tuple[str, str], tuple[int, int]] = {}
        for a, b in self.bigram_postings:
            self.bigram_by_sound.setdefault(
                (phonetic_key(self.tokens[a]), phonetic_key(self.tokens[b])), (a, b)
            )
        self.df = df
        # Words that may make a phrase said: not context ("giấy", "vợ"), not a word of a kind
        # of paper many procedures share or read in another sense ("xác~ nhận~", "lại~").
        self.specific = [
            token.isalnum() and token not in self.lexicon.context_words for token in self.tokens
        ]
        self.accents = [frozenset(self._accents[tid]) for tid in range(len(self.tokens))]
        self._pool = None  # not kept: the pool belongs to whoever built the indexes

    def _arrays(self, weights: dict[int, float]) -> Postings:
        arrays = _arrays(weights)
        if self._pool is None:
            return arrays
        key = arrays[0].tobytes() + arrays[1].tobytes()  # same length: unambiguous
        for array in arrays:
            array.flags.writeable = False  # shared between indexes: read only
        return self._pool.setdefault(key, arrays)


Postings = tuple["np.ndarray[Any, np.dtype[np.intp]]", "np.ndarray[Any, np.dtype[np.float64]]"]


def _arrays(weights: dict[int, float]) -> Postings:
    entries = np.fromiter(weights.keys(), dtype=np.intp, count=len(weights))
    values = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
    return entries, values


def _idf(n_entries: int, df: int) -> float:
    return math.log(1.0 + (n_entries - df + 0.5) / (df + 0.5))


def _is_content_word(token: str) -> bool:
    """A word a typo may stand for: not a number, nor a word read in its other sense."""
    return len(token) >= 2 and not token.isdigit() and token.isalnum()
