"""The same pages as OFD (GB/T 33190-2016, 电子文件存储与交换格式 版式文档), the national
fixed-layout format: a zip of XML in millimetres from the top left (the layout's own frame),
with the subset fonts and the seal image as resources. Text objects carry the characters
with their advances (`DeltaX`), so readers show them where the PDF does and can search them.

Unsigned: OFD signatures are GB/T 38540 electronic seals (SM2, SES structures) for which no
maintained Python implementation exists; the PDF remains the signed 正本, and the OFD embeds
nothing of the record. Written from the composed pages, not converted from the PDF.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from documents.artifact.fonts import MISSING, Face, FontSet, Subset
from documents.artifact.layout import MM, PAGE_H, PAGE_W, Page, Rule, Run, Stamp
from documents.artifact.pdf import BOLD_STROKE, Info, FontUse
from documents.artifact.typeset import Placed

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _mm(points: float) -> str:
    return f"{points / MM:.3f}".rstrip("0").rstrip(".")


def _colour(rgb: tuple[float, float, float]) -> str:
    return " ".join(str(round(c * 255)) for c in rgb)


@dataclass
class _Ids:
    """OFD object ids: unique across the document, counted for MaxUnitID."""

    last: int = 0
    fonts: dict[Face, int] = field(default_factory=dict)

    def next(self) -> int:
        self.last += 1
        return self.last


def _text(run: Run, fonts: FontUse, ids: _Ids) -> list[str]:
    """A run as text objects, one per face (OFD, like PDF, names one font per object)."""
    objects: list[str] = []
    segment: list[tuple[Placed, Face]] = []
    for placed in run.chars:
        if fonts.code(placed) is None:
            continue
        face = fonts.fonts.face_for(placed.role, placed.char)
        if face is None:  # no face has it: the 缺字 mark, as in the PDF
            placed = Placed(MISSING, placed.x, placed.role, placed.bold)
            face = fonts.fonts.face_for(placed.role, MISSING) or fonts.fonts.primary(placed.role)
        if segment and (segment[-1][1] is not face or segment[-1][0].bold != placed.bold):
            objects.append(_text_object(segment, run, ids))
            segment = []
        segment.append((placed, face))
    if segment:
        objects.append(_text_object(segment, run, ids))
    return objects


def _text_object(segment: list[tuple[Placed, Face]], run: Run, ids: _Ids) -> str:
    face = segment[0][1]
    font_id = ids.fonts[face]
    left = segment[0][0].x
    width = segment[-1][0].x - left + run.size
    top = run.baseline - run.size
    deltas = " ".join(_mm(b[0].x - a[0].x) for a, b in zip(segment, segment[1:], strict=False))
    text = "".join(p.char for p, _ in segment)
    bold = segment[0][0].bold
    stroke = (f' Stroke="true" LineWidth="{_mm(run.size * BOLD_STROKE)}"' if bold else "")
    scale = f' HScale="{run.hscale:.3f}"' if run.hscale != 1.0 else ""
    colour = _colour(run.color)
    return (f'<ofd:TextObject ID="{ids.next()}" Boundary="{_mm(left)} {_mm(top)} {_mm(width)} '
            f'{_mm(run.size * 1.5)}" Font="{font_id}" Size="{_mm(run.size)}"{stroke}{scale}>'
            f'<ofd:FillColor Value="{colour}"/>'
            + (f'<ofd:StrokeColor Value="{colour}"/>' if bold else "")
            + f'<ofd:TextCode X="0" Y="{_mm(run.size)}"'
            + (f' DeltaX="{deltas}"' if deltas else "") + f">{escape(text)}</ofd:TextCode>"
            "</ofd:TextObject>")


def _rule(rule: Rule, ids: _Ids) -> str:
    half = rule.thickness / 2
    return (f'<ofd:PathObject ID="{ids.next()}" Boundary="{_mm(rule.x0)} {_mm(rule.y - half)} '
            f'{_mm(rule.x1 - rule.x0)} {_mm(rule.thickness)}" LineWidth="{_mm(rule.thickness)}"'
            f' Stroke="true" Fill="false"><ofd:StrokeColor Value="{_colour(rule.color)}"/>'
            f"<ofd:AbbreviatedData>M 0 {_mm(half)} L {_mm(rule.x1 - rule.x0)} {_mm(half)}"
            "</ofd:AbbreviatedData></ofd:PathObject>")


def _stamp(stamp: Stamp, media: dict[int, int], ids: _Ids) -> str:
    size = _mm(stamp.size)
    return (f'<ofd:ImageObject ID="{ids.next()}" Boundary="{_mm(stamp.x)} {_mm(stamp.y)} '
            f'{size} {size}" CTM="{size} 0 0 {size} 0 0" ResourceID="{media[stamp.index]}"/>')


def _page(page: Page, fonts: FontUse, media: dict[int, int], ids: _Ids) -> str:
    objects = [_stamp(s, media, ids) for s in page.stamps]
    objects += [_rule(r, ids) for r in page.rules]
    for run in page.runs:
        objects += _text(run, fonts, ids)
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Page {NS}><ofd:Content>"
            f'<ofd:Layer ID="{ids.next()}">{"".join(objects)}</ofd:Layer></ofd:Content>'
            "</ofd:Page>")


def _fonts_xml(fonts: FontUse, ids: _Ids, files: dict[str, bytes]) -> str:
    entries = []
    for face, font_id in ids.fonts.items():
        subset = fonts.subsets.get(face) or Subset(face)
        extension = "otf" if face.is_cff else "ttf"
        name = f"font_{font_id}.{extension}"
        files[f"Doc_0/Res/{name}"] = subset.build()
        entries.append(f'<ofd:Font ID="{font_id}" FontName={quoteattr(face.ps_name)} '
                       f'FamilyName={quoteattr(face.ps_name)}><ofd:FontFile>{name}'
                       "</ofd:FontFile></ofd:Font>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res"><ofd:Fonts>'
            f'{"".join(entries)}</ofd:Fonts></ofd:Res>')


def write_ofd(pages: list[Page], *, fonts: FontSet, seals: list[bytes], info: Info) -> bytes:
    """The pages as an OFD package; `seals[i]` is the PNG that `Stamp.index == i` shows."""
    used, ids, files = FontUse(fonts), _Ids(), {}
    for page in pages:  # first pass: which faces, so fonts get ids before the pages use them
        for run in page.runs:
            for placed in run.chars:
                if used.code(placed) is not None:
                    face = fonts.face_for(placed.role, placed.char) or \
                        fonts.face_for(placed.role, MISSING) or fonts.primary(placed.role)
                    if face not in ids.fonts:
                        ids.fonts[face] = ids.next()
    media = {index: ids.next() for index, png in enumerate(seals) if png}
    for index, png in enumerate(seals):
        if png:
            files[f"Doc_0/Res/seal_{index}.png"] = png
    for number, page in enumerate(pages):
        files[f"Doc_0/Pages/Page_{number}/Content.xml"] = _page(page, used, media, ids).encode()
    files["Doc_0/PublicRes.xml"] = _fonts_xml(used, ids, files).encode()
    files["Doc_0/DocumentRes.xml"] = _media_xml(media).encode()
    files["Doc_0/Document.xml"] = _document_xml(pages, ids).encode()
    files["OFD.xml"] = _root_xml(info).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ["OFD.xml", *sorted(n for n in files if n != "OFD.xml")]:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)),
                             files[name], zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _media_xml(media: dict[int, int]) -> str:
    entries = "".join(f'<ofd:MultiMedia ID="{media_id}" Type="Image" Format="PNG">'
                      f"<ofd:MediaFile>seal_{index}.png</ofd:MediaFile></ofd:MultiMedia>"
                      for index, media_id in media.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res">'
            f"<ofd:MultiMedias>{entries}</ofd:MultiMedias></ofd:Res>")


def _document_xml(pages: list[Page], ids: _Ids) -> str:
    entries = "".join(f'<ofd:Page ID="{ids.next()}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
                      for n in range(len(pages)))
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData>'
            f"<ofd:MaxUnitID>{ids.last}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>"
            f"0 0 {_mm(PAGE_W)} {_mm(PAGE_H)}</ofd:PhysicalBox></ofd:PageArea>"
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
            "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>"
            f"<ofd:Pages>{entries}</ofd:Pages></ofd:Document>")


def _root_xml(info: Info) -> str:
    when: datetime = info.created
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.0" '
            f'DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>'
            f"{uuid.uuid5(uuid.NAMESPACE_URL, info.subject + info.title).hex}</ofd:DocID>"
            f"<ofd:Title>{escape(info.title)}</ofd:Title><ofd:Author>{escape(info.author)}"
            f"</ofd:Author><ofd:Subject>{escape(info.subject)}</ofd:Subject>"
            f"<ofd:CreationDate>{when:%Y-%m-%d}</ofd:CreationDate>"
            "<ofd:Creator>Tongban 通办</ofd:Creator></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
