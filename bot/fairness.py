"""Incoming work served round-robin across chats, each chat's messages in order (issue 15).

A chat with many messages waiting gets one turn, then every other waiting chat gets one, and so
on; at most `workers` chats are handled at once, never two messages of one chat. The Telegram
channel queues admitted messages here (`core.chat_rate` decided which are admitted); the Zalo
channel gets the same order from its durable inbox (`inbox_pending` returns each person's first
event before anyone's second).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Key = TypeVar("Key", bound=Hashable)
Item = TypeVar("Item")


class FairScheduler(Generic[Key, Item]):
    """Round-robin across keys (chats), each key's items in order, at most `workers` handled at
    once and never two of one key. `handle` failures are logged; the key goes on."""

    def __init__(self, handle: Callable[[Item], Awaitable[None]], workers: int = 16) -> None:
        self.handle = handle
        self.workers = workers
        self._queues: dict[Key, deque[Item]] = {}
        self._ready: deque[Key] = deque()  # keys with work waiting and none being handled
        self._busy: set[Key] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []

    def submit(self, key: Key, item: Item) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        queue.append(item)
        self._idle.clear()
        if key not in self._busy and len(queue) == 1:
            self._ready.append(key)
            self._wake.set()

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]

    async def stop(self, grace: float = 5.0) -> None:
        """Let the work in hand finish (up to `grace` seconds), then stop the workers."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _work(self) -> None:
        while True:
            if not self._ready:
                self._wake.clear()
                await self._wake.wait()
                continue
            key = self._ready.popleft()
            queue = self._queues[key]
            item = queue.popleft()
            self._busy.add(key)
            try:
                await self.handle(item)
            except Exception:
                log.exception("handling a message failed")
            finally:
                self._busy.discard(key)
                if queue:
                    self._ready.append(key)  # to the back: every other chat goes first
                    self._wake.set()
                else:
                    del self._queues[key]
                    if not self._queues and not self._busy:
                        self._idle.set()
