"""Replies come from jinja2 templates in `templates/`, rendered for the channel's text format.

The same template serves every channel. For Telegram's HTML the environment autoescapes and the
`b`/`i` filters emit tags; for plain-text channels nothing is escaped and the filters emit the text
as it is. Environments are built once at start-up, with StrictUndefined so that a missing value is
an error in tests rather than an empty line in front of a citizen.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from core.messages import TextFormat

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def money(amount: int | None) -> str:
    """50000 → '50.000 đ' (Vietnamese thousands separator)."""
    if amount is None:
        return "chưa cập nhật"
    if amount == 0:
        return "miễn phí"
    return f"{amount:,}".replace(",", ".") + " đ"


def vn_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%H:%M} ngày {value:%d/%m/%Y}"
    return f"{WEEKDAYS[value.weekday()]}, {value:%d/%m/%Y}"


class Renderer:
    def __init__(self, templates_dir: Path, text_format: TextFormat) -> None:
        html = text_format is TextFormat.HTML
        self.format = text_format
        self._env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=html,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Templates are read once: no file check on every reply.
            auto_reload=False,
        )
        self._env.filters["b"] = _bold if html else _plain
        self._env.filters["i"] = _italic if html else _plain
        self._env.filters["money"] = money
        self._env.filters["vn_date"] = vn_date
        self._env.globals["html"] = html

    def render(self, template: str, **context: Any) -> str:
        text = self._env.get_template(template).render(**context)
        # Templates may leave blank-line runs where optional parts were skipped.
        lines = text.strip().splitlines()
        squeezed: list[str] = []
        for line in lines:
            line = line.rstrip()
            if line or (squeezed and squeezed[-1]):
                squeezed.append(line)
        return "\n".join(squeezed)


def _bold(value: Any) -> Markup:
    return Markup("<b>{}</b>").format(escape(value))


def _italic(value: Any) -> Markup:
    return Markup("<i>{}</i>").format(escape(value))


def _plain(value: Any) -> str:
    return str(value)
