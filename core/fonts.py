"""The TrueType fonts our PDFs and pictures use: DejaVu, shipped inside matplotlib (already a
dependency), which covers every Vietnamese letter. Nothing is downloaded or installed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import TTFFont


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


# fpdf2's style letters → DejaVu's file suffixes.
_FPDF_FACES = (("", ""), ("B", "Bold"), ("I", "Oblique"), ("BI", "BoldOblique"))


def add_dejavu(
    pdf: FPDF, family: str = "DejaVu", styles: tuple[str, ...] = ("", "B", "I", "BI")
) -> None:
    """Register DejaVu Sans on an fpdf2 document, under `family`, in the faces `styles` (fpdf2's
    letters). Each face costs tens of milliseconds to read: register only those drawn."""
    for style, suffix in _FPDF_FACES:
        if style in styles:
            pdf.add_font(family, style, str(dejavu(suffix)))


def close_fonts(pdf: FPDF) -> None:
    """Close the font files of a document drawn only to be measured: fpdf2 reads fonts lazily
    and closes them when a document is written, never otherwise."""
    for font in pdf.fonts.values():
        if isinstance(font, TTFFont):
            font.close()
