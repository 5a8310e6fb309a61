"""Statistics per unit (督办统计): for a unit and its subtree, per direct sub-unit.

Every task counts for its responsible unit, through the unit path copied onto it when it was
assigned, so "this unit and everything under it" is an index range over `sup_task.path`, and
each direct sub-unit's share is a contiguous part of that range. The query takes the shape each
engine runs fastest (measured with 100,000 tasks, see `bench/supervision_stats.py`):
- PostgreSQL: one prefix scan (`LIKE`, served by the `varchar_pattern_ops` index when the
  subtree is small), grouped by the path segment right after the unit's own path (hash
  aggregate);
- SQLite: one range scan per direct sub-unit, joined with UNION ALL. SQLite would sort every
  row in a temporary B-tree to GROUP BY a computed segment (3× slower); separate ranges of the
  covering index need no sorting at all.

Each task is exactly one of: done on time, done late, overdue, open or cancelled (see
`policy.outcome`). `assigned` leaves out the cancelled ones; the completion rate is
done ÷ assigned, and the average lateness is over the tasks done late, in hours. `due_soon`
counts the open tasks whose light is yellow (the rest of `open` is green). Nothing here
is per person: statistics are per unit only (no ranking of individual officials).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from core.db import connection, dialect
from directory.models import Unit
from supervision.config import yellow_days
from supervision.policy import OPEN_STATES, subtree_bounds

OPEN_LIST = ", ".join(f"'{state.value}'" for state in sorted(OPEN_STATES))
# `{now}` is the placeholder of the current time, `{soon}` of the end of the yellow window; the
# overdue test is `policy.is_overdue`, due soon (yellow) is `policy.light`'s.
AGGREGATES = f"""COUNT(*) AS total,
  COUNT(*) FILTER (WHERE state = 'cancelled') AS cancelled,
  COUNT(*) FILTER (WHERE state = 'done' AND late_seconds = 0) AS done_on_time,
  COUNT(*) FILTER (WHERE state = 'done' AND late_seconds > 0) AS done_late,
  SUM(late_seconds) FILTER (WHERE state = 'done') AS late_seconds,
  COUNT(*) FILTER (WHERE (state IN ({OPEN_LIST}) AND due_at < {{now}})
                      OR (state = 'submitted' AND submitted_at > due_at)) AS overdue,
  COUNT(*) FILTER (WHERE state IN ({OPEN_LIST}) AND due_at >= {{now}}
                      AND due_at <= {{soon}}) AS due_soon"""
PATH_SHAPE = re.compile(r"(/[0-9]+)+/")
FIELDS = ("total", "cancelled", "done_on_time", "done_late", "late_seconds", "overdue",
          "due_soon")
SQLITE_CHUNK = 100  # sub-units per statement (SQLite allows 500 terms in a compound SELECT)
Counters = dict[str, dict[str, int]]


Statement = tuple[str, list[Any]]


def statements(unit: Unit, children: list[Unit], now: datetime) -> list[Statement]:
    """The SQL (and parameters) that count the unit's subtree on this database."""
    if dialect() == "sqlite":
        return _sqlite_statements(unit, children, now)
    start = len(unit.path) + 1  # 1-based position of the first character after the unit's path
    sql = (f"SELECT split_part(substr(path, {start}), '/', 1) AS child, "
           f"{AGGREGATES.format(now='$1', soon='$2')} FROM sup_task "
           f"WHERE path LIKE '{checked_path(unit.path)}%' GROUP BY 1")
    return [(sql, [now, yellow_end(now)])]


def yellow_end(now: datetime) -> datetime:
    return now + timedelta(days=yellow_days())


def checked_path(path: str) -> str:
    """A unit path, safe to write into SQL as it is: only digits and slashes (`/1/5/`).

    PostgreSQL plans `LIKE '/1/5/%'` as an index range but `LIKE $2` only as a filter (twice as
    slow with 100,000 tasks), so the prefix goes in as a literal, checked here first.
    """
    if not PATH_SHAPE.fullmatch(path):
        raise ValueError(f"not a unit path: {path!r}")
    return path


def _sqlite_statements(unit: Unit, children: list[Unit], now: datetime) -> list[Statement]:
    """The unit's own range first, then its sub-units' ranges, SQLITE_CHUNK per statement."""
    ranges = [("", "path = ?", [unit.path])] + [
        (str(child.id), "path >= ? AND path < ?", list(subtree_bounds(child.path)))
        for child in children
    ]
    return [_union(ranges[at:at + SQLITE_CHUNK], now) for at in range(0, len(ranges), SQLITE_CHUNK)]


def _union(ranges: list[tuple[str, str, list[Any]]], now: datetime) -> Statement:
    """One SELECT per (label, range condition, parameters), joined with UNION ALL."""
    sql = " UNION ALL ".join(
        f"SELECT '{label}' AS child, {AGGREGATES.format(now='?', soon='?')} FROM sup_task "
        f"WHERE {where}" for label, where, _ in ranges
    )
    soon = yellow_end(now)
    return sql, [value for _, _, values in ranges for value in (now, now, soon, *values)]


async def raw_counts(unit: Unit, children: list[Unit], now: datetime) -> Counters:
    """Counters per direct sub-unit id (as text), and '' for the unit's own tasks."""
    found: Counters = {}
    for sql, params in statements(unit, children, now):
        found |= _counters(await connection().execute_query_dict(sql, params))
    return found


def _counters(rows: list[dict[str, Any]]) -> Counters:
    return {str(row["child"]): {name: int(row[name] or 0) for name in FIELDS} for row in rows}


def shaped(raw: dict[str, int] | None) -> dict[str, Any]:
    """The public counters of one row, with the rates derived from them."""
    raw = raw or dict.fromkeys(FIELDS, 0)
    assigned = raw["total"] - raw["cancelled"]
    done = raw["done_on_time"] + raw["done_late"]
    return {
        "assigned": assigned, "done_on_time": raw["done_on_time"], "done_late": raw["done_late"],
        "overdue": raw["overdue"], "open": assigned - done - raw["overdue"],
        "due_soon": raw["due_soon"],
        "cancelled": raw["cancelled"],
        "completion_rate": round(done / assigned, 4) if assigned else None,
        "average_lateness_hours": (
            round(raw["late_seconds"] / raw["done_late"] / 3600, 2) if raw["done_late"] else None
        ),
    }


def summed(rows: list[dict[str, int]]) -> dict[str, int]:
    return {name: sum(row[name] for row in rows) for name in FIELDS}


async def unit_stats(unit: Unit, now: datetime) -> dict[str, Any]:
    """The unit's totals, its own tasks, and one row per direct sub-unit (in id order, even
    those without tasks)."""
    children = await Unit.filter(parent_id=unit.id).order_by("id")
    raw = await raw_counts(unit, children, now)
    return {
        "unit": {"id": unit.id, "name": unit.name}, "as_of": now,
        "yellow_days": yellow_days(),
        "total": shaped(summed(list(raw.values()))),
        "own": shaped(raw.get("")),
        "children": [
            {"unit": {"id": child.id, "name": child.name}, **shaped(raw.get(str(child.id)))}
            for child in children
        ],
    }
