"""Several server processes and concurrent writers: nothing is skipped, nothing repeats.

On SQLite with the in-process bus, a second process learns of events by polling the feed; on
PostgreSQL with Redis (`TONGBAN_TEST_*`), through the bus. Either way, delivery must happen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from conftest import Org, OtherProcess, Server, logged_in, make_person, take, unique
from tongban_client import ApiError, TongbanClient

import core.tx
from core.feed import head_id
from core.models import Event


@pytest_asyncio.fixture(loop_scope="session")
async def other(server: Server) -> AsyncIterator[OtherProcess]:
    process = OtherProcess(server)
    await process.start()
    yield process
    await process.stop()


async def test_an_event_written_on_one_process_reaches_a_socket_on_the_other(
    server: Server, admin: TongbanClient, org: Org, other: OtherProcess
) -> None:
    unit = await admin.create_unit(unique("跨机房科"), org.county, "county")
    member = await make_person(admin, unit["id"])
    remote = TongbanClient(other.base_url)  # HTTP and websocket on the second process
    await remote.login(member["username"], "password-123")
    stream = remote.events(after=(await remote.fetch_events())["last_event_id"])
    await admin.patch(f"/v1/org/units/{unit['id']}", {"name": "经由一号进程"})
    [event] = await take(stream, 1, timeout=5)
    assert event["data"]["name"] == "经由一号进程"
    local = await logged_in(server, member)
    local_stream = local.events(after=event["id"])
    admin_remote = TongbanClient(other.base_url)
    await admin_remote.login("root", "admin-password-1")
    await admin_remote.patch(f"/v1/org/units/{unit['id']}", {"name": "经由二号进程"})
    [back] = await take(local_stream, 1, timeout=5)
    assert back["data"]["name"] == "经由二号进程"
    for closing in (stream, local_stream):
        await closing.aclose()
    for client in (remote, local, admin_remote):
        await client.aclose()


async def test_concurrent_writers_never_make_the_feed_skip(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    units = [await admin.create_unit(unique("并发科"), org.county, "county") for _ in range(4)]
    member = await make_person(admin, units[0]["id"])
    for unit in units[1:]:
        await admin.post(f"/v1/org/people/{member['id']}/positions", {"unit_id": unit["id"]})
    client = await logged_in(server, member)
    start = (await client.fetch_events())["last_event_id"]
    stream = client.events(after=start)
    writers = [TongbanClient(server.base_url) for _ in range(4)]
    for writer in writers:
        await writer.login("root", "admin-password-1")
    await asyncio.gather(*(
        writers[i % 4].patch(f"/v1/org/units/{units[i % 4]['id']}", {"name": f"第{i}次"})
        for i in range(40)
    ))
    got = await take(stream, 40, timeout=10)
    ids = [event["id"] for event in got]
    audiences = [f"unit:{unit['id']}" for unit in units]
    stored = await Event.filter(id__gt=start, audience__in=audiences).order_by("id")
    assert ids == [row.id for row in stored][:40]
    assert sorted({e["data"]["name"] for e in got}) == sorted(f"第{i}次" for i in range(40))
    await stream.aclose()
    for closing in (client, *writers):
        await closing.aclose()


async def test_an_event_that_commits_late_is_not_skipped(
    server: Server, admin: TongbanClient, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A takes an id and stalls before commit; writer B must not overtake it."""
    unit = await admin.create_unit(unique("迟提交科"), org.county, "county")
    member = await make_person(admin, unit["id"])
    client = await logged_in(server, member)
    start = (await client.fetch_events())["last_event_id"]
    original = core.tx._flush
    stalled = asyncio.Event()

    async def slow_flush(work: core.tx.Work) -> None:
        await original(work)
        if any("慢" in payload for _, _, payload in work.events):
            stalled.set()
            await asyncio.sleep(0.5)  # id taken, commit delayed

    monkeypatch.setattr(core.tx, "_flush", slow_flush)
    slow = asyncio.create_task(admin.patch(f"/v1/org/units/{unit['id']}", {"name": "慢"}))
    await stalled.wait()
    fast_writer = TongbanClient(server.base_url)
    await fast_writer.login("root", "admin-password-1")
    fast = asyncio.create_task(fast_writer.patch(f"/v1/org/units/{unit['id']}", {"name": "快"}))
    seen: list[list[str]] = []
    while not (slow.done() and fast.done()):
        page = await client.fetch_events(after=start)
        seen.append([e["data"]["name"] for e in page["events"]])
        await asyncio.sleep(0.02)
    await asyncio.gather(slow, fast)
    final = [e["data"]["name"] for e in (await client.fetch_events(after=start))["events"]]
    assert final == ["慢", "快"]
    assert all(names in ([], ["慢"], ["慢", "快"]) for names in seen)  # never 快 without 慢
    assert await head_id() > start
    await client.aclose()
    await fast_writer.aclose()


async def test_a_session_ended_on_one_process_is_refused_by_the_other_within_a_second(
    server: Server, admin: TongbanClient, org: Org, other: OtherProcess
) -> None:
    member = await make_person(admin, org.county)
    remote = TongbanClient(other.base_url)
    await remote.login(member["username"], "password-123")
    token = remote.access_token
    await remote.me()  # the second process now knows the session as open
    await admin.revoke_sessions(member["id"])
    probe = TongbanClient(other.base_url)
    refused_after: float | None = None
    started = asyncio.get_running_loop().time()
    while refused_after is None and asyncio.get_running_loop().time() - started < 3:
        try:
            await probe.request("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"})
            await asyncio.sleep(0.02)
        except ApiError as error:
            assert error.status == 401
            refused_after = asyncio.get_running_loop().time() - started
    assert refused_after is not None and refused_after < 1.5
    await remote.aclose()
    await probe.aclose()
