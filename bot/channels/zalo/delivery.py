"""The outbox on Zalo: consultation messages inside the free window, then transaction
messages, then ZNS (or the officers are told). `ZaloDelivery` is the outbox worker's delivery
for this channel (bot.delivery.Delivery): the worker claims, orders and records the rows, this
decides how each goes out."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from enum import StrEnum
from typing import Any

from bot.channels.zalo.api import Alert, TokenKeeper, TokensBroken, ZaloApi, ZaloApiError
from bot.channels.zalo.channel import send_cs
from bot.channels.zalo.formatting import format_reply, transaction_body, zns_phone
from bot.channels.zalo.options import ZaloRules
from bot.delivery import RetryLater, RetryPolicy, Sent, render_or_settle, retry_or_give_up
from core.dossiers import STATUS_INFO
from core.messages import (
    Reply,
    TextFormat,
)
from core.outbox import FREE_REPLY_ONLY, OutboxKind
from handlers.context import Services
from storage.base import ChatRef, OutboxItem

log = logging.getLogger(__name__)

# -- the outbox on Zalo: cs in the window, then transaction, then ZNS ------------------------


class Route(StrEnum):
    CS = "cs"
    TRANSACTION = "transaction"
    OUTSIDE = "outside"  # ZNS if possible, else the officers are told


class _Deferred(Exception):
    def __init__(self, until: dt.datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until


class ZaloSender:
    """The outbox's `Sender` for Zalo (plain text); used for consultation messages."""

    text_format = TextFormat.PLAIN

    def __init__(self, api: ZaloApi, services: Services, rules: ZaloRules) -> None:
        self.api = api
        self.services = services
        self.rules = rules

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        return await send_cs(
            self.api, self.services.storage.zalo, self.rules, chat_id, reply, self.services.clock
        )


class ZaloDelivery:
    """Zalo's rules deciding how each notice goes out (the outbox worker's `Delivery`)."""

    def __init__(
        self,
        services: Services,
        sender: ZaloSender,
        keeper: TokenKeeper,
        alert: Alert,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.services = services
        self.sender = sender
        self.keeper = keeper
        self.alert = alert
        self.rules = sender.rules
        self.policy = policy or RetryPolicy()
        self.routes: list[tuple[str, str]] = []  # (dedupe key, how it went), for tests and logs

    @property
    def paused(self) -> bool:
        return self.keeper.broken  # stop sending rather than losing messages

    def route(self, follower: Any, now: dt.datetime, parts: int) -> Route:
        if follower is None or follower.last_interaction is None:
            return Route.OUTSIDE
        last = follower.last_interaction
        if last.tzinfo is None:  # naive times are local (Vietnam), as the clock's
            last = last.replace(tzinfo=now.tzinfo)
        since = now - last
        room = self.rules.cs_max_messages == 0 or (
            follower.cs_sent + parts <= self.rules.cs_max_messages
        )
        if since < self.rules.cs_window and room:
            return Route.CS
        if self.rules.transaction_messages and since < self.rules.interaction_window:
            return Route.TRANSACTION
        return Route.OUTSIDE

    async def deliver(self, item: OutboxItem) -> Sent | None:
        storage, now = self.services.storage, self.services.clock.now()
        message = item.message
        chat = ChatRef(message.channel, message.chat_id)
        reply = await render_or_settle(self.services, item, TextFormat.PLAIN)
        if reply is None:
            return None
        follower = await storage.zalo.zalo_follower(message.chat_id)
        if follower is not None and not follower.followed:
            await storage.outbox.mark_failed(item.id, "undeliverable: unfollowed the OA", now)
            await storage.chats.deactivate_chat(chat)
            return None
        parts = len(format_reply(reply, self.rules).messages)
        route = self.route(follower, now, parts)
        if message.kind in FREE_REPLY_ONLY:  # issue 21: a conversation, not a notice
            if route is not Route.CS:
                self.routes.append((message.dedupe_key, "held"))
                await storage.outbox.mark_held(item.id, "waits for the person's next message", now)
                return None
            reply = self._last_free_reply(item, reply, follower, parts)
        errors = self.rules.errors
        try:
            try:
                if route is Route.CS:
                    sent_id: str | None = await self.sender.send(message.chat_id, reply)
                elif route is Route.TRANSACTION:
                    sent_id = await self._transaction(message.chat_id, reply)
                else:
                    sent_id = await self._outside_window(item, now)
            except ZaloApiError as error:
                if error.code not in errors.no_interaction or route is Route.OUTSIDE:
                    raise
                route = Route.OUTSIDE
                sent_id = await self._outside_window(item, now)
        except _Deferred as deferred:
            self.routes.append((message.dedupe_key, f"deferred:{deferred}"))
            await storage.outbox.mark_retry(item.id, str(deferred), deferred.until)
        except TokensBroken as error:
            await storage.outbox.mark_retry(
                item.id, f"sending stopped: {error}", now + self.rules.paused_retry
            )
        except ZaloApiError as error:
            await self._api_error(item, chat, error, now)
        except Exception as exc:  # RetryLater and anything unexpected: try again later
            await self._retry(item, exc, now)
        else:
            if sent_id is None:
                return None  # handled (failed and officers told) in _outside_window
            self.routes.append(
                (message.dedupe_key, route.value if sent_id[:4] != "zns:" else "zns")
            )
            return Sent(sent_id, now)
        return None

    def _last_free_reply(self, item: OutboxItem, reply: Reply, follower: Any, parts: int) -> Reply:
        """An officer's answer that uses the last free message Zalo allows before the person
        writes again says how to get the next ones (they wait: no paid message is sent)."""
        limit = self.rules.cs_max_messages
        if item.message.kind is not OutboxKind.TICKET_REPLY or not limit or follower is None:
            return reply
        if follower.cs_sent + parts < limit:
            return reply
        note = (
            "\n\n(Zalo chỉ cho bot gửi tiếp sau khi ông/bà nhắn lại: muốn nhận tiếp trả lời "
            "của cán bộ, ông/bà nhắn một tin bất kỳ.)"
        )
        return replace(reply, text=reply.text + note)

    async def _transaction(self, user: str, reply: Reply) -> str:
        formatted = format_reply(reply, self.rules)
        await self.services.storage.zalo.zalo_save_buttons(
            formatted.saved_buttons, self.services.clock.now()
        )
        first = ""
        for part in formatted.messages:
            sent = await self.sender.api.send_message("transaction", transaction_body(user, part))
            first = first or sent
        return first

    async def _outside_window(self, item: OutboxItem, now: dt.datetime) -> str | None:
        """Outside the free window: a ZNS template to the dossier's phone when the person
        consented (followed the dossier here) and a template exists; else the officers are told
        and the message is recorded as failed — never dropped silently."""
        storage = self.services.storage
        message = item.message
        template = self.rules.zns.get(message.kind)
        fields = await self._zns_fields(item) if template else None
        if template is not None and fields is not None:
            phone, code_key, values = fields
            consented = await storage.follows.is_following(
                ChatRef(message.channel, message.chat_id), code_key
            )
            if consented and phone:
                if self.rules.is_quiet(now):
                    raise _Deferred(self.rules.morning_after(now), "night: ZNS deferred")
                data = {name: values.get(source, "") for name, source in template.fields.items()}
                msg_id = await self.sender.api.send_zns(
                    phone, template.template_id, data, message.dedupe_key
                )
                return f"zns:{msg_id}"
        reason = "outside Zalo's reply window, no ZNS possible"
        await storage.outbox.mark_failed(item.id, f"undeliverable: {reason}", now)
        self.routes.append((message.dedupe_key, "officers"))
        if message.kind in (OutboxKind.DOSSIER_STATUS, OutboxKind.APOLOGY):
            code = fields[2].get("code", fields[1]) if fields else message.payload
            await self.alert(
                f"Không gửi được thông báo ({message.kind}) cho người theo dõi hồ sơ {code} trên "
                "Zalo: người dân đã quá thời hạn tương tác với OA và chưa thể gửi ZNS. Đề nghị "
                "cán bộ liên hệ trực tiếp (điện thoại trong hồ sơ)."
            )
        else:
            log.warning("outbox %s not sent on Zalo: %s", message.dedupe_key, reason)
        return None

    async def _zns_fields(self, item: OutboxItem) -> tuple[str | None, str, dict[str, str]] | None:
        storage = self.services.storage
        payload = item.message.payload
        if item.message.kind is OutboxKind.DOSSIER_STATUS:
            event = await storage.dossiers.event(int(payload["event_id"]))
            dossier = await storage.dossiers.get_dossier(event.code_key) if event else None
            if event is None or dossier is None or event.new_status is None:
                return None
            procedure = self.services.knowledge.catalogue.get(dossier.procedure_id)
            values = {
                "code": dossier.code,
                "procedure": procedure.name if procedure else dossier.procedure_id,
                "status": STATUS_INFO[event.new_status].label,
                "due": f"{dossier.due_date:%d/%m/%Y}",
            }
        elif item.message.kind is OutboxKind.APOLOGY:
            apology = await storage.apologies.get_apology(int(payload["apology_id"]))
            dossier = await storage.dossiers.get_dossier(apology.code_key) if apology else None
            if apology is None or dossier is None:
                return None
            values = {
                "code": dossier.code,
                "old_due": f"{apology.old_due:%d/%m/%Y}",
                "new_due": f"{apology.new_due:%d/%m/%Y}",
                "reason": apology.reason,
            }
        else:
            return None
        phone = zns_phone(dossier.phone) if dossier.phone else None
        return phone, dossier.code_key, values

    async def _api_error(
        self, item: OutboxItem, chat: ChatRef, error: ZaloApiError, now: dt.datetime
    ) -> None:
        storage, errors = self.services.storage, self.rules.errors
        if error.code in errors.night:
            until = self.rules.morning_after(now)
            self.routes.append((item.message.dedupe_key, "deferred:night"))
            await storage.outbox.mark_retry(item.id, f"night-time refusal: {error}", until)
        elif error.code in errors.rate:
            await self._retry(item, RetryLater(str(error)), now)
        elif error.code in errors.unfollowed:
            await storage.zalo.zalo_set_followed(chat.chat_id, False, now)
            await storage.outbox.mark_failed(item.id, f"undeliverable: {error}", now)
            await storage.chats.deactivate_chat(chat)
        elif error.code in errors.zns_unreachable or error.code in errors.no_interaction:
            await storage.outbox.mark_failed(item.id, f"undeliverable: {error}", now)
            self.routes.append((item.message.dedupe_key, "officers"))
            await self.alert(
                f"Không gửi được thông báo cho một người dân trên Zalo ({error.message}, mã "
                f"{error.code}). Đề nghị cán bộ liên hệ trực tiếp."
            )
        elif error.code in errors.token:
            await self._retry(item, RetryLater(str(error)), now)  # renewed once already
        else:
            await self._retry(item, RetryLater(str(error)), now)

    async def _retry(self, item: OutboxItem, exc: Exception, now: dt.datetime) -> None:
        await retry_or_give_up(self.services, self.policy, item, exc, now)
