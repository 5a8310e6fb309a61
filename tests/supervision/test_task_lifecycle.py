"""Assigning tasks and their lifecycle through the client: who may do what, records, events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from conftest import Server
from supervision_helpers import World, about, audit_actions, days, events_of, mark
from tongban_client import ApiError, TongbanClient


@pytest_asyncio.fixture(loop_scope="session")
async def world(server: Server, admin: TongbanClient) -> AsyncIterator[World]:
    """A province with a city and two counties; a supervisor, handlers, a bystander."""
    w = World(server, admin)
    await w.unit("province", None, "province")
    await w.unit("city", "province", "city")
    await w.unit("county", "city", "county")
    await w.unit("other", "city", "county")
    await w.person("sup", "province", ["leader"])
    await w.person("clerk", "city", ["clerk"])
    await w.person("head", "city", ["leader"])
    await w.person("staff", "city")  # no role: not addressed while the city has handlers
    await w.person("county_clerk", "county", ["clerk"])
    await w.person("other_clerk", "other", ["clerk"])
    await w.person("stranger", "province")
    yield w
    await w.close()


async def city_task(w: World, **options: object) -> dict[str, object]:
    return await w["sup"].client.create_task(
        "推进城市更新", due_at=days(10), units=[w.units["city"]], **options  # type: ignore[arg-type]
    )


async def test_create_task_addresses_the_units_leaders_and_clerks(world: World) -> None:
    w = world
    before = {key: await mark(w[key]) for key in ("clerk", "head", "staff", "sup", "stranger")}
    task = await city_task(w, description="旧城改造", priority="urgent",
                           source={"type": "document", "id": 12, "title": "市政府办公室通知"})
    assert task["state"] == "assigned" and task["light"] == "green" and task["overdue"] is False
    assert task["unit"]["id"] == w.units["city"] and task["origin_unit"]["id"] == w.units["province"]
    assert task["lead"] == {"type": "unit", "id": w.units["city"], "name": task["unit"]["name"]}
    assert task["source"] == {"type": "document", "id": "12", "title": "市政府办公室通知"}
    assert sorted((a["person_id"], a["role"]) for a in task["assignees"]) == sorted(
        [(w["clerk"].id, "lead"), (w["head"].id, "lead")]
    )
    assert task["my"] == {"lead": False, "supervisor": True}
    for key in ("clerk", "head", "sup"):
        assert len(about(await events_of(w[key], before[key], "task.assigned"), task["id"])) == 1
    for key in ("staff", "stranger"):
        assert about(await events_of(w[key], before[key], "task.assigned"), task["id"]) == []
    assert await audit_actions(task["id"]) == ["task.create"]


async def test_show_task_is_404_for_people_it_does_not_concern(world: World) -> None:
    task = await city_task(world)
    for key in ("staff", "stranger", "county_clerk"):
        with pytest.raises(ApiError) as caught:
            await world[key].client.get_task(task["id"])
        assert caught.value.status == 404
    assert (await world["head"].client.get_task(task["id"]))["my"]["lead"] is True


async def test_lifecycle_moves_are_recorded_audited_and_evented(world: World) -> None:
    w = world
    task = await city_task(w)
    tid = task["id"]
    start = await mark(w["sup"])
    received = await w["clerk"].client.receive_task(tid)
    assert received["state"] == "received" and received["received_at"]
    entry = await w["clerk"].client.report_progress(tid, 30, "已完成摸底")
    assert entry["kind"] == "progress" and entry["percent"] == 30
    reported = await w["clerk"].client.get_task(tid)
    assert (reported["progress"], reported["percent"], reported["reported_percent"]) == (30, 30, 30)
    done = await w["clerk"].client.complete_task(tid, "已全部完成")
    assert done["state"] == "submitted"
    back = await w["sup"].client.reject_task(tid, "佐证材料不全")
    assert back["state"] == "in_progress"
    await w["head"].client.complete_task(tid, "补充了材料")
    accepted = await w["sup"].client.accept_task(tid, "同意办结")
    assert accepted["state"] == "done" and accepted["light"] is None
    assert accepted["late_seconds"] == 0 and accepted["progress"] == accepted["percent"] == 100
    assert accepted["reported_percent"] == 30  # the lead's own last report, kept as it was
    kinds = [e["kind"] for e in about(await events_of(w["sup"], start), tid)]
    assert kinds == ["task.received", "task.progressed", "task.submitted", "task.rejected",
                     "task.submitted", "task.accepted"]
    assert await audit_actions(tid) == [
        "task.create", "task.receive", "task.progress", "task.submit", "task.reject",
        "task.submit", "task.accept",
    ]
    record = await w["sup"].client.task_entries(tid)
    assert [e["kind"] for e in record["items"]] == [
        "created", "received", "progress", "submitted", "rejected", "submitted", "accepted",
    ]
    assert record["items"][4]["note"] == "佐证材料不全"


async def test_moves_of_the_wrong_party_are_403_and_of_the_wrong_state_409(world: World) -> None:
    w = world
    task = await city_task(w)
    tid = task["id"]
    with pytest.raises(ApiError) as caught:
        await w["sup"].client.receive_task(tid)  # the supervisor is not an assignee
    assert caught.value.status == 403
    with pytest.raises(ApiError) as caught:
        await w["clerk"].client.report_progress(tid, 10)  # not signed for yet
    assert caught.value.status == 409
    await w["clerk"].client.receive_task(tid)
    with pytest.raises(ApiError) as caught:
        await w["head"].client.receive_task(tid)  # already signed for
    assert caught.value.status == 409
    with pytest.raises(ApiError) as caught:
        await w["clerk"].client.accept_task(tid)  # only supervisors review
    assert caught.value.status == 403
    with pytest.raises(ApiError) as caught:
        await w["sup"].client.accept_task(tid)  # nothing submitted
    assert caught.value.status == 409
    assert (await w["sup"].client.get_task(tid))["state"] == "received"


async def test_create_task_refuses_bad_assignments_with_clear_problems(world: World) -> None:
    w = world
    sup = w["sup"].client
    cases = [
        ({"due_at": days(-1), "units": [w.units["city"]]}, 422, "due_in_past"),
        ({"due_at": days(3), "units": [999_999]}, 422, "unknown_unit"),
        ({"due_at": days(3), "people": [999_999]}, 422, "unknown_person"),
        ({"due_at": days(3), "units": [w.units["county"], w.units["other"]]}, 422,
         "lead_required"),
        ({"due_at": days(3), "units": [w.units["county"]], "lead": ("unit", w.units["other"])},
         422, "lead_not_assignee"),
    ]
    for options, status, kind in cases:
        with pytest.raises(ApiError) as caught:
            await sup.create_task("任务", **options)  # type: ignore[arg-type]
        assert caught.value.status == status
        assert caught.value.errors[0]["type"] == kind
    with pytest.raises(ApiError) as caught:  # a clerk leads nothing: may not assign
        await w["clerk"].client.create_task("任务", due_at=days(3), units=[w.units["county"]])
    assert caught.value.status == 403
    with pytest.raises(ApiError) as caught:  # the city head may not assign above the city
        await w["head"].client.create_task("任务", due_at=days(3), people=[w["sup"].id])
    assert caught.value.status == 403


async def test_lead_and_assisting_units_get_their_roles(world: World) -> None:
    w = world
    task = await w["sup"].client.create_task(
        "联合整治", due_at=days(5), units=[w.units["county"], w.units["other"]],
        people=[w["head"].id], lead=("unit", w.units["county"]),
    )
    roles = {a["person_id"]: (a["role"], a["via_unit_id"]) for a in task["assignees"]}
    assert roles == {
        w["county_clerk"].id: ("lead", w.units["county"]),
        w["other_clerk"].id: ("assist", w.units["other"]),
        w["head"].id: ("assist", None),
    }
    assert task["unit"]["id"] == w.units["county"]
    with pytest.raises(ApiError) as caught:  # assisting people see the task but do not act
        await w["other_clerk"].client.receive_task(task["id"])
    assert caught.value.status == 403
    assert (await w["county_clerk"].client.receive_task(task["id"]))["state"] == "received"


async def test_create_task_with_the_same_idempotency_key_returns_the_first(world: World) -> None:
    w = world
    first = await city_task(w, idempotency_key="retry-city-1")
    again = await city_task(w, idempotency_key="retry-city-1")
    assert again["id"] == first["id"]
    other = await city_task(w, idempotency_key="retry-city-2")
    assert other["id"] != first["id"]


async def test_bad_inputs_are_problems_not_errors(world: World) -> None:
    w = world
    sup = w["sup"].client
    task = await city_task(w)
    await w["clerk"].client.receive_task(task["id"])
    for call, status in [
        (lambda: w["clerk"].client.report_progress(task["id"], 101), 422),
        (lambda: sup.get(f"/v1/tasks/{task['id']}/entries", params={"cursor": "%%%"}), 400),
        (lambda: sup.get("/v1/tasks/99999999999"), 404),
        (lambda: sup.get("/v1/tasks/abc"), 404),
        (lambda: sup.list_tasks(status="bogus"), 422),
        (lambda: sup.post("/v1/tasks", {"title": "x"}), 422),
        (lambda: sup.urge_task(task["id"], ""), 422),
        (lambda: sup.task_stats(0), 422),
    ]:
        with pytest.raises(ApiError) as caught:
            await call()
        assert caught.value.status == status


async def test_list_tasks_without_a_unit_shows_my_own(world: World) -> None:
    w = world
    task = await w["sup"].client.create_task("我的事项", due_at=days(4),
                                             units=[w.units["county"]])
    for key, expected in [("sup", True), ("county_clerk", True), ("clerk", False),
                          ("stranger", False)]:
        page = await w[key].client.list_tasks(limit=200)
        assert (task["id"] in [i["id"] for i in page["items"]]) is expected, key


async def test_unit_admins_of_the_assigning_unit_supervise_too(world: World) -> None:
    w = world
    admin_of_province = await w.person("province_admin", "province", ["unit_admin"])
    task = await city_task(w)
    shown = await admin_of_province.client.get_task(task["id"])
    assert shown["my"] == {"lead": False, "supervisor": True}
    urged = await admin_of_province.client.urge_task(task["id"], "请尽快签收")
    assert urged["actor_id"] == admin_of_province.id
    assert await audit_actions(task["id"]) == ["task.create", "task.urge"]


async def test_openapi_documents_every_task_route(world: World) -> None:
    document = await world["sup"].client.get("/v1/openapi.json")
    paths = document["paths"]
    assert set(paths["/v1/tasks"]) == {"get", "post"}
    for path in ("/v1/tasks/stats", "/v1/tasks/export", "/v1/tasks/{task_id}",
                 "/v1/tasks/{task_id}/entries"):
        assert "get" in paths[path]
    for verb in ("receive", "progress", "complete", "accept", "reject", "cancel", "urge",
                 "extensions", "extensions/{extension_id}/approve",
                 "extensions/{extension_id}/refuse"):
        assert "post" in paths[f"/v1/tasks/{{task_id}}/{verb}"]


async def test_due_times_given_in_beijing_time_are_kept_in_utc(world: World) -> None:
    w = world
    due = days(2).astimezone(timezone(timedelta(hours=8)))
    task = await w["sup"].client.create_task("北京时间", due_at=due, units=[w.units["other"]])
    assert task["due_at"].endswith("+00:00") and datetime.fromisoformat(task["due_at"]) == due
    assert task["light"] == "yellow"
    page = await w["sup"].client.list_tasks(unit=w.units["other"], light="yellow")
    assert task["id"] in [item["id"] for item in page["items"]]
