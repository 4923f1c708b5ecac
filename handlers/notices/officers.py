"""Notices to officers about the desk's work: the morning list of dossiers that need an apology,
and an alert when someone is guessing dossier codes or digits (issue 15)."""

from __future__ import annotations

import datetime as dt

from core.messages import Reply, TextFormat
from core.outbox import Notice
from handlers.apologies import morning_list
from handlers.context import Services, render
from storage.base import OutboxItem


async def apology_watch(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """The morning list for officers (bot.jobs.ApologyWatch): what needs an apology now."""
    day, to = dt.date.fromisoformat(item.message.payload["day"]), item.message
    # Issue 19: each officer's own commune (their private chat: chat id = user id).
    return await morning_list(services, fmt, day, services.officer_scope(to.channel, to.chat_id))


async def lookup_surge(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    payload = item.message.payload
    text = render(
        services,
        fmt,
        "notify_lookup_surge.j2",
        failures=payload["failures"],
        window=payload["window"],
        at=dt.datetime.fromisoformat(payload["at"]).strftime("%H:%M %d/%m/%Y"),
        is_officer=True,
    )
    return Reply(text=text, format=fmt)
