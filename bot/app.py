"""The wiring: services built once, the conversations in order, one dispatcher for every channel."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot import metrics
from bot.knowledge_files import KnowledgeFiles
from bot.settings import Settings
from core.apologies import ApologyRules
from core.care import CarePolicy, VolunteerRoster
from core.catalogue import CatalogueInvalid
from core.catalogue.placeholders import placeholder_warnings
from core.chat_rate import Admission, ChatRateLimit, RatePolicy
from core.clock import Clock, SystemClock
from core.code_reader import ReaderLimits
from core.lookup_limits import LookupLimits
from core.messages import FileSource, IncomingMessage, Reply, TextFormat, split_reply
from core.officers import OfficerRoster
from core.province import Province
from core.receipt_codes import code_key
from core.render import Renderer
from core.slips import LinkPolicy
from core.workdays import WorkingCalendar, load_calendar_overrides
from handlers import (
    apologies,
    broadcasts,
    checklists,
    communes,
    dossiers,
    feedback,
    fields,
    officers,
    procedures,
    ratings,
    report,
    slips,
    start,
    status_updates,
    subscriptions,
    tickets,
    uploads,
    volunteers,
)
from handlers.actions import ACTIONS
from handlers.buttons import HOME_BUTTON
from handlers.context import Context, Knowledge, LookupPolicy, Services, TicketPolicy
from handlers.routing import CHOICES, On, Route, run, typed_choice
from storage.backends import open_storage
from storage.base import Stores
from storage.faults import ADVICE, fault_of

log = logging.getLogger(__name__)

# Order matters: the first route that matches takes the message.
# 0. A photo sent while a question for an officer is written or answered is part of it (issue 21);
#    any other photo gets the "please type" reply of start's routes.
# 1. Commands and buttons are explicit, so they come first and always win over conversation state.
# 2. A button whose data no action reads (an old or forged one) is "this button is old";
#    unknown /commands get help rather than a procedure search for "/xyz".
# 3. Then free text: while a step waits for a code or digits, it goes there (dossiers' state
#    routes); while an officer answers the person's question, it goes to the officer (issue 21:
#    the bot stays quiet); a message carrying a receipt code is a lookup (dossiers' last route);
#    anything else is a question about a procedure.
# A `/start` carrying a slip's token (Telegram's deep link) is not a greeting: it goes first;
# a Zalo follow code ("THEO 7K3M-9QX2") wins over a step waiting for a code.
ROUTES: list[Route] = [
    slips.deep_link,
    tickets.answer_photo_route,
    tickets.photo_route,
    *start.routes,
    *communes.routes,
    *fields.routes,
    *procedures.routes,
    *apologies.routes,
    *report.routes,
    *uploads.routes,
    *status_updates.routes,
    *officers.routes,
    *subscriptions.routes,
    *broadcasts.routes,
    *ratings.routes,
    *feedback.routes,
    *tickets.routes,
    *[r for r in dossiers.routes if r.on is not On.TEXT and r.on is not On.STATE],
    *volunteers.routes,
    *checklists.routes,
    *slips.routes,
    start.stale_button_route,
    start.unknown_command_route,
    slips.follow_code,
    *[r for r in dossiers.routes if r.on is On.STATE],
    *communes.state_routes,
    tickets.quiet_route,
    *[r for r in dossiers.routes if r.on is On.TEXT],
    communes.question_route,
    Route(On.TEXT, procedures.question),
]


def load_knowledge(settings: Settings) -> Knowledge:
    """Load and validate the catalogue; raises CatalogueInvalid with every problem found."""
    return KnowledgeFiles(settings).load()


async def reload_knowledge(services: Services) -> None:
    """The catalogue file changed on disk (`motcua reload` sent SIGHUP): load it again; if it
    is invalid, keep serving the one in memory and log every error."""
    files = services.catalogue_files
    if files is None:
        return
    try:
        services.knowledge = await asyncio.to_thread(files.load)
    except CatalogueInvalid as invalid:
        log.error("catalogue not reloaded, the old one stays in use:\n%s", invalid.report())
        return
    log.info("catalogue reloaded: %d procedures", len(services.knowledge.catalogue))


class Dispatcher:
    # A chat's last_seen is written at most this often: one database trip less per message.
    SEEN_RESOLUTION = dt.timedelta(minutes=1)

    def __init__(self, services: Services, routes: list[Route] | None = None) -> None:
        self.services = services
        self.routes = routes if routes is not None else ROUTES
        self._seen: OrderedDict[tuple[str, str], dt.datetime] = OrderedDict()
        self.rate = ChatRateLimit(services.chat_rate, services.clock)  # issue 15: fairness

    def admit(self, message: IncomingMessage) -> Admission:
        """May this chat's message be handled now (bot.fairness)? Officers are not limited."""
        if self.services.is_officer(message.channel, message.user_id):
            return Admission.ADMIT
        return self.rate.admit((message.channel, message.chat_id))

    def _failure_reply(self, ctx: Context, error: Exception) -> Reply:
        """The short apology; an officer hit by a fault of the database gets one line saying
        what is wrong and what to do (storage.faults), the log one line without a traceback."""
        message = ctx.message
        fault = fault_of(error)
        if fault is None:
            log.error(
                "handler failed for %s chat %s", message.channel, message.chat_id, exc_info=error
            )
            return ctx.reply("error.j2")
        log.error("database %s (%s chat %s): %s", fault, message.channel, message.chat_id, error)
        if ctx.is_officer:
            return ctx.reply("storage_fault.j2", advice=ADVICE[fault])
        return ctx.reply("error.j2")

    def too_fast(self, message: IncomingMessage, text_format: TextFormat) -> list[Reply]:
        """The one answer a chat gets when it sends faster than it can be answered."""
        ctx = Context(self.services, message, text_format)
        return [ctx.reply("too_fast.j2", [[HOME_BUTTON]])]

    async def _first_contact(self, message: IncomingMessage) -> bool:
        key, now = (message.channel, message.chat_id), self.services.clock.now()
        last = self._seen.get(key)
        if last is not None and now - last < self.SEEN_RESOLUTION:
            return False
        self._seen[key] = now
        self._seen.move_to_end(key)
        if len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        return await self.services.storage.chats.touch_chat(message.channel, message.chat_id, now)

    async def handle(
        self,
        message: IncomingMessage,
        text_format: TextFormat,
        files: FileSource | None = None,
    ) -> list[Reply]:
        """Every message gets at least one reply; a failure becomes a short apology."""
        storage = self.services.storage
        ctx = Context(self.services, message, text_format, files=files)
        try:
            ctx.first_contact = await self._first_contact(message)
            loaded = ctx.state = await storage.conversations.load_state(ctx.key)
            ctx.message = typed_choice(message, loaded)
            ctx.action = ACTIONS.decode(ctx.message.button)
            ctx.open_ticket = await tickets.open_ticket_for(ctx)  # issue 21: quiet while open
            route = next((r for r in self.routes if r.matches(ctx)), None)
            replies = await run(route, ctx) if route else []  # run: the route's roles
            if CHOICES in loaded.data and ctx.state is loaded:
                # The buttons remembered were those of an earlier reply: a number typed next
                # must not press them.
                data = {k: v for k, v in loaded.data.items() if k != CHOICES}
                await storage.conversations.save_state(
                    ctx.key, loaded.name, data, self.services.clock.now()
                )
            else:  # issue 21: the questions remembered, when no state change saved them
                await ctx.save_memory()
        except Exception as error:
            replies = [self._failure_reply(ctx, error)]
        if not replies:
            replies = [ctx.reply("unsupported.j2", kind=None)]
        replies = with_a_way_on(replies)
        if ctx.first_contact:  # issue 7: what is stored, why, how long, how to delete; once
            replies = with_privacy_notice(ctx, replies)
        metrics.MESSAGES.labels(message.channel).inc()
        return [part for reply in replies for part in split_reply(reply)]


def with_a_way_on(replies: list[Reply]) -> list[Reply]:
    """Issue 14: no reply ends without a button to go on. Conversations give their own; a reply
    that has none (a prompt for typed input, an apology for an error) gets "Về đầu"."""
    if any(reply.buttons for reply in replies):
        return replies
    last = replies[-1]
    return [*replies[:-1], dataclasses.replace(last, buttons=((HOME_BUTTON,),))]


def with_privacy_notice(ctx: Context, replies: list[Reply]) -> list[Reply]:
    """The notice closes the first answer a chat ever gets (in the same message: one message
    more would be one more for elders to read, and the notice must not push the answer away)."""
    days = ctx.services.care.unlink_returned_days
    for i in range(len(replies) - 1, -1, -1):  # the last reply with text (a file has a caption)
        reply = replies[i]
        if reply.text:
            notice = ctx.render("privacy_notice.j2", days=days)
            tail = dataclasses.replace(reply, text=f"{reply.text}\n\n{notice}")
            return [*replies[:i], tail, *replies[i + 1 :]]
    return [*replies, ctx.reply("privacy_notice.j2", days=days)]


def link_policy(settings: Settings) -> LinkPolicy:
    return LinkPolicy(
        public_url=settings.public_url.rstrip("/") if settings.public_url else None,
        days_after_finished=settings.link_days_after_finished,
        follow_code_ttl=dt.timedelta(hours=settings.follow_code_hours),
        telegram_username=(settings.telegram_bot_username or "").lstrip("@") or None,
        zalo_oa_url=settings.zalo.oa_url or None,
    )


def lookup_limits(settings: Settings) -> LookupLimits:
    return LookupLimits(
        chat=settings.lookup_max_failures,
        chat_window=dt.timedelta(minutes=settings.lookup_window_minutes),
        user=settings.lookup_user_max_failures,
        user_window=dt.timedelta(hours=settings.lookup_user_window_hours),
        dossier=settings.lookup_dossier_max_failures,
        dossier_window=dt.timedelta(hours=settings.lookup_dossier_window_hours),
        everyone=settings.lookup_global_max_failures,
        everyone_window=dt.timedelta(minutes=settings.lookup_global_window_minutes),
    )


async def assign_communes(storage: Stores, province: Province) -> None:
    """Issue 19: dossiers imported before the province file (or the upgrade) get their commune
    from their code's agency segment; in a province of one, its commune."""
    agencies = [(code_key(a), c.id) for c in province for a in c.agency_codes]
    rest = province.first.id if province.single else None
    if assigned := await storage.dossiers.assign_communes(agencies, rest):
        log.info("%d hồ sơ đã được gắn với xã của mình (theo mã cơ quan)", assigned)


@asynccontextmanager
async def running_services(
    settings: Settings, *, clock: Clock | None = None, knowledge: Knowledge | None = None
) -> AsyncIterator[Services]:
    """Start-up and shut-down in one place: catalogue validated, database opened and migrated."""
    knowledge = knowledge or load_knowledge(settings)
    admins = settings.admins
    for warning in admins.warnings:
        log.warning("%s", warning)
    admins.check_communes(c.id for c in knowledge.province)  # AdminIdInvalid: start-up stops
    calendar = WorkingCalendar(load_calendar_overrides(settings.calendar_file))
    for warning in calendar.overrides.review_warnings((clock or SystemClock()).now().date()):
        log.warning("%s", warning)
    if settings.province_file is None and (samples := placeholder_warnings(settings.commune_file)):
        lines = ", ".join(str(w.line) for w in samples)
        log.warning(
            "%s còn %d giá trị mẫu (dòng %s): thay bằng thông tin thật của xã trước khi người"
            " dân dùng bot; chi tiết: motcua check-catalogue",
            settings.commune_file.name,
            len(samples),
            lines,
        )
    storage = await open_storage(settings.database_url, settings.database_file)
    try:
        await assign_communes(storage, knowledge.province)
        yield Services(
            knowledge=knowledge,
            storage=storage,
            clock=clock or SystemClock(),
            renderers={fmt: Renderer(settings.templates_dir, fmt) for fmt in TextFormat},
            calendar=calendar,
            admins=admins,
            roster=OfficerRoster(await storage.officers.officers()),
            lookup=LookupPolicy(
                second_factor=settings.lookup_second_factor,
                limits=lookup_limits(settings),
            ),
            apology_rules=ApologyRules(
                notice_working_days=settings.apology_notice_working_days,
                max_extensions=settings.apology_max_extensions,
            ),
            catalogue_files=KnowledgeFiles(settings),
            uploads_dir=settings.data_dir / "uploads",
            import_limits=settings.import_limits,
            chat_rate=RatePolicy(settings.chat_burst, settings.chat_messages_per_minute),
            care=CarePolicy(
                ready_reminder=settings.ready_reminder,
                ready_reminder_time=settings.ready_reminder_time,
                unlink_returned_days=settings.unlink_returned_days,
                volunteer_lookup_factor=settings.volunteer_lookup_factor,
            ),
            volunteers=VolunteerRoster(await storage.care.volunteers()),
            links=link_policy(settings),
            photos=ReaderLimits(max_bytes=int(settings.photo_max_mb * 2**20)),
            tickets=TicketPolicy(silence=dt.timedelta(minutes=settings.ticket_silence_minutes)),
            observe=metrics.observe,
        )
    finally:
        await storage.close()
