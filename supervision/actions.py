"""Every change to a task (督办): assigning, signing for, reporting, completing, reviewing,
cancelling and urging. Extension requests are in `extensions.py`, timed reminders in
`reminders.py`; the rules of which move is allowed when are in `policy.py`.

Each action checks the actor's part (lead assignee or supervisor: 403 otherwise; the caller has
already checked that they may see the task), moves the task by a conditional update on its
state (409 if another request moved it first), and writes its record entry, audit entry and
events in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.expressions import Q

from core.clock import isoformat, utcnow
from core.errors import Conflict, Forbidden, TooManyRequests
from core.idempotency import earlier_id, once, remember
from core.tx import atomic
from directory.auth import Actor
from supervision.assigning import Plan, plan_task
from supervision.attachments import attach_files
from supervision.events import notify
from supervision.models import Task, TaskAssignee, TaskEntry
from supervision.parties import assignee_ids, is_lead, is_supervisor
from supervision.policy import (
    ACTIVE_STATES, MOVES, URGE_INTERVAL, IllegalMove, Move, Party, Stage, TaskState, lateness,
    next_state, party_of, sources_of, urge_retry_after,
)
from supervision.reminders import cancel_reminders, schedule_reminders
from supervision.schemas import TaskCreate
from supervision.shapes import entry_public
from supervision.tree import cancel_below, lock_task, refresh_rollup

WHO = {Party.LEAD: "lead assignees (承办人)", Party.SUPERVISOR: "supervisors (督办人)"}

CREATE_ROUTE = "POST /v1/tasks"  # the route an Idempotency-Key is remembered under


async def require(task: Task, actor: Actor, move: Move) -> None:
    """403 unless the move is the actor's to make; 409 unless the task's state allows it."""
    party = party_of(move)
    mine = await (is_lead if party == Party.LEAD else is_supervisor)(actor.id, task)
    if not mine:
        raise Forbidden(f"Only the task's {WHO[party]} may do this ({move.value}).")
    try:
        next_state(move, TaskState(task.state))
    except IllegalMove as exc:
        raise Conflict(str(exc), slug="task-state") from exc


async def shift(task: Task, move: Move, **changes: object) -> None:
    """Apply `move` with `UPDATE … WHERE state IN (its source states)`; 409 if nothing matched."""
    target = MOVES[move].target
    values = {"state": target.value} if target else {}
    if not await Task.filter(id=task.id, state__in=sources_of(move)).update(**values, **changes):
        raise Conflict("The task changed meanwhile; reload it and try again.", slug="task-state")
    await task.refresh_from_db()


async def record(
    task: Task, kind: str, *, actor: Actor, note: str = "", percent: int | None = None,
    file_ids: Sequence[int] = (),
) -> TaskEntry:
    """Add an entry to the task's record (办理记录), with the actor's files attached to it."""
    entry = await TaskEntry.create(
        task_id=task.id, kind=kind, actor_id=actor.id, note=note, percent=percent, at=utcnow()
    )
    if file_ids:
        entry.file_ids = await attach_files(actor, task, list(file_ids), entry_id=entry.id)
        await entry.save(update_fields=["file_ids"])
    return entry


async def do_create_task(
    parent: Task | None, *, actor: Actor, draft: TaskCreate, idempotency_key: str | None = None
) -> Task:
    """Assign a task (立项交办), or split a sub-task off `parent` (分解); rules in `assigning`.

    Schedules its reminders. Emits `task.assigned` to its assignees and supervisors, and
    `task.rollup` up the tree when a sub-task changes its parent's progress. A retry with the
    same `idempotency_key` returns the task the first request created.
    """
    if (earlier := await earlier_id(actor.id, idempotency_key, CREATE_ROUTE)) is not None:
        return await Task.get(id=earlier)  # checked before planning: a retry is not re-judged
    plan = await plan_task(actor, draft, parent)
    return await once(actor.id, idempotency_key, CREATE_ROUTE,
                      make=lambda: _create(actor, draft, plan, parent, idempotency_key),
                      load=lambda earlier: Task.get(id=earlier))


async def _create(
    actor: Actor, draft: TaskCreate, plan: Plan, parent: Task | None, key: str | None
) -> Task:
    async with atomic() as work:
        if parent and not await lock_task(parent.id, sources_of(Move.DECOMPOSE)):
            raise Conflict("The parent task changed meanwhile; reload it.", slug="task-state")
        task = await _insert(actor, draft, plan, parent)
        await attach_files(actor, task, draft.file_ids)
        if key:
            await remember(actor.id, key, CREATE_ROUTE, task.id)
        await record(task, "created", actor=actor)
        await schedule_reminders(task)
        work.audit("task.create", "task", task.id, title=task.title, due_at=isoformat(task.due_at),
                   lead=[plan.lead.type, plan.lead.id], parent_id=task.parent_id,
                   origin_unit_id=plan.origin.id, acting_unit_id=task.acting_unit_id,
                   people={str(pid): role for pid, (role, _) in sorted(plan.roles.items())})
        await notify(work, task, "assigned", by=actor.id)
        if parent:
            await record(parent, "decomposed", actor=actor, note=f"#{task.id} {task.title}")
            work.audit("task.decompose", "task", parent.id, child_id=task.id)
            await refresh_rollup(work, parent.id)
    return task


async def _insert(actor: Actor, draft: TaskCreate, plan: Plan, parent: Task | None) -> Task:
    source = draft.source
    task = await Task.create(
        title=draft.title, description=draft.description, priority=draft.priority,
        source_type=source.type if source else None,
        source_id=str(source.id) if source and source.id is not None else None,
        source_title=source.title if source else None, parent_id=parent.id if parent else None,
        creator_id=actor.id, origin_unit_id=plan.origin.id, origin_path=plan.origin.path,
        acting_unit_id=plan.acting.id if plan.acting else None,
        lead_type=plan.lead.type, lead_id=plan.lead.id, unit_id=plan.unit.id,
        path=plan.unit.path, due_at=draft.due_at, original_due_at=draft.due_at,
        created_at=utcnow(),
    )
    task.lineage = f"{parent.lineage if parent else '/'}{task.id}/"
    await task.save(update_fields=["lineage"])
    await TaskAssignee.bulk_create([
        TaskAssignee(task_id=task.id, person_id=pid, role=role, via_unit_id=via)
        for pid, (role, via) in sorted(plan.roles.items())
    ])
    return task


async def do_receive_task(task: Task, *, actor: Actor) -> Task:
    """签收: a lead assignee signs for an assigned task. Emits `task.received`."""
    await require(task, actor, Move.RECEIVE)
    async with atomic() as work:
        await shift(task, Move.RECEIVE, received_at=utcnow())
        await record(task, "received", actor=actor)
        work.audit("task.receive", "task", task.id)
        await notify(work, task, "received", by=actor.id)
    return task


async def do_report_progress(
    task: Task, *, actor: Actor, percent: int, note: str, file_ids: list[int]
) -> TaskEntry:
    """进展反馈: a lead assignee reports progress (percent, note, files) on a signed-for task.

    Emits `task.progressed`, and `task.rollup` to the parents whose progress it moves.
    """
    await require(task, actor, Move.REPORT)
    async with atomic() as work:
        await shift(task, Move.REPORT, percent=percent)
        entry = await record(task, "progress", actor=actor, note=note, percent=percent,
                             file_ids=file_ids)
        work.audit("task.progress", "task", task.id, percent=percent, entry_id=entry.id)
        await notify(work, task, "progressed", by=actor.id, entry=entry_public(entry))
        await refresh_rollup(work, task.parent_id)
    return entry


async def do_submit_task(
    task: Task, *, actor: Actor, report: str, file_ids: list[int]
) -> TaskEntry:
    """办结报告: a lead assignee reports the task done, with evidence, for the supervisors to
    review; every sub-task must be finished first (409). Emits `task.submitted`."""
    await require(task, actor, Move.SUBMIT)
    async with atomic() as work:
        await shift(task, Move.SUBMIT, submitted_at=utcnow())
        # Checked after the update took the row lock, so no sub-task can be split off meanwhile.
        active = sorted(state.value for state in ACTIVE_STATES)
        if await Task.filter(parent_id=task.id, state__in=active).exists():
            raise Conflict("Some sub-tasks are not finished yet.", slug="subtasks-open")
        entry = await record(task, "submitted", actor=actor, note=report, file_ids=file_ids)
        work.audit("task.submit", "task", task.id, entry_id=entry.id)
        await notify(work, task, "submitted", by=actor.id, entry=entry_public(entry))
    return entry


async def do_accept_task(task: Task, *, actor: Actor, comment: str) -> Task:
    """办结: a supervisor accepts the completion report. The task counts as done on time or
    late by when the report came in, not by when it was reviewed. Emits `task.accepted`."""
    await require(task, actor, Move.ACCEPT)
    async with atomic() as work:
        if not await lock_task(task.id, sources_of(Move.ACCEPT)):
            raise Conflict("The task changed meanwhile; reload it.", slug="task-state")
        await task.refresh_from_db()
        finished = task.submitted_at or utcnow()
        await shift(task, Move.ACCEPT, finished_at=finished,
                    late_seconds=lateness(task.due_at, finished))
        await cancel_reminders(task.id)
        await record(task, "accepted", actor=actor, note=comment)
        work.audit("task.accept", "task", task.id, late_seconds=task.late_seconds)
        await notify(work, task, "accepted", by=actor.id, comment=comment)
        await refresh_rollup(work, task.parent_id)
    return task


async def do_reject_task(task: Task, *, actor: Actor, reason: str) -> Task:
    """退回重办: a supervisor sends the completion report back for rework, with the reason.

    The task is in progress again; if its due time has passed the scheduler marks it overdue.
    Emits `task.rejected`.
    """
    await require(task, actor, Move.REJECT)
    async with atomic() as work:
        await shift(task, Move.REJECT)
        await schedule_reminders(task, stages=(Stage.DUE,))
        await record(task, "rejected", actor=actor, note=reason)
        work.audit("task.reject", "task", task.id, reason=reason)
        await notify(work, task, "rejected", by=actor.id, reason=reason)
    return task


async def do_cancel_task(task: Task, *, actor: Actor, reason: str) -> Task:
    """撤销: a supervisor cancels a task not yet done, and with it its unfinished sub-tasks.

    Emits `task.cancelled` for each task cancelled, and `task.rollup` to the parents.
    """
    await require(task, actor, Move.CANCEL)
    async with atomic() as work:
        await shift(task, Move.CANCEL, cancelled_at=utcnow())
        await cancel_reminders(task.id)
        await record(task, "cancelled", actor=actor, note=reason)
        below = await cancel_below(work, task, actor_id=actor.id, reason=reason)
        work.audit("task.cancel", "task", task.id, reason=reason, sub_tasks=below)
        await notify(work, task, "cancelled", by=actor.id, reason=reason)
        await refresh_rollup(work, task.parent_id)
    return task


async def do_urge_task(task: Task, *, actor: Actor, message: str) -> TaskEntry:
    """催办: a supervisor urges the assignees of an unfinished task, with a message shown to
    them; at most once an hour per task (429 with Retry-After). Emits `task.urged` to the
    assignees only."""
    await require(task, actor, Move.URGE)
    now = utcnow()
    async with atomic() as work:
        # The hour is enforced by the update itself, so two supervisors cannot both get through.
        urged = await Task.filter(
            Q(last_urged_at=None) | Q(last_urged_at__lte=now - URGE_INTERVAL),
            id=task.id, state__in=sources_of(Move.URGE),
        ).update(last_urged_at=now)
        if not urged:
            raise await _urge_refused(task)
        await task.refresh_from_db()
        entry = await record(task, "urged", actor=actor, note=message)
        work.audit("task.urge", "task", task.id, message=message)
        await notify(work, task, "urged", by=actor.id, people=await assignee_ids(task),
                     message=message)
    return entry


async def _urge_refused(task: Task) -> Conflict | TooManyRequests:
    await task.refresh_from_db()
    if task.state not in sources_of(Move.URGE):
        return Conflict(f"A task that is {task.state} cannot be urged.", slug="task-state")
    wait = urge_retry_after(task.last_urged_at, utcnow()) or 1
    return TooManyRequests(f"This task was urged less than an hour ago; try in {wait} s.",
                           retry_after=wait)
