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


def code_key(text: str) -> str:
    """The comparable form of a code: upper-case letters and digits only."""
    normalized = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in normalized if ch.isascii() and ch.isalnum())


def find_codes(message: str) -> list[str]:
    """Codes in a message, tidied for display (upper case, '-' and '.').

    A code is recognised by its tail, the receipt date and the day's sequence number
    (`YYMMDD-NNNN`), with the agency groups before it (`000.00.19.H47`, `H57.132`). This decides
    whether a message goes to the lookup instead of procedure search; the lookup itself accepts
    anything, since the office's software may issue codes of another shape.
    """
    text = unicodedata.normalize("NFKC", message)
    groups = [(m.group(0), m.start(), m.end()) for m in _GROUP.finditer(text)]
    joined = [
        i > 0 and bool(_JOIN.match(text[groups[i - 1][2] : groups[i][1]]))
        for i in range(len(groups))
    ]
    found = []
    for i in range(1, len(groups)):
        date, sequence = groups[i - 1][0], groups[i][0]
        if not (joined[i] and _is_date(date) and sequence.isdigit() and 3 <= len(sequence) <= 5):
            continue
        first = i - 1
        while first > 0 and joined[first] and _AGENCY_GROUP.match(groups[first - 1][0]):
            first -= 1
        agency = [g[0].upper() for g in groups[first : i - 1]]
        parts = [".".join(agency)] if agency else []
        found.append("-".join([*parts, date, sequence]))
    return found


def _is_date(group: str) -> bool:
    if len(group) != 6 or not group.isdigit():
        return False
    month, day = int(group[2:4]), int(group[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31
