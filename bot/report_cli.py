"""`motcua report`: the quarterly figures in the terminal, and the chart and table as files.

motcua report [--quarter 2026-Q3 | --year 2026 | --from D --to D] [--xlsx F] [--pdf F] [--png F]
    [--csv F]

Without a period: this quarter (so far). Lives beside `bot/cli.py`, which only registers it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot.app import running_services
from bot.output_files import write_output
from bot.settings import Settings
from core.apologies import parse_date
from core.messages import TextFormat
from core.report import Period, PeriodKind, parse_period
from core.report_files import lateness_png, report_csv, report_png, report_xlsx
from core.report_pdf import report_pdf
from handlers.report import (
    office_name,
    period_report,
    province_office,
    province_report,
    report_text,
)
from handlers.tickets import tickets_section

_BAD_PERIOD = (
    "Kỳ báo cáo không hợp lệ. Ví dụ: --quarter 2026-Q3, --year 2026, hoặc "
    "--from 01/07/2026 --to 30/09/2026 (ngày đầu không sau ngày cuối)."
)


def add_report_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report", help="số liệu giải quyết hồ sơ của một quý, một năm hay một khoảng ngày"
    )
    chosen = report.add_mutually_exclusive_group()
    chosen.add_argument("--quarter", help="quý, ví dụ 2026-Q3 (mặc định: quý này)")
    chosen.add_argument("--year", help="cả năm, ví dụ 2026")
    chosen.add_argument("--from", dest="date_from", help="từ ngày (cùng với --to)")
    report.add_argument("--to", dest="date_to", help="đến ngày (mặc định: hôm nay)")
    report.add_argument("--xlsx", help="ghi bảng số liệu ra tệp Excel")
    report.add_argument("--pdf", help="ghi bảng số liệu ra tệp PDF (khổ A4 ngang, để in)")
    report.add_argument("--png", help="ghi biểu đồ ra tệp PNG")
    report.add_argument("--csv", help="ghi bảng số liệu ra tệp CSV (mở được bằng Excel)")
    whose = report.add_mutually_exclusive_group()
    whose.add_argument("--commune", help="số liệu của một xã, phường (mã xã trong province.yaml)")
    whose.add_argument(
        "--province",
        action="store_true",
        help="cả tỉnh, mỗi xã một dòng, biểu đồ xếp xã theo tỷ lệ quá hạn (mặc định khi có tỉnh)",
    )
    report.set_defaults(run=run_report)


def period_from_args(args: argparse.Namespace, today: dt.date) -> Period | None:
    """The period the flags name; None when they name none (a bad date, --to alone…)."""
    if args.date_to and not args.date_from:
        return None
    if args.date_from:
        last = args.date_to or today.strftime("%d/%m/%Y")
        return parse_period(f"{args.date_from} {last}", today, parse_date)
    if args.year:
        return parse_period(f"năm {args.year.strip()}", today, parse_date)
    return parse_period(args.quarter or "", today, parse_date)


async def _report_async(args: argparse.Namespace, settings: Settings) -> int:
    async with running_services(settings) as services:
        today = services.clock.now().date()
        period = period_from_args(args, today)
        if period is None or (args.quarter and period.kind is not PeriodKind.QUARTER):
            print(_BAD_PERIOD, file=sys.stderr)
            return 2
        if period.first > today:
            print(f"{period.label} chưa bắt đầu nên chưa có số liệu.", file=sys.stderr)
            return 2
        province = services.knowledge.province
        if args.commune is not None and province.get(args.commune) is None:
            known = ", ".join(c.id for c in province)
            print(f"Không có xã «{args.commune}» trong tỉnh; các mã xã: {known}", file=sys.stderr)
            return 2
        # Issue 19: a province's figures by default, one line per commune; or one commune's.
        whole = args.province or (args.commune is None and not province.single)
        if whole:
            report = await province_report(services, period)
            office = province_office(services)
        else:
            report = await period_report(services, period, args.commune)
            office = office_name(services, args.commune)
        print(report_text(services, TextFormat.PLAIN, report, attached=False))
        print(await tickets_section(services, TextFormat.PLAIN, period))  # issue 21
    chart = lateness_png if whole else report_png
    outputs = [
        (args.png, lambda: chart(report)),
        (args.xlsx, lambda: report_xlsx(report, office)),
        (args.pdf, lambda: report_pdf(report, office)),
        (args.csv, lambda: report_csv(report, office)),
    ]
    for name, make in outputs:
        if name:
            content = await asyncio.to_thread(make)
            await asyncio.to_thread(write_output, name, content)
            print(f"Đã ghi {name}")
    return 0


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_report_async(args, settings))
