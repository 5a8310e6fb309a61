"""What every document route starts from: the path ids, the document the actor may see, the
files folder, and the document as a reply."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from core.errors import NotFound
from core.http import path_int, reply
from directory.auth import Actor, authenticate
from documents import queries, shapes
from documents.models import Document
from files.storage import files_root

MAX_ID = 2_147_483_647
TAG = "documents"
DOC = "/v1/documents/{document_id}"


def row_id(request: Request, name: str) -> int:
    """A path id; one past the INTEGER range names no row (404, not a database error)."""
    value = path_int(request, name)
    if value > MAX_ID:
        raise NotFound()
    return value


async def with_document(request: Request) -> tuple[Actor, Document]:
    actor = await authenticate(request)
    return actor, await queries.access_document(actor, row_id(request, "document_id"))


def root(request: Request) -> Path:
    return files_root(request.app.state.settings.data_dir)


async def shown(actor: Actor, document: Document, status: int = 200) -> Response:
    return reply(await shapes.document_public(document, viewer_id=actor.id), status=status)
