"""Which files of the data folder a backup takes: everything, less an explicit exclude list.

New folders (CA material, seals, rendered documents…) are taken without any change here; only
what is temporary or rebuilt on demand is listed below. A pattern with `*` matches file names; one
with `/` a path from the data folder's top and everything under it; a plain name a folder of that
name at any depth.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

DEFAULT_EXCLUDES = (
    "files/tmp",  # uploads still being received
    "tmp", "cache", "backups", "__pycache__",
    "*.part", "*.tmp", "*.partial", "*.lock", "*.pid",
    # a SQLite database's side files; the live database itself is snapshotted, not copied
    "*-wal", "*-shm", "*-journal",
)


def excluded(relative: str, patterns: Sequence[str]) -> bool:
    *folders, name = relative.split("/")
    return any(_matches(pattern, relative, folders, name) for pattern in patterns)


def _matches(pattern: str, relative: str, folders: list[str], name: str) -> bool:
    if "*" in pattern:
        return fnmatch.fnmatch(name, pattern)
    if "/" in pattern:
        return relative.startswith(pattern.rstrip("/") + "/")
    return pattern in folders


def data_files(root: Path, *, patterns: Sequence[str],
               leave_out: Iterable[Path] = ()) -> tuple[list[tuple[Path, str]], list[str]]:
    """The regular files to take as (path, relative name), and what was skipped (links,
    sockets…), both sorted. `leave_out`: files or folders never to take (the live database, the
    archive being written, its scratch folder)."""
    skip = [os.path.realpath(path) for path in leave_out]
    taken, skipped = [], []
    for path, relative in _walk(root):
        real = os.path.realpath(path)
        if excluded(relative, patterns) or any(real == s or real.startswith(s + os.sep)
                                               for s in skip):
            continue
        if path.is_symlink() or not path.is_file():
            skipped.append(relative)
        else:
            taken.append((path, relative))
    return sorted(taken, key=lambda item: item[1]), sorted(skipped)


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.exists():
        return
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in (*files, *(d for d in dirs if (base / d).is_symlink())):
            path = base / name
            yield path, path.relative_to(root).as_posix()
