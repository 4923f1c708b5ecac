"""Shared fixtures: offline, deterministic, one fresh database per test."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import Dispatcher, load_knowledge, running_services
from bot.settings import Settings
from core.clock import FixedClock
from handlers.context import Knowledge, Services
from storage.base import Storage
from tests.storage_backends import BACKENDS, PostgresServer, open_backend
from tests.transcript import Transcript

DATA = Path(__file__).parent / "data"
# Figures tests want shown after the run (search accuracy), whatever the verbosity.
REPORTED_FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTED_FIGURES:
        terminalreporter.section("measured")
        for line in REPORTED_FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection that leaves the machine fails the test (loopback stays allowed)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            host = str(address[0])
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings in tests come from the test, never from the developer's shell or .env."""
    import os

    for name in list(os.environ):
        if name.startswith(("MOTCUA_", "TELEGRAM_", "ZALO_")) or name == "OFFICER_IDS":
            monkeypatch.delenv(name)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **overrides)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The transcript channel's admin, and Telegram's (the end-to-end tests).
    return make_settings(tmp_path, OFFICER_IDS="test:900, telegram:900")


@pytest.fixture(scope="session")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    """The shipped catalogue, loaded once: building the index is the slow part (its examples
    analysed afresh: no cache from an earlier run)."""
    cache = tmp_path_factory.mktemp("cache")
    return load_knowledge(Settings(_env_file=None, cache_dir=cache))  # type: ignore[call-arg]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 23, 9, 0))


@pytest.fixture
async def services(
    settings: Settings, clock: FixedClock, knowledge: Knowledge
) -> AsyncIterator[Services]:
    async with running_services(settings, clock=clock, knowledge=knowledge) as services:
        yield services


@pytest.fixture
def dispatcher(services: Services) -> Dispatcher:
    return Dispatcher(services)


@pytest.fixture
def chat(dispatcher: Dispatcher) -> Transcript:
    return Transcript(dispatcher, user_id="100")


@pytest.fixture
def officer_chat(dispatcher: Dispatcher) -> Transcript:
    return Transcript(dispatcher, user_id="900")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    yield DATA


# Issue 15: no secret in the logs. Every test of these end-to-end modules runs with logging at
# DEBUG and its captured log (messages and tracebacks) is scanned for the secrets the stand-ins
# use: the Bot API token, the webhook secret, Zalo's app secret, OA secret key and every access
# and refresh token the stand-in issues.
E2E_MODULES = frozenset(
    {
        "test_telegram_e2e",
        "test_zalo",
        "test_tickets_channels",
        "test_cli_run",
        "test_storage_fault_loops",
    }
)
TEST_SECRETS = re.compile(
    r"123456:TEST|s3cret|oa-secret-key-for-tests|app-secret-for-tests"
    r"|\b(?:expired-)?(?:access|refresh)-\d+\b"
)


@pytest.fixture(autouse=True)
def _no_secrets_in_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    if request.module.__name__.rpartition(".")[2] not in E2E_MODULES:
        yield
        return
    caplog.set_level(logging.DEBUG)
    yield
    leaks = sorted(set(TEST_SECRETS.findall(caplog.text)))
    assert not leaks, f"secrets in the logs: {leaks}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """PostgreSQL for the storage tests: reached once per session, a migrated template made."""
    server = PostgresServer()  # started by the first test that needs it
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer
) -> AsyncIterator[Storage]:
    """A fresh database of every backend in turn: the storage tests run on each
    (tests/storage_backends.py)."""
    async with open_backend(request.param, tmp_path, postgres_server) as opened:
        yield opened
