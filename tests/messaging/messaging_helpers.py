"""Factories shared by the messaging tests: people with clients, groups, feed reading."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from conftest import OtherProcess, Org, Server, logged_in, make_person
from tongban_client import EventStream, TongbanClient


@dataclass
class Someone:
    person: dict[str, Any]
    client: TongbanClient

    @property
    def id(self) -> int:
        return int(self.person["id"])


@asynccontextmanager
async def people(server: Server, admin: TongbanClient, unit_id: int, count: int,
                 **options: Any) -> AsyncIterator[list[Someone]]:
    """`count` new people in a unit, each signed in; their clients close afterwards."""
    made = [await make_person(admin, unit_id, **options) for _ in range(count)]
    folks = [Someone(p, await logged_in(server, p)) for p in made]
    try:
        yield folks
    finally:
        for someone in folks:
            await someone.client.aclose()


async def group_of(owner: Someone, members: list[Someone], title: str = "工作群") -> dict[str, Any]:
    return await owner.client.create_group_chat(title, [m.id for m in members])


async def head(client: TongbanClient) -> int:
    """The feed position after everything this person may see now (paging past old events)."""
    after = 0
    while True:
        page = await client.fetch_events(after=after, limit=1000)
        after = int(page["last_event_id"])
        if len(page["events"]) < 1000:
            return after


async def events_after(client: TongbanClient, after: int, kind: str | None = None
                       ) -> list[dict[str, Any]]:
    """Every event the person may see after `after` (optionally of one kind), oldest first."""
    found: list[dict[str, Any]] = []
    while True:
        page = await client.fetch_events(after=after, limit=1000)
        found.extend(page["events"])
        if not page["events"]:
            break
        after = page["last_event_id"]
    return [e for e in found if kind is None or e["kind"] == kind]


async def take(stream: EventStream, count: int, *, kind: str | None = None,
               timeout: float = 10.0) -> list[dict[str, Any]]:
    """The next `count` events of a stream (of one kind, skipping others), or fail in time."""

    async def collect() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            event = await stream.__anext__()
            if kind is None or event["kind"] == kind:
                found.append(event)
        return found

    return await asyncio.wait_for(collect(), timeout)


def seqs(page: dict[str, Any]) -> list[int]:
    return [item["seq"] for item in page["items"]]


__all__ = ["Org", "Someone", "events_after", "group_of", "head", "people", "seqs", "take"]


SecondServer = OtherProcess  # another server process on the same database and bus
