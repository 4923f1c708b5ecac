"""Settings from the environment (and an optional `.env` file), in one typed model.

Our own settings use the prefix `MOTCUA_`; Telegram's keep the names people already know
(`TELEGRAM_BOT_TOKEN`, `TELEGRAM_BASE_URL`), and `OFFICER_IDS` lists officers' user ids.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
TEMPLATES_DIR = PROJECT_ROOT / "templates"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, f"MOTCUA_{name}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOTCUA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("data")
    catalogue_file: Path = KNOWLEDGE_DIR / "procedures.yaml"
    commune_file: Path = KNOWLEDGE_DIR / "commune.yaml"
    lexicon_file: Path = KNOWLEDGE_DIR / "lexicon.yaml"
    calendar_file: Path = KNOWLEDGE_DIR / "calendar_overrides.yaml"
    templates_dir: Path = TEMPLATES_DIR
    log_level: str = "INFO"

    # Dossier lookups: second factor (last 4 digits of the phone) and failed-lookup limit.
    lookup_second_factor: bool = True
    lookup_max_failures: int = Field(default=5, ge=1)
    lookup_window_minutes: int = Field(default=10, ge=1)

    # Lateness apologies (NĐ 61/2018 Điều 19 k.9): how many working days before the due date the
    # apology must reach the citizen, how many new dates a dossier may get, when the daily watch
    # tells officers which dossiers need one.
    apology_notice_working_days: int = Field(default=1, ge=0)
    apology_max_extensions: int = Field(default=1, ge=1)
    apology_watch_time: dt.time = dt.time(7, 30)

    officer_ids: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), validation_alias=_env("OFFICER_IDS")
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_BOT_TOKEN")
    )
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot", validation_alias=_env("TELEGRAM_BASE_URL")
    )
    telegram_base_file_url: str = Field(
        default="https://api.telegram.org/file/bot", validation_alias=_env("TELEGRAM_BASE_FILE_URL")
    )

    # Telegram: groups are declined politely unless allowed; pacing follows Telegram's limits.
    telegram_allow_groups: bool = False
    telegram_messages_per_second: float = Field(default=30.0, gt=0)
    telegram_per_chat_interval: float = Field(default=1.0, ge=0)
    # Webhook mode (deployment): Telegram posts to this public HTTPS URL; empty = long polling.
    telegram_webhook_url: str | None = Field(
        default=None, validation_alias=_env("TELEGRAM_WEBHOOK_URL")
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET")
    )
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    @field_validator("officer_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        """`OFFICER_IDS=123, 456` → {"123", "456"}; ids stay strings (Zalo's do not fit int64)."""
        if isinstance(value, str):
            return frozenset(
                part.strip() for part in value.replace(";", ",").split(",") if part.strip()
            )
        if isinstance(value, int):
            return frozenset({str(value)})
        if isinstance(value, list | tuple | set | frozenset):
            return frozenset(str(part).strip() for part in value)
        return value

    @property
    def database_file(self) -> Path:
        return self.data_dir / "motcua.sqlite3"
