"""What every long-running channel runner shares: serving until a signal, and hourly chores.

- SIGINT / SIGTERM stop the runner cleanly; SIGHUP reloads the catalogue (`motcua reload` sends it).
- `hourly` repeats a chore (forgetting old update or event ids) until the runner stops, without
  letting one failure end the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.app import reload_knowledge
from bot.backoff import run_rounds
from handlers.context import Services

log = logging.getLogger(__name__)


async def serve_until_signalled(
    services: Services, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]
) -> None:
    await start()
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopped.set)
    reloads: set[asyncio.Task[None]] = set()

    def reload() -> None:
        task = asyncio.create_task(reload_knowledge(services))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGHUP, reload)
    try:
        await stopped.wait()
    finally:
        await stop()


async def hourly(stop: asyncio.Event, chore: Callable[[], Awaitable[object]]) -> None:
    """Run `chore` now and every hour until `stop` is set."""
    # A failed chore is retried in an hour; the runner keeps serving (a fault of the database:
    # one log line, bot.backoff).
    await run_rounds(stop, "hourly chore", 3600, chore)
