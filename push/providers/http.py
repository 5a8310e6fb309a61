"""The HTTP plumbing every provider shares: its client, the reading of `Retry-After`, the verdict
on a failed exchange, and reasons that never carry a secret.

Reasons end up in the outbox and in operators' screens, so they are built from the vendor's
codes, cut short, and scrubbed of every secret the provider holds (keys, access tokens, device
tokens) in case a vendor echoes one back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from push.providers.base import Outcome

REASON_LIMIT = 200


def client(
    base_url: str, *, timeout: float, connections: int, http2: bool = False
) -> httpx.AsyncClient:
    """A pooled client for one provider. With `http2` and a cleartext URL it speaks h2c with
    prior knowledge (the local fakes); with https it negotiates h2 by ALPN."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=base_url, timeout=timeout, limits=limits,
        http1=not (http2 and base_url.startswith("http://")), http2=http2,
    )


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), if any."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    return _seconds_until(value)


def _seconds_until(http_date: str) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def transient(response: httpx.Response) -> bool:
    """429 and 5xx: the vendor asks us to come back later."""
    return response.status_code == 429 or response.status_code >= 500


def retry(response: httpx.Response, reason: str) -> Outcome:
    return Outcome("retry", reason, retry_after(response.headers))


def unreachable(error: httpx.HTTPError) -> Outcome:
    """A timeout or a broken connection: retried. Only the error's class is kept, since its
    text may name a URL that carries a secret."""
    kind = "timeout" if isinstance(error, httpx.TimeoutException) else type(error).__name__
    return Outcome("retry", kind)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` cut to a reason's length with every secret in it replaced by `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:REASON_LIMIT]
