"""`motcua run`: options from settings and flags, and the real command serving a Telegram chat
(a separate process, against the Bot API stand-in on 127.0.0.1) until SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.cli import build_parser
from bot.settings import Settings
from bot.telegram_runner import telegram_options
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(["run", "--channel", "telegram", *argv])


def test_without_a_token_the_officer_is_told_how_to_get_one() -> None:
    problem = telegram_options(parse(), settings())
    assert isinstance(problem, str)
    assert "@BotFather" in problem and "TELEGRAM_BOT_TOKEN" in problem


def test_a_webhook_needs_https_and_a_secret() -> None:
    token = {"telegram_bot_token": "1:abc"}
    plain = telegram_options(parse("--webhook-url", "http://bot.xa.vn/tg"), settings(**token))
    assert isinstance(plain, str) and "https://" in plain
    no_secret = telegram_options(parse("--webhook-url", "https://bot.xa.vn/tg"), settings(**token))
    assert isinstance(no_secret, str) and "TELEGRAM_WEBHOOK_SECRET" in no_secret


def test_options_come_from_settings_and_flags() -> None:
    options = telegram_options(
        parse(
            "--webhook-url", "https://bot.xa.vn/tg/abc", "--port", "8080", "--secret-token", "s_1"
        ),
        settings(
            telegram_bot_token="1:abc",
            officer_ids="12, 7",
            telegram_allow_groups=True,
            telegram_messages_per_second=20,
            apology_watch_time="06:45",
        ),
    )
    assert not isinstance(options, str)
    assert options.token == "1:abc" and options.officer_ids == ("12", "7")
    assert options.allow_groups and options.pacing.per_second == 20
    assert options.watch_at.hour == 6 and options.watch_at.minute == 45
    assert options.webhook_url == "https://bot.xa.vn/tg/abc" and options.url_path == "tg/abc"
    assert options.port == 8080 and options.secret_token == "s_1"
    polling = telegram_options(parse(), settings(telegram_bot_token="1:abc"))
    assert not isinstance(polling, str) and polling.webhook_url is None


def bot_environment(fake: FakeTelegram, tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
        "MOTCUA_DATA_DIR": str(tmp_path / "data"),
        "MOTCUA_LOG_LEVEL": "WARNING",
        **more,
    }


async def start_bot(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """The real `motcua run --channel telegram`, in its own process."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--channel", "telegram",
        cwd=tmp_path, env={**os.environ, **env}, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_motcua_run_serves_telegram_until_sigterm(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        process = await start_bot(tmp_path, bot_environment(fake, tmp_path))
        try:
            await fake.wait_for_call("setMyCommands", timeout=30)
            fake.push_text(4242, "làm giấy khai tử cần gì")
            card, *_ = await fake.wait_for_messages(4242, 1, timeout=30)
            assert "Đăng ký khai tử" in card.plain
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()
        assert (tmp_path / "data" / "motcua.sqlite3").exists()


@pytest.mark.parametrize("channel", ["console"])
def test_run_defaults_to_the_terminal_chat(channel: str) -> None:
    args = build_parser().parse_args(["run"])
    assert args.channel == channel


async def test_motcua_reload_validates_installs_and_the_running_bot_reloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`motcua reload FILE --yes`: a bad file changes nothing; a good one is installed and the
    running `motcua run` (told by SIGHUP) answers with it, without a restart."""
    from tests.test_uploads import NEW_NAME, catalogue_yaml, with_a_negative_fee, with_new_procedure

    catalogue = tmp_path / "procedures.yaml"
    catalogue.write_bytes((ROOT / "knowledge" / "procedures.yaml").read_bytes())
    bad, good = tmp_path / "bad.yaml", tmp_path / "new.yaml"
    bad.write_bytes(catalogue_yaml(with_a_negative_fee))
    good.write_bytes(catalogue_yaml(with_new_procedure))
    async with FakeTelegram() as fake:
        env = bot_environment(
            fake,
            tmp_path,
            MOTCUA_CATALOGUE_FILE=str(catalogue),
            MOTCUA_LOG_LEVEL="INFO",  # the bot logs "catalogue reloaded"
        )
        for name, value in env.items():  # `motcua reload` below reads the same settings
            monkeypatch.setenv(name, value)
        process = await start_bot(tmp_path, env)
        try:
            await fake.wait_for_call("setMyCommands", timeout=30)
            before = catalogue.read_bytes()
            assert await asyncio.to_thread(cli.main, ["reload", str(bad), "--yes"]) == 1
            assert catalogue.read_bytes() == before
            assert await asyncio.to_thread(cli.main, ["reload", str(good), "--yes"]) == 0
            assert catalogue.read_bytes() == good.read_bytes()
            await asyncio.wait_for(_log_line(process, "catalogue reloaded"), timeout=30)
            fake.push_text(4301, "xin giấy nuôi ong mật")
            [reply] = await fake.wait_for_messages(4301, 1, timeout=30)
            assert NEW_NAME in reply.plain
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()
        assert not (tmp_path / "data" / "motcua.pid").exists()


async def _log_line(process: asyncio.subprocess.Process, fragment: str) -> None:
    assert process.stderr is not None
    while line := await process.stderr.readline():
        if fragment.encode() in line:
            return
    raise AssertionError(f"the bot exited without logging {fragment!r}")
