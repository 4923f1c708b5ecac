"""The offer of the office's notices and the subscription itself, shared by
`handlers.subscriptions` (the commands and buttons) and `handlers.communes` (issue 19: in a
province, subscribing waits for the chat's commune, then goes on from here)."""

from __future__ import annotations

from core.broadcasts import ALL_TOPICS, VOLUNTEERS
from core.catalogue import Catalogue
from core.messages import Button, Reply
from handlers.actions import DeclineSubscription, SubscribeAll, SubscribeField, Unsubscribe
from handlers.context import Context
from handlers.procedure_view import field_slug

CONSENT_TEXT = (
    "Đồng ý để bot ghi nhớ cuộc trò chuyện này để gửi thông báo của Bộ phận Một cửa"
    " (thủ tục mới, sửa đổi, lịch làm việc)"
)


def field_names(catalogue: Catalogue) -> dict[str, str]:
    """Slug → field name, in the catalogue's order."""
    return {field_slug(field): field for field in catalogue.fields}


def topic_label(catalogue: Catalogue, topic: str) -> str:
    if topic == ALL_TOPICS:
        return "tất cả thông báo"
    if topic == VOLUNTEERS:
        return "tình nguyện viên"
    return f"lĩnh vực {field_names(catalogue).get(topic, topic)}"


async def offer(ctx: Context, note: str | None = None) -> Reply:
    topics = await ctx.storage.broadcasts.subscriptions(ctx.chat)
    rows: list[list[Button]] = []
    if ALL_TOPICS not in topics:
        rows.append([SubscribeAll().button("✅ Nhận tất cả thông báo")])
        rows += [
            [SubscribeField(slug).button(f"Chỉ lĩnh vực {name}")]
            for slug, name in field_names(ctx.catalogue).items()
            if slug not in topics
        ]
    if topics:
        rows.append([Unsubscribe().button("🔕 Dừng nhận thông báo")])
    else:
        rows.append([DeclineSubscription().button("Không, cảm ơn")])
    return ctx.reply(
        "subscribe_offer.j2",
        rows,
        topics=[topic_label(ctx.catalogue, t) for t in topics],
        note=note,
    )


async def subscribe(ctx: Context, topic: str) -> list[Reply]:
    """Every notice (ALL_TOPICS) or one field's, with the consent's text and time."""
    await ctx.storage.broadcasts.subscribe(ctx.chat, topic, CONSENT_TEXT, ctx.now())
    label = topic_label(ctx.catalogue, topic)
    if topic == ALL_TOPICS:
        return [ctx.reply("subscribe_done.j2", label=label)]
    return [await offer(ctx, note=f"Đã đăng ký nhận thông báo {label}.")]
