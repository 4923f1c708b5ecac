"""Settings from the environment (and an optional `.env` file), in one typed model.

Our own settings use the prefix `MOTCUA_`; Telegram's keep the names people already know
(`TELEGRAM_BOT_TOKEN`, `TELEGRAM_BASE_URL`), and `OFFICER_IDS` lists the admins' ids, each with its
channel (`telegram:123, zalo:456`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.dossier_import import ImportLimits
from core.officers import AdminIds

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
TEMPLATES_DIR = PROJECT_ROOT / "templates"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, f"MOTCUA_{name}")


class ZaloSettings(BaseModel):
    """Zalo Official Account (bot/channels/zalo; docs/zalo.md). Zalo's own numbers
    come from public sources of mixed reliability: each is a setting, the default being what the
    sources say (see the comments in bot/channels/zalo/__init__.py). Read from ZALO_<NAME> or
    MOTCUA_ZALO_<NAME> (e.g. ZALO_APP_ID, MOTCUA_ZALO_CS_WINDOW_HOURS)."""

    app_id: str | None = None
    app_secret: SecretStr | None = None
    oa_secret_key: SecretStr | None = None
    # The first tokens (from the OA's authorisation); afterwards the database holds them.
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    webhook_url: str | None = None
    api_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    zns_base_url: str = "https://business.openapi.zalo.me"
    # ZNS templates (approved by Zalo, paid per message): empty = no ZNS. Fields: "param=source"
    # pairs; sources: code, procedure, status, due, old_due, new_due, reason, name.
    zns_template_status: str | None = None
    zns_status_fields: str = (
        "ma_ho_so=code,ten_thu_tuc=procedure,trang_thai=status,ngay_hen_tra=due"
    )
    zns_template_apology: str | None = None
    zns_apology_fields: str = "ma_ho_so=code,ngay_hen_cu=old_due,ngay_hen_moi=new_due,ly_do=reason"
    # Transaction messages need Zalo's permission for the OA: off until the commune has it.
    transaction_messages: bool = False
    reply_with_message_id: bool = True  # recipient.message_id: a free reply, not quota
    cs_window_hours: float = Field(default=48, gt=0)
    cs_max_messages: int = Field(default=8, ge=0)  # per window; 0 = no limit
    interaction_days: float = Field(default=7, gt=0)  # transaction messages after that: no
    quiet_start: dt.time = dt.time(22, 0)
    quiet_end: dt.time = dt.time(6, 0)
    text_limit: int = Field(default=2000, ge=100)
    max_buttons: int = Field(default=5, ge=1)
    button_title_limit: int = Field(default=100, ge=10)
    messages_per_second: float = Field(default=10.0, gt=0)
    token_refresh_minutes: float = Field(default=60, ge=0)  # refresh this long before expiry
    # Signed events older than this (Zalo's timestamp) are refused as replays (DEFAULT_MAX_AGE in
    # bot/channels/zalo/options.py says where 10 comes from); handled event ids are kept two weeks.
    webhook_max_age_minutes: float = Field(default=10, gt=0, le=7 * 24 * 60)
    # Zalo's error codes, by what to do about them (comma-separated).
    errors_token: str = "-216,-220,-124"
    errors_rate: str = "-32"
    errors_night: str = "-133"
    errors_no_interaction: str = "-230"
    errors_unfollowed: str = "-213,-227"
    errors_zns_unreachable: str = "-108,-114,-118,-119"
    oa_url: str | None = None  # https://zalo.me/<OA id>: the OA's page (slips, status page)
    # Zalo's image links are downloaded only from these hosts (and their subdomains).
    image_hosts: str = "zadn.vn,zdn.vn,zalo.me,zaloapp.com"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOTCUA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # MOTCUA_ZALO_APP_ID → zalo.app_id: only the nested Zalo object is split this way.
        env_nested_delimiter="_",
        env_nested_max_split=1,
    )

    data_dir: Path = Path("data")
    # PostgreSQL instead of the SQLite file (several processes, issue 18): postgresql://…
    # (docs/postgresql.md). Empty: SQLite in the data folder.
    database_url: str | None = None
    catalogue_file: Path = KNOWLEDGE_DIR / "procedures.yaml"
    # A knowledge YAML file bigger than this is refused unread (issue 15; the shipped catalogue,
    # 33 procedures, is 0.23 MB; a 5 MB file takes ~13 s and ~150 MB to read).
    catalogue_max_bytes: int = Field(default=5 * 2**20, ge=64 * 1024)
    # Exports from the one-stop software (core.dossier_import.ImportLimits says why these).
    import_max_unpacked_bytes: int = Field(default=256 * 2**20, ge=2**20)
    import_max_rows: int = Field(default=100_000, ge=1)
    import_max_columns: int = Field(default=200, ge=13)
    import_max_cell_chars: int = Field(default=2_000, ge=100)
    commune_file: Path = KNOWLEDGE_DIR / "commune.yaml"
    # Issue 19: one bot for a province's communes (docs/province.md). Empty: a province of one,
    # the commune of `commune_file`.
    province_file: Path | None = None
    lexicon_file: Path = KNOWLEDGE_DIR / "lexicon.yaml"
    # Questions as citizens ask them, by procedure id (core.search.examples); None: none used.
    examples_file: Path | None = KNOWLEDGE_DIR / "examples.yaml"
    # Files the bot can make again, kept between starts (the example questions as analysed:
    # core.search.examples.AnalysisCache). Empty: `cache` in the data folder.
    cache_dir: Path | None = None
    calendar_file: Path = KNOWLEDGE_DIR / "calendar_overrides.yaml"
    templates_dir: Path = TEMPLATES_DIR
    log_level: str = "INFO"

    # Dossier lookups: second factor (last 4 digits of the phone) and the limits on failed
    # lookups, per chat, per channel user, per dossier and overall. Where each default comes from
    # (NIST SP 800-63B §5.2.2, OWASP ASVS 4.0.3 V2.2.1, the 4-digit space): core/lookup_limits.py.
    lookup_second_factor: bool = True
    lookup_max_failures: int = Field(default=5, ge=1)  # per chat…
    lookup_window_minutes: int = Field(default=10, ge=1)  # …within this window
    lookup_user_max_failures: int = Field(default=20, ge=1)
    lookup_user_window_hours: float = Field(default=24, gt=0)
    lookup_dossier_max_failures: int = Field(default=5, ge=1)
    lookup_dossier_window_hours: float = Field(default=24, gt=0)
    lookup_global_max_failures: int = Field(default=30, ge=1)
    lookup_global_window_minutes: float = Field(default=60, gt=0)

    # Lateness apologies (NĐ 61/2018 Điều 19 k.9): how many working days before the due date the
    # apology must reach the citizen, how many new dates a dossier may get, when the daily watch
    # tells officers which dossiers need one.
    apology_notice_working_days: int = Field(default=1, ge=0)
    apology_max_extensions: int = Field(default=1, ge=1)
    apology_watch_time: dt.time = dt.time(7, 30)

    # Issue 7: on the appointment day, remind followers whose result waits to be collected; unlink
    # chats from dossiers finished this many days ago (0: never); volunteers' lookup allowance.
    ready_reminder: bool = True
    ready_reminder_time: dt.time = dt.time(8, 0)
    unlink_returned_days: int = Field(default=30, ge=0)
    volunteer_lookup_factor: int = Field(default=5, ge=1)

    # Issue 20: the receipt's QR and its status page, photos of receipts (core/slips.py).
    # The public HTTPS address that serves the status page (the QR opens <address>/hs/<token>);
    # empty: no slips can be printed.
    public_url: str | None = None
    link_days_after_finished: int = Field(default=30, ge=0)  # a slip's link stops after that
    follow_code_hours: float = Field(default=24, gt=0)  # the Zalo follow code on the page
    telegram_bot_username: str | None = None  # the bot's @username: t.me links
    photo_max_mb: float = Field(default=10, gt=0)  # larger photos are refused, unread
    status_page_per_minute: int = Field(default=30, ge=1)  # status page requests per address
    # Issue 21: while a question waits for an officer the bot leaves the person's free text to
    # the officer, unless nobody wrote in it for this long (then the bot answers again).
    ticket_silence_minutes: int = Field(default=120, ge=1)

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
    # A chat sending faster than it can be answered (core/chat_rate.py says where these come
    # from): this many messages at once, then this many a minute; past that, one polite answer.
    chat_burst: int = Field(default=20, ge=1)
    chat_messages_per_minute: float = Field(default=30, gt=0)
    # Webhook requests bigger than this are refused before being read (bot/webhooks.py).
    webhook_max_bytes: int = Field(default=1 << 20, ge=1024)
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # Several worker processes (issue 18, PostgreSQL; bot/workers.py): a worker that stops
    # renewing its leases (killed, frozen) loses its chats and its channel's sending after this
    # long; each worker handles this many chats at once.
    worker_lease_seconds: float = Field(default=30.0, gt=0)
    worker_chats: int = Field(default=16, ge=1)

    # Zalo Official Account, one nested object (`settings.zalo`, ZaloSettings below); the
    # environment names stay flat: ZALO_APP_ID or MOTCUA_ZALO_APP_ID, MOTCUA_ZALO_CS_WINDOW_HOURS…
    zalo: ZaloSettings = Field(
        default_factory=ZaloSettings,
        validation_alias=AliasChoices("zalo", "MOTCUA_ZALO"),
    )

    @model_validator(mode="before")
    @classmethod
    def _nest_zalo(cls, data: Any) -> Any:
        """Zalo's settings given flat (ZALO_APP_ID="…", zalo_errors_night="…" as keyword
        arguments, the names they had before the nested object) go into `zalo`."""
        if not isinstance(data, dict):
            return data
        given = data.get("zalo") or {}
        nested = dict(given.model_dump() if isinstance(given, BaseModel) else given)
        for key in [k for k in data if isinstance(k, str)]:
            name = key.lower()
            for prefix in ("motcua_zalo_", "zalo_"):
                if name.startswith(prefix):
                    nested[name.removeprefix(prefix)] = data.pop(key)
                    break
        if nested:
            data = {**data, "zalo": nested}
        return data

    @field_validator("officer_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        """`OFFICER_IDS=telegram:123, zalo:456` → {"telegram:123", "zalo:456"}; ids stay strings
        (Zalo's do not fit int64)."""
        if isinstance(value, str):
            return frozenset(
                part.strip() for part in value.replace(";", ",").split(",") if part.strip()
            )
        if isinstance(value, int):
            return frozenset({str(value)})
        if isinstance(value, list | tuple | set | frozenset):
            return frozenset(str(part).strip() for part in value)
        return value

    @field_validator("officer_ids")
    @classmethod
    def _check_ids(cls, value: frozenset[str]) -> frozenset[str]:
        AdminIds.parse(value)  # an entry that is not `channel:id` or a bare id is refused
        return value

    def secret_values(self) -> list[str]:
        """Every secret setting's value: none of them is ever logged (bot.log_redaction)."""
        return [
            value.get_secret_value()
            for value in (
                self.telegram_bot_token,
                self.telegram_webhook_secret,
                self.zalo.app_secret,
                self.zalo.oa_secret_key,
                self.zalo.access_token,
                self.zalo.refresh_token,
            )
            if value is not None and value.get_secret_value()
        ]

    @property
    def import_limits(self) -> ImportLimits:
        return ImportLimits(
            max_unpacked_bytes=self.import_max_unpacked_bytes,
            max_rows=self.import_max_rows,
            max_columns=self.import_max_columns,
            max_cell_chars=self.import_max_cell_chars,
        )

    @property
    def admins(self) -> AdminIds:
        """OFFICER_IDS with their channels (a bare number is a Telegram id, with a warning)."""
        return AdminIds.parse(self.officer_ids)

    @property
    def database_file(self) -> Path:
        return self.data_dir / "motcua.sqlite3"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("MOTCUA_DATABASE_URL must start with postgresql:// (or be empty)")
        return value
