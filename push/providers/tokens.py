"""An access token fetched once and shared by every send until shortly before it expires.

Concurrent sends that find it missing wait on one fetch instead of each asking the vendor (a
burst of 100,000 notifications would otherwise log in 100,000 times)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Fetch = Callable[[], Awaitable[tuple[str, float]]]  # -> (token, lifetime in seconds)

MARGIN_SECONDS = 60.0  # renewed this long before the vendor's expiry


class CachedToken:
    def __init__(self, fetch: Fetch, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._clock = fetch, clock
        self._token, self._expires = "", 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        if self._fresh():
            return self._token
        async with self._lock:
            if not self._fresh():
                await self._renew()
            return self._token

    def discard(self, token: str) -> None:
        """Forget `token` (the vendor called it expired); the next `get` fetches another."""
        if token == self._token:
            self._token, self._expires = "", 0.0

    @property
    def current(self) -> str:
        return self._token

    def _fresh(self) -> bool:
        return bool(self._token) and self._clock() < self._expires

    async def _renew(self) -> None:
        token, lifetime = await self._fetch()
        self._token = token
        self._expires = self._clock() + max(0.0, lifetime - MARGIN_SECONDS)
