"""The audit hash chain: each entry carries the SHA-256 of the one before it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.clock import isoformat
from core.jsonutil import canonical
from core.models import AuditEntry

GENESIS = "0" * 64


@dataclass(frozen=True)
class PendingAudit:
    action: str
    record_type: str
    record_id: str
    detail: dict[str, Any]
    actor_id: int | None
    session_id: str | None
    device_id: int | None
    address: str | None


def entry_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


def hashed_fields(
    *, seq: int, at: datetime, pending: PendingAudit | AuditEntry, detail: str, prev_hash: str
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": isoformat(at),
        "actor_id": pending.actor_id,
        "session_id": pending.session_id,
        "device_id": pending.device_id,
        "address": pending.address,
        "action": pending.action,
        "record_type": pending.record_type,
        "record_id": str(pending.record_id),
        "detail": detail,
        "prev_hash": prev_hash,
    }


async def append_entries(entries: list[PendingAudit], *, at: datetime) -> None:
    """Append to the chain; the caller holds the feed lock, so the tail cannot move under us."""
    last = await AuditEntry.all().order_by("-seq").first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    for pending in entries:
        seq += 1
        detail = canonical(pending.detail)
        fields = hashed_fields(seq=seq, at=at, pending=pending, detail=detail, prev_hash=prev)
        prev = entry_hash(fields)
        await AuditEntry.create(
            seq=seq, at=at, actor_id=pending.actor_id, session_id=pending.session_id,
            device_id=pending.device_id, address=pending.address, action=pending.action,
            record_type=pending.record_type, record_id=str(pending.record_id),
            detail=detail, prev_hash=fields["prev_hash"], hash=prev,
        )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str | None = None


async def verify_chain(batch: int = 2000, *, after: AuditEntry | None = None) -> ChainReport:
    """Recompute every hash in order (from the start, or from the entry after `after`); name
    the first entry that was edited or follows a deletion."""
    prev, expected_seq, checked, last_id = GENESIS, 1, 0, 0
    if after is not None:
        prev, expected_seq, last_id = after.hash, after.seq + 1, after.id
    while True:
        rows = await AuditEntry.filter(id__gt=last_id).order_by("id").limit(batch)
        if not rows:
            return ChainReport(ok=True, checked=checked)
        for row in rows:
            problem = _check_row(row, prev, expected_seq)
            if problem:
                return ChainReport(False, checked, row.seq, row.id, problem)
            prev, expected_seq, checked, last_id = row.hash, row.seq + 1, checked + 1, row.id


def _check_row(row: AuditEntry, prev: str, expected_seq: int) -> str | None:
    if row.seq != expected_seq:
        return f"sequence jumps from {expected_seq - 1} to {row.seq}: entries were deleted"
    if row.prev_hash != prev:
        return "previous-hash link does not match the entry before it"
    fields = hashed_fields(seq=row.seq, at=row.at, pending=row, detail=row.detail, prev_hash=prev)
    if entry_hash(fields) != row.hash:
        return "content does not match its hash: the entry was edited"
    return None
