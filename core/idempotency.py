"""`Idempotency-Key` on writes that make a record: a phone that retries gets the first record
back, and nothing new is made.

The key is remembered per person and route in the same transaction that makes the record, so a
retry either finds it or, racing the first request, fails on the unique key and then finds it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import HTTPConnection
from tortoise.exceptions import IntegrityError

from core.clock import utcnow
from core.errors import BadRequest
from core.jsonutil import dumps, loads
from core.models import IdempotentReply

R = TypeVar("R")


def header_key(request: HTTPConnection) -> str | None:
    """The request's `Idempotency-Key`, if any; 400 unless it has 1 to 128 characters."""
    raw = request.headers.get("idempotency-key")
    if raw is None:
        return None
    key = raw.strip()
    if not 1 <= len(key) <= 128:
        raise BadRequest("An Idempotency-Key has 1 to 128 characters.", slug="bad-idempotency-key")
    return key


async def earlier_id(person_id: int, key: str | None, route: str) -> int | None:
    """The id of the record an earlier request with this key made, if any."""
    if key is None:
        return None
    row = await IdempotentReply.get_or_none(person_id=person_id, key=key, route=route)
    return int(loads(row.body)["id"]) if row else None


async def remember(person_id: int, key: str | None, route: str, record_id: int) -> None:
    """Call inside the transaction that made the record."""
    if key is not None:
        await IdempotentReply.create(person_id=person_id, key=key, route=route, status=201,
                                     body=dumps({"id": record_id}), created_at=utcnow())


async def once(person_id: int, key: str | None, route: str, *, make: Callable[[], Awaitable[R]],
               load: Callable[[int], Awaitable[R]]) -> R:
    """`make()` the record, unless a request with this key made it before: then `load` it."""
    if (earlier := await earlier_id(person_id, key, route)) is not None:
        return await load(earlier)
    try:
        return await make()
    except IntegrityError:  # a concurrent retry with the same key won
        if (earlier := await earlier_id(person_id, key, route)) is None:
            raise
        return await load(earlier)
