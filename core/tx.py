"""`atomic()`: one transaction that writes a change together with its audit entries and events.

Events and audit entries are collected while the action runs and written last, just before
commit, under one lock (a PostgreSQL advisory lock; SQLite has a single writer anyway). Holding
the lock from the first event id to the commit makes ids commit in increasing order, so a reader
that sees event N has already seen every committed event below N: the feed never skips an id that
commits late, and the audit chain never forks. After commit the events are published on the bus.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from core.audit import PendingAudit, append_entries
from core.bus import current_bus
from core.clock import isoformat, utcnow
from core.context import current_origin
from core.db import dialect
from core.rawsql import fetch
from core.jsonutil import dumps, loads
from core.metrics import EVENTS_WRITTEN
from core.models import Event

FEED_LOCK_KEY = 7_270_001
EVENT_BATCH = 200


@dataclass
class StoredEvent:
    id: int
    kind: str
    audience: str
    data: str
    at: str

    def as_public(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "at": self.at, "data": loads(self.data)}


@dataclass
class Work:
    """What an action accumulates inside its transaction."""

    events: list[tuple[str, str, str]] = field(default_factory=list)
    audits: list[PendingAudit] = field(default_factory=list)
    written: list[StoredEvent] = field(default_factory=list)

    def emit(self, kind: str, audiences: str | Iterable[str], data: dict[str, Any]) -> None:
        """Queue an event for each audience (`user:7`, `unit:3`, …); written at commit."""
        payload = dumps(data)
        targets = [audiences] if isinstance(audiences, str) else list(dict.fromkeys(audiences))
        self.events.extend((kind, audience, payload) for audience in targets)

    def audit(self, action: str, record_type: str, record_id: object, **detail: Any) -> None:
        origin = current_origin()
        self.audits.append(
            PendingAudit(
                action=action, record_type=record_type, record_id=str(record_id), detail=detail,
                actor_id=origin.actor_id, session_id=origin.session_id,
                device_id=origin.device_id, address=origin.address,
            )
        )


_work: ContextVar[Work | None] = ContextVar("tongban_work", default=None)


@asynccontextmanager
async def atomic() -> AsyncIterator[Work]:
    """Run the block in one transaction; nested calls join the outer one."""
    outer = _work.get()
    if outer is not None:
        yield outer
        return
    work = Work()
    token = _work.set(work)
    try:
        async with in_transaction():
            yield work
            await _flush(work)
    finally:
        _work.reset(token)
    await publish(work.written)


async def _flush(work: Work) -> None:
    if not work.events and not work.audits:
        return
    if dialect() == "postgres":
        await fetch("SELECT pg_advisory_xact_lock({})", [FEED_LOCK_KEY])
    now = utcnow()
    if work.audits:
        await append_entries(work.audits, at=now)
    for start in range(0, len(work.events), EVENT_BATCH):
        await _insert_events(work, work.events[start:start + EVENT_BATCH], now)


async def _insert_events(work: Work, events: list[tuple[str, str, str]], now: datetime) -> None:
    """One multi-row INSERT per batch (a large notice emits thousands of events).

    Ids are taken in row order, under the feed lock, so the sorted ids belong to the rows in
    the order they were given (RETURNING itself promises no order).
    """
    at = Event._meta.fields_map["at"].to_db_value(now, Event)
    rows = ", ".join(["({}, {}, {}, {})"] * len(events))
    sql = f"INSERT INTO core_event (kind, audience, data, at) VALUES {rows} RETURNING id"
    params = [item for kind, audience, payload in events for item in (kind, audience, payload, at)]
    ids = sorted(int(row["id"]) for row in await fetch(sql, params))
    stamp = isoformat(now)
    work.written.extend(
        StoredEvent(event_id, kind, audience, payload, stamp)
        for event_id, (kind, audience, payload) in zip(ids, events, strict=True)
    )


async def publish(events: list[StoredEvent]) -> None:
    if events:
        EVENTS_WRITTEN.inc(len(events))
        await current_bus().publish(dumps([event.__dict__ for event in events]))
