"""Page previews for phones and search in the PDF's text (pdfium; blocking, call in a thread).

A page is rendered once per width (widths snap to a few steps so the cache stays small) and
kept under `$TONGBAN_DATA_DIR/cache/previews/` (safe to delete: it is rebuilt on demand).
Every image served carries the viewer's watermark — name, unit and time, tiled across the
page (粤政易's practice against photographed leaks) — drawn per request, never cached. The
PDF parsed is only ever our own signed artifact, and renders are bounded by the widths.
pdfium is imported on first use, so the server starts without it.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Pillow and pdfium load on the first preview, not at start-up
    from PIL import Image, ImageFont

WIDTHS = (480, 720, 960, 1280)
DEFAULT_WIDTH = 960
QUALITY = 85
MAX_HITS = 100


def snap(width: int | None) -> int:
    """The preview width served for a requested one: the smallest step at least as wide."""
    if width is None:
        return DEFAULT_WIDTH
    return next((w for w in WIDTHS if w >= width), WIDTHS[-1])


def cache_dir(data_dir: Path) -> Path:
    return data_dir / "cache" / "previews"


def _cached(cache_root: Path, sha256: str, page: int, width: int) -> Path:
    # JPEG at high quality: a tenth of PNG's encoding time, and indistinguishable once the
    # watermarked page is encoded again for the phone.
    return cache_root / sha256[:2] / sha256 / f"{page}-{width}.jpg"


def page_image(pdf_path: Path, *, sha256: str, page: int, width: int,
               cache_root: Path) -> Image.Image:
    """Page `page` (1-based) at `width` pixels, from the cache or rendered into it."""
    import pypdfium2 as pdfium  # heavy: loaded on first use, not at start-up

    from PIL import Image

    path = _cached(cache_root, sha256, page, width)
    if path.exists():
        with Image.open(path) as image:
            return image.convert("RGB")
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        pdf_page = document[page - 1]
        bitmap = pdf_page.render(scale=(width - 0.01) / pdf_page.get_width())
        image = bitmap.to_pil().convert("RGB")
        if image.width != width:  # pdfium rounds the bitmap's size
            image = image.resize((width, round(image.height * width / image.width)))
    finally:
        document.close()
    _private_dirs(path.parent, cache_root.parent)
    temp = path.with_suffix(".tmp")
    with open(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        image.save(handle, "JPEG", quality=95)
    temp.replace(path)
    return image


def _private_dirs(folder: Path, top: Path) -> None:
    """Make `folder` and its missing parents up to `top`, 0700 like the data folder."""
    missing = []
    while not folder.exists() and folder != top:
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir(mode=0o700, exist_ok=True)


@cache
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(path, size, index=index)


@lru_cache(maxsize=32)
def _mask(text: str, width: int, height: int, font_path: str, font_index: int) -> Image.Image:
    """Where the watermark's ink goes on a page of this size (kept: one viewer pages through
    a document within the same minute)."""
    from PIL import Image, ImageChops, ImageDraw

    size = max(14, width // 40)
    font = _font(font_path, font_index, size)
    left, top, right, bottom = font.getbbox(text)
    tile = Image.new("L", (right - left + size * 4, (bottom - top) * 5), 0)
    ImageDraw.Draw(tile).text((size * 2 - left, (bottom - top) * 2 - top), text, font=font,
                              fill=72)
    tile = tile.rotate(30, expand=True, resample=Image.Resampling.BILINEAR)
    mask = Image.new("L", (width, height), 0)
    for row, y in enumerate(range(-tile.height // 2, height, tile.height * 2 // 3)):
        shift = (row % 2) * tile.width // 2
        for x in range(-tile.width + shift, width, tile.width):
            mask.paste(ImageChops.lighter(mask.crop((x, y, x + tile.width, y + tile.height)),
                                          tile), (x, y))
    return mask


def watermark(image: Image.Image, text: str, *, font_path: Path, font_index: int) -> bytes:
    """The page with `text` tiled diagonally over it in translucent grey, as JPEG (the text is
    also in the JPEG comment)."""
    from PIL import Image

    mask = _mask(text, image.width, image.height, str(font_path), font_index)
    composed = Image.composite(Image.new("RGB", image.size, (96, 96, 96)), image, mask)
    out = io.BytesIO()
    composed.save(out, "JPEG", quality=QUALITY, comment=text.encode("utf-8"))
    return out.getvalue()


def page_size(pdf_path: Path, width: int) -> list[tuple[int, int]]:
    """Each page's preview size at `width` pixels."""
    import pypdfium2 as pdfium  # heavy: loaded on first use, not at start-up

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        sizes = []
        for index in range(len(document)):
            w, h = document.get_page_size(index)
            sizes.append((width, math.ceil(h * width / w)))
        return sizes
    finally:
        document.close()


@dataclass
class Hit:
    page: int
    snippet: str
    boxes: list[list[float]]  # [left, top, right, bottom] as fractions of the page


def search(pdf_path: Path, query: str) -> list[Hit]:
    """Where `query` occurs in the PDF's text: page, a snippet and boxes to highlight on any
    preview (fractions of the page from its top left)."""
    import pypdfium2 as pdfium  # heavy: loaded on first use, not at start-up

    document = pdfium.PdfDocument(str(pdf_path))
    hits: list[Hit] = []
    try:
        for index in range(len(document)):
            hits += _page_hits(document[index], index + 1, query, MAX_HITS - len(hits))
            if len(hits) >= MAX_HITS:
                break
    finally:
        document.close()
    return hits


def _page_hits(page: Any, number: int, query: str, room: int) -> list[Hit]:
    width, height = page.get_width(), page.get_height()
    text = page.get_textpage()
    searcher = text.search(query, match_case=False)
    hits = []
    while len(hits) < room and (found := searcher.get_next()) is not None:
        start, count = found
        snippet = text.get_text_range(max(0, start - 16), count + 32).replace("\r\n", " ")
        boxes = [[round(left / width, 4), round(1 - top / height, 4), round(right / width, 4),
                  round(1 - bottom / height, 4)]
                 for left, bottom, right, top in (text.get_rect(i)
                                                  for i in range(text.count_rects(start, count)))]
        hits.append(Hit(number, snippet.strip(), boxes))
    return hits
