"""Permission-checked reads of the directory.

The org directory (units, names, positions) is visible to every signed-in official, as a
government phone book is; devices and sessions are visible only to their owner.
"""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from core.http import decode_cursor, page
from directory.auth import Actor
from directory.desks import desk_people, worked_desks
from directory.models import Device, GroupMember, Person, Position, Unit
from directory.policy import LEVEL_NAMES, Level, Role


async def access_unit(actor: Actor, unit_id: int) -> Unit:
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound("No such unit.")
    return unit


async def access_person(actor: Actor, person_id: int) -> Person:
    person = await Person.get_or_none(id=person_id, active=True)
    if person is None:
        raise NotFound("No such person.")
    return person


async def access_device(actor: Actor, device_id: int) -> Device:
    """A device of the actor's own; anyone else's is 404, as if it did not exist."""
    device = await Device.get_or_none(id=device_id, person_id=actor.id)
    if device is None:
        raise NotFound("No such device.")
    return device


async def access_position(actor: Actor, position_id: int) -> Position:
    position = await Position.get_or_none(id=position_id)
    if position is None:
        raise NotFound("No such position.")
    return position


def unit_public(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id, "name": unit.name, "level": unit.level,
        "level_name": LEVEL_NAMES[Level(unit.level)], "parent_id": unit.parent_id,
        "path": [int(part) for part in unit.path.strip("/").split("/") if part],
        "desk_id": unit.desk_id,
    }


async def unit_routing(unit: Unit) -> dict[str, Any]:
    """Who serves the unit (`directory.routing`): its desk and the clerks who work it, its
    leaders by position, and the units it serves as their desk."""
    desk = await Unit.get_or_none(id=unit.desk_id) if unit.desk_id else None
    serves = await Unit.filter(desk_id=unit.id).order_by("id")
    clerks = await Person.filter(id__in=await desk_people(unit.id)).order_by("id")
    posts = await Position.filter(unit_id=unit.id, person__active=True) \
        .prefetch_related("person").order_by("id")
    return {
        "unit": unit_public(unit),
        "desk": {"id": desk.id, "name": desk.name} if desk else None,
        "desk_clerks": [_named(p) for p in clerks],
        "leaders": [{"person": _named(p.person), "title": p.title} for p in posts
                    if Role.LEADER in (p.roles or [])],
        "serves": [{"id": u.id, "name": u.name} for u in serves],
    }


def _named(person: Person) -> dict[str, Any]:
    return {"id": person.id, "display_name": person.display_name}


async def unit_with_children(unit: Unit) -> dict[str, Any]:
    children = await Unit.filter(parent_id=unit.id).order_by("id")
    ancestors = await Unit.filter(id__in=unit_public(unit)["path"][:-1]).order_by("depth")
    return {
        **unit_public(unit),
        "children": [unit_public(child) for child in children],
        "ancestors": [{"id": a.id, "name": a.name} for a in ancestors],
    }


async def positions_of(person_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await Position.filter(person_id__in=person_ids).prefetch_related("unit").order_by("id")
    found: dict[int, list[dict[str, Any]]] = {pid: [] for pid in person_ids}
    for row in rows:
        found[row.person_id].append({
            "id": row.id, "unit_id": row.unit_id, "unit_name": row.unit.name,
            "title": row.title, "roles": row.roles, "is_primary": row.is_primary,
        })
    return found


async def people_public(people: list[Person]) -> list[dict[str, Any]]:
    positions = await positions_of([p.id for p in people])
    return [
        {"id": p.id, "username": p.username, "display_name": p.display_name,
         "positions": positions[p.id]}
        for p in people
    ]


async def list_unit_people(
    unit: Unit, *, include_subunits: bool, limit: int, cursor: str | None
) -> dict[str, Any]:
    """People with a position in the unit (or its subtree), by id, cursor-paginated."""
    query = (
        Person.filter(positions__unit__path__startswith=unit.path) if include_subunits
        else Person.filter(positions__unit_id=unit.id)
    )
    query = query.filter(active=True).distinct()
    return await _people_page(query, limit=limit, cursor=cursor)


async def list_people(*, q: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Name search: a Chinese substring (`伟` finds 张伟) or a username prefix."""
    query = Person.filter(active=True)
    if q:
        from tortoise.expressions import Q

        query = query.filter(Q(display_name__contains=q) | Q(username__startswith=q.lower()))
    return await _people_page(query, limit=limit, cursor=cursor)


async def _people_page(query: Any, *, limit: int, cursor: str | None) -> dict[str, Any]:
    after = decode_cursor(cursor)
    if after is not None:
        query = query.filter(id__gt=after)
    people = await query.order_by("id").limit(limit + 1)
    result = page(people, limit=limit, key=lambda p: p.id)
    result["items"] = await people_public(result["items"])
    return result


async def me_public(actor: Actor) -> dict[str, Any]:
    [person] = await people_public([actor.person])
    groups = await GroupMember.filter(person_id=actor.id).prefetch_related("group")
    return {
        **person, "is_admin": actor.is_admin,
        "units": [{"id": p["unit_id"], "name": p["unit_name"]} for p in person["positions"]],
        "groups": [{"id": m.group_id, "name": m.group.name} for m in groups],
        "desks": await _desks_of(actor.id),
        "session_id": actor.session_id, "device_id": actor.device_id,
    }


async def _desks_of(person_id: int) -> list[dict[str, Any]]:
    """The units whose document desk the person works (their own, and those they serve)."""
    ids = await worked_desks(person_id)
    units = await Unit.filter(id__in=ids).order_by("id") if ids else []
    return [{"id": u.id, "name": u.name} for u in units]


def device_public(device: Device) -> dict[str, Any]:
    return {
        "id": device.id, "name": device.name, "platform": device.platform,
        "public_jwk": device.public_jwk, "thumbprint": device.thumbprint,
        "created_at": device.created_at, "revoked_at": device.revoked_at,
    }


async def list_devices(actor: Actor) -> list[dict[str, Any]]:
    devices = await Device.filter(person_id=actor.id).order_by("id")
    return [device_public(device) for device in devices]


async def audiences_for(person_id: int) -> set[str]:
    """Feed audiences a person belongs to through the directory: their units and groups."""
    units = await Position.filter(person_id=person_id).values_list("unit_id", flat=True)
    groups = await GroupMember.filter(person_id=person_id).values_list("group_id", flat=True)
    return {f"unit:{u}" for u in units} | {f"group:{g}" for g in groups}
