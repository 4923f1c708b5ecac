"""Generated photos of receipts and slips, for the decoding test and the benchmark.

Each photo is a piece of paper (the bot's slip with its QR, a receipt with the one-stop
software's QR lookup link, or a receipt with a Code 128 barcode of the dossier code) lying on a
table, photographed the way people do: turned (QR at any angle; linear barcodes within ±12° of
a quarter turn, as a person holds a phone over a strip), at some distance, a little from the
side (perspective), slightly out of focus, with sensor noise, saved as JPEG. The ranges are
those of a phone photo a person would send; they were set before measuring and are not tuned to
the decoder. Seeded: the same set every run.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from functools import cache

import numpy as np
import segno
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from core.fonts import dejavu
from core.slips import page_url

PUBLIC_URL = "https://motcua.xa-an-binh.gov.vn"
LOOKUP_URL = "https://dichvucong.example.gov.vn/tra-cuu-ho-so?maHoSo="
KINDS = ("bot-qr", "software-qr", "code128")


@dataclass(frozen=True)
class Photo:
    kind: str
    jpeg: bytes
    expected: str  # the token (bot-qr) or the dossier code
    size: tuple[int, int]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(dejavu()), size)


def _qr_image(data: str, module: int) -> Image.Image:
    qr = segno.make(data, error="m", micro=False, mask=0)  # fixed mask: 7× faster to make
    matrix = np.array([list(row) for row in qr.matrix], dtype=bool)
    matrix = np.pad(matrix, 4)  # the quiet zone
    pixels = np.where(matrix, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels).resize(
        (matrix.shape[1] * module, matrix.shape[0] * module), Image.Resampling.NEAREST
    )


def _code128_image(data: str, module: int) -> Image.Image:
    barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.Code128)
    image = Image.fromarray(np.asarray(barcode.to_image(scale=1, add_quiet_zones=True)))
    return image.resize((image.width * module, 90 * module // 2), Image.Resampling.NEAREST)


def _paper(rng: random.Random, code: Image.Image, lines: list[str]) -> Image.Image:
    font = _font(13)
    width = code.width + 40
    height = code.height + 30 + 20 * len(lines) + 20
    tint = rng.randint(225, 255)
    paper = Image.new("L", (width, height), tint)
    draw = ImageDraw.Draw(paper)
    y = 15
    for line in lines:
        draw.text((20, y), line, fill=rng.randint(0, 60), font=font)
        y += 20
    paper.paste(code, ((width - code.width) // 2, y + 10))
    return paper


def _dossier_code(rng: random.Random) -> str:
    month, day, number = rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 9999)
    return f"000.00.19.H47-26{month:02d}{day:02d}-{number:04d}"


def _homography(source: list[tuple[float, float]], target: list[tuple[float, float]]) -> tuple:
    """The 8 coefficients of Pillow's PERSPECTIVE transform that map each `target` point (in
    the output image) to its `source` point (in the input image)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return tuple(np.linalg.solve(np.array(rows, dtype=float), np.array(rhs, dtype=float)))


def photo(rng: random.Random, kind: str, *, megapixels: float | None = None) -> Photo:
    """One photo. `megapixels` makes the whole photo that size (benchmark); by default the
    photos are small (about 0.2–0.6 MP), which keeps the test fast."""
    if kind == "bot-qr":
        token = "".join(rng.choice("ABCDEFGHJKabcdefghjk0123456789_-") for _ in range(22))
        expected = token
        code = _qr_image(page_url(PUBLIC_URL, token), rng.randint(4, 7))
        lines = ["Quét mã để xem hồ sơ", _dossier_code(rng), "Hẹn trả: 19/11/2026"]
    elif kind == "software-qr":
        expected = _dossier_code(rng)
        code = _qr_image(LOOKUP_URL + expected, rng.randint(4, 6))
        lines = ["PHIẾU TIẾP NHẬN VÀ HẸN TRẢ KẾT QUẢ", f"Mã hồ sơ: {expected}", "Bà Trần Thị B"]
    else:
        expected = _dossier_code(rng)
        code = _code128_image(expected, 3)
        lines = ["GIẤY TIẾP NHẬN HỒ SƠ", f"Mã: {expected}"]
    paper = _paper(rng, code, lines)
    w, h = paper.size
    # Where the paper's corners land in the photo: turned, scaled, each corner moved by up to
    # 6 % of the paper's size (the camera a little to one side).
    if kind == "code128":
        angle = rng.choice((0, 90, 180, 270)) + rng.uniform(-12, 12)
    else:
        angle = rng.uniform(0, 360)
    scale = rng.uniform(0.55, 0.9)
    turn = np.radians(angle)
    cos, sin = np.cos(turn), np.sin(turn)
    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    placed = []
    for x, y in corners:
        x += rng.uniform(-0.06, 0.06) * w - w / 2
        y += rng.uniform(-0.06, 0.06) * h - h / 2
        placed.append(((x * cos - y * sin) * scale, (x * sin + y * cos) * scale))
    xs, ys = [p[0] for p in placed], [p[1] for p in placed]
    margin = rng.uniform(0.05, 0.25) * scale * max(w, h)
    width = float(max(xs) - min(xs) + 2 * margin)
    height = float(max(ys) - min(ys) + 2 * margin)
    zoom = (megapixels * 1e6 / (width * height)) ** 0.5 if megapixels else 1.0
    target = [((x - min(xs) + margin) * zoom, (y - min(ys) + margin) * zoom) for x, y in placed]
    size = (int(width * zoom), int(height * zoom))
    sheet = paper.convert("LA").transform(
        size, Image.Transform.PERSPECTIVE, _homography(corners, target), Image.Resampling.BILINEAR
    )
    scene = Image.new("L", size, rng.randint(40, 170))
    scene.paste(sheet.getchannel("L"), (0, 0), sheet.getchannel("A"))
    scene = scene.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 1.2) * zoom))
    # Sensor noise: Gaussian, sigma 0–10 grey levels.
    pixels = np.asarray(scene, dtype=np.float32)
    noise = np.random.default_rng(rng.randint(0, 2**31)).standard_normal(
        pixels.shape, dtype=np.float32
    )
    pixels += noise * rng.uniform(0, 10)
    scene = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=rng.randint(35, 90))
    return Photo(kind, out.getvalue(), expected, scene.size)


def photo_set(count: int, seed: int = 20, megapixels: float | None = None) -> list[Photo]:
    rng = random.Random(seed)
    return [photo(rng, KINDS[i % len(KINDS)], megapixels=megapixels) for i in range(count)]
