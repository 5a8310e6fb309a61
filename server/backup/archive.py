"""Writing the archive and reading it back, one pass each, hashing the bytes as they go by."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from server.backup.datafolder import DEFAULT_EXCLUDES, data_files
from server.backup.manifest import (
    DATA_PREFIX,
    DATABASE_PREFIX,
    MANIFEST_NAME,
    ROOT,
    Damaged,
    Entry,
    Manifest,
)
from server.backup.snapshot import describe_sqlite, snapshot_sqlite, sqlite_path

BLOCK = 1024 * 1024
DATABASE_MEMBER = f"{DATABASE_PREFIX}tongban.sqlite3"
MANIFEST_LIMIT = 256 * 2**20
# What a damaged or truncated archive raises while being read (gzip CRC, short tar…).
READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)
Say = Callable[[str], None]
Sink = Callable[[tarfile.TarInfo, Iterator[bytes]], None]

__all__ = ["Damaged", "create_backup", "read_backup", "verify_backup"]


def tongban_version() -> str:
    try:
        return metadata.version("tongban")
    except metadata.PackageNotFoundError:
        return "unknown"


def compressed(path: Path) -> bool:
    return path.name.endswith((".gz", ".tgz"))


# -- writing ---------------------------------------------------------------------------------


def create_backup(out: Path, *, data_dir: Path, database_url: str,
                  exclude: Sequence[str] = (), say: Say = print) -> Manifest:
    """Snapshot the database, then copy the data folder, into the new archive `out`.

    The archive is written as `out.partial` (mode 0600: it holds the secret key) and renamed
    only once complete, so a failed run never leaves something that looks like a backup.
    """
    out = out.resolve()
    if out.exists():
        raise FileExistsError(f"{out} exists: choose a new name")
    partial = out.with_name(out.name + ".partial")
    patterns = [*DEFAULT_EXCLUDES, *exclude]
    manifest = Manifest(created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                        tongban_version=tongban_version(), database={}, excluded=patterns)
    database = sqlite_path(database_url)
    with tempfile.TemporaryDirectory(prefix=".tongban-backup-", dir=out.parent) as scratch:
        snapshot = _snapshot(database, Path(scratch), manifest, say)
        files, manifest.skipped = data_files(
            data_dir, patterns=patterns,
            leave_out=[p for p in (database, out, partial, Path(scratch)) if p is not None],
        )
        try:
            _write(partial, compress=compressed(out), manifest=manifest, snapshot=snapshot,
                   files=files)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, out)
    return manifest


def _snapshot(database: Path | None, scratch: Path, manifest: Manifest, say: Say) -> Path | None:
    if database is None:
        manifest.database = {"engine": "postgres", "included": False}
        say("PostgreSQL: the database is not in this archive; see README, Operations, Backup.")
        return None
    target = scratch / database.name
    seconds = snapshot_sqlite(database, target)
    manifest.database = {"engine": "sqlite", "included": True, "member": DATABASE_MEMBER,
                         **describe_sqlite(target)}
    say(f"Database snapshot: {target.stat().st_size / 2**20:.1f} MiB in {seconds:.1f} s.")
    return target


def _write(partial: Path, *, compress: bool, manifest: Manifest, snapshot: Path | None,
           files: list[tuple[Path, str]]) -> None:
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        options: dict[str, Any] = {"compresslevel": 1} if compress else {}
        with tarfile.open(fileobj=raw, mode="w:gz" if compress else "w", **options) as tar:
            if snapshot is not None:
                _add_file(tar, manifest, snapshot, DATABASE_MEMBER, mode=0o600)
            for path, relative in files:
                _add_file(tar, manifest, path, DATA_PREFIX + relative)
            _add_bytes(tar, MANIFEST_NAME, manifest.to_json())
        raw.flush()
        os.fsync(raw.fileno())


class _Hashing:
    """A file reader that hashes what tarfile reads through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.handle.read(size)
        self.digest.update(block)
        return block


def _add_file(tar: tarfile.TarFile, manifest: Manifest, path: Path, name: str,
              mode: int | None = None) -> None:
    stat = path.stat()
    info = tarfile.TarInfo(name)
    info.size, info.mtime = stat.st_size, int(stat.st_mtime)
    info.mode = mode if mode is not None else stat.st_mode & 0o777
    with path.open("rb") as handle:
        reader = _Hashing(handle)
        tar.addfile(info, reader)  # type: ignore[arg-type]
    manifest.entries.append(Entry(name, info.size, reader.digest.hexdigest(), info.mode))


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(content), 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(content))


# -- reading ---------------------------------------------------------------------------------


def verify_backup(path: Path) -> Manifest:
    """Read every member and check it against the manifest; raises `Damaged`."""
    return read_backup(path)


def read_backup(path: Path, *, sink: Sink | None = None) -> Manifest:
    """Stream through the archive once, handing each member's bytes to `sink` (restore writes
    them out) while hashing them; then check everything against the manifest, the last member.
    """
    seen: dict[str, Entry] = {}
    raw_manifest: bytes | None = None
    with _open_for_reading(path) as tar:
        for info in _members(tar):
            if raw_manifest is not None:
                raise Damaged(f"{info.name}: found after the manifest")
            stream = tar.extractfile(info)
            assert stream is not None  # regular files only (checked by _members)
            if info.name == MANIFEST_NAME:
                raw_manifest = b"".join(_chunks(stream, limit=MANIFEST_LIMIT))
            else:
                seen[info.name] = _consume(info, stream, sink)
    if raw_manifest is None:
        raise Damaged("no manifest: the archive is damaged, cut short, or not a Tongban backup")
    manifest = Manifest.from_json(raw_manifest)
    _compare(manifest, seen)
    return manifest


@contextlib.contextmanager
def _open_for_reading(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, "r|*")
    except READ_ERRORS as exc:
        raise Damaged(f"not a readable archive ({exc})") from exc
    try:
        yield tar
    finally:
        with contextlib.suppress(*READ_ERRORS):
            tar.close()


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    names: set[str] = set()
    while True:
        try:
            info = tar.next()
        except READ_ERRORS as exc:
            raise Damaged(f"unreadable after {len(names)} members ({exc})") from exc
        if info is None:
            return
        _check_member(info, names)
        names.add(info.name)
        yield info


def _check_member(info: tarfile.TarInfo, names: set[str]) -> None:
    """Only regular files under the archive's root, each once, with plain relative names: an
    archive that says otherwise was not written by us and will not be unpacked."""
    parts = info.name.split("/")
    if not info.isfile() or parts[0] != ROOT or ".." in parts or "" in parts or \
            info.name in names:
        raise Damaged(f"{info.name!r}: not a member a Tongban backup has")


def _chunks(stream: IO[bytes], *, limit: int | None = None) -> Iterator[bytes]:
    read = 0
    while True:
        try:
            chunk = stream.read(BLOCK)
        except READ_ERRORS as exc:
            raise Damaged(f"unreadable data ({exc})") from exc
        if not chunk:
            return
        read += len(chunk)
        if limit is not None and read > limit:
            raise Damaged("the manifest is implausibly large")
        yield chunk


def _consume(info: tarfile.TarInfo, stream: IO[bytes], sink: Sink | None) -> Entry:
    digest, size = hashlib.sha256(), 0

    def counted() -> Iterator[bytes]:
        nonlocal size
        for chunk in _chunks(stream):
            digest.update(chunk)
            size += len(chunk)
            yield chunk

    chunks = counted()
    if sink is not None:
        sink(info, chunks)
    for _ in chunks:  # whatever the sink did not read
        pass
    return Entry(info.name, size, digest.hexdigest(), info.mode & 0o777)


def _compare(manifest: Manifest, seen: dict[str, Entry]) -> None:
    listed = {entry.name: entry for entry in manifest.entries}
    missing = sorted(set(listed) - set(seen))
    extra = sorted(set(seen) - set(listed))
    if missing or extra:
        raise Damaged(f"members missing: {missing[:3]}, not in the manifest: {extra[:3]}")
    for name, entry in listed.items():
        found = seen[name]
        if (found.size, found.sha256) != (entry.size, entry.sha256):
            raise Damaged(f"{name}: content does not match its checksum")
    if manifest.database.get("included") and manifest.database.get("member") not in seen:
        raise Damaged("the manifest names a database the archive does not hold")
