"""Rate limits: sliding-window counters in this process (check-in codes), and limits shared by
every process through the database (login attempts)."""

from __future__ import annotations

import math
import time
from collections import deque
from hashlib import sha256

from core.rawsql import changed, fetch


class RateLimiter:
    """Counts hits per key within a window, in this process.

    Each process keeps its own counts: with N processes behind a balancer an attacker gets at
    most N times the limit, which still stops online guessing.
    """

    def __init__(self, *, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}

    def _fresh(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            self._hits.pop(key, None)
            hits = self._hits.setdefault(key, deque())
        return hits

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None if it is under the limit."""
        now = time.monotonic()
        hits = self._fresh(key, now)
        if len(hits) < self.limit:
            return None
        return max(1, int(hits[0] + self.window - now) + 1)

    def hit(self, key: str) -> None:
        self._fresh(key, time.monotonic()).append(time.monotonic())

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)


class SharedLimit:
    """At most `limit` tries per key in a fixed window, counted in the database.

    Every server process, on every machine, counts in the same row, and a try is taken by one
    conditional upsert *before* the guarded work runs: of 200 concurrent tries, exactly `limit`
    get through (PostgreSQL locks the row for `ON CONFLICT … DO UPDATE … WHERE`; SQLite has
    one writer). A try that succeeds may be given back (`release`) or clear the count (`reset`).
    """

    PURGE_EVERY = 1000  # tries between two sweeps of windows that have ended

    def __init__(self, *, scope: str, limit: int, window_seconds: float) -> None:
        self.scope = scope
        self.limit = limit
        self.window = window_seconds
        self._tries = 0

    def _name(self, key: str) -> str:
        name = f"{self.scope}:{key}"
        return name if len(name) <= 160 else f"{self.scope}:#{sha256(key.encode()).hexdigest()}"

    async def reserve(self, key: str) -> int | None:
        """Take a try: None if taken, else the seconds until the window lets `key` try again."""
        now, name = time.time(), self._name(key)
        self._tries += 1
        if self._tries % self.PURGE_EVERY == 0:  # guesses from ever new addresses leave rows
            await changed("DELETE FROM core_limit_counter WHERE reset_at < {}", now)
        taken = await fetch(RESERVE, [name, now + self.window, now, now, now + self.window, now,
                                      self.limit])
        if taken:
            return None
        found = await fetch("SELECT reset_at FROM core_limit_counter WHERE name = {}", [name])
        reset_at = float(found[0]["reset_at"]) if found else now + 1
        return max(1, math.ceil(reset_at - now))

    async def release(self, key: str) -> None:
        """Give back a try taken by `reserve` (the attempt turned out not to count)."""
        await changed("UPDATE core_limit_counter SET hits = hits - 1 WHERE name = {} AND hits > 0",
                      self._name(key))

    async def reset(self, key: str) -> None:
        await changed("DELETE FROM core_limit_counter WHERE name = {}", self._name(key))


# A new window starts when the old one has ended; otherwise the count rises only below the limit.
RESERVE = (
    "INSERT INTO core_limit_counter (name, hits, reset_at) VALUES ({}, 1, {}) "
    "ON CONFLICT (name) DO UPDATE SET "
    "hits = CASE WHEN core_limit_counter.reset_at <= {} THEN 1 "
    "ELSE core_limit_counter.hits + 1 END, "
    "reset_at = CASE WHEN core_limit_counter.reset_at <= {} THEN {} "
    "ELSE core_limit_counter.reset_at END "
    "WHERE core_limit_counter.reset_at <= {} OR core_limit_counter.hits < {} "
    "RETURNING hits"
)
