"""The bus that tells every server process that events were committed.

In-process by default; Redis pub/sub when `TONGBAN_BUS_URL=redis://…`, so several processes on
several machines fan out together. Messages are only hints: the feed in the database stays the
truth, and a process that misses a message catches up from it (see `core.feed`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

CHANNEL = "tongban:events"
log = logging.getLogger(__name__)


class Bus(Protocol):
    async def connect(self) -> None: ...
    async def disconnect(self) -> None: ...
    async def publish(self, message: str) -> None: ...
    def subscribe(self) -> AsyncIterator[str]: ...


class MemoryBus:
    """Fan-out to the subscribers of this process only."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[str]] = set()

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._queues.clear()

    async def publish(self, message: str) -> None:
        for queue in list(self._queues):
            queue.put_nowait(message)

    async def subscribe(self) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)


class RedisBus:
    """Redis pub/sub; the redis package is imported only when this bus is chosen."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: Any = None

    async def connect(self) -> None:
        from redis import asyncio as aioredis

        self._redis = aioredis.from_url(self.url, decode_responses=True)
        await self._redis.ping()

    async def disconnect(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def publish(self, message: str) -> None:
        try:
            await self._redis.publish(CHANNEL, message)
        except Exception:  # the feed poll will still deliver; never fail a committed write
            log.exception("publishing on the Redis bus failed")

    async def subscribe(self) -> AsyncIterator[str]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield message["data"]
        finally:
            await pubsub.aclose()


def make_bus(url: str) -> Bus:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBus(url)
    if url in ("memory://", ""):
        return MemoryBus()
    raise ValueError(f"unsupported bus URL {url!r}: use memory:// or redis://")


_bus: Bus = MemoryBus()


def current_bus() -> Bus:
    return _bus


def install_bus(bus: Bus) -> None:
    global _bus
    _bus = bus
