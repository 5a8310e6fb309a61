"""`Idempotency-Key` on assigning a task: a phone that retries gets the first task back.

The key is remembered (per person) in the same transaction that creates the task, so a retry
either finds it or, racing the first request, fails on the unique key and then finds it.
"""

from __future__ import annotations

from core.clock import utcnow
from core.errors import BadRequest
from core.jsonutil import dumps, loads
from core.models import IdempotentReply
from supervision.models import Task

ROUTE = "POST /v1/tasks"


def checked_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    key = raw.strip()
    if not 1 <= len(key) <= 128:
        raise BadRequest("An Idempotency-Key has 1 to 128 characters.", slug="bad-idempotency-key")
    return key


async def earlier_task(person_id: int, key: str) -> Task | None:
    """The task an earlier request with this key created, if any."""
    row = await IdempotentReply.get_or_none(person_id=person_id, key=key, route=ROUTE)
    return await Task.get_or_none(id=loads(row.body)["id"]) if row else None


async def remember_task(person_id: int, key: str, task: Task) -> None:
    """Call inside the transaction that created the task."""
    await IdempotentReply.create(person_id=person_id, key=key, route=ROUTE, status=201,
                                 body=dumps({"id": task.id}), created_at=utcnow())
