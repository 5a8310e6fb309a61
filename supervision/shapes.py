"""The public shapes of tasks, their records and extensions, as replies and event payloads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from core.clock import utcnow
from directory.models import Person, Unit
from supervision.config import yellow_days
from supervision.models import Extension, Task, TaskAssignee, TaskEntry, TaskFile
from supervision.policy import TaskState, Timing, is_overdue, light


def timing(task: Task) -> Timing:
    return Timing(TaskState(task.state), task.due_at, task.submitted_at, task.finished_at)


def progress(task: Task) -> int:
    """The task's progress, the one figure shown as both `progress` and `percent`: 100 when
    done, else its sub-tasks' if it has any, else the lead's last report (`reported_percent`)."""
    if task.state == TaskState.DONE:
        return 100
    return int(task.rollup_percent if task.rollup_percent is not None else task.percent)


def summary(task: Task, now: datetime | None = None) -> dict[str, Any]:
    """What events carry: enough to update a list row without another request."""
    now = now or utcnow()
    lit = light(timing(task), now, yellow_days=yellow_days())
    return {
        "id": task.id, "title": task.title, "state": task.state, "priority": task.priority,
        "light": lit.value if lit else None, "overdue": is_overdue(timing(task), now),
        "due_at": task.due_at, "progress": progress(task), "percent": progress(task),
        "reported_percent": task.percent, "rollup_percent": task.rollup_percent,
        "parent_id": task.parent_id, "unit_id": task.unit_id,
        "lead": {"type": task.lead_type, "id": task.lead_id}, "continuing": task.continuing,
        "origin_unit_id": task.origin_unit_id, "acting_unit_id": task.acting_unit_id,
    }


async def tasks_public(tasks: list[Task]) -> list[dict[str, Any]]:
    """Ledger rows: the summary with names of the units and lead, and the task's dates."""
    units = await _unit_names({t.unit_id for t in tasks} | {t.origin_unit_id for t in tasks}
                              | {t.acting_unit_id for t in tasks if t.acting_unit_id})
    leads = await _lead_names(tasks)
    now = utcnow()
    return [_row(task, units, leads, now) for task in tasks]


def _row(
    task: Task, units: dict[int, str], leads: dict[tuple[str, int], str], now: datetime
) -> dict[str, Any]:
    base = summary(task, now)
    base["lead"]["name"] = leads.get((task.lead_type, task.lead_id), "")
    return {
        **base,
        "unit": {"id": task.unit_id, "name": units.get(task.unit_id, "")},
        "origin_unit": {"id": task.origin_unit_id, "name": units.get(task.origin_unit_id, "")},
        "acting_unit": {"id": task.acting_unit_id, "name": units.get(task.acting_unit_id, "")}
        if task.acting_unit_id else None,
        "assigned_by": assigned_by(units.get(task.origin_unit_id, ""),
                                   units.get(task.acting_unit_id or 0)),
        "source": _source(task), "created_at": task.created_at,
        "original_due_at": task.original_due_at, "received_at": task.received_at,
        "submitted_at": task.submitted_at, "finished_at": task.finished_at,
        "cancelled_at": task.cancelled_at, "late_seconds": task.late_seconds,
        "creator_id": task.creator_id,
    }


def assigned_by(origin: str, acting: str | None) -> str:
    """交办单位 as shown: the government, and the desk acting for it (`贵州省（办公厅代）`)."""
    return f"{origin}（{acting}代）" if acting else origin


def _source(task: Task) -> dict[str, Any] | None:
    if task.source_type is None:
        return None
    return {"type": task.source_type, "id": task.source_id, "title": task.source_title}


async def task_detail(task: Task, *, roles: dict[str, bool]) -> dict[str, Any]:
    """One task in full: its row, description, assignees, files, pending extension, children."""
    [row] = await tasks_public([task])
    assignees = await TaskAssignee.filter(task_id=task.id).order_by("id")
    names = await _person_names(a.person_id for a in assignees)
    pending = await Extension.get_or_none(task_id=task.id, state="pending")
    files = await TaskFile.filter(task_id=task.id, entry_id=None).order_by("id")
    return {
        **row, "description": task.description,
        "assignees": [
            {"person_id": a.person_id, "display_name": names.get(a.person_id, ""),
             "role": a.role, "via_unit_id": a.via_unit_id}
            for a in assignees
        ],
        "file_ids": [f.file_id for f in files],
        "pending_extension": extension_public(pending) if pending else None,
        "children": await children_counts(task), "overdue_at": task.overdue_at,
        "last_urged_at": task.last_urged_at, "my": roles,
    }


async def children_counts(task: Task) -> dict[str, int]:
    states = cast(list[str], await Task.filter(parent_id=task.id).values_list("state", flat=True))
    done = states.count(TaskState.DONE.value)
    cancelled = states.count(TaskState.CANCELLED.value)
    return {"total": len(states), "done": done, "cancelled": cancelled,
            "open": len(states) - done - cancelled}


def entry_public(entry: TaskEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "task_id": entry.task_id, "kind": entry.kind, "actor_id": entry.actor_id,
        "percent": entry.percent, "note": entry.note, "file_ids": entry.file_ids, "at": entry.at,
    }


def extension_public(ext: Extension) -> dict[str, Any]:
    return {
        "id": ext.id, "task_id": ext.task_id, "state": ext.state, "reason": ext.reason,
        "old_due_at": ext.old_due_at, "new_due_at": ext.new_due_at,
        "requested_by": ext.requested_by_id, "requested_at": ext.requested_at,
        "decided_by": ext.decided_by_id, "decided_at": ext.decided_at, "comment": ext.comment,
    }


async def _unit_names(ids: Iterable[int]) -> dict[int, str]:
    rows = await Unit.filter(id__in=list(ids)).values_list("id", "name")
    return {uid: name for uid, name in rows}


async def _person_names(ids: Iterable[int]) -> dict[int, str]:
    rows = await Person.filter(id__in=list(ids)).values_list("id", "display_name")
    return {pid: name for pid, name in rows}


async def _lead_names(tasks: list[Task]) -> dict[tuple[str, int], str]:
    units = await _unit_names(t.lead_id for t in tasks if t.lead_type == "unit")
    people = await _person_names(t.lead_id for t in tasks if t.lead_type == "person")
    return {("unit", k): v for k, v in units.items()} | {("person", k): v for k, v in people.items()}
