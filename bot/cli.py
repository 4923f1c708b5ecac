"""`motcua` (and `python -m bot`): the command line of the bot.

motcua chat [--user-id N]        the whole bot in the terminal
motcua search "câu hỏi"          what the search understands of a question
motcua search --json < queries   one JSON line per input line (the acceptance contract)
motcua check-catalogue [FILE]    validate the catalogue; every error with its line
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
