"""转发 (forwarding): a received document sent on to subordinate units.

The receiving unit's desk makes a new outgoing draft of its own that carries the original: the
original's files — its body, its attachments and whatever else the original references, such
as the sender's issued PDF — become the new document's attachments, after its own, so the
sign-off covers them and every unit it reaches can download them. The draft records which
document it forwards; its number is the original's only in the title, the new one gets its own
number, sign-off and distribution like any other (`signoff`, `sending`). A receiving unit sees
both: the 转发 notice, and the original's title, number and issuing unit with its files.

Rules: only a signed-for incoming record (not one returned to its sender) is forwarded, by the
desk of the unit that received it (`directory.routing` R2), to units within its reach (R4:
its departments and subordinate governments), never to itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

from core.clock import utcnow
from core.errors import Forbidden
from core.idempotency import once
from directory.auth import Actor
from directory.desks import handling_paths
from directory.models import Unit
from directory.routing import within
from documents.drafting import check_content, insert_draft
from documents.models import Document, DocumentFile
from documents.policy import Direction, State, conflict, refuse
from documents.queries import is_clerk
from documents.schemas import ForwardIn
from documents.versions import DEFAULTS, Content, current_content
from files.actions import do_upload_file
from files.models import StoredFile
from files.queries import claim_files

FORWARD = "POST /v1/documents/{id}/forward"  # the route an Idempotency-Key is remembered under
FORWARDABLE = (State.RECEIVED, State.REGISTERED, State.REVIEWED, State.PROPOSED,
               State.INSTRUCTED, State.HANDLING, State.DONE, State.ARCHIVED)
# Files of these roles travel only as the current version has them (earlier drafts' bodies
# stay behind), and answers (答复) never: what else a document references travels whole.
VERSIONED_ROLES = ("body", "attachment", "answer")


def forward_title(original: Document) -> str:
    """关于转发《…》的通知, with the original's number when it has one."""
    number = f"（{original.doc_number}）" if original.doc_number else ""
    return f"关于转发《{original.title}》{number}的通知"[:200]


async def carried_files(original: Document) -> list[StoredFile]:
    """The original's files in order: its current body and attachments, then anything else it
    or its sender's document references (an issued PDF…); never an earlier draft's files nor
    the answers to it."""
    content = await current_content(original)
    ordered = [*filter(None, [content.body]), *content.attachments]
    rows = cast(list[int], await DocumentFile.filter(
        document_id__in=[original.id, *filter(None, [original.source_id])],
    ).exclude(role__in=VERSIONED_ROLES).order_by("id").values_list("file_id", flat=True))
    have = {f.id for f in ordered}
    extra = [i for i in dict.fromkeys(rows) if i not in have]
    found = {f.id: f for f in await StoredFile.filter(id__in=extra)} if extra else {}
    return [*ordered, *(found[i] for i in extra if i in found)]


async def check_forward(original: Document, actor: Actor, units: list[int]) -> None:
    if original.direction != Direction.INCOMING or original.state not in FORWARDABLE:
        raise conflict(original.state, "forwarded (转发)")
    if not await is_clerk(actor.id, original.unit_id):
        raise Forbidden("Only the document desk of the receiving unit may forward it.",
                        slug="not-a-clerk")
    scope = await handling_paths(original.unit_id)
    found = dict(await Unit.filter(id__in=units).values_list("id", "path"))
    outside = sorted(u for u in units if u == original.unit_id
                     or not within(str(found.get(u, "")), scope) or u not in found)
    if outside:
        raise refuse("main_units", f"Forward to units under the receiving unit: not {outside}.",
                     "unit_outside")


async def do_forward_document(original: Document, *, actor: Actor, request: ForwardIn,
                              files_root: Path, upload_limit: int,
                              idempotency_key: str | None = None) -> Document:
    """转发: a new outgoing draft of the receiving unit carrying `original` (rules in the
    module docstring). Its own words come as `text` (stored as its body) or an uploaded
    `body_file_id`. Emits nothing: a draft is nobody else's news yet. A retry with the same
    `idempotency_key` returns the first draft."""
    await check_forward(original, actor, [*request.main_units, *request.cc_units])

    async def make() -> Document:
        elements = _elements(original, request)
        await check_content(Content(elements, None, []))  # before anything is stored
        content = await _content(original, actor, request, elements, files_root, upload_limit)
        unit = await Unit.get(id=original.unit_id)
        return await insert_draft(actor, unit, content, files_root=files_root,
                                  key=idempotency_key, route=FORWARD, forwards_id=original.id)

    return await once(actor.id, idempotency_key, FORWARD, make=make,
                      load=lambda earlier: Document.get(id=earlier))


async def _content(original: Document, actor: Actor, request: ForwardIn,
                   elements: dict[str, Any], root: Path, limit: int) -> Content:
    own = await claim_files(actor, request.attachment_ids)
    carried = [f for f in await carried_files(original) if f.id not in {g.id for g in own}]
    return Content(elements, await _body(actor, request, root, limit), [*own, *carried])


def _elements(original: Document, request: ForwardIn) -> dict[str, Any]:
    """The forward's elements: its own, else the original's urgency, secrecy and deadline
    (the deadline only while it lies ahead)."""
    kept_deadline = original.deadline if original.deadline and original.deadline > utcnow() \
        else None
    return {
        **DEFAULTS, "doc_type": request.doc_type.value,
        "title": request.title or forward_title(original),
        "urgency": request.urgency.value if request.urgency else original.urgency,
        "secrecy": original.secrecy, "deadline": request.deadline or kept_deadline,
        "signer_id": request.signer_id,
        "main_units": list(request.main_units), "cc_units": list(request.cc_units),
        "note": request.note,
    }


async def _body(actor: Actor, request: ForwardIn, root: Path, limit: int) -> StoredFile | None:
    if request.body_file_id is not None:
        [body] = await claim_files(actor, [request.body_file_id])
        return body
    if not request.text:
        return None
    return await do_upload_file(_one(request.text.encode()), actor=actor, root=root,
                                limit=limit, name="转发正文.txt",
                                content_type="text/plain; charset=utf-8")


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data
