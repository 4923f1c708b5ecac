"""The receipt's QR (issue 20): an unguessable token per dossier, the links built on it, and the
short follow code a person sends to the Zalo OA.

- A token is 16 random bytes (128 bits) in base64url: 22 characters of `[A-Za-z0-9_-]`. Only its
  SHA-256 is stored, so a copy of the database cannot be turned back into working links. It
  works until an officer revokes it, and stops a configurable number of days after the dossier
  is finished (`LinkPolicy.days_after_finished`).
- The QR on the slip encodes `https://<public address>/hs/<token>`: the status page.
- Telegram's deep link `https://t.me/<bot>?start=hs_<token>` (25 characters of payload; Telegram
  allows 64 of `[A-Za-z0-9_-]`) opens the chat showing the dossier. Holding the slip is the
  second factor: no phone digits are asked.
- Zalo has no such link that we could confirm, so the page shows a follow code to send to the OA:
  8 characters of Crockford's base32 (40 bits), e.g. `THEO 7K3M-9QX2`. It is short enough to
  type, lives a few hours only (`LinkPolicy.follow_code_ttl`), is stored hashed, and a wrong one
  counts as a failed lookup, so codes cannot be tried one after another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import unquote

from core.dossiers import Dossier
from core.receipt_codes import find_codes

TOKEN_BYTES = 16  # 128 bits
PAGE_PATH = "/hs/"
DEEP_LINK_PREFIX = "hs_"
# Telegram's deep-link payload: at most 64 characters of A-Z, a-z, 0-9, _ and -.
DEEP_LINK_MAX = 64
_TOKEN_CHARS = r"[A-Za-z0-9_-]"
_TOKEN = re.compile(rf"^{_TOKEN_CHARS}{{22,43}}$")
_TOKEN_IN_URL = re.compile(rf"/hs/({_TOKEN_CHARS}{{22,43}})(?:[/?#]|$)")
# Crockford's base32: no I, L, O, U (read as 1, 1, 0, V would be wrong, so they are mapped).
FOLLOW_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FOLLOW_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_FOLLOW = re.compile(
    r"^\s*(theo(?:\s*d[oõ]i)?\s*[:.\-]?\s*)?([0-9a-z]{4})[\s.\-–]?([0-9a-z]{4})\s*$",
    re.IGNORECASE,
)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token (or of a follow code): its SHA-256, in hex."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def is_token(text: str) -> bool:
    return bool(_TOKEN.match(text))


def page_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + PAGE_PATH + token


def deep_link_payload(token: str) -> str:
    payload = DEEP_LINK_PREFIX + token
    assert len(payload) <= DEEP_LINK_MAX and re.fullmatch(rf"{_TOKEN_CHARS}+", payload)
    return payload


def telegram_link(username: str, token: str | None = None) -> str:
    """`https://t.me/<bot>` (the poster), or with `?start=hs_<token>` (the status page)."""
    base = f"https://t.me/{username.lstrip('@')}"
    return f"{base}?start={deep_link_payload(token)}" if token else base


def token_from_start(argument: str) -> str | None:
    """`/start hs_<token>` → the token; None for any other start parameter."""
    argument = argument.strip()
    if argument.startswith(DEEP_LINK_PREFIX) and is_token(argument[len(DEEP_LINK_PREFIX) :]):
        return argument[len(DEEP_LINK_PREFIX) :]
    return None


def token_from_text(text: str) -> str | None:
    """A status-page link (any host: the token is the secret, not the address) → its token."""
    found = _TOKEN_IN_URL.search(text.strip())
    return found.group(1) if found else None


def new_follow_code() -> str:
    """'7K3M9QX2' (shown as '7K3M-9QX2'): always with a digit (see `follow_code_from_text`)."""
    while True:
        code = "".join(secrets.choice(FOLLOW_ALPHABET) for _ in range(8))
        if any(ch.isdigit() for ch in code):
            return code


def show_follow_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def follow_code_from_text(text: str) -> str | None:
    """'THEO 7K3M-9QX2', 'theo doi 7k3m9qx2', '7K3M-9QX2' → '7K3M9QX2'; None otherwise. A code
    always has a digit as typed, so that words ("khai sinh", "theo doi khai sinh") never pass
    for one."""
    found = _FOLLOW.match(text)
    if not found:
        return None
    typed = found.group(2) + found.group(3)
    if not any(ch.isdigit() for ch in typed) or found.group(2).casefold() == "theo":
        return None
    code = typed.upper().translate(_FOLLOW_TYPOS)
    return code if all(ch in FOLLOW_ALPHABET for ch in code) else None


@dataclass(frozen=True)
class LinkPolicy:
    """Settings MOTCUA_PUBLIC_URL, MOTCUA_LINK_DAYS_AFTER_FINISHED, MOTCUA_FOLLOW_CODE_HOURS,
    MOTCUA_TELEGRAM_BOT_USERNAME, MOTCUA_ZALO_OA_URL."""

    public_url: str | None = None  # https://bot.xa.gov.vn: where the status page is served
    days_after_finished: int = 30
    follow_code_ttl: dt.timedelta = dt.timedelta(hours=24)
    telegram_username: str | None = None  # the bot's @username, for t.me links
    zalo_oa_url: str | None = None  # https://zalo.me/<OA id>, copied from the OA's admin page


@dataclass(frozen=True)
class LinkedDossier:
    """A dossier reached through a token, with what decides whether the token still works."""

    dossier: Dossier
    revoked: bool
    finished_at: dt.datetime | None  # when the dossier reached a finished status; None if open

    def usable(self, now: dt.datetime, policy: LinkPolicy) -> bool:
        if self.revoked:
            return False
        if not self.dossier.info.finished or self.finished_at is None:
            return True
        finished = self.finished_at
        if finished.tzinfo is None:  # naive times in the database are local (Vietnam)
            finished = finished.replace(tzinfo=now.tzinfo)
        return now < finished + dt.timedelta(days=policy.days_after_finished)


@dataclass(frozen=True)
class ScannedCode:
    """What a photo's codes amount to: the bot's own token (no second factor needed), or a
    dossier code printed by the one-stop software (the usual second factor)."""

    token: str | None = None
    dossier_code: str | None = None


def interpret_codes(texts: list[str]) -> ScannedCode | None:
    """The decoded texts of a photo → the first token, else the first dossier code (a bare code
    or a lookup link that carries one, percent-encoded or not); None if neither."""
    for text in texts:
        token = token_from_text(text)
        if token is not None:
            return ScannedCode(token=token)
    for text in texts:
        codes = find_codes(unquote(text).replace("+", " "))
        if codes:
            return ScannedCode(dossier_code=codes[0])
    return None
