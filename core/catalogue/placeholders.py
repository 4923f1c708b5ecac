"""Sample values of the shipped `commune.yaml` still in place (issue 14).

The file ships with example values so that the bot runs at once; a commune that forgets one
would show citizens an example phone number or "nếu xã có lịch trực". `check-catalogue` and the
bot's start-up warn about each, with its line, so it never reaches citizens unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.catalogue.errors import CatalogueError, format_field_path
from core.catalogue.yaml_lines import Path_, YamlSyntaxError, load_located

# Values shipped in knowledge/commune.yaml that are examples, field by field.
SAMPLE_VALUES: dict[str, frozenset[str]] = {
    "phone": frozenset({"0200 3 000 000"}),
    "hotline": frozenset({"0200 3 000 001"}),
    "province": frozenset({"tỉnh Ví Dụ"}),
}
# Words that only an example or an instruction to the commune contains, in any field.
SAMPLE_MARKERS = (
    "ví dụ",
    "(ghi ",
    "ghi địa chỉ thật",
    "số nhà, thôn",
    "nếu xã có lịch trực",
    ".example",
)


def placeholder_warnings(commune_path: Path) -> list[CatalogueError]:
    """One warning per sample value left in the commune's file (none if it cannot be read:
    the catalogue check reports that)."""
    try:
        located = load_located(commune_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return []
    warnings = []
    for path, value in _strings(located.data, ()):
        if _is_sample(path, value):
            warnings.append(
                CatalogueError(
                    commune_path.name,
                    located.line_of(path),
                    f"còn là giá trị mẫu «{value}»: thay bằng thông tin thật của xã, nếu không"
                    " người dân sẽ thấy giá trị này",
                    field=format_field_path(path),
                )
            )
    return warnings


def _is_sample(path: Path_, value: str) -> bool:
    if value.strip() in SAMPLE_VALUES.get(str(path[0]) if path else "", frozenset()):
        return True
    text = value.casefold()
    return any(marker in text for marker in SAMPLE_MARKERS)


def _strings(data: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, (*path, i))
    elif isinstance(data, str):
        yield path, data
