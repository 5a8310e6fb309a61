"""Factories for the notices tests: a county of their own, publishers, meetings, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest_asyncio
from conftest import Org, Server, logged_in, make_person, unique
from tongban_client import EventStream, TongbanClient
from tongban_client.notices import audience, meeting

from core.clock import clock, utcnow
from core.models import AuditEntry
from core.scheduler import Scheduler

Json = dict[str, Any]


@dataclass
class County:
    """测试县 of this test: an office, two townships, a village; one person in each, and a
    clerk of the county office (县政府办公室) who publishes."""

    ids: dict[str, int]
    people: dict[str, Json]
    clerk: TongbanClient
    clerk_person: Json
    clients: dict[str, TongbanClient] = field(default_factory=dict)

    def id(self, name: str) -> int:
        return int(self.people[name]["id"])

    async def client(self, server: Server, name: str) -> TongbanClient:
        if name not in self.clients:
            self.clients[name] = await logged_in(server, self.people[name])
        return self.clients[name]

    async def close(self) -> None:
        for client in [self.clerk, *self.clients.values()]:
            await client.aclose()


async def make_county(server: Server, admin: TongbanClient, org: Org) -> County:
    county = await admin.create_unit(unique("县"), org.city, "county")
    office = await admin.create_unit(unique("县政府办公室"), county["id"], "county")
    town_a = await admin.create_unit(unique("甲镇"), county["id"], "township")
    town_b = await admin.create_unit(unique("乙镇"), county["id"], "township")
    village = await admin.create_unit(unique("村"), town_a["id"], "village")
    ids = {"county": county["id"], "office": office["id"], "town_a": town_a["id"],
           "town_b": town_b["id"], "village": village["id"], "other": org.other_county}
    people = {name: await make_person(admin, ids[name], display_name=unique(f"{name}_"))
              for name in ("county", "town_a", "town_b", "village", "other")}
    clerk_person = await make_person(admin, office["id"], roles=["clerk"])
    return County(ids, people, await logged_in(server, clerk_person), clerk_person)


@pytest_asyncio.fixture(loop_scope="session", name="county")
async def county_fixture(server: Server, admin: TongbanClient, org: Org
                         ) -> AsyncIterator[County]:
    """The `county` fixture: a county of the test's own (import it into a test module)."""
    made = await make_county(server, admin, org)
    yield made
    await made.close()


def county_audience(county: County, *, subunits: bool = True) -> Json:
    return audience([county.ids["county"]], include_subunits=subunits)


def soon(**delta: float) -> datetime:
    return utcnow() + timedelta(**delta)


async def make_meeting(county: County, *, people: list[str], starts_in: timedelta,
                       **options: Any) -> Json:
    starts = utcnow() + starts_in
    details = meeting(starts, starts + timedelta(hours=2), location="县政府三楼会议室",
                      agenda=["传达上级精神", "部署防汛工作"])
    return await county.clerk.create_meeting(
        unique("防汛工作会议"), "请准时参加。", audience(people=[county.id(n) for n in people]),
        details, **options,
    )


async def head(client: TongbanClient) -> int:
    return int((await client.fetch_events())["last_event_id"])


async def events_since(client: TongbanClient, after: int, kind: str | None = None,
                       notice_id: int | None = None) -> list[Json]:
    """Every event the client may see after `after`, optionally of one kind and notice."""
    found: list[Json] = []
    while True:
        page = await client.fetch_events(after=after, limit=1000)
        found.extend(page["events"])
        if len(page["events"]) < 1000:
            break
        after = page["last_event_id"]
    return [e for e in found if (kind is None or e["kind"] == kind)
            and (notice_id is None or e["data"].get("notice_id") == notice_id)]


async def wait_for_events(client: TongbanClient, after: int, kind: str, notice_id: int,
                          count: int, timeout: float = 5.0) -> list[Json]:
    """Poll the feed until `count` such events are there (jobs may run in any process)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await events_since(client, after, kind, notice_id)
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.05)


async def next_event(stream: EventStream, timeout: float = 5.0) -> Json:
    """The next event a websocket stream pushes, failing the test if none comes in time."""
    return await asyncio.wait_for(stream.__anext__(), timeout)


async def run_jobs_as_two_processes() -> None:
    """Two schedulers race for the due jobs, as two server processes would."""
    await asyncio.gather(Scheduler(owner="process-a").run_due(),
                         Scheduler(owner="process-b").run_due())


async def with_clock_moved(delta: timedelta) -> None:
    """Move the shared clock forward and run due jobs (the caller resets it in `finally`)."""
    clock.advance(delta)
    await run_jobs_as_two_processes()


async def audit_actions(notice_id: int) -> list[str]:
    rows = await AuditEntry.filter(record_type="notice", record_id=str(notice_id)).order_by("seq")
    return [row.action for row in rows]
