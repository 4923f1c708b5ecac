"""The TrueType fonts our PDFs and pictures use: DejaVu, shipped inside matplotlib (already a
dependency), which covers every Vietnamese letter. Nothing is downloaded or installed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib


@cache
def font_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def dejavu(style: str = "") -> Path:
    """`dejavu()` → DejaVuSans.ttf; `dejavu("Bold")` → DejaVuSans-Bold.ttf."""
    name = f"DejaVuSans-{style}.ttf" if style else "DejaVuSans.ttf"
    path = font_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"font {name} not found in matplotlib's data ({font_dir()})")
    return path
