"""`do_import_org`: a checked plan written in one transaction, in bulk, with one audit entry."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from itertools import groupby

from tortoise.exceptions import IntegrityError

from core.security import Passwords
from core.tx import Work, atomic
from directory.actions import notify_membership, notify_unit_changed
from directory.importing.checks import check_db, check_plan
from directory.importing.lookups import CHUNK, person_ids
from directory.importing.passwords import hash_passwords
from directory.importing.plan import (
    GroupPlan,
    ImportFailed,
    ImportSummary,
    OrgPlan,
    PersonPlan,
    Problems,
    UnitPlan,
)
from directory.models import Group, GroupMember, Person, Position, Unit
from directory.policy import path_of


async def do_import_org(plan: OrgPlan, *, passwords: Passwords, source: str = "") -> ImportSummary:
    """Write a plan in one transaction, all or nothing, with one `org.import` audit entry.

    The plan is checked again, this time against the database too (taken usernames, missing
    units), and ImportFailed lists every problem. Every person needs a password by now (see
    `assign_passwords`). Emits `org.unit.changed` to existing units that gained children or
    people, and `org.membership.changed` to existing people added to a group.
    """
    started = time.perf_counter()
    existing = await _checked(plan)
    hashes = await hash_passwords(passwords, (person.password or "" for person in plan.people))
    try:
        await _write(plan, hashes, existing, source)
    except IntegrityError as exc:  # someone took a username or removed a unit meanwhile
        problem = f"the database changed during the import ({exc}); nothing was imported"
        raise ImportFailed([f"{problem}, please run it again"]) from exc
    seconds = time.perf_counter() - started
    return ImportSummary(len(plan.units), len(plan.people), len(plan.groups), seconds)


async def _checked(plan: OrgPlan) -> dict[int, Unit]:
    """Raise ImportFailed unless the plan is fit to write; returns the existing units it uses."""
    errors = Problems()
    check_plan(plan, errors)
    existing = await check_db(plan, errors)
    for person in plan.people:
        if not person.password:
            errors.add(person.loc, "password", "password is required")
    if errors:
        raise errors.failure()
    return existing


async def _write(plan: OrgPlan, hashes: dict[str, str], existing: dict[int, Unit],
                 source: str) -> None:
    async with atomic() as work:
        placed = await _insert_units(plan.units, existing)
        for unit in plan.units:
            if unit.desk is not None:
                await Unit.filter(id=placed[unit.ref].id).update(desk_id=placed[unit.desk].id)
        ids = await _insert_people(plan.people, hashes)
        await Position.bulk_create(_positions(plan.people, ids, placed), batch_size=CHUNK)
        outsiders = await person_ids({m for g in plan.groups for m in g.members} - ids.keys())
        groups = await _insert_groups(plan.groups, ids | outsiders)
        work.audit("org.import", "org", "import", units=len(plan.units),
                   people=len(plan.people), groups=len(plan.groups), source=source)
        _notify_units(work, plan, placed, existing)
        _notify_groups(work, groups, outsiders)


async def _insert_units(units: list[UnitPlan], existing: dict[int, Unit]) -> dict[str, Unit]:
    """Insert parents before children, one bulk INSERT per layer of the file's tree.

    tortoise's bulk_create gives back no ids, and a unit's path needs its own id: so each row is
    inserted with a unique temporary path, found again by it, and then given its real path.
    """
    placed: dict[str, Unit] = {}
    marker = f"?import-{secrets.token_hex(8)}/"
    for chain, layer in groupby(sorted(units, key=lambda u: u.chain), key=lambda u: u.chain):
        batch = [(unit, _parent(unit, placed, existing)) for unit in layer]
        rows = [Unit(name=unit.name, level=unit.level, parent_id=parent.id if parent else None,
                     depth=parent.depth + 1 if parent else 1, path=f"{marker}{chain}/{index}")
                for index, (unit, parent) in enumerate(batch)]
        await Unit.bulk_create(rows, batch_size=CHUNK)
        found = await Unit.filter(path__startswith=f"{marker}{chain}/").values_list("path", "id")
        ids = {str(path): int(pk) for path, pk in found}
        for (unit, parent), row in zip(batch, rows, strict=True):
            row.id = ids[row.path]
            row.path = path_of(parent.path if parent else "/", row.id)
            placed[unit.ref] = row
    await Unit.bulk_update(list(placed.values()), fields=["path"], batch_size=CHUNK)
    return placed


def _parent(unit: UnitPlan, placed: dict[str, Unit], existing: dict[int, Unit]) -> Unit | None:
    if unit.parent is None:
        return None
    return placed[unit.parent] if isinstance(unit.parent, str) else existing[unit.parent]


async def _insert_people(people: list[PersonPlan], hashes: dict[str, str]) -> dict[str, int]:
    rows = [Person(username=p.username, display_name=p.display_name,
                   password_hash=hashes[p.password or ""], is_admin=p.is_admin) for p in people]
    await Person.bulk_create(rows, batch_size=CHUNK)
    return await person_ids(person.username for person in people)


def _positions(people: list[PersonPlan], ids: dict[str, int],
               placed: dict[str, Unit]) -> list[Position]:
    return [
        Position(person_id=ids[person.username], title=position.title,
                 unit_id=placed[position.unit].id if isinstance(position.unit, str)
                 else position.unit, roles=list(position.roles), is_primary=index == 0)
        for person in people for index, position in enumerate(person.positions)
    ]


async def _insert_groups(groups: list[GroupPlan],
                         ids: dict[str, int]) -> list[tuple[int, GroupPlan]]:
    made: list[tuple[int, GroupPlan]] = []
    members: list[GroupMember] = []
    for plan in groups:  # few groups, many members: members go in bulk
        group = await Group.create(name=plan.name, owner_id=ids[plan.owner])
        members += [GroupMember(group_id=group.id, person_id=ids[name]) for name in plan.members]
        made.append((group.id, plan))
    await GroupMember.bulk_create(members, batch_size=CHUNK)
    return made


def _notify_units(work: Work, plan: OrgPlan, placed: dict[str, Unit],
                  existing: dict[int, Unit]) -> None:
    """Existing units that gained children or people hear of it once; new units have no one."""
    children: dict[int, list[int]] = {}
    for unit in plan.units:
        if isinstance(unit.parent, int):
            children.setdefault(unit.parent, []).append(placed[unit.ref].id)
    joined = Counter(p.unit for person in plan.people for p in person.positions
                     if isinstance(p.unit, int))
    for unit_id in sorted(children.keys() | joined.keys()):
        notify_unit_changed(work, existing[unit_id], change="imported",
                            child_ids=children.get(unit_id, []), people_added=joined[unit_id])


def _notify_groups(work: Work, groups: list[tuple[int, GroupPlan]],
                   outsiders: dict[str, int]) -> None:
    """People already in the database who were put in a group: their gateway re-reads audiences."""
    for group_id, group in groups:
        for name in group.members:
            if name in outsiders:
                notify_membership(work, outsiders[name], group_id=group_id, change="joined")
