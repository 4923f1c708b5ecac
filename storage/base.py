"""What the conversations may ask of storage: a narrow interface, the SQL behind it.

Handlers depend on this Protocol only; `storage.sqlite` implements it, and a PostgreSQL backend
can be added beside it without touching a handler (the contract tests in
`tests/test_storage_contract.py` run against every backend).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ConversationKey:
    """Whose conversation: the same person in a group and in private has two."""

    channel: str
    chat_id: str
    user_id: str


@dataclass(frozen=True)
class ConversationState:
    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Storage(Protocol):
    async def load_state(self, key: ConversationKey) -> ConversationState: ...

    async def save_state(
        self, key: ConversationKey, name: str | None, data: dict[str, Any], now: dt.datetime
    ) -> None: ...

    async def clear_state(self, key: ConversationKey) -> None: ...

    async def touch_chat(self, channel: str, chat_id: str, now: dt.datetime) -> bool:
        """Record that the chat wrote now; True if it is the chat's first message ever."""
        ...

    async def close(self) -> None: ...
