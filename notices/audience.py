"""Audiences (发送范围): who may address whom, checked before anything is written.

The checked audience (`AudiencePlan`) is resolved to people by `notices.addressing`, once, at
sending time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from tortoise.expressions import Q

from core.errors import Forbidden, Unprocessable, field_error
from directory.auth import Actor
from directory.models import Group, GroupMember, Person, Position, Unit
from notices.policy import PUBLISHER_ROLES, area_root, chunks, within

ID_CHUNK = 5000  # stays under every engine's limit of bound parameters


@dataclass
class AudienceSpec:
    units: list[int] = field(default_factory=list)
    include_subunits: bool = False
    people: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)


@dataclass
class AudiencePlan:
    """A checked audience, ready to be written as recipient rows (`notices.addressing`)."""

    publisher_id: int
    subtrees: list[str] = field(default_factory=list)  # unit paths, sub-units included
    units: list[int] = field(default_factory=list)  # units on their own
    named: list[int] = field(default_factory=list)  # people by name and group members


async def plan_audience(actor: Actor, spec: AudienceSpec) -> AudiencePlan:
    """Check an audience against what the publisher may address.

    Units outside the publisher's area are 403; unknown units, people or groups (or groups
    the publisher neither owns nor belongs to) are 422.
    """
    units = await _known_units(spec.units)
    await _check_reach(actor, units)
    await _check_people(spec.people)
    members = await _group_members(actor, spec.groups)
    named = sorted(set(spec.people) | set(members))
    if spec.include_subunits:
        return AudiencePlan(actor.id, subtrees=outermost([u.path for u in units]), named=named)
    return AudiencePlan(actor.id, units=[u.id for u in units], named=named)


def _unknown(name: str, ids: Iterable[int]) -> Unprocessable:
    missing = sorted(set(ids))
    msg = f"Unknown {name}: {missing}"
    return Unprocessable(msg, errors=[field_error(["audience", name], msg, f"unknown_{name}")])


async def _known_units(ids: list[int]) -> list[Unit]:
    units = await Unit.filter(id__in=ids) if ids else []
    if len(units) != len(set(ids)):
        raise _unknown("units", set(ids) - {u.id for u in units})
    return units


async def _check_people(ids: list[int]) -> None:
    found: set[int] = set()
    for chunk in chunks(sorted(set(ids)), ID_CHUNK):
        rows = await Person.filter(id__in=chunk, active=True).values_list("id", flat=True)
        found |= set(cast(list[int], rows))
    if len(found) != len(set(ids)):
        raise _unknown("people", set(ids) - found)


async def _group_members(actor: Actor, ids: list[int]) -> list[int]:
    """Members of groups the publisher owns or belongs to (admins: any group)."""
    if not ids:
        return []
    usable = Group.filter(id__in=ids)
    if not actor.is_admin:
        usable = usable.filter(Q(owner_id=actor.id) | Q(members__person_id=actor.id))
    allowed = set(cast(list[int], await usable.distinct().values_list("id", flat=True)))
    if allowed != set(ids):
        raise _unknown("groups", set(ids) - allowed)
    rows = await GroupMember.filter(group_id__in=list(allowed), person__active=True)\
        .values_list("person_id", flat=True)
    return cast(list[int], rows)


async def publisher_areas(actor: Actor) -> list[str] | None:
    """Paths of the areas a publisher may address (None: everywhere, for system admins).

    A clerk, leader or unit admin reaches the administrative area of their unit (see
    `policy.area_root`). Anyone they address by name or group may be anywhere.
    """
    if actor.is_admin:
        return None
    positions = await Position.filter(person_id=actor.id).prefetch_related("unit")
    homes = [p.unit for p in positions if PUBLISHER_ROLES.intersection(p.roles or [])]
    ancestors = {u.id: u for u in await Unit.filter(id__in=_ancestor_ids(homes))}
    return [area_root(_chain(unit, ancestors)) for unit in homes]


def _ancestor_ids(units: list[Unit]) -> set[int]:
    return {int(part) for unit in units for part in unit.path.strip("/").split("/") if part}


def _chain(unit: Unit, units: dict[int, Unit]) -> list[tuple[str, int]]:
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    return [(units[i].path, units[i].level) for i in ids if i in units]


async def may_publish(actor: Actor) -> bool:
    """Only officials with a publishing post (clerk, leader, unit admin) or admins publish."""
    return actor.is_admin or bool(await publisher_areas(actor))


async def _check_reach(actor: Actor, units: list[Unit]) -> None:
    areas = await publisher_areas(actor)
    if areas is None:
        return
    outside = sorted(u.id for u in units if not within(u.path, areas))
    if outside:
        raise Forbidden(f"Units {outside} lie outside the area you may send to.")


def outermost(paths: list[str]) -> list[str]:
    """The paths not inside another one of them (a subtree already covers its sub-subtrees)."""
    ordered = sorted(set(paths))
    kept: list[str] = []
    for path in ordered:
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return kept

