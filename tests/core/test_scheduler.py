"""Timed jobs run once across processes, survive restarts and catch up on what fell due."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from conftest import Server

from core.clock import clock, utcnow
from core.models import Job
from core.scheduler import Scheduler, register_job, schedule
from core.tx import atomic

runs: list[dict[str, Any]] = []


async def remember(payload: dict[str, Any]) -> None:
    await asyncio.sleep(0.01)  # give a second scheduler the chance to race
    runs.append(payload)


register_job("test.remember", remember)


async def finished(key: str) -> Job:
    """The job once done (the server's own scheduler may be the one that ran it)."""
    for _ in range(100):
        job = await Job.get(key=key)
        if job.state == "done":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {key} did not finish")


async def test_a_due_job_runs_once_across_two_schedulers(server: Server) -> None:
    runs.clear()
    async with atomic():
        await schedule("test.remember", key="once-1", due_at=utcnow(), payload={"n": 1})
    first, second = Scheduler(owner="process-a"), Scheduler(owner="process-b")
    counts = await asyncio.gather(first.run_due(), second.run_due(), first.run_due())
    assert sum(counts) <= 1  # the server's scheduler may have won the race
    await finished("once-1")
    assert runs == [{"n": 1}]


async def test_a_job_waits_for_its_time_on_a_controllable_clock(server: Server) -> None:
    runs.clear()
    async with atomic():
        await schedule("test.remember", key="later-1", due_at=utcnow() + timedelta(hours=2),
                       payload={"n": 2})
    scheduler = Scheduler(owner="process-c")
    assert await scheduler.run_due() == 0
    clock.advance(timedelta(hours=2, seconds=1))
    try:
        await scheduler.run_due()  # caught up, as after a restart
        await finished("later-1")
    finally:
        clock.offset = timedelta(0)
    assert runs == [{"n": 2}]


async def test_a_crashed_holders_lease_expires_and_another_takes_over(server: Server) -> None:
    runs.clear()
    async with atomic():
        job = await schedule("test.remember", key="lease-1", due_at=utcnow(), payload={"n": 3})
    await Job.filter(id=job.id).update(lease_owner="dead-process",
                                       lease_until=utcnow() + timedelta(seconds=60))
    scheduler = Scheduler(owner="process-d")
    assert await scheduler.run_due() == 0  # still leased
    clock.advance(timedelta(seconds=61))
    try:
        await scheduler.run_due()
        job = await finished("lease-1")
    finally:
        clock.offset = timedelta(0)
    assert runs == [{"n": 3}] and job.lease_owner != "dead-process"
