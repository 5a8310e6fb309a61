"""The events supervision emits, all to `user:{id}` audiences of the people concerned.

| kind | to | when |
|---|---|---|
| `task.assigned` | assignees, supervisors | a task is created or a sub-task split off (分解) |
| `task.received` | assignees, supervisors | the lead signs for it (签收) |
| `task.progressed` | assignees, supervisors | a progress report (进展反馈) |
| `task.submitted` | assignees, supervisors | the completion report with evidence (办结报告) |
| `task.accepted` / `task.rejected` | assignees, supervisors | the supervisor's review (办结 / 退回) |
| `task.closed` | assignees, supervisors | its source was finished (a 收文's 办结): done |
| `task.continued` | assignees, supervisors | its source was finished, the work goes on (持续办理) |
| `task.extension_requested` / `task.extension_decided` | assignees, supervisors | 延期申请 / 审批 |
| `task.cancelled` | assignees, supervisors | 撤销 (sub-tasks too) |
| `task.urged` | assignees | 催办, with the supervisor's message |
| `task.reminder` | assignees | `stage`: `due_soon` at the yellow threshold, `due` at the due time |
| `task.overdue` | supervisors | the scheduler marked the task overdue (超期) |
| `task.rollup` | assignees, supervisors of the parent | a sub-task moved the parent's progress |

Every payload is `{"task": <summary>, "by": <person id or null>, …extra}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from core.tx import Work
from supervision.models import Task
from supervision.parties import audiences, concerned_ids
from supervision.policy import Light, TaskState
from supervision.shapes import summary


def task_payload(task: Task, *, by: int | None, **extra: Any) -> dict[str, Any]:
    return {"task": summary(task), "by": by, **extra}


async def notify(
    work: Work, task: Task, kind: str, *, by: int | None,
    people: Iterable[int] | None = None, **extra: Any,
) -> None:
    """Emit `task.<kind>` to `people` (by default everyone the task concerns)."""
    targets = set(people) if people is not None else await concerned_ids(task)
    if targets:
        work.emit(f"task.{kind}", audiences(targets), task_payload(task, by=by, **extra))


class LeadBrief(BaseModel):
    type: Literal["unit", "person"]
    id: int


class TaskBrief(BaseModel):
    """Enough of a task to update a list row without another request."""

    id: int
    title: str
    state: TaskState
    priority: str
    light: Light | None
    overdue: bool
    due_at: datetime
    progress: int
    percent: int
    reported_percent: int
    rollup_percent: int | None
    continuing: bool
    parent_id: int | None
    unit_id: int
    origin_unit_id: int
    acting_unit_id: int | None
    lead: LeadBrief


class TaskEventData(BaseModel):
    """Every task event: the task as a ledger line and who moved it; kinds add `comment`,
    `reason`, `message`, `entry` (a record line), `extension` or `stage`."""

    model_config = ConfigDict(extra="allow")
    task: TaskBrief
    by: int | None


EVENTS: dict[str, type[BaseModel]] = {f"task.{kind}": TaskEventData for kind in (
    "assigned", "received", "progressed", "submitted", "accepted", "rejected",
    "extension_requested", "extension_decided", "cancelled", "urged", "reminder", "overdue",
    "rollup", "closed", "continued")}
