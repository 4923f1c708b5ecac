"""The wiring: services built once, the conversations in order, one dispatcher for every channel."""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.settings import Settings
from core.apologies import ApologyRules
from core.catalogue import load_catalogue
from core.clock import Clock, SystemClock
from core.messages import IncomingMessage, Reply, TextFormat, split_reply
from core.render import Renderer
from core.search import Lexicon, ProcedureSearch
from core.workdays import WorkingCalendar, load_calendar_overrides
from handlers import apologies, dossiers, fields, procedures, start
from handlers.context import Context, Knowledge, LookupPolicy, Services
from handlers.routing import On, Route
from storage.sqlite import SqliteStorage

log = logging.getLogger(__name__)

# Order matters: the first route that matches takes the message.
# 1. Commands and buttons are explicit, so they come first and always win over conversation state.
# 2. Unknown /commands get help rather than a procedure search for "/xyz".
# 3. Then free text: while a step waits for a code or digits, it goes there (dossiers' state
#    routes); a message carrying a receipt code is a lookup (dossiers' last route);
#    anything else is a question about a procedure.
ROUTES: list[Route] = [
    *start.routes,
    *fields.routes,
    *procedures.routes,
    *apologies.routes,
    *[r for r in dossiers.routes if r.on is not On.TEXT and r.on is not On.STATE],
    start.unknown_command_route,
    *[r for r in dossiers.routes if r.on in (On.STATE, On.TEXT)],
    Route(On.TEXT, procedures.question),
]


def load_knowledge(settings: Settings) -> Knowledge:
    """Load and validate the catalogue; raises CatalogueInvalid with every problem found."""
    catalogue = load_catalogue(settings.catalogue_file, settings.commune_file)
    lexicon = Lexicon.load(settings.lexicon_file)
    return Knowledge(catalogue, ProcedureSearch(catalogue, lexicon))


class Dispatcher:
    # A chat's last_seen is written at most this often: one database trip less per message.
    SEEN_RESOLUTION = dt.timedelta(minutes=1)

    def __init__(self, services: Services, routes: list[Route] | None = None) -> None:
        self.services = services
        self.routes = routes if routes is not None else ROUTES
        self._seen: OrderedDict[tuple[str, str], dt.datetime] = OrderedDict()

    async def _first_contact(self, message: IncomingMessage) -> bool:
        key, now = (message.channel, message.chat_id), self.services.clock.now()
        last = self._seen.get(key)
        if last is not None and now - last < self.SEEN_RESOLUTION:
            return False
        self._seen[key] = now
        self._seen.move_to_end(key)
        if len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        return await self.services.storage.touch_chat(message.channel, message.chat_id, now)

    async def handle(self, message: IncomingMessage, text_format: TextFormat) -> list[Reply]:
        """Every message gets at least one reply; a failure becomes a short apology."""
        storage = self.services.storage
        ctx = Context(self.services, message, text_format)
        try:
            ctx.first_contact = await self._first_contact(message)
            ctx.state = await storage.load_state(ctx.key)
            route = next((r for r in self.routes if r.matches(ctx)), None)
            replies = await route.handler(ctx) if route else []
        except Exception:
            log.exception("handler failed for %s chat %s", message.channel, message.chat_id)
            replies = [ctx.reply("error.j2")]
        if not replies:
            replies = [ctx.reply("unsupported.j2", kind=None)]
        return [part for reply in replies for part in split_reply(reply)]


@asynccontextmanager
async def running_services(
    settings: Settings, *, clock: Clock | None = None, knowledge: Knowledge | None = None
) -> AsyncIterator[Services]:
    """Start-up and shut-down in one place: catalogue validated, database opened and migrated."""
    knowledge = knowledge or load_knowledge(settings)
    calendar = WorkingCalendar(load_calendar_overrides(settings.calendar_file))
    storage = await SqliteStorage.open(settings.database_file)
    try:
        yield Services(
            knowledge=knowledge,
            storage=storage,
            clock=clock or SystemClock(),
            renderers={fmt: Renderer(settings.templates_dir, fmt) for fmt in TextFormat},
            calendar=calendar,
            officer_ids=settings.officer_ids,
            lookup=LookupPolicy(
                second_factor=settings.lookup_second_factor,
                max_failures=settings.lookup_max_failures,
                window=dt.timedelta(minutes=settings.lookup_window_minutes),
            ),
            apology_rules=ApologyRules(
                notice_working_days=settings.apology_notice_working_days,
                max_extensions=settings.apology_max_extensions,
            ),
        )
    finally:
        await storage.close()
