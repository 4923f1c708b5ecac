"""Procedure search: a citizen's message → a confident answer, a short list, or nothing.

Scoring, per entry (procedure or referral), from three signals in [0, 1]:
- query coverage: how much of the message's meaning (idf-weighted words) the entry explains;
- phrase coverage: how completely the message contains one of the entry's names or aliases;
- word pairs: how many of the message's adjacent word pairs the entry's phrases contain.
A word the catalogue does not know still counts in the message's weight, so a message about
something else ("giá vàng hôm nay") cannot borrow confidence from one shared word.

Typos are repaired only for words the catalogue knows: by sound (s/x, ch/tr, d/gi/r…), by
splitting run-together words, and by one-letter edits for strings that are not Vietnamese
syllables at all. A real but unknown word ("vợ", "tuần") is never "corrected" into a procedure word.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rapidfuzz.distance import OSA

from core.catalogue import Catalogue
from core.search.analyzer import Analysis, analyse
from core.search.index import SearchIndex
from core.search.lexicon import Aspect, Lexicon, SmallTalk
from core.text import is_syllable, phonetic_key

# Confidence in a repaired word, relative to an exact one.
SOUND, SPLIT, EDIT, PAIR_SOUND = 0.85, 0.9, 0.75, 0.85
# Weights of the three signals, and the decision thresholds (tuned on tests/data/search_tune.yaml).
W_QUERY, W_PHRASE, W_PAIRS = 0.5, 0.3, 0.2
ANSWER_AT = 0.42
CANDIDATE_AT = 0.2
REFERRAL_AT = 0.42
# Least idf-weighted evidence behind an answer or a candidate: one common word ("giá", "cấp")
# explains a one-word message completely but proves nothing.
EVIDENCE_AT = 2.0
CANDIDATE_EVIDENCE_AT = 1.5
CANDIDATES = 5
SHORTLIST = 30  # entries scored on phrases, chosen by query coverage


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    query: str
    answer: str | None
    candidates: tuple[Candidate, ...]
    referral: str | None = None
    aspect: Aspect | None = None
    small_talk: SmallTalk | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "query": self.query,
            "answer": self.answer,
            "candidates": [{"id": c.id, "score": round(c.score, 4)} for c in self.candidates],
            "referral": self.referral,
            "aspect": self.aspect.value if self.aspect else None,
        }


Alternatives = tuple[tuple[int, float], ...]  # (token id, confidence)


class ProcedureSearch:
    def __init__(self, catalogue: Catalogue, lexicon: Lexicon) -> None:
        self.index = SearchIndex(catalogue, lexicon)
        self.lexicon = lexicon
        self._resolve = lru_cache(maxsize=50_000)(self._resolve_uncached)

    def search(self, text: str) -> SearchResult:
        analysis = analyse(text, self.lexicon, self.index.vocab)
        positions = self._positions(analysis)
        scores = self._score(positions)
        return self._decide(text, analysis, scores)

    # -- words → alternatives ---------------------------------------------------------------

    def _positions(self, analysis: Analysis) -> list[Alternatives]:
        positions = [alts for word in analysis.words for alts in self._resolve(word.folded)]
        # A pair that sounds like a catalogue pair ("thường chú" ~ "thường trú") repairs a word
        # that is itself a real word and so was not repaired alone.
        words = [w.folded for w in analysis.words]
        if len(words) != len(positions):  # a run-together word was split: no pair repair
            return positions
        for i in range(len(positions) - 1):
            a, b = words[i], words[i + 1]
            pair = self.index.bigram_by_sound.get((phonetic_key(a), phonetic_key(b)))
            if pair is None:
                continue
            for at, tid in ((i, pair[0]), (i + 1, pair[1])):
                if all(alt != tid for alt, _ in positions[at]):
                    positions[at] = (*positions[at], (tid, PAIR_SOUND))
        return positions

    def _resolve_uncached(self, token: str) -> tuple[Alternatives, ...]:
        """A word → its positions in the query (two when a run-together word is split), each
        with the catalogue words it may stand for. No position at all: the word carries nothing
        (an empty tuple of alternatives: it counts as an unknown word)."""
        index = self.index
        tid = index.vocab.get(token)
        if tid is not None:
            return (((tid, 1.0),),)
        # A real Vietnamese syllable the catalogue does not use ("vàng", "vợ") is a word about
        # something else, not a typo: repairing it would invent evidence. Such words are repaired
        # only in context, when with their neighbour they sound like a catalogue pair.
        if token.isdigit() or is_syllable(token) or len(token) < 3:
            return ((),)
        sound = index.by_sound.get(phonetic_key(token))
        if sound is not None:
            return (((sound, SOUND),),)
        split = self._split(token)
        if split:
            return split
        return (self._edit(token),)

    def _split(self, token: str) -> tuple[Alternatives, ...]:
        """'khaisinh' → khai + sinh, when both halves are catalogue words."""
        vocab = self.index.vocab
        for cut in range(2, len(token) - 1):
            left, right = token[:cut], token[cut:]
            if left in vocab and right in vocab and is_syllable(left) and is_syllable(right):
                return (((vocab[left], SPLIT),), ((vocab[right], SPLIT),))
        return ()

    def _edit(self, token: str) -> Alternatives:
        index = self.index
        found: set[int] = set()
        for variant in {token[:i] + token[i + 1 :] for i in range(len(token))} | {token}:
            found.update(index.deletes.get(variant, ()))
        best = [t for t in found if OSA.distance(token, index.tokens[t], score_cutoff=1) <= 1]
        if not best:
            return ()
        tid = max(best, key=lambda t: (index.df[t], -t))
        return ((tid, EDIT),)

    # -- scoring ---------------------------------------------------------------------------

    def _score(self, positions: list[Alternatives]) -> dict[int, tuple[float, float]]:
        """Entry → (score in [0, 1], evidence: the idf-weighted words it explains)."""
        index = self.index
        unique: list[Alternatives] = list(dict.fromkeys(p for p in positions if p))
        unknown = sum(1 for p in positions if not p)
        total = sum(max(index.idf[t] for t, _ in alts) for alts in unique)
        total += unknown * index.unknown_idf * 0.8
        if total <= 0:
            return {}

        coverage: dict[int, float] = defaultdict(float)
        query_conf: dict[int, float] = {}
        for alts in unique:
            best: dict[int, float] = {}
            for tid, conf in alts:
                query_conf[tid] = max(query_conf.get(tid, 0.0), conf)
                value = index.idf[tid] * conf
                for entry, weight in index.postings[tid]:
                    if value * weight > best.get(entry, 0.0):
                        best[entry] = value * weight
            for entry, value in best.items():
                coverage[entry] += value
        if not coverage:
            return {}

        pairs: dict[int, float] = defaultdict(float)
        pair_total = 0.0
        for left, right in pairwise(positions):
            if not left or not right:
                pair_total += index.unknown_idf
                continue
            best_pair: dict[int, float] = {}
            pair_weight = 0.0
            for a, ca in left:
                for b, cb in right:
                    idf = index.bigram_idf.get((a, b))
                    if idf is None:
                        continue
                    pair_weight = max(pair_weight, idf)
                    for entry, weight in index.bigram_postings[(a, b)]:
                        value = idf * weight * min(ca, cb)
                        if value > best_pair.get(entry, 0.0):
                            best_pair[entry] = value
            pair_total += pair_weight or index.unknown_idf * 0.5
            for entry, value in best_pair.items():
                pairs[entry] += value

        shortlist = sorted(coverage, key=coverage.__getitem__, reverse=True)[:SHORTLIST]
        scores = {}
        for entry in shortlist:
            phrase = 0.0
            for candidate in index.entries[entry].phrases:
                matched = sum(index.idf[t] * query_conf.get(t, 0.0) for t in candidate.tokens)
                phrase = max(phrase, candidate.weight * matched / candidate.total_idf)
            pair_score = pairs.get(entry, 0.0) / pair_total if pair_total else 0.0
            score = W_QUERY * coverage[entry] / total + W_PHRASE * phrase + W_PAIRS * pair_score
            scores[entry] = (score, coverage[entry])
        return scores

    # -- decision --------------------------------------------------------------------------

    def _decide(
        self, text: str, analysis: Analysis, scores: dict[int, tuple[float, float]]
    ) -> SearchResult:
        entries = self.index.entries
        ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))
        candidates = tuple(
            Candidate(entries[e].id, score)
            for e, (score, evidence) in ranked
            if not entries[e].is_referral
            and score >= CANDIDATE_AT
            and evidence >= CANDIDATE_EVIDENCE_AT
        )[:CANDIDATES]
        answer = referral = None
        if ranked:
            top, (top_score, evidence) = ranked[0]
            if evidence < EVIDENCE_AT:
                pass
            elif entries[top].is_referral and top_score >= REFERRAL_AT:
                referral = entries[top].id
                candidates = ()
            elif not entries[top].is_referral and top_score >= ANSWER_AT:
                answer = entries[top].id
        return SearchResult(
            query=text,
            answer=answer,
            candidates=candidates,
            referral=referral,
            aspect=analysis.aspect,
            small_talk=analysis.small_talk if not analysis.words else None,
        )
