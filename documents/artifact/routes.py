"""HTTP routes of the issued artifact: the signed PDF (正本), page previews, search in it,
rendering it again, verifying any PDF, the issuers' letterheads and seals, certificates and
the CA's public material."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute

from core.config import Settings
from core.errors import NotFound, UnsupportedMediaType
from core.http import Reply, decode_cursor, encode_cursor, parse_query, read_body, reply, route
from directory.auth import Actor, authenticate
from documents.artifact import previews
from documents.artifact.actions import do_render_document
from documents.artifact.fonts import Face, Role, load_fonts
from documents.artifact.issuer_routes import routes as issuer_routes
from documents.artifact.models import Artifact
from documents.artifact.queries import access_artifact, artifact_public
from documents.artifact.schemas import (
    ArtifactPublic, ImageQuery, PreviewList, PreviewQuery, SearchQuery, SearchReply,
    VerifyReport,
)
from documents.artifact.verification import verify_upload
from documents.policy import CHINA
from documents.routing import DOC, TAG, root, row_id, with_document
from files import naming
from files.models import StoredFile

PDF_TYPES = ("application/pdf", "application/octet-stream")
BINARY = {"type": "string", "format": "binary"}
PDF_REPLY = Reply(media_type="application/pdf", schema=BINARY, description="The signed PDF.",
                  headers={"ETag": "The file's SHA-256, quoted.",
                           "X-Content-SHA256": "The file's SHA-256."})
JPEG_REPLY = Reply(media_type="image/jpeg", schema=BINARY, description="The page, with the "
                   "viewer's watermark (its text is also the JPEG comment).")
NOT_ISSUED = {404: "Not yours to see, or the document has no issued PDF yet (no-issued-pdf)."}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _pdf_path(request: Request, artifact: Artifact) -> tuple[Path, StoredFile]:
    stored = await StoredFile.get(id=artifact.file_id)
    return root(request) / stored.path, stored


async def download_pdf(request: Request) -> Response:
    """The signed PDF, to whoever may see the document or a delivered copy of it."""
    actor = await authenticate(request)
    _, artifact = await access_artifact(actor, row_id(request, "document_id"))
    path, stored = await _pdf_path(request, artifact)
    headers = {"Content-Disposition": naming.content_disposition(stored.name, inline=True),
               "ETag": f'"{artifact.sha256}"', "X-Content-SHA256": artifact.sha256,
               "Cache-Control": "private, max-age=0", "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type="application/pdf", headers=headers)


async def download_ofd(request: Request) -> Response:
    """The same pages as OFD (GB/T 33190), unsigned: the PDF is the signed 正本."""
    actor = await authenticate(request)
    _, artifact = await access_artifact(actor, row_id(request, "document_id"))
    if artifact.ofd_file_id is None:
        raise NotFound("This document was issued without an OFD export.", slug="no-ofd")
    stored = await StoredFile.get(id=artifact.ofd_file_id)
    return FileResponse(root(request) / stored.path, media_type="application/ofd", headers={
        "Content-Disposition": naming.content_disposition(stored.name),
        "X-Content-SHA256": stored.sha256, "X-Content-Type-Options": "nosniff"})


async def render_document(request: Request) -> Response:
    """The unit's desk renders, seals and signs an issued document's PDF when issuing did not
    manage to; refused once it exists."""
    actor, document = await with_document(request)
    artifact = await do_render_document(document, actor=actor, settings=_settings(request),
                                        root=root(request))
    return reply(artifact_public(document.id, artifact), status=201)


async def show_artifact(request: Request) -> Response:
    """Whoever may see the document or a copy delivered of it: pages, SHA-256, certificate
    serial, characters no font had."""
    actor = await authenticate(request)
    document_id = row_id(request, "document_id")
    _, artifact = await access_artifact(actor, document_id)
    return reply(artifact_public(document_id, artifact))


async def list_previews(request: Request) -> Response:
    """Whoever may see the document: each page's preview address and size at a width (480, 720,
    960 or 1280 px), paged."""
    actor = await authenticate(request)
    document_id = row_id(request, "document_id")
    _, artifact = await access_artifact(actor, document_id)
    query = parse_query(request, PreviewQuery)
    width = previews.snap(query.width)
    path, _ = await _pdf_path(request, artifact)
    sizes = await asyncio.to_thread(previews.page_size, path, width)
    start = decode_cursor(query.cursor) or 0
    chosen = sizes[start:start + query.limit]
    items = [{"page": start + i + 1, "width": w, "height": h,
              "url": f"/v1/documents/{document_id}/previews/{start + i + 1}?width={width}"}
             for i, (w, h) in enumerate(chosen)]
    more = start + query.limit < len(sizes)
    return reply({"document_id": document_id, "pages": len(sizes), "sha256": artifact.sha256,
                  "items": items, "next_cursor": encode_cursor(start + query.limit)
                  if more else None})


async def show_preview(request: Request) -> Response:
    """One page as JPEG, watermarked with the viewer's name, unit and the time."""
    actor = await authenticate(request)
    document_id = row_id(request, "document_id")
    _, artifact = await access_artifact(actor, document_id)
    page = row_id(request, "page")
    if not 1 <= page <= artifact.pages:
        raise NotFound("No such page.")
    width = previews.snap(parse_query(request, ImageQuery).width)
    path, _ = await _pdf_path(request, artifact)
    settings = _settings(request)
    text = await _watermark_text(actor)
    face = load_fonts(settings.fonts_dir or settings.data_dir / "fonts").primary(Role.HEI)
    image = await asyncio.to_thread(_watermarked, path, artifact, page, width,
                                    previews.cache_dir(settings.data_dir), text, face)
    return Response(image, media_type="image/jpeg", headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def _watermarked(path: Path, artifact: Artifact, page: int, width: int, cache_root: Path,
                 text: str, face: Face) -> bytes:
    image = previews.page_image(path, sha256=artifact.sha256, page=page, width=width,
                                cache_root=cache_root)
    return previews.watermark(image, text, font_path=face.path, font_index=face.index)


async def _watermark_text(actor: Actor) -> str:
    """Who is looking, where they work, and when (Beijing time)."""
    from directory.models import Position

    units = await Position.filter(person_id=actor.id).order_by("id").values_list(
        "unit__name", flat=True)
    unit = str(units[0]) if units else ""
    when = datetime.now(CHINA).strftime("%Y-%m-%d %H:%M")
    return " ".join(part for part in (actor.person.display_name, unit, when) if part)


async def search_pdf(request: Request) -> Response:
    """Whoever may see the document: where the text occurs in the PDF, with boxes as fractions of
    the page from its top left."""
    actor = await authenticate(request)
    document_id = row_id(request, "document_id")
    _, artifact = await access_artifact(actor, document_id)
    query = parse_query(request, SearchQuery)
    path, _ = await _pdf_path(request, artifact)
    hits = await asyncio.to_thread(previews.search, path, query.q)
    return reply({"document_id": document_id, "q": query.q,
                  "hits": [hit.__dict__ for hit in hits]})


async def verify_document(request: Request) -> Response:
    """Upload a PDF (the raw body, `Content-Type: application/pdf`); anyone signed in."""
    await authenticate(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in PDF_TYPES:
        raise UnsupportedMediaType("Send the PDF as the body, Content-Type: application/pdf.")
    data = await read_body(request, _settings(request).upload_limit_bytes)
    return reply(await verify_upload(data, settings=_settings(request)))


# Before the document routes: `/v1/documents/verify` and `/issuers/…` are not document ids.
routes: list[BaseRoute] = [
    route("/v1/documents/verify", verify_document, "POST", "Verify an issued PDF (验证): its "
          "unit signature, certificate, record and every embedded sign-off decision",
          response=VerifyReport, content={"application/pdf": {"schema": BINARY}},
          errors={413: "The file is larger than the upload limit.",
                  415: "The body is not sent as application/pdf."}, tag=TAG),
    *issuer_routes,
    route(DOC + "/pdf", download_pdf, "GET", "The signed PDF (正本) of an issued document",
          response=PDF_REPLY, errors=NOT_ISSUED, tag=TAG),
    route(DOC + "/ofd", download_ofd, "GET", "The same pages as OFD (GB/T 33190 版式文档), "
          "unsigned", response=Reply(media_type="application/ofd", schema=BINARY,
                                     description="An OFD package (zip)."),
          errors=NOT_ISSUED, tag=TAG),
    route(DOC + "/artifact", show_artifact, "GET", "About the signed PDF: pages, hash, "
          "certificate", response=ArtifactPublic, errors=NOT_ISSUED, tag=TAG),
    route(DOC + "/render", render_document, "POST", "Render, seal and sign the PDF again "
          "after a failed render (出版)", response=ArtifactPublic, status=201,
          errors={403: "Only the unit's document desk (not-a-clerk).",
                  409: "Not issued yet, or already rendered (already-rendered).",
                  422: "The body cannot be read as text within the limits."}, tag=TAG),
    route(DOC + "/previews", list_previews, "GET", "The PDF's pages as images, paged",
          query=PreviewQuery, response=PreviewList, errors=NOT_ISSUED, tag=TAG),
    route(DOC + "/previews/{page}", show_preview, "GET", "One page as an image (JPEG) "
          "watermarked with the viewer's name, unit and the time", query=ImageQuery,
          response=JPEG_REPLY, errors={404: "Not yours to see, no issued PDF, or no such "
                                             "page."}, tag=TAG),
    route(DOC + "/pdf/search", search_pdf, "GET", "Find text in the PDF: pages, snippets and "
          "boxes to highlight", query=SearchQuery, response=SearchReply, errors=NOT_ISSUED,
          tag=TAG),
]
