"""Issue 15: secrets never reach a log line (the end-to-end modules are also scanned whole: see
`_no_secrets_in_logs` in conftest.py)."""

from __future__ import annotations

import io
import logging

import pytest

from bot import log_redaction
from bot.log_redaction import MASK, SecretRedactor
from bot.settings import Settings

TOKEN = "7012345678:AAHk3-real_looking_token_0123456789abc"


def _logged(redactor: SecretRedactor, *args: object, exc: bool = False) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        if exc:
            try:
                raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
            except RuntimeError:
                logger.exception(*args)  # type: ignore[arg-type]
        else:
            logger.warning(*args)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_known_secrets_and_token_shapes_are_masked_in_messages_and_tracebacks() -> None:
    redactor = SecretRedactor(["zalo-oa-secret-xyz", "tiny"])
    text = _logged(redactor, "HTTP Request: POST %s %s", f"https://x/bot{TOKEN}/getMe", "ok")
    assert TOKEN not in text and f"bot{MASK}/getMe" in text
    text = _logged(redactor, "key %s", "zalo-oa-secret-xyz")
    assert "zalo-oa-secret-xyz" not in text and MASK in text
    assert "tiny" in _logged(redactor, "tiny words stay")  # too short to be a secret
    text = _logged(redactor, "sending failed", exc=True)
    assert "Traceback" in text and "RuntimeError" in text and TOKEN not in text


def test_the_installed_redactor_covers_handlers_added_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The record factory cleans every record when it is made: pytest's own capture handler
    (added for this test, after any install) never sees the secret."""
    log_redaction.protect("renewed-zalo-access-token-42")
    with caplog.at_level(logging.INFO):
        logging.getLogger("bot.channels.zalo").info("token %s", "renewed-zalo-access-token-42")
    assert "renewed-zalo-access-token-42" not in caplog.text and MASK in caplog.text


def test_every_secret_setting_is_protected() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET="webhook-secret",
        ZALO_APP_SECRET="app-secret",
        ZALO_OA_SECRET_KEY="oa-secret",
        ZALO_ACCESS_TOKEN="access-token",
        ZALO_REFRESH_TOKEN="refresh-token",
    )
    assert sorted(settings.secret_values()) == sorted(
        [TOKEN, "webhook-secret", "app-secret", "oa-secret", "access-token", "refresh-token"]
    )
