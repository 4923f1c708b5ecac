"""`--commune ID` of the officers' commands (issue 19): one commune's, or several communes',
apologies and slips. An id the province does not have is one line and exit code 64 (EX_USAGE).
Lives beside `bot/cli.py`."""

from __future__ import annotations

import argparse
import sys

from core.province import Province

EX_USAGE = 64  # sysexits.h: the command was used incorrectly


def add_commune_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--commune",
        action="append",
        metavar="MÃ_XÃ",
        help=f"chỉ {what} của xã, phường này (mã trong province.yaml; ghi nhiều lần: nhiều xã)",
    )


def communes_asked(args: argparse.Namespace, province: Province) -> tuple[str, ...] | None:
    """The communes asked for, in the province's order (empty: every commune); None after
    printing the line when an id is unknown."""
    asked = [c.strip() for c in getattr(args, "commune", None) or []]
    if unknown := [c for c in asked if province.get(c) is None]:
        known = ", ".join(c.id for c in province)
        print(f"Không có xã, phường «{unknown[0]}». Các mã: {known}.", file=sys.stderr)
        return None
    return tuple(c.id for c in province if c.id in asked)


def commune_names(province: Province, communes: tuple[str, ...]) -> str:
    """ " ở xã Bình An, phường Đông Hòa" for the headings; "" for the whole province."""
    if not communes:
        return ""
    return " ở " + ", ".join(c.name for c in province if c.id in communes)
