"""A message → the words that can point to a procedure, plus what else it says.

Abbreviations and dialect are expanded, the part of the procedure asked about ("bao nhiêu tiền")
and small talk ("cảm ơn") are recognised and set aside, and stop words dropped. Before anything is
scored the message is also read for what the person wants: a need or an action ("làm", "xin",
"đăng ký", "bị mất") — evidence that a procedure is wanted at all — and a document named inside a
question ("… có cần CCCD của bố mẹ không"), which is not the procedure.

Diacritics are evidence when the person uses them. In a message typed with diacritics, a word
without any ("cho", "bao") is meant as written, so stop words are matched with their accents:
"cần" is a stop word, "căn" (căn cước) is not. In a message typed without diacritics we cannot
tell them apart, so such a word is dropped when the catalogue mostly uses it as a stop word.
Keystrokes left by a Vietnamese keyboard that was switched off (Telex "caafn", VNI "ca62n") are
read as the marked word they were meant to type.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Protocol, TypeVar

from core.search.lexicon import (
    SMALL_TALK_ORDER,
    Aspect,
    Frame,
    Initialism,
    Lexicon,
    Mark,
    PhraseTable,
    PhraseWord,
    SmallTalk,
    accent_key,
    split_accent_key,
)
from core.text import fold, is_syllable, telex_decode, vni_decode

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"[.!?;\n]+")
_CLAUSE_END = re.compile(r"[,:(){}\[\]…–]+")
# Telex keystrokes that no Vietnamese word spells ("coong", "thaan", "keet"): a word shaped like
# a syllable that holds them is still read as Telex when it decodes to a known word.
_TELEX_DOUBLE = re.compile(r"aa|ee|oo|dd")
# Final consonants a Telex leftover may have lost ("nooj": nộp).
_FINALS = ("p", "t", "c", "m", "n", "ng", "nh", "ch")
_MAX_WORDS = 120  # a question never needs more; bounds the work on pasted essays
T = TypeVar("T")


# A message is "typed with diacritics" when at least this share of its words carry some:
# about three Vietnamese syllables in four do, while unaccented typing gives none.
ACCENTED_MESSAGE = 0.4
# Long stories: the sentences of context before the one that says the need count this much
# ("Nhà tôi ở xóm 4, chồng đi làm xa. Con sinh tháng trước. Giờ tôi muốn làm giấy tờ cho cháu").
EARLIER_SENTENCE = 0.5
# A clause that tells what was already done ("đã làm khai tử xong") before the need: context that
# says what the person does *not* need any more.
DONE_CLAUSE = 0.2
# A thing said to be missing ("không có lương hưu"): context, not the procedure asked about;
# its noun phrase is at most this many words.
ABSENT, ABSENT_WORDS = 0.2, 6
# The papers a copy or a certification is made of ("chứng thực bản sao giấy phép lái xe với cà
# vẹt xe"): at most this many words after the copy word, in its clause.
COPIED_WORDS = 10
# Who is described in a who-question ("người độc thân có được nhận con nuôi không").
DESCRIBED = 0.5
# The purpose of a need ("… để con được miễn học phí") counts this much: it says why.
PURPOSE_CLAUSE = 0.4
# Appended to a word read in its other sense ("lại" = back, not again): no one can type it, so
# it matches only the same sense in the catalogue, never the word itself, and is never repaired.
OTHER_SENSE = "~"
# … and it says little on its own ("về lại quê", "đứa con thất lạc"): it weighs like context.
OTHER_SENSE_WEIGHT = 0.35
# Where someone lives, told as a state ("hộ khẩu ở quê", "ở trọ trên huyện") rather than asked
# for ("nhập hộ khẩu"), when the message names another procedure: context.
RESIDENCE_TOLD = EARLIER_SENTENCE


class Vocabulary(Protocol):
    def __contains__(self, folded: object) -> bool: ...

    def leans_stop(self, folded: str) -> bool:
        """Whether the catalogue uses this folded form mostly as a stop word ("cho" vs "chỗ")."""
        ...

    def is_pair(self, first: str, second: str) -> bool:
        """Whether the catalogue's names say these two folded words one after the other."""
        ...

    def initialism(self, folded: str) -> Initialism | None:
        """The catalogue phrase whose first letters these are ("ctck": chứng thực chữ ký)."""
        ...


@dataclass(slots=True)
class Word:
    """One word of the message; made and adjusted while the message is read, then only read."""

    folded: str
    accent: str  # accent_key of what was typed (or of the expansion)
    accented: bool  # whether the person typed diacritics on this word
    # Whether `accent` says which word was meant: true for words typed with diacritics, and for
    # every word of a message typed with diacritics.
    trusted: bool = False
    # One typed abbreviation is one idea however many words it expands to ("cccd" → căn cước
    # công dân): its words share the weight of a word or two. Context sentences weigh less.
    weight: float = 1.0
    # Other words this position may be: an abbreviation that leaves a choice ("tt": tạm|thường).
    others: tuple[str, ...] = ()
    sentence: int = 0
    clause: int = 0  # sentences cut at commas too ("ông mất tháng trước, nhà đã làm khai tử")
    # In a sentence of context before the one that says the need ("…không có lương hưu.").
    earlier: bool = False
    # Said not to be needed: missing, negated, already in hand or done ("không ghi tên bố",
    # "chứ không phải con nuôi", "con đã có khai sinh rồi"). Such a word is no evidence that
    # its procedure is wanted, so it counts for less of a name said, too (not only of the
    # message). The factor its weight was given for it (1: not denied).
    denied: float = 1.0
    # Said to exist already or ruled out: denied, or in a clause telling a deed done ("đã làm
    # khai sinh cho con rồi"). A combined procedure's part said so is not wanted again.
    ruled_out: bool = False
    # Said to be missing ("không có lương hưu"): the factor its weight was given for it.
    missing: float = 1.0
    # Typed without marks in a message otherwise typed with them ("can j"), and not itself a
    # common word without marks ("bao", "cho"): it may match a phrase word that has marks.
    loose: bool = False
    # Names a paper a copy or a certification is made of ("chứng thực bản sao bằng lái xe"):
    # never another office's procedure (see ProcedureSearch._read).
    copied: bool = False
    # Stands in a paper's name an everyday name was rewritten to, whose words the person did
    # not say as a request ("giấy hôn thú" → "giấy chứng nhận kết hôn"): part of the name,
    # never a need ("nhận"). See _synonyms.
    named: bool = False
    # Said not done yet ("chưa làm khai sinh", "chưa đăng ký kết hôn"), however lightly it
    # weighs as the story before a need said now: a combined procedure's part said so is
    # still to be done ("con chưa có khai sinh, giờ bố muốn nhận con": both at once).
    pending: bool = False


@dataclass
class Analysis:
    words: list[Word] = field(default_factory=list)  # content words, in order
    aspect: Aspect | None = None
    small_talk: SmallTalk | None = None
    # The part asked is one complaints and small talk ask too ("liên hệ ai"): it holds only
    # beside a procedure the message names.
    aspect_named: bool = False
    accented_message: bool = False
    # The person asks for something to be done (a need or action word outside small talk).
    need: bool = False
    # A question word that is not part of an aspect ("bao giờ về phép", "tặng gì", "… không?"),
    # or a word of another subject ("phim", "tiệc", "chó"): the message is about something else,
    # or asks about something a procedure does not have.
    elsewhere: bool = False
    # Content words naming a document asked about, and where they stood among `words`.
    document: list[Word] = field(default_factory=list)
    document_at: int = 0
    # Whether the message says a need once the document question counts too.
    document_need: bool = False
    # The office's hours are asked ("mấy giờ xã mở cửa"): with a procedure, its time part.
    hours: bool = False
    # A time that is over ("từ năm 1965 đến 1975", "năm ngoái"): without a need, the message
    # tells a story ("ông nội đi bộ đội từ năm 1965") rather than asks for a procedure.
    past: bool = False
    # A paper said not made or had yet ("chưa ra xã ký giấy", "chưa có giấy tờ gì").
    not_yet: bool = False
    # Every need the message says is damage to a paper one has ("giấy khen bị rách"): only a
    # procedure that makes a paper anew may be the answer.
    damage_only: bool = False
    # The matter is placed at another body and the commune's office is not said ("sang tên sổ
    # đỏ ở văn phòng đăng ký đất đai", "làm hợp đồng ở phòng công chứng"): no confident answer
    # from the commune's own procedures (a referral still may be).
    other_office: bool = False
    # The events (lexicon `events`, by position) the message says anywhere, before any part of
    # it is taken as the part asked ("tiền mai táng | khi nào thì được nhận"): a death.
    events: frozenset[int] = frozenset()
    # The words of the clauses that ask a paper again or say it lost or damaged ("xin lại |
    # giấy chứng tử", "mất | giấy hôn thú"), less those saying so, in runs of words next to
    # each other: the paper made before.
    again: tuple[tuple[str, ...], ...] = ()

    def with_document(self, *, asks_document: bool = False) -> Analysis:
        """The same message with the document's words back in place, for when the rest alone
        names no procedure clearly ("có cần đăng ký tạm trú không"). Unless the question
        still `asks_document`, the document was the procedure asked about, no part of it."""
        at = self.document_at
        words = [*self.words[:at], *self.document, *self.words[at:]]
        aspect = None if self.aspect is Aspect.DOCUMENTS and not asks_document else self.aspect
        need = self.need or self.document_need
        return replace(self, words=words, document=[], aspect=aspect, need=need)

    def without_denial(self) -> Analysis:
        """The same message with what it denies (or says is missing) read as said, for when
        the rest names no procedure: "không muốn nhận thừa kế, nhường cho anh cả" renounces
        the inheritance, "giấy khai sinh không có tên bố" asks to add the father."""
        words = [
            replace(
                w,
                weight=w.weight / (w.denied * w.missing),
                denied=1.0,
                missing=1.0,
                ruled_out=False,
                earlier=False,
            )
            if w.denied < 1.0 or w.missing < 1.0
            else w
            for w in self.words
        ]
        return replace(self, words=words)


def split_words(text: str) -> list[Word]:
    words: list[Word] = []
    normalized = unicodedata.normalize("NFC", text[:2000]).casefold()
    clause = 0
    for sentence, part in enumerate(_SENTENCE_END.split(normalized)):
        for piece in _CLAUSE_END.split(part):
            clause += 1
            for raw in _WORD.findall(piece):
                parts = fold(raw).split()
                if len(parts) == 1:
                    accent, accented = accent_key(raw), parts[0] != raw
                    words.append(Word(parts[0], accent, accented, sentence=sentence, clause=clause))
                else:
                    words.extend(Word(p, p, False, sentence=sentence, clause=clause) for p in parts)
                if len(words) >= _MAX_WORDS:
                    return words
    return words


def analyse(text: str, lexicon: Lexicon, vocabulary: Vocabulary) -> Analysis:
    typed = split_words(text)
    # Marks typed as they are: Telex or VNI leftovers ("ddawng kys … owr ddaau") show a keyboard
    # switched off, not a message typed with diacritics.
    lettered = [w.accented for w in typed if not w.folded.isdigit()]
    accented_message = bool(lettered) and sum(lettered) / len(lettered) >= ACCENTED_MESSAGE
    raw = [_decode(w, lexicon, vocabulary) for w in typed]
    expanded = _expand(raw, lexicon, vocabulary)
    for word in expanded:
        word.trusted = word.accented or accented_message
        word.loose = (
            accented_message and not word.accented and word.folded not in lexicon.stop_accented
        )
    words = _whole(_synonyms(expanded, lexicon), lexicon)
    consumed = [False] * len(words)
    result = Analysis(accented_message=accented_message)
    result.events = frozenset(
        i
        for i, event in enumerate(lexicon.events)
        if not event.to_do
        and (
            says(words, event.said) or (event.unless is not None and not says(words, event.unless))
        )
    )
    marks = _find_all(words, lexicon.marks)
    saying = _covered(marks, Mark.AGAIN)
    document, question = _document(words, marks, lexicon.document_max_words)
    before_talk = consumed.copy()
    talk = _mark_all(words, consumed, lexicon.small_talk)
    # What only small talk took may still be a part asked beside a procedure ("chứng thực chữ
    # ký thì liên hệ ai": contact small talk alone).
    talked = [now and not then for now, then in zip(consumed, before_talk, strict=True)]
    result.small_talk = next((kind for kind in SMALL_TALK_ORDER if kind in talk), None)
    # A need counts wherever it is, even inside the part asked about ("làm ở đâu"), but not in
    # small talk or politeness ("giờ mở cửa", "cho hỏi").
    polite = consumed.copy()
    _mark_all(words, polite, lexicon.stop_phrases)
    need_at = [
        i
        for i, kinds in marks.items()
        if Mark.NEED in kinds and not polite[i] and not words[i].named
    ]
    # A deed already done ("nhà đã làm khai tử xong", "hồi trước mẹ tôi làm khai sinh cho cả
    # xóm") or a need for a thing of another subject ("nhận nuôi chó", "viết sách") is no need
    # for a procedure; a clause that tells what was done is context, like an earlier sentence.
    # "chưa làm giấy khai sinh": a deed not done yet, nor one inside what is not done yet.
    pending = not_done = _pending(words, marks, vocabulary)
    done = {i for i in need_at if i not in pending and _done(words, i, marks)}
    # "lên Sài Gòn làm công ty": a job's "làm" is no need either (nor another subject), nor a
    # wish said not to be had ("em chưa muốn lấy chồng"), nor a case spoken of ("nghe đồn xã
    # bên có vụ tranh chấp đất").
    in_topic = (
        _in_topic(words, marks)
        | _covered(marks, Mark.JOB)
        | _covered(marks, Mark.UNWANTED)
        | _covered(marks, Mark.CASE)
        if need_at
        else set()
    )
    # "làm sao nhận con nuôi trong game", "soạn bài về lập di chúc": a need in a work's clause.
    in_work = {
        words[i].clause
        for i, kinds in marks.items()
        if Mark.WORK in kinds and _surely_topic(words[i], kinds[Mark.WORK], lexicon, vocabulary)
    }
    # "làm mất giấy khen hồi cấp 2 có sao không", "lịch sử của chế độ nghĩa vụ quân sự": the
    # form of the sentence asks about something else, its needs are what it is about.
    # Whether the message asks anything at all, read once for the stories told below.
    asks = _asks(words, marks, lexicon)
    remarked = _remarked(words, marks, done) | _reported(words, marks, lexicon, asks=asks)
    need_at = [
        i
        for i in need_at
        if i not in done
        and i not in in_topic
        and i not in remarked
        and words[i].clause not in in_work
        and not _for_other_subject(words, i, marks, lexicon, vocabulary)
    ]
    _turn(words, marks, need_at, pending, lexicon, vocabulary)
    done_clauses = {words[i].clause for i in done}
    # "giấy xác nhận khuyết tật": a kind of paper many share (lexicon `generic`) is a paper's
    # name, not a need, where a paper is said to be in hand.
    generic = _covered(_find_all(words, lexicon.generic), None)
    absent, denied = _absent(words, marks, vocabulary, generic)
    # A paper described by what it says or lacks is in hand ("giấy khai sinh không có tên
    # bố"), though it may well be what the person wants changed: no context, only ruled out.
    described_papers = {
        j
        for start, kinds in marks.items()
        if {Mark.ABSENT, Mark.DENIED, Mark.ONLY} & kinds.keys()
        for j in _paper_described(words, marks, vocabulary, start)
    } | {
        j
        for start, kinds in marks.items()
        if Mark.HELD_AFTER in kinds
        for j in _paper_before(words, vocabulary, start)
    }
    for i in _copied(words, marks, vocabulary):
        words[i].copied = True
    purpose = _purpose(words, marks, need_at, lambda w: _is_stopword(w, lexicon, vocabulary))
    described: set[int] = set()
    spans: list[tuple[int, int]] = []
    parts = _mark_all(words, consumed, lexicon.aspects, vocabulary, lexicon.name_ends, spans)
    parts = _without_conditions(parts, spans, words, consumed, marks)
    # A part said in passing ("làm ở xã được không", "thời gian ở bên Đài") yields to another
    # part asked: "…, bao nhiêu tiền" asks the fee, "… có phải xác nhận gì thêm không" the papers.
    aspects = [part.aspect for part in parts if not part.passing]
    if not aspects:
        # "… thì liên hệ ai", "… do ai giải quyết": the office, only beside a procedure named.
        # Its words are read as before (a copy is marked): a complaint stays one.
        # A need it holds itself ("do ai giải quyết") names nothing.
        free = [used and not small for used, small in zip(consumed, talked, strict=True)]
        said: list[tuple[int, int]] = []
        aspects = _mark_all(words, free, lexicon.aspects_named, vocabulary, spans=said)
        if not any(all(not a <= i < b for a, b in said) for i in need_at):
            aspects = []
        result.aspect_named = bool(aspects)
    if not aspects and not document:  # "em có phải mang CCCD không" asks for a document
        # "nhận cháu | làm con nuôi được không": a person right after a need is its object
        # ("làm con nuôi"), not who asks.
        objects = {i + kinds[Mark.NEED] for i, kinds in marks.items() if Mark.NEED in kinds}
        aspects += _mark_frames(
            words, consumed, lexicon.aspect_frames, vocabulary, described, objects, Aspect.WHO
        )
    # A part said in passing is asked only when nothing else is, a frame neither.
    aspects = aspects or [part.aspect for part in parts]
    # "… như thế nào" asks the documents only when no other part is asked: "khai sinh online
    # như thế nào" asks how to file online.
    how = _mark_all(words, consumed, lexicon.how)
    result.aspect = _main_aspect(aspects) or _main_aspect(how)
    if result.aspect is None and not document and lexicon.aspects_kept:
        # "bố mẹ cháu đang ở nước ngoài, ông bà làm khai sinh cho cháu": a part implied, not
        # asked. No word is set aside (a copy of `consumed`), so the procedure found is the same;
        # it holds only beside a procedure named, like `aspects_named`.
        implied = _mark_frames(words, list(consumed), lexicon.aspects_kept, vocabulary)
        result.aspect = _main_aspect(implied)
        result.aspect_named = result.aspect_named or bool(implied)
    _mark_all(words, consumed, lexicon.stop_phrases)
    residence = _residence_told(
        words, consumed, marks, need_at, absent | denied | document, lexicon, vocabulary
    )
    # The need of what is left once the document is set aside: "cho thuê nhà | có cần chứng
    # thực hợp đồng không" asks for nothing outside the question, so the question is the need.
    # (Only a question that ends its clause: "cần giấy chứng minh em chưa | kết hôn" is none.)
    ends = question.stop
    while ends < len(words) and words[ends].clause == words[ends - 1].clause:
        if not _is_stopword(words[ends], lexicon, vocabulary):
            question = range(0)
            break
        ends += 1
    # "nhà tui đạt gia đình văn hóa mười năm liền rồi", "chủ trọ đăng ký tạm trú cho cả dãy rồi,
    # tụi em yên tâm": news told, no request.
    told = (
        _told(words, marks, need_at, lexicon, vocabulary, asks=asks)
        if result.aspect is None and not document
        else set()
    )
    if told:
        need_at = []
        remarked |= told
    result.need = any(i not in question for i in need_at)
    result.document_need = bool(need_at)
    result.hours = any(Mark.HOURS in kinds for kinds in marks.values())
    if need_at:
        damaged = _covered(marks, Mark.DAMAGE)
        result.damage_only = all(i in damaged for i in need_at)
    result.past = any(Mark.PAST in kinds for kinds in marks.values()) or _period(words)
    result.other_office = bool(_covered(marks, Mark.OTHER_OFFICE)) and not (
        _covered(marks, Mark.COMMUNE) - _covered(marks, Mark.NOT_COMMUNE)
    )
    result.not_yet = any(
        Mark.PAPER in marks.get(j, {})
        for i, kinds in marks.items()
        if Mark.PENDING in kinds
        for j in range(i + 1, len(words))
        if words[j].clause == words[i].clause
    )
    if document and result.aspect is None:
        # "con đi thay có cần giấy ủy quyền không": whether a proxy may go, the who part.
        proxy = any(Mark.PROXY in marks.get(i, {}) for i in document)
        result.aspect = Aspect.WHO if proxy else Aspect.DOCUMENTS
    # A long story: the sentence that says the need outweighs the context before it, and only
    # its questions are the person's ("mấy chị em bàn xong ai lấy phần nào. Giờ cần làm giấy").
    last_need = words[need_at[-1]].sentence if need_at else 0
    # A clause before the need's that tells a thing finished ("coi phim xong, | muốn làm di
    # chúc"): its subject is the story, not what is asked.
    finished = (
        {
            words[i].clause
            for i, kinds in marks.items()
            if {Mark.DONE, Mark.DONE_AFTER} & kinds.keys()
            and words[i].clause < words[need_at[-1]].clause
        }
        if need_at
        else set()
    )
    result.elsewhere = any(
        (
            Mark.QUESTION in kinds
            and not consumed[i]
            and words[i].sentence >= last_need
            and _surely(words[i], kinds[Mark.QUESTION])
        )
        or any(
            mark in kinds
            and not consumed[i]
            and words[i].sentence >= last_need
            and words[i].clause not in finished
            and _surely_topic(words[i], kinds[mark], lexicon, vocabulary)
            for mark in (Mark.TOPIC, Mark.WORK)
        )
        for i, kinds in marks.items()
    )
    # "… có được vô hộ nghèo không?" asks for the procedure; "thư viện có cho mượn sách không?"
    # without any need asks about something else.
    result.elsewhere = result.elsewhere or (not need_at and _yes_no(words, consumed))
    # "hòa giải tranh chấp đất đai nghĩa là gì": a name said under a remark is asked about.
    result.elsewhere = result.elsewhere or bool(remarked)
    read_senses(words, lexicon)
    if result.past or any(_is_year(w) for w in words):
        # A paper lost or damaged of an event long over or of a year said ("mất giấy hôn
        # thú, cưới từ năm 1992", "… cưới năm 2005"): registered then, made anew now.
        saying |= _covered(marks, Mark.DAMAGE)
    if saying:
        result.again = _asked_again(words, saying, _covered(marks, Mark.ABSENT_END))
    # "con 2 tuổi mà chưa làm giấy khai sinh. Giờ đi làm thì cần gì": when the need names
    # nothing, what is not done yet is what the person will do.
    if not need_at:
        pending = set()
    if pending:
        # What the need says: from its first word outside what is not done yet, in the sentence
        # that says the need ("cu tí nhà tôi chưa có giấy khai sinh, | nay đi làm thì sao").
        said_from = min(
            (j for j in need_at if j not in pending and words[j].sentence == last_need),
            default=len(words),
        )
        need_clause = words[need_at[-1]].clause
        told = {
            i for i, w in enumerate(words) if w.clause in done_clauses and w.clause < need_clause
        }
        if _names_something(
            words, consumed, marks, absent | pending | told, said_from, lexicon, vocabulary
        ):
            pending = set()
    for i, (word, used) in enumerate(zip(words, consumed, strict=True)):
        if used or _is_stopword(word, lexicon, vocabulary) or _final_particle(words, i, lexicon):
            continue
        word.ruled_out = i in described_papers
        word.pending = i in not_done
        if i in denied:
            word.weight, word.earlier, word.denied = word.weight * ABSENT, True, ABSENT
            word.ruled_out = True
        elif i in pending:
            pass
        elif need_at and word.clause in done_clauses and word.clause < words[need_at[-1]].clause:
            word.weight, word.earlier = word.weight * DONE_CLAUSE, True
            word.ruled_out = True
        elif i in described:
            word.weight, word.earlier = word.weight * DESCRIBED, True
        elif i in absent:
            word.weight, word.earlier, word.missing = word.weight * ABSENT, True, ABSENT
        elif i >= purpose.get(word.sentence, len(words)):
            word.weight, word.earlier = word.weight * PURPOSE_CLAUSE, True
        elif i in residence:
            word.weight, word.earlier = word.weight * RESIDENCE_TOLD, True
        elif word.sentence < last_need:
            word.weight, word.earlier = word.weight * EARLIER_SENTENCE, True
        if i in document:
            if not result.document:
                result.document_at = len(result.words)
            result.document.append(word)
        else:
            result.words.append(word)
    # Events to be done: said by words not in hand, done nor denied ("con đã có giấy khai sinh,
    # giờ bố muốn nhận con" says no birth to register).
    result.events |= frozenset(
        i
        for i, event in enumerate(lexicon.events)
        if event.to_do and says(words, event.said, in_hand=False)
    )
    if result.document and result.aspect is Aspect.ONLINE:
        # "nộp qua VNeID có phải chụp giấy tờ không": online is how, said in passing.
        result.aspect = Aspect.DOCUMENTS
    return result


def _asked_again(
    words: list[Word], saying: set[int], ends: set[int]
) -> tuple[tuple[str, ...], ...]:
    """The words of each clause that asks a paper again or says it lost or damaged, in runs
    of neighbours cut at the words saying so and at a clause's turn ("thì", "mà", "giờ":
    "mất giấy chứng sinh rồi | thì khai sinh cho con"); not when those words are read in
    another sense ("đứa con thất lạc": a person lost), nor a one-word mark typed without
    diacritics ("muc" may be "mức", "mat" "mặt")."""
    clauses = {
        words[i].clause
        for i in saying
        if OTHER_SENSE not in words[i].folded
        and (words[i].accented or i - 1 in saying or i + 1 in saying)
    }
    runs: list[tuple[str, ...]] = []
    start = 0
    for j in range(len(words) + 1):
        if j < len(words):
            word = words[j]
            if word.clause in clauses and j not in saying and j not in ends:
                continue
        # words[start:j] is a run; it names the paper only beside the words saying so.
        if j > start and (start - 1 in saying or j in saying):
            runs.append(tuple(w.folded for w in words[start:j]))
        start = j + 1
    return tuple(runs)


def read_senses(words: list[Word], lexicon: Lexicon) -> None:
    """A word whose sense the words before it decide. "lại" says "again" (a procedure done
    anew: "đăng ký lại", "làm lại", "cấp lại", "xin lại", "khai sinh lại") only in construction
    with a registering verb or right after the name of a registration; after any other verb it
    says "back" or "behind": "nhận lại con", "về lại quê", "lấy lại xe", "để lại đất". "Thất
    lạc" after a person ("đứa con thất lạc") is a person lost, not a paper. The other sense is
    spelled apart (`OTHER_SENSE`), in the catalogue and in messages alike, so it is evidence
    only for the same sense; "lại" in it is one with its verb ("lại~nhận" matches only "nhận
    lại"). Words of a kind of paper that many procedures share ("xác nhận") are spelled apart
    the same way, so the index weighs them as context: "xin giấy xác nhận" names none of
    them."""
    generic = lexicon.generic.first_words
    for i, first in enumerate(words):
        if first.folded in generic:
            found = _phrase_at(words, i, lexicon.generic)
            if found is not None:
                for other in words[i : i + found[0]]:
                    other.folded += OTHER_SENSE
                    other.accent += OTHER_SENSE
    for sense in lexicon.senses:
        for i, word in enumerate(words):
            found = _phrase_at(words, i, sense.word)
            if found is None:
                continue
            usual, longest = sense.usual, 0
            for j in range(max(0, i - 6), i):
                if words[j].folded not in sense.before.first_words:
                    continue
                for size, keep in sense.before.matches(words, j, _same_word):
                    if size == i - j and size > longest:
                        usual, longest = keep, size
            after = i + found[0]
            if (
                not longest
                and after < len(words)
                and words[after].clause == word.clause
                and _phrase_at(words, after, sense.after) is not None
            ):
                usual = False  # "nuôi | ba đứa con": raising them
            if usual or OTHER_SENSE in word.folded:
                continue
            mark = OTHER_SENSE
            if sense.joined and i > 0 and words[i - 1].clause == word.clause:
                mark += words[i - 1].folded
            for other in words[i : i + found[0]]:
                other.folded += mark
                other.accent += mark
                other.weight *= 1.0 if sense.joined else OTHER_SENSE_WEIGHT


def _purpose(
    words: list[Word],
    marks: dict[int, dict[Mark, int]],
    need_at: list[int],
    is_stopword: Callable[[Word], bool],
) -> dict[int, int]:
    """Per sentence, where its purpose begins: "xin hộ nghèo | để con được miễn học phí", "xin
    trích lục | để làm sổ đỏ" — the words after "để" say why, not what is asked for. Only
    after a need with an object in the same sentence ("thủ tục để bố nhận con" names the
    procedure after "để"); "để lại", "để trống" are not a purpose."""
    found: dict[int, int] = {}
    for i, kinds in sorted(marks.items()):
        start = _purpose_start(i, kinds)
        if start is None:
            continue
        sentence = words[i].sentence
        needs = [j for j in need_at if j < i and words[j].sentence == sentence]
        if sentence in found or not needs:
            continue
        between = range(needs[0] + marks[needs[0]][Mark.NEED], i)
        if any(Mark.NEED not in marks.get(j, {}) and not is_stopword(words[j]) for j in between):
            found[sentence] = start
    return found


def _without_conditions(
    aspects: list[T],
    spans: list[tuple[int, int]],
    words: list[Word],
    consumed: list[bool],
    marks: dict[int, dict[Mark, int]],
) -> list[T]:
    """The parts asked, without those said as a condition of another in the same sentence: the
    part before "thì" ("làm online | thì cần những gì", "nhờ người nhà đi | thì cần giấy gì")
    and the part after "nếu" ("cần giấy gì | nếu nộp qua mạng") set the case; the other one is
    what the person is unsure about."""
    if len(aspects) < 2:
        return aspects
    condition: set[int] = set()
    for at, kinds in marks.items():
        if consumed[at] or not {Mark.THEN, Mark.IF} & kinds.keys():
            continue
        here = [
            k for k, (start, _) in enumerate(spans) if words[start].sentence == words[at].sentence
        ]
        before = [k for k in here if spans[k][1] <= at]
        after = [k for k in here if spans[k][0] > at]
        if before and after:
            condition.update(before if Mark.THEN in kinds else after)
    kept = [a for k, a in enumerate(aspects) if k not in condition]
    return kept or aspects


def _purpose_start(i: int, kinds: dict[Mark, int]) -> int | None:
    """Where the purpose a mark at i opens begins: after "để", or at "đi xuất khẩu lao
    động" itself; none for "để lại"."""
    if Mark.NOT_PURPOSE in kinds:
        return None
    if Mark.PURPOSE in kinds:
        return i + kinds[Mark.PURPOSE]
    if Mark.PURPOSE_ITSELF in kinds:
        return i
    return None


def name_purpose(words: list[Word], lexicon: Lexicon) -> int:
    """Where a catalogue name or alias says its purpose ("giấy độc thân | đi xuất khẩu lao
    động"): the words from there say why the paper is wanted, as a message's purpose does,
    not what it is. A purpose comes after at least one content word ("đi nghĩa vụ" is the
    name itself); len(words) when there is none. Only a phrase that is itself a purpose:
    splitting at "để" too ("giấy độc thân | để kết hôn ở xã khác") took "kết hôn" from the
    marital-status paper and let a re-registration pass a copy ("giấy kết hôn bị rách, xin
    lại bản sao")."""
    marks = _find_all(words, lexicon.marks)
    named = False
    for i, word in enumerate(words):
        if named and Mark.PURPOSE_ITSELF in marks.get(i, {}):
            return i
        named = named or word.accent not in lexicon.stop_accented
    return len(words)


def _covered(marks: dict[int, dict[T, int]], mark: T) -> set[int]:
    """The positions the phrases of one kind cover."""
    return {j for i, kinds in marks.items() if mark in kinds for j in range(i, i + kinds[mark])}


def _in_topic(words: list[Word], marks: dict[int, dict[Mark, int]]) -> set[int]:
    """Positions inside a phrase of another subject ("thư viện | mở đến | mấy giờ", "giờ mở
    cửa", "xin việc"): a need word there is part of that subject, not a need."""
    return {
        j
        for i, kinds in marks.items()
        if Mark.TOPIC in kinds and kinds[Mark.TOPIC] > 1 and _surely(words[i], kinds[Mark.TOPIC])
        for j in range(i, i + kinds[Mark.TOPIC])
    }


def _remarked(words: list[Word], marks: dict[int, dict[Mark, int]], done: set[int]) -> set[int]:
    """Positions a remark makes the subject of a question about something else: before a worry
    or a meaning asked ("giấy kết hôn bị mối ăn | có bị làm sao không", "… | nghĩa là gì") in
    its sentence, unless that sentence asks about the procedure itself (done late, its papers:
    "khai tử trễ hai tháng có sao không") or the deed is not done yet ("chưa đăng ký … có bị
    làm sao không"); after a question of knowledge in its clause ("lịch sử của | chế độ nghĩa
    vụ quân sự", "ai là người đầu tiên | đăng ký kết hôn"). A need after a worry is still one
    ("mất giấy khai sinh có sao không, | làm lại thế nào")."""
    found: set[int] = set()
    damaged = _covered(marks, Mark.DAMAGE)
    for r, kinds in marks.items():
        sentence, clause = words[r].sentence, words[r].clause
        closing = kinds.get(Mark.REMARK_AFTER, 0) or kinds.get(Mark.MEANING, 0)
        if closing:
            before = [j for j in range(r) if words[j].sentence == sentence]
            # A deed one plans ("khai sinh cho con theo họ mẹ có sao không", "đăng ký kết hôn
            # ở xã bên vợ có ảnh hưởng gì không") asks how the procedure goes: a need. What
            # happened to a paper ("làm mất", "bị mối ăn") is no deed. A word's meaning asked
            # ("đăng ký nghĩa vụ quân sự có nghĩa là gì") plans nothing.
            planned = Mark.REMARK_AFTER in kinds and any(
                Mark.DEED in marks.get(j, {})
                and j not in damaged
                and j not in done
                # "giấy khai sinh": a paper's name, no deed.
                and not (j and Mark.PAPER in marks.get(j - 1, {}))
                for j in before
            )
            kept = any(Mark.REMARK_KEEP in marks.get(j, {}) for j in before)
            if not planned and not kept:
                found.update(j for j in range(r + closing) if words[j].sentence == sentence)
        if Mark.REMARK_BEFORE in kinds:
            found.update(j for j in range(r, len(words)) if words[j].clause == clause)
    return found


def _reported(
    words: list[Word], marks: dict[int, dict[Mark, int]], lexicon: Lexicon, *, asks: bool
) -> set[int]:
    """A story heard of another person ("nghe nói ông hàng xóm viết di chúc chia hết cho con
    út"): the rest of its sentence is theirs, when the message asks nothing at all (no question
    word, no "… không", no "làm sao"); "nghe nói ông Ba làm khai tử nhanh, nộp ở đâu" asks."""
    if asks:
        return set()
    found = {
        j
        for r, kinds in marks.items()
        if Mark.REPORT in kinds
        for j in range(r, len(words))
        if words[j].sentence == words[r].sentence
    }
    # "mời cả họ đến dự lễ đăng ký kết hôn", "cảm ơn xã đã tặng giấy khen": an occasion
    # opening its sentence ("di chúc" holds no wish), in its clause; "cảm ơn, giờ em muốn làm
    # giấy xác nhận độc thân" says a wish.
    for r, kinds in marks.items():
        if Mark.OCCASION not in kinds or (r and words[r - 1].sentence == words[r].sentence):
            continue
        clause = _clause(words, r, start=r)
        if not any(Mark.WISH in marks.get(j, {}) for j in clause):
            found.update(clause)
    # "tháng trước thằng em tôi đăng ký kết hôn ở xã": a deed lately done. A clause that says
    # a wish ("muốn", "cần", "định") or turns to now ("nay", "giờ") still asks.
    for r, kinds in marks.items():
        if Mark.RECENT not in kinds:
            continue
        clause = _clause(words, r)
        wish = any({Mark.TURN, Mark.WISH} & marks.get(j, {}).keys() for j in clause)
        # Told of someone: the deed has words before it besides the time ("thằng em tôi | đăng
        # ký"); a name said first ("khai sinh cho con mới sinh tuần trước") is a request.
        told = [k for k in clause if not r <= k < r + kinds[Mark.RECENT]]
        if not wish:
            found.update(
                j for j in clause if Mark.DEED in marks.get(j, {}) and told and told[0] < j
            )
    return found


def _clause(words: list[Word], at: int, start: int = 0) -> list[int]:
    """The positions of the clause of words[at], from `start` on."""
    return [j for j in range(start, len(words)) if words[j].clause == words[at].clause]


def _asks(words: list[Word], marks: dict[int, dict[Mark, int]], lexicon: Lexicon) -> bool:
    """Whether the message asks anything: a question word, "… không", "làm sao", "chưa"."""
    if any(Mark.QUESTION in kinds for kinds in marks.values()) or says(words, lexicon.how):
        return True
    return any(w.accent in _YES_NO or w.folded in {"sao", "chua"} for w in words)


def _told(
    words: list[Word],
    marks: dict[int, dict[Mark, int]],
    need_at: list[int],
    lexicon: Lexicon,
    vocabulary: Vocabulary,
    *,
    asks: bool,
) -> set[int]:
    """News told, nothing asked (nm8): a status held ("nhà tui đạt gia đình văn hóa mười năm
    liền rồi", "nhà bác được công nhận hộ nghèo từ năm ngoái", "con được giấy khen của xã":
    lexicon `statuses_told`), or a deed someone did, its clause closed by "rồi" ("chủ trọ đăng
    ký tạm trú cho cả dãy rồi, tụi em yên tâm") or just after "vừa" ("cô em họ vừa làm giấy
    kết hôn …"), after a subject (a deed said first, "khai sinh cho con rồi", tells no one's
    deed; "giấy đăng ký kết hôn" is a paper's name). Only in a message that asks nothing, says
    no wish ("muốn được công nhận …"; "khỏi phải" is relief, no wish), names no part of a
    procedure ("điều kiện được công nhận …") and needs nothing besides: "nhà là hộ nghèo, xin
    vay vốn" still asks."""
    if asks:
        return set()
    found = _covered(marks, Mark.STATUS_TOLD)
    # The status's own words are no wish ("gia dinh" typed plain is no "định").
    relieved = _covered(marks, Mark.RELIEF) | found
    for i, kinds in marks.items():
        if (Mark.WISH in kinds and i not in relieved) or Mark.REMARK_KEEP in kinds:
            return set()
    # Marks that are no subject of a deed: "đã", "vừa", "giờ", a need or a loss.
    not_subject = {Mark.DONE_BEFORE, Mark.JUST_DONE, Mark.TURN, Mark.NEED, Mark.DAMAGE}
    for j, kinds in marks.items():
        # "giấy | đăng ký kết hôn", "giấy cưới" (chứng nhận): a paper's name, no deed.
        if Mark.DEED not in kinds or _negated(words, j, marks):
            continue
        if words[j].named or (j and Mark.PAPER in marks.get(j - 1, {})):
            continue
        clause = _clause(words, j)
        ends = [k for k in clause if k > j and Mark.CLOSED in marks.get(k, {})]
        # "cô em họ vừa làm giấy kết hôn …": done lately.
        lately = any(
            k + marks[k][Mark.JUST_DONE] == j
            for k in clause
            if k < j and Mark.JUST_DONE in marks.get(k, {})
        )
        someone = any(
            not not_subject & marks.get(k, {}).keys()
            and not _is_stopword(words[k], lexicon, vocabulary)
            for k in clause
            if k < j
        )
        if (ends or lately) and someone:
            # The deed's own words up to its close ("vừa làm | khai sinh cho thằng cu").
            end = ends[0] if ends else len(words)
            found.update(k for k in clause if j <= k < end and (k == j or k in need_at))
    if not found or any(i not in found for i in need_at):
        return set()
    return found


def _period(words: list[Word]) -> bool:
    """Two years in one sentence ("năm 2019 tới 2021", "từ 1965 đến 1975"): a period told."""
    years = [w.sentence for w in words if _is_year(w)]
    return len(years) > len(set(years))


def _is_year(word: Word) -> bool:
    """A year written in four digits ("1992")."""
    return len(word.folded) == 4 and word.folded.isdigit()


def _main_aspect(aspects: list[Aspect]) -> Aspect | None:
    """The part asked about: "khai sinh online mất bao lâu" asks how long (online is how the
    dossier is filed, said in passing), so any other part wins over the online one — but a
    place beside it is the office one would go to instead: "qua mạng được không hay phải lên
    xã" asks whether it can be done online."""
    if Aspect.ONLINE in aspects and Aspect.WHERE in aspects:
        aspects = [a for a in aspects if a is not Aspect.WHERE]
    for aspect in aspects:
        if aspect is not Aspect.ONLINE:
            return aspect
    return aspects[0] if aspects else None


def _mark_frames(
    words: list[Word],
    consumed: list[bool],
    frames: Sequence[Frame[T]],
    vocabulary: Vocabulary,
    described: set[int] | None = None,
    objects: frozenset[int] | set[int] = frozenset(),
    people: T | None = None,
) -> list[T]:
    """Frames: parts of a question with words between them ("bà nội có được đi | khai sinh cho
    cháu | không"). Only the parts are marked; the words between stay, since they name the
    procedure. Each part is a pattern; the next part starts within `gap` words, in the same
    sentence, on words not yet marked. A later part's last word (not a stop word) that begins a
    catalogue pair with the word after it belongs to the name, not to the frame: "hộ" in "xin
    hộ nghèo được không" is a household, not "on behalf"."""
    found: list[T] = []
    for frame in frames:
        starts = frame.parts[0].first_words  # most words start no frame: skip them cheaply
        for i in range(len(words)):
            if words[i].folded not in starts or (i in objects and frame.value == people):
                continue
            spans = _frame_at(words, consumed, frame, i, vocabulary)
            if spans is None:
                continue
            for k, (start, end) in enumerate(spans):
                if not (frame.left and frame.left[k]):
                    consumed[start:end] = [True] * (end - start)
            if described is not None and len(spans) > 2:
                # "người độc thân | có được | nhận con nuôi không": who is described, not what
                # is asked.
                described.update(range(spans[0][1], spans[1][0]))
            found.append(frame.value)
            break
    return found


def _frame_at(
    words: list[Word], consumed: list[bool], frame: Frame[T], i: int, vocabulary: Vocabulary
) -> list[tuple[int, int]] | None:
    spans: list[tuple[int, int]] = []
    start = i
    for k, part in enumerate(frame.parts):
        starts = [start] if k == 0 else range(start, min(len(words), start + frame.gaps[k - 1] + 1))
        for at in starts:
            if consumed[at] or words[at].sentence != words[i].sentence:
                continue
            match = _phrase_at(words, at, part)
            if match is None or any(consumed[at : at + match[0]]):
                continue
            end, last = at + match[0], words[at + match[0] - 1].folded
            if (
                k > 0
                and not (frame.left and frame.left[k])
                and end < len(words)
                and not vocabulary.leans_stop(last)
                and vocabulary.is_pair(last, words[end].folded)
            ):
                continue  # "xin hộ | nghèo": the name goes on ("có được | nhận" is the frame)
            spans.append((at, end))
            start = end
            break
        else:
            return None
    return spans


def _done(words: list[Word], i: int, marks: dict[int, dict[Mark, int]]) -> bool:
    """A deed ("làm", "viết", "đăng ký") told as done: "đã" just before it, "xong" after it,
    or a word of the past in its clause ("hồi trước", "từng" — but not "chưa từng")."""
    if Mark.DEED not in marks[i] or _negated(words, i, marks):  # "chưa làm": not done
        return False
    clause = words[i].clause
    before = [j for j in range(max(0, i - 2), i) if words[j].clause == clause]
    if any(Mark.DONE_BEFORE in marks.get(j, {}) for j in before):
        return True
    for j, kinds in marks.items():
        if words[j].clause != clause or _negated(words, j, marks):
            continue
        if Mark.DONE in kinds or (Mark.DONE_AFTER in kinds and j > i):
            return True
    return False


def _absent(
    words: list[Word],
    marks: dict[int, dict[Mark, int]],
    vocabulary: Vocabulary,
    generic: set[int] | frozenset[int] = frozenset(),
) -> tuple[set[int], set[int]]:
    """The words of a thing said to be missing, its whole noun phrase ("chẳng có đồng lương
    hưu nào", "không có bảo hiểm xã hội thì…", "không có chế độ bảo hiểm xã hội gì"): after
    "không có", in its clause, up to a word that starts something else ("thì", "mà", a question
    word, a need or verb: "không có giấy chứng sinh | khai sinh được không"). A need word
    continues the phrase when it is its first word ("không có chế độ") or makes a catalogue
    pair with the word before ("giấy | đăng ký kết hôn").

    Returned apart, the words said not to be needed at all (`Mark.DENIED`, with the marker's
    own verb: "không ghi tên bố", "bố không chịu nhận", "chứ không phải con nuôi", "đã có
    khai sinh"; a paper in hand, "bé có giấy khai sinh rồi"): what is missing may well be
    what the person needs ("chưa có giấy khai sinh"), what is denied or held is not."""
    missing: set[int] = set()
    denied: set[int] = set()
    for start, kinds in marks.items():
        if Mark.ABSENT in kinds:
            missing |= _phrase_after(words, marks, vocabulary, start, kinds[Mark.ABSENT])
        # "không nhận được tiền", "không ghi được": not done, rather than refused.
        if Mark.DENIED in kinds and Mark.ABLE not in marks.get(start + kinds[Mark.DENIED], {}):
            denied |= _phrase_after(
                words, marks, vocabulary, start, kinds[Mark.DENIED], generic=generic
            )
    for start, kinds in marks.items():
        if Mark.HELD in kinds:
            held = _held(words, marks, vocabulary, start + 1, generic)
            # "có giấy … rồi nhưng bị mất": had, and lost since — no longer in hand.
            lost = any(
                Mark.DAMAGE in marks.get(j, {})
                for j in range(max(held, default=len(words)), len(words))
                if words[j].sentence == words[start].sentence
            )
            if not lost:
                denied |= held
    return missing - denied, denied


def _paper_before(words: list[Word], vocabulary: Vocabulary, at: int) -> set[int]:
    """The catalogue name (two words or more, each a pair with the next) just before a word
    saying it is done or had ("… vào khai sinh | đã làm"): that paper is in hand."""
    first = at - 1
    while (
        first > 0
        and words[first - 1].clause == words[at].clause
        and vocabulary.is_pair(words[first - 1].folded, words[first].folded)
    ):
        first -= 1
    return set(range(first, at)) if at - first >= 2 else set()


def _paper_described(
    words: list[Word], marks: dict[int, dict[Mark, int]], vocabulary: Vocabulary, at: int
) -> set[int]:
    """A paper a clause begins with, described by what it says or lacks: "giấy khai sinh |
    không có tên bố", "khai sinh của cháu | không ghi tên mẹ", "giấy khai sinh của tôi | chỉ
    có tên bố" — the paper exists (in hand). Its name is a catalogue name (each word a pair
    with the next), after a paper word or before "của" and its owner (one or two words): "khai
    sinh không ghi tên bố được không" asks for a registration."""
    first = at
    while first > 0 and words[first - 1].clause == words[at].clause:
        first -= 1
    j = first + marks.get(first, {}).get(Mark.PAPER, 0)
    paper = j > first
    end = j + 1
    while end < at and vocabulary.is_pair(words[end - 1].folded, words[end].folded):
        end += 1
    if end - j < 2 and not (paper and end - j == 1):
        return set()
    owner = Mark.OF in marks.get(end, {}) and 0 < at - end - 1 <= 2
    if (end == at and paper) or owner:
        return set(range(first, end))
    return set()


def _phrase_after(
    words: list[Word],
    marks: dict[int, dict[Mark, int]],
    vocabulary: Vocabulary,
    start: int,
    size: int,
    most: int = ABSENT_WORDS,
    generic: set[int] | frozenset[int] = frozenset(),
) -> set[int]:
    """A marker ("không có", "không ghi") and the noun phrase after it (see `_absent`), of at
    most `most` words; a kind of paper many share (`generic`: "giấy xác nhận …") continues it."""
    clause = words[start].clause
    first = start + size
    if words[first - 1].clause != clause:  # "… được không? Nhận con nuôi …": two questions
        return set()
    found = set(range(start, first))  # the marker's own verb ("không ghi") is denied too
    for j in range(first, min(len(words), first + most)):
        here = marks.get(j, {})
        if words[j].clause != clause or Mark.ABSENT_END in here or Mark.QUESTION in here:
            break
        if (
            Mark.NEED in here
            and j > first
            and j not in generic
            and not vocabulary.is_pair(words[j - 1].folded, words[j].folded)
        ):
            break
        found.add(j)
    return found


def _copied(
    words: list[Word], marks: dict[int, dict[Mark, int]], vocabulary: Vocabulary
) -> set[int]:
    """The papers a copy or a certification is made of: "chứng thực bản sao | giấy phép lái
    xe với cà vẹt xe", "bản photo | sổ hộ khẩu" — the noun phrase after the copy word."""
    found: set[int] = set()
    for start, kinds in marks.items():
        if Mark.COPY in kinds:
            found |= _phrase_after(words, marks, vocabulary, start, kinds[Mark.COPY], COPIED_WORDS)
    return found


def _pending(
    words: list[Word], marks: dict[int, dict[Mark, int]], vocabulary: Vocabulary
) -> set[int]:
    """What is said not to be done yet: "chưa làm giấy khai sinh", "chưa đăng ký kết hôn",
    "chưa nhập hộ khẩu", "chưa có giấy khai sinh" — the words after "chưa" when the first is a
    need or a paper held ("có giấy…"), to the end of their noun phrase."""
    found: set[int] = set()
    for start, kinds in marks.items():
        if Mark.PENDING not in kinds:
            continue
        first = start + kinds[Mark.PENDING]
        here = marks.get(first, {})
        # The verb ("làm", "nhập", "có") and then what it is done to.
        verb = here.get(Mark.NEED, 0) or (1 if Mark.HELD in here else 0)
        if verb:
            found |= _phrase_after(words, marks, vocabulary, first, verb)
    return found


def _turn(
    words: list[Word],
    marks: dict[int, dict[Mark, int]],
    need_at: list[int],
    pending: set[int],
    lexicon: Lexicon,
    vocabulary: Vocabulary,
) -> None:
    """ "vợ tui mất lâu rồi, giờ làm giấy tờ đất …": a clause that starts with "giờ", "bây giờ",
    "nay" turns from the story to what is wanted now. When no need stands before it in its
    sentence, and one comes after that names something ("bố mất, giờ phải làm giấy tờ gì"
    names nothing: the story says it all), the words from there on are read as a sentence of
    their own (the story before it is context, as an earlier sentence is). A need before it
    that only tells the story does not stand in the way (`_tells`): damage to a paper ("giấy
    báo tử bị mất, giờ xin lại bản sao"), a catalogue name it begins ("khai tử rồi, giờ …") or
    a deed said not done yet (`pending`: "hai đứa chưa đăng ký kết hôn, có con rồi, giờ anh ấy
    muốn nhận con" — the state is the story, the need is what is wanted now)."""
    unread = [False] * len(words)
    damaged = _covered(marks, Mark.DAMAGE)
    for t in sorted(i for i, kinds in marks.items() if Mark.TURN in kinds):
        if t == 0 or words[t - 1].clause == words[t].clause:
            continue  # not at the start of a clause
        sentence = words[t].sentence
        if words[t - 1].sentence != sentence:
            continue  # already a sentence of its own
        same = [j for j in need_at if words[j].sentence == sentence]
        if not any(j >= t for j in same):
            continue
        # A deed said not done yet tells the story when the turn says a wish ("…, giờ anh
        # ấy muốn nhận con"); without one it may well be what is asked ("…, giờ đi làm ở đâu").
        wish = any(Mark.WISH in marks.get(j, {}) for j in _clause(words, t, start=t))
        if any(
            j < t
            and not (wish and j in pending)
            and not _tells(words, marks, j, damaged, vocabulary)
            for j in same
        ):
            continue
        if not _names_something(words, unread, marks, set(), t, lexicon, vocabulary):
            continue
        for word in words[t:]:
            word.sentence += 1


def _tells(
    words: list[Word],
    marks: dict[int, dict[Mark, int]],
    j: int,
    damaged: set[int],
    vocabulary: Vocabulary,
) -> bool:
    """Whether the need word at j tells the story rather than asks: damage to a paper ("bị
    mất", "thất lạc"), or a one-word need that begins a catalogue name with the next word,
    itself no need ("khai | tử rồi", "trích lục khai | tử"): the paper, not a deed asked."""
    if j in damaged:
        return True
    after = j + 1
    return (
        marks[j][Mark.NEED] == 1
        and after < len(words)
        and Mark.NEED not in marks.get(after, {})
        and vocabulary.is_pair(words[j].folded, words[after].folded)
    )


def _residence_told(
    words: list[Word],
    consumed: list[bool],
    marks: dict[int, dict[Mark, int]],
    need_at: list[int],
    aside: set[int],
    lexicon: Lexicon,
    vocabulary: Vocabulary,
) -> set[int]:
    """Where someone lives, told as a state: "mẹ sống ở quê, hộ khẩu cũng ở đó, mẹ mất, khai
    tử ở đâu", "em ở trọ gần khu công nghiệp, giờ muốn đăng ký kết hôn" — the words of a
    residence (`Mark.RESIDENCE`) that no need before them in their clause takes as its object
    ("nhập hộ khẩu", "khai báo tạm trú", "chuyển hộ khẩu về quê" are asked for). Only when the
    message asks for something and names something else: "ở trọ 6 tháng, đăng ký ở đâu" asks
    for the residence."""
    told: set[int] = set()
    if not need_at:  # "thường trú nộp rồi bao giờ xong": nothing else is asked for
        return told
    for start, kinds in marks.items():
        if Mark.RESIDENCE not in kinds:
            continue
        clause = words[start].clause
        here = [j for j in need_at if words[j].clause == clause]
        if any(j < start for j in here):
            continue  # "nhập hộ khẩu", "khai báo tạm trú": asked for
        opens = all(
            words[j].clause != clause or _is_stopword(words[j], lexicon, vocabulary)
            for j in range(start)
        )
        if opens and any(
            not _has_object(words, consumed, j + marks[j][Mark.NEED], lexicon, vocabulary)
            for j in here
        ):
            continue  # "thường trú cho bé mới sinh | làm thế nào": said first, then asked for
        told.update(range(start, start + kinds[Mark.RESIDENCE]))
    if not told or not _names_something(
        words, consumed, marks, aside | told, 0, lexicon, vocabulary
    ):
        return set()
    return told


def _has_object(
    words: list[Word], consumed: list[bool], at: int, lexicon: Lexicon, vocabulary: Vocabulary
) -> bool:
    """Whether a need's own object follows it in its clause (from `at`, stop words stepped
    over): "làm | công nhân" has one, "làm | thế nào" (a part asked) or "nộp | hôm qua" not."""
    clause = words[at - 1].clause
    while at < len(words) and words[at].clause == clause and not consumed[at]:
        if not _is_stopword(words[at], lexicon, vocabulary):
            return True
        at += 1
    return False


def _names_something(
    words: list[Word],
    consumed: list[bool],
    marks: dict[int, dict[Mark, int]],
    aside: set[int],
    start: int,
    lexicon: Lexicon,
    vocabulary: Vocabulary,
) -> bool:
    """Whether the need, from `start`, names anything of the catalogue besides need words
    ("làm", "đăng ký"), context words and the positions set `aside`: "giờ đi làm thì cần gì"
    names nothing, "giờ đăng ký kết hôn được không" does. A context word names something
    right after a one-word need it makes a catalogue pair with ("giờ anh ấy muốn nhận con":
    the pair "nhận con" is a name's), unless it is a paper's word ("giờ xin giấy gì")."""
    needs = _covered(marks, Mark.NEED)
    context = lexicon.context_words
    return any(
        not consumed[i]
        and i not in aside
        and i not in needs
        and i >= start
        and word.folded in vocabulary
        and (
            word.folded not in context
            or (
                marks.get(i - 1, {}).get(Mark.NEED) == 1
                and i - 1 >= start
                and Mark.PAPER not in marks.get(i, {})
                and vocabulary.is_pair(words[i - 1].folded, word.folded)
            )
        )
        and not _is_stopword(word, lexicon, vocabulary)
        for i, word in enumerate(words)
    )


def _held(
    words: list[Word],
    marks: dict[int, dict[Mark, int]],
    vocabulary: Vocabulary,
    first: int,
    generic: set[int] | frozenset[int] = frozenset(),
) -> set[int]:
    """A paper said to be in hand already: "bé có giấy khai sinh rồi" — the words between "có"
    and "rồi", in one clause, with no question word and no need among them (a need word first,
    or making a catalogue pair with the word before, is part of the name: "giấy | khai sinh";
    so is a kind of paper many share, `generic`: "giấy xác nhận khuyết tật"); else nothing.
    Only a paper ("có giấy…", "có sổ…"): "người có công mất rồi" is a person."""
    for j in range(first, min(len(words), first + ABSENT_WORDS + 1)):
        here = marks.get(j, {})
        if words[j].clause != words[first - 1].clause:
            return set()
        if Mark.HELD_END in here:  # "rồi", "từ" (năm ngoái): the end is context too
            return set(range(first, j + here[Mark.HELD_END]))
        if Mark.QUESTION in here or Mark.ABSENT_END in here:
            return set()
        if Mark.NEED in here and not (
            j == first or j in generic or vocabulary.is_pair(words[j - 1].folded, words[j].folded)
        ):
            return set()
    return set()


def _negated(words: list[Word], j: int, marks: dict[int, dict[Mark, int]]) -> bool:
    """ "chưa từng", "chưa xong": not done at all."""
    return j > 0 and Mark.NOT_YET in marks.get(j - 1, {}) and words[j - 1].clause == words[j].clause


def _for_other_subject(
    words: list[Word],
    i: int,
    marks: dict[int, dict[Mark, int]],
    lexicon: Lexicon,
    vocabulary: Vocabulary,
) -> bool:
    """A need whose object is a thing of another subject: "nhận nuôi [một con] chó", "viết
    [cuốn] sách". Further needs, stop words and counting words ("một", "con") are stepped
    over; the first word that names something decides."""
    clause = words[i].clause
    j = i + marks[i][Mark.NEED]
    while j < len(words) and words[j].clause == clause:
        kinds = marks.get(j, {})
        if Mark.TOPIC in kinds and Mark.QUESTION not in kinds:  # "mấy giờ" asks
            return _surely_topic(words[j], kinds[Mark.TOPIC], lexicon, vocabulary)
        if Mark.NEED in kinds:
            j += kinds[Mark.NEED]
        elif Mark.COUNTER in kinds or _is_stopword(words[j], lexicon, _NO_VOCABULARY):
            j += kinds.get(Mark.COUNTER, 1)
        else:
            return False
    return False


class _NoVocabulary:
    def __contains__(self, folded: object) -> bool:
        return False

    def leans_stop(self, folded: str) -> bool:
        return True

    def is_pair(self, first: str, second: str) -> bool:
        return False

    def initialism(self, folded: str) -> Initialism | None:
        return None


_NO_VOCABULARY = _NoVocabulary()


def _final_particle(words: list[Word], i: int, lexicon: Lexicon) -> bool:
    """A stop word typed without diacritics among the last words of a sentence, after which
    come only such words ("… can nhung gi vay ad", "… nha"): particles (vậy, nha), though the
    catalogue may use "vay", "nhà"."""
    sentence = words[i].sentence
    for word in words[i:]:
        if word.sentence != sentence:
            break
        if word.trusted or word.folded not in lexicon.stop_folded:
            return False
    return True


def _surely(word: Word, size: int) -> bool:
    """One word typed without its marks is too often another word to say the message is about
    something else ("gia" đình is not "giá", "sao" may be "bản sao", "dau" may be "con dâu");
    a phrase of several words, or a word typed with its marks, is not."""
    return size > 1 or word.accented or (word.trusted and not word.loose)


def _surely_topic(word: Word, size: int, lexicon: Lexicon, vocabulary: Vocabulary) -> bool:
    """A word of another subject said surely (`_surely`), or one spelled without marks that
    the catalogue never uses, typed plain where it lost none: in a message typed with marks
    ("phim"), or a word no marks could make Vietnamese ("game", "review")."""
    return _surely(word, size) or (
        word.folded in lexicon.plain_topics
        and word.folded not in vocabulary
        and (word.trusted or not is_syllable(word.folded))
    )


_YES_NO = frozenset(accent_key(w) for w in ("không", "chưa", "hả", "à", "hông", "hem", "hok"))


def _yes_no(words: list[Word], consumed: list[bool]) -> bool:
    """A sentence ending in "không", "chưa", "hả": a yes-or-no question."""
    ends = [
        i
        for i in range(len(words))
        if i + 1 == len(words) or words[i + 1].sentence > words[i].sentence
    ]
    return any(not consumed[i] and words[i].accent in _YES_NO for i in ends)


def _decode(word: Word, lexicon: Lexicon, vocabulary: Vocabulary) -> Word:
    """Telex or VNI keystrokes ("caafn", "ca62n") → the word with its marks ("cần"), when that
    word is one the catalogue or the lexicon knows."""
    key = word.folded
    if (
        word.accented
        or key in vocabulary
        or key in lexicon.abbreviations
        or key in lexicon.ambiguous
        or key in lexicon.dialect
        or key in lexicon.known_words  # "of", "marriage": written as meant
        or vocabulary.initialism(key) is not None  # "ctck": a name's first letters
        or (key.isalpha() and is_syllable(key) and not _TELEX_DOUBLE.search(key))
    ):
        return word
    decoded = vni_decode(key) if not key.isalpha() else telex_decode(key)
    if decoded is None and key.isalpha() and not is_syllable(key):
        # Two letters typed in the wrong order ("cna" for "can", "hno" for "hon"): a word of
        # the catalogue or of the lexicon's patterns, still without marks.
        swaps = [key[:k] + key[k + 1] + key[k] + key[k + 2 :] for k in range(len(key) - 1)]
        known = [w for w in swaps if is_syllable(w) and w in lexicon.known_words]
        catalogue = [w for w in swaps if is_syllable(w) and w in vocabulary]
        both = [w for w in known if w in catalogue]
        for found in both or catalogue or known:
            word.folded, word.accent = found, found
            break
        return word
    if decoded is None:
        return word
    folded, accent = fold(decoded), accent_key(decoded)
    if folded not in vocabulary and folded not in lexicon.known_words:
        # A final consonant left out ("nooj" for "noojp"): the one word of the lexicon it
        # may complete, with the same marks ("nộp").
        shape, tone = split_accent_key(accent)
        completed = [
            shape + final + tone
            for final in _FINALS
            if shape + final + tone in lexicon.known_accents
        ]
        if len(completed) != 1:
            return word
        folded, accent = fold(completed[0]), completed[0]
    elif accent not in lexicon.known_accents and (
        folded not in vocabulary or not split_accent_key(accent)[1]
    ):
        # A tone key left out ("ow" for "owr", ở): its marks say nothing, as if typed plain.
        word.folded, word.accent = folded, folded
        return word
    word.folded, word.accent, word.accented = folded, accent, True
    return word


def _expand(words: list[Word], lexicon: Lexicon, vocabulary: Vocabulary) -> list[Word]:
    expanded: list[Word] = []
    for at, word in enumerate(words):
        key = word.folded
        if key in vocabulary:
            expanded.append(word)
        elif key in lexicon.abbreviations and not _marked_word(word, lexicon):
            expansion = lexicon.abbreviations[key]
            share = min(1.0, 2 / len(expansion))
            for folded, raw in zip(expansion, lexicon.expansion_words[key], strict=False):
                expanded.append(
                    Word(
                        folded,
                        accent_key(raw),
                        True,
                        weight=share,
                        sentence=word.sentence,
                        clause=word.clause,
                    )
                )
        elif key in lexicon.ambiguous:
            choices = lexicon.ambiguous[key]
            before = expanded[-1].folded if expanded else None
            after = _plain_next(words, at + 1, lexicon)
            chosen = _by_context(choices, before, after, vocabulary)
            expanded += _readings(word, chosen, choice=False)
        elif (initialism := vocabulary.initialism(key)) is not None:
            # "ctck" → chứng thực chữ ký; letters several procedures' names share leave the
            # choice to the person, as "tt" does.
            # Letters several procedures' names share: a choice even where they agree.
            expanded += _readings(word, initialism.words, choice=initialism.choice)
        elif key in lexicon.dialect and (
            not word.accented or word.accent == lexicon.dialect_accents[key]
        ):
            standard = lexicon.dialect[key]
            word.folded, word.accent, word.accented = fold(standard), accent_key(standard), True
            expanded.append(word)
        else:
            expanded.append(word)
    return expanded


def _marked_word(word: Word, lexicon: Lexicon) -> bool:
    """Typed with tone or vowel marks that make a word of the lexicon: "à" ending a question is
    not chat's "a" (anh), "ê" no "e" (em); "kô" is still "ko" (không), "đk" still "dk"."""
    return word.accent.replace("đ", "d") != word.folded and word.accent in lexicon.known_accents


def _readings(word: Word, readings: Sequence[Sequence[PhraseWord]], *, choice: bool) -> list[Word]:
    """The words a typed word may stand for ("kh": kết hôn or không; "ctck"), each weighing a
    share; a word that may be any of several ("tt": tạm trú or thường trú) keeps the others, and
    with `choice` even a word they agree on does, so the person chooses."""
    share = min(1.0, 2 / len(readings))
    result = []
    for alternatives in readings:
        (folded, accent), *others = alternatives
        result.append(
            Word(
                folded,
                accent,
                True,
                weight=share,
                others=tuple(f for f, _ in others) or ((folded,) if choice else ()),
                sentence=word.sentence,
                clause=word.clause,
            )
        )
    return result


def _plain_next(words: list[Word], at: int, lexicon: Lexicon) -> str | None:
    """The first word of what follows, abbreviations expanded ("kh ck" → chồng)."""
    if at >= len(words):
        return None
    key = words[at].folded
    if key in lexicon.abbreviations:
        return lexicon.abbreviations[key][0]
    return key


Expansion = tuple[tuple[PhraseWord, ...], ...]


def _by_context(
    choices: tuple[Expansion, ...], before: str | None, after: str | None, vocabulary: Vocabulary
) -> Expansion:
    """The meaning of an ambiguous abbreviation that makes a catalogue pair with a neighbour
    ("đk kh": ký + kết → kết hôn); the first meaning when none or several do."""
    fitting = [
        choice
        for choice in choices
        if (before and any(vocabulary.is_pair(before, f) for f, _ in choice[0]))
        or (after and any(vocabulary.is_pair(f, after) for f, _ in choice[-1]))
    ]
    return fitting[0] if len(fitting) == 1 else choices[0]


@lru_cache(maxsize=4096)
def _a_paper_only(standard: tuple[PhraseWord, ...], marks: PhraseTable[Mark]) -> bool:
    """Whether the standard words of an everyday name begin with a paper and ask no copy
    ("giấy chứng nhận kết hôn", not "bản sao chứng thực"): read once per name, not per
    message (the lexicon's tables do not change while it is in use)."""
    found = _find_all([Word(f, a, True, True) for f, a in standard], marks)
    return Mark.PAPER in found.get(0, {}) and not any(Mark.COPY in k for k in found.values())


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
        first = words[i]
        # A paper's name an everyday name stands for ("giấy hôn thú" → "giấy chứng nhận kết
        # hôn", "giấy tử" → "giấy chứng tử"): its words ("nhận") ask nothing, unless the
        # person's own words did. A copy to be certified ("bản photo" → "bản sao chứng thực")
        # says the act wanted, not only a paper.
        named = _a_paper_only(standard, lexicon.marks) and not any(
            Mark.NEED in kinds for kinds in _find_all(words[i : i + size], lexicon.marks).values()
        )
        result.extend(
            Word(
                folded,
                accent,
                True,
                True,
                weight=first.weight,
                sentence=first.sentence,
                clause=first.clause,
                named=named,
            )
            for folded, accent in standard
        )
        i += size
    return result


def _whole(words: list[Word], lexicon: Lexicon) -> list[Word]:
    """A word cut short, read whole ("mang ra xã chứng được không": chứng thực) when typed
    with its marks and followed by the end of its clause or a word that may follow the whole
    ("được", "giùm", "chữ ký"), and not after a word it makes another word with ("làm
    chứng", "bằng chứng"): "chứng minh", "chứng chỉ", "người làm chứng" stay themselves."""
    if not lexicon.shortened:
        return words
    result: list[Word] = []
    for i, word in enumerate(words):
        short = next(
            (s for s in lexicon.shortened if word.accented and word.accent == s.word[1]), None
        )
        if (
            short is not None
            and (i == 0 or words[i - 1].folded not in short.not_after)
            and (
                i + 1 < len(words)
                and words[i + 1].clause == word.clause
                and _phrase_at(words, i + 1, short.before) is not None
            )
        ):
            result.extend(
                replace(word, folded=folded, accent=accent, others=())
                for folded, accent in short.whole
            )
        else:
            result.append(word)
    return result


def _mark_all(
    words: list[Word],
    consumed: list[bool],
    table: PhraseTable[T],
    vocabulary: Vocabulary | None = None,
    name_ends: frozenset[str] = frozenset(),
    spans: list[tuple[int, int]] | None = None,
) -> list[T]:
    """Mark the phrases of the table (leftmost, longest); return the kinds found, in order.
    With a vocabulary, a phrase's last words that begin a catalogue name with the words after
    them stay unmarked: "ai được đi khai | tử", "bao giờ thì phải đi đăng ký | kết hôn"; and
    a phrase whose first word is one of `name_ends` and continues a catalogue name begun by
    the word before is none: "mai táng phí làm ở đâu" names the procedure, asks no fee.
    With `spans`, where each phrase found starts and ends is added to it."""
    found: list[T] = []
    first_words = table.first_words
    i = 0
    while i < len(words):
        # Most words start no phrase: tested here, before any call.
        match = (
            None
            if consumed[i]
            or words[i].folded not in first_words
            or (vocabulary is not None and _continues_name(words, i, vocabulary, name_ends))
            else _phrase_at(words, i, table)
        )
        if match is None:
            i += 1
            continue
        size, kind = match
        while (
            vocabulary is not None
            and size > 1
            and i + size < len(words)
            and vocabulary.is_pair(words[i + size - 1].folded, words[i + size].folded)
        ):
            size -= 1
        consumed[i : i + size] = [True] * size
        found.append(kind)
        if spans is not None:
            spans.append((i, i + size))
        i += size
    return found


def _continues_name(
    words: list[Word], i: int, vocabulary: Vocabulary, name_ends: frozenset[str]
) -> bool:
    """Whether words[i], a word that may continue a catalogue name ("phí": "mai táng phí",
    "chi phí"; "ủy": "giấy ủy quyền"), continues one begun by the word before it: then it
    starts no part asked about."""
    return (
        i > 0
        and words[i].folded in name_ends
        and vocabulary.is_pair(words[i - 1].folded, words[i].folded)
    )


def _find_all(words: list[Word], table: PhraseTable[T]) -> dict[int, dict[T, int]]:
    """Where the phrases of the table start, each kind with its longest size; nothing removed."""
    found: dict[int, dict[T, int]] = {}
    for i, word in enumerate(words):
        if word.folded not in table.first_words:
            continue
        for size, kind in table.matches(words, i, _same_word):
            kinds = found.setdefault(i, {})
            kinds[kind] = max(kinds.get(kind, 0), size)
    return found


def _document(
    words: list[Word], marks: dict[int, dict[Mark, int]], max_words: int
) -> tuple[set[int], range]:
    """The positions between "có cần / phải mang" and "không": the document asked about; and
    the whole question, "có cần" to "không"."""
    for start, kinds in marks.items():
        if Mark.OPENING not in kinds:
            continue
        first = start + kinds[Mark.OPENING]
        end = first
        while end < len(words) and Mark.CLOSING not in marks.get(end, {}):
            end += 1
        if end < len(words) and 0 < end - first <= max_words:
            return set(range(first, end)), range(start, end + 1)
    return set(), range(0)


def says(words: list[Word], table: PhraseTable[T], *, in_hand: bool = True) -> bool:
    """Whether a phrase of the table is said anywhere in the words; with `in_hand` false, only
    by words none of which is ruled out (in hand, done or denied)."""
    for i in range(len(words)):
        found = _phrase_at(words, i, table)
        if found is not None and (in_hand or not any(w.ruled_out for w in words[i : i + found[0]])):
            return True
    return False


def _phrase_at(words: list[Word], i: int, table: PhraseTable[T]) -> tuple[int, T] | None:
    """The longest phrase of the table at words[i] (the first listed, among equals)."""
    if words[i].folded not in table.first_words:
        return None
    best: tuple[int, T] | None = None
    for size, value in table.matches(words, i, _same_word):
        if best is None or size > best[0]:
            best = (size, value)
    return best


def _same_word(word: Word, expected: PhraseWord) -> bool:
    """A phrase word matches a word typed with the same marks; other marks make another word
    ("căn" is not "cần"), while a word typed without any may have lost them (`Word.loose`)."""
    folded, accent = expected
    return word.folded == folded and (not word.trusted or word.loose or word.accent == accent)


def _is_stopword(word: Word, lexicon: Lexicon, vocabulary: Vocabulary) -> bool:
    if word.trusted:
        return word.accent in lexicon.stop_accented
    return word.folded in lexicon.stop_folded and (
        word.folded not in vocabulary or vocabulary.leans_stop(word.folded)
    )
