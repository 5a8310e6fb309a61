"""The words of an issued document, gathered from its record for the layout: names of units
and people, dates in Arabic numerals, the body's paragraphs (.docx, text or HTML), each
attachment's title and text. Reading files is bounded: a body or attachment past the limits
is not set as text (a .docx whose parts inflate past 64 MiB is refused as a bomb).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from directory.models import Person, Unit
from documents.artifact.layout import Attachment, Manuscript, Signatory
from documents.artifact.models import IssuerProfile
from documents.models import Document
from documents.policy import CHINA, UPWARD, DocType, Secrecy, URGENCY_LABELS, Urgency
from documents.text import DOCX, pdf_text, reader_for
from documents.versions import Content
from files.models import StoredFile

MAX_SOURCE_BYTES = 20 * 1024 * 1024
MAX_INFLATED = 64 * 1024 * 1024
MAX_PARAGRAPHS = 5000
MAX_CHARS = 300_000
INDENT = re.compile(r"^[\s\u3000\ufeff]+")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class SourceRefused(ValueError):
    """A body or attachment that may not be parsed (too large, a decompression bomb)."""


def chinese_date(day: date) -> str:
    """成文日期 as GB/T 9704 writes it: 2026年1月5日 (full year, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _bounded(path: Path, name: str, content_type: str) -> None:
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise SourceRefused(f"{name} is larger than {MAX_SOURCE_BYTES // 2**20} MiB.")
    if content_type == DOCX or name.lower().endswith(".docx"):
        try:
            with zipfile.ZipFile(path) as archive:
                infos = archive.infolist()
        except zipfile.BadZipFile as exc:
            raise SourceRefused(f"{name} is not a readable .docx.") from exc
        if len(infos) > 2000 or sum(i.file_size for i in infos) > MAX_INFLATED:
            raise SourceRefused(f"{name} inflates past the limits of a document.")


def paragraphs_of(path: Path, name: str, content_type: str) -> list[str] | None:
    """The paragraphs of a text-like file (indentation and blank lines dropped); None when the
    file is not text (an image, a spreadsheet) and travels beside the document instead."""
    read = reader_for(name, content_type)
    if read is None or read is pdf_text:  # a PDF keeps its own layout: carried, not re-set
        return None
    _bounded(path, name, content_type)
    text = CONTROL.sub("", read(path).replace("\t", "\u3000"))[:MAX_CHARS]
    lines = (INDENT.sub("", line).rstrip() for line in text.splitlines())
    return [line for line in lines if line][:MAX_PARAGRAPHS]


def title_of(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem.strip() or name


@dataclass
class Record:
    """What the database says, loaded before any parsing (see `actions`)."""

    document: Document
    content: Content
    unit: Unit
    profile: IssuerProfile
    main_names: list[str]
    cc_names: list[str]
    signer: str | None


async def load_record(document: Document, content: Content, profile: IssuerProfile) -> Record:
    unit = await Unit.get(id=document.issuing_unit_id)
    ids = [*document.main_units, *document.cc_units]
    names = dict(await Unit.filter(id__in=ids).values_list("id", "name"))
    signer_id = document.signed_by_id or document.signer_id
    signer = await Person.get_or_none(id=signer_id) if signer_id else None
    return Record(document, content, unit, profile,
                  [str(names[u]) for u in document.main_units if u in names],
                  [str(names[u]) for u in document.cc_units if u in names],
                  signer.display_name if signer else None)


def _issued_day(document: Document) -> date:
    moment = document.issued_at or datetime.now(CHINA)
    return moment.astimezone(CHINA).date()


def manuscript(record: Record, root: Path) -> Manuscript:
    """The manuscript of the record (blocking: it reads the body and attachments)."""
    document, profile, unit = record.document, record.profile, record.unit
    body = record.content.body
    paragraphs = paragraphs_of(root / body.path, body.name, body.content_type) if body else []
    paragraphs = paragraphs or []
    while paragraphs and paragraphs[0].replace(" ", "") == document.title.replace(" ", ""):
        paragraphs = paragraphs[1:]  # a body that repeats its title
    issued = _issued_day(document)
    urgency = Urgency(document.urgency)
    return Manuscript(
        title=document.title, marks=[profile.mark or unit.name],
        mark_suffix=profile.mark_suffix, number=document.doc_number or "",
        signers=[record.signer] if record.signer and DocType(document.doc_type) in UPWARD
        else [],
        secrecy="内部" if document.secrecy == Secrecy.INTERNAL else "",
        urgency="" if urgency is Urgency.NORMAL else URGENCY_LABELS[urgency],
        main_to="，".join(record.main_names), body=paragraphs,
        attachments=[_attachment(f, root) for f in record.content.attachments],
        signatories=[Signatory(profile.signature or unit.name,
                               profile.seal_mm if profile.seal_file_id else None)],
        date=chinese_date(document.written_on or issued), note=document.note,
        cc="，".join(record.cc_names), printed_by=document.printed_by or unit.name,
        printed_on=chinese_date(document.printed_on or issued),
    )


def _attachment(stored: StoredFile, root: Path) -> Attachment:
    title = title_of(stored.name)
    try:
        paragraphs = paragraphs_of(root / stored.path, stored.name, stored.content_type)
    except SourceRefused as refused:
        return Attachment(title, None, f"本附件（{stored.name}）随文另附。{refused}")
    if paragraphs is None:
        size = f"{stored.size / 1024:.0f} KB" if stored.size < 2**20 else \
            f"{stored.size / 2**20:.1f} MB"
        return Attachment(title, None, f"本附件为电子文件《{stored.name}》（{size}，SHA-256 "
                                       f"{stored.sha256[:16]}…），随文另附。")
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    return Attachment(title, paragraphs)
