"""Checks of a whole plan: first those that need no database, then those only it can answer."""

from __future__ import annotations

from typing import Any

from directory.importing.fields import show
from directory.importing.lookups import chunks, person_ids
from directory.importing.plan import OrgPlan, PersonPlan, Problems, UnitPlan, UnitRef
from directory.models import Unit
from directory.policy import LEVEL_LABELS, MAX_DEPTH, Level, child_level_ok

# --- checks that need no database --------------------------------------------------------------

def check_plan(plan: OrgPlan, errors: Problems) -> None:
    units = _unique(plan.units, "ref", errors)
    _place_units(units, errors)
    for unit in units.values():
        _check_parent(unit, units, errors)
        _check_desk(unit, units, errors)
    for person in _unique(plan.people, "username", errors).values():
        _check_positions(person, units, errors)
    _unique(plan.groups, "name", errors)


def _unique(items: list[Any], key: str, errors: Problems) -> dict[str, Any]:
    first: dict[str, Any] = {}
    for item in items:
        value = getattr(item, key)
        if value and first.setdefault(value, item) is not item:
            at = first[value].loc.base
            errors.add(item.loc, key, f"{key} {show(value)} is already used at {at}")
    return first


def _place_units(units: dict[str, UnitPlan], errors: Problems) -> None:
    """Set each unit's depth within the file (`chain`) and the existing unit it hangs from."""
    for unit in units.values():
        unit.chain, unit.anchor = 0, None
    for start in units.values():
        trail: list[UnitPlan] = []
        seen: set[UnitPlan] = set()  # plans hash by identity (eq=False)
        node: UnitPlan | None = start
        while node is not None and node.chain == 0 and node not in seen:
            trail.append(node)
            seen.add(node)
            node = units.get(node.parent) if isinstance(node.parent, str) else None
        if node is not None and node in seen:
            loop = " → ".join(unit.ref for unit in [*trail[trail.index(node):], node])
            errors.add(node.loc, "parent", f"parents go round in a loop: {loop}")
        _set_chain(trail, node)


def _set_chain(trail: list[UnitPlan], top: UnitPlan | None) -> None:
    """Number `trail` (child first) downwards from `top`, the placed unit or loop above it."""
    if top is not None:
        base, anchor = (-1 if top in trail else top.chain), top.anchor
    else:
        parent = trail[-1].parent if trail else None
        base, anchor = 0, parent if isinstance(parent, int) else None
    for offset, unit in enumerate(reversed(trail), start=1):
        unit.chain, unit.anchor = (-1 if base < 0 else base + offset), anchor


def _check_parent(unit: UnitPlan, units: dict[str, UnitPlan], errors: Problems) -> None:
    parent = units.get(unit.parent) if isinstance(unit.parent, str) else None
    if isinstance(unit.parent, str) and parent is None:
        errors.add(unit.loc, "parent", f"parent {show(unit.parent)} is not defined")
    if parent is not None:
        _check_level(unit, parent.level, errors)
    if unit.anchor is None:
        _check_depth(unit, unit.chain, errors)


def _check_desk(unit: UnitPlan, units: dict[str, UnitPlan], errors: Problems) -> None:
    """A desk is a unit of the file under this one at its level; desks do not chain
    (`directory.routing` R8)."""
    if unit.desk is None:
        return
    desk = units.get(unit.desk)
    if desk is None:
        errors.add(unit.loc, "desk", f"desk {show(unit.desk)} is not defined")
    elif desk is unit or not _under(desk, unit, units):
        errors.add(unit.loc, "desk", f"desk {show(unit.desk)} is not a unit under {unit.ref}")
    elif desk.level != unit.level:
        errors.add(unit.loc, "desk", f"desk {show(unit.desk)} is not at the unit's own level")
    elif desk.desk is not None or any(u.desk == unit.ref for u in units.values()):
        errors.add(unit.loc, "desk", "desks do not chain: a desk names no desk of its own")


def _under(unit: UnitPlan, ancestor: UnitPlan, units: dict[str, UnitPlan]) -> bool:
    node, seen = unit, 0
    while isinstance(node.parent, str) and node.parent in units and seen <= len(units):
        node, seen = units[node.parent], seen + 1
        if node is ancestor:
            return True
    return False


def _check_level(unit: UnitPlan, parent_level: int, errors: Problems) -> None:
    if unit.level and parent_level and not child_level_ok(parent_level, unit.level):
        errors.add(unit.loc, "level", f"level {_level_name(unit.level)} is above its parent's "
                                      f"level {_level_name(parent_level)}")


def _check_depth(unit: UnitPlan, depth: int, errors: Problems) -> None:
    if depth == MAX_DEPTH + 1:  # reported once, where a branch first goes too deep
        errors.add(unit.loc, "parent", f"units may nest at most {MAX_DEPTH} deep")


def _level_name(level: int) -> str:
    return f"{Level(level).name.lower()} ({LEVEL_LABELS[level]})"


def _check_positions(person: PersonPlan, units: dict[str, UnitPlan], errors: Problems) -> None:
    held: set[tuple[UnitRef, str]] = set()
    for position in person.positions:
        if isinstance(position.unit, str) and position.unit not in units:
            errors.add(position.loc, "unit", f"unit {show(position.unit)} is not defined")
        if (position.unit, position.title) in held:
            errors.add(position.loc, "title", f"{person.username} already holds the title "
                                              f"{show(position.title)} in this unit")
        held.add((position.unit, position.title))


# --- checks against the database (reads only) --------------------------------------------------

async def check_db(plan: OrgPlan, errors: Problems) -> dict[int, Unit]:
    """Problems only the database reveals; returns the existing units the plan refers to."""
    existing = await _existing_units(plan)
    for unit in plan.units:
        _check_anchor(unit, existing, errors)
    for person in plan.people:
        for position in person.positions:
            if isinstance(position.unit, int) and position.unit not in existing:
                errors.add(position.loc, "unit", f"unit #{position.unit} does not exist")
    await _check_usernames(plan, errors)
    return existing


async def _existing_units(plan: OrgPlan) -> dict[int, Unit]:
    ids = {unit.parent for unit in plan.units if isinstance(unit.parent, int)}
    ids |= {p.unit for person in plan.people for p in person.positions if isinstance(p.unit, int)}
    found: dict[int, Unit] = {}
    for chunk in chunks(sorted(ids)):
        found.update((unit.id, unit) for unit in await Unit.filter(id__in=chunk))
    return found


def _check_anchor(unit: UnitPlan, existing: dict[int, Unit], errors: Problems) -> None:
    if isinstance(unit.parent, int):
        if unit.parent not in existing:
            errors.add(unit.loc, "parent", f"parent #{unit.parent} is not an existing unit")
            return
        _check_level(unit, existing[unit.parent].level, errors)
    if unit.anchor in existing:
        _check_depth(unit, existing[unit.anchor].depth + unit.chain, errors)


async def _check_usernames(plan: OrgPlan, errors: Problems) -> None:
    mine = {person.username for person in plan.people}
    taken = await person_ids(mine)
    for person in plan.people:
        if person.username in taken:
            errors.add(person.loc, "username",
                       f"username {show(person.username)} already exists in the database")
    others = {name for group in plan.groups for name in group.members} - mine
    found = await person_ids(others, active=True)
    for group in plan.groups:
        for name in [m for m in group.members if m and m not in mine and m not in found]:
            errors.add(group.loc, "owner" if name == group.owner else "members",
                       f"{show(name)} is neither in the file nor an active person in the database")
