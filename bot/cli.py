"""`motcua` (and `python -m bot`): the command line of the bot.

motcua chat [--user-id N]        the whole bot in the terminal
motcua search "câu hỏi"          what the search understands of a question
motcua search --json < queries   one JSON line per input line (the acceptance contract)
motcua check-catalogue [FILE]    validate the catalogue; every error with its line
motcua import-dossiers FILE      import the one-stop software's export (CSV or XLSX)
       [--skip-bad] [--dry-run]  apply the good rows only / validate without applying
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from bot.app import Dispatcher, load_knowledge, running_services
from bot.channels.console import ConsoleChannel
from bot.settings import Settings
from core.catalogue import CatalogueInvalid, check_catalogue
from core.dossier_import import ParsedExport, parse_export
from core.workdays import WorkingCalendar, load_calendar_overrides


def _check_catalogue(args: argparse.Namespace, settings: Settings) -> int:
    procedures = Path(args.file) if args.file else settings.catalogue_file
    commune = Path(args.commune) if args.commune else settings.commune_file
    errors = check_catalogue(procedures, commune)
    if errors:
        print(f"Danh mục có {len(errors)} lỗi, cần sửa trước khi dùng:", file=sys.stderr)
        for error in errors:
            print(f"- {error}", file=sys.stderr)
        return 1
    print(f"Danh mục hợp lệ: {procedures} và {commune}.")
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


def _print_errors(parsed: ParsedExport) -> None:
    for problem in parsed.file_errors:
        print(f"- {problem}", file=sys.stderr)
    for error in parsed.errors:
        print(f"- {error}", file=sys.stderr)


async def _import_dossiers_async(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    knowledge = load_knowledge(settings)
    calendar = WorkingCalendar(load_calendar_overrides(settings.calendar_file))
    bar = _ProgressBar()
    parsed = parse_export(path, knowledge.catalogue, calendar, progress=bar)
    bar.finish()
    if parsed.file_errors:
        print(f"Không nhập được tệp «{path.name}»:", file=sys.stderr)
        _print_errors(parsed)
        return 1
    good, bad = len(parsed.rows), len(parsed.bad_rows)
    if parsed.errors:
        print(f"Tệp «{path.name}» có {len(parsed.errors)} lỗi ở {bad} dòng:", file=sys.stderr)
        _print_errors(parsed)
        if not args.skip_bad:
            print(
                "Chưa nhập hồ sơ nào. Sửa các lỗi trên rồi chạy lại, hoặc thêm --skip-bad để "
                "chỉ nhập các dòng không có lỗi.",
                file=sys.stderr,
            )
            return 1
        rows = ", ".join(str(number) for number in parsed.bad_rows)
        print(f"Bỏ qua {bad} dòng có lỗi: dòng {rows}.")
    if args.dry_run:
        print(
            f"Kiểm tra xong «{path.name}»: {_count(good)} dòng hợp lệ, {_count(bad)} dòng có lỗi. "
            "Chạy thử (--dry-run): chưa ghi gì vào cơ sở dữ liệu."
        )
        return 0 if good else 1
    if not good:
        print("Không có dòng hợp lệ nào để nhập.", file=sys.stderr)
        return 1
    async with running_services(settings, knowledge=knowledge) as services:
        outcome = await services.storage.apply_dossiers(
            [(row.dossier, row.row_hash) for row in parsed.rows],
            services.clock.now(),
            source=f"import:{path.name}",
        )
    print(f"Đã nhập «{path.name}»: {_count(good)} hồ sơ.")
    print(f"- mới: {_count(outcome.created)}")
    print(f"- cập nhật: {_count(outcome.updated)}")
    print(f"- không đổi: {_count(outcome.unchanged)}")
    print(f"- đổi trạng thái: {_count(outcome.status_changes)}")
    print(f"- thông báo đã xếp hàng: {_count(outcome.notifications)}")
    return 0


def _import_dossiers(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_import_dossiers_async(args, settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="Một Cửa Bot")
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="trò chuyện với bot ngay trên máy (không cần mạng)")
    chat.add_argument("--user-id", default="1", help="mã người đang trò chuyện (mặc định 1)")
    chat.set_defaults(run=_chat)

    search = commands.add_parser("search", help="thử tìm thủ tục cho một câu hỏi")
    search.add_argument("query", nargs="*", help="câu hỏi; bỏ trống thì đọc từng dòng ở stdin")
    search.add_argument("--json", action="store_true", help="in mỗi kết quả một dòng JSON")
    search.set_defaults(run=_search)

    check = commands.add_parser("check-catalogue", help="kiểm tra tệp danh mục thủ tục")
    check.add_argument("file", nargs="?", help="tệp procedures.yaml (mặc định: danh mục đang dùng)")
    check.add_argument("--commune", help="tệp commune.yaml (mặc định: tệp đang dùng)")
    check.set_defaults(run=_check_catalogue)

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
    imports.set_defaults(run=_import_dossiers)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.run(args, settings))
    except CatalogueInvalid as invalid:
        print(invalid.report(), file=sys.stderr)
        print("Sửa các lỗi trên rồi chạy lại (kiểm tra: motcua check-catalogue).", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
