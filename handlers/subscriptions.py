"""Citizens opt in to the office's notices (/dangkythongbao) and out (/huythongbao).

Consent per purpose (Luật Bảo vệ dữ liệu cá nhân): every choice is recorded with its text and
time; opting out withdraws it; /xoadulieu deletes the subscriptions with everything else.
A person takes every notice, or only some fields of the catalogue (one tap per field).
"""

from __future__ import annotations

from core.broadcasts import ALL_TOPICS, VOLUNTEERS
from core.catalogue import Catalogue
from core.messages import Button, Reply
from handlers.actions import DeclineSubscription, SubscribeAll, SubscribeField, Unsubscribe
from handlers.context import Context
from handlers.procedure_view import field_slug
from handlers.routing import Route, command, pressed, tapped

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


async def _offer(ctx: Context, note: str | None = None) -> Reply:
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


async def subscribe_command(ctx: Context) -> list[Reply]:
    return [await _offer(ctx)]


async def unsubscribe_command(ctx: Context) -> list[Reply]:
    removed = await ctx.storage.broadcasts.unsubscribe(ctx.chat, ctx.now())
    return [ctx.reply("unsubscribe_done.j2", removed=removed)]


async def subscribe_all(ctx: Context) -> list[Reply]:
    await ctx.storage.broadcasts.subscribe(ctx.chat, ALL_TOPICS, CONSENT_TEXT, ctx.now())
    return [ctx.reply("subscribe_done.j2", label=topic_label(ctx.catalogue, ALL_TOPICS))]


async def subscribe_field(ctx: Context, action: SubscribeField) -> list[Reply]:
    if action.slug not in field_names(ctx.catalogue):
        return [ctx.reply("stale_button.j2")]
    await ctx.storage.broadcasts.subscribe(ctx.chat, action.slug, CONSENT_TEXT, ctx.now())
    label = topic_label(ctx.catalogue, action.slug)
    return [await _offer(ctx, note=f"Đã đăng ký nhận thông báo {label}.")]


async def declined(ctx: Context) -> list[Reply]:
    return [ctx.reply("subscribe_declined.j2")]


routes: list[Route] = [
    command(subscribe_command, "dangkythongbao"),
    command(unsubscribe_command, "huythongbao"),
    tapped(subscribe_all, SubscribeAll),
    pressed(subscribe_field, SubscribeField),
    tapped(unsubscribe_command, Unsubscribe),
    tapped(declined, DeclineSubscription),
]
