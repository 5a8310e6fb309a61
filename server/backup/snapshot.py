"""A consistent copy of a SQLite database that is being written to, and what it holds.

SQLite's online backup API copies pages in steps. On its own it starts over whenever another
connection writes between two steps, which under steady traffic can mean forever. So the copy
runs inside one read transaction on the source: in WAL mode that transaction pins a snapshot
without blocking any writer (writers append to the WAL; the server only cannot checkpoint past
the snapshot until the copy ends), every step reads the same snapshot, and nothing restarts.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STEP_PAGES = 4096  # 16 MiB per step at SQLite's default 4 KiB page
Progress = Callable[[int, int], None]


def sqlite_path(database_url: str) -> Path | None:
    """The file of a `sqlite://` URL; None for PostgreSQL."""
    if not database_url.startswith("sqlite://"):
        return None
    return Path(database_url[len("sqlite://"):].split("?", 1)[0]).resolve()


@contextlib.contextmanager
def _connect(path: Path, *, uri_mode: str = "rw") -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{path}?mode={uri_mode}", uri=True, isolation_level=None,
                           timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def snapshot_sqlite(source: Path, target: Path, *, pages: int = STEP_PAGES,
                    progress: Progress | None = None) -> float:
    """Copy `source` as of one moment into the new file `target`; returns the seconds taken."""
    started = time.perf_counter()
    with _connect(source) as src, _connect(target, uri_mode="rwc") as dst:
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the read snapshot starts
        try:
            src.backup(dst, pages=pages,
                       progress=(lambda _status, left, total: progress(total - left, total))
                       if progress else None)
        finally:
            src.execute("ROLLBACK")
    return time.perf_counter() - started


def quick_check(path: Path) -> str:
    """SQLite's own structural check: 'ok', or what is wrong."""
    with _connect(path, uri_mode="ro") as conn:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    return "; ".join(str(row[0]) for row in rows[:5])


def describe_sqlite(path: Path) -> dict[str, Any]:
    """What a restore will find: feed head, audit chain end, migrations applied."""
    with _connect(path, uri_mode="ro") as conn:
        head = conn.execute("SELECT max(id) FROM core_event").fetchone()[0] or 0
        audit = conn.execute("SELECT seq, hash FROM core_audit ORDER BY seq DESC LIMIT 1") \
            .fetchone() or (0, None)
        migrations: dict[str, list[str]] = {}
        for app, name in conn.execute("SELECT app, name FROM tortoise_migrations ORDER BY id"):
            migrations.setdefault(app, []).append(name)
    return {"feed_head_id": head, "audit_last_seq": audit[0], "audit_head_hash": audit[1],
            "migrations": migrations}
