"""The cockpit's reads: lights per sub-unit (due soon = yellow) and completion rates by month."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest_asyncio
from conftest import Server
from supervision_helpers import World, days
from tongban_client import ApiError, TongbanClient

from core.clock import clock


@pytest_asyncio.fixture(loop_scope="session")
async def world(server: Server, admin: TongbanClient) -> AsyncIterator[World]:
    w = World(server, admin)
    await w.unit("C", None, "city")
    await w.unit("A", "C", "county")
    await w.unit("B", "C", "county")
    await w.unit("X", None, "city")
    await w.person("sup", "C", ["leader", "unit_admin"])
    await w.person("a", "A")
    await w.person("b", "B")
    await w.person("stranger", "X", ["leader"])
    yield w
    await w.close()


def month_of(moment: datetime) -> str:
    return (moment + timedelta(hours=8)).strftime("%Y-%m")  # months are Beijing months


async def test_stats_count_the_yellow_tasks_as_due_soon(world: World) -> None:
    w, sup = world, world["sup"].client
    await sup.create_task("两天后到期", due_at=days(2), people=[w["a"].id])
    await sup.create_task("十天后到期", due_at=days(10), people=[w["a"].id])
    stats = await sup.task_stats(w.units["C"])
    [a, b] = stats["children"]
    assert (a["open"], a["due_soon"], a["overdue"]) == (2, 1, 0)
    assert (b["open"], b["due_soon"]) == (0, 0)
    yellow = await sup.list_tasks(unit=w.units["C"], light="yellow")
    assert [t["title"] for t in yellow["items"]] == ["两天后到期"]  # the same rule as the ledger


async def test_trend_gives_each_sub_unit_its_completion_rate_by_month_due(world: World) -> None:
    w, sup = world, world["sup"].client
    first, later = days(12), days(45)
    done = await sup.create_task("按时办结", due_at=first, people=[w["a"].id])
    await sup.create_task("未办结", due_at=first, people=[w["a"].id])
    await sup.create_task("下月到期", due_at=later, people=[w["b"].id])
    cancelled = await sup.create_task("撤销的", due_at=first, people=[w["b"].id])
    await w["a"].client.receive_task(done["id"])
    await w["a"].client.complete_task(done["id"], "已办结")
    await sup.accept_task(done["id"])
    await sup.cancel_task(cancelled["id"], "不再需要")
    try:
        clock.advance(timedelta(days=80))  # both months now lie in the last six
        trend = await sup.task_trend(w.units["C"], months=6)
    finally:
        clock.offset = timedelta(0)
    assert len(trend["months"]) == 6
    a, b = trend["children"]
    by_month = {p["month"]: p for p in a["points"]}
    point = by_month[month_of(first)]
    assert (point["assigned"], point["done"], point["completion_rate"]) == (2, 1, 0.5)
    later_b = {p["month"]: p for p in b["points"]}[month_of(later)]
    assert (later_b["assigned"], later_b["done"], later_b["completion_rate"]) == (1, 0, 0.0)
    total = {p["month"]: p for p in trend["total"]}
    assert total[month_of(first)]["assigned"] == 2  # the cancelled task counts nowhere
    empty = [p for p in a["points"] if p["month"] not in (month_of(first), month_of(later))]
    assert all(p["assigned"] == 0 and p["completion_rate"] is None for p in empty)


async def test_trend_is_404_outside_ones_oversight(world: World) -> None:
    w = world
    try:
        await w["stranger"].client.task_trend(w.units["C"])
    except ApiError as error:
        assert error.status == 404
    else:
        raise AssertionError("a leader of another city read this city's trend")
