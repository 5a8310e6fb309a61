"""A manuscript composed into GB/T 9704 pages: the 版头 of page 1, the flow of the 主体 over
the pages, the signature block with its seals, the 版记 on the last even page, page numbers.
Pure, like `layout`, whose geometry it uses.
"""

from __future__ import annotations

import math

from documents.artifact.fonts import Role
from documents.artifact.layout import (
    ASCENT, BLACK, BODY_W, BOTTOM, CELL, DESCENT, FOLIO_GAP, LEFT, MARK_MIN_SCALE, MARK_SIZE,
    MARK_TOP, MM, PITCH, RED, RED_RULE, RIGHT, RULE_GAP, SIZE_2, SIZE_3, SIZE_4, THICK_RULE,
    THIN_RULE, TOP, Block, Break, Flow, Manuscript, Page, Row, Rule, Run, Stamp, baseline_in,
    paragraph, placed_text, width_of,
)
from documents.artifact.typeset import Measure, Placed, Span, balanced_title, heading_spans

SEAL_SPACING = 3 * MM  # seals of a joint document neither touch nor overlap (7.3.5.1)


def compose(m: Manuscript, measure: Measure) -> list[Page]:
    """The pages of the document, numbered."""
    first = Page()
    start = _header(first, m, measure)
    pages = _paginate(_flow(m, measure), first, start)
    _record(pages, m, measure)
    for page in pages:
        if page.number is not None:
            _folio(page, measure)
    return pages


# -- 版头 -------------------------------------------------------------------------------------

def _header(page: Page, m: Manuscript, measure: Measure) -> float:
    """Page 1's 版头; returns where the 主体 starts (two lines below the red separator)."""
    corner = [(m.copy_number, Role.SONG), (m.secrecy, Role.HEI), (m.urgency, Role.HEI)]
    for line, (text, role) in enumerate((t, r) for t, r in corner if t):  # 7.2.1–7.2.2
        page.runs.append(Run(placed_text(text, role, x=LEFT, size=SIZE_3, measure=measure),
                             baseline_in(TOP + line * PITCH, SIZE_3), SIZE_3))
    mark_bottom = _mark(page, m, measure)
    number_bottom = _number(page, m, measure, mark_bottom + 2 * PITCH)
    red = number_bottom + RULE_GAP
    page.rules.append(Rule(LEFT, RIGHT, red, RED_RULE, RED))
    return red + 2 * PITCH


def _fit(text: str, room: float, measure: Measure, size: float) -> tuple[float, float]:
    """A size and horizontal scale that make `text` at most `room` wide: first compressed
    down to 80 %, then smaller."""
    natural = width_of(text, Role.TITLE, size=size, measure=measure)
    if natural <= room:
        return size, 1.0
    if natural * MARK_MIN_SCALE <= room:
        return size, room / natural
    return size * room / (natural * MARK_MIN_SCALE), MARK_MIN_SCALE


def _scaled(text: str, *, x: float, size: float, scale: float,
            measure: Measure) -> list[Placed]:
    chars = placed_text(text, Role.TITLE, x=0.0, size=size, measure=measure)
    return [Placed(p.char, x + p.x * scale, p.role, p.bold) for p in chars]


def _mark(page: Page, m: Manuscript, measure: Measure) -> float:
    """发文机关标志, red, centred, its top 35 mm below the 版心's (7.2.3); a joint document
    stacks the names with the suffix centred beside them. Returns its bottom edge."""
    top = TOP + MARK_TOP
    if len(m.marks) == 1:
        text = m.marks[0] + m.mark_suffix
        size, scale = _fit(text, BODY_W * 0.96, measure, MARK_SIZE)
        wide = width_of(text, Role.TITLE, size=size, measure=measure) * scale
        x = LEFT + (BODY_W - wide) / 2
        page.runs.append(Run(_scaled(text, x=x, size=size, scale=scale, measure=measure),
                             top + ASCENT * size, size, RED, scale))
        return top + size
    return _joint_mark(page, m, measure, top)


def _joint_mark(page: Page, m: Manuscript, measure: Measure, top: float) -> float:
    size = MARK_SIZE * 0.7
    suffix_w = width_of(m.mark_suffix, Role.TITLE, size=size, measure=measure)
    room = BODY_W * 0.96 - (suffix_w + size / 2 if m.mark_suffix else 0.0)
    fitted = [_fit(name, room, measure, size) for name in m.marks]
    size = min(s for s, _ in fitted)
    widths = [width_of(n, Role.TITLE, size=size, measure=measure) for n in m.marks]
    names_w = min(max(widths), room)
    block_w = names_w + (suffix_w + size / 2 if m.mark_suffix else 0.0)
    x = LEFT + (BODY_W - block_w) / 2
    step = size * 1.25
    for line, (name, wide) in enumerate(zip(m.marks, widths, strict=True)):
        scale = min(1.0, names_w / wide)
        chars = _scaled(name, x=x, size=size, scale=scale, measure=measure)
        page.runs.append(Run(chars, top + line * step + ASCENT * size, size, RED, scale))
    bottom = top + (len(m.marks) - 1) * step + size
    if m.mark_suffix:
        middle = (top + bottom) / 2
        chars = placed_text(m.mark_suffix, Role.TITLE, x=x + names_w + size / 2, size=size,
                            measure=measure)
        page.runs.append(Run(chars, middle + (ASCENT + DESCENT) / 2 * size, size, RED))
    return bottom


def _number(page: Page, m: Manuscript, measure: Measure, top: float) -> float:
    """发文字号 centred (7.2.4); in 上行文 left (one character in), level with the last row of
    签发人 on the right (7.2.6). Returns the bottom of the row's em box."""
    runs = _signer_rows(m.signers, measure, top) if m.signers else []
    page.runs.extend(runs)
    line_top = top + max(0, math.ceil(len(m.signers) / 2) - 1) * PITCH
    base = baseline_in(line_top, SIZE_3)
    wide = width_of(m.number, Role.FANGSONG, size=SIZE_3, measure=measure)
    x = LEFT + CELL if m.signers else LEFT + (BODY_W - wide) / 2
    page.runs.append(Run(placed_text(m.number, Role.FANGSONG, x=x, size=SIZE_3,
                                     measure=measure), base, SIZE_3))
    return base - DESCENT * SIZE_3


def _signer_rows(signers: list[str], measure: Measure, top: float) -> list[Run]:
    """「签发人：」 in 仿宋 and the names in 楷体, two to a row, right edge one character in;
    later rows align with the first name."""
    label = "签发人："
    pairs = [signers[i:i + 2] for i in range(0, len(signers), 2)]
    first = "　".join(pairs[0])
    names_x = RIGHT - CELL - width_of(first, Role.KAI, size=SIZE_3, measure=measure)
    label_x = names_x - width_of(label, Role.FANGSONG, size=SIZE_3, measure=measure)
    runs = [Run(placed_text(label, Role.FANGSONG, x=label_x, size=SIZE_3, measure=measure),
                baseline_in(top, SIZE_3), SIZE_3)]
    for row, pair in enumerate(pairs):
        chars = placed_text("　".join(pair), Role.KAI, x=names_x, size=SIZE_3, measure=measure)
        runs.append(Run(chars, baseline_in(top + row * PITCH, SIZE_3), SIZE_3))
    return runs


# -- 主体 -------------------------------------------------------------------------------------

def _title_rows(title: str, measure: Measure) -> list[Row]:
    rows = []
    for text in balanced_title(title, per_line=int(BODY_W // SIZE_2)):
        wide = width_of(text, Role.TITLE, size=SIZE_2, measure=measure)
        rows.append(Row(placed_text(text, Role.TITLE, x=LEFT + (BODY_W - wide) / 2,
                                    size=SIZE_2, measure=measure), SIZE_2))
    return rows


def _flow(m: Manuscript, measure: Measure) -> list[Flow]:
    """标题, 主送机关, 正文, 附件说明, the signature block, 附注, then each 附件 on its own pages."""
    items: list[Flow] = [*_title_rows(m.title, measure), Row()]
    if m.main_to:
        main_to = m.main_to if m.main_to.endswith("：") else m.main_to + "："
        items += paragraph([Span(main_to)], measure, indent=0.0, keep=False)
    for text in m.body:
        items += paragraph(heading_spans(text), measure)
    items += _attachment_list(m, measure)
    items.append(_signature_block(m, measure))
    if m.note:
        items += paragraph([Span(f"（{m.note.strip('（）()')}）")], measure, keep=False)
    for number, attachment in enumerate(m.attachments, start=1):
        items += _attachment_pages(m, number, measure)
    return items


def _attachment_list(m: Manuscript, measure: Measure) -> list[Row]:
    """附件说明 (7.3.4): a line below the text, two characters in; several are numbered and
    wrap under the first character of their name."""
    if not m.attachments:
        return []
    rows, label = [Row()], "附件："
    label_w = width_of(label, Role.FANGSONG, size=SIZE_3, measure=measure)
    many = len(m.attachments) > 1
    for number, attachment in enumerate(m.attachments, start=1):
        prefix = f"{number}．" if many else ""
        prefix_w = width_of(prefix, Role.FANGSONG, size=SIZE_3, measure=measure)
        text = (label if number == 1 else "") + prefix + attachment.title
        indent = 2 * CELL if number == 1 else 2 * CELL + label_w
        rows += paragraph([Span(text)], measure, indent=indent,
                          hang=2 * CELL + label_w + prefix_w)
    return rows


def _attachment_pages(m: Manuscript, number: int, measure: Measure) -> list[Flow]:
    """附件 (8): on a new page, 「附件N」 in 黑体 top left, its title centred on line 3."""
    attachment = m.attachments[number - 1]
    label = "附件" + (str(number) if len(m.attachments) > 1 else "")
    items: list[Flow] = [Break(), Row(placed_text(label, Role.HEI, x=LEFT, size=SIZE_3,
                                                  measure=measure)), Row()]
    items += [*_title_rows(attachment.title, measure), Row()]
    if attachment.paragraphs is None:
        note = attachment.note or "本附件为电子文件，随文另附。"
        return items + paragraph([Span(note)], measure, keep=False)
    for text in attachment.paragraphs:
        items += paragraph(heading_spans(text), measure, keep=False)
    return items


def _signature_block(m: Manuscript, measure: Measure) -> Block:
    if any(s.seal_mm for s in m.signatories):
        return _sealed_block(m, measure)
    return _unsealed_block(m, measure)


def _unsealed_block(m: Manuscript, measure: Measure) -> Block:
    """Without seals (7.3.5.2): a line below the text, the signature two characters in from the
    right; the date below, starting two characters right of the signature's start."""
    names = [s.name for s in m.signatories]
    date_w = width_of(m.date, Role.FANGSONG, size=SIZE_3, measure=measure)
    name_w = max([width_of(n, Role.FANGSONG, size=SIZE_3, measure=measure) for n in names]
                 or [0.0])
    name_x = min(RIGHT - 2 * CELL - name_w, RIGHT - 2 * CELL - date_w - 2 * CELL)
    rows = [Row()] + [Row(placed_text(n, Role.FANGSONG, x=name_x, size=SIZE_3,
                                      measure=measure)) for n in names]
    rows.append(Row(placed_text(m.date, Role.FANGSONG, x=name_x + 2 * CELL, size=SIZE_3,
                                measure=measure)))
    return Block(rows, [])


def _sealed_block(m: Manuscript, measure: Measure) -> Block:
    """With seals (7.3.5.1): the date four characters in from the right; each signature
    centred under its seal; the seal pressing signature and date, which sit a little below
    its centre, its top within one line of the text. Several seals go in rows of as many as
    fit, the last one over the date."""
    diameter = max(s.seal_mm or 42.0 for s in m.signatories) * MM
    lines = diameter / PITCH
    above = max(1, math.ceil(lines / 2 - 0.6))  # blank lines above the signature line
    date_w = width_of(m.date, Role.FANGSONG, size=SIZE_3, measure=measure)
    centre = RIGHT - 4 * CELL - date_w / 2
    per_row = max(1, int((BODY_W + SEAL_SPACING) // (diameter + SEAL_SPACING)))
    spacing = diameter + SEAL_SPACING
    row_lines = max(above + 2, math.ceil((diameter + SEAL_SPACING) / PITCH))
    groups = [m.signatories[i:i + per_row] for i in range(0, len(m.signatories), per_row)]
    rows: list[Row] = []
    stamps: list[tuple[int, float, float, float]] = []
    index = 0
    for number, group in enumerate(groups):
        last = number == len(groups) - 1
        centres = [centre - (per_row - 1 - k) * spacing for k in range(len(group))]
        if last:
            centres = [centre - (len(group) - 1 - k) * spacing for k in range(len(group))]
        shift = max(0.0, LEFT + diameter / 2 - min(centres))
        centres = [c + shift for c in centres]
        top = len(rows) * PITCH
        rows += [Row() for _ in range(above)]
        rows.append(_names_row([s.name for s in group], centres, measure))
        seal_top = top + (above + 0.6) * PITCH - diameter / 2
        for signatory, x in zip(group, centres, strict=True):
            if signatory.seal_mm:
                stamps.append((index, x - diameter / 2, seal_top, diameter))
            index += 1
        if last:
            rows.append(Row(placed_text(m.date, Role.FANGSONG, x=centre - date_w / 2,
                                        size=SIZE_3, measure=measure)))
        else:
            rows += [Row() for _ in range(row_lines - above - 1)]
    return Block(rows, stamps)


def _names_row(names: list[str], centres: list[float], measure: Measure) -> Row:
    chars = []
    for name, centre in zip(names, centres, strict=True):
        wide = width_of(name, Role.FANGSONG, size=SIZE_3, measure=measure)
        chars += placed_text(name, Role.FANGSONG, x=centre - wide / 2, size=SIZE_3,
                             measure=measure)
    return Row(chars)


# -- pages ------------------------------------------------------------------------------------

class _Pager:
    """Lays the flow onto pages line by line."""

    def __init__(self, first: Page, start: float) -> None:
        self.pages, self.y = [first], start
        self.recent: list[tuple[Row, Run]] = []  # text lines on the current page, in order

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(Page())
        self.y, self.recent = TOP, []

    def row(self, row: Row) -> None:
        if self.y + PITCH > BOTTOM + 1e-6:
            self.new_page()
        if not row.chars:
            if self.y > TOP + 1e-6:
                self.y += PITCH
            return
        run = Run(row.chars, baseline_in(self.y, row.size), row.size, row.color)
        self.page.runs.append(run)
        self.recent.append((row, run))
        self.y += PITCH

    def block(self, block: Block) -> None:
        height = max([len(block.rows) * PITCH]
                     + [top + size for _, _, top, size in block.stamps])
        if self.y + height > BOTTOM + 1e-6:
            self._turn_with_text(block.keep_with)
        top = self.y
        for row in block.rows:
            self.row(row)
        for index, x, offset, size in block.stamps:
            self.page.stamps.append(Stamp(index, x, top + offset, size))

    def _turn_with_text(self, keep: int) -> None:
        """A new page for the signature block, taking the last lines of text with it: the
        standard forbids a page that holds only the signature (「此页无正文」)."""
        taken = [(row, run) for row, run in self.recent[-keep:] if row.keep]
        for _, run in taken:
            self.page.runs.remove(run)
        self.new_page()
        for row, _ in taken:
            self.row(row)


def _paginate(items: list[Flow], first: Page, start: float) -> list[Page]:
    pager = _Pager(first, start)
    for item in items:
        if isinstance(item, Break):
            pager.new_page()
        elif isinstance(item, Block):
            pager.block(item)
        else:
            pager.row(item)
    for number, page in enumerate(pager.pages, start=1):
        page.number = number
    return pager.pages


def used_bottom(page: Page) -> float:
    """The lowest point anything on the page reaches."""
    runs = [run.baseline - DESCENT * run.size for run in page.runs]
    stamps = [stamp.y + stamp.size for stamp in page.stamps]
    return max([TOP, *runs, *stamps])


# -- 版记 and page numbers --------------------------------------------------------------------

def _record_rows(m: Manuscript, measure: Measure) -> tuple[list[Row], Row]:
    """抄送 (4号仿宋, one character in on both sides, wrapping under the first name, ending with
    a 句号) and the 印发 line (印发机关 left, 印发日期 right, one character in)."""
    cc_rows: list[Row] = []
    if m.cc:
        label_w = width_of("抄送：", Role.FANGSONG, size=SIZE_4, measure=measure)
        text = "抄送：" + m.cc.rstrip("。") + "。"
        cc_rows = paragraph([Span(text)], measure, indent=SIZE_4, hang=SIZE_4 + label_w,
                            size=SIZE_4, right=SIZE_4, keep=False)
    date = f"{m.printed_on}印发" if m.printed_on else ""
    date_w = width_of(date, Role.FANGSONG, size=SIZE_4, measure=measure)
    chars = placed_text(m.printed_by, Role.FANGSONG, x=LEFT + SIZE_4, size=SIZE_4,
                        measure=measure)
    chars += placed_text(date, Role.FANGSONG, x=RIGHT - SIZE_4 - date_w, size=SIZE_4,
                         measure=measure)
    return cc_rows, Row(chars, SIZE_4)


def _record(pages: list[Page], m: Manuscript, measure: Measure) -> None:
    """版记 (7.4) at the foot of the last page, which must be an even one (the back of the
    sheet): on the last page if it is even and has room, else on a page of its own; a blank
    page before it and the 版记 page then carry no page number (7.5)."""
    if not (m.cc or m.printed_by or m.printed_on):
        return
    cc_rows, printed = _record_rows(m, measure)
    count = len(cc_rows) + 1
    top = BOTTOM - count * PITCH
    last = pages[-1]
    if len(pages) % 2 == 1:
        pages.append(Page(number=len(pages) + 1))
    elif used_bottom(last) > top - PITCH / 2:
        pages += [Page(), Page()]
    page = pages[-1]
    for line, row in enumerate([*cc_rows, printed]):
        page.runs.append(Run(row.chars, baseline_in(top + line * PITCH, SIZE_4), SIZE_4))
    page.rules.append(Rule(LEFT, RIGHT, top, THICK_RULE))
    if cc_rows:
        page.rules.append(Rule(LEFT, RIGHT, BOTTOM - PITCH, THIN_RULE))
    page.rules.append(Rule(LEFT, RIGHT, BOTTOM, THICK_RULE))


def _folio(page: Page, measure: Measure) -> None:
    """「— N —」 in 4号 半角宋体, its top 7 mm below the 版心, one character in from the right
    edge on odd pages and the left edge on even ones."""
    text = f"— {page.number} —"
    wide = width_of(text, Role.SONG, size=SIZE_4, measure=measure)
    odd = (page.number or 0) % 2 == 1
    x = RIGHT - SIZE_4 - wide if odd else LEFT + SIZE_4
    page.runs.append(Run(placed_text(text, Role.SONG, x=x, size=SIZE_4, measure=measure),
                         BOTTOM + FOLIO_GAP + ASCENT * SIZE_4, SIZE_4, BLACK))
