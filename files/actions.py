"""Every change to files: storing an upload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from core.tx import atomic
from directory.auth import Actor
from files import storage
from files.models import StoredFile


async def do_upload_file(
    chunks: AsyncIterator[bytes], *, actor: Actor, root: Path, limit: int, name: str,
    content_type: str,
) -> StoredFile:
    """Store an upload (快传) of any signed-in person; only they may read it until referenced.

    The body is written and hashed first, outside any transaction; then one short transaction
    records the row and its audit entry. A body past `limit` is refused (413) and removed, as
    is the file if the row cannot be written. Emits nothing: the file is nobody else's news.
    """
    received = await storage.receive(chunks, root=root, limit=limit)
    relative = await storage.file_away(received, root=root)
    try:
        async with atomic() as work:
            stored = await StoredFile.create(
                owner_id=actor.id, name=name, content_type=content_type, size=received.size,
                sha256=received.sha256, path=relative,
            )
            work.audit("file.upload", "file", stored.id, name=name, size=received.size,
                       sha256=received.sha256)
    except BaseException:
        await storage.discard(root / relative)
        raise
    return stored
