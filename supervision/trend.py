"""Completion rates over time (完成率走势), per direct sub-unit of a unit, month by month.

A month's figures are over the tasks *due* in that month (Beijing time) in the sub-unit's
subtree: `assigned` leaves out the cancelled ones, `done` counts those accepted as done (on
time or late) by now, and the rate is done ÷ assigned. So the supervisor's question "of what
was due in May, how much is done?" has one number per unit and month; the current month fills
in as it goes. Per unit only, as in `supervision.stats`: nobody's name appears here.

The statements follow `supervision.stats` (one prefix scan grouped by sub-unit on PostgreSQL,
one range per sub-unit on SQLite), served by the covering index on (path, state, due_at, …)
without reading the table. A task's month is found by comparing its due time with the months'
first instants (a CASE over bound parameters), the same on both engines and in no time zone
arithmetic per row; grouping by it is most of the cost (SQLite sorts the rows in a temporary
B-tree: about 130 ms of CPU for 100,000 tasks on this machine, against 50 ms for the scan).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.db import connection, dialect
from directory.models import Unit
from supervision.policy import subtree_bounds
from supervision.stats import SQLITE_CHUNK, Statement, checked_path

BEIJING = timedelta(hours=8)
COUNTS = """COUNT(*) FILTER (WHERE state <> 'cancelled') AS assigned,
  COUNT(*) FILTER (WHERE state = 'done') AS done,
  COUNT(*) FILTER (WHERE state = 'done' AND late_seconds = 0) AS done_on_time"""


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants (UTC) of the last `months` Beijing months, oldest first, and of the
    month after the current one (the end of the window)."""
    local = now + BEIJING
    year, month = local.year, local.month
    starts = []
    for back in range(months - 1, -2, -1):
        y, m = divmod((year * 12 + month - 1) - back, 12)
        starts.append(datetime(y, m + 1, 1, tzinfo=now.tzinfo) - BEIJING)
    return starts


def label(start: datetime) -> str:
    local = start + BEIJING
    return f"{local.year:04d}-{local.month:02d}"


def statements(unit: Unit, children: list[Unit], starts: list[datetime]) -> list[Statement]:
    lo, hi = starts[0], starts[-1]
    if dialect() == "sqlite":
        ranges = [("", "path = ?", [unit.path])] + [
            (str(child.id), "path >= ? AND path < ?", list(subtree_bounds(child.path)))
            for child in children]
        return [_union(ranges[at:at + SQLITE_CHUNK], starts)
                for at in range(0, len(ranges), SQLITE_CHUNK)]
    month, bounds = _numbered(starts, first=3)
    start = len(unit.path) + 1
    sql = (f"SELECT split_part(substr(path, {start}), '/', 1) AS child, {month} AS month, "
           f"{COUNTS} FROM sup_task WHERE path LIKE '{checked_path(unit.path)}%' "
           "AND due_at >= $1 AND due_at < $2 GROUP BY 1, 2")
    return [(sql, [lo, hi, *bounds])]


def _numbered(starts: list[datetime], *, first: int) -> tuple[str, list[datetime]]:
    """The CASE with PostgreSQL's numbered parameters, from `$first` on."""
    bounds = starts[1:]
    cases = " ".join(f"WHEN due_at < ${first + n} THEN {n}" for n in range(len(bounds)))
    return f"CASE {cases} END", bounds


def _union(ranges: list[tuple[str, str, list[Any]]], starts: list[datetime]) -> Statement:
    bounds = starts[1:]
    month = "CASE " + " ".join(f"WHEN due_at < ? THEN {n}" for n in range(len(bounds))) + " END"
    sql = " UNION ALL ".join(
        f"SELECT * FROM (SELECT '{name}' AS child, {month} AS month, {COUNTS} FROM sup_task "
        f"WHERE {where} AND due_at >= ? AND due_at < ? GROUP BY 2)"
        for name, where, _ in ranges)
    return sql, [value for _, _, values in ranges
                 for value in (*bounds, *values, starts[0], starts[-1])]


def point(month: str, raw: dict[str, int] | None) -> dict[str, Any]:
    raw = raw or {"assigned": 0, "done": 0, "done_on_time": 0}
    assigned = raw["assigned"]
    return {"month": month, "assigned": assigned, "done": raw["done"],
            "done_on_time": raw["done_on_time"],
            "completion_rate": round(raw["done"] / assigned, 4) if assigned else None}


async def unit_trend(unit: Unit, now: datetime, *, months: int) -> dict[str, Any]:
    """Per direct sub-unit (in id order) and for the whole subtree, one point per month."""
    children = await Unit.filter(parent_id=unit.id).order_by("id")
    starts = month_starts(now, months)
    found: dict[tuple[str, str], dict[str, int]] = {}
    names = [label(start) for start in starts[:-1]]
    for sql, params in statements(unit, children, starts):
        for row in await connection().execute_query_dict(sql, params):
            found[(str(row["child"]), names[int(row["month"])])] = {
                name: int(row[name] or 0) for name in ("assigned", "done", "done_on_time")}
    return {
        "unit": {"id": unit.id, "name": unit.name}, "as_of": now, "months": names,
        "total": [point(month, _sum(found, month)) for month in names],
        "children": [
            {"unit": {"id": child.id, "name": child.name},
             "points": [point(month, found.get((str(child.id), month))) for month in names]}
            for child in children],
    }


def _sum(found: dict[tuple[str, str], dict[str, int]], month: str) -> dict[str, int]:
    rows = [counts for (_, m), counts in found.items() if m == month]
    return {name: sum(row[name] for row in rows) for name in ("assigned", "done", "done_on_time")}
