"""Who may see an issued PDF and its previews: whoever may see the document, and for a
delivered copy (收文) whoever may see that incoming record; everyone else gets 404."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from directory.auth import Actor
from documents.artifact.models import Artifact
from documents.models import Document
from documents.policy import Direction
from documents.queries import access_document, may_see

PDF_PATH = "/v1/documents/{}/pdf"


async def source_of(document: Document) -> Document:
    """The outgoing document whose artifact this record shows (itself, or what was sent)."""
    if document.direction == Direction.INCOMING and document.source_id:
        return await Document.get(id=document.source_id)
    return document


async def artifact_of(document: Document) -> Artifact | None:
    return await Artifact.get_or_none(document_id=(await source_of(document)).id)


async def access_artifact(actor: Actor, document_id: int) -> tuple[Document, Artifact]:
    """The document as the actor sees it and its signed PDF; 404 when either is missing or
    not theirs to see."""
    document = await access_document(actor, document_id)
    artifact = await artifact_of(document)
    if artifact is None:
        raise NotFound("The document has no issued PDF (正本) yet.", slug="no-issued-pdf")
    return document, artifact


async def may_download_issued(person_id: int, file_id: int) -> bool:
    """The files package asks this: is the file an issued PDF the person may read, through the
    document or a copy delivered to them?"""
    artifact = await Artifact.get_or_none(file_id=file_id) or \
        await Artifact.get_or_none(ofd_file_id=file_id)
    if artifact is None:
        return False
    records = [*await Document.filter(id=artifact.document_id),
               *await Document.filter(source_id=artifact.document_id)]
    for record in records:
        if await may_see(person_id, record):
            return True
    return False


def artifact_public(document_id: int, artifact: Artifact) -> dict[str, Any]:
    """The artifact as a document's reader sees it, with where to fetch it."""
    base = PDF_PATH.format(document_id)
    return {
        "file_id": artifact.file_id, "sha256": artifact.sha256, "size": artifact.size,
        "pages": artifact.pages, "version": artifact.version,
        "content_sha256": artifact.content_sha256,
        "certificate_serial": artifact.certificate_serial, "missing_glyphs": artifact.missing,
        "rendered_at": artifact.created_at, "pdf_url": base, "ofd_file_id": artifact.ofd_file_id,
        "ofd_url": f"/v1/documents/{document_id}/ofd" if artifact.ofd_file_id else None,
        "previews_url": f"/v1/documents/{document_id}/previews",
    }
