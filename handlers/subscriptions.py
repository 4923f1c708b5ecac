"""Citizens opt in to the office's notices (/dangkythongbao) and out (/huythongbao).

Consent per purpose (Luật Bảo vệ dữ liệu cá nhân): every choice is recorded with its text and
time; opting out withdraws it; /xoadulieu deletes the subscriptions with everything else.
A person takes every notice, or only some fields of the catalogue (one tap per field).
"""

from __future__ import annotations

from core.broadcasts import ALL_TOPICS, VOLUNTEERS
from core.catalogue import Catalogue
from core.messages import Button, Reply
from handlers.context import Context
from handlers.procedure_view import field_slug
from handlers.routing import Route, button, button_action, command

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
        rows.append([Button("✅ Nhận tất cả thông báo", "tb:a")])
        rows += [
            [Button(f"Chỉ lĩnh vực {name}", f"tb:f:{slug}")]
            for slug, name in field_names(ctx.catalogue).items()
            if slug not in topics
        ]
    if topics:
        rows.append([Button("🔕 Dừng nhận thông báo", "tb:u")])
    else:
        rows.append([Button("Không, cảm ơn", "tb:n")])
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


async def subscribe_button(ctx: Context) -> list[Reply]:
    action, arg = button_action(ctx)
    match action:
        case "a":
            await ctx.storage.broadcasts.subscribe(ctx.chat, ALL_TOPICS, CONSENT_TEXT, ctx.now())
            return [ctx.reply("subscribe_done.j2", label=topic_label(ctx.catalogue, ALL_TOPICS))]
        case "f" if arg in field_names(ctx.catalogue):
            await ctx.storage.broadcasts.subscribe(ctx.chat, arg, CONSENT_TEXT, ctx.now())
            label = topic_label(ctx.catalogue, arg)
            return [await _offer(ctx, note=f"Đã đăng ký nhận thông báo {label}.")]
        case "u":
            return await unsubscribe_command(ctx)
        case "n":
            return [ctx.reply("subscribe_declined.j2")]
        case _:
            return [ctx.reply("stale_button.j2")]


routes: list[Route] = [
    command(subscribe_command, "dangkythongbao"),
    command(unsubscribe_command, "huythongbao"),
    button(subscribe_button, "tb"),
]
