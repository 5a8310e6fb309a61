"""Telling every recipient: one `user:{id}` event per person, in short transactions.

After resolution a notice's audience is a list of people, so its events go to `user:{id}`.
(A `notice:{id}` audience would need a resolver listing every notice a person ever received
on each connect and each feed read, growing without bound, and per-person events would still
be needed to make connections pick the new audience up.) Up to `INLINE_LIMIT` recipients the
events are written in the caller's own transaction, atomically with the change. Beyond that a
background job writes them `CHUNK` at a time, each chunk in its own transaction together with
the job's progress, so a send to a whole city never holds the database for long, a restart
resumes where it stopped, and no chunk is written twice.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from core.clock import utcnow
from core.errors import Conflict
from core.jsonutil import dumps
from core.models import Job
from core.scheduler import schedule
from core.tx import Work, atomic
from notices.events import PUBLISHED, REMINDER, user
from notices.models import Notice, NoticeRecipient
from notices.policy import State
from notices.selection import TARGETS

JOB = "notices.fanout"
INLINE_LIMIT = 1000
CHUNK = 500
JOB_BUDGET_SECONDS = 10.0  # well inside the scheduler's 60 s lease
NEEDS_PUBLISHED = (PUBLISHED, REMINDER)  # stop these once a notice is withdrawn or cancelled


async def notify_recipients(
    work: Work, notice: Notice, kind: str, data: dict[str, Any], *, target: str = "all"
) -> int:
    """Emit `kind` to each recipient in `target` (see `selection.TARGETS`); how many.

    Call inside the action's transaction: few recipients hear of it at commit, many through
    a job scheduled in the same transaction.
    """
    query = NoticeRecipient.filter(TARGETS[target], notice_id=notice.id)
    count = await query.count()
    if count <= INLINE_LIMIT:
        rows = await query.order_by("id").values_list("id", "person_id")
        await _emit_chunk(work, kind, data, target, rows)
    elif count:
        await _schedule(kind=kind, notice_id=notice.id, data=data, target=target, after=0)
    return count


async def _schedule(**payload: Any) -> None:
    key = f"notice:{payload['notice_id']}:fanout:{uuid.uuid4().hex}"
    await schedule(JOB, key=key, due_at=utcnow(), payload={**payload, "key": key})


async def _emit_chunk(
    work: Work, kind: str, data: dict[str, Any], target: str, rows: list[tuple[int, int]]
) -> None:
    if kind == PUBLISHED and target == "undelivered":
        await _mark_delivered([row_id for row_id, _ in rows])
    work.emit(kind, [user(person_id) for _, person_id in rows], data)


async def _mark_delivered(row_ids: list[int]) -> None:
    """Delivery is the moment the notice enters the person's feed (送达)."""
    marked = await NoticeRecipient.filter(id__in=row_ids, delivered_at=None).update(
        delivered_at=utcnow()
    )
    if marked != len(row_ids):  # another process delivered some meanwhile: let it finish
        raise Conflict("These recipients are being delivered elsewhere.")


async def run_fanout(payload: dict[str, Any]) -> None:
    """Job handler: write the events chunk by chunk until done or out of time, then hand on."""
    started = time.monotonic()
    after = int(payload["after"])
    while time.monotonic() - started < JOB_BUDGET_SECONDS:
        after = await _next_chunk(payload, after)
        if after < 0:
            return
    async with atomic():
        await _schedule(**{**payload, "after": after, "key": None})


async def lock_published(notice_id: int) -> Notice | None:
    """The notice if still published, its row locked until commit (inside a transaction).

    A withdrawal or cancellation then either commits before this transaction reads, or waits
    for it: never a `notice.published` or a reminder after the `notice.withdrawn`. (SQLite
    has one writer at a time and ignores the lock.)
    """
    return await Notice.select_for_update().get_or_none(id=notice_id,
                                                        state=State.PUBLISHED.value)


async def _next_chunk(payload: dict[str, Any], after: int) -> int:
    """Emit one chunk after recipient `after`; the last id done, or -1 when none are left."""
    async with atomic() as work:
        if payload["kind"] in NEEDS_PUBLISHED and not await lock_published(payload["notice_id"]):
            return -1
        rows = await NoticeRecipient.filter(
            TARGETS[payload["target"]], notice_id=payload["notice_id"], id__gt=after
        ).order_by("id").limit(CHUNK).values_list("id", "person_id")
        if not rows:
            return -1
        await _emit_chunk(work, payload["kind"], payload["data"], payload["target"], rows)
        last = int(rows[-1][0])
        # Progress commits with the events: a job re-run after a crash starts past them.
        await Job.filter(key=payload["key"]).update(payload=dumps({**payload, "after": last}))
    return last if len(rows) == CHUNK else -1
