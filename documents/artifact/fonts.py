"""Font faces for rendering, with per-character fallback and fast subsetting.

GB/T 9704 names five faces: 小标宋 (title and the 发文机关标志), 仿宋 (text), 黑体 and 楷体 (the
first two heading levels) and 宋体 (page numbers). A deployment drops its licensed files
(方正小标宋, 仿宋_GB2312 …) into the fonts folder, named as vendors ship them or mapped in
`fonts.json` (`{"fangsong": "仿宋_GB2312.ttf", "kai": "simkai.ttf#0"}`); without them the free
faces that `scripts/system-deps.sh` installs stand in. Every character is drawn from the first
face of its role's chain that has it, so no glyph is ever the missing-glyph box; a character no
face has becomes 〓 (the 缺字 mark typesetters use) and is reported.

Subsetting: fontTools' subsetter takes ~0.5 s per CJK face, too slow for rendering on issue.
Instead each face keeps, per process, the compiled outline of every glyph it has drawn (CFF
charstrings desubroutinized, TrueType glyphs decomposed), and a document's font is built from
those with `FontBuilder`: a cold glyph costs a few milliseconds once, a warm one nothing.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from documents.artifact.glyphstore import GlyphStore

if TYPE_CHECKING:  # fontTools is imported where fonts are first read, not at start-up
    from fontTools.fontBuilder import FontBuilder
    from fontTools.ttLib import TTFont

log = logging.getLogger(__name__)
MISSING = "〓"  # 缺字 mark: drawn for a character that no face has
SYSTEM_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
EAGER_TABLES = ("head", "hhea", "hmtx", "maxp", "OS/2", "name", "post")  # read by any thread


class Role(StrEnum):
    """What a face is for, in GB/T 9704's words."""

    TITLE = "title"  # 小标宋: 标题, 发文机关标志
    FANGSONG = "fangsong"  # 仿宋: 正文, 版记
    HEI = "hei"  # 黑体: 一级标题, 密级, 紧急程度, 附件 label
    KAI = "kai"  # 楷体: 二级标题, 签发人姓名
    SONG = "song"  # 宋体: 页码


# Licensed faces a deployment may drop in (matched case-insensitively on the file name), then
# the free defaults: (file name, the collection member wanted).
LICENSED = {
    Role.TITLE: ("fzxbsjw", "方正小标宋", "xiaobiaosong", "fzxiaobiaosong"),
    Role.FANGSONG: ("仿宋_gb2312", "fangsong_gb2312", "simfang", "仿宋", "fzfsk", "fangsong"),
    Role.HEI: ("simhei", "黑体", "fzhtk"),
    Role.KAI: ("楷体_gb2312", "kaiti_gb2312", "simkai", "楷体", "fzktk"),
    Role.SONG: ("simsun", "宋体", "fzssk"),
}
FREE: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.TITLE: (("NotoSerifCJK-Bold.ttc", "SC"), ("NotoSerifCJK-Regular.ttc", "SC")),
    Role.FANGSONG: (("FandolFang-Regular.otf", ""), ("NotoSerifCJK-Regular.ttc", "SC")),
    Role.HEI: (("NotoSansCJK-Regular.ttc", "SC"),),
    Role.KAI: (("LXGWWenKai-Regular.ttf", ""), ("ukai.ttc", "CN")),
    Role.SONG: (("NotoSerifCJK-Regular.ttc", "SC"),),
}
FALLBACK = (("NotoSerifCJK-Regular.ttc", "SC"), ("NotoSansCJK-Regular.ttc", "SC"),
            ("uming.ttc", "CN"), ("DejaVuSans.ttf", ""))


@dataclass
class Glyph:
    """One glyph ready for a subset: CFF charstring bytes or a TrueType glyph, and its width."""

    outline: Any
    advance: int
    lsb: int  # left side bearing: rasterisers place TrueType outlines by it


class Face:
    """One face of a font file (a member of a .ttc), loaded lazily and shared by the process."""

    def __init__(self, path: Path, index: int = 0) -> None:
        self.path, self.index = path, index
        self._lock = threading.RLock()
        self._font: TTFont | None = None
        self._cmap: dict[int, str] = {}
        self._glyphs: dict[str, Glyph] = {}
        self._store: GlyphStore | None = None
        self._stored: dict[str, tuple[bytes, int, int]] = {}
        self._new: list[str] = []

    def __repr__(self) -> str:
        return f"Face({self.path.name}#{self.index})"

    @property
    def font(self) -> TTFont:
        with self._lock:
            if self._font is None:
                from fontTools.ttLib import TTFont

                # From memory: a lazily read font would keep its file open for the process.
                data = io.BytesIO(self.path.read_bytes())
                font = TTFont(data, fontNumber=self.index, lazy=True)
                for tag in EAGER_TABLES:  # fontTools decompiles a table on first use, and not
                    if tag in font:  # thread-safely: renders in two threads raced on hmtx
                        font[tag]
                self._cmap = font.getBestCmap() or {}
                self._font = font
            return self._font

    @property
    def is_cff(self) -> bool:
        return "CFF " in self.font

    @property
    def units_per_em(self) -> int:
        return int(self.font["head"].unitsPerEm)

    @property
    def ps_name(self) -> str:
        name = self.font["name"].getDebugName(6) or self.path.stem
        return "".join(c for c in name if c.isascii() and c.isalnum() or c == "-")[:40] or "Font"

    def has(self, char: str) -> bool:
        if self._font is None:
            _ = self.font
        return ord(char) in self._cmap

    def advance(self, char: str) -> float:
        """The advance of `char` in ems."""
        font = self.font
        return float(font["hmtx"][self._cmap[ord(char)]][0]) / self.units_per_em

    def metrics(self) -> tuple[float, float]:
        """Ascent and descent (negative) in ems, from the OS/2 typographic values."""
        os2, upm = self.font["OS/2"], self.units_per_em
        return os2.sTypoAscender / upm, os2.sTypoDescender / upm

    def glyph(self, char: str) -> Glyph:
        name = self._cmap[ord(char)]
        with self._lock:
            found = self._glyphs.get(name)
            if found is None:
                found = self._glyphs[name] = self._restore(name) or self._extract(name)
            return found

    def keep_in(self, store: GlyphStore) -> None:
        """Restore glyphs from `store` and add the ones extracted from now on (`flush`)."""
        with self._lock:
            if self._store is None:
                self._store, self._stored = store, store.load()

    def flush(self) -> None:
        with self._lock:
            names, self._new = self._new, []
            rows = [(n, _outline_bytes(self._glyphs[n]), self._glyphs[n].advance,
                     self._glyphs[n].lsb) for n in names]
        if self._store is not None:
            self._store.save(rows)

    def _restore(self, name: str) -> Glyph | None:
        stored = self._stored.pop(name, None)
        if stored is None:
            return None
        outline, advance, lsb = stored
        if self.is_cff:
            return Glyph(outline, advance, lsb)
        from fontTools.ttLib.tables._g_l_y_f import Glyph as TTGlyph

        glyph = TTGlyph(outline)
        glyph.expand(None)  # a simple (decomposed) glyph needs no table to expand
        return Glyph(glyph, advance, lsb)

    def _extract(self, name: str) -> Glyph:
        from fontTools.cffLib.transforms import desubroutinizeCharString
        from fontTools.misc.psCharStrings import T2CharString
        from fontTools.pens.recordingPen import DecomposingRecordingPen
        from fontTools.pens.ttGlyphPen import TTGlyphPen

        font = self._font
        assert font is not None
        self._new.append(name)
        advance, lsb = (int(v) for v in font["hmtx"][name])
        if "CFF " in font:
            charstring = font["CFF "].cff[0].CharStrings[name]
            desubroutinizeCharString(charstring)
            compiled = T2CharString(program=list(charstring.program))
            compiled.compile()
            return Glyph(compiled.bytecode, advance, lsb)
        recorder = DecomposingRecordingPen(font.getGlyphSet())
        font.getGlyphSet()[name].draw(recorder)
        pen = TTGlyphPen(None)
        recorder.replay(pen)
        glyph = pen.glyph()
        return Glyph(glyph, advance, int(getattr(glyph, "xMin", lsb)))


def _outline_bytes(glyph: Glyph) -> bytes:
    if isinstance(glyph.outline, bytes):
        return glyph.outline
    return bytes(glyph.outline.compile(None, recalcBBoxes=False))


_BUILT: dict[tuple[int, tuple[tuple[str, int], ...]], bytes] = {}
_BUILT_LOCK = threading.Lock()


@dataclass
class Subset:
    """The glyphs of one face that one document uses, numbered from 1 in order of first use."""

    face: Face
    gids: dict[str, int] = field(default_factory=dict)

    def gid(self, char: str) -> int:
        if char not in self.gids:
            self.gids[char] = len(self.gids) + 1
        return self.gids[char]

    def widths(self) -> dict[int, int]:
        """Advance per gid in thousandths of an em (the PDF's /W)."""
        scale = 1000 / self.face.units_per_em
        return {gid: round(self.face.glyph(char).advance * scale)
                for char, gid in self.gids.items()}

    def build(self) -> bytes:
        """The subset as an OpenType (CFF) or TrueType font file (the same glyphs of the same
        face give the same bytes, so the PDF and the OFD of one document build it once)."""
        key = (id(self.face), tuple(self.gids.items()))
        with _BUILT_LOCK:
            if key in _BUILT:
                return _BUILT[key]
        data = self._build()
        with _BUILT_LOCK:
            _BUILT[key] = data
            while len(_BUILT) > 16:
                _BUILT.pop(next(iter(_BUILT)))
        return data

    def _build(self) -> bytes:
        from fontTools.fontBuilder import FontBuilder

        face, upm = self.face, self.face.units_per_em
        glyphs = {char: face.glyph(char) for char in self.gids}
        order = [".notdef", *(f"g{gid}" for gid in self.gids.values())]
        builder = FontBuilder(upm, isTTF=not face.is_cff)
        builder.font.recalcBBoxes = not face.is_cff  # CFF bounds mean running every glyph
        builder.font.recalcTimestamp = False  # the same glyphs give the same bytes
        source = face.font["head"]
        builder.updateHead(created=source.created, modified=source.modified)
        builder.setupGlyphOrder(order)
        builder.setupCharacterMap({ord(c): f"g{gid}" for c, gid in self.gids.items()})
        outlines = {f"g{self.gids[c]}": g.outline for c, g in glyphs.items()}
        _setup_outlines(builder, face, outlines, upm)
        metrics = {".notdef": (upm, 0)} | {f"g{self.gids[c]}": (g.advance, g.lsb)
                                            for c, g in glyphs.items()}
        builder.setupHorizontalMetrics(metrics)
        ascent, descent = face.metrics()
        builder.setupHorizontalHeader(ascent=round(ascent * upm), descent=round(descent * upm))
        builder.setupOS2(sTypoAscender=round(ascent * upm), sTypoDescender=round(descent * upm))
        builder.setupNameTable({"familyName": face.ps_name, "styleName": "Regular",
                                "psName": face.ps_name})
        builder.setupPost()
        out = io.BytesIO()
        builder.save(out)
        return out.getvalue()


def _setup_outlines(builder: FontBuilder, face: Face, outlines: dict[str, Any],
                    upm: int) -> None:
    from fontTools.misc.psCharStrings import T2CharString
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    if face.is_cff:
        charstrings = {".notdef": T2CharString(program=[upm, "endchar"])}
        charstrings |= {name: T2CharString(bytecode=code) for name, code in outlines.items()}
        builder.setupCFF(face.ps_name, {"FullName": face.ps_name}, charstrings, {})
        return
    builder.setupGlyf({".notdef": TTGlyphPen(None).glyph(), **outlines})
    builder.setupMaxp()


class FontSet:
    """The faces of each role, each followed by the fallback chain."""

    def __init__(self, chains: dict[Role, list[Face]]) -> None:
        self.chains = chains

    def face_for(self, role: Role, char: str) -> Face | None:
        """The first face of the role's chain that has the character."""
        for face in self.chains[role]:
            if face.has(char):
                return face
        return None

    def primary(self, role: Role) -> Face:
        return self.chains[role][0]

    def missing(self, role: Role, text: Iterable[str]) -> list[str]:
        return sorted({c for c in text if not c.isspace() and self.face_for(role, c) is None})

    def keep_glyphs_in(self, folder: Path) -> None:
        """Keep extracted glyphs of every face under `folder` across restarts."""
        for face in {face for chain in self.chains.values() for face in chain}:
            face.keep_in(GlyphStore(folder, face.path, face.index))

    def flush(self) -> None:
        for face in {face for chain in self.chains.values() for face in chain}:
            face.flush()

    def describe(self) -> dict[str, str]:
        return {role.value: repr(chain[0]) for role, chain in self.chains.items()}


def _files(roots: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc"):
                    found.setdefault(path.name.lower(), path)
    return found


def _member(path: Path, wanted: str) -> int:
    """The index of the collection member whose name carries `wanted` (SC, CN), else 0."""
    if path.suffix.lower() not in (".ttc", ".otc") or not wanted:
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(io.BytesIO(path.read_bytes()), lazy=True)
    names = [font["name"].getDebugName(4) or "" for font in collection.fonts]
    for index, name in enumerate(names):
        if f" {wanted}" in name:
            return index
    return 0


@cache
def _face(path: Path, index: int) -> Face:
    return Face(path, index)


def _mapped(fonts_dir: Path) -> dict[Role, Face]:
    """Faces named in `fonts.json` of the fonts folder: role → "file" or "file#index"."""
    config = fonts_dir / "fonts.json"
    if not config.is_file():
        return {}
    chosen: dict[Role, Face] = {}
    for role, spec in json.loads(config.read_text("utf-8")).items():
        name, _, index = str(spec).partition("#")
        path = Path(name) if Path(name).is_absolute() else fonts_dir / name
        if role in Role._value2member_map_ and path.is_file():
            chosen[Role(role)] = _face(path, int(index or 0))
    return chosen


def _licensed(role: Role, files: dict[str, Path]) -> Face | None:
    for key, path in files.items():
        if any(key.startswith(prefix) for prefix in LICENSED[role]):
            return _face(path, 0)
    return None


def _free(specs: Iterable[tuple[str, str]], files: dict[str, Path]) -> list[Face]:
    faces = []
    for name, wanted in specs:
        path = files.get(name.lower())
        if path is not None:
            faces.append(_face(path, _member(path, wanted)))
    return faces


@cache
def load_fonts(fonts_dir: Path) -> FontSet:
    """The faces for each role: `fonts.json`, then licensed files in the fonts folder, then
    the free system faces; each chain ends with the fallbacks. Cached per folder."""
    own = _files([fonts_dir])
    system = _files(SYSTEM_DIRS)
    mapped = _mapped(fonts_dir)
    fallback = _free(FALLBACK, system)
    if not fallback:
        raise RuntimeError("No CJK font found: run scripts/system-deps.sh (fonts-noto-cjk).")
    chains: dict[Role, list[Face]] = {}
    for role in Role:
        first = [mapped[role]] if role in mapped else []
        licensed = _licensed(role, own)
        first += [licensed] if licensed else []
        chain = [*first, *_free(FREE[role], {**system, **own}), *fallback]
        chains[role] = list(dict.fromkeys(chain))
    log.info("document fonts: %s", {r.value: repr(c[0]) for r, c in chains.items()})
    return FontSet(chains)
