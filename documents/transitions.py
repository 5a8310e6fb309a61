"""The one way a document changes state: a conditional update from the states it may leave."""

from __future__ import annotations

from core.clock import utcnow
from core.errors import Conflict
from documents.models import Document
from documents.policy import State


async def move_state(document: Document, sources: tuple[State, ...], target: State, *,
                     version: int | None = None, **changes: object) -> None:
    """`UPDATE … WHERE state IN (sources) [AND version = v]`: 409 when another request moved
    (or edited) it first."""
    rows = Document.filter(id=document.id, state__in=[s.value for s in sources])
    if version is not None:
        rows = rows.filter(version=version)
    moved = await rows.update(state=target.value, updated_at=utcnow(), **changes)
    if not moved:
        raise Conflict("The document changed meanwhile; reload it.", slug="document-changed")
    await document.refresh_from_db()
