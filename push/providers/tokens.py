"""An access token fetched once and shared by every send until shortly before it expires.

Concurrent sends that find it missing wait on one fetch instead of each asking the vendor (a
burst of 100,000 notifications would otherwise log in 100,000 times); when that fetch fails,
the sends waiting behind it get the same failure rather than asking again one by one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from push.providers import http
from push.providers.base import Outcome
from push.providers.http import Reply

Fetch = Callable[[], Awaitable[tuple[str, float]]]  # -> (token, lifetime in seconds)

MARGIN_SECONDS = 60.0  # renewed this long before the vendor's expiry
FAILURE_SECONDS = 1.0  # a failed fetch answers for this long


class CachedToken:
    def __init__(self, fetch: Fetch, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._clock = fetch, clock
        self._token, self._expires = "", 0.0
        self._failure: Exception | None = None
        self._failed_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        if self._fresh():
            return self._token
        async with self._lock:
            if self._failure is not None and self._clock() - self._failed_at < FAILURE_SECONDS:
                raise self._failure
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
        try:
            token, lifetime = await self._fetch()
        except (TokenRefused, *http.UNREACHABLE) as failure:
            self._failure, self._failed_at = failure, self._clock()
            raise
        self._failure = None
        self._token = token
        self._expires = self._clock() + max(0.0, lifetime - MARGIN_SECONDS)


class TokenRefused(Exception):
    """The vendor's token endpoint gave no token; `outcome` says whether to come back (429/5xx)
    or not (bad credentials). Its text names the vendor and status only."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


def refusal(vendor: str, reply: Reply) -> TokenRefused:
    reason = f"{vendor} oauth refused (HTTP {reply.status})"
    outcome = http.retry(reply, reason) if http.transient(reply) else Outcome("failed", reason)
    return TokenRefused(outcome)


def grant(reply: Reply, vendor: str) -> tuple[str, float]:
    """(access token, lifetime) from an OAuth token endpoint's answer."""
    if reply.status != 200:
        raise refusal(vendor, reply)
    try:
        answer = reply.json()
        return str(answer["access_token"]), float(answer.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TokenRefused(Outcome("retry", f"{vendor} oauth answer unreadable")) from None
