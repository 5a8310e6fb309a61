"""拟稿 and 修改: creating a draft and changing it, each change an immutable version.

Files are checked and their text extracted before the transaction; the transaction then moves
the document from the version it was read at (`UPDATE … WHERE version = v`), so two editors
at once cannot both make version v + 1: the second gets 409.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from approvals.actions import do_change_content
from approvals.models import Chain
from core.clock import utcnow
from core.errors import Conflict, Forbidden
from core.idempotency import once, remember
from core.tx import atomic
from directory.auth import Actor
from directory.desks import drafts_for
from directory.models import Person, Unit
from documents.models import Document
from documents.policy import (
    EDITABLE, SUBMITTABLE, Direction, State, check_body, check_elements, conflict, refuse,
)
from documents.queries import grant, require_drafter_or_clerk
from documents.schemas import DocumentCreate, DocumentEdit
from documents.signoff import start_resigning
from documents.text import extract
from documents.versions import (
    DEFAULTS, ELEMENTS, Content, changed_between, current_content, files_for, write_text,
    write_version,
)

RECORD = "document"

DRAFT = "POST /v1/documents"  # the route an Idempotency-Key is remembered under


def plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def given_elements(given: dict[str, Any]) -> dict[str, Any]:
    return {name: plain(value) for name, value in given.items() if name in ELEMENTS}


async def check_references(elements: dict[str, Any]) -> None:
    """主送/抄送 units exist (once each), and the 签发人 is an active person."""
    main, cc = elements["main_units"], elements["cc_units"]
    if len(set(main)) != len(main) or len(set(cc)) != len(cc) or set(main) & set(cc):
        raise refuse("cc_units", "A unit appears twice among 主送 and 抄送.", "duplicate_unit")
    wanted = set(main) | set(cc)
    found = set(await Unit.filter(id__in=wanted).values_list("id", flat=True))
    if wanted - found:
        raise refuse("main_units", f"Unknown units: {sorted(wanted - found)}.", "unknown_unit")
    signer = elements.get("signer_id")
    if signer and not await Person.exists(id=signer, active=True):
        raise refuse("signer_id", f"Unknown person: {signer}.", "unknown_person")


async def check_content(content: Content, before: Content | None = None) -> None:
    """The element rules; a deadline kept from before may have passed since."""
    kept = before is not None and before.elements["deadline"] == content.elements["deadline"]
    check_elements(content.elements, now=utcnow(), new_deadline=not kept)
    await check_references(content.elements)


async def drafting_unit(actor: Actor, unit_id: int) -> Unit:
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise refuse("unit_id", f"Unknown unit: {unit_id}.", "unknown_unit")
    if not await drafts_for(actor.id, unit_id):
        raise Forbidden("You may draft only for a unit you hold a position in, or whose "
                        "desk (办公室) you work in.", slug="not-in-unit")
    return unit


async def do_create_document(*, actor: Actor, draft: DocumentCreate, files_root: Path,
                             idempotency_key: str | None = None) -> Document:
    """拟稿: a new outgoing draft of `draft.unit_id`, version 1.

    Who may: anyone holding a position in that unit or in its desk (routing rule R5); body and attachments must be their own
    uploads. Refused: classified levels, an upward document without 签发人, an urgent one
    without deadline (422). A retry with the same `idempotency_key` returns the first draft.
    Emits nothing: a draft is nobody else's news yet.
    """
    return await once(actor.id, idempotency_key, DRAFT,
                      make=lambda: _create(actor, draft, files_root, idempotency_key),
                      load=lambda earlier: Document.get(id=earlier))


async def _create(actor: Actor, draft: DocumentCreate, files_root: Path,
                  key: str | None) -> Document:
    unit = await drafting_unit(actor, draft.unit_id)
    content = await files_for(actor, draft.given(), None)
    content.elements = {**DEFAULTS, **given_elements(draft.given())}
    await check_content(content)
    return await insert_draft(actor, unit, content, files_root=files_root, key=key, route=DRAFT)


async def insert_draft(actor: Actor, unit: Unit, content: Content, *, files_root: Path,
                       key: str | None, route: str, forwards_id: int | None = None) -> Document:
    """Write a checked draft as version 1 (the files' text extracted first, outside the
    transaction), remembering the Idempotency-Key under `route`."""
    body_text = await extract(files_root, [*filter(None, [content.body]), *content.attachments])
    now = utcnow()
    async with atomic() as work:
        document = await Document.create(
            direction=Direction.OUTGOING.value, state=State.DRAFT.value, unit_id=unit.id,
            issuing_unit_id=unit.id, drafter_id=actor.id, version=1,
            content_sha256=content.sha256(), created_at=now, updated_at=now,
            forwards_id=forwards_id, **content.elements,
        )
        await write_version(document, content, number=1, changed=[], actor_id=actor.id, now=now)
        await grant(document.id, [actor.id], "drafter")
        await remember(actor.id, key, route, document.id)
        await write_text(document, body=body_text, number="")
        work.audit("document.create", RECORD, document.id, title=document.title,
                   doc_type=document.doc_type, unit_id=unit.id, version=1,
                   content_sha256=document.content_sha256,
                   **({"forwards_id": forwards_id} if forwards_id else {}))
    return document


async def do_edit_document(document: Document, *, actor: Actor, edit: DocumentEdit,
                           files_root: Path) -> Document:
    """修改: change elements, body or attachments, making version n + 1 (nothing changed:
    nothing made).

    Who may: the drafter or the unit's desk, until the document is issued (409 after, and on
    an archived one). In review the chain starts again from its first step; after signing
    (复核) it goes back to the signer (重新签发). The approval engine emits its events.
    """
    if document.direction != Direction.OUTGOING or document.state not in EDITABLE:
        raise conflict(document.state, "edited")
    await require_drafter_or_clerk(actor, document, "edit it")
    before = await current_content(document)
    after = await files_for(actor, edit.given(), before)
    after.elements.update(given_elements(edit.given()))
    if document.state not in SUBMITTABLE:  # under sign-off or signed: the body stays
        check_body(after.body.size if after.body else None, "left under sign-off")
    await check_content(after, before)
    changed = changed_between(before, after)
    if not changed:
        return document
    files = [*filter(None, [after.body]), *after.attachments]
    new_files = "body" in changed or "attachments" in changed
    body_text = await extract(files_root, files) if new_files else None
    return await _save_edit(document, actor, after, changed, body_text)


async def _save_edit(document: Document, actor: Actor, content: Content, changed: list[str],
                     body_text: str | None) -> Document:
    now, number, digest = utcnow(), document.version + 1, content.sha256()
    async with atomic() as work:
        moved = await Document.filter(
            id=document.id, version=document.version, state=document.state,
        ).update(version=number, content_sha256=digest, updated_at=now, **content.elements)
        if not moved:
            raise Conflict("The document changed meanwhile; reload it and edit again.",
                           slug="document-changed")
        await document.refresh_from_db()
        await write_version(document, content, number=number, changed=changed,
                            actor_id=actor.id, now=now)
        await write_text(document, body=body_text)
        work.audit("document.edit", RECORD, document.id, version=number, changed=changed,
                   content_sha256=digest, state=document.state)
        await _review_again(document, actor)
    return document


async def _review_again(document: Document, actor: Actor) -> None:
    """A change under review restarts the chain; a change after signing goes back to the
    signer (复核); before submitting nothing more happens."""
    state = State(document.state)
    if state in (State.REVIEWING, State.RESIGNING) and document.chain_id:
        chain = await Chain.get(id=document.chain_id)
        await do_change_content(chain, actor=actor, content_sha256=document.content_sha256)
    elif state is State.SIGNED:
        await start_resigning(document, actor=actor)

