"""The words of an issued document, gathered from its record for the layout: names of units
and people, dates in Arabic numerals, the body's paragraphs (.docx, text or HTML), each
attachment's title and text. Files are read within `files.bounded`'s limits before the
render starts; an attachment past them is carried beside the document, a body past them
refuses the render (422).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from directory.models import Person, Unit
from documents.artifact.layout import Attachment, Manuscript, Signatory
from documents.artifact.models import IssuerProfile
from documents.models import Document
from documents.policy import CHINA, UPWARD, DocType, Secrecy, URGENCY_LABELS, Urgency
from documents.text import file_text, pdf_text, reader_for
from files.bounded import ParseRefused
from documents.versions import Content
from files.models import StoredFile

MAX_SOURCE_BYTES = 20 * 1024 * 1024
MAX_PARAGRAPHS = 5000
MAX_CHARS = 300_000
INDENT = re.compile(r"^[\s\u3000\ufeff]+")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


Texts = dict[int, "list[str] | None | str"]  # file id → paragraphs, None (not text), refusal


def chinese_date(day: date) -> str:
    """成文日期 as GB/T 9704 writes it: 2026年1月5日 (full year, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def paragraphs(text: str) -> list[str]:
    """Paragraphs of extracted text: indentation, control characters and blank lines dropped
    (the layout indents and spaces them itself)."""
    text = CONTROL.sub("", text.replace("\t", "\u3000"))[:MAX_CHARS]
    lines = (INDENT.sub("", line).rstrip() for line in text.splitlines())
    return [line for line in lines if line][:MAX_PARAGRAPHS]


async def read_texts(files: list[StoredFile], root: Path) -> Texts:
    """The paragraphs of each text-like file (.docx, text, HTML), read within the bounds of
    `files.bounded` (the archive checked while it inflates, the parse in the worker process).
    A PDF or anything else is None: it keeps its own layout and travels beside the document.
    A file over the limits is its refusal's text; a damaged one has no paragraphs."""
    texts: Texts = {}
    for stored in files:
        read = reader_for(stored.name, stored.content_type)
        if read is None or read is pdf_text:
            texts[stored.id] = None
        elif stored.size > MAX_SOURCE_BYTES:
            texts[stored.id] = f"larger than {MAX_SOURCE_BYTES // 2**20} MiB"
        else:
            try:
                text = await file_text(root / stored.path, stored.name, stored.content_type,
                                       stored.size)
            except ParseRefused as refused:
                texts[stored.id] = refused.detail or "over the parsing limits"
                continue
            texts[stored.id] = paragraphs(text)
    return texts


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


def manuscript(record: Record, texts: Texts) -> Manuscript:
    """The manuscript of the record, with the texts read from its files (`read_texts`)."""
    document, profile, unit = record.document, record.profile, record.unit
    body = record.content.body
    found = texts.get(body.id) if body else None
    lines = found if isinstance(found, list) else []
    while lines and lines[0].replace(" ", "") == document.title.replace(" ", ""):
        lines = lines[1:]  # a body that repeats its title
    issued = _issued_day(document)
    urgency = Urgency(document.urgency)
    return Manuscript(
        title=document.title, marks=[profile.mark or unit.name],
        mark_suffix=profile.mark_suffix, number=document.doc_number or "",
        signers=[record.signer] if record.signer and DocType(document.doc_type) in UPWARD
        else [],
        secrecy="内部" if document.secrecy == Secrecy.INTERNAL else "",
        urgency="" if urgency is Urgency.NORMAL else URGENCY_LABELS[urgency],
        main_to="，".join(record.main_names), body=lines,
        attachments=[_attachment(f, texts.get(f.id)) for f in record.content.attachments],
        signatories=[Signatory(profile.signature or unit.name,
                               profile.seal_mm if profile.seal_file_id else None)],
        date=chinese_date(document.written_on or issued), note=document.note,
        cc="，".join(record.cc_names), printed_by=document.printed_by or unit.name,
        printed_on=chinese_date(document.printed_on or issued),
    )


def _attachment(stored: StoredFile, text: list[str] | None | str) -> Attachment:
    title = title_of(stored.name)
    if isinstance(text, str):
        return Attachment(title, None, f"本附件（{stored.name}）随文另附：{text}。")
    if text is None:
        size = f"{stored.size / 1024:.0f} KB" if stored.size < 2**20 else \
            f"{stored.size / 2**20:.1f} MB"
        return Attachment(title, None, f"本附件为电子文件《{stored.name}》（{size}，SHA-256 "
                                       f"{stored.sha256[:16]}…），随文另附。")
    if text and text[0] == title:
        text = text[1:]
    return Attachment(title, text)
