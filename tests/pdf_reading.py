"""Reading back the PDFs the bot draws (pypdfium2 renders them as a PDF reader would)."""

from __future__ import annotations

import pypdfium2

A5_POINTS = (419.53, 595.28)  # 148 × 210 mm
A4_LANDSCAPE_POINTS = (841.89, 595.28)  # 297 × 210 mm


def page_texts(content: bytes) -> list[str]:
    """The text of each page, lines joined with spaces, runs of spaces made one."""
    document = pypdfium2.PdfDocument(content)
    texts = []
    for index in range(len(document)):
        text = document[index].get_textpage().get_text_range()
        texts.append(" ".join(text.replace("\r", " ").replace("\n", " ").split()))
    return texts


def read_pdf(content: bytes) -> tuple[int, list[tuple[float, float]], str]:
    """Pages, their sizes in points, and the whole text (pages joined with spaces)."""
    document = pypdfium2.PdfDocument(content)
    sizes = [document[i].get_size() for i in range(len(document))]
    return len(document), sizes, " ".join(page_texts(content))
