"""Checking a seal image before it may press anything: a PNG of sensible size with real
transparency (the paper must show through around and inside the seal), not blank, and red
(GB/T 9704 7.3.5: 印章用红色, 不得出现空白印章). The header is read before any pixel is
decoded, so a decompression bomb is refused by its declared size."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any

from core.errors import Unprocessable, UnsupportedMediaType, field_error

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 4 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 150, 3000
MIN_MM, MAX_MM = 30.0, 60.0  # seals of government bodies are 38–60 mm across


@dataclass(frozen=True)
class SealImage:
    width: int
    height: int


def refused(message: str, slug: str) -> Unprocessable:
    return Unprocessable(message, slug=slug, errors=[field_error(["seal"], message, slug)])


def _declared_size(data: bytes) -> tuple[int, int]:
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise UnsupportedMediaType("The seal must be a PNG image (with transparency).",
                                   slug="seal-not-png")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def check_seal(data: bytes) -> SealImage:
    """The seal's size if it is fit to use; 415/422 problems saying what is wrong."""
    if len(data) > MAX_BYTES:
        raise refused(f"The seal image is larger than {MAX_BYTES // 1024 // 1024} MiB.",
                      "seal-too-large")
    width, height = _declared_size(data)
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise refused(f"The seal must be {MIN_SIDE}–{MAX_SIDE} pixels on each side.",
                      "seal-size")
    if not 0.8 <= width / height <= 1.25:
        raise refused("The seal image must be about square.", "seal-shape")
    from PIL import Image  # Pillow: loaded on the first seal, not at start-up

    try:
        with Image.open(io.BytesIO(data)) as image:
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            rgba = image.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise refused(f"The seal image cannot be read: {exc}", "seal-unreadable") from exc
    if not has_alpha:
        raise refused("The seal needs a transparent background (PNG with alpha).",
                      "seal-not-transparent")
    _check_pixels(rgba)
    return SealImage(width, height)


def _check_pixels(rgba: Any) -> None:
    from PIL import ImageStat

    small = rgba.resize((64, 64))
    alpha = small.getchannel("A")
    counts = alpha.histogram()  # pixels per alpha value
    total = sum(counts)
    visible, clear = sum(counts[129:]) / total, sum(counts[:16]) / total
    if clear < 0.2:
        raise refused("The seal's background must be transparent.", "seal-not-transparent")
    if visible < 0.02:
        raise refused("The seal image is blank (不得出现空白印章).", "seal-blank")
    red, green, blue = ImageStat.Stat(small.convert("RGB"), mask=alpha.point(
        lambda a: 255 if a > 128 else 0)).mean
    if red < 120 or red < 1.5 * max(green, blue):
        raise refused("A seal is red (印章用红色).", "seal-not-red")
