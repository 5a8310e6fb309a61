"""Factories for supervision tests: a fresh unit tree of its own per test, people, events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from conftest import Server, logged_in, make_person, unique
from tongban_client import TongbanClient

from core.clock import utcnow
from core.models import AuditEntry
from core.scheduler import Scheduler


@dataclass
class Member:
    """A person and their signed-in client."""

    record: dict[str, Any]
    client: TongbanClient

    @property
    def id(self) -> int:
        return int(self.record["id"])


@dataclass
class World:
    """A unit tree of its own, and the people made in it, closed together."""

    server: Server
    admin: TongbanClient
    units: dict[str, int] = field(default_factory=dict)
    people: dict[str, Member] = field(default_factory=dict)

    async def unit(self, key: str, parent: str | None, level: str) -> int:
        parent_id = self.units[parent] if parent else None
        made = await self.admin.create_unit(unique(f"{key}-"), parent_id, level)
        self.units[key] = int(made["id"])
        return self.units[key]

    async def person(self, key: str, unit: str, roles: Iterable[str] = ()) -> Member:
        record = await make_person(self.admin, self.units[unit], roles=list(roles),
                                   display_name=f"{key}{unique('')}")
        member = Member(record, await logged_in(self.server, record))
        self.people[key] = member
        return member

    def __getitem__(self, key: str) -> Member:
        return self.people[key]

    async def close(self) -> None:
        for member in self.people.values():
            await member.client.aclose()


def days(n: float) -> datetime:
    return utcnow() + timedelta(days=n)


async def mark(member: Member) -> int:
    """The feed position now, to read only what comes after."""
    return int((await member.client.fetch_events())["last_event_id"])


async def events_of(member: Member, after: int, kind: str | None = None) -> list[dict[str, Any]]:
    """Every event the member may see after `after` (of one kind, if given), in order."""
    found: list[dict[str, Any]] = []
    while True:
        page = await member.client.fetch_events(after=after, limit=500)
        found.extend(page["events"])
        if len(page["events"]) < 500:
            break
        after = page["last_event_id"]
    return [e for e in found if kind is None or e["kind"] == kind]


def about(events: list[dict[str, Any]], task_id: int) -> list[dict[str, Any]]:
    return [e for e in events if e["data"]["task"]["id"] == task_id]


async def audit_actions(task_id: int) -> list[str]:
    rows = await AuditEntry.filter(record_type="task", record_id=str(task_id)).order_by("seq")
    return [row.action for row in rows]


async def run_schedulers_twice() -> None:
    """Two scheduler processes racing for the due jobs (the server's own runs too)."""
    await asyncio.gather(Scheduler(owner="a").run_due(), Scheduler(owner="b").run_due())


async def settle(check: Any, timeout: float = 5.0) -> None:
    """Wait until `check()` holds: a job may be running in the server's own scheduler."""
    for _ in range(int(timeout / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the expected state did not come in time")
