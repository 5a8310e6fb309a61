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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

CHANNEL = "tongban:events"
log = logging.getLogger(__name__)


class Bus(Protocol):
    async def connect(self) -> None: ...
    async def disconnect(self) -> None: ...
    async def publish(self, message: str) -> None: ...
    def subscribe(self) -> AsyncIterator[str]: ...
    async def ping(self) -> None: ...


class MemoryBus:
    """Fan-out to the subscribers of this process only."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[str]] = set()

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        self._queues.clear()

    async def ping(self) -> None:
        """Always reachable: it is this process."""

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


def split_channel(url: str) -> tuple[str, str]:
    """The Redis URL without its `channel` parameter, and the channel (`tongban:events` if unset).

    Pub/sub channels are global to a Redis server (database numbers do not separate them), so
    deployments or test runs that share one Redis name their own channel:
    `redis://host:6379/0?channel=tongban:province-a`.
    """
    parts = urlsplit(url)
    params = parse_qsl(parts.query)
    channel = next((value for key, value in params if key == "channel"), CHANNEL)
    rest = urlencode([(key, value) for key, value in params if key != "channel"])
    return urlunsplit(parts._replace(query=rest)), channel


class RedisBus:
    """Redis pub/sub; the redis package is imported only when this bus is chosen."""

    def __init__(self, url: str) -> None:
        self.url, self.channel = split_channel(url)
        self._redis: Any = None

    async def connect(self) -> None:
        from redis import asyncio as aioredis

        self._redis = aioredis.from_url(self.url, decode_responses=True)
        await self._redis.ping()

    async def disconnect(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def ping(self) -> None:
        """Raises unless Redis answers (readiness check)."""
        if self._redis is None:
            raise ConnectionError("the Redis bus is not connected")
        await self._redis.ping()

    async def publish(self, message: str) -> None:
        try:
            await self._redis.publish(self.channel, message)
        except Exception:  # the feed poll will still deliver; never fail a committed write
            log.exception("publishing on the Redis bus failed")

    async def subscribe(self) -> AsyncIterator[str]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.channel)
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
