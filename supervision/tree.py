"""The decomposition tree (分解): locking a task row, rolling progress up, cancelling down."""

from __future__ import annotations

from tortoise.expressions import F

from core.clock import utcnow
from core.tx import Work
from supervision.events import notify
from supervision.models import Task, TaskEntry
from supervision.policy import ACTIVE_STATES, TaskState, rollup_percent
from supervision.reminders import cancel_reminders


async def lock_task(task_id: int, states: list[str] | None = None) -> bool:
    """Take the task's row lock for the rest of the transaction (a no-op update), optionally
    only if it is in one of `states`. Writers touching the same task then queue up on
    PostgreSQL instead of reading each other's stale state; SQLite has one writer anyway."""
    query = Task.filter(id=task_id)
    if states is not None:
        query = query.filter(state__in=states)
    return bool(await query.update(percent=F("percent")))


async def refresh_rollup(work: Work, parent_id: int | None) -> None:
    """Recompute the progress of the parents from their sub-tasks, up the tree, and tell the
    people concerned with each parent whose progress moved (`task.rollup`)."""
    while parent_id is not None:
        await lock_task(parent_id)
        parent = await Task.get(id=parent_id)
        children = await Task.filter(parent_id=parent_id).values_list(
            "state", "percent", "rollup_percent"
        )
        value = rollup_percent(
            (TaskState(state), rolled if rolled is not None else own)
            for state, own, rolled in children
        )
        if value == parent.rollup_percent:
            return
        await Task.filter(id=parent_id).update(rollup_percent=value)
        parent.rollup_percent = value
        await notify(work, parent, "rollup", by=None)
        parent_id = parent.parent_id


async def cancel_below(work: Work, task: Task, *, actor_id: int, reason: str) -> list[int]:
    """Cancel every unfinished sub-task under `task` (they were parts of it); their ids."""
    states = sorted(s.value for s in ACTIVE_STATES)
    below = await Task.filter(lineage__startswith=task.lineage, state__in=states).exclude(
        id=task.id
    )
    cancelled = []
    for child in below:
        now = utcnow()
        if not await Task.filter(id=child.id, state__in=states).update(
            state=TaskState.CANCELLED.value, cancelled_at=now
        ):
            continue
        child.state, child.cancelled_at = TaskState.CANCELLED.value, now
        await cancel_reminders(child.id)
        await TaskEntry.create(task_id=child.id, kind="cancelled", actor_id=actor_id,
                               note=reason, at=now)
        work.audit("task.cancel", "task", child.id, reason=reason, with_parent=task.id)
        await notify(work, child, "cancelled", by=actor_id, reason=reason)
        cancelled.append(child.id)
    return cancelled
