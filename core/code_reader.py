"""Reading QR codes and barcodes in a photo of a receipt (issue 20).

zxing-cpp (the PyPI wheel carries the library: nothing to install on the system) does the
decoding; Pillow opens the photo. The photo lives in memory only while it is read: nothing of it
is written anywhere, and only the decoded texts come back.

Phone photos are large (12 MP and more) while a slip's QR needs only a few pixels per module,
so a big JPEG is decoded at a reduced size straight from the file (Pillow's `draft`, which
skips most of the decoding work) and read at that size first; the full size is tried only when
nothing was found. A picture with too many pixels is refused before it is decoded (a
"decompression bomb" is a small file that would decode to gigabytes).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageFilter

# What receipts carry: the bot's QR; the one-stop software's QR or linear barcode.
FORMATS = zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode,DataMatrix,Code128,Code39,PDF417")


class UnreadableImage(Exception):
    """Not an image Pillow can open, or one with more pixels than allowed."""


@dataclass(frozen=True)
class ReaderLimits:
    max_bytes: int = 10 * 2**20  # larger photos are refused before they are fetched
    max_pixels: int = 50_000_000  # a 50 MP photo is still read; beyond, refused unread
    # The first pass reads the photo at most this long on its longer side.
    first_pass_side: int = 1600


def read_codes(content: bytes, limits: ReaderLimits | None = None) -> list[str]:
    """The texts of every QR code and barcode found, in the order zxing reports them.

    CPU-bound (tens of milliseconds for a phone photo): callers in the event loop run it in a
    worker thread. Raises UnreadableImage."""
    limits = limits or ReaderLimits()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            width, height = image.size
            if width * height > limits.max_pixels:
                raise UnreadableImage(f"{width}×{height} pixels: too many")
            longest = max(width, height)
            reduced = longest > limits.first_pass_side
            if reduced and image.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 of the size directly (DCT scaling): much cheaper.
                scale = longest / limits.first_pass_side
                image.draft("L", (int(width / scale), int(height / scale)))
            gray = image.convert("L")
    except UnreadableImage:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, Warning) as error:
        raise UnreadableImage(str(error)) from error
    if max(gray.size) > limits.first_pass_side:
        first = gray.copy()
        first.thumbnail((limits.first_pass_side, limits.first_pass_side), Image.Resampling.BILINEAR)
    else:
        first = gray
    for attempt in _attempts(first, limits):
        found = _decode(attempt)
        if found:
            return found
    if reduced:  # small codes on a big photo: read the full size once more
        return _decode(Image.open(io.BytesIO(content)).convert("L"))
    return []


def _attempts(image: Image.Image, limits: ReaderLimits) -> Iterator[Image.Image]:
    """The photo as it is, then (only if nothing was found) what helps the usual failures,
    measured on the generated photos of tests/receipt_images.py: fine modules blurred by the
    camera (enlarged and sharpened, or only sharpened when the picture is already large), and
    a linear barcode held a few degrees askew (zxing reads 1D codes along rows and columns, so
    past about 5° no row crosses every bar: the picture is turned by 7° either way)."""
    yield image
    sharpen = ImageFilter.UnsharpMask(radius=3, percent=150, threshold=2)
    if max(image.size) <= limits.first_pass_side // 2:
        yield image.resize((image.width * 2, image.height * 2), Image.Resampling.BICUBIC).filter(
            sharpen
        )
    else:
        yield image.filter(sharpen)
    for angle in (7, -7):
        yield image.rotate(angle, expand=True, fillcolor=128, resample=Image.Resampling.BILINEAR)


def _decode(image: Image.Image) -> list[str]:
    # try_invert off: receipts are printed dark on light; looking for light-on-dark codes too
    # costs a third more time for nothing.
    results = zxingcpp.read_barcodes(image, formats=FORMATS, try_invert=False)
    return [r.text for r in results if r.valid and r.text]
