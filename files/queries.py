"""Permission-checked reads of files, and claiming one's own uploads for a record."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound, Unprocessable, field_error
from directory.auth import Actor
from files.access import may_read
from files.models import StoredFile


async def access_file(actor: Actor, file_id: int) -> StoredFile:
    """The file if the actor may read it; 404 both when it is missing and when it is not theirs."""
    stored = await StoredFile.get_or_none(id=file_id)
    if stored is None or not await may_read(actor.id, file_id):
        raise NotFound("No such file.")
    return stored


async def claim_files(actor: Actor, file_ids: list[int]) -> list[StoredFile]:
    """The actor's own uploads, in the order given, to attach to a record.

    422 on `file_ids` if an id is repeated, unknown, or was uploaded by someone else: you can
    only attach what you uploaded yourself (others' files you reach by referencing their record).
    """
    if len(set(file_ids)) != len(file_ids):
        raise _refused("the same file is listed twice", "duplicate_file")
    found = {f.id: f for f in await StoredFile.filter(id__in=file_ids, owner_id=actor.id)}
    missing = [file_id for file_id in file_ids if file_id not in found]
    if missing:
        raise _refused(f"unknown files or not uploaded by you: {missing}", "unknown_file")
    return [found[file_id] for file_id in file_ids]


def _refused(msg: str, kind: str) -> Unprocessable:
    return Unprocessable("Some files cannot be attached.",
                         errors=[field_error(["file_ids"], msg, kind)])


def file_public(stored: StoredFile) -> dict[str, Any]:
    return {
        "id": stored.id, "name": stored.name, "content_type": stored.content_type,
        "size": stored.size, "sha256": stored.sha256, "created_at": stored.created_at,
    }
