"""Settings come from the environment with the names operators already know."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


def test_defaults() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.data_dir == Path("data")
    assert settings.database_file == Path("data/motcua.sqlite3")
    assert settings.officer_ids == frozenset()
    assert settings.telegram_bot_token is None
    assert settings.catalogue_file.name == "procedures.yaml"


def test_environment_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OFFICER_IDS", "123, 456;789")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.data_dir == tmp_path
    assert settings.officer_ids == frozenset({"123", "456", "789"})
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"


def test_env_example_lists_every_setting() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text(encoding="utf-8")
    for name in ("MOTCUA_DATA_DIR", "TELEGRAM_BOT_TOKEN", "TELEGRAM_BASE_URL", "OFFICER_IDS"):
        assert name in example
    for field in Settings.model_fields:
        alias = Settings.model_fields[field].validation_alias
        names = getattr(alias, "choices", None) or [f"MOTCUA_{field.upper()}"]
        assert any(str(name) in example for name in names), field
