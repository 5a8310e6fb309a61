"""The geometry of GB/T 9704-2012 (党政机关公文格式), as pages of placed text, rules and seals.

A4 paper; 版心 156 × 225 mm with 天头 37 mm and 订口 28 mm; 22 lines of 28 characters in 3号
仿宋. 版头: 份号, 密级, 紧急程度 top left; the red 发文机关标志 whose top is 35 mm below the 版心's;
发文字号 two lines below it (上行文: left, with 签发人 on the right); the red separator 4 mm below
the number. 主体: 标题 in 2号小标宋 two lines below the separator; 主送机关; 正文 with the heading
faces; 附件说明; 发文机关署名, 成文日期 and 印章 (the seal pressing the signature and the date,
its top within one line of the text); 附注; 附件 pages. 版记 with 抄送 and 印发机关/印发日期
between its rules, at the foot of the last (even) page. Page numbers 「— 1 —」 in 4号宋体 7 mm
below the 版心, outside edge alternating. Clause numbers of the standard are in comments.

Pure: no database, no fonts (a `Measure` gives widths), no PDF. Units are points, y measured
down from the top of the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from documents.artifact.fonts import Role
from documents.artifact.typeset import Line, Measure, Placed, Span, is_wide, set_paragraph

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
TOP, LEFT = 37 * MM, 28 * MM  # 天头, 订口 (5.2.2)
BODY_W, BODY_H = 156 * MM, 225 * MM  # 版心
RIGHT, BOTTOM = LEFT + BODY_W, TOP + BODY_H
LINES, CHARS = 22, 28  # 6.1
PITCH, CELL = BODY_H / LINES, BODY_W / CHARS
SIZE_3, SIZE_2, SIZE_4 = 16.0, 22.0, 14.0  # 3号, 2号, 4号 in points
ASCENT, DESCENT = 0.88, -0.12  # the em box of CJK faces, in ems
RED, BLACK = (1.0, 0.0, 0.0), (0.0, 0.0, 0.0)
MARK_TOP = 35 * MM  # 发文机关标志: top edge below the 版心's top (7.2.3)
MARK_SIZE, MARK_MIN_SCALE = 52.0, 0.8
RULE_GAP = 4 * MM  # red separator below the 发文字号 (7.2.5)
RED_RULE, THICK_RULE, THIN_RULE = 0.5 * MM, 0.35 * MM, 0.25 * MM  # 7.2.5, 7.4.1
FOLIO_GAP = 7 * MM  # page number below the 版心 (7.5)
SEAL_GAP_MAX = PITCH  # the seal's top within one line of the text above (7.3.5.1)


@dataclass
class Run:
    """Characters on one baseline; `hscale` compresses them horizontally (the 标志)."""

    chars: list[Placed]
    baseline: float
    size: float
    color: tuple[float, float, float] = BLACK
    hscale: float = 1.0

    @property
    def text(self) -> str:
        return "".join(p.char for p in self.chars)


@dataclass
class Rule:
    x0: float
    x1: float
    y: float
    thickness: float
    color: tuple[float, float, float] = BLACK


@dataclass
class Stamp:
    """A seal image: `index` into the manuscript's seals, its box from the top left."""

    index: int
    x: float
    y: float
    size: float


@dataclass
class Page:
    number: int | None = None  # the printed page number; None for an unnumbered page
    runs: list[Run] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    stamps: list[Stamp] = field(default_factory=list)


@dataclass
class Signatory:
    """发文机关署名 of one issuing unit, and its seal's diameter when it seals."""

    name: str
    seal_mm: float | None = None


@dataclass
class Attachment:
    title: str
    paragraphs: list[str] | None  # None: a file carried beside the document, not set as text
    note: str = ""


@dataclass
class Manuscript:
    """Everything the layout needs, already in words."""

    title: str
    marks: list[str]  # 发文机关标志: issuing units' names (joint documents list several)
    mark_suffix: str = "文件"
    number: str = ""  # 发文字号
    signers: list[str] = field(default_factory=list)  # 签发人 of 上行文
    copy_number: str = ""  # 份号
    secrecy: str = ""  # 密级 (内部)
    urgency: str = ""  # 紧急程度
    main_to: str = ""  # 主送机关
    body: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    signatories: list[Signatory] = field(default_factory=list)
    date: str = ""  # 成文日期, in Arabic numerals
    note: str = ""  # 附注
    cc: str = ""  # 抄送
    printed_by: str = ""  # 印发机关
    printed_on: str = ""  # 印发日期


@dataclass
class Row:
    """One line of the flow: placed characters at a size, or a blank line when empty."""

    chars: list[Placed] = field(default_factory=list)
    size: float = SIZE_3
    color: tuple[float, float, float] = BLACK
    keep: bool = False  # body text that the signature block may take along to its page


@dataclass
class Block:
    """Lines that stay on one page (the signature block), taking `keep_with` text lines
    before it along when it has to move."""

    rows: list[Row]
    stamps: list[tuple[int, float, float, float]]  # (seal, x, top offset, size)
    keep_with: int = 2


@dataclass
class Break:
    """Start a new page (an attachment, 另面编排)."""


Flow = Row | Block | Break


def baseline_in(top: float, size: float) -> float:
    """The baseline that centres an em box of `size` in the line starting at `top`."""
    return top + PITCH / 2 + (ASCENT + DESCENT) / 2 * size


def placed_text(text: str, role: Role, *, x: float = 0.0, size: float, measure: Measure,
          bold: bool = False) -> list[Placed]:
    placed, cursor = [], x
    for char in text:
        placed.append(Placed(char, cursor, role, bold))
        cursor += size if is_wide(char) else measure(role, char) * size
    return placed


def width_of(text: str, role: Role, *, size: float, measure: Measure) -> float:
    return sum(size if is_wide(c) else measure(role, c) * size for c in text)


def paragraph(spans: list[Span], measure: Measure, *, indent: float = 2 * CELL,
              hang: float = 0.0, size: float = SIZE_3, right: float = 0.0,
              keep: bool = True) -> list[Row]:
    """A paragraph on the grid: first line after `indent`, the others after `hang`, both
    from the 版心's left edge; `right` is kept free at the right edge."""
    cell = CELL if size == SIZE_3 else size
    lines = set_paragraph(spans, width=BODY_W - right, size=size, cell=cell, measure=measure,
                          indent=indent, hang=hang)
    return [Row(_moved(line, LEFT), size, keep=keep) for line in lines]


def _moved(line: Line, x: float) -> list[Placed]:
    return [Placed(p.char, p.x + x, p.role, p.bold) for p in line.chars]
