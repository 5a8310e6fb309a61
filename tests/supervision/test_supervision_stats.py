"""Statistics for units with many sub-units, and tasks led by a person rather than a unit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from conftest import Server, unique
from supervision_helpers import World, days
from tongban_client import TongbanClient

WIDE = 105  # more sub-units than one SQLite statement counts (100)


@pytest_asyncio.fixture(loop_scope="session")
async def world(server: Server, admin: TongbanClient) -> AsyncIterator[World]:
    w = World(server, admin)
    await w.unit("P", None, "province")
    await w.unit("C", "P", "city")
    for n in range(WIDE):
        made = await admin.create_unit(unique("街道"), w.units["C"], "township")
        w.units[f"T{n}"] = int(made["id"])
    await w.person("sup", "P", ["leader"])
    await w.person("first", "T0", ["clerk"])
    await w.person("last", f"T{WIDE - 1}", ["clerk"])
    await w.person("officer", "C")
    yield w
    await w.close()


async def test_stats_cover_every_sub_unit_of_a_wide_unit(world: World) -> None:
    w = world
    sup = w["sup"].client
    for key in ("T0", f"T{WIDE - 1}", f"T{WIDE - 1}"):
        await sup.create_task("街道事项", due_at=days(5), units=[w.units[key]])
    task = await sup.create_task("交给个人", due_at=days(5), people=[w["officer"].id])
    assert task["lead"]["type"] == "person" and task["unit"]["id"] == w.units["C"]
    stats = await sup.task_stats(w.units["C"])
    assert len(stats["children"]) == WIDE
    assigned = [row["assigned"] for row in stats["children"]]
    assert assigned[0] == 1 and assigned[-1] == 2 and sum(assigned) == 3
    assert stats["own"]["assigned"] == 1  # the person's task counts for the person's unit
    assert stats["total"]["assigned"] == 4 and stats["total"]["open"] == 4
    assert stats["total"]["completion_rate"] == 0.0
    province = await sup.task_stats(w.units["P"])
    assert [row["assigned"] for row in province["children"]] == [4]
