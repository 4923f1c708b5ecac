"""Receipt codes (mã số hồ sơ) as people type them.

The one-stop software prints codes like `000.00.19.H47-260105-0001` or `H57.132-260804-0583`
(TT 01/2018/TT-VPCP Điều 19: agency identifier, receipt date YYMMDD, daily sequence). People copy
them in lower case, with spaces, with other dashes or dots. We compare codes by their letters and
digits only (`code_key`), so every spelling of one code finds the same dossier, and we never refuse
a code because of its shape: whatever looks like a code is looked up.
"""

from __future__ import annotations

import re
import unicodedata

# Any dash-like character people's keyboards produce, and the dots of the agency identifier.
_DASHES = "-‐‑‒–—―−﹣－_"
_GROUP = re.compile(r"[0-9A-Za-z]+")
_JOIN = re.compile(rf"^[\s.{re.escape(_DASHES)}/]*$")
_AGENCY_GROUP = re.compile(r"^(?:[A-Za-z]?[0-9]{1,4}|[0-9]{1,4}[A-Za-z]?)$")
# Typed with no separator at all ("00000019H472601050002"): the agency identifier, which holds a
# letter (QĐ 20/2020/QĐ-TTg: the level-1 group is a letter and two digits), then the receipt date
# and the 4-digit sequence. Without that letter a run of digits is more likely a phone or an ID
# card number than a code, unless separators put it after the agency groups.
_RUN_TOGETHER = re.compile(r"^(?P<agency>[0-9A-Z]*?)(?P<date>[0-9]{6})(?P<sequence>[0-9]{4})$")
_AGENCY_AND_DATE = re.compile(r"^(?P<agency>[0-9A-Z]*[A-Z][0-9A-Z]*?)(?P<date>[0-9]{6})$")
# "Code-shaped": what a person copying a code types. Enough letters and digits, mostly digits.
_CODE_MIN_CHARS, _CODE_MIN_DIGITS = 8, 4


def code_key(text: str) -> str:
    """The comparable form of a code: upper-case letters and digits only."""
    normalized = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in normalized if ch.isascii() and ch.isalnum())


def find_codes(message: str) -> list[str]:
    """Codes in a message, tidied for display (upper case, '-' and '.').

    A code is recognised by its tail, the receipt date and the day's sequence number
    (`YYMMDD-NNNN`), with the agency groups before it (`000.00.19.H47`, `H57.132`), however the
    person separated them: with dots, dashes, spaces, or not at all (`00000019H472601050002`,
    `000.00.19.H47-2601050002`). This decides whether a message goes to the lookup instead of
    procedure search; the lookup itself accepts anything, since the office's software may issue
    codes of another shape.
    """
    text = unicodedata.normalize("NFKC", message)
    groups = [m.group(0).upper() for m in _GROUP.finditer(text)]
    spans = [(m.start(), m.end()) for m in _GROUP.finditer(text)]
    joined = [
        i > 0 and bool(_JOIN.match(text[spans[i - 1][1] : spans[i][0]])) for i in range(len(groups))
    ]

    def agency_before(i: int) -> list[str]:
        """The agency groups joined before group i (000, 00, 19, H47)."""
        first = i
        while first > 0 and joined[first] and _AGENCY_GROUP.match(groups[first - 1]):
            first -= 1
        return groups[first:i]

    found = []
    for i, group in enumerate(groups):
        tail = _RUN_TOGETHER.match(group)
        if tail and _is_date(tail["date"]):
            # date and sequence in one group, maybe the agency too ("…H472601050002")
            agency = [*agency_before(i), tail["agency"]] if tail["agency"] else agency_before(i)
            if any(ch.isalpha() for ch in tail["agency"]) or (not tail["agency"] and agency):
                found.append(_display([a for a in agency if a], tail["date"], tail["sequence"]))
                continue
        if i == 0 or not joined[i] or not (group.isdigit() and 3 <= len(group) <= 5):
            continue
        previous = groups[i - 1]
        if _is_date(previous):  # 000.00.19.H47-260105-0001
            found.append(_display(agency_before(i - 1), previous, group))
            continue
        head = _AGENCY_AND_DATE.match(previous)  # 000.00.19.H47260105-0001
        if head and _is_date(head["date"]):
            agency = [*agency_before(i - 1), head["agency"]]
            found.append(_display(agency, head["date"], group))
    return found


def looks_like_code(message: str) -> bool:
    """Whether a message is what someone copying a receipt code types: a code found by
    `find_codes`, or a run of letters and digits, mostly digits, long enough to be one. "1",
    "0912" or "tôi không nhớ mã" are not: they are not counted as failed lookups."""
    if find_codes(message):
        return True
    key = code_key(message)
    digits = sum(ch.isdigit() for ch in key)
    return len(key) >= _CODE_MIN_CHARS and digits >= _CODE_MIN_DIGITS and 2 * digits >= len(key)


def _display(agency: list[str], date: str, sequence: str) -> str:
    parts = [".".join(agency)] if agency else []
    return "-".join([*parts, date, sequence])


def _is_date(group: str) -> bool:
    if len(group) != 6 or not group.isdigit():
        return False
    month, day = int(group[2:4]), int(group[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def agency_key(code: str) -> str | None:
    """The agency segment of a receipt code, in `code_key` form: "000.00.19.H47-260105-0001" →
    "00000019H47"; None when the code does not end with a receipt date and a 4-digit sequence, or
    has nothing before them."""
    key = code_key(code)
    if len(key) <= 10 or not key[-10:].isdigit() or not _is_date(key[-10:-4]):
        return None
    return key[:-10]
