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


def test_zalo_settings_are_one_object_read_from_the_flat_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ZALO_<NAME> and MOTCUA_ZALO_<NAME>, in the environment or .env, fill `settings.zalo`;
    other settings with underscores are unaffected; flat keyword arguments still work."""
    monkeypatch.setenv("ZALO_APP_ID", "4242")
    monkeypatch.setenv("MOTCUA_ZALO_OA_SECRET_KEY", "oa-key")
    monkeypatch.setenv("MOTCUA_ZALO_CS_WINDOW_HOURS", "24")
    monkeypatch.setenv("MOTCUA_LOOKUP_MAX_FAILURES", "7")
    env_file = tmp_path / ".env"
    env_file.write_text("ZALO_REFRESH_TOKEN=r-1\nMOTCUA_ZALO_ERRORS_NIGHT=-133,-1340\n")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    zalo = settings.zalo
    assert zalo.app_id == "4242" and zalo.cs_window_hours == 24
    assert zalo.oa_secret_key is not None and zalo.oa_secret_key.get_secret_value() == "oa-key"
    assert zalo.refresh_token is not None and zalo.refresh_token.get_secret_value() == "r-1"
    assert zalo.errors_night == "-133,-1340"
    assert settings.lookup_max_failures == 7
    assert "oa-key" in settings.secret_values()
    flat = Settings(_env_file=None, ZALO_APP_ID="1", zalo_cs_max_messages=3)  # type: ignore[call-arg]
    assert (flat.zalo.app_id, flat.zalo.cs_max_messages) == ("1", 3)
