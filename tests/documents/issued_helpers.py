"""Factories for the issued-PDF tests: seal images, documents walked to issue with a seal,
and reading a PDF's own coordinates back (pdfium) in millimetres from the top left."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from conftest import Org, Server, logged_in, make_person, unique
from documents_helpers import Json, MakeOffice, MakeOfficial, Official, signed, upload_text
from PIL import Image, ImageDraw
from tongban_client import DeviceKey, TongbanClient

MM = 72 / 25.4


def seal_png(colour: tuple[int, int, int] = (220, 20, 30), *, alpha: bool = True,
             size: int = 420) -> bytes:
    """A round seal with a star: red on a transparent background."""
    mode, clear = ("RGBA", (0, 0, 0, 0)) if alpha else ("RGB", (255, 255, 255))
    image = Image.new(mode, (size, size), clear)
    draw = ImageDraw.Draw(image)
    ink = (*colour, 255) if alpha else colour
    draw.ellipse((8, 8, size - 8, size - 8), outline=ink, width=size // 22)
    draw.regular_polygon((size // 2, size // 2, size // 6), 5, fill=ink)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class Issued:
    unit: int
    drafter: Official
    signer: Official
    clerk: Official
    document: Json


async def issued(office: MakeOffice, officials: MakeOfficial, admin: Any, *,
                 body: str, seal: bool = True, attachments: list[str] | None = None,
                 mark: str | None = None, **elements: Any) -> Issued:
    """A document of a new office, signed, given a number, with its PDF rendered."""
    unit = await office()
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    if mark:
        await admin.edit_issuer(unit, mark=mark, signature=mark)
    if seal:
        await admin.upload_seal(unit, seal_png())
    files = [await upload_text(drafter, text, f"附件{i + 1}.txt")
             for i, text in enumerate(attachments or [])]
    if files:
        elements["attachment_ids"] = [f["id"] for f in files]
    document = await signed(drafter, signer, unit, body=body, **elements)
    series = await clerk.client.create_document_series(unit, unique("测发"))
    reply = await clerk.client.issue_document(document["id"], series["id"])
    return Issued(unit, drafter, signer, clerk, reply)


class Team:
    """Offices and officials that outlive one test (module fixtures); clients closed at exit."""

    def __init__(self, server: Server, admin: TongbanClient, org: Org) -> None:
        self.server, self.admin, self.org = server, admin, org
        self.made: list[Official] = []

    async def office(self, under: str = "county") -> int:
        unit = await self.admin.create_unit(unique("公文测试办"), getattr(self.org, under), under)
        return int(unit["id"])

    async def official(self, unit_id: int, roles: list[str] | None = None,
                       name: str | None = None) -> Official:
        person = await make_person(self.admin, unit_id, roles=roles or [], display_name=name)
        client = await logged_in(self.server, person)
        key = DeviceKey.generate()
        await client.register_device("办公手机", "android", key)
        self.made.append(Official(person, client, key))
        return self.made[-1]

    async def close(self) -> None:
        for official in self.made:
            await official.client.aclose()


@dataclass
class Glyph:
    char: str
    left: float  # mm from the page's left edge
    top: float  # mm from the page's top edge
    right: float
    bottom: float


def glyphs(page: Any) -> list[Glyph]:
    """Every character on the page with its box, in reading order."""
    height = page.get_height()
    text = page.get_textpage()
    found = []
    for index in range(text.count_chars()):
        char = text.get_text_range(index, 1)
        if not char.strip():
            continue
        left, bottom, right, top = text.get_charbox(index)
        found.append(Glyph(char, left / MM, (height - top) / MM, right / MM,
                           (height - bottom) / MM))
    return found


def page_text(page: Any) -> str:
    """The page's text as pdfium extracts it, one line per line."""
    return str(page.get_textpage().get_text_range()).replace("\r\n", "\n")


def page_lines(page: Any) -> list[list[Glyph]]:
    """The page's glyphs grouped into lines (centres within 2 mm), top to bottom, each line
    left to right."""
    lines: list[list[Glyph]] = []
    for glyph in sorted(glyphs(page), key=lambda g: (g.top + g.bottom) / 2):
        middle = (glyph.top + glyph.bottom) / 2
        if lines and abs(middle - (lines[-1][0].top + lines[-1][0].bottom) / 2) < 2:
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    return [sorted(line, key=lambda g: g.left) for line in lines]


def line_text(line: list[Glyph]) -> str:
    return "".join(g.char for g in line)


@dataclass
class Shape:
    kind: str  # path | image
    left: float
    top: float
    right: float
    bottom: float
    stroke: tuple[int, int, int, int] | None


def shapes(page: Any) -> list[Shape]:
    """Rules and images on the page, with their boxes in mm from the top left."""
    height = page.get_height()
    found = []
    for obj in page.get_objects():
        kind = {pdfium_c.FPDF_PAGEOBJ_PATH: "path",
                pdfium_c.FPDF_PAGEOBJ_IMAGE: "image"}.get(obj.type)
        if kind is None:
            continue
        left, bottom, right, top = obj.get_bounds()
        found.append(Shape(kind, left / MM, (height - top) / MM, right / MM,
                           (height - bottom) / MM, _stroke(obj) if kind == "path" else None))
    return found


def _stroke(obj: Any) -> tuple[int, int, int, int]:
    import ctypes

    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    pdfium_c.FPDFPageObj_GetStrokeColor(obj.raw, r, g, b, a)
    return (r.value, g.value, b.value, a.value)


def open_pdf(data: bytes) -> Any:
    return pdfium.PdfDocument(data)


def flipped_bytes(data: bytes, at: float = 0.4) -> bytes:
    """The file with one bit of one byte changed."""
    changed = bytearray(data)
    changed[int(len(data) * at)] ^= 0x01
    return bytes(changed)
