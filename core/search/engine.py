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

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from itertools import count, pairwise
from operator import itemgetter

import numpy as np
from rapidfuzz.distance import OSA

from core.catalogue import Catalogue
from core.search.analyzer import OTHER_SENSE, Analysis, Word, analyse
from core.search.examples import (
    NONE,
    AnalysisCache,
    ExampleModel,
    Examples,
    Features,
    analysis_key,
    features,
    phrase_features,
    training_set,
)
from core.search.index import (
    KEYWORD,
    AccentMatch,
    Part,
    PostingsPool,
    SearchIndex,
    indexed_text,
)
from core.search.lexicon import Aspect, Lexicon, SmallTalk
from core.text import is_syllable, phonetic_key, telex_fold

# Confidence in a repaired word, relative to an exact one.
SOUND, SPLIT, TELEX, EDIT, PAIR_SOUND = 0.85, 0.9, 0.9, 0.75, 0.85
# … and in a word said not to be needed (missing, negated, in hand, done: `Word.denied`): it
# says less of a name too, so "con đã có khai sinh rồi, bố muốn nhận con" is no birth
# registration however whole "khai sinh" is said.
DENIED = 0.5
ACCENT_FACTOR = {
    AccentMatch.SAME: 1.0,
    AccentMatch.FEWER_MARKS: 0.7,  # "thưc" for "thực": a mark forgotten
    AccentMatch.NO_MARKS: 0.4,  # "cho" typed in a message otherwise written with diacritics
    AccentMatch.OTHER_MARKS: 0.2,  # "lời" is not "lối", "giỏi" is not "giới"
}
# Weights of the three signals, and the decision thresholds (tuned on tests/data/search_tune.yaml).
W_QUERY, W_WEAK, W_PHRASE, W_PAIRS = 0.3, 0.1, 0.45, 0.2
# Total idf from which a name or alias counts as specific ("khai sinh" is, "nhà đất" is not).
SPECIFIC_IDF = 2.0
# Recall of an alias counts more than how much of the message it explains: people wrap the
# name of what they need in context ("vợ em mới sinh, giờ làm giấy khai sinh cần gì").
BETA = 3.0
ANSWER_AT = 0.3
CANDIDATE_AT = 0.2
REFERRAL_AT = 0.42
# A commune procedure whose name or alias the message says (nearly) whole beside another
# office's matter: a short choice, not a referral (see ProcedureSearch._named_here).
NAMED_BESIDE_REFERRAL = 0.95
# Least idf-weighted evidence behind an answer or a candidate: one common word ("giá", "cấp")
# explains a one-word message completely but proves nothing.
EVIDENCE_AT = 1.5
MIN_RECALL = 0.5
# A message word counts as a catalogue word from this confidence (a forgotten diacritic: 0.4;
# other diacritics, 0.2, make another word).
KNOWN_AT = 0.3
CANDIDATE_EVIDENCE_AT = 1.5
# Without a need or action word, an answer needs a message that is mostly the procedure's name.
BARE_AT = 0.55
FOREIGN_BARE = 0.2
# Two procedures this close, when an abbreviation left the choice open: a choice, not an answer.
CHOICE_GAP = 0.1
# A question word about something else ("bao giờ về phép"): a need and a mostly-named procedure.
QUESTION_AT = 0.45
CANDIDATES = 5
# A story's need sentence read alone overrides the whole story's answer by at least this much.
NEED_GAP = 0.1
# A story whose need sentence names nothing: an answer from its context needs this score, or
# this lead over the next procedure.
STORY_ANSWER_AT, STORY_GAP = 0.38, 0.05
# A confident answer beats the runner-up (the next procedure listed) clearly: a score this
# strong and a lead this wide; otherwise a short choice, the likelier one first. Chosen on every
# query set for the precision of confident answers (top-1/top-3 unchanged; curve in
# docs/search.md).
CLEAR_AT, CLEAR_GAP = 0.65, 0.08
CLEAR_CHOICE = 3
# Procedures linked by `took_over_from` stay together within the first this many listed.
KEPT_WITHIN = 3
WHOLE_AT, RECALL_GAP = 0.9, 0.1
# The examples model (core.search.examples): among how many of the engine's first procedures
# it weighs in, how much its probability adds to an engine score, and how much more likely it
# must find another procedure than the confident answer to make that answer a choice. Its
# probabilities are tempered (`EXAMPLES_T`, per word of evidence), and it reorders only when it
# gives one procedure at least `EXAMPLES_DECISIVE`. Tuned on tests/data/search_tune.yaml.
EXAMPLES_AMONG, EXAMPLES_WEIGHT, EXAMPLES_FLIP, EXAMPLES_T = 4, 0.2, 0.9, 0.3
EXAMPLES_DECISIVE = 0.6
# The brake of `none` (messages about no procedure): a confident answer whose message the
# model finds likelier about nothing than about the answer, by this much of probability
# between the two, becomes a short choice. Chosen on the tune and feedback sets.
EXAMPLES_NONE_MARGIN = 0.5
SHORTLIST = 12  # entries scored on phrases, chosen by query coverage
PAIR_TIE = 0.001  # … the message's word pairs an entry has break its ties
# A combined procedure's part is said with this much idf-weighted evidence of its own words;
# the combined procedure then goes this far before (both said) or after (one) its parts.
PART_EVIDENCE_AT, PART_RECALL, COMBINED_STEP = 0.7, 0.6, 0.01
# Run-together words: at most this long, cut into syllables of at most 7 letters ("nghiêng").
MAX_SPLIT_CHARS, MAX_SYLLABLE_CHARS = 40, 7


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
    # Whether the answer stands clear of the runner-up; an unclear one becomes a short choice
    # once the whole message has been read (see ProcedureSearch._clear_winner).
    clear: bool = True

    def as_json(self) -> dict[str, object]:
        return {
            "query": self.query,
            "answer": self.answer,
            "candidates": [{"id": c.id, "score": round(c.score, 4)} for c in self.candidates],
            "referral": self.referral,
            "aspect": self.aspect.value if self.aspect else None,
        }


Alternatives = tuple[tuple[int, float], ...]  # (token id, confidence)


@dataclass(frozen=True)
class Position:
    """One word of the message: the catalogue words it may stand for, and its share of weight."""

    alternatives: Alternatives
    weight: float = 1.0
    ruled_out: bool = False  # said to exist already, or denied (`Word.ruled_out`)
    pending: bool = False  # said not done yet (`Word.pending`)


@dataclass(frozen=True)
class Scored:
    score: float  # in [0, 1]
    evidence: float  # idf-weighted message words its names, aliases and keywords explain
    recall: float  # the largest share of one of its names or aliases that the message says
    precision: float = 0.0  # the share of the message's weight its two best phrases explain


WORD_CACHE_SIZE = 50_000  # resolved words kept, all searches sharing the cache together


class WordCache:
    """Resolved words (a word → its alternatives in one index), the least recently used
    dropped beyond `size` entries in all. Issue 19: every commune's search shares the
    province's, so 100 overlay communes keep at most `size` words between them, not 100 ×."""

    def __init__(self, size: int = WORD_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, str], tuple[Alternatives, ...]] = OrderedDict()
        self._lock = threading.Lock()  # searches may run in worker threads

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self, owner: int, word: str, make: Callable[[str], tuple[Alternatives, ...]]
    ) -> tuple[Alternatives, ...]:
        key = (owner, word)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        found = make(word)
        with self._lock:
            self._entries[key] = found
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return found


_OWNERS = count()  # a search's key in a shared WordCache (never reused, unlike id())


class ProcedureSearch:
    def __init__(
        self,
        catalogue: Catalogue,
        lexicon: Lexicon,
        pool: PostingsPool | None = None,
        words: WordCache | None = None,
        examples: Examples | None = None,
        analysed_examples: Mapping[str, Features] | None = None,
        examples_cache: AnalysisCache | None = None,
    ) -> None:
        self.index = SearchIndex(catalogue, lexicon, pool)
        # Each entry's phrases as scoring reads them: words, their idf, weight, and the weight
        # an alias of common words only keeps ("nhà đất" says less than a specific one).
        self._phrase_rows = [
            tuple(
                (p.tokens, p.total_idf, p.weight, p.weight * min(1.0, p.total_idf / SPECIFIC_IDF))
                for p in entry.phrases
            )
            for entry in self.index.entries
        ]
        # Procedures one of which took over part of the other's people (`took_over_from`):
        # whichever is listed first or second, the other is kept among the first three.
        # Read from both ends as the catalogue reads it for the cards.
        self.kept_with: dict[str, list[str]] = {}
        for procedure in catalogue:
            moves = (*catalogue.took_over_from(procedure), *catalogue.taken_over_by(procedure))
            if moves:
                self.kept_with[procedure.id] = [partner.id for _, partner in moves]
        # Procedures that exist for an event (`Entry.events`), by id: never first when the
        # message says no such event (see _events_unsaid_last).
        self._event_ids = {e.id: e.events for e in self.index.entries if e.events}
        # … of which those that, unsaid, only keep an answer from being confident.
        self._conditions = lexicon.conditions
        # Procedures whose name says they make a paper anew (see _anew_first).
        self._anew = {e.id for e in self.index.entries if e.anew and not e.is_referral}
        # A combined procedure's parts, by id ("khai sinh kết hợp nhận cha, mẹ, con": khai
        # sinh, nhận cha, mẹ, con): one of them takes its place when it lacks an event.
        entries = self.index.entries
        self._parts_of = {
            entries[c].id: tuple(entries[p.entry].id for p in parts if p.entry >= 0)
            for c, parts in self.index.parts.items()
        }
        self.lexicon = lexicon
        self.words = words if words is not None else WordCache()
        self._owner = next(_OWNERS)
        self.examples = examples
        self.model: ExampleModel | None = None
        # The example questions as analysed once (question → features); a commune's search is
        # handed the province's, so only its own names are read again (core.search.examples).
        self.analysed_examples: Mapping[str, Features] = {}
        if examples is not None:
            # Names, aliases and keywords as the index read them (no second analysis: 2,000
            # procedures have 20,000 aliases).
            tokens = self.index.tokens
            names = {
                entry.id: [
                    phrase_features([tokens[t] for t in phrase.tokens]) for phrase in entry.phrases
                ]
                for entry in self.index.entries
            }
            shared = analysed_examples or {}
            key = None
            if not shared and examples_cache is not None and lexicon.fingerprint:
                # Kept from an earlier start with this very code, lexicon, catalogue text
                # and questions: the analysis would come out the same.
                read = tuple(map(indexed_text, (*catalogue, *catalogue.referrals)))
                key = analysis_key(lexicon.fingerprint, read, examples)
                shared = examples_cache.load(key)
            self.analysed_examples = {
                question: shared[question] if question in shared else self._features_of(question)
                for questions in examples.questions.values()
                for question in questions
            }
            fresh = any(question not in shared for question in self.analysed_examples)
            if examples_cache is not None and key is not None and fresh:
                examples_cache.save(key, self.analysed_examples)
            self.model = ExampleModel(
                training_set(examples, names, self.analysed_examples.__getitem__)
            )

    def _resolve(self, token: str) -> tuple[Alternatives, ...]:
        return self.words.get(self._owner, token, self._resolve_uncached)

    def search(self, text: str) -> SearchResult:
        analysis = analyse(text, self.lexicon, self.index)
        result = self._read(text, analysis)
        if result.answer is not None and not result.clear:
            # Neighbours that fit alike: the person chooses, the likelier one first.
            result = replace(result, answer=None, candidates=result.candidates[:CLEAR_CHOICE])
        if self.model is not None:
            result = self._as_people_ask(result, analysis, self.model)
            result = self._about_nothing(result, analysis, self.model)
        if self._event_ids:
            result = self._events_unsaid_last(result, analysis)
        if analysis.again and self._anew:
            result = self._anew_first(result, analysis)
        return self._keep_together(result) if self.kept_with else result

    def _keep_together(self, result: SearchResult) -> SearchResult:
        """A procedure listed first or second keeps the one it took people over from, or that
        took over its people, among the first three: the over-75s without a pension get the
        trợ cấp hưu trí xã hội since 1/7/2025 (Luật Bảo hiểm xã hội 2024, Điều 21–22), but
        they and many officers still know it as the monthly social allowance, so neither
        may be out of reach when the other is shown. It never changes the answer or the first
        two; a partner the scoring did not list is added with no score of its own (0)."""
        listed = list(result.candidates)
        # The second's partner first, so that the first's ends nearer the top.
        for member in reversed(listed[: KEPT_WITHIN - 1]):
            for partner in self.kept_with.get(member.id, ()):
                if any(c.id == partner for c in listed[:KEPT_WITHIN]):
                    continue
                kept = next((c for c in listed if c.id == partner), Candidate(partner, 0.0))
                if kept in listed:
                    listed.remove(kept)
                listed.insert(min(KEPT_WITHIN - 1, len(listed)), kept)
        if len(listed) == len(result.candidates) and listed == list(result.candidates):
            return result
        if len(result.candidates) <= CLEAR_CHOICE:
            # A short choice stays short: the partner takes the third place.
            return replace(result, candidates=tuple(listed[:CLEAR_CHOICE]))
        # Of a longer list nothing is dropped: the one moved down stays fourth.
        return replace(result, candidates=tuple(listed))

    # -- evidence from how people ask (knowledge/examples.yaml) ------------------------------

    def _known_form(self, folded: str) -> str | None:
        """A message word as the examples model knows it: itself, or the catalogue word a
        typo stands for."""
        if self.model is None or folded in self.model.vocabulary:
            return folded
        for alternatives in self._resolve(folded)[:1]:
            best = max(alternatives, key=lambda alt: alt[1], default=None)
            if best is not None and best[1] >= KNOWN_AT:
                return self.index.tokens[best[0]]
        return None

    def _features_of(self, text: str) -> Features:
        """An example question, analysed as a message is (its words as written)."""
        return features(analyse(text, self.lexicon, self.index).words, lambda w: w)

    def _as_people_ask(
        self, result: SearchResult, analysis: Analysis, model: ExampleModel
    ) -> SearchResult:
        """The first procedures the engine listed, ordered by their score plus
        `EXAMPLES_WEIGHT` × the model's probability among them, when the model is decisive:
        the evidence of a situation ("đứa con thất lạc", "lũ cuốn mất giấy") decides between
        neighbours that the names alone leave close. The model never makes an answer nor adds
        a procedure: it may only turn a confident answer into a choice, when it clearly
        prefers another one listed."""
        listed = result.candidates[:EXAMPLES_AMONG]
        if all(a.score - b.score >= EXAMPLES_WEIGHT for a, b in pairwise(listed)):
            return result  # scores too far apart for the model to reorder any
        found = features(analysis.words, self._known_form)
        posterior = model.posteriors(found, [c.id for c in listed], EXAMPLES_T)
        if not posterior or max(posterior.values()) < EXAMPLES_DECISIVE:
            return result
        ranked = self._keep_families(
            listed,
            sorted(
                listed,
                key=lambda c: (-(c.score + EXAMPLES_WEIGHT * posterior.get(c.id, 0.0)), c.id),
            ),
        )
        if result.answer is None:
            return replace(result, candidates=(*ranked, *result.candidates[EXAMPLES_AMONG:]))
        first = ranked[0].id
        lead = posterior.get(first, 0.0) - posterior.get(result.answer, 0.0)
        if first != result.answer and lead >= EXAMPLES_FLIP:
            return replace(result, answer=None, candidates=tuple(ranked[:CLEAR_CHOICE]))
        return result

    def _about_nothing(
        self, result: SearchResult, analysis: Analysis, model: ExampleModel
    ) -> SearchResult:
        """A confident answer to a message that reads like those about no procedure (a
        birthday, a wedding party, a pet's litter, a will in a film: the group `none` of the
        examples) more than like those asking for the answer becomes a short choice: the
        message shares the procedure's words but may ask for nothing. The words of a paper
        asked about count here too ("cần giấy độc thân gấp"): they are what the person needs.
        Only an answer the examples teach how people ask for: a procedure known by its names
        alone (one a commune added) would look like nothing beside any story."""
        questions = self.examples.questions if self.examples is not None else {}
        if result.answer is None or result.answer not in questions or NONE not in questions:
            return result
        found = features(analysis.with_document().words, self._known_form)
        posterior = model.posteriors(found, (result.answer, NONE), EXAMPLES_T)
        if posterior.get(NONE, 0.0) - posterior.get(result.answer, 0.0) < EXAMPLES_NONE_MARGIN:
            return result
        return replace(result, answer=None, candidates=result.candidates[:CLEAR_CHOICE])

    def _keep_families(
        self, listed: tuple[Candidate, ...], ranked: list[Candidate]
    ) -> list[Candidate]:
        """The model's order, except between a combined procedure and its parts: which of
        them is meant the engine read from what the message says of each part (said, missing,
        in hand), which the model's bag of words cannot see. Those keep the engine's order
        among the places the model gave them."""
        family = self.index.families
        members = [c for c in ranked if c.id in family]
        if len({family[c.id] for c in members}) == len(members):
            return ranked  # no two of one family listed
        ranked = list(ranked)
        for key in {family[c.id] for c in members}:
            places = [i for i, c in enumerate(ranked) if family.get(c.id) == key]
            engine = [c for c in listed if family.get(c.id) == key]
            for i, c in zip(places, engine, strict=True):
                ranked[i] = c
        return ranked

    def _read(self, text: str, analysis: Analysis) -> SearchResult:
        if analysis.document:
            # "làm khai sinh có cần CCCD của bố mẹ không": the procedure is what is left once
            # the document asked about is set aside — unless nothing is ("có cần đăng ký tạm
            # trú không"), then the document's words were the procedure after all.
            result = self._search(text, analysis)
            if result.answer is not None or result.referral is not None:
                return result
            # The rest named procedures, though none clearly ("nhận con ngoài giá thú | có bắt
            # buộc giám định ADN không"): the question still asks about a document.
            analysis = analysis.with_document(asks_document=bool(result.candidates))
        result = self._search(text, analysis)
        if not (result.answer or result.candidates or result.referral) and any(
            w.denied < 1.0 for w in analysis.words
        ):
            # What the message denies is context only when something else names the need:
            # "không nhận phần thừa kế, … làm giấy ở xã" asks to renounce the inheritance.
            analysis = analysis.without_denial()
            result = self._search(text, analysis)
        if any(w.earlier for w in analysis.words) and any(not w.earlier for w in analysis.words):
            result = self._need_first(text, analysis, result)
        if result.referral is not None and any(w.earlier or w.copied for w in analysis.words):
            # A referral named only in a story's context ("mẹ tôi không có lương hưu. Nghe
            # nói được nhận tiền hàng tháng"), or only as a paper to copy or certify ("chứng
            # thực bản sao bằng lái xe"), is not what the person asks about.
            said = [w for w in analysis.words if not w.earlier and not w.copied]
            later = replace(analysis, words=said)
            if self._search(text, later).referral != result.referral:
                return self._search(text, analysis, referrals=False)
        return result

    def _need_first(self, text: str, analysis: Analysis, whole: SearchResult) -> SearchResult:
        """A long story: the sentence that says the need, read alone, decides when it names a
        procedure that the story read whole ranks below something its context named ("Tôi
        nhận trợ cấp hằng tháng vì khuyết tật. Nay … muốn nhận một bé về làm con nuôi"). The
        context still decides between procedures the need fits almost alike (the need says
        "mai táng phí", the context "liệt sĩ")."""
        need, need_scores = self._search_scored(
            text, replace(analysis, words=[w for w in analysis.words if not w.earlier])
        )
        if need.answer is None and whole.answer is not None:
            # The need sentence says nothing ("Giờ tôi muốn làm giấy tờ cho cháu"): the context
            # alone must make the answer clear, or the person chooses from the short list.
            best, second = ([c.score for c in whole.candidates] + [0.0, 0.0])[:2]
            if best < STORY_ANSWER_AT and best - second < STORY_GAP:
                return replace(whole, answer=None)
            # The need sentence says too little to answer alone ("…, giờ anh ấy muốn nhận
            # con"), but fits another procedure the story listed close to its answer clearly
            # better than that answer, which its context named ("hai đứa chưa đăng ký kết
            # hôn"): a choice, the procedures the need fits first.
            entries = self.index.entries
            by_id = {entries[e].id: v.score for e, v in need_scores.items()}
            # … only by what the need says of a name: a need of a few words explains itself.
            named = {entries[e].id for e, v in need_scores.items() if v.recall >= MIN_RECALL}
            fitting = max(whole.candidates, key=lambda c: by_id.get(c.id, 0.0))
            fits = by_id.get(fitting.id, 0.0)
            if (
                fitting.id in named
                and whole.candidates[0].score - fitting.score < 2 * NEED_GAP
                and fits - by_id.get(whole.answer, 0.0) >= NEED_GAP
                and fits >= ANSWER_AT
                and not self._part_still_to_do(analysis, whole.answer, fitting.id)
            ):
                # … a combined procedure whose other part the story says is still to do
                # before them ("cháu chưa làm khai sinh, nay bố cháu muốn nhận con").
                ranked = sorted(
                    whole.candidates,
                    key=lambda c: (
                        not self._part_still_to_do(analysis, c.id, fitting.id),
                        -by_id.get(c.id, 0.0),
                    ),
                )
                return replace(whole, answer=None, candidates=tuple(ranked[:CLEAR_CHOICE]))
        if need.answer == whole.answer and need.answer is not None:
            # The need sentence alone stands clear of its neighbours: the context words that
            # dilute the whole story do not make it a close call.
            return replace(whole, clear=whole.clear or need.clear)
        if need.answer is None:
            return whole
        if self._part_still_to_do(analysis, whole.answer, need.answer):
            return whole
        scores = {c.id: c.score for c in need.candidates}
        if whole.answer is not None and (
            scores[need.answer] - scores.get(whole.answer, 0.0) < NEED_GAP
            # The need alone is a close call among procedures that share its words ("vậy
            # chứng thực được không": a copy, a signature, a will, a contract…) and the
            # story's answer is one of them ("mẹ ký hợp đồng tặng cho đất"): the story decides.
            or (not need.clear and whole.answer in scores and self._told_before(analysis))
        ):
            return whole
        return need

    def _part_still_to_do(self, analysis: Analysis, whole: str | None, need: str) -> bool:
        """Whether the story's answer is a combined procedure one of whose parts the need
        names, the story telling the other part as not done yet ("con chưa có giấy khai sinh,
        giờ bố nó muốn nhận con": the birth and the father at once). The need alone cannot see
        that part."""
        index = self.index
        family = index.families
        if (
            whole is None
            or whole == need
            or whole not in family
            or family.get(need) != family[whole]
            or index.entries[family[whole]].id != whole
        ):
            return False
        vocab, parts = index.vocab, index.parts[family[whole]]
        pending = {vocab[w.folded] for w in analysis.words if w.pending and w.folded in vocab}
        in_hand = {vocab[w.folded] for w in analysis.words if w.ruled_out and w.folded in vocab}
        if any(self._in_hand(part, in_hand) for part in parts if part.entry >= 0):
            return False  # "con đã có khai sinh": that part is done
        # The other part, or the combined procedure's own words ("chưa đăng ký kết hôn, giờ
        # làm khai sinh cho con": the very case it is for, Luật Hộ tịch 2014 Điều 15).
        return any(w.pending and w.earlier for w in analysis.words) and any(
            words and words <= pending
            for part in parts
            if part.entry < 0 or index.entries[part.entry].id != need
            for words in part.phrases
        )

    @staticmethod
    def _told_before(analysis: Analysis) -> bool:
        """Whether context words stand in a sentence before the need's: a story told first,
        not a thing said missing beside the need ("làm khai sinh để trống tên bố")."""
        said = [w.sentence for w in analysis.words if not w.earlier]
        return bool(said) and any(w.earlier and w.sentence < min(said) for w in analysis.words)

    def _search(self, text: str, analysis: Analysis, *, referrals: bool = True) -> SearchResult:
        return self._search_scored(text, analysis, referrals=referrals)[0]

    def _search_scored(
        self, text: str, analysis: Analysis, *, referrals: bool = True
    ) -> tuple[SearchResult, dict[int, Scored]]:
        """The search's result, and the scores it was decided from (by entry)."""
        index_tokens = self.index.tokens
        positions = self._positions(analysis)
        scores = self._score(positions)
        # Catalogue words said: context words ("con", "nhà", "trả lời") count only beside a
        # distinctive word they make a catalogue pair with ("nhận cha", "bố mất").
        context = self.lexicon.context_words
        known = sum(
            1
            for p in positions
            if any(w >= KNOWN_AT and index_tokens[t] not in context for t, w in p.alternatives)
        )
        if known == 1 and self._says_a_pair(positions):
            known = 2
        if not referrals:
            scores = {e: v for e, v in scores.items() if not self.index.entries[e].is_referral}
        result = self._decide(text, analysis, scores, known, self._foreign_share(positions))
        return result, scores

    def _events_unsaid_last(self, result: SearchResult, analysis: Analysis) -> SearchResult:
        """A procedure whose name says an event it exists for (lexicon `events`: "mai táng", a
        death) is neither the answer nor listed before the others when the message says no
        such event: an old person's allowance asked ("ông ngoại 85 tuổi làm trợ cấp") is not
        the burial support of one who had it. It stays listed, after them. A condition that
        defines the people or the matter (`reorder: false`: "người có công", "tranh chấp đất
        đai") left unsaid only keeps it from being the answer: "sinh viên xin giảm học phí"
        gets a choice, not the merit people's education card."""
        conditions = self._conditions

        def unsaid(procedure: str, *, ordered: bool = True) -> bool:
            needed = self._event_ids.get(procedure)
            if needed is not None and ordered:
                needed = tuple(i for i in needed if i not in conditions)
            return needed is not None and self._unsaid(analysis, needed)

        first = result.answer or (result.candidates[0].id if result.candidates else None)
        if first is None:
            return result
        if not unsaid(first):
            if result.answer is not None and unsaid(first, ordered=False):
                return replace(result, answer=None, candidates=result.candidates[:CLEAR_CHOICE])
            return result
        listed = {c.id for c in result.candidates}
        parts = [p for p in self._parts_of.get(first, ()) if p in listed and not unsaid(p)]
        if parts:
            return self._part_first(result, first, parts)
        if result.answer is None:
            ranked = tuple(sorted(result.candidates, key=lambda c: unsaid(c.id)))
            return replace(result, candidates=ranked)
        # A confident answer becomes the choice it would have been, the answer listed last.
        choice = sorted(result.candidates[:CLEAR_CHOICE], key=lambda c: unsaid(c.id))
        return replace(result, answer=None, candidates=tuple(choice))

    def _anew_first(self, result: SearchResult, analysis: Analysis) -> SearchResult:
        """A paper asked for again or said lost or damaged ("xin lại giấy chứng tử", "mất giấy
        hôn thú, cưới từ năm 1992") was registered before: when the first procedure shown is
        the one that makes that paper the first time (a pair of the paper's words said in
        that clause is in its names: "chứng tử", "kết hôn"), the procedures listed that make it
        anew (a copy of the extract, a re-registration: Luật Hộ tịch 2014 Điều 63–64, NĐ
        123/2015 Điều 24–27) and name that paper too go first, as a choice. "ông vừa mất, làm
        trích lục khai tử" asks nothing again; "mất giấy chứng sinh, khai sinh cho con" loses
        a paper that is not the procedure's own: the first registration stays."""
        first = result.answer or (result.candidates[0].id if result.candidates else None)
        if first is None or first in self._anew:
            return result
        index = self.index
        vocab, postings, entries = index.vocab, index.bigram_postings, index.entries
        # The procedures that name every pair of the paper's words the first procedure's
        # names say ("sổ hộ nghèo": "sổ hộ" alone is a civil status book's too).
        said: list[set[str]] = []
        for run in analysis.again:
            for a, b in pairwise(run):
                left, right = vocab.get(a), vocab.get(b)
                if left is None or right is None or (left, right) not in postings:
                    continue
                at, weights = postings[(left, right)]
                ids = {entries[int(e)].id for e, w in zip(at, weights, strict=True) if w >= KEYWORD}
                if first in ids:
                    said.append(ids)
        if not said:
            return result
        naming = set.intersection(*said)
        anew = [c for c in result.candidates if c.id in self._anew and c.id in naming]
        if not anew:
            return result
        ranked = (*anew, *(c for c in result.candidates if c not in anew))
        # A confident answer becomes the short choice it would have been; a list stays whole.
        if result.answer is not None:
            ranked = ranked[:CLEAR_CHOICE]
        return replace(result, answer=None, candidates=ranked)

    def _part_first(self, result: SearchResult, combined: str, parts: list[str]) -> SearchResult:
        """A combined procedure that lacks an event ("khai sinh kết hợp nhận cha, mẹ, con"
        with no birth still to register) yields the first place to the part the message asks
        and is listed just after it, in a short choice (NĐ 123/2015 Điều 15: the two are
        combined only when asked together). The part asked: of the parts listed that lack no
        event, one whose own event the message says (a recognition asked) before one that
        needs none, then the one listed first. Nothing is added."""
        listed = [c for c in result.candidates if c.id != combined]
        own = next(c for c in result.candidates if c.id == combined)
        order = {c.id: i for i, c in enumerate(listed)}
        best = min(parts, key=lambda p: (p not in self._event_ids, order[p]))
        part = next(c for c in listed if c.id == best)
        rest = [c for c in listed if c.id != best]
        ranked = (part, own, *rest)
        if result.answer is None:
            return replace(result, candidates=ranked)
        # A confident answer becomes the choice it would have been.
        return replace(result, answer=None, candidates=ranked[:CLEAR_CHOICE])

    def _unsaid(self, analysis: Analysis, needed: tuple[int, ...]) -> bool:
        """Whether the message leaves unsaid one of the events (lexicon `events`) needed."""
        return not analysis.events.issuperset(needed)

    # -- words → alternatives ---------------------------------------------------------------

    def _positions(self, analysis: Analysis) -> list[Position]:
        positions = [
            Position(
                self._weigh_accents(word, alts, _sure(word)),
                word.weight,
                word.ruled_out,
                word.pending,
            )
            for word in analysis.words
            for alts in self._resolve_word(word)
        ]
        # A pair that sounds like a catalogue pair ("thường chú" ~ "thường trú") repairs a word
        # that is itself a real word and so was not repaired alone.
        words = [w.folded for w in analysis.words]
        if len(words) != len(positions):  # a run-together word was split: no pair repair
            return positions
        for i in range(len(positions) - 1):
            a, b = words[i], words[i + 1]
            pair = self.index.bigram_by_sound.get((phonetic_key(a), phonetic_key(b)))
            if pair is None:
                pair = self._transposed_pair(positions, words, i)
            if pair is None:
                continue
            for at, tid in ((i, pair[0]), (i + 1, pair[1])):
                position = positions[at]
                if all(alt != tid for alt, _ in position.alternatives):
                    alternatives = (*position.alternatives, (tid, PAIR_SOUND))
                    positions[at] = replace(position, alternatives=alternatives)
        return positions

    def _transposed_pair(
        self, positions: list[Position], words: list[str], i: int
    ) -> tuple[int, int] | None:
        """Two letters typed in the wrong order in a word that is itself a syllable ("khia
        sinh", "dnag ký"): read as the catalogue word only beside a neighbour it makes a
        catalogue pair with, as for a repair by sound."""
        vocab, pairs = self.index.vocab, self.index.bigram_postings
        for at, other in ((i, i + 1), (i + 1, i)):
            if positions[at].alternatives:
                continue
            word = words[at]
            for k in range(len(word) - 1):
                tid = vocab.get(word[:k] + word[k + 1] + word[k] + word[k + 2 :])
                if tid is None:
                    continue
                for neighbour, conf in positions[other].alternatives:
                    pair = (tid, neighbour) if at == i else (neighbour, tid)
                    if conf >= KNOWN_AT and pair in pairs:
                        return pair
        return None

    def _weigh_accents(
        self, word: Word, alternatives: Alternatives, sure: float = 1.0
    ) -> Alternatives:
        """A word typed with other diacritics than the catalogue's is probably another word:
        "giỏi" is not "giới", "má" is not "mả". A plain word in a message typed with
        diacritics ("cho" beside "chỗ") even more so; a partly marked one may be a slip.
        `sure` scales every alternative (a word said not to be needed: `DENIED`)."""
        if not word.trusted and sure == 1.0:
            return alternatives
        index = self.index
        weighed = []
        for tid, conf in alternatives:
            if word.trusted and index.tokens[tid] == word.folded:
                conf *= ACCENT_FACTOR[index.accent_match(tid, word.accent)]
            weighed.append((tid, conf * sure))
        return tuple(weighed)

    def _resolve_word(self, word: Word) -> tuple[Alternatives, ...]:
        """A word's positions; an abbreviation that leaves a choice ("tt": tạm|thường trú)
        stands for each of its words at once, so both procedures score alike: a choice."""
        if not word.others:
            return self._resolve(word.folded)
        merged = dict(alt for alts in self._resolve(word.folded) for alt in alts)
        for other in word.others:
            for alts in self._resolve(other):
                for tid, conf in alts:
                    merged[tid] = max(merged.get(tid, 0.0), conf)
        return (tuple(merged.items()),)

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
        if token.isdigit():  # a number the catalogue does not use ("82 tuổi"): no evidence
            return ()
        if not token.isalnum():  # a word in a sense the catalogue does not use ("lại~")
            return ((),)
        if is_syllable(token) or len(token) < 3:
            return ((),)
        telex = telex_fold(token)
        if telex is not None and telex in index.vocab:
            return (((index.vocab[telex], TELEX),),)
        sound = index.by_sound.get(phonetic_key(token))
        if sound is not None:
            return (((sound, SOUND),),)
        split = self._split(token)
        if split:
            return split
        return (self._edit(token),)

    def _split(self, token: str) -> tuple[Alternatives, ...]:
        """'khaisinh' → khai + sinh, 'dangkykethon' → đăng + ký + kết + hôn: a cut into
        syllables only when every two neighbours make a pair the catalogue uses ("kethon" →
        kết hôn, never kế thôn), so gibberish never becomes words. The most common words win."""
        index = self.index
        if len(token) > MAX_SPLIT_CHARS:
            return ()
        memo: dict[tuple[int, int], tuple[int, tuple[int, ...]] | None] = {}

        def best_from(start: int, previous: int) -> tuple[int, tuple[int, ...]] | None:
            """The best cut of token[start:], given the syllable before it (-1: none)."""
            if start == len(token):
                return (0, ())
            key = (start, previous)
            if key in memo:
                return memo[key]
            best: tuple[int, tuple[int, ...]] | None = None
            for end in range(start + 1, min(len(token), start + MAX_SYLLABLE_CHARS) + 1):
                if start == 0 and end == len(token):
                    break  # the whole token is not a split
                piece = token[start:end]
                if not is_syllable(piece):
                    continue
                # A word of a kind of paper is spelled apart in the catalogue ("xác~ nhận~").
                for word in (index.vocab.get(piece), index.vocab.get(piece + OTHER_SENSE)):
                    if word is None:
                        continue
                    if previous >= 0 and (previous, word) not in index.bigram_postings:
                        continue
                    rest = best_from(end, word)
                    if rest is not None and (best is None or rest[0] + index.df[word] > best[0]):
                        best = (rest[0] + index.df[word], (word, *rest[1]))
            memo[key] = best
            return best

        found = best_from(0, -1)
        if found is None:
            return ()
        return tuple(((word, SPLIT),) for word in found[1])

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

    def _score(self, positions: list[Position]) -> dict[int, Scored]:
        index = self.index
        unique = list(dict.fromkeys(p for p in positions if p.alternatives))
        unknown = sum(p.weight for p in positions if not p.alternatives)
        total = sum(p.weight * max(index.idf[t] for t, _ in p.alternatives) for p in unique)
        total += unknown * index.unknown_idf * 0.8
        if total <= 0:
            return {}

        # Coverage by names, aliases and keywords, and separately by summaries and documents:
        # a long document list mentions many words and must not outweigh a matching name.
        n = index.n_entries
        coverage = np.zeros(n)
        weak = np.zeros(n)
        query_conf: dict[int, float] = {}  # how surely the message says each word
        query_weight: dict[int, float] = {}  # … and how much that word weighs in it
        for position in unique:
            if len(position.alternatives) == 1:
                # One word (the usual case): its postings added where they are, as the general
                # case below adds them (the best of one is itself; a word's names and its
                # summaries or documents are in different entries), without two arrays of
                # every entry made and added.
                ((tid, conf),) = position.alternatives
                query_conf[tid] = max(query_conf.get(tid, 0.0), conf)
                query_weight[tid] = max(query_weight.get(tid, 0.0), conf * position.weight)
                value = index.idf[tid] * conf * position.weight
                entries, weights = index.strong_postings[tid]
                if len(entries):
                    coverage[entries] += np.maximum(0.0, value * weights)
                entries, weights = index.weak_postings[tid]
                if len(entries):
                    weak[entries] += np.maximum(0.0, value * weights)
                continue
            best = np.zeros(n)
            best_weak = np.zeros(n)
            said_weakly = False
            for tid, conf in position.alternatives:
                query_conf[tid] = max(query_conf.get(tid, 0.0), conf)
                query_weight[tid] = max(query_weight.get(tid, 0.0), conf * position.weight)
                value = index.idf[tid] * conf * position.weight
                entries, weights = index.strong_postings[tid]
                if len(entries):
                    best[entries] = np.maximum(best[entries], value * weights)
                entries, weights = index.weak_postings[tid]
                if len(entries):
                    best_weak[entries] = np.maximum(best_weak[entries], value * weights)
                    said_weakly = True
            coverage += best
            if said_weakly:  # a summary or document only counts where no name has the word
                np.putmask(best_weak, best > 0, 0.0)
                weak += best_weak
        if not coverage.any():
            return {}

        pairs = np.zeros(n)
        pair_total = 0.0
        for left_position, right_position in pairwise(positions):
            left, right = left_position.alternatives, right_position.alternatives
            if not left or not right:
                pair_total += index.unknown_idf
                continue
            best_pair = None  # made for the first pair the catalogue has (most have none)
            pair_weight = 0.0
            for a, ca in left:
                for b, cb in right:
                    pair_idf = index.bigram_idf.get((a, b))
                    if pair_idf is None:
                        continue
                    pair_weight = max(pair_weight, pair_idf)
                    entries, weights = index.bigram_postings[(a, b)]
                    if best_pair is None:
                        best_pair = np.zeros(n)
                    best_pair[entries] = np.maximum(
                        best_pair[entries], pair_idf * min(ca, cb) * weights
                    )
            pair_total += pair_weight or index.unknown_idf * 0.5
            if best_pair is not None:
                pairs += best_pair

        matched_entries = np.flatnonzero(coverage)
        if len(matched_entries) > SHORTLIST:
            # Chosen by coverage; among entries covered alike (words many names share, "giấy
            # khai sinh", "xác nhận", tie a dozen), the one that has the message's word pairs
            # ("khai sinh") goes first, not the one the partition happens to keep. A larger
            # weight of the pairs lets scattered words reach short aliases ("báo | từ … công
            # an" for "báo tử người có công"): measured, it costs held-out first answers.
            chosen = coverage[matched_entries] + PAIR_TIE * pairs[matched_entries]
            top = np.argpartition(-chosen, SHORTLIST)[:SHORTLIST]
            matched_entries = matched_entries[top]
        shortlist = [int(e) for e in matched_entries]
        said_words = set(query_conf)
        idf = index.idf
        # What each word said brings to a phrase that has it: its share of recall (idf ×
        # how surely it is said) and of what the message explains (idf × its weight here).
        said_gain = {t: (idf[t] * query_conf[t], idf[t] * query_weight[t]) for t in said_words}
        specific = index.specific
        b2 = BETA * BETA
        phrase_rows, said_of = self._phrase_rows, said_words.intersection
        scores = {}
        for entry in shortlist:
            # The name or alias closest to the message: how much of it the message says
            # (recall) and how much of the message it explains (precision).
            phrase = best_recall = 0.0
            said_in: list[tuple[float, float, set[int]]] = []  # (weight, explained, words)
            # The innermost loop of a search (a dozen entries × their phrases): plain
            # comparisons and the F-beta of recall and precision written out, not calls.
            for tokens, total_idf, phrase_weight, weight in phrase_rows[entry]:
                said = said_of(tokens)
                if not said:
                    continue
                matched = said_weight = 0.0
                for t in said:
                    sure, weighty = said_gain[t]
                    matched += sure
                    said_weight += weighty
                recall, precision = matched / total_idf, matched / total
                if precision > 1.0:
                    precision = 1.0
                fit = weight * ((1 + b2) * recall * precision / (b2 * precision + recall))
                if fit > phrase:
                    phrase = fit
                if weight * recall > best_recall and any(specific[t] for t in said):
                    # "giấy xác nhận" says most of "giấy xác nhận đang có vợ có chồng" in
                    # words that say no procedure: not that alias said.
                    best_recall = weight * recall
                said_in.append((phrase_weight, phrase_weight * said_weight, said))
            explained = _explained_by_two(said_in, query_weight, idf)
            pair_score = float(pairs[entry]) / pair_total if pair_total else 0.0
            score = (
                W_QUERY * explained / total
                + W_WEAK * float(weak[entry]) / total
                + W_PHRASE * phrase
                + W_PAIRS * pair_score
            )
            scores[entry] = Scored(
                score, float(coverage[entry]), best_recall, min(1.0, explained / total)
            )
        ruled_out = {t for p in unique if p.ruled_out for t, conf in p.alternatives}
        # A part said not done yet is said whole, however lightly the story weighs.
        still = {t: conf for p in unique if p.pending for t, conf in p.alternatives}
        if still:
            query_weight = {t: max(w, still.get(t, 0.0)) for t, w in query_weight.items()}
        self._combine(scores, query_weight, ruled_out)
        if ruled_out:
            self._unbundle(scores, ruled_out)
        return scores

    def _unbundle(self, scores: dict[int, Scored], ruled_out: set[int]) -> None:
        """A procedure said done or in hand ("ks cho bé xong rồi, giờ … nhập hộ khẩu cho bé")
        is not needed again, nor a bundle that does it along with others (liên thông: khai
        sinh, thường trú, BHYT): the bundle goes just after the best of its other parts the
        message names. (Combined procedures are ordered so in `_combine`.)"""
        for bundle, parts in self.index.bundles.items():
            if bundle not in scores or bundle in self.index.parts:
                continue
            in_hand = [p for p in parts if self._in_hand(p, ruled_out)]
            others = [
                scores[p.entry].score for p in parts if p not in in_hand and p.entry in scores
            ]
            if in_hand and others:
                own = scores[bundle]
                scores[bundle] = replace(own, score=min(own.score, max(others) - COMBINED_STEP))

    def _combine(
        self, scores: dict[int, Scored], weights: dict[int, float], ruled_out: set[int]
    ) -> None:
        """A combined procedure ("khai sinh kết hợp nhận cha, mẹ, con") is asked for when the
        message says two of its parts: a birth ("khai sinh", "mới đẻ") and the father
        acknowledged ("nhận", "tên bố", "ngoài giá thú"), or one part and the combined
        procedure's own words ("chưa kết hôn": the pair at once). Then it goes just before its
        parts; when the message says one part only, just after that part: "khai sinh cho con
        của mẹ đơn thân, không có tên bố" is a birth registration (a father said to be absent
        weighs little), "bố đẻ muốn nhận con đã có khai sinh" an acknowledgement (a paper
        already in hand is context; "bố đẻ" is a person, not a birth).

        A part said to exist already or ruled out ("con đã có khai sinh rồi", "đã làm khai
        sinh cho con rồi, nay bố muốn đưa tên vào giấy khai sinh") is not wanted again, however
        it is named after: the combined procedure and that part's own procedure go after the
        other part said."""
        idf = self.index.idf
        for combined, parts in self.index.parts.items():
            if combined not in scores:
                continue
            in_hand = [p for p in parts if p.entry >= 0 and self._in_hand(p, ruled_out)]
            said = [
                part
                for part in parts
                if part not in in_hand and self._says_part(part, weights, idf)
            ]
            shown = [
                scores[p.entry].score for p in (said or parts) if p.entry >= 0 and p.entry in scores
            ]
            if not shown:
                continue
            own = scores[combined]
            wanted = [scores[p.entry].score for p in said if p.entry >= 0 and p.entry in scores]
            if in_hand and wanted:
                # The combined procedure just after the part still wanted, the one in hand next.
                score = min(own.score, max(wanted) - COMBINED_STEP)
                for part in in_hand:
                    if part.entry in scores:
                        mine = scores[part.entry]
                        lower = min(mine.score, max(wanted) - 2 * COMBINED_STEP)
                        scores[part.entry] = replace(mine, score=lower)
            elif len(said) >= 2:
                score = max(own.score, max(shown) + COMBINED_STEP)
            else:
                score = min(own.score, max(shown) - COMBINED_STEP)
            scores[combined] = replace(own, score=score)

    def _in_hand(self, part: Part, ruled_out: set[int]) -> bool:
        """Whether one of the part's phrases is said whole among words ruled out."""
        return any(words and words <= ruled_out for words in part.phrases)

    @staticmethod
    def _says_part(part: Part, weights: dict[int, float], idf: list[float]) -> bool:
        """Whether the message says most of one of the part's phrases, with enough evidence
        ("thú" alone is not "ngoài giá thú")."""
        for words in part.phrases:
            total = sum(idf[t] for t in words)
            said = sum(idf[t] * weights.get(t, 0.0) for t in words)
            if said >= PART_EVIDENCE_AT and said >= PART_RECALL * total:
                return True
        return False

    # -- decision --------------------------------------------------------------------------

    def _says_a_pair(self, positions: list[Position]) -> bool:
        pairs = self.index.bigram_postings
        return any(
            (a, b) in pairs
            for left, right in pairwise(positions)
            for a, ca in left.alternatives
            for b, cb in right.alternatives
            if min(ca, cb) >= KNOWN_AT
        )

    def _foreign_share(self, positions: list[Position]) -> float:
        """The share of the message's weight in words that no name, alias or keyword of the
        catalogue uses ("phim", "phép", "váy"): the message is about something else too."""
        index = self.index
        total = foreign = 0.0
        for p in positions:
            if not p.alternatives:
                weight = p.weight * index.unknown_idf * 0.8
                foreign += weight
            else:
                weight = p.weight * max(index.idf[t] for t, _ in p.alternatives)
                # "chó" is not "cho": a word the catalogue has only with other marks is foreign.
                if all(index.df[t] == 0 or conf < KNOWN_AT for t, conf in p.alternatives):
                    foreign += weight
            total += weight
        return foreign / total if total else 0.0

    def _decide(
        self,
        text: str,
        analysis: Analysis,
        scores: dict[int, Scored],
        known: int,
        foreign: float = 0.0,
    ) -> SearchResult:
        entries = self.index.entries
        ranked = sorted(scores.items(), key=lambda item: (-item[1].score, item[0]))
        candidates = tuple(
            Candidate(entries[e].id, scored.score)
            for e, scored in ranked
            if not entries[e].is_referral
            and scored.score >= CANDIDATE_AT
            and scored.evidence >= CANDIDATE_EVIDENCE_AT
        )[:CANDIDATES]
        answer = referral = None
        clear = True
        if ranked:
            top, best = ranked[0]
            # Confident only when the message says most of one of the entry's names or aliases,
            # with enough distinctive words: a shared word or two is a coincidence.
            sure = best.evidence >= EVIDENCE_AT and best.recall >= MIN_RECALL
            # One catalogue word alone ("bot tên gì": "tên") is part of many names: an answer
            # needs two, or that word to be a whole name or alias.
            sure = sure and (known >= 2 or best.recall >= 1.0)
            # Evidence that the person wants a procedure at all: a need or an action ("làm",
            # "xin", "bị mất"), or a message that is little else than the procedure's name.
            # "Con tôi sinh nhật" or "em đang đi nghĩa vụ quân sự, bao giờ về phép" name a
            # procedure's words but ask for nothing: refuse rather than guess.
            if analysis.elsewhere:
                wanted = analysis.need and best.precision >= QUESTION_AT
            elif analysis.need:
                wanted = True
            else:
                # … nor does a story of a time that is over ("ông nội đi bộ đội từ năm 1965
                # đến 1975", "anh tôi đi nghĩa vụ năm ngoái").
                wanted = best.precision >= BARE_AT and foreign <= FOREIGN_BARE and not analysis.past
            # Thanks that name a procedure and ask nothing ("cảm ơn xã đã hướng dẫn tạm trú
            # nha") are thanks; the hours of an office or a library asked with no need ("thư
            # viện tỉnh mở cửa chủ nhật không") are contact.
            wanted = wanted and (
                analysis.need
                or (analysis.small_talk is not SmallTalk.THANKS and not analysis.hours)
            )
            # A paper's damage as all the need ("giấy khen của con bị rách") asks for a
            # procedure that makes the paper anew, not the one that first grants it.
            if analysis.damage_only and not entries[top].remakes:
                wanted = False
            sure = sure and wanted
            if sure and entries[top].is_referral and best.score >= REFERRAL_AT:
                # … unless the message places its matter at another body ("lương hưu chưa về,
                # hỏi bảo hiểm xã hội ở đâu"): the referral it scores highest is that body's.
                named = set() if analysis.other_office else self._named_here(ranked)
                if named:
                    # The commune's own procedure named whole: decided among those alone, and
                    # confidently only for a procedure so named.
                    own = {e: v for e, v in scores.items() if not entries[e].is_referral}
                    result = self._decide(text, analysis, own, known, foreign)
                    if result.answer is not None and result.answer not in named:
                        result = replace(result, clear=False)
                    return result
                referral = entries[top].id
                candidates = ()
            elif (
                sure
                and not entries[top].is_referral
                and best.score >= ANSWER_AT
                # A matter placed at another body ("… ở phòng công chứng"): a choice at most.
                and not analysis.other_office
            ):
                answer = entries[top].id
                # An abbreviation that leaves a choice ("đăng ký tt": tạm trú or thường trú)
                # and two procedures that fit it almost equally: ask, do not guess.
                choice = any(w.others for w in analysis.words) and len(ranked) > 1
                if choice and best.score - ranked[1][1].score < CHOICE_GAP:
                    answer = None
                else:
                    clear = self._clear_winner(best, ranked)
        # Thanks or a greeting with a word or two besides ("cám ơn con nghen", "chào chú") is
        # still small talk when those words are no answer and ask for nothing.
        talk, aspect = analysis.small_talk, analysis.aspect
        procedure_said = bool(answer or referral or (candidates and analysis.need))
        if analysis.aspect_named and not procedure_said:
            # "liên hệ ai" alone is contact small talk, "… do ai giải quyết" a complaint.
            aspect = None
        if procedure_said:
            talk = None
            # "đăng ký khai tử thì mấy giờ xã mở cửa": the office's hours asked about a
            # procedure are its time part (alone they are contact small talk).
            if aspect is None and analysis.hours:
                aspect = Aspect.TIME
        elif talk is SmallTalk.ACK and analysis.not_yet and known >= 2 and candidates:
            # "rồi" closing a clause of a story that then tells of a paper not made or had yet
            # ("rước dâu xong rồi mà chưa ra xã ký giấy", "cưới nhau được năm rồi mà chưa có
            # giấy tờ gì") is no "ok": the story keeps its choice.
            talk = None
        elif talk is not None:
            candidates = ()
        return SearchResult(
            query=text,
            answer=answer,
            candidates=candidates,
            referral=referral,
            aspect=aspect,
            small_talk=talk,
            clear=clear,
        )

    def _named_here(self, ranked: list[tuple[int, Scored]]) -> set[str]:
        """The commune's own procedures the message says by a name or alias, whole and with
        enough evidence, beside another office's matter that scores higher ("công ty bắt có
        xác nhận tạm trú", "chứng thực chữ ký cần mang căn cước", "chuẩn bị vào lớp 1 mà chưa
        có khai sinh"): the person may well need one of those, so the commune's procedures are
        shown rather than a referral."""
        entries = self.index.entries
        return {
            entries[e].id
            for e, scored in ranked
            if not entries[e].is_referral
            and scored.recall >= NAMED_BESIDE_REFERRAL
            and scored.evidence >= EVIDENCE_AT
            and scored.score >= CANDIDATE_AT
        }

    def _clear_winner(self, best: Scored, ranked: list[tuple[int, Scored]]) -> bool:
        """Whether the answer stands clear of the runner-up (the next procedure that would be
        listed): strong evidence for it and a clear lead. Neighbours that fit alike ("kết hôn"
        and "đăng ký lại kết hôn", "khai sinh" and "khai sinh kết hợp nhận cha con") are a
        choice: it costs a tap, a wrong card costs trust. A word only the winner's names use
        was measured as the alternative evidence and proved no better than the score (see
        docs/search.md)."""
        entries = self.index.entries
        runner = next(
            (
                scored
                for e, scored in ranked[1:]
                if not entries[e].is_referral
                and scored.score >= CANDIDATE_AT
                and scored.evidence >= CANDIDATE_EVIDENCE_AT
            ),
            None,
        )
        if runner is None:
            return True
        if best.score >= CLEAR_AT and best.score - runner.score >= CLEAR_GAP:
            return True
        # The message says one of the winner's names or aliases whole, and none of the
        # runner-up's: "kết hôn" is Đăng ký kết hôn, not "xác nhận chưa kết hôn".
        return best.recall >= WHOLE_AT and best.recall - runner.recall >= RECALL_GAP


def _sure(word: Word) -> float:
    """How surely a word says its catalogue words: less when it is said not to be needed."""
    return DENIED if word.denied < 1.0 else 1.0


def _explained_by_two(
    phrases: list[tuple[float, float, set[int]]], weights: dict[int, float], idf: list[float]
) -> float:
    """How much of the message two of an entry's phrases explain together. Two, not all: an
    entry with fifty aliases would otherwise explain any message a little ("alias soup"), while
    a message may well name two things of one procedure ("khai sinh … nhận cha con")."""
    if not phrases:
        return 0.0
    _, first_value, covered = max(phrases, key=itemgetter(1))
    extra = 0.0
    for weight, _, words in phrases:
        if not words <= covered:
            value = weight * sum(idf[t] * weights[t] for t in words - covered)
            if value > extra:
                extra = value
    return first_value + extra
