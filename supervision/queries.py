"""Permission-checked reads of tasks: who may see a task, the ledger (台账) and its filters.

Who may see a task (everyone else gets 404, as if it did not exist):
- system administrators;
- its creator and its assignees (lead and assisting);
- people with oversight (`unit_admin` or `leader`) of the responsible unit or a unit above it,
  or of the desk (办公厅/办公室) of such a unit (`directory.routing` R7);
- whoever may see a task above it in the decomposition tree: a task's sub-tasks are part of it,
  so the city office that assigned a task follows it down to the townships.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

from core.clock import utcnow
from core.db import dialect
from core.errors import NotFound
from directory.auth import Actor
from directory.models import Person, Unit
from supervision.config import yellow_days
from supervision.models import Task, TaskAssignee
from supervision.parties import admin_unit_ids, oversight_paths
from supervision.policy import (
    ACTIVE_STATES, OPEN_STATES, Light, TaskState, ancestor_ids, subtree_bounds, within,
)
from supervision.schemas import TaskFilters


async def access_task(actor: Actor, task_id: int) -> Task:
    """The task if the actor may see it; NotFound when it is missing or not theirs to see."""
    task = await Task.get_or_none(id=task_id)
    if task is None or not await may_see(actor.person, task):
        raise NotFound("No such task.")
    return task


async def may_see(person: Person, task: Task) -> bool:
    """The rules of the module docstring, for the task and the tasks above it."""
    if person.is_admin:
        return True
    above = ancestor_ids(task.lineage)
    chain = [task, *(await Task.filter(id__in=above))] if above else [task]
    if any(t.creator_id == person.id for t in chain):
        return True
    if await TaskAssignee.exists(task_id__in=[t.id for t in chain], person_id=person.id):
        return True
    paths = await oversight_paths(person)
    return any(within(t.path, paths) for t in chain)


async def access_oversight(actor: Actor, unit_id: int) -> Unit:
    """A unit whose ledger and statistics the actor may read (404 otherwise)."""
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None or not (actor.is_admin or within(unit.path, await oversight_paths(actor.person))):
        raise NotFound("No such unit.")
    return unit


def in_subtree(path: str) -> Q:
    """Tasks whose responsible unit is `path` or below it, as an index range where possible.

    On SQLite a byte-order range uses the plain index (its LIKE is case-insensitive and would
    not); on PostgreSQL LIKE is used, served by the `varchar_pattern_ops` index (migration 0002),
    because a range would depend on the database's collation.
    """
    if dialect() == "sqlite":
        lo, hi = subtree_bounds(path)
        return Q(path__gte=lo, path__lt=hi)
    return Q(path__startswith=path)


def overdue_q(now: datetime) -> Q:
    """The SQL form of `policy.is_overdue`."""
    return Q(state__in=_values(OPEN_STATES), due_at__lt=now) | Q(
        state=TaskState.SUBMITTED.value, submitted_at__gt=F("due_at")
    )


def light_q(light: Light, now: datetime) -> Q:
    """The SQL form of `policy.light`."""
    soon = now + timedelta(days=yellow_days())
    if light == Light.RED:
        return overdue_q(now)
    if light == Light.YELLOW:
        return Q(state__in=_values(OPEN_STATES), due_at__gte=now, due_at__lte=soon)
    return Q(state__in=_values(OPEN_STATES), due_at__gt=soon) | Q(
        state=TaskState.SUBMITTED.value, submitted_at__lte=F("due_at")
    )


def status_q(status: str, now: datetime) -> Q:
    if status == "open":
        return Q(state__in=_values(ACTIVE_STATES))
    if status == "overdue":
        return overdue_q(now)
    return Q(state=status)


async def mine_q(actor: Actor) -> Q:
    """Tasks the actor is an assignee or a supervisor of."""
    assigned = Subquery(TaskAssignee.filter(person_id=actor.id).values("task_id"))
    supervised = Q(creator_id=actor.id)
    admin_units = await admin_unit_ids(actor.id)
    if admin_units:
        supervised |= Q(origin_unit_id__in=admin_units) | Q(acting_unit_id__in=admin_units)
    return Q(id__in=assigned) | supervised


async def ledger_query(actor: Actor, filters: TaskFilters) -> QuerySet[Task]:
    """The tasks of the ledger for these filters, newest first.

    With `unit`, every task under that unit (the actor needs oversight of it); with `parent`,
    the sub-tasks of a task the actor may see; otherwise the actor's own tasks.
    """
    now = utcnow()
    if filters.unit is not None:
        unit = await access_oversight(actor, filters.unit)
        query = Task.filter(in_subtree(unit.path))
    elif filters.parent is not None:
        parent = await access_task(actor, filters.parent)
        query = Task.filter(parent_id=parent.id)
    else:
        query = Task.filter(await mine_q(actor))
    return _narrowed(query, filters, now).order_by("-id")


def _narrowed(query: QuerySet[Task], filters: TaskFilters, now: datetime) -> QuerySet[Task]:
    if filters.status is not None:
        query = query.filter(status_q(filters.status, now))
    if filters.overdue is not None:
        query = query.filter(overdue_q(now) if filters.overdue else ~overdue_q(now))
    if filters.light is not None:
        query = query.filter(light_q(Light(filters.light), now))
    if filters.priority is not None:
        query = query.filter(priority=filters.priority)
    return query


def _values(states: frozenset[TaskState]) -> list[str]:
    return sorted(state.value for state in states)
