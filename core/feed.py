"""Reading the event feed: who may see what, replay after an id, and the per-process pump.

Every process runs one `FeedPump`. It follows the feed in id order and hands each new batch to
its listeners (the websocket gateway). Bus messages carry the events themselves; when they
continue the pump's cursor without a gap they are used as they are, otherwise (another process's
message arrived first, a message was lost, an id was rolled back) the pump reads the database
after its cursor. Because ids commit in order (`core.tx`), what the database shows after the
cursor is always a gap-free continuation. A slow poll covers a bus that drops messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from tortoise.functions import Max

from core.bus import Bus
from core.clock import isoformat
from core.jsonutil import loads
from core.metrics import FEED_LAG
from core.models import Event
from core.retention import check_resume
from core.tx import StoredEvent

log = logging.getLogger(__name__)
AudienceResolver = Callable[[int], Awaitable[set[str]]]
Listener = Callable[[list[StoredEvent]], None]

_resolvers: list[AudienceResolver] = []
# Kinds after which the people addressed may have joined or left audiences (groups, units…).
REFRESH_KINDS: set[str] = set()


def register_audience_resolver(resolver: AudienceResolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


async def audiences_of(person_id: int) -> set[str]:
    """Every audience whose events this person may see."""
    found = {f"user:{person_id}"}
    for resolver in _resolvers:
        found |= await resolver(person_id)
    return found


async def head_id() -> int:
    row = await Event.annotate(top=Max("id")).values("top")
    return int(row[0]["top"] or 0) if row else 0


def _stored(row: Event) -> StoredEvent:
    return StoredEvent(row.id, row.kind, row.audience, row.data, isoformat(row.at))


async def read_for(audiences: Iterable[str], *, after: int, upto: int, limit: int) -> list[StoredEvent]:
    """Events after `after` and up to `upto` in these audiences, oldest first."""
    rows = (
        await Event.filter(id__gt=after, id__lte=upto, audience__in=list(audiences))
        .order_by("id")
        .limit(limit)
    )
    return [_stored(row) for row in rows]


async def read_all(*, after: int, limit: int) -> list[StoredEvent]:
    rows = await Event.filter(id__gt=after).order_by("id").limit(limit)
    return [_stored(row) for row in rows]


async def page_for(person_id: int, *, after: int, limit: int) -> dict[str, Any]:
    """The HTTP form of the feed: events after `after` and the id to resume from."""
    head = await head_id()  # taken first, so nothing committed meanwhile is jumped over
    events = await read_for(await audiences_of(person_id), after=after, upto=head, limit=limit)
    await check_resume(after, head=head)  # after the read: see core.retention
    resume = events[-1].id if len(events) == limit else max(head, after)
    return {"events": [event.as_public() for event in events], "last_event_id": resume}


class FeedPump:
    """Follows the feed for this process and hands ordered batches to its listeners."""

    def __init__(self, bus: Bus, *, poll_seconds: float = 1.0, batch: int = 1000) -> None:
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.cursor = 0
        self.listeners: list[Listener] = []
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.cursor = await head_id()
        self._tasks = [asyncio.create_task(self._follow_bus()), asyncio.create_task(self._poll())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    def _deliver(self, events: list[StoredEvent]) -> None:
        if not events:
            return
        self.cursor = events[-1].id
        for listener in list(self.listeners):
            try:
                listener(events)
            except Exception:
                log.exception("feed listener failed")

    async def _follow_bus(self) -> None:
        async for message in self.bus.subscribe():
            try:
                events = [StoredEvent(**item) for item in loads(message)]
            except (ValueError, TypeError):
                log.warning("ignoring a malformed bus message")
                continue
            await self._accept(events)

    async def _accept(self, events: list[StoredEvent]) -> None:
        async with self._lock:
            fresh = [event for event in events if event.id > self.cursor]
            if fresh and _continues(self.cursor, fresh):
                self._deliver(fresh)
            elif fresh:
                await self._catch_up_locked()

    async def catch_up(self) -> None:
        async with self._lock:
            await self._catch_up_locked()

    async def _catch_up_locked(self) -> None:
        while True:
            events = await read_all(after=self.cursor, limit=self.batch)
            self._deliver(events)
            if len(events) < self.batch:
                return

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                head = await head_id()
                FEED_LAG.set(max(0, head - self.cursor))
                if head > self.cursor:
                    await self.catch_up()
            except Exception:
                log.exception("feed poll failed")


def _continues(cursor: int, events: list[StoredEvent]) -> bool:
    expected = cursor + 1
    for event in events:
        if event.id != expected:
            return False
        expected += 1
    return True
