"""An officer's notice as each subscriber gets it, and the officer's final report."""

from __future__ import annotations

from core.messages import Reply, TextFormat
from core.outbox import Notice, Withdrawn
from handlers.broadcasts import notice_reply
from handlers.context import Services, render
from handlers.subscriptions import topic_label
from storage.base import OutboxItem


async def notice(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """The notice, or Withdrawn once the broadcast is cancelled."""
    broadcast = await services.storage.broadcasts.get_broadcast(
        int(item.message.payload["broadcast_id"])
    )
    if broadcast is None:
        return None
    if broadcast.cancelled_at is not None:
        return Withdrawn()
    return notice_reply(services, fmt, broadcast.text, broadcast.topic, broadcast.procedure_id)


async def report(services: Services, item: OutboxItem, fmt: TextFormat) -> Notice:
    """The officer's final report once every message is handled."""
    broadcast_id = int(item.message.payload["broadcast_id"])
    broadcast = await services.storage.broadcasts.get_broadcast(broadcast_id)
    if broadcast is None:
        return None
    progress = await services.storage.broadcasts.broadcast_progress(broadcast_id)
    text = render(
        services,
        fmt,
        "broadcast_report.j2",
        bc=broadcast,
        p=progress,
        audience=topic_label(services.knowledge.catalogue, broadcast.topic),
        is_officer=True,
    )
    return Reply(text=text, format=fmt)
