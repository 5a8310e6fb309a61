"""Supervision tables: tasks, the people they were assigned to, their records and extensions."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from directory.models import Person, Unit


class Task(Model):
    """A supervised task (督办事项).

    `path` is the materialised path of the responsible unit (the lead unit, or the lead person's
    unit), copied when the task is assigned, since units do not move. Statistics for a unit and
    everything under it are then one prefix scan over it. `lineage` is the task's own path in the
    decomposition tree (`/3/8/21/`), and `origin_unit` the unit that assigned it (交办单位);
    `acting_unit` the government's desk that assigned it in the government's name (代政府督办:
    `directory.routing` R6), so the task is attributed to both. `continuing` marks a task whose
    source was finished (a 收文's 办结) while the handler said the work goes on.
    """

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    priority = fields.CharField(max_length=16, default="normal")
    state = fields.CharField(max_length=16, default="assigned")
    source_type = fields.CharField(max_length=32, null=True)
    source_id = fields.CharField(max_length=64, null=True)
    source_title = fields.CharField(max_length=200, null=True)
    parent: fields.ForeignKeyNullableRelation[Task] = fields.ForeignKeyField(
        "supervision.Task", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    lineage = fields.CharField(max_length=255, default="")
    creator: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="created_tasks", on_delete=fields.RESTRICT
    )
    origin_unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="assigned_tasks", on_delete=fields.RESTRICT
    )
    origin_path = fields.CharField(max_length=255)
    acting_unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="acted_tasks", null=True, on_delete=fields.RESTRICT
    )
    lead_type = fields.CharField(max_length=8)  # unit | person
    lead_id = fields.IntField()
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="led_tasks", on_delete=fields.RESTRICT
    )
    path = fields.CharField(max_length=255)
    due_at = fields.DatetimeField()
    original_due_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    received_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    late_seconds = fields.IntField(null=True)  # set when done: 0 on time, else how late
    overdue_at = fields.DatetimeField(null=True)  # when the scheduler marked it overdue
    last_urged_at = fields.DatetimeField(null=True)
    percent = fields.SmallIntField(default=0)  # the lead's own last report
    rollup_percent = fields.SmallIntField(null=True)  # from the sub-tasks, if any
    continuing = fields.BooleanField(default=False)

    parent_id: int | None
    creator_id: int
    origin_unit_id: int
    acting_unit_id: int | None
    unit_id: int

    class Meta:
        table = "sup_task"
        # Covers the statistics scan: the prefix range on `path` and every column it reads.
        indexes = (("path", "state", "due_at", "submitted_at", "late_seconds"),
                   ("origin_unit_id", "id"), ("creator_id", "id"), ("parent_id", "id"))


class TaskAssignee(Model):
    """A person a task was assigned to, resolved when it was assigned (lead 主办 or assist 协办).

    `via_unit` is the unit through which they were addressed (None when named in person).
    """

    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "supervision.Task", related_name="assignees", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="task_assignments", on_delete=fields.RESTRICT
    )
    role = fields.CharField(max_length=8)  # lead | assist
    via_unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="task_assignments", null=True, on_delete=fields.RESTRICT
    )

    task_id: int
    person_id: int
    via_unit_id: int | None

    class Meta:
        table = "sup_task_assignee"
        unique_together = (("task", "person"),)
        indexes = (("person_id", "task_id"),)


class TaskEntry(Model):
    """One line of a task's record (办理记录): a progress report, a decision, an urging…"""

    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "supervision.Task", related_name="entries", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    actor_id = fields.IntField(null=True)  # None for the scheduler
    percent = fields.SmallIntField(null=True)
    note = fields.TextField(default="")
    file_ids: list[int] = fields.JSONField(default=list)
    at = fields.DatetimeField()

    task_id: int

    class Meta:
        table = "sup_task_entry"
        indexes = (("task_id", "id"),)


class Extension(Model):
    """An extension request (延期申请) and the supervisor's decision on it."""

    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "supervision.Task", related_name="extensions", on_delete=fields.CASCADE
    )
    requested_by_id = fields.IntField()
    requested_at = fields.DatetimeField()
    old_due_at = fields.DatetimeField()
    new_due_at = fields.DatetimeField()
    reason = fields.TextField()
    state = fields.CharField(max_length=16, default="pending")  # pending | approved | refused
    decided_by_id = fields.IntField(null=True)
    decided_at = fields.DatetimeField(null=True)
    comment = fields.TextField(default="")

    task_id: int

    class Meta:
        table = "sup_extension"
        indexes = (("task_id", "state"),)


class TaskFile(Model):
    """A file attached to a task: to the task itself, or to one of its record's entries."""

    id = fields.IntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "supervision.Task", related_name="files", on_delete=fields.CASCADE
    )
    file_id = fields.IntField(db_index=True)
    entry_id = fields.IntField(null=True)

    task_id: int

    class Meta:
        table = "sup_task_file"
