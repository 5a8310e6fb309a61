"""Putting a backup back: into an empty data folder only, and only once it checked out whole.

Everything is unpacked into a staging folder beside the data folder while the checksums are
computed; the database gets SQLite's structural check; only then do the folder and the database
file move into place. A damaged archive therefore leaves the target exactly as it was (empty).
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from server.backup.archive import Sink, read_backup
from server.backup.manifest import Damaged, Manifest
from server.backup.snapshot import quick_check, sqlite_path

Say = Callable[[str], None]


class RestoreRefused(Exception):
    """The target is not empty, or the backup does not fit the configured database."""


def restore_backup(archive: Path, *, data_dir: Path, database_url: str,
                   say: Say = print) -> Manifest:
    """Unpack `archive` into the empty `data_dir` (and the SQLite file of `database_url`)."""
    data_dir = data_dir.resolve()
    database = sqlite_path(database_url)
    _refuse_unless_empty(data_dir, database)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tongban-restore-", dir=data_dir.parent))
    try:
        manifest = read_backup(archive, sink=_writer(staging))
        _refuse_if_unfit(manifest, database)
        unpacked_db = staging / "database" / "tongban.sqlite3"
        if database is not None:
            _check_database(unpacked_db)
        _put_in_place(staging / "data", data_dir, unpacked_db, database)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _refuse_unless_empty(data_dir: Path, database: Path | None) -> None:
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise RestoreRefused(f"{data_dir} is not empty: restore only into an empty data folder "
                             "(TONGBAN_DATA_DIR), never over a live installation")
    if database is not None and database.exists():
        raise RestoreRefused(f"the database {database} already exists")


def _refuse_if_unfit(manifest: Manifest, database: Path | None) -> None:
    has_sqlite = bool(manifest.database.get("included"))
    if has_sqlite and database is None:
        raise RestoreRefused("this backup holds a SQLite database, but TONGBAN_DATABASE_URL "
                             "points to PostgreSQL: unset it to restore onto SQLite")
    if not has_sqlite and database is not None:
        raise RestoreRefused("this backup was taken on PostgreSQL and holds no database: set "
                             "TONGBAN_DATABASE_URL to the database you pg_restore'd into")


def _writer(staging: Path) -> Sink:
    def write(info: tarfile.TarInfo, chunks: Iterator[bytes]) -> None:
        # `tongban-backup/database/…` or `tongban-backup/data/…`, names checked by read_backup
        target = staging / info.name.split("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, (info.mode & 0o777) or 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)

    return write


def _check_database(path: Path) -> None:
    result = quick_check(path)
    if result != "ok":
        raise Damaged(f"the database in the archive fails SQLite's check: {result}")


def _put_in_place(data: Path, data_dir: Path, unpacked_db: Path, database: Path | None) -> None:
    os.sync()  # everything unpacked is on disk before it becomes the installation
    if data_dir.exists():
        data_dir.rmdir()  # empty, as checked
    if data.exists():
        os.replace(data, data_dir)
    else:
        data_dir.mkdir(parents=True)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(unpacked_db, database)
