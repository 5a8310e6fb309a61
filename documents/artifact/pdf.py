"""Composed pages written as PDF: text with subset-embedded CID fonts (Identity-H, a ToUnicode
map so the text can be searched and copied), the rules, the seals as images with an alpha
mask, and files embedded in the document (what it carries about its record).

The writer is pyHanko's (already needed for signing); the font programs come from
`documents.artifact.fonts`. Output is deterministic for the same input.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.writer import PdfFileWriter

from documents.artifact.fonts import MISSING, Face, FontSet, Role, Subset
from documents.artifact.layout import PAGE_H, PAGE_W, Page, Rule, Run, Stamp
from documents.artifact.typeset import Placed

BOLD_STROKE = 0.03  # faux bold: the outline stroked at 3 % of the size


@dataclass
class Embedded:
    """A file carried inside the PDF."""

    name: str
    data: bytes
    mime_type: str
    description: str


@dataclass
class Info:
    title: str
    author: str
    subject: str
    keywords: str
    created: datetime


@dataclass
class FontUse:
    """The faces a document uses, each with its subset and a resource name."""

    fonts: FontSet
    subsets: dict[Face, Subset] = field(default_factory=dict)
    names: dict[Face, str] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    known: dict[tuple[Role, str], tuple[str, int, int]] = field(default_factory=dict)

    def code(self, placed: Placed) -> tuple[str, int, int] | None:
        """(resource name, glyph id, width) for a character; None for white space."""
        if placed.char.isspace():
            return None
        key = (placed.role, placed.char)
        if key not in self.known:
            self.known[key] = self._code(placed)
        return self.known[key]

    def _code(self, placed: Placed) -> tuple[str, int, int]:
        face = self.fonts.face_for(placed.role, placed.char)
        char = placed.char
        if face is None:
            self.missing.add(char)
            char = MISSING
            face = self.fonts.face_for(placed.role, MISSING) or self.fonts.primary(placed.role)
        subset = self.subsets.setdefault(face, Subset(face))
        self.names.setdefault(face, f"F{len(self.names) + 1}")
        width = round(face.glyph(char).advance * 1000 / face.units_per_em)
        return self.names[face], subset.gid(char), width


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _run_ops(run: Run, fonts: FontUse) -> list[str]:
    """One run as text operators: a `Tm` where the face changes, then `TJ` with the gaps
    that put each glyph where the layout placed it."""
    ops = ["BT", "{} {} {} rg".format(*map(_num, run.color)), f"{_num(run.hscale * 100)} Tz"]
    coded = [(p, fonts.code(p)) for p in run.chars]
    segments: list[list[tuple[Placed, tuple[str, int, int]]]] = []
    for placed, code in coded:
        if code is None:
            segments.append([])
            continue
        if not segments or not segments[-1] or segments[-1][-1][1][0] != code[0] \
                or segments[-1][-1][0].bold != placed.bold:
            segments.append([])
        segments[-1].append((placed, code))
    for segment in filter(None, segments):
        ops += _segment_ops(segment, run)
    return ops + ["ET"]


def _segment_ops(segment: list[tuple[Placed, tuple[str, int, int]]], run: Run) -> list[str]:
    first, (font, _, _) = segment[0][0], segment[0][1]
    bold = first.bold
    ops = [f"/{font} {_num(run.size)} Tf",
           f"1 0 0 1 {_num(first.x)} {_num(PAGE_H - run.baseline)} Tm"]
    if bold:
        ops += ["{} {} {} RG".format(*map(_num, run.color)),
                f"{_num(run.size * BOLD_STROKE)} w", "2 Tr"]
    parts = []
    for i, (placed, (_, gid, width)) in enumerate(segment):
        parts.append(f"<{gid:04X}>")
        if i + 1 < len(segment):
            gap = segment[i + 1][0].x - placed.x
            adjust = width - gap * 1000 / (run.size * run.hscale)
            if abs(adjust) > 0.05:
                parts.append(_num(adjust))
    ops.append(f"[{' '.join(parts)}] TJ")
    return ops + (["0 Tr"] if bold else [])


def _rule_ops(rule: Rule) -> list[str]:
    y = _num(PAGE_H - rule.y)
    return ["q", "{} {} {} RG".format(*map(_num, rule.color)), f"{_num(rule.thickness)} w",
            f"{_num(rule.x0)} {y} m {_num(rule.x1)} {y} l S", "Q"]


def _stamp_ops(stamp: Stamp) -> list[str]:
    bottom = PAGE_H - stamp.y - stamp.size
    return ["q", f"{_num(stamp.size)} 0 0 {_num(stamp.size)} {_num(stamp.x)} {_num(bottom)} cm",
            f"/Seal{stamp.index} Do", "Q"]


def _stream(data: bytes, extra: dict[str, generic.PdfObject] | None = None
            ) -> generic.StreamObject:
    stream = generic.StreamObject(dict(extra or {}), stream_data=data)
    stream.compress()
    return stream


def _seal_image(writer: PdfFileWriter, png: bytes) -> generic.IndirectObject:
    """A seal PNG as an RGB image with its transparency as a soft mask."""
    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    size = {pdf_name("/Width"): generic.NumberObject(rgba.width),
            pdf_name("/Height"): generic.NumberObject(rgba.height),
            pdf_name("/BitsPerComponent"): generic.NumberObject(8)}
    alpha = writer.add_object(_stream(rgba.getchannel("A").tobytes(), {
        pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Image"),
        pdf_name("/ColorSpace"): pdf_name("/DeviceGray"), **size}))
    return writer.add_object(_stream(rgba.convert("RGB").tobytes(), {
        pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Image"),
        pdf_name("/ColorSpace"): pdf_name("/DeviceRGB"), pdf_name("/SMask"): alpha, **size}))


def _prefix(subset: Subset) -> str:
    digest = hashlib.sha256(repr(sorted(subset.gids.items())).encode()).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _to_unicode(subset: Subset) -> bytes:
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    pairs = sorted((gid, char) for char, gid in subset.gids.items())
    for start in range(0, len(pairs), 100):
        chunk = pairs[start:start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>"
                  for gid, char in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def _font_object(writer: PdfFileWriter, subset: Subset) -> generic.DictionaryObject:
    face = subset.face
    name = pdf_name(f"/{_prefix(subset)}+{face.ps_name}")
    program = subset.build()
    ascent, descent = face.metrics()
    if face.is_cff:
        file_key = "/FontFile3"
        file_ref = writer.add_object(_stream(program, {pdf_name("/Subtype"):
                                                       pdf_name("/OpenType")}))
    else:
        file_key = "/FontFile2"
        file_ref = writer.add_object(_stream(program, {pdf_name("/Length1"):
                                                       generic.NumberObject(len(program))}))
    descriptor = writer.add_object(generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/FontDescriptor"), pdf_name("/FontName"): name,
        pdf_name("/Flags"): generic.NumberObject(4),
        pdf_name("/FontBBox"): generic.ArrayObject(generic.NumberObject(v) for v in (
            -100, round(descent * 1000), 1100, round(ascent * 1000))),
        pdf_name("/ItalicAngle"): generic.NumberObject(0),
        pdf_name("/Ascent"): generic.NumberObject(round(ascent * 1000)),
        pdf_name("/Descent"): generic.NumberObject(round(descent * 1000)),
        pdf_name("/CapHeight"): generic.NumberObject(round(ascent * 800)),
        pdf_name("/StemV"): generic.NumberObject(80), pdf_name(file_key): file_ref}))
    widths = subset.widths()
    cid_font = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Font"),
        pdf_name("/Subtype"): pdf_name("/CIDFontType0" if face.is_cff else "/CIDFontType2"),
        pdf_name("/BaseFont"): name, pdf_name("/FontDescriptor"): descriptor,
        pdf_name("/CIDSystemInfo"): generic.DictionaryObject({
            pdf_name("/Registry"): pdf_string("Adobe"),
            pdf_name("/Ordering"): pdf_string("Identity"),
            pdf_name("/Supplement"): generic.NumberObject(0)}),
        pdf_name("/DW"): generic.NumberObject(1000),
        pdf_name("/W"): generic.ArrayObject([generic.NumberObject(1), generic.ArrayObject(
            generic.NumberObject(widths[gid]) for gid in sorted(widths))]),
    })
    if not face.is_cff:
        cid_font[pdf_name("/CIDToGIDMap")] = pdf_name("/Identity")
    return generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type0"),
        pdf_name("/BaseFont"): name, pdf_name("/Encoding"): pdf_name("/Identity-H"),
        pdf_name("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font)]),
        pdf_name("/ToUnicode"): writer.add_object(_stream(_to_unicode(subset))),
    })


@dataclass
class Written:
    """The PDF's bytes and what writing it found: characters no face had (drawn as 〓)."""

    data: bytes
    pages: int
    missing: list[str]
    fonts: list[str]


def write_pdf(pages: list[Page], *, fonts: FontSet, seals: list[bytes], info: Info,
              files: list[Embedded]) -> Written:
    """Write the pages; `seals[i]` is the PNG that `Stamp.index == i` shows."""
    writer = PdfFileWriter(stream_xrefs=False)
    used = FontUse(fonts)
    contents = ["\n".join(_page_ops(page, used)).encode() for page in pages]
    resources = _resources(writer, used, seals)
    for data in contents:
        writer.insert_page(generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                generic.FloatObject(round(v, 3)) for v in (0, 0, PAGE_W, PAGE_H)),
            pdf_name("/Resources"): resources,
            pdf_name("/Contents"): writer.add_object(_stream(data)),
        }))
    for embedded in files:
        _embed(writer, embedded, info.created)
    _set_info(writer, info)
    out = io.BytesIO()
    writer.write(out)
    described = [f"{name}={face!r}" for face, name in used.names.items()]
    return Written(out.getvalue(), len(pages), sorted(used.missing), described)


def _page_ops(page: Page, fonts: FontUse) -> list[str]:
    ops: list[str] = []
    for stamp in page.stamps:
        ops += _stamp_ops(stamp)
    for rule in page.rules:
        ops += _rule_ops(rule)
    for run in page.runs:
        ops += _run_ops(run, fonts)
    return ops


def _resources(writer: PdfFileWriter, used: FontUse, seals: list[bytes]
               ) -> generic.IndirectObject:
    font_dict = generic.DictionaryObject({
        pdf_name(f"/{used.names[face]}"): writer.add_object(_font_object(writer, subset))
        for face, subset in used.subsets.items()})
    images = generic.DictionaryObject({
        pdf_name(f"/Seal{i}"): _seal_image(writer, png) for i, png in enumerate(seals) if png})
    return writer.add_object(generic.DictionaryObject({
        pdf_name("/Font"): font_dict, pdf_name("/XObject"): images,
        pdf_name("/ProcSet"): generic.ArrayObject([pdf_name("/PDF"), pdf_name("/Text"),
                                                   pdf_name("/ImageC")])}))


def _embed(writer: PdfFileWriter, embedded: Embedded, when: datetime) -> None:
    params = EmbeddedFileParams(embed_checksum=False, creation_date=when,
                                modification_date=when)
    data = EmbeddedFileObject.from_file_data(writer, embedded.data, params=params,
                                             mime_type=embedded.mime_type)
    embed_file(writer, FileSpec(file_spec_string=embedded.name, file_name=embedded.name,
                                embedded_data=data, description=embedded.description))


def _set_info(writer: PdfFileWriter, info: Info) -> None:
    stamp = "D:" + info.created.strftime("%Y%m%d%H%M%S") + "Z"
    writer.set_info(generic.DictionaryObject({
        pdf_name("/Title"): generic.TextStringObject(info.title),
        pdf_name("/Author"): generic.TextStringObject(info.author),
        pdf_name("/Subject"): generic.TextStringObject(info.subject),
        pdf_name("/Keywords"): generic.TextStringObject(info.keywords),
        pdf_name("/Creator"): generic.TextStringObject("Tongban 通办"),
        pdf_name("/Producer"): generic.TextStringObject("Tongban GB/T 9704 renderer"),
        pdf_name("/CreationDate"): generic.TextStringObject(stamp),
        pdf_name("/ModDate"): generic.TextStringObject(stamp),
    }))
