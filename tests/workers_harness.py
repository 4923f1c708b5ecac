"""Worker processes for the tests of issue 18: real `motcua worker` processes on a PostgreSQL
database of their own, answering through the stand-in Bot API (tests/fake_telegram.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from storage.base import Storage
from tests.fake_telegram import FakeTelegram

# The script every chat sends, and how each answer starts: the replies say which message
# they answer, so that the order and the duplicates can be read off the chat.
SCRIPT = ["đăng ký khai sinh", "đăng ký kết hôn", "chứng thực bản sao", "đăng ký khai tử"]
MARKERS = ["<b>Đăng ký khai sinh", "<b>Đăng ký kết hôn", "<b>Chứng thực", "<b>Đăng ký khai tử"]


def worker_env(url: str, fake: FakeTelegram, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.update(
        MOTCUA_DATABASE_URL=url,
        MOTCUA_DATA_DIR=str(data_dir),
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_BASE_URL=fake.base_url,
        TELEGRAM_BASE_FILE_URL=fake.base_file_url,
        MOTCUA_WORKER_LEASE_SECONDS="1",
        MOTCUA_CHAT_BURST="100",
        **extra,
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


class Workers:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, count: int) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for _ in range(count):
            log = (self.logs / f"worker-{len(self.processes)}.log").open("wb")
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "worker", "--channel", "telegram",
                env=self.env, stdout=log, stderr=log,
            )  # fmt: skip
            log.close()
            self.processes.append(process)

    def names(self) -> dict[str, asyncio.subprocess.Process]:
        """By the name each worker holds leases under (host:pid)."""
        import socket

        return {f"{socket.gethostname()}:{p.pid}": p for p in self.processes}

    def kill(self, process: asyncio.subprocess.Process) -> None:
        process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()

    def output(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


@contextlib.asynccontextmanager
async def running_workers(env: dict[str, str], logs: Path, count: int) -> AsyncIterator[Workers]:
    workers = Workers(env, logs)
    await workers.start(count)
    try:
        # Listening for notices before anything is asked of them.
        # (Generous: on a machine shared with other test runs, starting takes seconds.)
        await wait_for(
            lambda: workers.output().count(" running (") == count, workers, "start", within=120
        )
        yield workers
    finally:
        await workers.stop()


async def wait_for(
    condition: Callable[[], Any], workers: Workers, what: str = "", within: float = 30.0
) -> None:
    """Until `condition()` (awaited if it is a coroutine) is true; other processes do the work,
    so this polls rather than sleeping a fixed time."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{workers.output()}")
        for process in workers.processes:
            if process.returncode not in (None, -signal.SIGKILL):
                raise AssertionError(f"a worker ended ({process.returncode})\n{workers.output()}")
        await asyncio.sleep(0.05)


async def store_script(storage: Storage, fake: FakeTelegram, chats: list[int]) -> int:
    """Every chat's script into the inbox, as the receiving process stores it; how many."""
    import json

    from bot.front import store_update

    services: Any = type("S", (), {"storage": storage, "clock": _Now()})()
    count = 0
    for step in SCRIPT:
        for chat in chats:
            update_id = fake.push_text(chat, step)
            update = fake.updates[update_id]
            assert await store_update(services, update, json.dumps(update, ensure_ascii=False))
            count += 1
    await storage.workers.notify("inbox")
    return count


class _Now:
    def now(self) -> Any:
        import datetime as dt

        from core.clock import VIETNAM

        return dt.datetime.now(VIETNAM)


def answered(fake: FakeTelegram, chat: int) -> list[int]:
    """Which script step each reply to `chat` answers, in the order sent."""
    steps = []
    for message in fake.messages_to(chat):
        text = message.text or ""
        step = next((i for i, marker in enumerate(MARKERS) if text.startswith(marker)), None)
        assert step is not None, f"unexpected reply to {chat}: {text[:80]!r}"
        steps.append(step)
    return steps
