"""Two server processes share the outbox; one is killed (SIGKILL) in the middle of a 10,000-push
burst, while it holds the follower's lease and claims of its own. Nothing is lost: every phone is
pushed. Nothing is doubled: the outbox holds one notification per phone, and a push the dead
process had in flight is sent again under the same notification id and collapse id (which the
vendors collapse into one notification on the phone)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from conftest import Org, OtherProcess, Server, logged_in, make_person, unique
from fakes import FakeGateway
from push_helpers import fake_gateway
from tongban_client import TongbanClient
from tongban_client.notices import audience

from core.clock import utcnow
from directory.models import Device, Person, Position
from push.models import PushChannel, PushCursor, PushNotification
from push.sender import CONCURRENCY

__all__ = ["fake_gateway"]
BURST = 10_000
CHUNK = 1000


async def _population(unit_id: int, count: int) -> list[str]:
    """`count` people of the unit, each with one device whose channel is on the gateway."""
    tag, now = uuid.uuid4().hex[:8], utcnow()
    for start in range(0, count, CHUNK):
        names = [f"b{tag}{n:05d}" for n in range(start, min(count, start + CHUNK))]
        await Person.bulk_create([Person(username=name, display_name=f"人员{name[-5:]}",
                                         password_hash="!") for name in names])
        ids = dict(await Person.filter(username__in=names).values_list("username", "id"))
        await Position.bulk_create([Position(person_id=ids[n], unit_id=unit_id, title="科员",
                                             roles=[], is_primary=True) for n in names])
        await Device.bulk_create([Device(person_id=ids[n], name="手机", platform="android",
                                         public_jwk={}, thumbprint=n) for n in names])
        devices = dict(await Device.filter(thumbprint__in=names).values_list("thumbprint", "id"))
        await PushChannel.bulk_create([PushChannel(
            device_id=devices[n], person_id=ids[n], session_id="burst", provider="gateway",
            token=f"tok-{n}", app_id="cn.gov.tongban", attached_at=now, updated_at=now)
            for n in names])
    return [f"tok-b{tag}{n:05d}" for n in range(count)]


@asynccontextmanager
async def _short_leases(server: Server, fake: FakeGateway) -> AsyncIterator[None]:
    """Leases of 15 s (so the test need not wait a minute) and a provider answering in 20 ms."""
    push = server.app.state.push
    before = push.sender.lease, push.follower.lease, fake.script.latency
    push.sender.lease, push.follower.lease = timedelta(seconds=15), timedelta(seconds=7.5)
    fake.script.latency = 0.02
    try:
        yield
    finally:
        push.sender.lease, push.follower.lease, fake.script.latency = before


async def _none_unsent(collapse_id: str) -> bool:
    return not await PushNotification.filter(collapse_id=collapse_id).exclude(
        state="sent").exists()


async def _wait(check: object, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not await check():  # type: ignore[operator]
            await asyncio.sleep(0.25)


class Tally:
    """What the gateway received under one collapse id, read incrementally (it grows to 10,000+
    entries; scanning it all on every poll would cost the server under test its CPU)."""

    def __init__(self, fake: FakeGateway, collapse_id: str) -> None:
        self.fake, self.collapse_id, self.seen = fake, collapse_id, 0
        self.count = 0
        self.ids: dict[str, set[str]] = defaultdict(set)  # token → notification ids

    def update(self) -> Tally:
        received = self.fake.script.received
        for item in received[self.seen:]:
            note = item.body.get("notification", {})
            if note.get("event_id") == self.collapse_id:
                self.count += 1
                self.ids[note["devices"][0]["pushkey"]].add(note["content"]["notification_id"])
        self.seen = len(received)
        return self


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("TONGBAN_TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="several server processes share PostgreSQL (a SQLite deployment "
                           "runs one process)")
async def test_kill_9_during_a_burst_loses_none_and_doubles_none(
        server: Server, admin: TongbanClient, org: Org, fake_gateway: FakeGateway) -> None:
    unit = await admin.create_unit(unique("万人推送"), org.county, "county")
    clerk = await make_person(admin, unit["id"], roles=["clerk"])
    tokens = await _population(int(unit["id"]), BURST)
    push = server.app.state.push
    other = OtherProcess(server)
    other.env.update(TONGBAN_PUSH_GATEWAY_URL=fake_gateway.notify_url,
                     TONGBAN_PUSH_LEASE_SECONDS="15")
    async with _short_leases(server, fake_gateway):
        await push.follower.stop()  # the other process takes the follower over
        await other.start()
        try:
            await _wait(lambda: _follower_elsewhere(push.follower.owner), 30)
            client = await logged_in(server, clerk)
            notice = await client.create_notice("请确认值班安排", "略", audience([unit["id"]]),
                                                requires_confirmation=True)
            collapse_id = f"notice:{notice['id']}"
            tally = Tally(fake_gateway, collapse_id)
            started = time.monotonic()
            await _wait(lambda: _true(tally.update().count >= BURST // 4), 120)
            assert other.process is not None
            other.process.kill()  # SIGKILL: no clean-up of any kind
            await other.process.wait()
            killed_after = tally.update().count
        finally:
            push.follower.start()
            await other.stop()
        await _wait(lambda: _true(len(tally.update().ids) >= BURST), 300)
        # the last slice arrives at the gateway a moment before its rows are recorded as sent
        await _wait(lambda: _none_unsent(collapse_id), 60)
    elapsed = time.monotonic() - started
    got = tally.update().ids
    assert set(got) >= set(tokens)  # none lost
    assert all(len(ids) == 1 for ids in got.values())  # one notification per phone
    rows = await PushNotification.filter(collapse_id=collapse_id).values_list("state", flat=True)
    assert len(rows) == BURST and set(rows) == {"sent"}
    resent = tally.count - BURST
    assert 0 <= resent <= CONCURRENCY, resent
    print(f"\n{BURST} pushes in {elapsed:.1f} s across a SIGKILL after {killed_after}; "
          f"{resent} in flight at the kill were sent again under their own id")
    await client.aclose()


async def _follower_elsewhere(mine: str) -> bool:
    cursor = await PushCursor.get(name="follower")
    return cursor.lease_owner != mine and cursor.lease_until is not None \
        and cursor.lease_until > utcnow()


async def _true(value: bool) -> bool:
    return value
