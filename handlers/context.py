"""What a conversation handler receives: the message, its conversation, and the services.

Services are built once at start-up (`bot.app`) and passed in; nothing here is global.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from core.apologies import ApologyRules
from core.button_data import Action
from core.care import CarePolicy, Volunteer, VolunteerRoster, VolunteerStatus
from core.catalogue import Catalogue
from core.chat_rate import RatePolicy
from core.clock import Clock
from core.code_reader import ReaderLimits
from core.dossier_import import ImportLimits
from core.dossiers import Dossier
from core.law import law_in_force
from core.lookup_limits import LookupLimits
from core.messages import Button, FileSource, IncomingMessage, OutgoingFile, Reply, TextFormat
from core.officers import PROVINCE, AdminIds, OfficerRoster, Scope
from core.province import Province
from core.render import Renderer
from core.search import ProcedureSearch
from core.search.index import PostingsPool, indexed_text
from core.slips import LinkPolicy
from core.tickets import CONTEXT_QUESTIONS, Ticket
from core.workdays import WorkingCalendar
from handlers.commands import CommandMenus
from storage.base import ChatRef, ConversationKey, ConversationState, Stores


@dataclass(frozen=True)
class Knowledge:
    """The catalogue and its search index, replaced together when officers reload. Issue 19:
    with the province's communes, each with its effective catalogue; `catalogue` and `search`
    are the first commune's (a province of one's only commune when no province file is set)."""

    catalogue: Catalogue
    search: ProcedureSearch
    version: str = ""  # what /metrics shows: the catalogue file's digest (bot.knowledge_files)
    province: Province = None  # type: ignore[assignment]  # set in __post_init__ when omitted
    _searches: dict[str, ProcedureSearch] = field(default_factory=dict, compare=False, repr=False)
    # Posting arrays the communes' indexes share with the province's (core.search.index).
    postings: PostingsPool = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.province is None:
            object.__setattr__(self, "province", Province.of_one(self.catalogue))

    def catalogue_of(self, commune_id: str | None) -> Catalogue:
        """The commune's effective catalogue; the first commune's for an unknown id."""
        commune = self.province.get(commune_id)
        return commune.catalogue if commune is not None else self.catalogue

    def search_of(self, commune_id: str | None) -> ProcedureSearch:
        """The commune's search: the province's index (`search`, built from the shared
        catalogue) unless the commune's overlay changes what is indexed (adds a procedure,
        renames one…); then its own, built on first use and kept, sharing the postings its
        words have alike with the province's, its cache of resolved words (one bound for
        all communes) and the example questions as the province's search analysed them (the
        examples model is re-counted with the commune's names, not re-read). Hidden procedures
        stay indexed: a question about one is recognised and answered "not at this commune"
        (handlers.procedures)."""
        commune = self.province.get(commune_id)
        if commune is None or not commune.overlay:
            return self.search
        found = self._searches.get(commune.id)
        if found is None:
            procedures = self.province.indexed(commune)
            if list(map(indexed_text, procedures)) == list(map(indexed_text, self.province.shared)):
                found = self.search
            else:
                own = commune.catalogue
                indexed = Catalogue(procedures, own.commune, own.referrals)
                found = ProcedureSearch(
                    indexed,
                    self.search.lexicon,
                    self.postings,
                    self.search.words,
                    self.search.examples,
                    self.search.analysed_examples,
                )
            self._searches[commune.id] = found
        return found


@dataclass(frozen=True)
class LookupPolicy:
    """How dossier lookups are protected (settings MOTCUA_LOOKUP_*)."""

    # Ask for the last 4 digits of the dossier's phone number before showing details.
    second_factor: bool = True
    # Failed lookups allowed per chat, per channel user, per dossier and overall.
    limits: LookupLimits = field(default_factory=LookupLimits)


@dataclass(frozen=True)
class TicketPolicy:
    """Questions handed to an officer (issue 21; setting MOTCUA_TICKET_SILENCE_MINUTES)."""

    # While a ticket is open the bot leaves the person's free text to the officer, unless nobody
    # wrote in the ticket for this long: then it answers on its own again (the ticket stays open
    # in the officers' queue). About one office session by default.
    silence: dt.timedelta = dt.timedelta(minutes=120)


class CatalogueFiles(Protocol):
    """Where the catalogue lives on disk (bot.knowledge_files): officers replace it from the
    chat or the command line, and the running bot reloads it without stopping."""

    @property
    def max_bytes(self) -> int:
        """A bigger catalogue is refused unread (setting MOTCUA_CATALOGUE_MAX_BYTES)."""
        ...

    def load(self, procedures: Path | None = None) -> Knowledge:
        """Validate and index; raises core.catalogue.CatalogueInvalid with every error."""
        ...

    def install(self, procedures: Path) -> None:
        """Make `procedures` the catalogue in use (the old file kept as a backup)."""
        ...


@dataclass
class Services:
    knowledge: Knowledge
    storage: Stores  # area by area: services.storage.dossiers.find_dossier(…)
    clock: Clock
    renderers: dict[TextFormat, Renderer]
    calendar: WorkingCalendar
    admins: AdminIds = field(default_factory=AdminIds)  # from the settings, channel and id
    roster: OfficerRoster = field(default_factory=OfficerRoster)  # officers added in the chat
    lookup: LookupPolicy = field(default_factory=LookupPolicy)
    apology_rules: ApologyRules = field(default_factory=ApologyRules)
    catalogue_files: CatalogueFiles | None = None
    uploads_dir: Path | None = None  # files officers send in the chat (catalogue, exports)
    import_limits: ImportLimits = field(default_factory=ImportLimits)  # exports (issue 15)
    chat_rate: RatePolicy = field(default_factory=RatePolicy)  # per chat (core.chat_rate)
    # Issue 7: reminders and unlinking (settings), approved volunteers (in memory, as officers).
    care: CarePolicy = field(default_factory=CarePolicy)
    volunteers: VolunteerRoster = field(default_factory=VolunteerRoster)
    # Issue 20: slips' links and the status page; photos of receipts.
    links: LinkPolicy = field(default_factory=LinkPolicy)
    photos: ReaderLimits = field(default_factory=ReaderLimits)
    # Channels with a per-chat command menu (Telegram), by channel name: /canbo updates them.
    menus: dict[str, CommandMenus] = field(default_factory=dict)
    # Issue 21. The channels this process serves (each adapter adds its name): where officers
    # are told of a new question. Channels whose free replies end some time after the person's
    # last message (Zalo), with that time: people are told how to see an answer that waits.
    tickets: TicketPolicy = field(default_factory=TicketPolicy)
    channels: set[str] = field(default_factory=set)
    reply_windows: dict[str, dt.timedelta] = field(default_factory=dict)
    # Issue 18: what handlers report for /metrics ("lookup_throttled", channel); set by bot.app.
    observe: Callable[[str, str], None] = field(default=lambda event, channel: None)

    def is_officer(self, channel: str, user_id: str) -> bool:
        """Admins (settings: channel and id) and the officers they added on this channel; no
        database trip."""
        return (channel, user_id) in self.admins or (channel, user_id) in self.roster

    def officer_scope(self, channel: str, user_id: str) -> Scope:
        """Issue 19: the commune an officer belongs to (the province's officers: all; in a
        province of one every officer acts for all, as before)."""
        if self.knowledge.province.single:
            return PROVINCE
        if (channel, user_id) in self.admins:
            return self.admins.scope(channel, user_id)
        return self.roster.scope(channel, user_id)


def render(
    services: Services,
    text_format: TextFormat,
    template: str,
    *,
    commune_id: str | None = None,
    **values: Any,
) -> str:
    """Render a reply template for a channel's format; every template sees the office and the
    law in force (`law`: core.law, one setting for every printed citation). Issue 19: the office
    of the commune `commune_id` (the first commune's when None or unknown)."""
    values.setdefault("is_officer", False)
    values.setdefault("is_admin", False)
    commune = services.knowledge.catalogue_of(commune_id).commune
    return services.renderers[text_format].render(
        template, commune=commune, law=law_in_force(commune), **values
    )


# The part of a conversation's state that outlives its steps: what the person asked lately and
# how many questions in a row went unanswered (issue 21: a ticket carries them to the officer).
MEMORY = "memory"
QUESTION_MAX_CHARS = 200
COMMUNE = "commune"  # in the memory: the commune the chat chose (issue 19)


@dataclass
class Context:
    services: Services
    message: IncomingMessage
    format: TextFormat
    state: ConversationState = field(default_factory=ConversationState)
    first_contact: bool = False
    files: FileSource | None = None  # the channel's way to fetch a file sent in the chat
    # Issue 21: the chat's open ticket, looked up by the dispatcher for free text and photos.
    open_ticket: Ticket | None = None
    # The pressed button's action, decoded by the dispatcher (None: no button, or old data).
    action: Action | None = None
    _memory_changed: bool = False
    # Issue 19: the commune this reply is about when it is not the chat's own (a dossier's).
    _commune_override: str | None = None
    _scope: Scope | None = None
    _acting_for: str | None = None

    @property
    def key(self) -> ConversationKey:
        m = self.message
        return ConversationKey(m.channel, m.chat_id, m.user_id)

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.message.channel, self.message.chat_id)

    @property
    def storage(self) -> Stores:
        return self.services.storage

    def now(self) -> dt.datetime:
        return self.services.clock.now()

    # -- the commune (issue 19) --

    @property
    def commune_id(self) -> str | None:
        """The commune the reply is about: a dossier's (`about_commune`), else the one the chat
        chose, else a province of one's only commune; None while a province's chat has not
        said which commune it is from."""
        if self._commune_override:
            return self._commune_override
        province = self.services.knowledge.province
        chosen = self.memory.get(COMMUNE)
        if isinstance(chosen, str) and province.get(chosen) is not None:
            return chosen
        return province.first.id if province.single else None

    def about_commune(self, commune_id: str | None) -> None:
        """Replies from here on show this commune's office (a dossier's commune)."""
        if commune_id and self.services.knowledge.province.get(commune_id) is not None:
            self._commune_override = commune_id

    async def choose_commune(self, commune_id: str | None) -> None:
        """Remember the chat's commune (with its conversation, and on the chat for broadcasts);
        saved with the next state change or by the dispatcher."""
        memory = self.memory
        if commune_id is None:
            memory.pop(COMMUNE, None)
        else:
            memory[COMMUNE] = commune_id
        self._set_memory(memory)
        await self.services.storage.chats.set_chat_commune(self.chat, commune_id)

    @property
    def catalogue(self) -> Catalogue:
        return self.services.knowledge.catalogue_of(self.commune_id)

    @property
    def search(self) -> ProcedureSearch:
        return self.services.knowledge.search_of(self.commune_id)

    # -- the officer's commune (issue 19 point 4) --

    @property
    def scope(self) -> Scope:
        """What this officer acts on, derived once per message: one commune, or the province."""
        if self._scope is None:
            m = self.message
            self._scope = self.services.officer_scope(m.channel, m.user_id)
        return self._scope

    def act_for(self, commune_id: str | None) -> None:
        """The officer acts on something of this commune (a dossier's, a ticket's): refused
        (core.officers.OutOfScope, answered by the route's runner) outside their scope; the
        audit log records it."""
        self.scope.check(commune_id)
        self._acting_for = commune_id or None

    def narrow_scope(self, commune_id: str | None) -> Scope:
        """A province officer acting for one commune (an argument, a pick): from here on the
        scope is that commune's; a commune's officer asking for another is refused."""
        self._scope = self.scope.narrowed(commune_id)
        return self._scope

    async def officer_dossier(self, code_key: str) -> Dossier | None:
        """A dossier an officer acts on (apology, status, slips): refused when it belongs to
        another commune, else the replies use its commune's office and catalogue."""
        dossier = await self.storage.dossiers.get_dossier(code_key)
        if dossier is not None:
            self.act_for(dossier.commune_id)
            self.about_commune(dossier.commune_id)
        return dossier

    @property
    def acting_commune(self) -> str | None:
        """The commune the audit log records: what was acted on, else the officer's own."""
        return self._acting_for or self.scope.commune_id

    @property
    def is_admin(self) -> bool:
        return (self.message.channel, self.message.user_id) in self.services.admins

    @property
    def is_officer(self) -> bool:
        return self.services.is_officer(self.message.channel, self.message.user_id)

    @property
    def is_volunteer(self) -> bool:
        """An approved volunteer (tổ công nghệ số cộng đồng); no database trip."""
        m = self.message
        return (m.channel, m.user_id) in self.services.volunteers

    async def sync_volunteer_role(self) -> Volunteer | None:
        """The volunteer role as the database has it now (issue 14): an officer may have
        approved the volunteer, or the volunteer erased their data, in another running process
        (Telegram and Zalo may be two). The roster in memory follows; called where the role
        changes what happens (volunteers' routes, lookups, following, /hoso), a primary-key
        read."""
        m = self.message
        known = await self.storage.care.get_volunteer(m.channel, m.user_id)
        if known is not None and known.status is VolunteerStatus.APPROVED:
            self.services.volunteers.add(m.channel, m.user_id)
        else:
            self.services.volunteers.remove(m.channel, m.user_id)
        return known

    def render(self, template: str, **values: Any) -> str:
        return render(
            self.services,
            self.format,
            template,
            commune_id=self.commune_id,
            is_officer=self.is_officer,
            is_admin=self.is_admin,
            **values,
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
        if memory := self.memory:
            data[MEMORY] = memory
        self.state = ConversationState(name.value, data)
        self._memory_changed = False
        await self.services.storage.conversations.save_state(
            self.key, name.value, data, self.services.clock.now()
        )

    async def clear_state(self) -> None:
        """The step is over; what the person asked lately (`memory`) stays."""
        steps = self.state.name is not None or any(k != MEMORY for k in self.state.data)
        if not (steps or self._memory_changed):
            return
        self._memory_changed = False
        if memory := self.memory:
            self.state = ConversationState(None, {MEMORY: memory})
            await self.services.storage.conversations.save_state(
                self.key, None, self.state.data, self.services.clock.now()
            )
        else:
            self.state = ConversationState()
            await self.services.storage.conversations.clear_state(self.key)

    # -- what the person asked lately (issue 21) --

    @property
    def memory(self) -> dict[str, Any]:
        value = self.state.data.get(MEMORY)
        return dict(value) if isinstance(value, dict) else {}

    def remember_question(self, text: str, *, answered: bool) -> int:
        """Note a question and whether the bot could answer it; returns how many questions in a
        row went unanswered. Saved with the next state change, or by `save_memory`. (Changed in
        place: the dispatcher tells an unchanged state by identity.)"""
        memory = self.memory
        asked = [*memory.get("asked", []), " ".join(text.split())[:QUESTION_MAX_CHARS]]
        memory["asked"] = asked[-CONTEXT_QUESTIONS:]
        memory["unanswered"] = 0 if answered else int(memory.get("unanswered", 0)) + 1
        self._set_memory(memory)
        return int(memory["unanswered"])

    def forget_questions(self) -> None:
        """The questions went to an officer: the next ones start a new count."""
        memory = self.memory
        if memory.pop("asked", None) is not None or memory.pop("unanswered", None) is not None:
            self._set_memory(memory)

    @property
    def may_have_ticket(self) -> bool:
        """Issue 21: a hint kept with the conversation, so that a chat that never asked an
        officer costs no look-up per message. Set before a ticket is opened; a hint to a ticket
        since closed is dropped at the next look-up."""
        return bool(self.memory.get("ticket"))

    def hint_ticket(self, open_: bool) -> None:
        memory = self.memory
        if open_:
            memory["ticket"] = True
        elif memory.pop("ticket", None) is None:
            return
        self._set_memory(memory)

    def _set_memory(self, memory: dict[str, Any]) -> None:
        if memory:
            self.state.data[MEMORY] = memory
        else:
            self.state.data.pop(MEMORY, None)
        self._memory_changed = True

    async def save_memory(self) -> None:
        """Persist a memory change no state change carried (the dispatcher calls it)."""
        if not self._memory_changed:
            return
        self._memory_changed = False
        if self.state.name is None and not self.state.data:
            await self.services.storage.conversations.clear_state(self.key)
        else:
            await self.services.storage.conversations.save_state(
                self.key, self.state.name, self.state.data, self.services.clock.now()
            )
