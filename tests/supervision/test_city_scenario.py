"""The issue's scenario: a city task decomposed to three counties and their townships.

One story, told once for the module on a controllable clock (reset at the end):

    day 0   the province assigns R to the city; the city splits it to counties A, B, D
            (RA, RB, RD, due day 8); they split it to townships: RA1, RA2 (day 6),
            RB1 (day 5), RD1 (day 4). RA1 is reported, sent back once, then done on time.
            RA2 reports 40 %. RB1 asks for day 7 (approved); RA2 asks for day 7 (refused).
    day 1   RD1 reaches its yellow threshold: one reminder to its township.
    day 4   RD1 falls due: one due-time reminder to the township, one overdue to the county.
    day 6+  RA2 falls due. RD1 is finished (late, by about two days), RB1 on time (extended).
            County A urges RA2 (and again: 429).

The tests then read the outcome: lights, reminders, statistics per unit, the ledger and CSV,
and who may see what.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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


@dataclass
class Story:
    world: World
    tasks: dict[str, int] = field(default_factory=dict)
    marks: dict[str, dict[str, int]] = field(default_factory=dict)
    urges: list[Any] = field(default_factory=list)

    def client(self, key: str) -> TongbanClient:
        return self.world[key].client

    async def remember(self, phase: str) -> None:
        self.marks[phase] = {key: await mark(m) for key, m in self.world.people.items()}

    async def events(self, key: str, kind: str, task: str, start: str, end: str | None = None
                     ) -> list[dict[str, Any]]:
        found = await events_of(self.world[key], self.marks[start][key], kind)
        if end is not None:
            found = [e for e in found if e["id"] <= self.marks[end][key]]
        return about(found, self.tasks[task])


async def build_world(server: Server, admin: TongbanClient) -> World:
    w = World(server, admin)
    await w.unit("P", None, "province")
    await w.unit("C", "P", "city")
    for county in ("A", "B", "D"):
        await w.unit(county, "C", "county")
        await w.person(f"c{county}", county, ["clerk"])
    for township, county in (("A1", "A"), ("A2", "A"), ("B1", "B"), ("D1", "D")):
        await w.unit(township, county, "township")
        await w.person(f"t{township}", township, ["clerk"])
    await w.person("sup", "P", ["leader"])
    await w.person("city_clerk", "C", ["clerk"])
    await w.person("city_head", "C", ["leader"])
    await w.person("hA", "A", ["leader"])
    await w.person("staff", "C")
    return w


async def split(s: Story, parent: str, by: str, children: dict[str, tuple[str, float]]) -> None:
    """`by` signs for `parent` and splits it: child key → (unit key, due in days)."""
    await s.client(by).receive_task(s.tasks[parent])
    for key, (unit, due) in children.items():
        made = await s.client(by).create_task(
            f"城市更新-{unit}", due_at=days(due), units=[s.world.units[unit]],
            parent_id=s.tasks[parent],
        )
        s.tasks[key] = made["id"]


async def day_zero(s: Story) -> None:
    w, t = s.world, s.tasks
    root = await s.client("sup").create_task(
        "城市更新行动", due_at=days(10), units=[w.units["C"]],
        source={"type": "instruction", "title": "省领导批示"},
    )
    t["R"] = root["id"]
    await split(s, "R", "city_clerk", {"RA": ("A", 8), "RB": ("B", 8), "RD": ("D", 8)})
    await split(s, "RA", "cA", {"RA1": ("A1", 6), "RA2": ("A2", 6)})
    await split(s, "RB", "cB", {"RB1": ("B1", 5)})
    await split(s, "RD", "cD", {"RD1": ("D1", 4)})
    for key in ("RA1", "RA2", "RB1", "RD1"):
        await s.client(f"t{key[1:]}").receive_task(t[key])
    await s.client("tA1").report_progress(t["RA1"], 60, "完成六成")
    await s.client("tA1").complete_task(t["RA1"], "已完成")
    await s.client("cA").reject_task(t["RA1"], "缺少照片")
    await s.client("tA1").complete_task(t["RA1"], "补充照片")
    await s.client("cA").accept_task(t["RA1"], "同意")
    await s.client("tA2").report_progress(t["RA2"], 40, "推进中")
    ext = await s.client("tB1").request_extension(t["RB1"], days(7), "雨季施工受阻")
    await s.client("cB").approve_extension(t["RB1"], ext["id"], "同意延期")
    ext = await s.client("tA2").request_extension(t["RA2"], days(7), "人手不足")
    await s.client("cA").refuse_extension(t["RA2"], ext["id"], "不予延期")


async def until_jobs_ran(s: Story, *jobs: tuple[str, Stage]) -> None:
    await run_schedulers_twice()

    async def ran() -> bool:
        keys = [job_key(s.tasks[task], stage) for task, stage in jobs]
        return await Job.filter(key__in=keys, state="done").count() == len(keys)

    await settle(ran)


async def move_clock_to(start: datetime, day: float) -> None:
    clock.advance(start + timedelta(days=day) - clock.now())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def story(server: Server, admin: TongbanClient) -> AsyncIterator[Story]:
    s = Story(await build_world(server, admin))
    start = clock.now()
    try:
        await s.remember("day0")
        await day_zero(s)
        await s.remember("day0-end")
        await move_clock_to(start, 1 + 1 / 1440)
        await until_jobs_ran(s, ("RD1", Stage.DUE_SOON))
        await s.remember("day1")
        await move_clock_to(start, 4 + 1 / 1440)
        await until_jobs_ran(s, ("RD1", Stage.DUE))
        await s.remember("day4")
        await move_clock_to(start, 6 + 1 / 24)
        await until_jobs_ran(s, ("RA2", Stage.DUE))
        await s.remember("day6")
        await finish_day_six(s)
        yield s
    finally:
        clock.offset = timedelta(0)
        await s.world.close()


async def finish_day_six(s: Story) -> None:
    t = s.tasks
    await s.client("tD1").complete_task(t["RD1"], "已完成(超期)")
    await s.client("cD").accept_task(t["RD1"])
    await s.client("tB1").complete_task(t["RB1"], "按延期后时限完成")
    await s.client("cB").accept_task(t["RB1"])
    s.urges.append(await s.client("cA").urge_task(t["RA2"], "请于今日内报送进展"))
    try:
        await s.client("cA").urge_task(t["RA2"], "再次催办")
    except ApiError as error:
        s.urges.append(error)


async def ledger(s: Story, key: str, **filters: Any) -> list[int]:
    page = await s.client(key).list_tasks(unit=s.world.units["C"], limit=200, **filters)
    return sorted(item["id"] for item in page["items"])


def ids(s: Story, *keys: str) -> list[int]:
    return sorted(s.tasks[key] for key in keys)


async def late_hours(s: Story) -> float:
    task = await s.client("sup").get_task(s.tasks["RD1"])
    due = datetime.fromisoformat(task["due_at"])
    late = math.ceil((datetime.fromisoformat(task["submitted_at"]) - due).total_seconds())
    assert task["late_seconds"] == late and timedelta(days=2) < timedelta(seconds=late)
    return round(late / 3600, 2)


def counts(row: dict[str, Any]) -> tuple[int, ...]:
    keys = ("assigned", "done_on_time", "done_late", "overdue", "open", "cancelled")
    return tuple(row[k] for k in keys)


async def test_stats_per_unit_are_exact(story: Story) -> None:
    s, units = story, story.world.units
    city = await s.client("city_head").task_stats(units["C"])
    assert counts(city["total"]) == (8, 2, 1, 1, 4, 0)
    assert city["total"]["completion_rate"] == 0.375
    assert counts(city["own"]) == (1, 0, 0, 0, 1, 0)
    rows = {row["unit"]["id"]: row for row in city["children"]}
    assert [row["unit"]["id"] for row in city["children"]] == [units["A"], units["B"], units["D"]]
    assert counts(rows[units["A"]]) == (3, 1, 0, 1, 1, 0)
    assert counts(rows[units["B"]]) == (2, 1, 0, 0, 1, 0)
    assert counts(rows[units["D"]]) == (2, 0, 1, 0, 1, 0)
    assert rows[units["D"]]["average_lateness_hours"] == await late_hours(s)
    assert rows[units["D"]]["completion_rate"] == 0.5
    assert rows[units["A"]]["average_lateness_hours"] is None
    province = await s.client("sup").task_stats(units["P"])
    assert counts(province["total"]) == counts(city["total"])
    assert [(r["unit"]["id"], counts(r)) for r in province["children"]] == [
        (units["C"], (8, 2, 1, 1, 4, 0))
    ]
    county = await s.client("hA").task_stats(units["A"])
    assert counts(county["own"]) == (1, 0, 0, 0, 1, 0)
    assert [counts(r) for r in county["children"]] == [(1, 1, 0, 0, 0, 0), (1, 0, 0, 1, 0, 0)]


async def test_lights_follow_the_due_times(story: Story) -> None:
    s = story
    lights = {
        key: (await s.client("sup").get_task(tid))["light"] for key, tid in s.tasks.items()
    }
    assert lights == {
        "R": "green", "RA": "yellow", "RB": "yellow", "RD": "yellow",
        "RA1": None, "RA2": "red", "RB1": None, "RD1": None,
    }


async def test_progress_rolls_up_to_the_parents(story: Story) -> None:
    s = story
    tasks = {k: await s.client("sup").get_task(s.tasks[k]) for k in s.tasks}
    assert all(t["percent"] == t["progress"] for t in tasks.values())  # one figure, two names
    shown = {k: t["progress"] for k, t in tasks.items()}
    # RA: (done 100 + 40) / 2; RB and RD: their only township is done; R: (70 + 100 + 100) / 3.
    assert shown == {"R": 90, "RA": 70, "RB": 100, "RD": 100,
                     "RA1": 100, "RA2": 40, "RB1": 100, "RD1": 100}
    rollups = await s.events("sup", "task.rollup", "R", "day0")
    assert [e["data"]["task"]["progress"] for e in rollups][-1] == 90
    root = await s.client("sup").get_task(s.tasks["R"])
    assert root["children"] == {"total": 3, "done": 0, "cancelled": 0, "open": 3}


async def test_reminders_come_once_each_at_the_threshold_and_at_the_due_time(
    story: Story,
) -> None:
    s = story
    soon = await s.events("tD1", "task.reminder", "RD1", "day0-end", "day1")
    assert [e["data"]["stage"] for e in soon] == ["due_soon"]
    due = await s.events("tD1", "task.reminder", "RD1", "day1", "day4")
    assert [e["data"]["stage"] for e in due] == ["due"]
    assert [e["data"]["stage"] for e in await s.events("tD1", "task.reminder", "RD1", "day0")
            ] == ["due_soon", "due"]
    overdue = await s.events("cD", "task.overdue", "RD1", "day0")
    assert len(overdue) == 1 and overdue[0]["data"]["task"]["light"] == "red"
    assert await s.events("tD1", "task.overdue", "RD1", "day0") == []
    assert await s.events("staff", "task.reminder", "RD1", "day0") == []
    # RB1's due time moved to day 7: no due-time reminder yet, its yellow one came on day 4.
    rb1 = await s.events("tB1", "task.reminder", "RB1", "day0")
    assert [e["data"]["stage"] for e in rb1] == ["due_soon"]
    assert "task.overdue" in await audit_actions(s.tasks["RD1"])


async def test_ledger_filters_are_exact(story: Story) -> None:
    s = story
    everything = ids(s, *s.tasks)
    assert await ledger(s, "city_head") == everything
    assert await ledger(s, "city_head", status="done") == ids(s, "RA1", "RB1", "RD1")
    assert await ledger(s, "city_head", status="overdue") == ids(s, "RA2")
    assert await ledger(s, "city_head", overdue=True) == ids(s, "RA2")
    assert await ledger(s, "city_head", overdue=False) == sorted(
        set(everything) - set(ids(s, "RA2"))
    )
    assert await ledger(s, "city_head", status="open") == ids(s, "R", "RA", "RB", "RD", "RA2")
    assert await ledger(s, "city_head", light="yellow") == ids(s, "RA", "RB", "RD")
    assert await ledger(s, "city_head", light="red") == ids(s, "RA2")
    assert await ledger(s, "city_head", light="green") == ids(s, "R")
    children = await s.client("sup").list_tasks(parent=s.tasks["RA"])
    assert sorted(i["id"] for i in children["items"]) == ids(s, "RA1", "RA2")


async def test_ledger_pages_follow_the_cursor_newest_first(story: Story) -> None:
    s = story
    seen, cursor = [], None
    for _ in range(5):
        page = await s.client("sup").list_tasks(unit=s.world.units["C"], limit=3, cursor=cursor)
        seen.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in seen] == [3, 3, 2]
    flat = [i for p in seen for i in p]
    assert flat == sorted(s.tasks.values(), reverse=True)


async def test_ledger_exports_csv_with_bom(story: Story) -> None:
    s = story
    raw = await s.client("city_head").export_tasks(unit=s.world.units["C"])
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "事项", "优先级", "状态"]
    by_id = {int(row[0]): row for row in rows[1:]}
    assert sorted(by_id) == ids(s, *s.tasks)
    assert by_id[s.tasks["RA2"]][3:6] == ["办理中", "红灯", "是"]
    assert by_id[s.tasks["RD1"]][3] == "已办结" and float(by_id[s.tasks["RD1"]][16]) > 48
    assert by_id[s.tasks["R"]][18] == "领导批示：省领导批示"
    due = datetime.fromisoformat(by_id[s.tasks["RA2"]][10])  # Beijing time, offset written out
    assert due.utcoffset() == timedelta(hours=8)
    overdue = await s.client("city_head").export_tasks(unit=s.world.units["C"], overdue=True)
    assert len(list(csv.reader(io.StringIO(overdue.decode("utf-8-sig"))))) == 2


async def test_urging_reaches_the_assignees_once_an_hour(story: Story) -> None:
    s = story
    first, second = s.urges
    assert first["kind"] == "urged" and first["note"] == "请于今日内报送进展"
    assert isinstance(second, ApiError) and second.status == 429
    assert 3590 <= int(second.headers["retry-after"]) <= 3600
    urged = await s.events("tA2", "task.urged", "RA2", "day6")
    assert [e["data"]["message"] for e in urged] == ["请于今日内报送进展"]
    assert await s.events("cA", "task.urged", "RA2", "day6") == []
    assert await s.events("staff", "task.urged", "RA2", "day6") == []
    for key in ("tA2", "sup"):  # an assignee may not urge; the province supervises R only
        with pytest.raises(ApiError) as caught:
            await s.client(key).urge_task(s.tasks["RA2"], "催")
        assert caught.value.status == 403


async def test_who_may_see_tasks_ledgers_and_statistics(story: Story) -> None:
    s, units, t = story, story.world.units, story.tasks
    visible = {
        "staff": [], "cA": ["RA", "RA1", "RA2"], "tA1": ["RA1"],
        "hA": ["RA", "RA1", "RA2"], "city_clerk": list(t), "city_head": list(t), "sup": list(t),
    }
    for key, allowed in visible.items():
        for task in t:
            try:
                await s.client(key).get_task(t[task])
                seen = True
            except ApiError as error:
                assert error.status == 404
                seen = False
            assert seen == (task in allowed), (key, task)
    for key, unit in [("staff", "C"), ("cA", "A"), ("hA", "C"), ("city_head", "P")]:
        for call in (s.client(key).task_stats, lambda u, k=key: s.client(k).list_tasks(unit=u)):
            with pytest.raises(ApiError) as caught:
                await call(units[unit])
            assert caught.value.status == 404


async def test_extensions_are_decided_by_the_supervisor(story: Story) -> None:
    s, t = story, story.tasks
    rb1 = await s.client("sup").get_task(t["RB1"])
    assert rb1["due_at"] != rb1["original_due_at"] and rb1["late_seconds"] == 0
    ra2 = await s.client("sup").get_task(t["RA2"])
    assert ra2["due_at"] == ra2["original_due_at"] and ra2["pending_extension"] is None
    record = await s.client("cA").task_entries(t["RA2"])
    assert [e["kind"] for e in record["items"]][:5] == [
        "created", "received", "progress", "extension_requested", "extension_refused",
    ]
    decided = await s.events("tB1", "task.extension_decided", "RB1", "day0")
    assert [e["data"]["extension"]["state"] for e in decided] == ["approved"]
