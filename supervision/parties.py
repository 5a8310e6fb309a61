"""Who a task concerns: its assignees (承办人), its supervisors (督办人), and who oversees a unit.

Decisions encoded here:
- A task addressed to a unit goes to the people of that unit who hold the role `leader` or
  `clerk` (分管领导 and 文书, who sign for incoming work in practice), not to everyone in it: a
  county office of two hundred must not all be pinged for each task. A unit where nobody holds
  either role (a small village committee) gets it addressed to all its people instead, so that
  someone can sign for it. A unit with nobody at all cannot be assigned a task. A unit that names
  a document desk (a government's 办公室) also has the desk's clerks sign for it, as they do for
  its documents (`directory.routing` R1).
- The supervisors of a task are its creator and the `unit_admin`s of the unit that assigned it,
  and of the desk that assigned it in its government's name (代政府督办, R6).
- Oversight (seeing the ledger and statistics of a unit and its subtree) belongs to system
  administrators and to people holding `unit_admin` or `leader` in that unit or above it, or in
  the desk of such a unit (R7).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from directory.desks import oversight_roots
from directory.models import Person, Position, Unit
from directory.policy import Role
from supervision.models import Task, TaskAssignee

HANDLER_ROLES = frozenset({Role.LEADER, Role.CLERK})
OVERSIGHT_ROLES = frozenset({Role.UNIT_ADMIN, Role.LEADER})


async def unit_handlers(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """For each unit, the people a task addressed to it goes to (see the module docstring)."""
    ids = list(unit_ids)
    desks = dict(await Unit.filter(id__in=ids, desk_id__not_isnull=True)
                 .values_list("id", "desk_id")) if ids else {}
    rows = await Position.filter(unit_id__in=[*ids, *desks.values()], person__active=True)\
        .values("unit_id", "person_id", "roles")
    everyone: dict[int, set[int]] = {uid: set() for uid in ids}
    handlers: dict[int, set[int]] = {uid: set() for uid in ids}
    for row in rows:
        roles = set(row["roles"] or [])
        if row["unit_id"] in everyone:
            everyone[row["unit_id"]].add(row["person_id"])
            if HANDLER_ROLES & roles:
                handlers[row["unit_id"]].add(row["person_id"])
        for uid in (u for u, desk in desks.items() if desk == row["unit_id"]):
            if Role.CLERK in roles:
                handlers[uid].add(row["person_id"])
    return {uid: sorted(handlers[uid] or everyone[uid]) for uid in ids}


async def home_units(person_ids: Iterable[int]) -> dict[int, Unit]:
    """Each person's own unit: their primary position's, else their first one's."""
    positions = await Position.filter(person_id__in=list(person_ids)).prefetch_related("unit")
    ordered = sorted(positions, key=lambda p: (not p.is_primary, p.id))
    found: dict[int, Unit] = {}
    for position in ordered:
        found.setdefault(position.person_id, position.unit)
    return found


async def role_paths(person_id: int, roles: frozenset[str]) -> list[tuple[int, str]]:
    """(unit id, path) of the units where the person holds any of `roles`."""
    positions = await Position.filter(person_id=person_id).prefetch_related("unit")
    return [(p.unit_id, p.unit.path) for p in positions if roles & set(p.roles or [])]


async def oversight_paths(person: Person) -> list[str]:
    return await oversight_roots(person.id)


async def admin_unit_ids(person_id: int) -> list[int]:
    return [uid for uid, _ in await role_paths(person_id, frozenset({Role.UNIT_ADMIN}))]


async def supervisor_ids(task: Task) -> set[int]:
    """The creator and the unit admins of the unit that assigned the task (and of the desk
    that assigned it for its government)."""
    units = [task.origin_unit_id, *([task.acting_unit_id] if task.acting_unit_id else [])]
    positions = await Position.filter(unit_id__in=units, person__active=True).values(
        "person_id", "roles"
    )
    admins = {p["person_id"] for p in positions if Role.UNIT_ADMIN in (p["roles"] or [])}
    return admins | {task.creator_id}


async def is_supervisor(person_id: int, task: Task) -> bool:
    return person_id in await supervisor_ids(task)


async def assignee_ids(task: Task, *, role: str | None = None) -> set[int]:
    query = TaskAssignee.filter(task_id=task.id)
    if role is not None:
        query = query.filter(role=role)
    return set(cast(list[int], await query.values_list("person_id", flat=True)))


async def is_lead(person_id: int, task: Task) -> bool:
    return await TaskAssignee.exists(task_id=task.id, person_id=person_id, role="lead")


async def concerned_ids(task: Task) -> set[int]:
    """Everyone a move on the task is told of: its assignees and its supervisors."""
    return await assignee_ids(task) | await supervisor_ids(task)


def audiences(person_ids: Iterable[int]) -> list[str]:
    return [f"user:{pid}" for pid in sorted(set(person_ids))]
