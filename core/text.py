"""Vietnamese text as people type it, reduced to comparable tokens.

Phones send composed (NFC) or decomposed (NFD) Unicode; people write the tone mark on either vowel
("hoà"/"hòa", "uỷ"/"ủy"), type with or without diacritics, in any case, with any punctuation.
`fold` removes all of that; `phonetic_key` further merges sounds that Vietnamese speakers confuse
in writing (s/x, ch/tr, d/gi/r, l/n, final n/ng, c/t/k, i/y), used only as a fallback for typos.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TOKEN = re.compile(r"[0-9a-zđ]+")
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})
_MAX_TEXT = 2000  # longer messages are cut: no citizen question needs more


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, no diacritics, đ→d, every non-alphanumeric run → one space."""
    # NFKD splits every tone and vowel-shape mark off its letter, whichever vowel carries it and
    # whether the phone sent NFC or NFD, and maps full-width letters and digits to ASCII.
    decomposed = unicodedata.normalize("NFKD", text[:_MAX_TEXT].casefold())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_TOKEN.findall(kept.translate(_LETTERS)))


def fold_tokens(text: str) -> list[str]:
    return fold(text).split()


def canonical(text: str) -> str:
    """NFC, lower case, one space: for storing and comparing text that keeps its diacritics."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


_INITIALS = (
    "ngh", "ng", "gh", "gi", "kh", "nh", "ph", "qu", "th", "tr", "ch",
    "b", "c", "d", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
)  # fmt: skip
_INITIAL_SOUND = {
    "ngh": "ng", "gh": "g", "gi": "z", "d": "z", "r": "z", "tr": "ch", "s": "x",
    "k": "c", "qu": "cu", "l": "n", "ph": "f",
}  # fmt: skip
# A final "k" is chat spelling of "c" ("dok thân": độc thân); no syllable ends in it.
_FINAL_SOUND = (("ng", "n"), ("nh", "n"), ("ch", "t"), ("c", "t"), ("k", "t"))
_SYLLABLE = re.compile(
    r"^(ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdghklmnprstvx])?"
    r"([aeiouy]{1,3})(ch|nh|ng|[cmnpt])?$"
)


@lru_cache(maxsize=65536)
def phonetic_key(syllable: str) -> str:
    """A folded syllable → a key shared by the spellings people confuse ("xinh"~"sinh")."""
    initial = next((i for i in _INITIALS if syllable.startswith(i) and len(syllable) > len(i)), "")
    rest = syllable[len(initial) :]
    for final, sound in _FINAL_SOUND:
        if rest.endswith(final) and len(rest) > len(final):
            rest = rest[: -len(final)] + sound
            break
    if rest.endswith("y"):  # "ký"/"kí", "lý"/"lí"
        rest = rest[:-1] + "i"
    return _INITIAL_SOUND.get(initial, initial) + rest


# No syllable writes a vowel twice but "oo" (xoong) and "uu" (hưu, ưu): "khaii", "kyy" are typos.
_DOUBLED_VOWEL = re.compile(r"aa|ee|ii|yy")


def is_syllable(token: str) -> bool:
    """Whether a folded token could be a Vietnamese syllable (then it is not a typo to fix)."""
    return bool(_SYLLABLE.match(token)) and not _DOUBLED_VOWEL.search(token)


_TELEX_SHAPES = (("dd", "đ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"), ("oo", "ô"), ("ow", "ơ"),
                 ("uw", "ư"), ("w", "ư"))  # fmt: skip
_TONE_MARKS = {
    "s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323",  # Telex
    "1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323",  # VNI
}  # fmt: skip
_VNI_SHAPES = {
    "6": {"a": "â", "e": "ê", "o": "ô"},
    "7": {"o": "ơ", "u": "ư"},
    "8": {"a": "ă"},
    "9": {"d": "đ"},
}


def telex_decode(token: str) -> str | None:
    """Undo Telex keystrokes left in text typed without the Vietnamese keyboard switched on:
    'chuwngs' → 'chứng', 'thuwcj' → 'thực', 'ddaang' → 'đâng'. The word keeps its marks (the
    tone as a combining mark at the end: compare with `accent_key`). None when it is not Telex."""
    text = token
    for keys, letter in _TELEX_SHAPES:
        text = text.replace(keys, letter)
    if text != token and is_syllable(fold(text)):
        return text
    first_vowel = next((i for i, ch in enumerate(text) if fold(ch) in "aeiouy"), len(text))
    for i in range(len(text) - 1, first_vowel, -1):
        if text[i] in "sfrxj":
            candidate = text[:i] + text[i + 1 :]
            if is_syllable(fold(candidate)):
                return candidate + _TONE_MARKS[text[i]]
    return None


def telex_fold(token: str) -> str | None:
    """'chuwngs' → 'chung': `telex_decode` without the marks."""
    decoded = telex_decode(token)
    return fold(decoded) if decoded is not None else None


def vni_decode(token: str) -> str | None:
    """Undo VNI keystrokes (digits as marks) left in text typed without the Vietnamese keyboard:
    'd9a8ng' → 'đăng', 'ky1' → 'ký', 'thu7o72ng' → 'thường'. None when it is not VNI."""
    if not token or not token[0].isalpha() or not any(ch in "123456789" for ch in token):
        return None
    letters: list[str] = []
    tone = ""
    for ch in token:
        if ch.isalpha():
            letters.append(ch)
        elif ch in _TONE_MARKS and not tone:
            tone = _TONE_MARKS[ch]
        elif ch in _VNI_SHAPES:
            shapes = _VNI_SHAPES[ch]
            at = next((i for i in range(len(letters) - 1, -1, -1) if letters[i] in shapes), None)
            if at is None:
                return None
            letters[at] = shapes[letters[at]]
        else:
            return None
    # "uo7" and "u7o7" are both "ươ": one horn typed for the pair.
    word = "".join(letters).replace("uơ", "ươ").replace("ưo", "ươ")
    return word + tone if is_syllable(fold(word)) else None
