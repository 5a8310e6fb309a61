"""Feed retention: events older than `TONGBAN_FEED_RETENTION_DAYS` are removed, never silently.

A notice to 100,000 people writes 100,000 events; a province writes hundreds of millions a year.
The records themselves (messages, documents, the audit chain) are never touched here: only the
feed, which exists to tell devices what changed while they were away.

- **Prefix only.** Events are removed from the oldest id up, stopping at the first one that is
  still young, so the feed that remains is always everything after one id, `pruned_through`
  (`FeedHorizon`). A client resuming from `after >= pruned_through` lost nothing; one resuming
  from below it gets a *reset* and refetches its state (HTTP 410 `feed-reset`, websocket frame
  `{"type":"reset","oldest_event_id":…,"last_event_id":…}`). `after = 0` is no resume point but a
  first start: it is served what the feed holds, without a reset.
- **Readers check after reading.** The horizon is raised in the transaction that deletes, and a
  reader reads it after its events: if the deletion committed before the read, the raised
  horizon is seen too. Reading it first would leave a window for a silent gap.
- **Never blocks writers for long.** Deletes go by primary-key range in batches of `BATCH`, each
  its own short transaction (on SQLite one connection serves the process), with a pause between
  them so waiting writers go first. A job run stops after `RUN_BUDGET` seconds and is scheduled
  again at once, so a first prune of a years-old feed does not hold the scheduler or its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.clock import utcnow
from core.errors import ApiError
from core.metrics import FEED_HEAD, FEED_PRUNED, FEED_PRUNED_THROUGH, on_scrape
from core.models import Event, FeedHorizon, Job
from core.rawsql import fetch
from core.scheduler import register_job, schedule
from core.tx import atomic

PRUNE_JOB = "core.feed.prune"
BATCH = 2000
PAUSE_SECONDS = 0.02
RUN_BUDGET_SECONDS = 10.0
EVERY = timedelta(hours=1)
FIRST_RUN_AFTER = timedelta(minutes=10)  # not in the rush of a start-up


class FeedReset(ApiError):
    """The resume point lies before what the feed still holds: refetch state, continue after
    `last_event_id`. `oldest_event_id` is the lowest id the feed can still serve."""

    status, slug, title = 410, "feed-reset", "The feed no longer goes back that far"

    def __init__(self, *, after: int, oldest_event_id: int, last_event_id: int) -> None:
        super().__init__(
            f"Events after {after} up to {oldest_event_id - 1} were removed by retention. "
            f"Refetch your state, then continue after {last_event_id}."
        )
        self.oldest_event_id = oldest_event_id
        self.last_event_id = last_event_id

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(instance), "oldest_event_id": self.oldest_event_id,
                "last_event_id": self.last_event_id}

    def frame(self) -> dict[str, Any]:
        """The websocket form of the same signal."""
        return {"type": "reset", "oldest_event_id": self.oldest_event_id,
                "last_event_id": self.last_event_id}


async def pruned_through() -> int:
    """The highest event id retention has removed (0: none yet)."""
    horizon = await FeedHorizon.filter(id=1).first()
    return horizon.pruned_through if horizon else 0


async def check_resume(after: int, *, head: int) -> None:
    """Raise `FeedReset` if retention removed events after `after`. Call it after reading."""
    if after <= 0:
        return  # a first start, not a resume: nothing the client holds can be out of date
    horizon = await pruned_through()
    if horizon > after:
        raise FeedReset(after=after, oldest_event_id=horizon + 1, last_event_id=max(head, horizon))


@dataclass
class PruneReport:
    removed: int = 0
    batches: int = 0
    pruned_through: int = 0
    done: bool = False  # False: stopped by the budget with old events left


async def do_prune_feed(*, older_than: datetime, batch: int = BATCH,
                        pause: float = PAUSE_SECONDS,
                        budget: float = RUN_BUDGET_SECONDS) -> PruneReport:
    """Remove events written before `older_than`, oldest first, in short transactions.

    Run by the scheduler (and `tongban feed prune`); records one audit entry per run that
    removed anything, so the deletion is accounted for like any other.
    """
    report = PruneReport(pruned_through=await pruned_through())
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        if not await _prune_batch(report, older_than=older_than, batch=batch):
            report.done = True
            break
        await asyncio.sleep(pause)
    if report.removed:
        await _audit(report, older_than)
    return report


async def _prune_batch(report: PruneReport, *, older_than: datetime, batch: int) -> bool:
    """Remove the next run of old events (at most `batch`); True if more old ones may follow."""
    rows = await _next_rows(after=report.pruned_through, older_than=older_than, batch=batch)
    last = _last_old(rows)
    if last is None:
        return False
    await _remove_through(report, last)
    return len(rows) == batch and last == int(rows[-1]["id"])


async def _next_rows(*, after: int, older_than: datetime, batch: int) -> list[dict[str, Any]]:
    """The next `batch` events' ids, each flagged `old`.

    The database compares the times: parsing thousands of datetimes in Python per batch would
    hold the event loop (and every request) longer than the delete itself. The newest event
    always stays, however old: the feed's head (max id) is what `ready` and every replay measure
    resume points against, and an empty feed would read as "nothing after 0".
    """
    cutoff = Event._meta.fields_map["at"].to_db_value(older_than, Event)
    return await fetch(
        "SELECT id, CASE WHEN at < {} THEN 1 ELSE 0 END AS old FROM core_event "
        "WHERE id > {} AND id < (SELECT max(id) FROM core_event) ORDER BY id LIMIT {}",
        [cutoff, after, batch])


async def _remove_through(report: PruneReport, last: int) -> None:
    """One short transaction: raise the horizon, delete up to it."""
    async with in_transaction():
        await FeedHorizon.filter(id=1, pruned_through__lt=last).update(
            pruned_through=last, pruned_at=utcnow()
        )
        removed = await Event.filter(id__gt=report.pruned_through, id__lte=last).delete()
    FEED_PRUNED.inc(removed)
    report.removed += removed
    report.batches += 1
    report.pruned_through = last


def _last_old(rows: list[dict[str, Any]]) -> int | None:
    """The id ending the leading run of old rows (a prefix of the feed, never a hole in it)."""
    last = None
    for row in rows:
        if not row["old"]:
            break
        last = int(row["id"])
    return last


async def _audit(report: PruneReport, older_than: datetime) -> None:
    async with atomic() as work:
        work.audit("feed.prune", "feed", report.pruned_through, removed=report.removed,
                   older_than=older_than.isoformat())


# -- the scheduled job ----------------------------------------------------------------------


def install_retention(*, days: int) -> None:
    """Register the pruning job's handler (days <= 0 keeps every event) and its gauges."""

    async def run(payload: dict[str, Any]) -> None:
        report = PruneReport(done=True)
        if days > 0:
            report = await do_prune_feed(older_than=utcnow() - timedelta(days=days))
        again = timedelta(seconds=1) if not report.done else EVERY
        await schedule(PRUNE_JOB, key=PRUNE_JOB, due_at=utcnow() + again, payload={})

    register_job(PRUNE_JOB, run)
    on_scrape(feed_gauges)


async def ensure_pruning_scheduled() -> None:
    """Make sure the recurring job exists (a revived one if it failed for good)."""
    job = await Job.filter(key=PRUNE_JOB).first()
    if job is not None and job.state == "pending":
        return
    with contextlib.suppress(IntegrityError):  # another worker starting at the same moment
        await schedule(PRUNE_JOB, key=PRUNE_JOB, due_at=utcnow() + FIRST_RUN_AFTER, payload={})


async def feed_gauges() -> None:
    from core.feed import head_id

    FEED_HEAD.set(await head_id())
    FEED_PRUNED_THROUGH.set(await pruned_through())
