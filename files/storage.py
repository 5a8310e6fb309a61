"""Bytes on disk: a request body streamed to a temporary file while it is hashed and counted.

Nothing here touches the database. Writes and hashing go to a worker thread in blocks of about
a megabyte, so a 50 MiB upload neither blocks the event loop nor holds a transaction open.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.config import private_dir
from core.errors import PayloadTooLarge

BLOCK = 1024 * 1024


@dataclass
class Received:
    """A completely received body, kept in a temporary file until it is filed."""

    temp_path: Path
    sha256: str
    size: int


def files_root(data_dir: Path) -> Path:
    return data_dir / "files"


def refuse_declared(declared: str | None, limit: int) -> None:
    """413 at once when the declared `Content-Length` is already past the limit."""
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The file is larger than {limit} bytes.")


async def receive(chunks: AsyncIterator[bytes], *, root: Path, limit: int) -> Received:
    """Stream `chunks` into a temporary file under `root`; 413 (file removed) past `limit`."""
    temp_dir = root / "tmp"
    await asyncio.to_thread(private_dir, temp_dir)
    temp_path = temp_dir / f"{uuid.uuid4().hex}.part"
    try:
        return await _write_all(chunks, temp_path, limit)
    except BaseException:
        await discard(temp_path)
        raise


async def _write_all(chunks: AsyncIterator[bytes], temp_path: Path, limit: int) -> Received:
    digest, size, pending = hashlib.sha256(), 0, bytearray()
    handle = await asyncio.to_thread(_open_private, temp_path)
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"The file is larger than {limit} bytes.")
            pending += chunk
            if len(pending) >= BLOCK:
                await asyncio.to_thread(_write_block, handle, digest, bytes(pending))
                pending.clear()
        await asyncio.to_thread(_write_block, handle, digest, bytes(pending))
    finally:
        await asyncio.to_thread(handle.close)
    return Received(temp_path, digest.hexdigest(), size)


def _open_private(path: Path) -> BinaryIO:
    """A new file only the server's user may read (0600), whatever the umask."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _write_block(handle: BinaryIO, digest: hashlib._Hash, block: bytes) -> None:
    digest.update(block)
    handle.write(block)


async def file_away(received: Received, *, root: Path) -> str:
    """Move a received body to its final place; returns the path relative to `root`."""
    relative = f"{received.sha256[:2]}/{uuid.uuid4().hex}"
    target = root / relative
    await asyncio.to_thread(_move, received.temp_path, target)
    return relative


def _move(source: Path, target: Path) -> None:
    private_dir(target.parent)
    os.replace(source, target)


async def discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        await asyncio.to_thread(path.unlink)
