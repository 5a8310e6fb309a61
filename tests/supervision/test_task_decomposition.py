"""Splitting tasks (分解), cancelling down the tree, extensions' rules, races and the clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from conftest import Server
from supervision_helpers import (
    World, about, audit_actions, days, events_of, mark, run_schedulers_twice, settle,
)
from tongban_client import ApiError, TongbanClient

from core.clock import clock
from core.models import Job
from supervision.policy import Stage
from supervision.reminders import job_key


@pytest_asyncio.fixture(loop_scope="session")
async def world(server: Server, admin: TongbanClient) -> AsyncIterator[World]:
    w = World(server, admin)
    await w.unit("P", None, "province")
    await w.unit("C", "P", "city")
    await w.unit("X", "P", "city")
    await w.unit("A", "C", "county")
    await w.unit("B", "C", "county")
    await w.unit("A1", "A", "township")
    for key, unit, roles in [("sup", "P", ["leader"]), ("cc", "C", ["clerk"]),
                             ("ca", "A", ["clerk"]), ("cb", "B", ["clerk"]),
                             ("ta", "A1", ["clerk"]), ("cx", "X", ["clerk"])]:
        await w.person(key, unit, roles)
    yield w
    await w.close()


async def assigned(w: World, by: str, unit: str, due: float, parent: int | None = None
                   ) -> dict[str, Any]:
    return await w[by].client.create_task(f"事项-{unit}", due_at=days(due),
                                          units=[w.units[unit]], parent_id=parent)


async def chain(w: World) -> tuple[int, int, int]:
    """R (city) → RA (county A) → RA1 (township A1), each signed for."""
    root = await assigned(w, "sup", "C", 10)
    await w["cc"].client.receive_task(root["id"])
    county = await assigned(w, "cc", "A", 8, root["id"])
    await w["ca"].client.receive_task(county["id"])
    township = await assigned(w, "ca", "A1", 6, county["id"])
    await w["ta"].client.receive_task(township["id"])
    return root["id"], county["id"], township["id"]


async def refused(call: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    return caught.value


async def test_split_needs_the_parent_signed_for_by_its_lead_and_stays_within(
    world: World,
) -> None:
    w = world
    root = await assigned(w, "sup", "C", 10)
    assert (await refused(assigned(w, "cc", "A", 8, root["id"]))).status == 409
    await w["cc"].client.receive_task(root["id"])
    assert (await refused(assigned(w, "sup", "A", 8, root["id"]))).status == 403
    outside = await refused(assigned(w, "cc", "X", 8, root["id"]))
    assert outside.status == 422 and outside.errors[0]["type"] == "outside_parent_unit"
    late = await refused(assigned(w, "cc", "A", 11, root["id"]))
    assert late.status == 422 and late.errors[0]["type"] == "after_parent_due"
    assert (await refused(assigned(w, "cx", "A", 5, root["id"]))).status == 404
    child = await assigned(w, "cc", "A", 8, root["id"])
    assert child["parent_id"] == root["id"] and child["origin_unit"]["id"] == w.units["C"]
    assert "task.decompose" in await audit_actions(root["id"])


async def test_submit_waits_for_the_sub_tasks(world: World) -> None:
    w = world
    _, county, township = await chain(w)
    error = await refused(w["ca"].client.complete_task(county, "完成"))
    assert error.status == 409
    assert (await w["ca"].client.get_task(county))["state"] == "received"
    await w["ta"].client.complete_task(township, "完成")
    await w["ca"].client.accept_task(township)
    assert (await w["ca"].client.complete_task(county, "完成"))["state"] == "submitted"


async def test_cancel_takes_the_unfinished_sub_tasks_with_it(world: World) -> None:
    w = world
    root, county, township = await chain(w)
    other = await assigned(w, "cc", "B", 8, root)
    await w["cb"].client.receive_task(other["id"])
    await w["cb"].client.complete_task(other["id"], "完成")
    await w["cc"].client.accept_task(other["id"])
    start = await mark(w["ta"])
    cancelled = await w["sup"].client.cancel_task(root, "任务调整")
    assert cancelled["state"] == "cancelled"
    states = {tid: (await w["sup"].client.get_task(tid))["state"]
              for tid in (county, township, other["id"])}
    assert states == {county: "cancelled", township: "cancelled", other["id"]: "done"}
    events = about(await events_of(w["ta"], start, "task.cancelled"), township)
    assert [e["data"]["reason"] for e in events] == ["任务调整"]
    assert (await audit_actions(township))[-1] == "task.cancel"
    jobs = await Job.filter(key__in=[job_key(township, s) for s in Stage]).values_list(
        "state", flat=True)
    assert set(jobs) == {"cancelled"}
    stats = await w["sup"].client.task_stats(w.units["C"])
    assert stats["own"]["cancelled"] >= 1
    assert (await refused(w["sup"].client.cancel_task(root, "再撤"))).status == 409


async def test_extension_requests_follow_the_rules(world: World) -> None:
    w = world
    _, _, township = await chain(w)
    ta, ca = w["ta"].client, w["ca"].client
    assert (await refused(ta.request_extension(township, days(5), "早于原时限"))).status == 422
    beyond = await refused(ta.request_extension(township, days(9), "晚于上级时限"))
    assert beyond.errors[0]["type"] == "after_parent_due"
    ext = await ta.request_extension(township, days(7), "需要更多时间")
    assert ext["state"] == "pending"
    assert (await refused(ta.request_extension(township, days(7.5), "再申请"))).status == 409
    assert (await refused(ta.approve_extension(township, ext["id"]))).status == 403
    assert (await refused(w["cb"].client.approve_extension(township, ext["id"]))).status == 404
    shown = await ca.get_task(township)
    assert shown["pending_extension"]["id"] == ext["id"]
    decided = await ca.approve_extension(township, ext["id"], "同意")
    assert decided["state"] == "approved" and decided["decided_by"] == w["ca"].id
    assert (await refused(ca.refuse_extension(township, ext["id"]))).status == 409
    assert (await ca.get_task(township))["due_at"] == ext["new_due_at"]
    job = await Job.get(key=job_key(township, Stage.DUE))
    assert job.due_at.isoformat() == ext["new_due_at"]


async def test_racing_moves_let_exactly_one_through(world: World) -> None:
    w = world
    first, second = await w.person("ca2", "A", ["clerk"]), w["ca"]
    task = await w["sup"].client.create_task("并发", due_at=days(5), units=[w.units["A"]])
    results = await asyncio.gather(first.client.receive_task(task["id"]),
                                   second.client.receive_task(task["id"]),
                                   return_exceptions=True)
    assert sorted(r.status if isinstance(r, ApiError) else 200 for r in results) == [200, 409]
    urges = await asyncio.gather(*(w["sup"].client.urge_task(task["id"], f"催{n}")
                                   for n in range(3)), return_exceptions=True)
    assert sorted(r.status if isinstance(r, ApiError) else 201 for r in urges) == [201, 429, 429]
    assert (await audit_actions(task["id"])).count("task.urge") == 1


async def test_rework_after_the_due_time_turns_the_task_overdue(world: World) -> None:
    w = world
    task = await w["sup"].client.create_task("按时报送", due_at=days(1), units=[w.units["A"]])
    tid = task["id"]
    await w["ca"].client.receive_task(tid)
    await w["ca"].client.complete_task(tid, "按时提交")
    start = await mark(w["sup"])
    clock.advance(timedelta(days=1, minutes=1))
    try:
        await run_schedulers_twice()
        shown = await w["sup"].client.get_task(tid)
        assert shown["light"] == "green" and shown["overdue"] is False  # submitted in time
        await w["sup"].client.reject_task(tid, "内容不符")
        await run_schedulers_twice()

        async def marked() -> bool:
            return (await w["sup"].client.get_task(tid))["overdue_at"] is not None

        await settle(marked)
        shown = await w["sup"].client.get_task(tid)
        assert shown["light"] == "red" and shown["overdue"] is True
        assert len(about(await events_of(w["sup"], start, "task.overdue"), tid)) == 1
    finally:
        clock.offset = timedelta(0)


async def test_the_yellow_window_follows_the_deployment_setting(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    task = await w["sup"].client.create_task("四天后到期", due_at=days(4), units=[w.units["A"]])
    assert task["light"] == "green"
    monkeypatch.setenv("TONGBAN_SUPERVISION_YELLOW_DAYS", "5")
    assert (await w["sup"].client.get_task(task["id"]))["light"] == "yellow"
    page = await w["sup"].client.list_tasks(unit=w.units["A"], light="yellow")
    assert task["id"] in [item["id"] for item in page["items"]]
