"""Timed reminders (临近提醒, 到期提醒) and marking tasks overdue, through the kernel scheduler.

Each task has at most two jobs, keyed by task and stage, so moving the due time (an approved
extension) moves them, and finishing or cancelling the task cancels them. The scheduler runs
each job once across all processes; the handler re-reads the task and does nothing if it no
longer needs the reminder (already finished, or submitted in time).
"""

from __future__ import annotations

from typing import Any

from core.clock import isoformat, utcnow
from core.scheduler import cancel, schedule
from core.tx import Work, atomic
from supervision.config import yellow_days
from supervision.events import notify
from supervision.models import Task, TaskEntry
from supervision.parties import assignee_ids, supervisor_ids
from supervision.policy import OPEN_STATES, Stage, TaskState, is_overdue, reminder_times
from supervision.shapes import timing

JOB = "supervision.remind"


def job_key(task_id: int, stage: Stage) -> str:
    return f"supervision:task:{task_id}:{stage.value}"


async def schedule_reminders(task: Task, *, stages: tuple[Stage, ...] = tuple(Stage)) -> None:
    """(Re)schedule the task's reminders for its current due time; call inside `atomic()`."""
    times = reminder_times(task.due_at, utcnow(), yellow_days=yellow_days())
    for stage in stages:
        if stage in times:
            await schedule(JOB, key=job_key(task.id, stage), due_at=times[stage],
                           payload={"task_id": task.id, "stage": stage.value})
        else:
            await cancel(job_key(task.id, stage))


async def cancel_reminders(task_id: int) -> None:
    for stage in Stage:
        await cancel(job_key(task_id, stage))


async def run_reminder(payload: dict[str, Any]) -> None:
    """The job: remind the assignees, and at the due time mark the task overdue."""
    async with atomic() as work:
        task = await Task.get_or_none(id=int(payload["task_id"]))
        if task is None:
            return
        if Stage(payload["stage"]) == Stage.DUE_SOON:
            await _due_soon(work, task)
        else:
            await _due(work, task)


async def _due_soon(work: Work, task: Task) -> None:
    if TaskState(task.state) not in OPEN_STATES:
        return
    await _remind(work, task, Stage.DUE_SOON)


async def _due(work: Work, task: Task) -> None:
    """Mark overdue once (a conditional update: a second run finds it marked and stops)."""
    now = utcnow()
    if not is_overdue(timing(task), now):
        return
    marked = await Task.filter(id=task.id, state=task.state, overdue_at=None).update(overdue_at=now)
    if not marked:
        return
    task.overdue_at = now
    await _remind(work, task, Stage.DUE)
    work.audit("task.overdue", "task", task.id, due_at=isoformat(task.due_at))
    await notify(work, task, "overdue", by=None, people=await supervisor_ids(task))


async def _remind(work: Work, task: Task, stage: Stage) -> None:
    await TaskEntry.create(task_id=task.id, kind=f"reminded_{stage.value}", at=utcnow())
    await notify(work, task, "reminder", by=None, people=await assignee_ids(task),
                 stage=stage.value)

