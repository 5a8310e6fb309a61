"""Text for search, extracted from a document's files: plain text, HTML, DOCX (python-docx) and
PDF (pypdf). It runs before the transaction that stores it, never inside one. DOCX and PDF are
read within bounds (`files.bounded`: the archive checked while it inflates, the parse in a
worker process with a memory and time limit), and a file that passes a limit is refused (422,
`file-over-limit`); any other file it cannot read contributes no text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from pathlib import Path

from files.bounded import ParseRefused, ParserLimit, check_zip, parse_bounded
from files.models import StoredFile

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 30 * 1024 * 1024  # larger files are not read for search
MAX_CHARS = 200_000  # text kept per document
MAX_TEXT_BYTES = 8 * 1024 * 1024  # read of a text or HTML file: far more than MAX_CHARS needs
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "noscript"})


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.parts.append(data.strip())


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, the encodings Chinese text files come in."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def head_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(MAX_TEXT_BYTES)


def html_text(path: Path) -> str:
    parser = _HtmlText()
    parser.feed(decode(head_bytes(path)))
    parser.close()
    return "\n".join(parser.parts)


def docx_text(path: Path) -> str:
    import docx  # python-docx, imported when a .docx first needs reading

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells if cell.text.strip())
    return "\n".join(parts)


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except LimitReachedError as exc:  # pypdf's own bounds (inflated streams, tokens)
        raise ParserLimit("pdf_reader_limit", f"The PDF passes a limit of its reader: {exc}") \
            from exc


def plain_text(path: Path) -> str:
    return decode(head_bytes(path))


BOUNDED = frozenset({docx_text, pdf_text})  # parsed in the worker process, within limits


def reader_for(name: str, content_type: str) -> Callable[[Path], str] | None:
    """Which extractor reads this file, by media type, else by file name."""
    lowered = name.lower()
    if content_type == DOCX or lowered.endswith(".docx"):
        return docx_text
    if content_type == "application/pdf" or lowered.endswith(".pdf"):
        return pdf_text
    if content_type in ("text/html", "application/xhtml+xml") or lowered.endswith((".html",
                                                                                  ".htm")):
        return html_text
    if content_type.startswith("text/") or lowered.endswith((".txt", ".md", ".csv")):
        return plain_text
    return None


async def file_text(path: Path, name: str, content_type: str, size: int) -> str:
    read = reader_for(name, content_type)
    if read is None or size > MAX_FILE_BYTES:
        return ""
    try:
        if read is docx_text:
            await asyncio.to_thread(check_zip, path)
        if read in BOUNDED:
            return await parse_bounded(read, path)
        return await asyncio.to_thread(read, path)
    except ParseRefused:
        raise
    except Exception:  # a damaged upload must not stop the document
        log.warning("could not extract text from %s (%s)", name, content_type, exc_info=True)
        return ""


async def extract(root: Path, files: Sequence[StoredFile]) -> str:
    """The text of the files, in order, at most MAX_CHARS; ParseRefused (422) for a bomb."""
    parts: list[str] = []
    for stored in files:
        parts.append(await file_text(root / stored.path, stored.name, stored.content_type,
                                     stored.size))
        if sum(len(part) for part in parts) >= MAX_CHARS:
            break
    return "\n".join(part for part in parts if part)[:MAX_CHARS]
