"""No secret in any log line, at any level (issue 15: the Telegram token was in every request URL
httpx logs at INFO, 377 lines in one run).

`SecretRedactor` is a `logging.Filter` that replaces every known secret (the Bot API token, the
webhook secret, Zalo's app secret, OA secret key, access and refresh tokens) and anything shaped
like a Bot API token with `«ẩn»`, in the message, its arguments, the traceback and the stack.

It is installed twice, for two reasons. As a filter on the root logger's handlers, it is an
ordinary filter. As a hook in the log-record factory, every record is cleaned when it is made,
before any handler sees it, so handlers added later (a file handler, pytest's capture) are
covered too. Logging is process-wide, so the redactor is too: `protect(secret)` adds a secret to
the one installed (Zalo's access and refresh tokens change while the bot runs).
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterable

MASK = "«ẩn»"
# A Bot API token in a URL or a message: "<bot id>:<35 characters>" (python-telegram-bot puts it
# in every request URL: https://api.telegram.org/bot<token>/<method>).
_BOT_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
# Shorter strings are not secrets anyone would configure, and would mask ordinary words.
MIN_SECRET = 6


class SecretRedactor(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        with self._lock:
            known = set(self._secrets)
            known.update(s for s in secrets if s and len(s) >= MIN_SECRET)
            # Longest first: a secret containing another is masked whole.
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _BOT_TOKEN.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        clean(record, self)
        return True


def clean(record: logging.LogRecord, redactor: SecretRedactor) -> None:
    """Redact a record in place (each redactor reads a record once)."""
    done: set[int] = getattr(record, "_redacted_by", set())
    if id(redactor) in done:
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to logging's own error report
        return
    cleaned = redactor.redact(message)
    if cleaned != message or record.args:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redactor.redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.redact(record.stack_info)
    setattr(record, "_redacted_by", done | {id(redactor)})  # noqa: B010 (not a LogRecord field)


_installed: SecretRedactor | None = None
_install_lock = threading.Lock()


def install(secrets: Iterable[str | None] = ()) -> SecretRedactor:
    """Install the redactor (once per process) and add `secrets` to it."""
    global _installed
    with _install_lock:
        if _installed is None:
            redactor = SecretRedactor()
            previous = logging.getLogRecordFactory()

            def factory(*args: object, **kwargs: object) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                clean(record, redactor)
                return record

            logging.setLogRecordFactory(factory)
            _installed = redactor
        for handler in logging.getLogger().handlers:
            if _installed not in handler.filters:
                handler.addFilter(_installed)
    _installed.add(*(s for s in secrets if s))
    return _installed


def protect(*secrets: str | None) -> None:
    """A secret learnt while running (a renewed Zalo token): never logged from now on."""
    install(secrets)
