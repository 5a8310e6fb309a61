"""Resolving an audience to recipient rows, inside the database, a slice at a time.

A send to a whole city must not move a hundred thousand rows through Python (that would hold
the event loop) nor hold the database in one long transaction (on SQLite one connection serves
the whole process). So each slice is one `INSERT … SELECT` over the directory, in a transaction
of its own, covering `PERSON_SLICE` person ids: a subtree is an index range over the units'
materialised `path`, the unit kept per person is their primary post among those addressed
(else the lowest unit id), and `ON CONFLICT DO NOTHING` keeps each person once, with the unit
they were first addressed through (units first, then people and groups). The publisher is
never their own recipient.
"""

from __future__ import annotations

from typing import Any

from tortoise.functions import Max, Min

from core.db import connection, dialect
from core.tx import atomic
from directory.models import Person, Position, Unit
from notices.audience import AudiencePlan
from notices.models import NoticeRecipient
from notices.policy import chunks

PERSON_SLICE = 10_000  # ~50 ms per slice on SQLite (2 cores)
NAMED_SLICE = 5_000  # stays under every engine's limit of bound parameters

RECIPIENTS = NoticeRecipient._meta.db_table
POSITIONS, UNITS, PEOPLE = Position._meta.db_table, Unit._meta.db_table, Person._meta.db_table

# Recipients addressed through posts: one row per person, their primary post if addressed.
THROUGH_POSTS = f"""
INSERT INTO {RECIPIENTS} (notice_id, person_id, unit_id, reconfirm, late)
SELECT ?, p.person_id, COALESCE(MIN(CASE WHEN p.is_primary THEN p.unit_id END), MIN(p.unit_id)),
       ?, ?
FROM {POSITIONS} p
JOIN {UNITS} u ON u.id = p.unit_id
JOIN {PEOPLE} pe ON pe.id = p.person_id
WHERE pe.active = ? AND p.person_id <> ? AND ({{condition}})
GROUP BY p.person_id
ON CONFLICT (notice_id, person_id) DO NOTHING
"""
# People named without any post (e.g. a system administrator) are addressed without a unit.
WITHOUT_POSTS = f"""
INSERT INTO {RECIPIENTS} (notice_id, person_id, unit_id, reconfirm, late)
SELECT ?, pe.id, NULL, ?, ? FROM {PEOPLE} pe
WHERE pe.active = ? AND pe.id <> ? AND ({{condition}})
ON CONFLICT (notice_id, person_id) DO NOTHING
"""


def numbered(sql: str) -> str:
    """`?` placeholders as the engine wants them (`$1, $2…` on PostgreSQL)."""
    if dialect() != "postgres":
        return sql
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


async def _run(template: str, condition: str, params: list[Any]) -> None:
    sql = template.replace("{condition}", condition)
    await connection().execute_query(numbered(sql), params)


def _unit_condition(plan: AudiencePlan) -> tuple[str, list[Any]]:
    if plan.subtrees:  # `/1/5/` ≤ path < `/1/50`: every path under /1/5/, as an index range
        ranges = " OR ".join("(u.path >= ? AND u.path < ?)" for _ in plan.subtrees)
        return ranges, [bound for path in plan.subtrees for bound in (path, path[:-1] + "0")]
    return f"p.unit_id IN ({', '.join('?' for _ in plan.units)})", list(plan.units)


async def insert_recipients(notice_id: int, plan: AudiencePlan) -> int:
    """Write one recipient row per person addressed; how many there are."""
    head = [notice_id, False, False, True, plan.publisher_id]
    if plan.subtrees or plan.units:
        condition, bounds = _unit_condition(plan)
        for low, high in await _person_slices():
            async with atomic():
                await _run(THROUGH_POSTS, f"p.person_id >= ? AND p.person_id < ? AND ({condition})",
                           [*head, low, high, *bounds])
    for chunk in chunks(plan.named, NAMED_SLICE):
        marks = ", ".join("?" for _ in chunk)
        async with atomic():
            await _run(THROUGH_POSTS, f"p.person_id IN ({marks})", [*head, *chunk])
            await _run(WITHOUT_POSTS, f"pe.id IN ({marks})", [*head, *chunk])
    return await NoticeRecipient.filter(notice_id=notice_id).count()


async def _person_slices() -> list[tuple[int, int]]:
    row = await Person.annotate(low=Min("id"), high=Max("id")).values("low", "high")
    low, high = int(row[0]["low"] or 0), int(row[0]["high"] or 0)
    return [(start, start + PERSON_SLICE) for start in range(low, high + 1, PERSON_SLICE)]

