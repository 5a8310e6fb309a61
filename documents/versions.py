"""Versions: the elements, body and attachments of a document, hashed and kept immutable.

`content_sha256` is the SHA-256 of the canonical JSON of every element, and of the body and
attachments by their own SHA-256 (in order), so a signature over it covers the files' bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.jsonutil import canonical, loads
from directory.auth import Actor
from documents.models import Document, DocumentFile, DocumentText, DocumentVersion
from documents.policy import refuse
from files.models import StoredFile
from files.queries import claim_files

ELEMENTS = ("doc_type", "title", "urgency", "secrecy", "deadline", "signer_id", "main_units",
            "cc_units", "written_on", "note", "printed_by", "printed_on", "copies")
DEFAULTS: dict[str, Any] = {
    "urgency": "normal", "secrecy": "none", "deadline": None, "signer_id": None,
    "main_units": [], "cc_units": [], "written_on": None, "note": "", "printed_by": "",
    "printed_on": None, "copies": None,
}


@dataclass
class Content:
    """What one version holds: the elements, the body and the attachments in order."""

    elements: dict[str, Any]
    body: StoredFile | None
    attachments: list[StoredFile]

    @property
    def file_ids(self) -> list[int]:
        return ([self.body.id] if self.body else []) + [f.id for f in self.attachments]

    def sha256(self) -> str:
        return content_hash(self.elements, self.body, self.attachments)


def _file(stored: StoredFile) -> dict[str, Any]:
    return {"id": stored.id, "sha256": stored.sha256, "name": stored.name, "size": stored.size}


def content_document(elements: dict[str, Any], body: StoredFile | None,
                     attachments: list[StoredFile]) -> dict[str, Any]:
    """What `content_sha256` is the hash of (its canonical JSON); issued PDFs embed it."""
    return {"elements": {name: elements.get(name) for name in ELEMENTS},
            "body": _file(body) if body else None,
            "attachments": [_file(f) for f in attachments]}


def content_hash(elements: dict[str, Any], body: StoredFile | None,
                 attachments: list[StoredFile]) -> str:
    whole = content_document(elements, body, attachments)
    return hashlib.sha256(canonical(whole).encode()).hexdigest()


def elements_of(document: Document) -> dict[str, Any]:
    return {name: getattr(document, name) for name in ELEMENTS}


async def current_content(document: Document) -> Content:
    version = await DocumentVersion.get(document_id=document.id, number=document.version)
    ids = ([version.body_file_id] if version.body_file_id else []) + list(version.attachment_ids)
    found = {f.id: f for f in await StoredFile.filter(id__in=ids)}
    body = found.get(version.body_file_id) if version.body_file_id else None
    return Content(elements_of(document), body, [found[i] for i in version.attachment_ids])


async def files_for(actor: Actor, given: dict[str, Any], before: Content | None) -> Content:
    """The body and attachments after an edit: files kept from `before` as they are, new ones
    only from the actor's own uploads (422 otherwise, or when one is listed twice)."""
    body_id = given.get("body_file_id", before.body.id if before and before.body else None)
    kept_attachments = [f.id for f in before.attachments] if before else []
    attachment_ids = list(given.get("attachment_ids", kept_attachments))
    wanted = ([body_id] if body_id else []) + attachment_ids
    if len(set(wanted)) != len(wanted):
        raise refuse("attachment_ids", "A file is listed twice (body and attachments).",
                     "duplicate_file")
    kept = {f.id: f for f in ([before.body] if before and before.body else [])
            + (before.attachments if before else [])}
    new = await claim_files(actor, [i for i in wanted if i not in kept])
    found = kept | {f.id: f for f in new}
    elements = before.elements if before else {}
    return Content(dict(elements), found[body_id] if body_id else None,
                   [found[i] for i in attachment_ids])


def changed_between(before: Content | None, after: Content) -> list[str]:
    """The names of what differs: elements, `body`, `attachments`."""
    if before is None:
        return [*ELEMENTS, "body", "attachments"]
    names = [n for n in ELEMENTS if before.elements.get(n) != after.elements.get(n)]
    if (before.body and before.body.id) != (after.body and after.body.id):
        names.append("body")
    if [f.id for f in before.attachments] != [f.id for f in after.attachments]:
        names.append("attachments")
    return names


async def write_version(document: Document, content: Content, *, number: int,
                        changed: list[str], actor_id: int | None,
                        now: datetime) -> DocumentVersion:
    """Store version `number` and the document's references to its files (in the caller's
    transaction)."""
    version = await DocumentVersion.create(
        document_id=document.id, number=number, content_sha256=content.sha256(),
        elements=canonical_elements(content.elements),
        body_file_id=content.body.id if content.body else None,
        attachment_ids=[f.id for f in content.attachments], changed=changed,
        created_by_id=actor_id, created_at=now,
    )
    rows = [DocumentFile(document_id=document.id, file_id=content.body.id, role="body")] \
        if content.body else []
    rows += [DocumentFile(document_id=document.id, file_id=f.id, role="attachment")
             for f in content.attachments]
    if rows:
        await DocumentFile.bulk_create(rows, ignore_conflicts=True)
    return version


def canonical_elements(elements: dict[str, Any]) -> dict[str, Any]:
    """The elements as stored in a version: JSON values (dates as ISO text)."""
    return dict(loads(canonical({name: elements.get(name) for name in ELEMENTS})))


async def write_text(document: Document, *, body: str | None = None,
                     number: str | None = None) -> None:
    """Keep the search text in step: title, numbers and (when given) the files' text."""
    changes: dict[str, Any] = {"title": document.title, "unit_id": document.unit_id}
    if body is not None:
        changes["body"] = body
    if number is not None:
        changes["number"] = number
    if not await DocumentText.filter(id=document.id).update(**changes):
        await DocumentText.create(**{"id": document.id, "number": "", "body": "", **changes})


def version_public(version: DocumentVersion, people: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return {
        "number": version.number, "content_sha256": version.content_sha256,
        "elements": version.elements, "body_file_id": version.body_file_id,
        "attachment_ids": version.attachment_ids, "changed": version.changed,
        "created_by": people.get(version.created_by_id or 0), "created_at": version.created_at,
    }
