"""Every change to the directory: units, people, positions, groups and devices."""

from __future__ import annotations

import asyncio

from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error
from core.security import Passwords
from core.tx import Work, atomic
from directory.auth import Actor, sessions
from directory.login import do_end_sessions_of
from directory.jwk import public_p256, thumbprint
from directory.models import Device, Group, GroupMember, Person, Position, Session, Unit
from directory.desks import facts
from directory.policy import MAX_DEPTH, child_level_ok, path_of, within
from directory.routing import desk_problem


async def require_manager(actor: Actor, unit: Unit) -> None:
    """Admins manage everything; unit admins their own subtree only (403 elsewhere)."""
    if actor.is_admin:
        return
    if not within(unit.path, await actor.admin_paths()):
        raise Forbidden("You may only manage units within your own part of the org.")


async def do_create_unit(parent: Unit | None, *, actor: Actor, name: str, level: int) -> Unit:
    """Create a unit under `parent` (a root unit needs a system admin).

    Emits `org.unit.changed` to the parent's people.
    """
    if parent is None and not actor.is_admin:
        raise Forbidden("Only a system administrator may create a top-level unit.")
    if parent is not None:
        await require_manager(actor, parent)
        _check_placement(parent, level)
    async with atomic() as work:
        unit = await Unit.create(
            name=name, level=level, parent=parent, depth=(parent.depth + 1) if parent else 1
        )
        unit.path = path_of(parent.path if parent else "/", unit.id)
        await unit.save(update_fields=["path"])
        work.audit("org.unit.create", "unit", unit.id, name=name, level=level,
                   parent_id=parent.id if parent else None)
        if parent is not None:
            notify_unit_changed(work, parent, change="child_added", child_id=unit.id)
        return unit


def _check_placement(parent: Unit, level: int) -> None:
    if not child_level_ok(parent.level, level):
        msg = "A unit cannot sit above its parent's level."
        raise Unprocessable(msg, errors=[field_error(["level"], msg, "level_above_parent")])
    if parent.depth >= MAX_DEPTH:
        raise Unprocessable(f"Units may nest at most {MAX_DEPTH} deep.")


async def do_rename_unit(unit: Unit, *, actor: Actor, name: str) -> Unit:
    """Rename a unit; its people hear of it (`org.unit.changed`)."""
    await require_manager(actor, unit)
    async with atomic() as work:
        old = unit.name
        unit.name = name
        await unit.save(update_fields=["name"])
        work.audit("org.unit.rename", "unit", unit.id, old=old, new=name)
        notify_unit_changed(work, unit, change="renamed")
    return unit


DESK_PROBLEMS = {
    "desk_outside_unit": "The desk must be a unit under this one (its 办公室/办公厅).",
    "desk_level": "The desk must sit at the unit's own level (a county's office is county-level).",
    "desk_chain": "Desks do not chain: the desk names a desk of its own, or this unit is "
                  "another unit's desk.",
}


async def do_set_desk(unit: Unit, *, actor: Actor, desk: Unit | None) -> Unit:
    """Name the unit's document desk (its 办公室/办公厅), or none: from now on what is addressed
    to the unit reaches the desk's clerks too (rules R1 and R8 of `directory.routing`).

    Who may: admins, and unit admins of the unit's subtree. Emits `org.unit.changed`
    (`change: "desk"`) to the unit's people and the desk's.
    """
    await require_manager(actor, unit)
    if desk is not None:
        problem = desk_problem(facts(unit), facts(desk),
                               unit_serves=await Unit.exists(desk_id=unit.id))
        if problem:
            msg = DESK_PROBLEMS[problem]
            raise Unprocessable(msg, errors=[field_error(["desk_unit_id"], msg, problem)])
    async with atomic() as work:
        before, unit.desk_id = unit.desk_id, desk.id if desk else None
        await Unit.filter(id=unit.id).update(desk_id=unit.desk_id)
        work.audit("org.unit.desk", "unit", unit.id, before=before, desk_id=unit.desk_id)
        for touched in filter(None, [unit, desk]):
            notify_unit_changed(work, touched, change="desk", desk_id=unit.desk_id,
                                served_id=unit.id)
    return unit


def notify_unit_changed(work: Work, unit: Unit, *, change: str, **extra: object) -> None:
    work.emit(
        "org.unit.changed", f"unit:{unit.id}",
        {"unit_id": unit.id, "name": unit.name, "change": change, **extra},
    )


async def do_create_person(
    unit: Unit, *, actor: Actor, passwords: Passwords, username: str, display_name: str,
    password: str, title: str | None, roles: list[str],
) -> Person:
    """Create a person holding one position in `unit` (admins, or unit admins of its subtree)."""
    await require_manager(actor, unit)
    if await Person.exists(username=username):
        raise Conflict(f"The username {username!r} is taken.", slug="username-taken")
    hashed = await asyncio.to_thread(passwords.hash, password)
    async with atomic() as work:
        person = await Person.create(
            username=username, display_name=display_name, password_hash=hashed
        )
        await _add_position(work, person, unit, title or "", roles, primary=True)
        work.audit("org.person.create", "person", person.id, username=username, unit_id=unit.id)
    return person


async def do_add_position(
    person: Person, *, actor: Actor, unit: Unit, title: str, roles: list[str]
) -> Position:
    """Give a person another post; they join the unit's audience at once."""
    await require_manager(actor, unit)
    if await Position.exists(person_id=person.id, unit_id=unit.id, title=title):
        raise Conflict("The person already holds this position.")
    async with atomic() as work:
        position = await _add_position(work, person, unit, title, roles, primary=False)
        work.audit("org.position.add", "person", person.id, unit_id=unit.id, title=title)
    return position


async def _add_position(
    work: Work, person: Person, unit: Unit, title: str, roles: list[str], *, primary: bool
) -> Position:
    position = await Position.create(
        person=person, unit=unit, title=title, roles=sorted(set(roles)), is_primary=primary
    )
    notify_membership(work, person.id, unit_id=unit.id, change="joined")
    notify_unit_changed(work, unit, change="person_joined", person_id=person.id)
    return position


async def do_remove_position(position: Position, *, actor: Actor) -> None:
    """Take a post away; the person leaves the unit's audience at once."""
    unit = await position.unit
    await require_manager(actor, unit)
    async with atomic() as work:
        await position.delete()
        work.audit("org.position.remove", "person", position.person_id, unit_id=unit.id)
        notify_membership(work, position.person_id, unit_id=unit.id, change="left")
        notify_unit_changed(work, unit, change="person_left", person_id=position.person_id)


def notify_membership(work: Work, person_id: int, **data: object) -> None:
    """`org.membership.changed`: the gateway re-reads what this person may hear."""
    work.emit("org.membership.changed", f"user:{person_id}", {"person_id": person_id, **data})


async def do_create_group(*, actor: Actor, name: str, member_ids: list[int]) -> Group:
    """Create a named group owned by the actor; members hear of it (`org.group.changed`)."""
    ids = sorted(set(member_ids) | {actor.id})
    found = await Person.filter(id__in=ids, active=True).values_list("id", flat=True)
    missing = sorted(set(ids) - set(found))
    if missing:
        raise Unprocessable(
            "Some members do not exist.",
            errors=[field_error(["member_ids"], f"unknown people: {missing}", "unknown_person")],
        )
    async with atomic() as work:
        group = await Group.create(name=name, owner_id=actor.id)
        await GroupMember.bulk_create([GroupMember(group=group, person_id=pid) for pid in ids])
        work.audit("org.group.create", "group", group.id, name=name, member_ids=ids)
        for pid in ids:
            notify_membership(work, pid, group_id=group.id, change="joined")
        work.emit("org.group.changed", f"group:{group.id}",
                  {"group_id": group.id, "name": name, "change": "created"})
    return group


async def do_register_device(
    *, actor: Actor, name: str, platform: str, public_jwk: dict[str, object]
) -> Device:
    """Register the caller's phone key; the session is then bound to that device."""
    jwk = public_p256(public_jwk)
    thumb = thumbprint(jwk)
    if await Device.exists(thumbprint=thumb):
        raise Conflict("This key is already registered.", slug="device-key-taken")
    async with atomic() as work:
        device = await Device.create(
            person_id=actor.id, name=name, platform=platform, public_jwk=jwk, thumbprint=thumb
        )
        await Session.filter(id=actor.session_id).update(device_id=device.id)
        sessions.drop(actor.session_id)
        work.audit("device.add", "device", device.id, thumbprint=thumb, name=name)
        work.emit("device.added", f"user:{actor.id}", {
            "device_id": device.id, "name": name, "platform": platform,
            "session_id": actor.session_id,
        })
    return device


async def do_revoke_device(device: Device, *, actor: Actor) -> Device:
    """Revoke a device key: no new signatures; what it signed before stays verifiable."""
    if device.person_id != actor.id and not actor.is_admin:
        raise NotFound()
    async with atomic() as work:
        changed = await Device.filter(id=device.id, revoked_at=None).update(revoked_at=utcnow())
        if changed:
            work.audit("device.revoke", "device", device.id)
            work.emit("device.revoked", f"user:{device.person_id}", {"device_id": device.id})
    await device.refresh_from_db()
    return device


async def do_revoke_sessions(person: Person, *, actor: Actor) -> int:
    """End every session of a person at once (admins, or unit admins over all their units)."""
    if not actor.is_admin:
        positions = await Position.filter(person_id=person.id).prefetch_related("unit")
        paths = await actor.admin_paths()
        if not positions or not all(within(p.unit.path, paths) for p in positions):
            raise Forbidden("You may only end sessions of people within your part of the org.")
    return await do_end_sessions_of(person, reason="admin_revoked")
