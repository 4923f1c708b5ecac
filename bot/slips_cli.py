"""`motcua slips`: the receipt's QR from the command line (issue 20), as `/phieuqr` in the chat.

motcua slips [MÃ …] [--date D] [--size a6|a5] [--out FILE]   slips (new links) as PDF
motcua slips --poster [--out FILE]                            the desk poster
motcua slips --revoke MÃ                                      every printed link of a dossier
motcua slips … --commune ID      issue 19: that commune's (repeatable; the poster: its office)

With one code: a single slip (A6, or A5); with several, or with none (the dossiers received on
--date, default today): the A4 sheet of 8 labels. Lives beside `bot/cli.py`, which registers it.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from bot.app import running_services
from bot.commune_args import EX_USAGE, add_commune_argument, commune_names, communes_asked
from bot.output_files import write_output
from bot.settings import Settings
from core.apologies import parse_date
from core.dossiers import Dossier
from core.officers import AuditAction, AuditEntry
from core.receipt_codes import code_key, find_codes
from core.slip_pdf import SlipSize, label_sheet_pdf, poster_pdf, slip_pdf
from handlers.context import Services
from handlers.slips import issue_slips, poster_links, received_on


def add_slips_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    slips = commands.add_parser(
        "slips", help="in phiếu có mã QR (theo mã hồ sơ, hoặc mọi hồ sơ nhận trong ngày)"
    )
    slips.add_argument("codes", nargs="*", help="mã hồ sơ (để trống: các hồ sơ nhận trong ngày)")
    slips.add_argument("--date", help="ngày nhận hồ sơ, ví dụ 05/12/2026 (mặc định: hôm nay)")
    slips.add_argument("--size", choices=["a6", "a5"], default="a6", help="khổ phiếu lẻ")
    slips.add_argument("--out", help="tệp PDF ghi ra (mặc định: trong thư mục dữ liệu)")
    slips.add_argument("--poster", action="store_true", help="áp phích A4 đặt tại quầy")
    slips.add_argument("--revoke", metavar="MÃ", help="hủy mọi phiếu QR đã in của một hồ sơ")
    add_commune_argument(slips, "phiếu, áp phích")
    slips.set_defaults(run=run_slips)


def _account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "?"


async def _audit(services: Services, action: AuditAction, target: str | None, detail: str) -> None:
    entry = AuditEntry(
        services.clock.now(), "cli", f"cli:{_account()}", None, action, target, detail
    )
    await services.storage.officers.record_audit(entry)


async def slips_from_command_line(args: argparse.Namespace, settings: Settings) -> int:
    async with running_services(settings) as services:
        today = services.clock.now().date()
        province = services.knowledge.province
        communes = communes_asked(args, province)
        if communes is None:
            return EX_USAGE
        where = commune_names(province, communes)
        if args.poster:
            if len(communes) > 1:
                print("Áp phích ghi địa chỉ của một xã: chỉ ghi một --commune.", file=sys.stderr)
                return EX_USAGE
            links = poster_links(services)
            if not links:
                print(
                    "Chưa có đường dẫn: đặt MOTCUA_TELEGRAM_BOT_USERNAME, MOTCUA_ZALO_OA_URL.",
                    file=sys.stderr,
                )
                return 2
            commune = services.knowledge.catalogue_of(communes[0] if communes else None).commune
            content = poster_pdf(commune.office_name, commune.phone, links)
            return _write(args.out or settings.data_dir / "ap-phich-mot-cua.pdf", content)
        if args.revoke:
            found = find_codes(args.revoke)
            dossier = await services.storage.dossiers.get_dossier(
                code_key(found[0] if found else args.revoke)
            )
            if dossier is None or not _of(dossier, communes):
                print(f"Không tìm thấy hồ sơ {args.revoke}{where}.", file=sys.stderr)
                return 2
            count = await services.storage.links.revoke_dossier_links(
                dossier.code_key, services.clock.now()
            )
            await _audit(services, AuditAction.LINKS_REVOKED, dossier.code, str(count))
            print(f"Đã hủy {count} phiếu QR của hồ sơ {dossier.code}.")
            return 0
        if services.links.public_url is None:
            print(
                "Chưa in được phiếu: đặt MOTCUA_PUBLIC_URL (địa chỉ trang tra cứu).",
                file=sys.stderr,
            )
            return 2
        if args.codes:
            batch = []
            for typed in args.codes:
                found = find_codes(typed)
                dossier = await services.storage.dossiers.get_dossier(
                    code_key(found[0] if found else typed)
                )
                if dossier is None or not _of(dossier, communes):
                    print(
                        f"Không tìm thấy hồ sơ {typed}{where}: không in phiếu nào.",
                        file=sys.stderr,
                    )
                    return 2
                batch.append(dossier)
            name = f"phieu-{batch[0].code_key}.pdf" if len(batch) == 1 else "phieu.pdf"
        else:
            day = parse_date(args.date, today) if args.date else today
            if day is None:
                print(f"Ngày không hợp lệ: {args.date} (ví dụ 05/12/2026).", file=sys.stderr)
                return 2
            if communes:  # issue 19: those communes' dossiers only
                batch = [d for c in communes for d in await received_on(services, day, c)]
                batch.sort(key=lambda d: (d.received_at, d.code))
            else:
                batch = await received_on(services, day)
            if not batch:
                print(f"Không có hồ sơ nào{where} nhận ngày {day:%d/%m/%Y}.", file=sys.stderr)
                return 2
            name = f"phieu-{day:%Y%m%d}.pdf"
        slips = await issue_slips(services, batch)
        if len(slips) == 1 and args.codes:
            content = slip_pdf(slips[0], SlipSize(args.size))
        else:
            content = label_sheet_pdf(slips)
        written = _write(args.out or settings.data_dir / name, content, len(slips))
        await _audit(services, AuditAction.SLIPS_PRINTED, None, f"{len(slips)} (cli)")
        return written


def _of(dossier: Dossier, communes: tuple[str, ...]) -> bool:
    """The dossier is of one of the communes asked for (none asked: of any)."""
    return not communes or dossier.commune_id in communes


def _write(path: str | Path, content: bytes, count: int | None = None) -> int:
    write_output(path, content)  # whole or not at all (bot/output_files.py)
    print(f"Đã ghi {path}" + (f" ({count} phiếu)" if count is not None else ""))
    return 0


def run_slips(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(slips_from_command_line(args, settings))
