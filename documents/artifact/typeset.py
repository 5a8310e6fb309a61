"""Setting Chinese text into lines, the way 公文 are set: full-width characters on a grid of
equal cells, Latin and digits at their natural width and never split, lines justified to the
measure, and the line-breaking rules (禁则) of GB/T 15834: no line starts with a closing
punctuation mark or ends with an opening one. The four heading levels of GB/T 9704 (一、 （一）
1. （1）) get their faces here. Pure: widths come from a `Measure` the caller gives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from documents.artifact.fonts import Role

Measure = Callable[[Role, str], float]  # advance of a character in ems
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…—·%‰℃,.;:?!)]}、々〜ー")
NO_LINE_END = frozenset("（《「『【〔〈“‘([{")
HEADINGS = (
    (re.compile(r"^[一二三四五六七八九十百]+、"), Role.HEI, False),
    (re.compile(r"^[（(][一二三四五六七八九十百]+[）)]"), Role.KAI, False),
    (re.compile(r"^\d+[.．](?!\d)"), Role.FANGSONG, True),
    (re.compile(r"^[（(]\d+[）)]"), Role.FANGSONG, False),
)


@dataclass(frozen=True)
class Span:
    """A run of text in one face."""

    text: str
    role: Role = Role.FANGSONG
    bold: bool = False


@dataclass(frozen=True)
class Placed:
    """A character placed on a line: `x` from the line's start, in points."""

    char: str
    x: float
    role: Role
    bold: bool


@dataclass
class Token:
    """What may not be split across lines: one full-width character, or a Latin/digit run."""

    chars: list[tuple[str, float]]  # (character, advance in points)
    role: Role
    bold: bool
    width: float

    @property
    def first(self) -> str:
        return self.chars[0][0]

    @property
    def last(self) -> str:
        return self.chars[-1][0]


@dataclass
class Line:
    """A set line: its characters with their places, and how wide it is."""

    chars: list[Placed] = field(default_factory=list)
    width: float = 0.0

    @property
    def text(self) -> str:
        return "".join(p.char for p in self.chars)


def is_wide(char: str) -> bool:
    """Full-width: takes a whole cell of the grid (汉字 and CJK punctuation)."""
    return unicodedata.east_asian_width(char) in ("W", "F") or char in "…—“”‘’·"


def heading_spans(text: str) -> list[Span]:
    """A paragraph as spans: a heading number and its heading (up to the first 。) in the
    level's face, the rest in 仿宋. Plain paragraphs are one 仿宋 span."""
    for pattern, role, bold in HEADINGS:
        if pattern.match(text):
            stop = text.find("。")
            cut = len(text) if stop < 0 or stop == len(text) - 1 else stop + 1
            head, rest = text[:cut], text[cut:]
            return [Span(head, role, bold), *([Span(rest)] if rest else [])]
    return [Span(text)]


def tokenize(spans: list[Span], *, size: float, cell: float, measure: Measure) -> list[Token]:
    """Tokens of the spans: each wide character one cell, narrow runs kept whole (split only
    after a space)."""
    tokens: list[Token] = []
    for span in spans:
        run: list[tuple[str, float]] = []
        for char in span.text:
            if is_wide(char):
                _flush(tokens, run, span)
                tokens.append(Token([(char, cell)], span.role, span.bold, cell))
                continue
            run.append((char, measure(span.role, char) * size))
            if char == " ":
                _flush(tokens, run, span)
        _flush(tokens, run, span)
    return tokens


def _flush(tokens: list[Token], run: list[tuple[str, float]], span: Span) -> None:
    if run:
        tokens.append(Token(list(run), span.role, span.bold, sum(a for _, a in run)))
        run.clear()


def break_tokens(tokens: list[Token], *, first: float, rest: float,
                 squeeze: float = 0.0) -> list[list[Token]]:
    """Greedy lines, the first at most `first` wide and the others `rest`, with the 禁则: a
    closing mark that does not fit is squeezed in (up to `squeeze` points) or takes the
    character before it along to the next line; an opening mark never ends a line."""
    lines: list[list[Token]] = [[]]
    used, room = 0.0, first
    for token in tokens:
        fits = used + token.width <= room + 1e-6
        squeezed = token.first in NO_LINE_START and used + token.width <= room + squeeze + 1e-6
        if fits or squeezed or not lines[-1]:
            lines[-1].append(token)
            used += token.width
            continue
        carried = _carry(lines[-1], token)
        lines.append(carried)
        used, room = sum(t.width for t in carried), rest
    return [line for line in lines if line]


def _carry(line: list[Token], token: Token) -> list[Token]:
    """What starts the next line: the token, with the one before it when the token may not
    start a line or the one before may not end one (never emptying the line)."""
    carried = [token]
    if len(line) > 1 and (token.first in NO_LINE_START or line[-1].last in NO_LINE_END):
        carried.insert(0, line.pop())
    return carried


def place(tokens: list[Token], *, width: float | None) -> Line:
    """Place a line's tokens; justified to `width` when given (the gaps share what is left,
    or give back what a squeezed mark took)."""
    natural = sum(t.width for t in tokens)
    gaps = len(tokens) - 1
    extra = (width - natural) / gaps if width is not None and gaps > 0 else 0.0
    line, x = Line(), 0.0
    for token in tokens:
        for char, advance in token.chars:
            line.chars.append(Placed(char, x, token.role, token.bold))
            x += advance
        x += extra
    line.width = x - extra if tokens else 0.0
    return line


def set_paragraph(spans: list[Span], *, width: float, size: float, cell: float,
                  measure: Measure, indent: float = 0.0, hang: float = 0.0,
                  justify: bool = True) -> list[Line]:
    """Lines of a paragraph within `width`: the first starting at `indent`, the others at
    `hang`, all but the last justified to the right edge. Characters are placed from the left
    edge of the measure."""
    tokens = tokenize(spans, size=size, cell=cell, measure=measure)
    broken = break_tokens(tokens, first=width - indent, rest=width - hang, squeeze=cell)
    lines = []
    for number, line_tokens in enumerate(broken):
        start = indent if number == 0 else hang
        last = number == len(broken) - 1
        line = place(line_tokens, width=None if last or not justify else width - start)
        lines.append(_shifted(line, start))
    return lines


def _shifted(line: Line, by: float) -> Line:
    if not by:
        return line
    moved = [Placed(p.char, p.x + by, p.role, p.bold) for p in line.chars]
    return Line(moved, line.width + by)


GOOD_BREAK_AFTER = frozenset("的于和与及、，：；")


def _break_cost(text: str, at: int) -> float:
    """How bad a title break before `text[at]` is: inside quotes, between digits or before a
    closing mark is bad; after 的/于/和/与/及 or a pause mark is good (词意完整)."""
    before, after = text[at - 1], text[at]
    if after in NO_LINE_START or before in NO_LINE_END:
        return 100.0
    if text[:at].count("“") > text[:at].count("”") or (before.isdigit() and after.isdigit()):
        return 50.0
    if text.startswith("关于", at):
        return -3.0
    if after in "“《（":
        return -2.0
    return -2.0 if before in GOOD_BREAK_AFTER else 0.0


def balanced_title(text: str, *, per_line: int) -> list[str]:
    """A title in the fewest lines of at most `per_line` characters: lines of near-equal
    length, shorter ones first (梯形), broken where the words allow (词意完整)."""
    text = text.strip()
    count = max(1, -(-len(text) // per_line))
    if count == 1:
        return [text]
    ideal = len(text) / count
    best: dict[tuple[int, int], tuple[float, list[int]]] = {(0, 0): (0.0, [])}
    for line in range(1, count + 1):
        for end in range(1, len(text) + 1):
            if line == count and end != len(text):
                continue
            options = []
            for start in range(max(0, end - per_line), end):
                if (line - 1, start) not in best:
                    continue
                cost, cuts = best[(line - 1, start)]
                length = end - start
                previous = start - (cuts[-2] if len(cuts) > 1 else 0) if cuts else 0
                shape = abs(length - ideal) + (0.3 if previous > length else 0.0)
                brk = _break_cost(text, end) if end < len(text) else 0.0
                options.append((cost + shape + brk, [*cuts, end]))
            if options:
                best[(line, end)] = min(options, key=lambda o: o[0])
    cuts = best[(count, len(text))][1]
    starts = [0, *cuts[:-1]]
    return [text[a:b] for a, b in zip(starts, cuts, strict=True)]
