"""Assigning a task (立项交办) and splitting one into sub-tasks for sub-units (分解).

Rules (each refusal a clear problem):
- Everyone addressed must exist; a unit must have someone to receive it (see `parties`); a person
  must hold a position somewhere (their unit is where the task is counted).
- One lead (牵头/主办): given as `lead`, or the only assignee; the others assist (协办).
- A top-level task is assigned from a unit where the creator holds `leader` or `unit_admin`, to
  units and people within that unit's subtree; failing that, by a leader or unit admin of a
  government's desk (its 办公厅/办公室) in the government's name, to units and people within
  the government's subtree (代政府督办, `directory.routing` R6: the government is the assigning
  unit, the desk is recorded as acting for it); system administrators: from anywhere, the
  assigning unit being the assignees' nearest common unit; otherwise 403.
- A sub-task is split off by a lead assignee of the parent, once signed for, to units and people
  under the parent's responsible unit, due no later than the parent.
- The due time lies in the future.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.clock import isoformat, utcnow
from core.errors import Conflict, Forbidden, Unprocessable, field_error
from directory.auth import Actor
from directory.desks import acting_for
from directory.models import Person, Unit
from supervision.models import Task
from supervision.parties import OVERSIGHT_ROLES, home_units, is_lead, role_paths, unit_handlers
from supervision.policy import Move, sources_of, within
from supervision.schemas import LeadIn, TaskCreate


@dataclass
class Plan:
    """Who a new task goes to, resolved from the request."""

    origin: Unit
    unit: Unit  # the responsible unit: the lead unit, or the lead person's unit
    lead: LeadIn
    acting: Unit | None = None  # the desk assigning in the origin's name (代政府督办)
    roles: dict[int, tuple[str, int | None]] = field(default_factory=dict)  # person → role, via


def invalid(loc: list[str | int], msg: str, kind: str) -> Unprocessable:
    return Unprocessable(msg, errors=[field_error(loc, msg, kind)])


async def plan_task(actor: Actor, draft: TaskCreate, parent: Task | None) -> Plan:
    """Check a new task against the rules above and resolve its people."""
    if draft.due_at <= utcnow():
        raise invalid(["due_at"], "The due time has already passed.", "due_in_past")
    units = await _units(draft.assignees.units)
    homes = await _homes(draft.assignees.people)
    lead = _lead(draft)
    paths = [u.path for u in units.values()] + [u.path for u in homes.values()]
    origin, acting = (await _parent_origin(actor, draft, parent, paths), None) if parent else (
        await _issuing_unit(actor, paths)
    )
    responsible = units[lead.id] if lead.type == "unit" else homes[lead.id]
    plan = Plan(origin=origin, unit=responsible, lead=lead, acting=acting)
    await _resolve(plan, units, list(homes))
    return plan


async def _units(ids: list[int]) -> dict[int, Unit]:
    found = {u.id: u for u in await Unit.filter(id__in=ids)}
    missing = sorted(set(ids) - set(found))
    if missing:
        raise invalid(["assignees", "units"], f"Unknown units: {missing}.", "unknown_unit")
    return found


async def _homes(ids: list[int]) -> dict[int, Unit]:
    """Each person addressed, mapped to the unit they belong to."""
    active = set(await Person.filter(id__in=ids, active=True).values_list("id", flat=True))
    missing = sorted(set(ids) - active)
    if missing:
        raise invalid(["assignees", "people"], f"Unknown people: {missing}.", "unknown_person")
    homes = await home_units(ids)
    homeless = sorted(set(ids) - set(homes))
    if homeless:
        msg = f"These people hold no position in any unit: {homeless}."
        raise invalid(["assignees", "people"], msg, "person_without_unit")
    return {pid: homes[pid] for pid in ids}


def _lead(draft: TaskCreate) -> LeadIn:
    """The lead as given (added to the assignees if missing), or the only assignee."""
    addressed = [LeadIn(type="unit", id=u) for u in draft.assignees.units] + [
        LeadIn(type="person", id=p) for p in draft.assignees.people
    ]
    if draft.lead is not None:
        if draft.lead not in addressed:
            raise invalid(["lead"], "The lead must be one of the assignees.", "lead_not_assignee")
        return draft.lead
    if len({(a.type, a.id) for a in addressed}) == 1:
        return addressed[0]
    msg = "Several assignees: name the lead (牵头单位) as `lead`."
    raise invalid(["lead"], msg, "lead_required")


async def _issuing_unit(actor: Actor, paths: list[str]) -> tuple[Unit, Unit | None]:
    """The deepest unit the actor leads or administers that holds every assignee; else the
    deepest government the actor's desk may act for (with that desk)."""
    fitting = [
        (uid, path) for uid, path in await role_paths(actor.id, OVERSIGHT_ROLES)
        if all(within(p, [path]) for p in paths)
    ]
    if fitting:
        uid, _ = max(fitting, key=lambda item: len(item[1]))
        return await Unit.get(id=uid), None
    acting = [(g, desk) for g, desk in await acting_for(actor.id)
              if all(within(p, [g.path]) for p in paths)]
    if acting:
        government, desk = max(acting, key=lambda item: len(item[0].path))
        return await Unit.get(id=government.id), await Unit.get(id=desk)
    if actor.is_admin:
        return await Unit.get(id=_common_unit(paths)), None
    raise Forbidden("You may assign tasks only within a unit you lead or administer, or for "
                    "the government whose office (办公厅/办公室) you lead.")


def _common_unit(paths: list[str]) -> int:
    split = [p.strip("/").split("/") for p in paths]
    common = split[0]
    for parts in split[1:]:
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    if not common:
        raise invalid(["assignees"], "The assignees share no common unit.", "no_common_unit")
    return int(common[-1])


async def _parent_origin(actor: Actor, draft: TaskCreate, parent: Task, paths: list[str]) -> Unit:
    """Splitting off a sub-task: by a lead of the parent, within its unit, due no later."""
    if not await is_lead(actor.id, parent):
        raise Forbidden("Only the lead assignees of a task may split it into sub-tasks.")
    if parent.state not in sources_of(Move.DECOMPOSE):
        raise Conflict(f"A task that is {parent.state} cannot be split; sign for it first.",
                       slug="task-state")
    if not all(within(p, [parent.path]) for p in paths):
        msg = "Sub-tasks go to units and people under the parent task's unit."
        raise invalid(["assignees"], msg, "outside_parent_unit")
    if draft.due_at > parent.due_at:
        msg = f"A sub-task is due no later than its parent ({isoformat(parent.due_at)})."
        raise invalid(["due_at"], msg, "after_parent_due")
    return await Unit.get(id=parent.unit_id)


async def _resolve(plan: Plan, units: dict[int, Unit], people: list[int]) -> None:
    """Everyone addressed, as people: the lead's people lead, the others assist."""
    handlers = await unit_handlers(list(units))
    empty = sorted(uid for uid, found in handlers.items() if not found)
    if empty:
        msg = f"Nobody works in these units to receive the task: {empty}."
        raise invalid(["assignees", "units"], msg, "unit_without_people")
    for uid, pids in handlers.items():
        role = "lead" if (plan.lead.type, plan.lead.id) == ("unit", uid) else "assist"
        for pid in pids:
            _add(plan, pid, role, uid)
    for pid in people:
        _add(plan, pid, "lead" if (plan.lead.type, plan.lead.id) == ("person", pid) else "assist",
             None)


def _add(plan: Plan, person_id: int, role: str, via: int | None) -> None:
    """A person addressed twice keeps the stronger role (lead over assist)."""
    if plan.roles.get(person_id, ("assist", None))[0] != "lead":
        plan.roles[person_id] = (role, via)

