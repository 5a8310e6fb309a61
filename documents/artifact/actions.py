"""Producing the issued artifact: render, seal and sign the PDF, then record it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from tortoise.exceptions import IntegrityError

from core.clock import utcnow
from core.config import Settings
from core.errors import ApiError, Conflict, Unprocessable
from core.tx import atomic
from directory.auth import Actor
from directory.models import Unit
from documents.artifact.certificates import signing_material
from documents.artifact.issuers import profile_of
from documents.artifact.models import Artifact
from documents.artifact.render import Job, Rendered, decisions_of, render
from documents.artifact.sources import load_record, read_texts
from documents.events import notify, owners
from documents.models import Document, DocumentFile
from documents.policy import Direction, State, conflict
from documents.queries import require_clerk
from documents.versions import current_content
from files import storage
from files.models import StoredFile

log = logging.getLogger(__name__)
RECORD = "document"
RENDERABLE = (State.ISSUED, State.DISTRIBUTED, State.ARCHIVED)
OFD_TYPE = "application/ofd"


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _job(document: Document, *, settings: Settings, root: Path) -> Job:
    """Everything the render needs, read before it starts (no transaction held)."""
    content = await current_content(document)
    if content.sha256() != document.signed_sha256:
        raise Conflict("The current version is not the signed one.", slug="not-signed")
    unit = await Unit.get(id=document.issuing_unit_id)
    profile = await profile_of(unit)
    seal = None
    if profile.seal_file_id:
        stored = await StoredFile.get(id=profile.seal_file_id)
        seal = await asyncio.to_thread((root / stored.path).read_bytes)
    texts = await read_texts([*filter(None, [content.body]), *content.attachments], root)
    if content.body and isinstance(texts.get(content.body.id), str):
        raise Unprocessable(f"The body cannot be set as text: {texts[content.body.id]}.",
                            slug="body-unreadable")
    return Job(record=await load_record(document, content, profile), texts=texts,
               fonts_dir=settings.fonts_dir or settings.data_dir / "fonts", seal=seal,
               decisions=await decisions_of(document),
               material=await signing_material(unit, settings), when=utcnow(),
               glyph_cache=settings.data_dir / "cache" / "fonts")


async def do_render_document(document: Document, *, actor: Actor, settings: Settings,
                             root: Path) -> Artifact:
    """The 正本 of an issued document: rendered per GB/T 9704, pressed with the unit's seal,
    PAdES-signed by the unit's certificate, the sign-off decisions embedded; stored as a file
    of the document. Rendering and signing happen before the short transaction that records
    it. Who may: the unit's desk (issuing does it at once; this retries a failed render).
    Emits `document.rendered` to the drafter and the desk."""
    if document.direction != Direction.OUTGOING or document.state not in RENDERABLE:
        raise conflict(document.state, "rendered")
    await require_clerk(actor, document, "render it")
    if await Artifact.exists(document_id=document.id):
        raise Conflict("The document's PDF has already been issued.", slug="already-rendered")
    job = await _job(document, settings=settings, root=root)
    rendered = await render(job)
    return await _store(document, rendered, serial=job.material.serial, actor=actor, root=root)


async def _file(data: bytes, root: Path) -> tuple[storage.Received, str]:
    received = await storage.receive(_one(data), root=root, limit=len(data))
    return received, await storage.file_away(received, root=root)


async def _store(document: Document, rendered: Rendered, *, serial: str, actor: Actor,
                 root: Path) -> Artifact:
    pdf, pdf_path = await _file(rendered.data, root)
    ofd, ofd_path = await _file(rendered.ofd, root)
    name = f"{document.doc_number or document.id} {document.title}"[:200]
    try:
        async with atomic() as work:
            stored = await StoredFile.create(
                owner_id=actor.id, name=name + ".pdf", content_type="application/pdf",
                size=pdf.size, sha256=pdf.sha256, path=pdf_path)
            exported = await StoredFile.create(
                owner_id=actor.id, name=name + ".ofd", content_type=OFD_TYPE, size=ofd.size,
                sha256=ofd.sha256, path=ofd_path)
            # The PDF is one of the document's files (转发 carries it); the OFD export is
            # reached through the artifact only, so it never travels as a second original.
            await DocumentFile.create(document_id=document.id, file_id=stored.id, role="issued")
            artifact = await Artifact.create(
                document_id=document.id, file_id=stored.id, ofd_file_id=exported.id,
                sha256=pdf.sha256, size=pdf.size, pages=rendered.pages,
                version=document.version, content_sha256=document.content_sha256,
                certificate_serial=serial, missing=rendered.missing, fonts=rendered.fonts,
                render_ms=rendered.millis, created_by_id=actor.id, created_at=utcnow())
            work.audit("document.render", RECORD, document.id, file_id=stored.id,
                       sha256=pdf.sha256, ofd_file_id=exported.id, pages=rendered.pages,
                       missing=rendered.missing)
            notify(work, "rendered", document, await owners(document), by=actor.id,
                   file_id=stored.id, pages=rendered.pages, sha256=pdf.sha256)
    except IntegrityError as exc:
        await _discard(root, pdf_path, ofd_path)
        raise Conflict("The PDF was issued by someone else at the same moment.",
                       slug="already-rendered") from exc
    except BaseException:
        await _discard(root, pdf_path, ofd_path)
        raise
    if rendered.missing:
        log.warning("document %s: no font has %s (drawn as 〓)", document.id, rendered.missing)
    return artifact


async def _discard(root: Path, *paths: str) -> None:
    for path in paths:
        await storage.discard(root / path)


async def ensure_artifact(document: Document, *, actor: Actor, settings: Settings,
                          root: Path) -> Artifact:
    """The document's artifact, rendered now if issuing did not manage to (before it is
    distributed: recipients get the signed PDF as the 正本)."""
    found = await Artifact.get_or_none(document_id=document.id)
    if found is not None or document.direction != Direction.OUTGOING:
        return found  # type: ignore[return-value]
    try:
        return await do_render_document(document, actor=actor, settings=settings, root=root)
    except Conflict as exc:  # issuing's own render finished first: that PDF is the one
        if exc.slug != "already-rendered":
            raise
    return await Artifact.get(document_id=document.id)


async def render_after_issue(document: Document, *, actor: Actor, settings: Settings,
                             root: Path) -> dict[str, object] | None:
    """Render right after numbering. The number stands even if rendering fails: the problem
    is returned for the reply (and logged), and `POST …/render` retries."""
    try:
        await do_render_document(document, actor=actor, settings=settings, root=root)
    except ApiError as problem:
        log.warning("document %s issued but not rendered: %s", document.id, problem.detail)
        return problem.problem()
    return None
