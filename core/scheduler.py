"""Timed work (reminders, deadlines) that runs once across all server processes.

A job is a row with a due time. Any process may claim a due job by a conditional update that
takes a lease; only the one whose update changed the row runs it. A process that dies mid-job
leaves a lease that expires, and another takes the job over. Because jobs live in the database,
a restart loses nothing and work that fell due while every process was down runs at start-up.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from core.clock import utcnow
from core.jsonutil import dumps, loads
from core.looping import PollingLoop
from core.metrics import JOB_LAG, JOBS_OVERDUE, JOBS_RUN
from core.models import Job

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], Awaitable[None]]
_handlers: dict[str, Handler] = {}
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5


def register_job(name: str, handler: Handler) -> None:
    _handlers[name] = handler


async def schedule(name: str, *, key: str, due_at: datetime, payload: dict[str, Any]) -> Job:
    """Schedule (or move) the job `key`; call inside the action's `atomic()` block."""
    job, created = await Job.get_or_create(
        key=key, defaults={"name": name, "due_at": due_at, "payload": dumps(payload)}
    )
    if not created:
        await Job.filter(id=job.id).update(
            name=name, due_at=due_at, payload=dumps(payload), state="pending", attempts=0,
            lease_owner=None, lease_until=None,
        )
    return job


async def cancel(key: str) -> None:
    await Job.filter(key=key, state="pending").update(state="cancelled")


class Scheduler(PollingLoop):
    label = "scheduler"

    def __init__(self, *, poll_seconds: float = 1.0, owner: str | None = None) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.owner = owner or uuid.uuid4().hex

    async def run_pass(self) -> None:
        await self.run_due()

    async def run_due(self, limit: int = 100) -> int:
        """Claim and run every job due now; returns how many this process ran."""
        now = utcnow()
        due = await Job.filter(
            Q(lease_until=None) | Q(lease_until__lt=now), state="pending", due_at__lte=now
        ).order_by("due_at").limit(limit)
        JOBS_OVERDUE.set((now - due[0].due_at).total_seconds() if due else 0)
        ran = 0
        for job in due:
            if await self._claim(job, now):
                await self._run(job)
                ran += 1
        return ran

    async def _claim(self, job: Job, now: datetime) -> bool:
        claimed = await Job.filter(
            Q(lease_until=None) | Q(lease_until__lt=now), id=job.id, state="pending"
        ).update(lease_owner=self.owner, lease_until=now + LEASE, attempts=job.attempts + 1)
        return bool(claimed)

    async def _run(self, job: Job) -> None:
        handler = _handlers.get(job.name)
        JOB_LAG.observe(max(0.0, (utcnow() - job.due_at).total_seconds()))
        try:
            if handler is None:
                raise LookupError(f"no handler for job {job.name!r}")
            await handler(loads(job.payload))
        except Exception as exc:
            log.exception("job %s (%s) failed", job.key, job.name)
            JOBS_RUN.labels(job.name, "failed").inc()
            await self._failed(job, exc)
            return
        JOBS_RUN.labels(job.name, "done").inc()
        await Job.filter(id=job.id, lease_owner=self.owner).update(
            state="done", done_at=utcnow(), lease_until=None
        )

    async def _failed(self, job: Job, exc: Exception) -> None:
        attempts = job.attempts + 1
        state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        retry_at = utcnow() + timedelta(seconds=30 * 2**attempts)
        await Job.filter(id=job.id, lease_owner=self.owner).update(
            state=state, due_at=retry_at, lease_until=None, last_error=repr(exc)[:2000]
        )
