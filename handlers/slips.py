"""No typing for elders (issue 20): the receipt's QR, a photo of the receipt, the slips.

Citizens:
- `/start hs_<token>` (Telegram's deep link from the status page) and `THEO 7K3M-9QX2` (the
  follow code the page shows for Zalo) open the dossier with a one-tap follow and the consent
  line. Holding the slip is the second factor: no phone digits are asked.
- A photo of the receipt (or of the slip) is read for QR codes and barcodes: the bot's own QR
  works as the link does; a code printed by the one-stop software (a dossier code, or a lookup
  link carrying one) is looked up as if typed, with the usual second factor. Only the decoded
  code is kept (in the conversation's state, as for a typed code): the photo is read in memory
  and dropped.
Every failure (unknown or expired token, wrong follow code) counts as a failed lookup, so
tokens and codes cannot be tried one after another.

Officers: `/phieuqr [MÃ] [a5]` prints a slip for one dossier (A6, or A5), or without a code the
A4 label sheet for every dossier received today; `/apphich` the desk poster; `/thuhoiqr MÃ`
revokes every printed link of a dossier.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from core.code_reader import UnreadableImage, read_codes
from core.dossiers import Dossier
from core.messages import FileTooLarge, OutgoingFile, Reply
from core.officers import AuditAction
from core.receipt_codes import code_key, find_codes
from core.slip_pdf import PosterLink, Slip, SlipSize, label_sheet_pdf, poster_pdf, slip_pdf
from core.slips import (
    LinkedDossier,
    follow_code_from_text,
    interpret_codes,
    new_token,
    page_url,
    telegram_link,
    token_from_start,
    token_hash,
)
from handlers import dossiers
from handlers.actions import LookupPrompt
from handlers.buttons import CONTACT_BUTTON
from handlers.context import Context, Services
from handlers.dossiers import HOME_BUTTON, DossierState
from handlers.officers import audit
from handlers.routing import On, Role, Route, command, text_when

PDF = "application/pdf"
TYPE_CODE_BUTTON = LookupPrompt().button("⌨️ Gõ mã hồ sơ")


# -- citizens: the link, the follow code, the photo ---------------------------------------------


def _start_token(ctx: Context) -> str | None:
    _, argument = ctx.message.command or ("", "")
    return token_from_start(argument)


async def deep_link_start(ctx: Context) -> list[Reply]:
    token = _start_token(ctx)
    assert token is not None
    if limited := await dossiers.lookup_refused(ctx):
        return limited
    return await open_linked(ctx, await ctx.storage.links.linked_dossier(token_hash(token)))


async def follow_code_typed(ctx: Context) -> list[Reply]:
    code = follow_code_from_text(ctx.message.text)
    assert code is not None
    if limited := await dossiers.lookup_refused(ctx):
        return limited
    return await open_linked(
        ctx, await ctx.storage.links.followed_by_code(token_hash(code), ctx.now()), follow_code=True
    )


def carries_follow_code(ctx: Context) -> bool:
    return follow_code_from_text(ctx.message.text) is not None


async def open_linked(
    ctx: Context, linked: LinkedDossier | None, *, follow_code: bool = False
) -> list[Reply]:
    """A dossier reached through its slip: the card, with the one-tap follow and its consent
    line; an unknown, revoked or expired link gets a kind answer and counts as a failure."""
    if linked is None or not linked.usable(ctx.now(), ctx.services.links):
        await ctx.storage.dossiers.record_lookup_failure(ctx.chat, ctx.now(), ctx.message.user_id)
        await ctx.clear_state()
        rows = [[TYPE_CODE_BUTTON], [CONTACT_BUTTON], [HOME_BUTTON]]
        return [ctx.reply("link_unknown.j2", rows, follow_code=follow_code)]
    dossier = linked.dossier
    since = ctx.now() - ctx.services.lookup.limits.chat_window
    view = await ctx.storage.dossiers.find_dossier(dossier.code_key, ctx.chat, since)
    # The slip proves the person holds the receipt: as if the phone digits were given.
    await ctx.set_state(DossierState.VIEWING, code_key=dossier.code_key)
    card = await dossiers.status_card(
        ctx, dossier, view.following, view.apology, one_tap_follow=True
    )
    return [card]


async def image_received(ctx: Context) -> list[Reply]:
    image = ctx.message.image
    assert image is not None
    limits = ctx.services.photos
    retry_rows = [[TYPE_CODE_BUTTON], [HOME_BUTTON]]
    if ctx.files is None:
        return [ctx.reply("photo_no_code.j2", retry_rows, fetched=False)]
    try:
        content = await ctx.files.fetch(image, limits.max_bytes)
    except FileTooLarge:
        return [ctx.reply("photo_too_large.j2", retry_rows, limit_mb=limits.max_bytes // 2**20)]
    except OSError:
        return [ctx.reply("photo_no_code.j2", retry_rows, fetched=False)]
    try:
        texts = await asyncio.to_thread(read_codes, content, limits)
    except UnreadableImage:
        texts = []
    del content  # nothing of the photo outlives this line
    scanned = interpret_codes(texts)
    if scanned is None:
        return [ctx.reply("photo_no_code.j2", retry_rows, fetched=True)]
    if scanned.token is not None:
        if limited := await dossiers.lookup_refused(ctx):
            return limited
        return await open_linked(
            ctx, await ctx.storage.links.linked_dossier(token_hash(scanned.token))
        )
    assert scanned.dossier_code is not None
    return await dossiers.lookup(ctx, scanned.dossier_code)


# -- officers: slips, poster, revoking ----------------------------------------------------------


async def issue_slips(services: Services, batch: Sequence[Dossier]) -> list[Slip]:
    """A new token for each dossier (its hash stored, all in one transaction) and the slips
    that carry them. Earlier slips keep working until revoked."""
    public_url = services.links.public_url
    assert public_url is not None
    catalogue = services.knowledge.catalogue
    phone = catalogue.commune.phone
    tokens = [new_token() for _ in batch]
    await services.storage.links.add_dossier_links(
        [(token_hash(t), d.code_key) for t, d in zip(tokens, batch, strict=True)],
        services.clock.now(),
    )
    slips = []
    for token, dossier in zip(tokens, batch, strict=True):
        procedure = catalogue.get(dossier.procedure_id)
        name = procedure.name if procedure else dossier.procedure_id
        slips.append(Slip(page_url(public_url, token), dossier.code, name, dossier.due_date, phone))
    return slips


async def received_on(
    services: Services, day: dt.date, commune_id: str | None = None
) -> list[Dossier]:
    start = dt.datetime.combine(day, dt.time())
    return await services.storage.links.dossiers_received_between(
        start, start + dt.timedelta(days=1), commune_id
    )


def poster_links(services: Services) -> list[PosterLink]:
    links = []
    if services.links.zalo_oa_url:
        links.append(
            PosterLink("Zalo", services.links.zalo_oa_url, "Bấm «Quan tâm», rồi nhắn câu hỏi.")
        )
    if services.links.telegram_username:
        url = telegram_link(services.links.telegram_username)
        links.append(PosterLink("Telegram", url, "Bấm «Bắt đầu», rồi nhắn câu hỏi."))
    return links


async def slips_command(ctx: Context) -> list[Reply]:
    """/phieuqr MÃ [a5]: one slip (A6, or A5); /phieuqr alone: the label sheet for today."""
    if ctx.services.links.public_url is None:
        return [ctx.reply("slips_no_address.j2")]
    _, argument = ctx.message.command or ("", "")
    words = argument.split()
    size = SlipSize.A5 if any(w.casefold() == "a5" for w in words) else SlipSize.A6
    typed = " ".join(w for w in words if w.casefold() not in ("a5", "a6"))
    if typed:
        codes = find_codes(typed)
        dossier = await ctx.officer_dossier(code_key(codes[0] if codes else typed))
        if dossier is None:
            return [ctx.reply("slips_unknown_code.j2", code=typed[:60])]
        [slip] = await issue_slips(ctx.services, [dossier])
        content = await asyncio.to_thread(slip_pdf, slip, size)
        await audit(ctx, AuditAction.SLIPS_PRINTED, dossier.code, size.value)
        file = OutgoingFile(f"phieu-{dossier.code_key}.pdf", content, PDF, f"Phiếu {dossier.code}")
        return [ctx.reply("slips_ready.j2", file=file, count=1, size=size.value.upper())]
    today = ctx.now().date()
    batch = await received_on(ctx.services, today, ctx.scope.commune_id)
    if not batch:
        return [ctx.reply("slips_none_today.j2", day=today)]
    slips = await issue_slips(ctx.services, batch)
    content = await asyncio.to_thread(label_sheet_pdf, slips)
    await audit(ctx, AuditAction.SLIPS_PRINTED, None, f"{len(slips)} ({today:%d/%m/%Y})")
    file = OutgoingFile(f"phieu-{today:%Y%m%d}.pdf", content, PDF, f"Phiếu ngày {today:%d/%m/%Y}")
    return [ctx.reply("slips_ready.j2", file=file, count=len(slips), size="A4")]


async def poster_command(ctx: Context) -> list[Reply]:
    links = poster_links(ctx.services)
    if not links:
        return [ctx.reply("poster_no_links.j2")]
    commune = ctx.catalogue.commune
    content = await asyncio.to_thread(poster_pdf, commune.office_name, commune.phone, links)
    file = OutgoingFile("ap-phich-mot-cua.pdf", content, PDF, "Áp phích đặt tại quầy (A4)")
    return [ctx.reply("poster_ready.j2", file=file)]


async def revoke_command(ctx: Context) -> list[Reply]:
    _, typed = ctx.message.command or ("", "")
    if not typed:
        return [ctx.reply("revoke_usage.j2")]
    codes = find_codes(typed)
    dossier = await ctx.officer_dossier(code_key(codes[0] if codes else typed))
    if dossier is None:
        return [ctx.reply("slips_unknown_code.j2", code=typed[:60])]
    revoked = await ctx.storage.links.revoke_dossier_links(dossier.code_key, ctx.now())
    await audit(ctx, AuditAction.LINKS_REVOKED, dossier.code, str(revoked))
    return [ctx.reply("revoke_done.j2", code=dossier.code, count=revoked)]


# `deep_link` goes before the greeting's /start; `follow_code` before the dossiers' text routes
# (bot/app.py).
deep_link = Route(On.COMMAND, deep_link_start, ("start",), when=lambda ctx: bool(_start_token(ctx)))
follow_code = text_when(follow_code_typed, carries_follow_code)
routes: list[Route] = [
    command(slips_command, "phieuqr", who=Role.OFFICER),
    command(poster_command, "apphich", who=Role.OFFICER),
    command(revoke_command, "thuhoiqr", who=Role.OFFICER),
    Route(On.IMAGE, image_received),
]
