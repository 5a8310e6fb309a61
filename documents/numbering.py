"""Number series (机关代字) and their counters: 发文字号 and the incoming register's 收文编号.

A number is taken inside the transaction that uses it, by one statement that creates the
year's counter row or moves it on (`… ON CONFLICT DO UPDATE SET last_number = last_number
+ 1 RETURNING last_number`). On PostgreSQL that statement holds the row's lock until commit,
so concurrent issuers queue on it, and a transaction that rolls back gives its number back
with it (SQLite has one writer at a time anyway). Numbers are thus unique and gap-free per
series and year, and the unique index on the document's (series, year, number) stands behind
it.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from core.clock import utcnow
from core.errors import Conflict, Forbidden
from core.rawsql import fetch
from core.tx import atomic
from directory.auth import Actor
from directory.models import Unit
from directory.policy import Role
from documents.models import NumberSeries
from documents.policy import refuse
from documents.queries import is_clerk, roles_in

INCOMING_PREFIX = "收文"
NEXT = (
    "INSERT INTO doc_series_counter (series_id, year, last_number) VALUES ({}, {}, 1) "
    "ON CONFLICT (series_id, year) DO UPDATE "
    "SET last_number = doc_series_counter.last_number + 1 RETURNING last_number"
)


async def next_number(series_id: int, year: int) -> int:
    """The next number of the series in `year`; call inside the transaction that uses it."""
    rows = await fetch(NEXT, [series_id, year])
    return int(rows[0]["last_number"])


async def do_create_series(*, actor: Actor, unit_id: int, prefix: str, kind: str) -> NumberSeries:
    """A unit's new numbering series (机关代字). Who may: its clerks and unit admins.
    Emits nothing."""
    if not await Unit.exists(id=unit_id):
        raise refuse("unit_id", f"Unknown unit: {unit_id}.", "unknown_unit")
    if not (Role.UNIT_ADMIN in await roles_in(actor.id, unit_id)
            or await is_clerk(actor.id, unit_id)):
        raise Forbidden("Only the unit's document desk or its admins may add a series.",
                        slug="not-a-clerk")
    try:
        async with atomic() as work:
            series = await NumberSeries.create(unit_id=unit_id, kind=kind, prefix=prefix,
                                               created_by_id=actor.id, created_at=utcnow())
            work.audit("document.series_create", "document_series", series.id,
                       unit_id=unit_id, prefix=prefix, kind=kind)
    except IntegrityError as exc:
        raise Conflict(f"The unit already has the series {prefix}.",
                       slug="series-exists") from exc
    return series


async def incoming_series(unit_id: int, series_id: int | None) -> NumberSeries:
    """The incoming series to register in: the one named (of this unit), else the unit's
    default 收文 series, made on first use (before, not inside, the registering transaction)."""
    if series_id is not None:
        series = await NumberSeries.get_or_none(id=series_id, unit_id=unit_id, kind="incoming")
        if series is None:
            raise refuse("series_id", "Not an incoming series of this unit.", "unknown_series")
        return series
    series = await NumberSeries.get_or_none(unit_id=unit_id, kind="incoming",
                                            prefix=INCOMING_PREFIX)
    if series is None:
        try:
            series = await NumberSeries.create(unit_id=unit_id, kind="incoming",
                                               prefix=INCOMING_PREFIX, created_at=utcnow())
        except IntegrityError:  # made at the same moment by another registration
            series = await NumberSeries.get(unit_id=unit_id, kind="incoming",
                                            prefix=INCOMING_PREFIX)
    return series


async def list_series(unit_id: int) -> list[dict[str, Any]]:
    rows = await NumberSeries.filter(unit_id=unit_id).order_by("id")
    return [series_public(row) for row in rows]


def series_public(series: NumberSeries) -> dict[str, Any]:
    return {"id": series.id, "unit_id": series.unit_id, "kind": series.kind,
            "prefix": series.prefix, "created_at": series.created_at}
