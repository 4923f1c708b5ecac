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
from core.report_files import report_csv, report_png, report_xlsx
from core.report_pdf import report_pdf
from handlers.report import office_name, period_report, report_text
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
        report = await period_report(services, period)
        print(report_text(services, TextFormat.PLAIN, report, attached=False))
        print(await tickets_section(services, TextFormat.PLAIN, period))  # issue 21
        office = office_name(services)
    outputs = [
        (args.png, lambda: report_png(report)),
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
