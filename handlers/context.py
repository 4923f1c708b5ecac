"""What a conversation handler receives: the message, its conversation, and the services.

Services are built once at start-up (`bot.app`) and passed in; nothing here is global.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.catalogue import Catalogue
from core.clock import Clock
from core.messages import Button, IncomingMessage, OutgoingFile, Reply, TextFormat
from core.render import Renderer
from core.search import ProcedureSearch
from storage.base import ConversationKey, ConversationState, Storage


@dataclass(frozen=True)
class Knowledge:
    """The catalogue and its search index, replaced together when officers reload."""

    catalogue: Catalogue
    search: ProcedureSearch


@dataclass
class Services:
    knowledge: Knowledge
    storage: Storage
    clock: Clock
    renderers: dict[TextFormat, Renderer]
    officer_ids: frozenset[str] = frozenset()


@dataclass
class Context:
    services: Services
    message: IncomingMessage
    format: TextFormat
    state: ConversationState = field(default_factory=ConversationState)
    first_contact: bool = False

    @property
    def key(self) -> ConversationKey:
        m = self.message
        return ConversationKey(m.channel, m.chat_id, m.user_id)

    @property
    def catalogue(self) -> Catalogue:
        return self.services.knowledge.catalogue

    @property
    def search(self) -> ProcedureSearch:
        return self.services.knowledge.search

    @property
    def is_officer(self) -> bool:
        return self.message.user_id in self.services.officer_ids

    def render(self, template: str, **values: Any) -> str:
        commune = self.catalogue.commune
        return self.services.renderers[self.format].render(
            template, commune=commune, is_officer=self.is_officer, **values
        )

    def reply(
        self,
        template: str,
        buttons: Sequence[Sequence[Button]] = (),
        *,
        edit: bool = False,
        file: OutgoingFile | None = None,
        **values: Any,
    ) -> Reply:
        return Reply(
            text=self.render(template, **values),
            buttons=tuple(tuple(row) for row in buttons if row),
            format=self.format,
            edit=edit,
            file=file,
        )

    async def set_state(self, name: StrEnum, **data: Any) -> None:
        self.state = ConversationState(name.value, data)
        await self.services.storage.save_state(
            self.key, name.value, data, self.services.clock.now()
        )

    async def clear_state(self) -> None:
        if self.state.name is not None or self.state.data:
            self.state = ConversationState()
            await self.services.storage.clear_state(self.key)
