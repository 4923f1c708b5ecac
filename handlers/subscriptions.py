"""Citizens opt in to the office's notices (/dangkythongbao) and out (/huythongbao).

Consent per purpose (Luật Bảo vệ dữ liệu cá nhân): every choice is recorded with its text and
time; opting out withdraws it; /xoadulieu deletes the subscriptions with everything else.
A person takes every notice, or only some fields of the catalogue (one tap per field).

Issue 19: a commune's notices reach the subscribers whose chat chose that commune, so in a
province of several communes subscribing first asks the commune (the citizens' commune choice,
`handlers.communes`) and goes on once it is chosen; a province of one asks nothing.
"""

from __future__ import annotations

from core.messages import Reply
from handlers import communes
from handlers.actions import DeclineSubscription, SubscribeAll, SubscribeField, Unsubscribe
from handlers.context import Context
from handlers.routing import Route, command, pressed, tapped
from handlers.subscription_offer import (
    ALL_TOPICS,
    CONSENT_TEXT,
    field_names,
    offer,
    subscribe,
    topic_label,
)

__all__ = ["CONSENT_TEXT", "field_names", "routes", "topic_label"]


async def subscribe_command(ctx: Context) -> list[Reply]:
    if communes.must_ask(ctx):
        return await communes.ask(ctx, subscribing="")
    return [await offer(ctx)]


async def unsubscribe_command(ctx: Context) -> list[Reply]:
    removed = await ctx.storage.broadcasts.unsubscribe(ctx.chat, ctx.now())
    return [ctx.reply("unsubscribe_done.j2", removed=removed)]


async def subscribe_all(ctx: Context) -> list[Reply]:
    if communes.must_ask(ctx):  # a button of an earlier offer: the commune first
        return await communes.ask(ctx, subscribing=ALL_TOPICS)
    return await subscribe(ctx, ALL_TOPICS)


async def subscribe_field(ctx: Context, action: SubscribeField) -> list[Reply]:
    if action.slug not in field_names(ctx.catalogue):
        return [ctx.reply("stale_button.j2")]
    if communes.must_ask(ctx):
        return await communes.ask(ctx, subscribing=action.slug)
    return await subscribe(ctx, action.slug)


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
