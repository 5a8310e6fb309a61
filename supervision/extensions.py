"""Extension requests (延期申请) and the supervisors' decisions on them (延期审批)."""

from __future__ import annotations

from datetime import datetime

from core.clock import isoformat, utcnow
from core.errors import Conflict, NotFound
from core.tx import atomic
from directory.auth import Actor
from supervision.actions import record, require
from supervision.assigning import invalid
from supervision.events import notify
from supervision.models import Extension, Task
from supervision.policy import Move, sources_of
from supervision.queries import access_task
from supervision.reminders import schedule_reminders
from supervision.shapes import extension_public
from supervision.tree import lock_task


async def access_extension(actor: Actor, task_id: int, extension_id: int) -> tuple[Task, Extension]:
    """An extension request of a task the actor may see (404 otherwise)."""
    task = await access_task(actor, task_id)
    extension = await Extension.get_or_none(id=extension_id, task_id=task.id)
    if extension is None:
        raise NotFound("No such extension request.")
    return task, extension


async def do_request_extension(
    task: Task, *, actor: Actor, due_at: datetime, reason: str
) -> Extension:
    """延期申请: a lead assignee asks for a later due time, with the reason; one request at a
    time (409), no later than the parent task's due time (422). Emits
    `task.extension_requested` to everyone concerned."""
    await require(task, actor, Move.REQUEST_EXTENSION)
    await _check_new_due(task, due_at)
    async with atomic() as work:
        # Holding the task's row lock, a second request waits, then sees the first one pending.
        locked = await lock_task(task.id, sources_of(Move.REQUEST_EXTENSION))
        if not locked or await Extension.exists(task_id=task.id, state="pending"):
            raise Conflict("An extension request is already waiting, or the task changed.",
                           slug="extension-pending")
        extension = await Extension.create(
            task_id=task.id, requested_by_id=actor.id, requested_at=utcnow(),
            old_due_at=task.due_at, new_due_at=due_at, reason=reason,
        )
        await record(task, "extension_requested", actor=actor, note=reason)
        work.audit("task.extension.request", "task", task.id, extension_id=extension.id,
                   new_due_at=isoformat(due_at))
        await notify(work, task, "extension_requested", by=actor.id,
                     extension=extension_public(extension))
    return extension


async def _check_new_due(task: Task, due_at: datetime) -> None:
    if due_at <= task.due_at or due_at <= utcnow():
        raise invalid(["due_at"], "Ask for a due time later than the current one.", "not_later")
    parent = await Task.get_or_none(id=task.parent_id) if task.parent_id else None
    if parent is not None and due_at > parent.due_at:
        msg = f"A sub-task cannot be due after its parent ({isoformat(parent.due_at)})."
        raise invalid(["due_at"], msg, "after_parent_due")


async def do_decide_extension(
    extension: Extension, task: Task, *, actor: Actor, approve: bool, comment: str
) -> Extension:
    """延期审批: a supervisor approves (the due time moves, reminders with it, and an overdue
    mark is lifted) or refuses a pending request. Emits `task.extension_decided`."""
    await require(task, actor, Move.DECIDE_EXTENSION)
    now, state = utcnow(), "approved" if approve else "refused"
    async with atomic() as work:
        if not await Extension.filter(id=extension.id, state="pending").update(
            state=state, decided_by_id=actor.id, decided_at=now, comment=comment
        ):
            raise Conflict("This request was already decided.", slug="extension-decided")
        if approve:
            await _move_due(task, extension.new_due_at)
        await extension.refresh_from_db()
        await record(task, f"extension_{state}", actor=actor, note=comment)
        work.audit(f"task.extension.{state}", "task", task.id, extension_id=extension.id)
        await notify(work, task, "extension_decided", by=actor.id,
                     extension=extension_public(extension))
    return extension


async def _move_due(task: Task, due_at: datetime) -> None:
    states = sources_of(Move.DECIDE_EXTENSION)
    if not await Task.filter(id=task.id, state__in=states).update(due_at=due_at, overdue_at=None):
        raise Conflict("The task is finished or cancelled.", slug="task-state")
    await task.refresh_from_db()
    await schedule_reminders(task)
