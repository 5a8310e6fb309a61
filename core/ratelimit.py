"""Sliding-window counters for rate limits (login attempts, reminders)."""

from __future__ import annotations

import time
from collections import deque


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
