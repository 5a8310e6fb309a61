"""The routing table's facts read from the database, and its rules asked by id.

Every package that routes work by the government's desk and leaders (documents, supervision,
notices) asks here; the rules themselves are `directory.routing`, pure and tested rule by rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from directory import routing
from directory.models import Position, Unit
from directory.policy import Role
from directory.routing import Post, UnitFacts

FACT_FIELDS = ("id", "path", "level", "desk_id")


def facts(unit: Unit) -> UnitFacts:
    return UnitFacts(unit.id, unit.path, unit.level, unit.desk_id)


def _facts(row: dict[str, Any]) -> UnitFacts:
    return UnitFacts(row["id"], row["path"], row["level"], row["desk_id"])


async def unit_facts(unit_id: int) -> UnitFacts | None:
    rows = await Unit.filter(id=unit_id).values(*FACT_FIELDS)
    return _facts(rows[0]) if rows else None


async def posts_of(person_id: int) -> list[Post]:
    rows = await Position.filter(person_id=person_id).values("unit_id", "roles")
    return [Post(row["unit_id"], frozenset(row["roles"] or [])) for row in rows]


async def served_by(desk_ids: Iterable[int]) -> dict[int, list[UnitFacts]]:
    """For each desk, the units that name it as their desk."""
    wanted = list(set(desk_ids))
    found: dict[int, list[UnitFacts]] = {desk: [] for desk in wanted}
    for row in await Unit.filter(desk_id__in=wanted).values(*FACT_FIELDS) if wanted else []:
        found[row["desk_id"]].append(_facts(row))
    return found


async def _unit_and_posts(person_id: int, unit_id: int) -> tuple[UnitFacts | None, list[Post]]:
    return await unit_facts(unit_id), await posts_of(person_id)


async def desk_people(unit_id: int) -> list[int]:
    """R1: the active clerks who receive what is addressed to the unit."""
    unit = await unit_facts(unit_id)
    if unit is None:
        return []
    rows = await Position.filter(unit_id__in=routing.desk_units(unit), person__active=True) \
        .values("person_id", "roles")
    return sorted({row["person_id"] for row in rows if Role.CLERK in (row["roles"] or [])})


async def works_desk(person_id: int, unit_id: int) -> bool:
    """R2: whether the person works the unit's document desk."""
    unit, posts = await _unit_and_posts(person_id, unit_id)
    return unit is not None and routing.works_desk(posts, unit)


async def worked_desks(person_id: int) -> list[int]:
    """The units whose desk the person works (R2 the other way round): the units they are a
    clerk of, and the units those serve as desk."""
    clerk_of = [p.unit_id for p in await posts_of(person_id) if Role.CLERK in p.roles]
    served = await served_by(clerk_of)
    return sorted({*clerk_of, *(u.id for units in served.values() for u in units)})


async def instructs(person_id: int, unit_id: int) -> bool:
    """R3: whether the person is a leader the unit's desk may ask for 批办 and 阅示."""
    unit, posts = await _unit_and_posts(person_id, unit_id)
    if unit is None:
        return False
    served = (await served_by([unit.id]))[unit.id]
    return routing.instructs(posts, unit, served)


async def handling_paths(unit_id: int) -> list[str]:
    """R4: the subtrees a record of the unit may be handled in (承办)."""
    unit = await unit_facts(unit_id)
    if unit is None:
        return []
    return routing.handling_scope(unit, (await served_by([unit.id]))[unit.id])


async def drafts_for(person_id: int, unit_id: int) -> bool:
    """R5: whether the person may draft in the unit's name."""
    unit, posts = await _unit_and_posts(person_id, unit_id)
    return unit is not None and routing.drafts_for(posts, unit)


async def acting_for(person_id: int) -> list[tuple[UnitFacts, int]]:
    """R6: the governments the person may assign tasks for (代政府督办), with the desk acting."""
    posts = await posts_of(person_id)
    return routing.acting_for(posts, await served_by(p.unit_id for p in posts))


async def oversight_roots(person_id: int) -> list[str]:
    """R7: the subtrees whose tasks the person oversees."""
    posts = await posts_of(person_id)
    ids = [p.unit_id for p in posts if p.roles & routing.OVERSIGHT]
    paths = cast(dict[int, str], dict(await Unit.filter(id__in=ids).values_list("id", "path"))
                 if ids else {})
    return routing.oversight_roots(posts, paths, await served_by(ids))


async def contacts(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """R9 for many units at once: the active people who may answer for each (its desk's clerks,
    its leaders and admins), in two queries."""
    ids = list(dict.fromkeys(unit_ids))
    rows = await Unit.filter(id__in=ids).values(*FACT_FIELDS) if ids else []
    units = [_facts(row) for row in rows]
    desk_of = {u.id: routing.desk_units(u) for u in units}
    wanted = {d for ds in desk_of.values() for d in ds}
    posts = await Position.filter(unit_id__in=list(wanted), person__active=True) \
        .values("person_id", "unit_id", "roles") if wanted else []
    found: dict[int, list[int]] = {}
    for unit in units:
        found[unit.id] = sorted({
            p["person_id"] for p in posts if p["unit_id"] in desk_of[unit.id]
            and routing.answers_for([Post(p["unit_id"], frozenset(p["roles"] or []))], unit)})
    return found


async def answered_units(person_id: int) -> list[int]:
    """R9 the other way round: the units the person may answer for."""
    posts = await posts_of(person_id)
    own = [p.unit_id for p in posts if p.roles & (routing.OVERSIGHT | {Role.CLERK})]
    served = await served_by(p.unit_id for p in posts if Role.CLERK in p.roles)
    return sorted({*own, *(u.id for units in served.values() for u in units)})


async def answers_for(person_id: int, unit_id: int) -> bool:
    """R9: whether the person may answer for the unit (its unit 回执)."""
    unit, posts = await _unit_and_posts(person_id, unit_id)
    return unit is not None and routing.answers_for(posts, unit)
