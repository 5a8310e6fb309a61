"""The archive's layout and its manifest (the last member, so it can list every checksum)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT = "tongban-backup"
FORMAT_VERSION = 1
ROOT = "tongban-backup"
MANIFEST_NAME = f"{ROOT}/MANIFEST.json"
DATABASE_PREFIX = f"{ROOT}/database/"
DATA_PREFIX = f"{ROOT}/data/"


class Damaged(Exception):
    """The archive is unreadable, incomplete, or does not match its manifest."""


@dataclass
class Entry:
    """One member: its name in the archive, size, SHA-256 and permission bits."""

    name: str
    size: int
    sha256: str
    mode: int = 0o644


@dataclass
class Manifest:
    created_at: str
    tongban_version: str
    # engine, included, and for SQLite: member, feed_head_id, audit_last_seq, audit_head_hash,
    # migrations (app → names applied)
    database: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # links and special files, not taken

    def to_json(self) -> bytes:
        body = {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(self)}
        return json.dumps(body, ensure_ascii=False, indent=1).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            body = json.loads(raw)
            if body.pop("format") != FORMAT:
                raise Damaged("not a Tongban backup")
            if body.pop("format_version") > FORMAT_VERSION:
                raise Damaged("made by a newer Tongban: upgrade before restoring it")
            entries = [Entry(**item) for item in body.pop("entries")]
            return cls(entries=entries, **body)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Damaged(f"the manifest is unreadable ({exc})") from exc

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.entries)

    @property
    def data_entries(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.name.startswith(DATA_PREFIX)]

    def summary(self) -> str:
        db = self.database
        what = (f"SQLite database (feed head {db.get('feed_head_id')}, audit entries "
                f"{db.get('audit_last_seq')})" if db.get("included")
                else f"no database ({db.get('engine')}: use pg_dump/pg_restore)")
        return (f"backup of {self.created_at} by tongban {self.tongban_version}: {what}, "
                f"{len(self.data_entries)} data files, {self.total_bytes / 2**20:.1f} MiB")
