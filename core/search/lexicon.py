"""`knowledge/lexicon.yaml`: abbreviations, dialect, stop words, aspects and small talk.

Phrases of the aspects, needs and document questions may be written as small patterns, so the
file lists ways of asking rather than sentences: `[a|b c]` is one of the alternatives,
`(a|b)` one of them or nothing. "cần (những) [gì|chi]" stands for "cần gì", "cần chi",
"cần những gì", "cần những chi". A word class, `<người>`, stands for the alternatives listed
under `classes` ("[<người>] đi thay": "con đi thay", "hàng xóm đi thay"…).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from core.catalogue.errors import (
    CatalogueError,
    CatalogueInvalid,
    describe_validation_error,
    format_field_path,
)
from core.catalogue.yaml_lines import YamlRefused, YamlSyntaxError, load_located, read_limited
from core.text import fold

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
T = TypeVar("T")


class Folded(Protocol):
    """What a phrase table reads from a word: its folded form (the rest goes to `same`)."""

    @property
    def folded(self) -> str: ...


W = TypeVar("W", bound=Folded)


class Aspect(StrEnum):
    """The part of a procedure a question is about."""

    DOCUMENTS = "documents"
    FEES = "fees"
    TIME = "time"
    WHERE = "where"
    ONLINE = "online"  # filing on the portal or VNeID
    WHO = "who"  # who may file, on someone's behalf


@dataclass(frozen=True)
class Part:
    """A part asked about as a phrase of the lexicon says it. `passing`: a yes/no about the
    place ("làm ở xã được không") or a topic word with no question ("thời gian"), which yields
    to another part the message asks ("làm ở xã được không, bao nhiêu tiền": the fee)."""

    aspect: Aspect
    passing: bool = False


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    ACK = "ack"
    BYE = "bye"
    CONTACT = "contact"  # the office's phone, hours, address
    DOSSIER = "dossier"  # "hồ sơ của tôi đến đâu rồi": a dossier already filed, not a procedure


# When a message says several ("dạ em cảm ơn ạ", "chào em, số điện thoại xã"), the one answered.
SMALL_TALK_ORDER = (
    SmallTalk.DOSSIER,
    SmallTalk.CONTACT,
    SmallTalk.THANKS,
    SmallTalk.BYE,
    SmallTalk.GREETING,
    SmallTalk.ACK,
)


class _DocumentQuestion(BaseModel):
    """ "… có cần CCCD của bố mẹ không": the words between an opening and a closing name a
    document the person asks about, not the procedure."""

    model_config = ConfigDict(extra="forbid")
    opening: list[str] = []
    closing: list[str] = []
    max_words: int = 8


class _Sense(BaseModel):
    """A word whose sense the words just before it decide ("đăng ký lại": again, "nhận lại":
    back). `word` (a pattern) is read in its catalogue sense after one of `keep`, in its other
    sense after one of `other` (the longer match wins), elsewhere as `usual` says. When no word
    before it decides, one of `other_after` just after it gives the other sense ("nuôi | ba đứa
    con": raising them, not adopting). The index and the message both spell the other sense
    apart, so it matches only itself."""

    model_config = ConfigDict(extra="forbid")
    word: str
    usual: bool = True
    # The other sense is one with the word before it, a verb and its complement ("nhận lại",
    # "để lại", "trả lại"): each pair matches only itself.
    joined: bool = False
    keep: list[str] = []
    other: list[str] = []
    other_after: list[str] = []


class _Shortened(BaseModel):
    """A word cut short ("chứng" for "chứng thực"), read whole when typed with its marks and
    followed by one of `before` or by the end of its clause."""

    model_config = ConfigDict(extra="forbid")
    whole: str
    before: list[str] = []
    # Words that make another word with it just before it ("làm chứng", "bằng chứng").
    not_after: list[str] = []


class _Event(BaseModel):
    """Something a procedure exists for (a death, for a burial's support): a procedure whose
    name says one of `names` is wanted only when the message says one of `said`."""

    model_config = ConfigDict(extra="forbid")
    names: list[str]
    said: list[str]
    # Said as a thing still to do: words the message says are in hand, done or not wanted
    # ("con đã có giấy khai sinh", "khai sinh làm xong rồi") do not say it (`Word.ruled_out`).
    to_do: bool = False
    # Said also when none of these is: the procedure is not first only when the message asks
    # for another thing these say and none of `said` ("báo thôi hưởng trợ cấp" without a burial
    # asked is no burial support).
    unless: list[str] = []
    # False: a condition that defines the people or the matter ("người có công", "tranh chấp
    # đất đai") rather than an event. Left unsaid, it keeps the procedure from being a
    # confident answer but not from being listed first: a question that says neither of two
    # near procedures' conditions is no evidence for the other one.
    reorder: bool = True


class _LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    abbreviations: dict[str, str] = {}
    dialect: dict[str, str] = {}
    stopwords: list[str] = []
    context_words: list[str] = []
    synonyms: dict[str, str] = {}
    stop_phrases: list[str] = []
    aspects: dict[Aspect, list[str]] = {}
    # Parts said in passing (see `Part.passing`): asked only when no other part is.
    aspects_passing: dict[Aspect, list[str]] = {}
    # Parts that complaints and small talk ask in the same words ("liên hệ ai", "do ai giải
    # quyết"): asked only beside a procedure the message names, and they may be small talk too.
    aspects_named: dict[Aspect, list[str]] = {}
    # Patterns in parts with words between them, "…" where words may come (at most frame_gap).
    aspect_frames: dict[Aspect, list[str]] = {}
    # Frames whose parts all stay in the message: a part the message implies without asking
    # ("bố mẹ cháu đang ở nước ngoài": someone else files, the who part). Read only when no part
    # is asked, and only beside a procedure the message names.
    aspects_kept: dict[Aspect, list[str]] = {}
    frame_gap: int = 6
    # Words that may continue a catalogue name ("mai táng phí", "học phí", "giấy ủy quyền"):
    # right after its first words they start no part asked about ("phí làm …" asks the fee).
    name_ends: list[str] = []
    small_talk: dict[SmallTalk, list[str]] = {}
    ambiguous: dict[str, list[str]] = {}
    needs: list[str] = []
    how: list[str] = []
    questions: list[str] = []
    # Asking for advice or an opinion ("có nên", "kinh nghiệm", "cho hay"): as a question word.
    advice: list[str] = []
    other_topics: list[str] = []
    # A work one watches, plays, reads or writes for school ("phim", "game", "tiểu thuyết",
    # "bài tập"): a need said in its clause happens in the work ("nhận con nuôi trong game").
    works: list[str] = []
    document_question: _DocumentQuestion = _DocumentQuestion()
    deeds: list[str] = []
    done: list[str] = []
    done_before: list[str] = []
    done_after: list[str] = []
    not_yet: list[str] = []
    absent: list[str] = []
    absent_end: list[str] = []
    denied: list[str] = []
    able: list[str] = []
    papers: list[str] = []
    of: list[str] = []
    only: list[str] = []
    copies: list[str] = []
    held_after: list[str] = []
    held: list[str] = []
    held_end: list[str] = []
    pending: list[str] = []
    turn: list[str] = []
    counters: list[str] = []
    purpose: list[str] = []
    # A phrase that is itself a purpose ("đi xuất khẩu lao động", "đi học"): it says why.
    purpose_itself: list[str] = []
    not_purpose: list[str] = []
    # The office's hours ("mấy giờ mở cửa"): contact small talk alone, the time part of a
    # procedure the message names ("đăng ký khai tử thì mấy giờ xã mở cửa").
    hours: list[str] = []
    # A condition and the question it leads to: "làm online | thì | cần những gì" asks what is
    # needed, "cần giấy gì | nếu | nhờ người khác đi" too — the condition is context.
    condition_then: list[str] = []
    condition_if: list[str] = []
    # An authorisation asked about in a document question ("con đi thay có cần giấy ủy quyền
    # không"): who may go in one's place, the who part.
    proxy_papers: list[str] = []
    # A time that is over ("từ năm …", "năm ngoái", "hồi đó"): without a need, a story.
    past: list[str] = []
    # Where or as what one works ("làm công ty", "làm công nhân"): its "làm" is no need, and
    # the message is no less about a procedure for it.
    jobs: list[str] = []
    # A wish said not to be had ("chưa muốn", "không muốn"): its "muốn" is no need ("em chưa
    # muốn lấy chồng"), though a need after it still is ("không muốn nhận thừa kế").
    unwanted: list[str] = []
    # A case spoken of as a thing ("vụ tranh chấp", "vụ kiện"): a story of it, its words no need.
    cases: list[str] = []
    # The form of what is said, not a need: a worry or a word's meaning asked closes what it is
    # about ("… có sao không", "… nghĩa là gì"), a question of knowledge opens it ("lịch sử …",
    # "ai là người đầu tiên …"); the procedure's own parts or lateness keep a need before it.
    remarks_after: list[str] = []
    remarks_before: list[str] = []
    meanings: list[str] = []
    # A story heard of another person ("nghe nói ông hàng xóm viết di chúc …"): theirs.
    reports: list[str] = []
    # A wish, an invitation, thanks or condolences opening a sentence: like a story heard.
    occasions: list[str] = []
    # A time lately over ("tháng trước", "hôm trước"): a deed in its clause, when nothing is
    # asked, was done.
    recent: list[str] = []
    wishes: list[str] = []  # "muốn", "cần", "định": a wish said, the clause still asks
    # A status held, told ("được công nhận gia đình văn hóa", "là hộ nghèo", "được giấy khen"),
    # a deed's clause closed as done ("… rồi"), and relief that nothing is needed ("khỏi phải",
    # "yên tâm": its "phải" is no wish): in a message that asks nothing, news, not a request.
    statuses_told: list[str] = []
    closed: list[str] = []
    just_done: list[str] = []  # "vừa" just before someone's deed: done lately
    reliefs: list[str] = []
    remark_keep: list[str] = []
    # Another body named as the place of the matter ("ở phòng công chứng", "ra tòa"), and the
    # commune's own office ("xã", "ủy ban"; not "xã hội"): a message that places its matter
    # only at another body gets no confident answer from the commune's procedures.
    other_offices: list[str] = []
    commune: list[str] = []
    not_commune: list[str] = []
    # What happened to a paper one has ("bị rách", "thất lạc"), and the words of a procedure
    # that makes a paper anew ("cấp lại", "bản sao", "trích lục"): only such a procedure is
    # asked for when the damage is all the message needs.
    damage: list[str] = []
    remake: list[str] = []
    # A paper asked for again ("xin lại", "thêm mấy bản"): with damage, one made before.
    again: list[str] = []
    anew: list[str] = []  # words of a procedure's name that makes a paper anew
    # Procedures that exist for an event (a burial's support: a death) and the words saying it.
    events: list[_Event] = []
    # Where someone lives, told as a state ("hộ khẩu ở quê", "ở trọ", "sống với con"): context
    # in a clause that asks for nothing, when the need names another procedure.
    residence: list[str] = []
    # Words a kind of paper or act that many procedures share ("xác nhận"): a little evidence,
    # never a procedure's own (spelled apart, in the catalogue and in messages alike).
    generic: list[str] = []
    # "lại" means "again" (a re-registration) only after "đăng ký", "khai sinh"…; after another
    # verb it means "back" ("nhận lại con", "về lại quê", "để lại đất").
    senses: list[_Sense] = []
    shortened: dict[str, _Shortened] = {}
    # Word classes used inside patterns: name → alternatives ("người": [con, cháu, vợ…]).
    classes: dict[str, list[str]] = {}


class _Skip(StrEnum):
    """Kind of a stop phrase: words removed without meaning anything."""

    STOP = "stop"


class Mark(StrEnum):
    """Phrases that are found without being removed, or that delimit a part of the message."""

    NEED = "need"  # the person wants something done: làm, xin, đăng ký, bị mất…
    OPENING = "opening"  # "có cần", "phải mang": a document named next
    CLOSING = "closing"  # "không", "hay không": the document's name ended
    QUESTION = "question"  # "bao giờ", "gì", "ai": asks something, maybe not about a procedure
    TOPIC = "topic"  # "phim", "tiệc", "chó": the message is about something else too
    DEED = "deed"  # a need that is a deed, which may be told as done: làm, viết, đăng ký…
    DONE = "done"  # "xong", "hồi trước", "từng": a deed in this clause is done, not needed
    DONE_BEFORE = "done before"  # "đã" just before a deed
    DONE_AFTER = "done after"  # "xong" after a deed, in its clause
    NOT_YET = "not yet"  # "chưa" (từng): not done
    ABSENT = "absent"  # "không có", "chẳng có": what follows is missing, not asked for
    COPY = "copy"  # "bản sao", "chứng thực": the papers named next are copied, not a procedure
    ABSENT_END = "absent end"  # "thì", "mà", "nên": the missing thing's words end here
    # "không ghi", "đã có", "chứ không phải": what follows (and the verb) is denied or in hand
    DENIED = "denied"
    ABLE = "able"  # "được" right after a denied verb: "không nhận được tiền" is not a refusal
    PAPER = "paper"  # "giấy", "bản", "sổ": a paper named as what a clause is about
    OF = "of"  # "của": "khai sinh của cháu" — a paper someone has
    ONLY = "only"  # "chỉ có", "thiếu": what a paper says, or lacks
    HELD_AFTER = "held after"  # "(khai sinh) đã làm", "(khai sinh) làm rồi": the paper before it
    HELD = "held"  # "có" … "rồi": a paper already in hand, a state, not asked for
    HELD_END = "held end"  # "rồi": closes the thing in hand
    TURN = "turn"  # ", giờ …": the story told, what is wanted now follows
    PENDING = "pending"  # "chưa (làm|có giấy)": not done yet, maybe what the person will do
    COUNTER = "counter"  # "một", "con", "cuốn": stepped over to find what a need is for
    PURPOSE = "purpose"  # "để", "nhằm": what follows is why, not what is asked for
    PURPOSE_ITSELF = "purpose itself"  # "đi xuất khẩu lao động": this phrase says why
    PAST = "past"  # "từ năm", "năm ngoái": a time that is over
    DAMAGE = "damage"  # "bị rách", "thất lạc": what happened to a paper one has
    AGAIN = "again"  # "xin lại", "thêm mấy bản": a paper asked for again
    RESIDENCE = "residence"  # "hộ khẩu ở quê", "ở trọ": where someone lives, a state told
    NOT_PURPOSE = "not purpose"  # "để lại", "để trống": the same word, another meaning
    HOURS = "hours"  # "mấy giờ mở cửa", "giờ làm việc": the office's hours
    THEN = "then"  # "thì": the part asked before it is a condition, after it the question
    IF = "if"  # "nếu": the part asked after it is a condition
    PROXY = "proxy"  # "giấy ủy quyền": a document question about it asks who may go
    WORK = "work"  # "phim", "game", "bài tập": a need in its clause is one inside the work
    JOB = "job"  # "làm công ty": where one works, its "làm" no need
    UNWANTED = "unwanted"  # "chưa muốn": a wish not had, its "muốn" no need
    CASE = "case"  # "vụ tranh chấp": a case spoken of, its "tranh chấp" no need
    REMARK_AFTER = "remark after"  # "có sao không": a need before it is what one worries about
    REMARK_BEFORE = "remark before"  # "lịch sử của": a need after it is what one asks about
    WISH = "wish"  # "muốn", "cần", "định": a clause that says a wish asks
    STATUS_TOLD = "status told"  # "được công nhận hộ nghèo": a status held, told
    CLOSED = "closed"  # "rồi": a deed before it in its clause is done
    JUST_DONE = "just done"  # "vừa": the deed right after it was done lately
    RELIEF = "relief"  # "khỏi phải", "yên tâm": nothing needed, its "phải" no wish
    RECENT = "recent"  # "tháng trước": a deed in its clause, nothing asked, was done
    OCCASION = "occasion"  # "chúc mừng", "mời", "cảm ơn" opening a sentence: no need in it
    REPORT = "report"  # "nghe nói ông …": what follows in its sentence is another's story
    MEANING = "meaning"  # "nghĩa là gì": what is said before it is a word asked about
    REMARK_KEEP = "remark keep"  # "trễ", "thủ tục": the procedure itself is asked about
    OTHER_OFFICE = "other office"  # "ở phòng công chứng", "ra tòa": the matter is there
    COMMUNE = "commune"  # "xã", "ủy ban": the commune's own office is said
    NOT_COMMUNE = "not commune"  # "xã hội": no commune


_PATTERN_PART = re.compile(r"\[([^\]]*)\]|\(([^)]*)\)|([^\s\[\]()]+)")
_PATTERN_SIGNS = re.compile(r"[\[\]()|<>{}]")
_CLASS = re.compile(r"<([^<>]+)>")


@lru_cache(maxsize=65536)
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


# One place of a pattern: whether it may be left out, and its alternatives (each a few words)
# by their first folded word.
Slot = tuple[bool, dict[str, tuple[tuple[PhraseWord, ...], ...]]]
Pattern = tuple[Slot, ...]


def parse_pattern(text: str) -> Pattern:
    """ "cần (những) [gì|chi]" → three slots: "cần"; "những" or nothing; "gì" or "chi"."""
    slots: list[Slot] = []
    for required, optional, word in _PATTERN_PART.findall(text):
        options = required or optional or word
        by_first: dict[str, list[tuple[PhraseWord, ...]]] = {}
        for alternative in options.split("|"):
            words = phrase_words(alternative)
            if words:
                by_first.setdefault(words[0][0], []).append(words)
        if by_first:
            slots.append((bool(optional), {k: tuple(v) for k, v in by_first.items()}))
    return tuple(slots)


def pattern_words(text: str) -> list[str]:
    """Every folded word a pattern may say."""
    return fold(_PATTERN_SIGNS.sub(" ", text)).split()


class PhraseTable(Generic[T]):
    """Phrases and patterns, looked up by the words they may start with: a message is scanned
    once, and a pattern is matched slot by slot, never spelled out in all its forms."""

    def __init__(self, entries: Iterable[tuple[Pattern, T]]) -> None:
        by_first: dict[str, list[tuple[Pattern, T, frozenset[str] | None]]] = {}
        for pattern, value in entries:
            for first in _first_words(pattern):
                nexts = _second_words(pattern, first)
                by_first.setdefault(first, []).append((pattern, value, nexts))
        self._by_first = {first: tuple(found) for first, found in by_first.items()}
        self.first_words = frozenset(self._by_first)  # a cheap test before `matches`

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def matches(
        self, words: Sequence[W], i: int, same: Callable[[W, PhraseWord], bool]
    ) -> list[tuple[int, T]]:
        """(size, value) of every entry that matches at words[i], each at its longest."""
        found = []
        following = words[i + 1].folded if i + 1 < len(words) else None
        for pattern, value, nexts in self._by_first.get(words[i].folded, ()):
            if nexts is not None and following not in nexts:
                continue  # the word after cannot continue it: most patterns end here
            end = _longest(pattern, words, i, same)
            if end > i:
                found.append((end - i, value))
        return found


def _first_words(pattern: Pattern) -> set[str]:
    first: set[str] = set()
    for optional, alternatives in pattern:
        first.update(alternatives)
        if not optional:
            break
    return first


def _second_words(pattern: Pattern, first: str) -> frozenset[str] | None:
    """The folded words that may stand right after `first` when a match starts with it, or
    None when a match may end there: a test that turns patterns away before `_longest` without
    ever turning away one that would match. `first` may fill the first slot, or a later one when
    every slot before it may be left out; each way adds what may follow it."""
    nexts: set[str] = set()
    for index, (optional, alternatives) in enumerate(pattern):
        for option in alternatives.get(first, ()):
            if len(option) > 1:
                nexts.add(option[1][0])
                continue
            for later_optional, later in pattern[index + 1 :]:
                nexts.update(later)
                if not later_optional:
                    break
            else:
                return None  # the match may end after this one word
        if not optional:
            break
    return frozenset(nexts)


def _longest(
    pattern: Pattern, words: Sequence[W], at: int, same: Callable[[W, PhraseWord], bool]
) -> int:
    """How far a match of the pattern starting at `at` can reach (-1: none). The positions
    reachable after each slot are carried along (a few at most): linear in the slots, whatever
    is optional; most patterns fail at their first or second slot."""
    size = len(words)
    reach = [at]
    for optional, alternatives in pattern:
        if not optional and len(reach) == 1:
            # The usual case, one position and a slot to fill: most patterns fail here, before
            # any list is made.
            position = reach[0]
            if position >= size:
                return -1
            word = words[position]
            options = alternatives.get(word.folded)
            if options is None:
                return -1
            after = []
            for option in options:
                end = position + len(option)
                if end > size or end in after:
                    continue
                if len(option) == 1:
                    if same(word, option[0]):
                        after.append(end)
                elif all(same(words[position + k], expected) for k, expected in enumerate(option)):
                    after.append(end)
        else:
            after = reach.copy() if optional else []
            for position in reach:
                if position >= size:
                    continue
                for option in alternatives.get(words[position].folded, ()):
                    end = position + len(option)
                    if end > size or end in after:
                        continue
                    if len(option) == 1:  # most options are one word: no generator for them
                        if same(words[position], option[0]):
                            after.append(end)
                    elif all(
                        same(words[position + k], expected) for k, expected in enumerate(option)
                    ):
                        after.append(end)
        if not after:
            return -1
        reach = after
    return max(reach)


def split_accent_key(key: str) -> tuple[str, str]:
    """accent_key("thực") → ("thưc", dot below): the letters with their shapes, and the tone."""
    shape = key.rstrip("".join(_TONES))
    return shape, key[len(shape) :]


@dataclass(frozen=True)
class Frame(Generic[T]):
    """ "[<người>] (có) [được|phải] … [không|hông]": parts matched in order, each next one
    starting within its gap (a number of words) of the end of the one before."""

    parts: tuple[PhraseTable[None], ...]
    value: T
    gaps: tuple[int, ...]
    # Parts written "{…}": required, but left in the message ("không có | {giấy} … thì …":
    # the paper said missing stays context).
    left: tuple[bool, ...] = ()


def parse_frame(text: str, value: T, gap: int) -> Frame[T]:
    """ "a …3 b … c": the parts a, b, c; at most 3 words between a and b, `gap` between b and c.
    A part in braces ("{b}") must be there but is not marked."""
    pieces = re.split(r"…(\d*)", text)
    texts = [p.strip() for p in pieces[::2]]
    left = tuple(t.startswith("{") and t.endswith("}") for t in texts)
    parts = tuple(
        PhraseTable([(parse_pattern(t[1:-1] if kept else t), None)])
        for t, kept in zip(texts, left, strict=True)
    )
    gaps = tuple(int(g) if g else gap for g in pieces[1::2])
    return Frame(parts, value, gaps, left)


@dataclass(frozen=True)
class Initialism:
    """ "ctck" → chứng thực chữ ký: the phrase (or the phrases, when names share the letters)
    that the first letters of a catalogue name or alias stand for. `words` has one position per
    letter, each position the words the phrases have there; `choice`: the letters say more than
    one procedure, so the person chooses ("dktt": đăng ký tạm trú or thường trú)."""

    words: tuple[tuple[PhraseWord, ...], ...]
    choice: bool


@dataclass(frozen=True)
class Shortened:
    """A word cut short ("chứng"), its whole ("chứng thực"), and what may follow it then."""

    word: PhraseWord
    whole: tuple[PhraseWord, ...]
    before: PhraseTable[None]
    not_after: frozenset[str]  # folded


@dataclass(frozen=True)
class Sense:
    """A word read in its catalogue sense or in its other one, by the words just before it."""

    word: PhraseTable[None]
    usual: bool  # the sense when nothing before it decides: True is the catalogue's
    joined: bool  # the other sense is spelled with the word before it ("lại~nhận")
    before: PhraseTable[bool]  # what may come just before it, and the sense it then has
    after: PhraseTable[bool]  # what, just after it, gives the other sense (nothing before deciding)


@dataclass(frozen=True)
class Event:
    """Something a procedure exists for, read (see `_Event`): the words of a name that say the
    procedure needs it, the words of a message that say it, whether they must say it still to
    do, the words whose absence says it too, and whether, unsaid, it moves the procedure down."""

    names: PhraseTable[None]
    said: PhraseTable[None]
    to_do: bool = False
    unless: PhraseTable[None] | None = None
    reorder: bool = True


@dataclass(frozen=True)
class Lexicon:
    abbreviations: dict[str, tuple[str, ...]]  # folded key → folded expansion tokens
    expansion_words: dict[str, tuple[str, ...]]  # folded key → expansion words with accents
    dialect: dict[str, str]  # folded key → the standard word, with its diacritics
    # folded key → the dialect word's own marks: "nó" typed with its marks is not "nớ".
    dialect_accents: dict[str, str]
    stop_accented: frozenset[str]
    stop_folded: frozenset[str]
    context_words: frozenset[str]  # folded
    synonyms: PhraseTable[tuple[PhraseWord, ...]]
    # Phrases set aside before the words are matched against the catalogue.
    aspects: PhraseTable[Part]
    aspects_named: PhraseTable[Aspect]
    small_talk: PhraseTable[SmallTalk]
    stop_phrases: PhraseTable[_Skip]
    # Abbreviations with several meanings ("kh": không / kết hôn): folded key → the expansions,
    # each a tuple of positions, each position the words it may be ("tạm|thường trú").
    ambiguous: dict[str, tuple[tuple[tuple[PhraseWord, ...], ...], ...]]
    aspect_frames: tuple[Frame[Aspect], ...]
    # "… thế nào": how it is done; the documents are opened when no other part is asked about.
    how: PhraseTable[Aspect]
    # Needs, and the bounds of a document named inside a question (found, not removed).
    marks: PhraseTable[Mark]
    document_max_words: int = 8
    # Every folded word the lexicon itself uses: a Telex or VNI leftover that decodes to one
    # of them ("gif" → gì) is read as that word.
    known_words: frozenset[str] = frozenset()
    # … and each with its marks ("ở", "nộp"): a Telex leftover typed with a key left out ("ow"
    # for "owr", "nooj" for "noopj") is read as the one known word it may be.
    known_accents: frozenset[str] = frozenset()
    # Words whose sense the words before them decide (see `_Sense`).
    senses: tuple[Sense, ...] = ()
    # Folded words that may continue a catalogue name ("phí": "mai táng phí"), see `_LexiconFile`.
    name_ends: frozenset[str] = frozenset()
    shortened: tuple[Shortened, ...] = ()
    # A procedure's words that say it makes a paper anew ("cấp lại", "bản sao").
    remake: PhraseTable[None] = field(default_factory=lambda: PhraseTable(()))
    anew: PhraseTable[None] = field(default_factory=lambda: PhraseTable(()))
    # Events a procedure exists for, see `Event`.
    events: tuple[Event, ...] = ()
    # Words of a kind of paper or act that many procedures share ("xác nhận").
    generic: PhraseTable[None] = field(default_factory=lambda: PhraseTable(()))
    # A word of another subject that is itself spelled without marks ("phim", "game"): typed
    # plain in a message typed with them, it is that word, not one that lost its marks.
    plain_topics: frozenset[str] = frozenset()
    # The SHA-256 of the file it was loaded from ("" when not loaded from a file): what was
    # worked out with this lexicon may be kept between starts under it (AnalysisCache).
    fingerprint: str = ""
    # Parts implied, not asked (see `_LexiconFile.aspects_kept`): frames that mark no word.
    aspects_kept: tuple[Frame[Aspect], ...] = ()

    @property
    def conditions(self) -> frozenset[int]:
        """The events (by position) that, unsaid, only keep an answer from being confident
        (`Event.reorder` false)."""
        return frozenset(i for i, event in enumerate(self.events) if not event.reorder)

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        try:
            text = read_limited(path)
            located = load_located(text)
        except YamlRefused as exc:
            raise CatalogueInvalid([CatalogueError(path.name, exc.line, exc.problem)]) from exc
        except YamlSyntaxError as exc:
            raise CatalogueInvalid(
                [CatalogueError(path.name, exc.line, f"sai cú pháp YAML: {exc.problem}")]
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
        fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return replace(cls.from_file(data), fingerprint=fingerprint)

    @classmethod
    def from_file(cls, data: _LexiconFile) -> Lexicon:
        classes = _resolve_classes(data.classes)
        data = data.model_copy(
            update={
                **{
                    key: {
                        aspect: [_with_classes(p, classes) for p in patterns]
                        for aspect, patterns in getattr(data, key).items()
                    }
                    for key in ("aspects", "aspects_passing", "aspects_named")
                },
                **{
                    key: {
                        aspect: [_with_classes(p, classes) for p in patterns]
                        for aspect, patterns in getattr(data, key).items()
                    }
                    for key in ("aspect_frames", "aspects_kept")
                },
                "needs": [_with_classes(p, classes) for p in data.needs],
                "synonyms": {_with_classes(p, classes): v for p, v in data.synonyms.items()},
                "other_topics": [_with_classes(p, classes) for p in data.other_topics],
                "works": [_with_classes(p, classes) for p in data.works],
                "hours": [_with_classes(p, classes) for p in data.hours],
                "remarks_after": [_with_classes(p, classes) for p in data.remarks_after],
                "small_talk": {
                    kind: [_with_classes(p, classes) for p in patterns]
                    for kind, patterns in data.small_talk.items()
                },
            }
        )

        def table(patterns: Iterable[tuple[str, T]]) -> PhraseTable[T]:
            return PhraseTable((parse_pattern(p), value) for p, value in patterns)

        marks: list[tuple[str, Mark]] = [
            *((p, Mark.NEED) for p in data.needs),
            *((p, Mark.OPENING) for p in data.document_question.opening),
            *((p, Mark.CLOSING) for p in data.document_question.closing),
            *((p, Mark.QUESTION) for p in data.questions),
            *((p, Mark.QUESTION) for p in data.advice),
            *((p, Mark.TOPIC) for p in data.other_topics),
            *((p, Mark.WORK) for p in data.works),
            *((p, Mark.DEED) for p in data.deeds),
            *((p, Mark.DONE) for p in data.done),
            *((p, Mark.DONE_BEFORE) for p in data.done_before),
            *((p, Mark.DONE_AFTER) for p in data.done_after),
            *((p, Mark.NOT_YET) for p in data.not_yet),
            *((p, Mark.ABSENT) for p in data.absent),
            *((p, Mark.ABSENT_END) for p in data.absent_end),
            *((p, Mark.DENIED) for p in data.denied),
            *((p, Mark.ABLE) for p in data.able),
            *((p, Mark.PAPER) for p in data.papers),
            *((p, Mark.OF) for p in data.of),
            *((p, Mark.ONLY) for p in data.only),
            *((p, Mark.COPY) for p in data.copies),
            *((p, Mark.HELD_AFTER) for p in data.held_after),
            *((p, Mark.HELD) for p in data.held),
            *((p, Mark.HELD_END) for p in data.held_end),
            *((p, Mark.PENDING) for p in data.pending),
            *((p, Mark.TURN) for p in data.turn),
            *((p, Mark.COUNTER) for p in data.counters),
            *((p, Mark.PURPOSE) for p in data.purpose),
            *((p, Mark.NOT_PURPOSE) for p in data.not_purpose),
            *((p, Mark.HOURS) for p in data.hours),
            *((p, Mark.THEN) for p in data.condition_then),
            *((p, Mark.IF) for p in data.condition_if),
            *((p, Mark.PROXY) for p in data.proxy_papers),
            *((p, Mark.JOB) for p in data.jobs),
            *((p, Mark.UNWANTED) for p in data.unwanted),
            *((p, Mark.CASE) for p in data.cases),
            *((p, Mark.REMARK_AFTER) for p in data.remarks_after),
            *((p, Mark.REMARK_BEFORE) for p in data.remarks_before),
            *((p, Mark.REMARK_KEEP) for p in data.remark_keep),
            *((p, Mark.MEANING) for p in data.meanings),
            *((p, Mark.REPORT) for p in data.reports),
            *((p, Mark.OCCASION) for p in data.occasions),
            *((p, Mark.RECENT) for p in data.recent),
            *((p, Mark.WISH) for p in data.wishes),
            *((p, Mark.STATUS_TOLD) for p in data.statuses_told),
            *((p, Mark.CLOSED) for p in data.closed),
            *((p, Mark.JUST_DONE) for p in data.just_done),
            *((p, Mark.RELIEF) for p in data.reliefs),
            *((p, Mark.OTHER_OFFICE) for p in data.other_offices),
            *((p, Mark.COMMUNE) for p in data.commune),
            *((p, Mark.NOT_COMMUNE) for p in data.not_commune),
            *((p, Mark.PURPOSE_ITSELF) for p in data.purpose_itself),
            *((p, Mark.PAST) for p in data.past),
            *((p, Mark.DAMAGE) for p in data.damage),
            *((p, Mark.AGAIN) for p in data.again),
            *((p, Mark.RESIDENCE) for p in data.residence),
        ]
        patterns = [
            *data.stopwords,
            *data.context_words,
            *data.abbreviations.values(),
            *data.synonyms,
            *data.stop_phrases,
            *(p for ps in data.aspects.values() for p in ps),
            *(p for ps in data.aspects_passing.values() for p in ps),
            *(p for ps in data.aspects_named.values() for p in ps),
            *(p for ps in data.aspect_frames.values() for p in ps),
            *(p for ps in data.aspects_kept.values() for p in ps),
            *(p for ps in data.small_talk.values() for p in ps),
            *data.how,
            *(p for p, _ in marks),
            *(
                p
                for sense in data.senses
                for p in (sense.word, *sense.keep, *sense.other, *sense.other_after)
            ),
            *(p for short in data.shortened.values() for p in (*short.before, *short.not_after)),
            *data.remake,
            *data.anew,
            *data.generic,
            *(p for event in data.events for p in (*event.names, *event.said, *event.unless)),
        ]
        return cls(
            abbreviations={fold(k): tuple(fold(v).split()) for k, v in data.abbreviations.items()},
            expansion_words={
                fold(k): tuple(v.casefold().split()) for k, v in data.abbreviations.items()
            },
            dialect={fold(k): v.casefold() for k, v in data.dialect.items()},
            dialect_accents={fold(k): accent_key(k) for k in data.dialect},
            stop_accented=frozenset(accent_key(w) for w in data.stopwords),
            stop_folded=frozenset(fold(w) for w in data.stopwords),
            context_words=frozenset(fold(w) for w in data.context_words),
            synonyms=PhraseTable(
                (parse_pattern(p), phrase_words(std)) for p, std in data.synonyms.items()
            ),
            aspects=table(
                [
                    *((p, Part(a)) for a, ps in data.aspects.items() for p in ps),
                    *(
                        (p, Part(a, passing=True))
                        for a, ps in data.aspects_passing.items()
                        for p in ps
                    ),
                ]
            ),
            aspects_named=table((p, a) for a, ps in data.aspects_named.items() for p in ps),
            aspect_frames=tuple(
                parse_frame(p, a, data.frame_gap)
                for a, ps in data.aspect_frames.items()
                for p in ps
            ),
            aspects_kept=tuple(
                parse_frame(p, a, data.frame_gap) for a, ps in data.aspects_kept.items() for p in ps
            ),
            small_talk=table((p, kind) for kind, ps in data.small_talk.items() for p in ps),
            how=table((p, Aspect.DOCUMENTS) for p in data.how),
            stop_phrases=table((p, _Skip.STOP) for p in data.stop_phrases),
            ambiguous={
                fold(key): tuple(_ambiguous_expansion(e) for e in expansions)
                for key, expansions in data.ambiguous.items()
            },
            marks=table(marks),
            document_max_words=data.document_question.max_words,
            name_ends=frozenset(fold(w) for w in data.name_ends),
            known_words=frozenset(word for p in patterns for word in pattern_words(p)),
            known_accents=frozenset(
                accent_key(word) for p in patterns for word in _PATTERN_SIGNS.sub(" ", p).split()
            ),
            senses=tuple(
                Sense(
                    table([(sense.word, None)]),
                    sense.usual,
                    sense.joined,
                    table(
                        [
                            *((_with_classes(p, classes), True) for p in sense.keep),
                            *((_with_classes(p, classes), False) for p in sense.other),
                        ]
                    ),
                    table([(_with_classes(p, classes), False) for p in sense.other_after]),
                )
                for sense in data.senses
            ),
            shortened=tuple(
                Shortened(
                    (fold(word), accent_key(word)),
                    phrase_words(short.whole),
                    table((p, None) for p in short.before),
                    frozenset(fold(w) for w in short.not_after),
                )
                for word, short in data.shortened.items()
            ),
            remake=table((p, None) for p in data.remake),
            anew=table((p, None) for p in data.anew),
            events=tuple(
                Event(
                    table((p, None) for p in event.names),
                    table((p, None) for p in event.said),
                    event.to_do,
                    table((p, None) for p in event.unless) if event.unless else None,
                    event.reorder,
                )
                for event in data.events
            ),
            generic=table((p, None) for p in data.generic),
            plain_topics=frozenset(
                word
                for p in (*data.other_topics, *data.works)
                for parts in _PATTERN_PART.findall(p)
                for word in "|".join(parts).split("|")
                if word and " " not in word and "<" not in word and fold(word) == word
            ),
        )


def _resolve_classes(classes: dict[str, list[str]]) -> dict[str, str]:
    """Each class as alternatives, a class named inside another spelled out ("người làm":
    [<người khác>, cụ, …]); a class that names itself, even through others, is an error."""
    resolved: dict[str, str] = {}

    def resolve(name: str, seen: tuple[str, ...]) -> str:
        if name in resolved:
            return resolved[name]
        if name in seen:
            problem = f"nhóm từ <{name}> tự nhắc lại chính nó ở mục classes"
            raise CatalogueInvalid([CatalogueError("lexicon.yaml", None, problem)])
        if name not in classes:
            problem = f"chưa khai báo nhóm từ <{name}> ở mục classes"
            raise CatalogueInvalid([CatalogueError("lexicon.yaml", None, problem)])
        words = [
            _CLASS.sub(lambda m: resolve(m.group(1).strip(), (*seen, name)), word)
            for word in classes[name]
        ]
        resolved[name] = "|".join(words)
        return resolved[name]

    for name in classes:
        resolve(name, ())
    return resolved


def _with_classes(pattern: str, classes: dict[str, str]) -> str:
    """ "[<người>] đi thay" → "[con|cháu|…] đi thay"; an unknown class is an error in the file."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name not in classes:
            problem = f"chưa khai báo nhóm từ <{name}> ở mục classes"
            raise CatalogueInvalid([CatalogueError("lexicon.yaml", None, problem)])
        return classes[name]

    return _CLASS.sub(expand, pattern)


def _ambiguous_expansion(text: str) -> tuple[tuple[PhraseWord, ...], ...]:
    """ "tạm|thường trú" → ((tạm, thường), (trú,)): one position per word, its alternatives."""
    return tuple(
        tuple((fold(alt), accent_key(alt)) for alt in word.split("|") if fold(alt))
        for word in text.casefold().split()
    )
