"""Tasks opened by another record (their source: a 收文's 承办 opens its 督办), finished with it.

When the record is finished (the 收文's 办结), the task it opened closes with it: `done`,
counted on time or late by when its completion report came in, or by the 办结 itself. Only when
the handler says the work goes on past the 办结 does the task stay open, marked `continuing`,
and every ledger and statistic then shows it open (overdue once late), as it is. The source's
own rules say who may finish it; supervision only checks that the task is still active.
"""

from __future__ import annotations

from core.clock import utcnow
from core.errors import Conflict
from core.tx import Work, atomic
from directory.auth import Actor
from supervision.actions import record, shift
from supervision.events import notify
from supervision.models import Task
from supervision.policy import ACTIVE_STATES, Move, lateness, sources_of
from supervision.reminders import cancel_reminders
from supervision.tree import lock_task, refresh_rollup


async def do_finish_source(task: Task, *, actor: Actor, report: str, continues: bool) -> Task:
    """The task's source was finished: close the task (办结) or, when `continues`, mark it
    continuing (持续办理). A task already done or cancelled stays as it is. 409 when sub-tasks
    split off it are still open (finish them, or say the work continues).

    Who may: whoever the source's rules let finish it (the caller checks). Joins the caller's
    transaction. Emits `task.closed` or `task.continued` to everyone the task concerns.
    """
    async with atomic() as work:
        if not await lock_task(task.id, sources_of(Move.CLOSE)):
            return task  # done or cancelled already: nothing left to close
        await task.refresh_from_db()
        if continues:
            await shift(task, Move.CONTINUE, continuing=True)
            await record(task, "continued", actor=actor, note=report)
            work.audit("task.continue", "task", task.id, source_id=task.source_id)
            await notify(work, task, "continued", by=actor.id, report=report)
            return task
        await _close(work, task, actor=actor, report=report)
        await notify(work, task, "closed", by=actor.id, report=report)
        work.audit("task.close", "task", task.id, source_id=task.source_id,
                   late_seconds=task.late_seconds)
    return task


async def _close(work: Work, task: Task, *, actor: Actor, report: str) -> None:
    active = sorted(state.value for state in ACTIVE_STATES)
    open_children = await Task.filter(parent_id=task.id, state__in=active) \
        .values_list("id", flat=True)
    if open_children:
        raise Conflict(f"Sub-tasks {sorted(open_children)} of the 督办 task are still open: "
                       "finish them first, or say the work continues.", slug="subtasks-open")
    finished = task.submitted_at or utcnow()
    await shift(task, Move.CLOSE, finished_at=finished, late_seconds=lateness(task.due_at, finished))
    await cancel_reminders(task.id)
    await record(task, "closed", actor=actor, note=report)
    await refresh_rollup(work, task.parent_id)
