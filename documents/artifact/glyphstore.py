"""Glyph outlines kept on disk, so a restarted server does not pay again for what it drew
before: extracting a CFF glyph (desubroutinising and compiling it) costs a few milliseconds,
and a first document meets a thousand of them. One SQLite file per face under
`$TONGBAN_DATA_DIR/cache/fonts/` (safe to delete), keyed by the font file's path, size and
modification time, so a replaced font starts afresh."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

Row = tuple[str, bytes, int, int]  # glyph name, outline bytes, advance, left side bearing


class GlyphStore:
    def __init__(self, folder: Path, font: Path, index: int) -> None:
        stat = font.stat()
        key = f"{font.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{index}"
        self.path = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.sqlite3"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.parent.mkdir(mode=0o700, exist_ok=True)  # the data folder's cache/
        self.path.parent.mkdir(mode=0o700, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        connection = sqlite3.connect(self.path, timeout=5)
        connection.execute("CREATE TABLE IF NOT EXISTS glyph (name TEXT PRIMARY KEY, "
                           "outline BLOB, advance INTEGER, lsb INTEGER)")
        return connection

    def load(self) -> dict[str, tuple[bytes, int, int]]:
        if not self.path.exists():
            return {}
        try:
            with self._connect() as connection:
                rows = connection.execute("SELECT name, outline, advance, lsb FROM glyph")
                return {name: (bytes(outline), advance, lsb) for name, outline, advance, lsb
                        in rows}
        except sqlite3.Error:
            return {}  # a damaged cache is only a slower start

    def save(self, rows: list[Row]) -> None:
        if not rows:
            return
        try:
            with self._connect() as connection:
                connection.executemany("INSERT OR IGNORE INTO glyph VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error:
            pass  # read-only or full disk: the next start extracts again
