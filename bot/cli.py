"""`motcua` (and `python -m bot`): the command line of the bot.

motcua chat [--user-id N]        the whole bot in the terminal
motcua run --channel telegram    the bot on Telegram (long polling; --webhook-url for a webhook)
motcua run --channel zalo|all    the bot on a Zalo OA (webhook server; all: with Telegram too)
motcua run --channel … --workers N   PostgreSQL: receive here, answer in N worker processes
motcua worker --channel …        one worker process (bot/workers.py; docs/deployment.md)
motcua search "câu hỏi"          what the search understands of a question
motcua search --json < queries   one JSON line per input line (the acceptance contract)
motcua check-catalogue [FILE]    validate the catalogue; every error with its line
motcua calendar [YEAR]           the year's days off and worked Saturdays, with their sources
motcua import-dossiers FILE      import the one-stop software's export (CSV or XLSX)
       [--skip-bad] [--dry-run]  apply the good rows only / validate without applying
motcua apologies [--from D] [--to D] [--csv FILE] [--commune ID]   apologies issued (report)
motcua report [--quarter 2026-Q3 | --year 2026 | --from D --to D] [--xlsx F] [--png F]
                                 the quarterly figures (bot/report_cli.py)
motcua reload [FILE] [--yes]     validate (and install) a catalogue; the running bot reloads it
motcua slips [MÃ …] [--date D] [--poster] [--revoke MÃ]   slips with the receipt's QR
                                 (bot/slips_cli.py)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot import log_redaction
from bot.app import Dispatcher, load_knowledge, running_services
from bot.channels.console import ConsoleChannel
from bot.commune_args import EX_USAGE, add_commune_argument, commune_names, communes_asked
from bot.database_cli import add_database_parsers
from bot.knowledge_files import (
    KnowledgeFiles,
    examples_of,
    signal_running_bot,
    write_pid_file,
)
from bot.output_files import OutputNotWritten, write_output
from bot.report_cli import add_report_parser
from bot.settings import Settings
from bot.slips_cli import add_slips_parser
from core.apologies import parse_date
from core.catalogue import CatalogueInvalid
from core.catalogue.diff import describe_diff, diff_catalogues, history_rows
from core.catalogue.placeholders import placeholder_warnings
from core.dossier_import import CommuneRule, parse_export
from core.officers import AdminIdInvalid
from core.province import load_province
from core.workdays import CalendarOverridesInvalid, WorkingCalendar, load_calendar_overrides
from handlers.apologies import apologies_csv
from handlers.imports import apply_import, plan_import
from storage.faults import ADVICE, EXIT_CODES, fault_of

if TYPE_CHECKING:
    from bot.telegram_runner import TelegramOptions

# The Telegram and Zalo stacks (python-telegram-bot; Starlette, uvicorn) are imported inside the
# functions that run those channels: `motcua chat` and the other commands start without them.


# Errors of an import printed on the terminal; the rest are counted (issue 15).
CLI_SHOWN_ERRORS = 100


def _check_catalogue(args: argparse.Namespace, settings: Settings) -> int:
    procedures = Path(args.file) if args.file else settings.catalogue_file
    commune = Path(args.commune) if args.commune else settings.commune_file
    province = Path(args.province) if args.province else settings.province_file
    try:
        loaded = load_province(province, procedures, commune, settings.catalogue_max_bytes)
        examples_of(settings, loaded)  # knowledge/examples.yaml: every id in the catalogue
    except CatalogueInvalid as invalid:
        errors = invalid.errors
        print(f"Danh mục có {len(errors)} lỗi, cần sửa trước khi dùng:", file=sys.stderr)
        for error in errors:
            print(f"- {error}", file=sys.stderr)
        return 1
    if province is None:
        print(f"Danh mục hợp lệ: {procedures} và {commune}.")
        for sample in placeholder_warnings(commune):
            print(f"Lưu ý: {sample}", file=sys.stderr)
    else:  # every commune's effective catalogue was checked
        print(f"Danh mục hợp lệ: {procedures} và {province} ({len(loaded)} xã, phường).")
        for each in loaded:
            print(f"  {each.id}: {each.name}, {len(each.catalogue)} thủ tục")
    try:  # issue 19: an officer of a commune the province does not have
        settings.admins.check_communes(each.id for each in loaded)
    except AdminIdInvalid as invalid:
        print(invalid, file=sys.stderr)
        return 1
    try:
        overrides = load_calendar_overrides(settings.calendar_file)
    except CalendarOverridesInvalid as invalid:
        print(invalid.report(), file=sys.stderr)
        return 1
    for warning in overrides.review_warnings(dt.date.today()):
        print(f"Lưu ý: {warning}", file=sys.stderr)
    return 0


def _calendar(args: argparse.Namespace, settings: Settings) -> int:
    """The year's days off and worked weekend days, to compare with the Government's notice."""
    year = args.year or dt.date.today().year
    try:
        calendar = WorkingCalendar(load_calendar_overrides(settings.calendar_file))
        lines = calendar.year_listing(year)
    except CalendarOverridesInvalid as invalid:
        print(invalid.report(), file=sys.stderr)
        return 1
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    weekdays = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
    print(f"Lịch ngày làm việc năm {year} (tệp lịch: {settings.calendar_file})")
    for title, working in (("Ngày nghỉ (trừ thứ Bảy, Chủ nhật)", False), ("Ngày làm bù", True)):
        chosen = [line for line in lines if line.working is working]
        print(f"\n{title}: {len(chosen)}")
        for line in chosen:
            print(f"  {weekdays[line.day.weekday()]:<9} {line.day:%d/%m/%Y}  {line.origin}")
    reviewed = calendar.overrides.reviewed.get(year)
    print(f"\nĐã đối chiếu: {reviewed}" if reviewed else f"\nNăm {year} CHƯA được đối chiếu.")
    return 0


def _search(args: argparse.Namespace, settings: Settings) -> int:
    knowledge = load_knowledge(settings)
    queries = args.query or (line.rstrip("\n") for line in sys.stdin)
    out = sys.stdout
    for query in queries:
        result = knowledge.search.search(query)
        if args.json:
            out.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
            continue
        procedure = knowledge.catalogue.get(result.answer) if result.answer else None
        out.write(f"Câu hỏi: {query}\n")
        out.write(f"Trả lời: {procedure.name + ' (' + procedure.id + ')' if procedure else '—'}\n")
        if result.referral:
            out.write(f"Không làm tại xã: {result.referral}\n")
        if result.aspect:
            out.write(f"Hỏi về: {result.aspect.value}\n")
        for candidate in result.candidates:
            out.write(f"  {candidate.score:.3f}  {candidate.id}\n")
    out.flush()
    return 0


async def _chat_async(args: argparse.Namespace, settings: Settings) -> int:
    async with running_services(settings) as services:
        channel = ConsoleChannel(
            Dispatcher(services), str(args.user_id), files_dir=settings.data_dir / "files"
        )
        await channel.run()
    return 0


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_chat_async(args, settings))


async def _run_telegram(options: TelegramOptions, settings: Settings) -> int:
    from bot.telegram_runner import TelegramBot

    async with running_services(settings) as services:
        pid_file = write_pid_file(settings)
        try:
            await TelegramBot(services, options).run_until_stopped()
        finally:
            pid_file.unlink(missing_ok=True)
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from bot.workers import run_worker_from_cli

    return run_worker_from_cli(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers is not None:  # issue 18: several processes (bot/front.py)
        from bot.front import run_front_from_cli

        return run_front_from_cli(args, settings)
    if args.channel == "console":
        return _chat(args, settings)
    if args.channel in ("zalo", "all"):  # one webhook server (bot/webhook_server.py)
        from bot.webhook_server import run_from_cli

        return run_from_cli(args, settings)
    from bot.telegram_runner import telegram_options

    options = telegram_options(args, settings)
    if isinstance(options, str):
        print(options, file=sys.stderr)
        return 2
    return asyncio.run(_run_telegram(options, settings))


def _count(n: int) -> str:
    """12345 → '12.345', as numbers are written in Vietnamese."""
    return f"{n:,}".replace(",", ".")


class _ProgressBar:
    """A one-line bar on stderr, only for files big enough to make the officer wait."""

    MIN_ROWS = 2000
    WIDTH = 30

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total <= self.MIN_ROWS and not self.shown:
            return
        self.shown = True
        percent = 100 * done // max(total, 1)
        bar = "#" * (self.WIDTH * percent // 100)
        rows = f"{_count(done)}/{_count(total)} dòng"
        print(
            f"\rĐang đọc tệp [{bar:.<{self.WIDTH}}] {percent:3d}%  {rows}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def finish(self) -> None:
        if self.shown:
            print(file=sys.stderr)


async def _import_dossiers_async(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    knowledge = load_knowledge(settings)
    calendar = WorkingCalendar(load_calendar_overrides(settings.calendar_file))
    only = args.commune
    if only is not None and knowledge.province.get(only) is None:
        known = ", ".join(c.id for c in knowledge.province)
        print(f"Không có xã «{only}» trong tỉnh; các mã xã: {known}", file=sys.stderr)
        return 2
    bar = _ProgressBar()
    parsed = parse_export(
        path,
        knowledge.catalogue,
        calendar,
        progress=bar,
        limits=settings.import_limits,
        communes=CommuneRule(knowledge.province, only),
    )
    bar.finish()
    if parsed.file_errors:
        print(f"Không nhập được tệp «{path.name}»:", file=sys.stderr)
        for problem in parsed.file_errors:
            print(f"- {problem}", file=sys.stderr)
        return 1
    async with running_services(settings, knowledge=knowledge) as services:
        plan = await plan_import(services, parsed)
        good, bad = len(plan.rows), plan.bad_row_count
        if plan.errors:
            print(f"Tệp «{path.name}» có {plan.error_count} lỗi ở {bad} dòng:", file=sys.stderr)
            for error in plan.errors[:CLI_SHOWN_ERRORS]:
                print(f"- {error}", file=sys.stderr)
            if plan.error_count > CLI_SHOWN_ERRORS:
                more = plan.error_count - CLI_SHOWN_ERRORS
                print(f"… và {_count(more)} lỗi khác.", file=sys.stderr)
            if not args.skip_bad:
                print(
                    "Chưa nhập hồ sơ nào. Sửa các lỗi trên rồi chạy lại, hoặc thêm --skip-bad để "
                    "chỉ nhập các dòng không có lỗi.",
                    file=sys.stderr,
                )
                return 1
            shown = plan.bad_rows[:CLI_SHOWN_ERRORS]
            rows = ", ".join(str(number) for number in shown)
            rest = "…" if bad > len(shown) else ""
            print(f"Bỏ qua {bad} dòng có lỗi: dòng {rows}{rest}.")
        if args.dry_run:
            print(
                f"Kiểm tra xong «{path.name}»: {_count(good)} dòng hợp lệ, {_count(bad)} dòng có "
                f"lỗi, {_count(len(plan.apologies))} văn bản xin lỗi sẽ được lập. "
                "Chạy thử (--dry-run): chưa ghi gì vào cơ sở dữ liệu."
            )
            return 0 if good else 1
        if not good:
            print("Không có dòng hợp lệ nào để nhập.", file=sys.stderr)
            return 1
        outcome = await apply_import(services, plan, source=f"import:{path.name}")
    print(f"Đã nhập «{path.name}»: {_count(good)} hồ sơ.")
    print(f"- mới: {_count(outcome.created)}")
    print(f"- cập nhật: {_count(outcome.updated)}")
    print(f"- không đổi: {_count(outcome.unchanged)}")
    print(f"- đổi trạng thái: {_count(outcome.status_changes)}")
    print(f"- văn bản xin lỗi đã lập: {_count(len(outcome.apologies))}")
    for issued in outcome.apologies:
        who = f"gửi {issued.followers} người theo dõi" if issued.followers else "chưa ai theo dõi"
        print(
            f"  · số {issued.apology.number}, hồ sơ {issued.dossier.code}: hẹn lại "
            f"{issued.apology.new_due:%d/%m/%Y} ({who}; in văn bản: /xinloi_ds)"
        )
    print(f"- thông báo đã xếp hàng: {_count(outcome.notifications)}")
    return 0


def _import_dossiers(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_import_dossiers_async(args, settings))


async def _apologies_async(args: argparse.Namespace, settings: Settings) -> int:
    async with running_services(settings) as services:
        today = services.clock.now().date()
        start_of_year = today.replace(day=1, month=1)
        first = parse_date(args.date_from, today) if args.date_from else start_of_year
        last = parse_date(args.date_to, today) if args.date_to else today
        if first is None or last is None or first > last:
            print(
                "Ngày không hợp lệ: viết ngày/tháng/năm, ví dụ --from 01/10/2026 --to 31/12/2026"
                " (ngày đầu không sau ngày cuối).",
                file=sys.stderr,
            )
            return 2
        province = services.knowledge.province
        communes = communes_asked(args, province)
        if communes is None:
            return EX_USAGE
        store = services.storage.apologies
        if communes:  # issue 19: those communes' apologies only
            issued = [a for c in communes for a in await store.apologies_between(first, last, c)]
            issued.sort(key=lambda a: (a.issued_at, a.id))
        else:
            issued = await store.apologies_between(first, last)
        dossiers = await services.storage.dossiers.get_dossiers([a.code_key for a in issued])
        table = apologies_csv(services, issued, dossiers, first, last)
    where = commune_names(province, communes)
    print(f"Văn bản xin lỗi{where} từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}: {_count(len(issued))}")
    if args.csv:
        await asyncio.to_thread(write_output, args.csv, table.content)
        print(f"Đã ghi danh sách vào {args.csv}")
    else:
        sys.stdout.write(table.content.decode("utf-8-sig"))
    return 0


def _apologies(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_apologies_async(args, settings))


def _reload(args: argparse.Namespace, settings: Settings) -> int:
    """Validate first: on any error nothing changes and every error is printed. Then show what
    changes, install the file (if another one was given) and tell the running bot."""
    files = KnowledgeFiles(settings)
    candidate = Path(args.file) if args.file else settings.catalogue_file
    try:
        new = files.load(candidate)
    except CatalogueInvalid as invalid:
        print(invalid.report(), file=sys.stderr)
        print("Danh mục đang dùng không thay đổi.", file=sys.stderr)
        return 1
    installing = candidate.resolve() != settings.catalogue_file.resolve()
    if installing:
        try:
            current = files.load().catalogue
        except CatalogueInvalid:
            current = None  # the file in use is broken: anything valid is better
        diff = diff_catalogues(current, new.catalogue) if current is not None else None
        if diff is not None:
            print(describe_diff(diff))
        if not args.yes:
            if not sys.stdin.isatty():
                print("Thêm --yes để áp dụng (chưa thay đổi gì).", file=sys.stderr)
                return 1
            if input("Áp dụng danh mục mới? (c/k) ").strip().casefold() not in {"c", "co", "có"}:
                print("Đã hủy, danh mục đang dùng không thay đổi.")
                return 1
        if diff is not None:  # the catalogue's history, for the report (core.report); first,
            # so that a fault of the database (issue 15) stops the command with nothing changed
            asyncio.run(_record_catalogue_changes(settings, history_rows(diff)))
        files.install(candidate)
        print(
            f"Đã cài danh mục mới vào {settings.catalogue_file} (bản cũ lưu cạnh đó, đuôi .bak-…)."
        )
    else:
        print(f"Danh mục hợp lệ: {len(new.catalogue)} thủ tục.")
    if settings.database_url:  # worker processes on PostgreSQL hear it too (issue 18)
        asyncio.run(_announce_catalogue(settings, new.version))
    pid = signal_running_bot(settings)
    if pid is None:
        print("Không thấy bot đang chạy: lần chạy sau sẽ dùng danh mục này.")
    else:
        print(f"Đã báo bot đang chạy (pid {pid}) nạp lại danh mục.")
    return 0


async def _announce_catalogue(settings: Settings, version: str) -> None:
    from bot.workers import CATALOGUE_TOPIC
    from storage.backends import open_storage

    storage = await open_storage(settings.database_url, settings.database_file)
    try:
        await storage.workers.notify(CATALOGUE_TOPIC, version)
    finally:
        await storage.close()


async def _record_catalogue_changes(settings: Settings, rows: list[tuple[str, str]]) -> None:
    async with running_services(settings) as services:
        await services.storage.reports.record_catalogue_changes(
            rows, "motcua reload", services.clock.now()
        )


def _broadcast(args: argparse.Namespace, settings: Settings) -> int:
    from bot.broadcast_cli import queue_from_command_line

    return asyncio.run(queue_from_command_line(args, settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="Một Cửa Bot")
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="trò chuyện với bot ngay trên máy (không cần mạng)")
    chat.add_argument("--user-id", default="1", help="mã người đang trò chuyện (mặc định 1)")
    chat.set_defaults(run=_chat)

    run = commands.add_parser("run", help="chạy bot trên một kênh (mặc định: terminal)")
    run.add_argument("--channel", choices=["console", "telegram", "zalo", "all"], default="console")
    run.add_argument("--user-id", default="1", help="(terminal) mã người đang trò chuyện")
    run.add_argument("--webhook-url", help="(Telegram) địa chỉ HTTPS công khai nhận cập nhật")
    run.add_argument("--listen", help="(Telegram, webhook) địa chỉ lắng nghe, mặc định 0.0.0.0")
    run.add_argument("--port", type=int, help="(Telegram, webhook) cổng, mặc định 8443")
    run.add_argument("--secret-token", help="(Telegram, webhook) mã bí mật kiểm tra yêu cầu")
    run.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="(PostgreSQL) nhận tin ở tiến trình này, trả lời ở N tiến trình con (0: chạy riêng)",
    )
    run.set_defaults(run=_run)

    worker = commands.add_parser("worker", help="(PostgreSQL) một tiến trình trả lời tin nhắn")
    worker.add_argument("--channel", choices=["telegram", "zalo", "all"], default="telegram")
    worker.set_defaults(run=_worker, webhook_url=None, listen=None, port=None, secret_token=None)

    search = commands.add_parser("search", help="thử tìm thủ tục cho một câu hỏi")
    search.add_argument("query", nargs="*", help="câu hỏi; bỏ trống thì đọc từng dòng ở stdin")
    search.add_argument("--json", action="store_true", help="in mỗi kết quả một dòng JSON")
    search.set_defaults(run=_search)

    check = commands.add_parser("check-catalogue", help="kiểm tra tệp danh mục thủ tục")
    check.add_argument("file", nargs="?", help="tệp procedures.yaml (mặc định: danh mục đang dùng)")
    check.add_argument("--commune", help="tệp commune.yaml (mặc định: tệp đang dùng)")
    check.add_argument("--province", help="tệp province.yaml của tỉnh (mặc định: tệp đang dùng)")
    check.set_defaults(run=_check_catalogue)
    calendar = commands.add_parser(
        "calendar", help="in ngày nghỉ, ngày làm bù của một năm để đối chiếu với thông báo"
    )
    calendar.add_argument("year", nargs="?", type=int, help="năm (mặc định: năm nay)")
    calendar.set_defaults(run=_calendar)

    imports = commands.add_parser(
        "import-dossiers", help="nhập danh sách hồ sơ xuất từ phần mềm một cửa (CSV hoặc XLSX)"
    )
    imports.add_argument("file", help="tệp xuất từ phần mềm một cửa (.csv hoặc .xlsx)")
    imports.add_argument(
        "--skip-bad", action="store_true", help="nhập các dòng hợp lệ, bỏ qua các dòng có lỗi"
    )
    imports.add_argument(
        "--dry-run", action="store_true", help="chỉ kiểm tra tệp, không ghi vào cơ sở dữ liệu"
    )
    imports.add_argument(
        "--commune", help="tệp của một xã (mã xã trong province.yaml): từ chối hồ sơ của xã khác"
    )
    imports.set_defaults(run=_import_dossiers)

    listing = commands.add_parser("apologies", help="danh sách văn bản xin lỗi đã lập (báo cáo)")
    listing.add_argument("--from", dest="date_from", help="từ ngày (mặc định: 1/1 năm nay)")
    listing.add_argument("--to", dest="date_to", help="đến ngày (mặc định: hôm nay)")
    listing.add_argument("--csv", help="ghi ra tệp CSV (mở được bằng Excel) thay vì in ra màn hình")
    add_commune_argument(listing, "văn bản")
    listing.set_defaults(run=_apologies)
    add_report_parser(commands)
    add_slips_parser(commands)
    add_database_parsers(commands)

    reload = commands.add_parser(
        "reload", help="kiểm tra rồi áp dụng danh mục thủ tục mới mà không dừng bot"
    )
    reload.add_argument("file", nargs="?", help="tệp procedures.yaml mới (mặc định: tệp đang dùng)")
    reload.add_argument("--yes", action="store_true", help="áp dụng không hỏi lại")
    reload.set_defaults(run=_reload)

    broadcast = commands.add_parser(
        "broadcast", help="xếp hàng một thông báo cho người đã đăng ký (bot đang chạy sẽ gửi)"
    )
    broadcast.add_argument("--text", required=True, help="nội dung thông báo")
    audience = broadcast.add_mutually_exclusive_group()
    audience.add_argument("--field", help="chỉ người đăng ký lĩnh vực này, ví dụ ho-tich")
    audience.add_argument(
        "--volunteers", action="store_true", help="gửi cho các tình nguyện viên đã được duyệt"
    )
    broadcast.add_argument(
        "--commune",
        action="append",
        default=[],
        metavar="MÃ",
        help="chỉ người đăng ký ở xã, phường này (lặp lại để chọn nhiều; mặc định cả tỉnh)",
    )
    broadcast.add_argument("--yes", action="store_true", help="xếp hàng không hỏi lại")
    broadcast.set_defaults(run=_broadcast)
    return parser


def settings_errors(invalid: ValidationError) -> list[str]:
    """One line per wrong setting, naming it (OFFICER_IDS' own message already does)."""
    lines = []
    for error in invalid.errors():
        loc = [str(part) for part in error["loc"]]
        # The variable the officer sets: MOTCUA_LOOKUP_MAX_FAILURES, not lookup_max_failures.
        name = "MOTCUA_" + "_".join(loc).upper() if loc and loc[0].islower() else ".".join(loc)
        message = str(error["msg"]).removeprefix("Value error, ")
        shown = message if message.startswith(name) else f"{name}: {message}"
        lines.append(f"Cấu hình sai – {shown}")
    return lines


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as invalid:  # a setting the officer wrote: the field, what is wrong
        for line in settings_errors(invalid):
            print(line, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log_redaction.install(settings.secret_values())  # issue 15: no secret in any log line
    try:
        return int(args.run(args, settings))
    except CatalogueInvalid as invalid:
        print(invalid.report(), file=sys.stderr)
        print("Sửa các lỗi trên rồi chạy lại (kiểm tra: motcua check-catalogue).", file=sys.stderr)
        return 2
    except AdminIdInvalid as invalid:  # an OFFICER_IDS entry (issue 19): one line, no traceback
        print(invalid, file=sys.stderr)
        return 2
    except OutputNotWritten as failed:  # a file the officer asked for (bot/output_files.py)
        print(failed.line, file=sys.stderr)
        return failed.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `motcua chat | head`: the reader left; nothing to report
        sys.stdout = None  # no flush of a closed pipe at exit
        return 0
    except Exception as error:
        # A fault of the database itself (issue 15): one line saying what is wrong and what to
        # do, and an exit status that says which (storage.faults.EXIT_CODES); no traceback.
        fault = fault_of(error)
        if fault is None:
            raise
        logging.getLogger(__name__).debug("database fault", exc_info=error)
        print(f"Lỗi cơ sở dữ liệu: {ADVICE[fault]}", file=sys.stderr)
        return EXIT_CODES[fault]


if __name__ == "__main__":
    raise SystemExit(main())
