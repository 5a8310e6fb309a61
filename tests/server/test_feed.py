"""The event feed end to end: websocket resume, HTTP feed, audiences, session cut-off."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from conftest import Org, Server, logged_in, make_person, take, unique
from tongban_client import DeviceKey, EventStream, SessionEnded, TongbanClient

from core.tx import atomic


async def drain_until_ended(stream: EventStream, timeout: float) -> list[str]:
    """Read until the server ends the session; the kinds seen on the way."""
    kinds: list[str] = []

    async def drain() -> None:
        async for event in stream:
            kinds.append(event["kind"])

    with pytest.raises(SessionEnded):
        await asyncio.wait_for(drain(), timeout)
    return kinds


async def unit_with_member(admin: TongbanClient, org: Org) -> tuple[dict[str, Any], dict[str, Any]]:
    unit = await admin.create_unit(unique("科室"), org.county, "county")
    return unit, await make_person(admin, unit["id"])


async def rename(admin: TongbanClient, unit_id: int, name: str) -> None:
    await admin.patch(f"/v1/org/units/{unit_id}", {"name": name})


async def test_a_client_that_reconnects_gets_every_missed_event_once_in_order(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    unit, member = await unit_with_member(admin, org)
    client = await logged_in(server, member)
    stream = client.events(after=(await client.fetch_events())["last_event_id"])
    await rename(admin, unit["id"], "名称0")
    [first] = await take(stream, 1)
    await stream.drop_connection()
    for n in range(1, 21):  # produced while the phone is away
        await rename(admin, unit["id"], f"名称{n}")
    rest = await take(stream, 20)
    names = [event["data"]["name"] for event in [first, *rest]]
    assert names == [f"名称{n}" for n in range(21)]
    ids = [event["id"] for event in [first, *rest]]
    assert ids == sorted(set(ids))
    assert stream.connects >= 2
    await stream.aclose()
    await client.aclose()


async def test_http_feed_serves_the_same_events_and_a_resume_point(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    unit, member = await unit_with_member(admin, org)
    client = await logged_in(server, member)
    start = (await client.fetch_events())["last_event_id"]
    for n in range(3):
        await rename(admin, unit["id"], f"改名{n}")
    page = await client.fetch_events(after=start, limit=2)
    assert [e["data"]["name"] for e in page["events"]] == ["改名0", "改名1"]
    rest = await client.fetch_events(after=page["last_event_id"])
    assert [e["data"]["name"] for e in rest["events"]] == ["改名2"]
    assert rest["events"][0]["kind"] == "org.unit.changed"
    await client.aclose()


async def test_people_outside_an_audience_never_see_its_events(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    unit, member = await unit_with_member(admin, org)
    _, outsider = await unit_with_member(admin, org)
    watcher = await logged_in(server, outsider)
    start = (await watcher.fetch_events())["last_event_id"]
    await rename(admin, unit["id"], "机密科室名")
    await asyncio.sleep(0.1)
    seen = await watcher.fetch_events(after=start)
    assert all(event["data"].get("name") != "机密科室名" for event in seen["events"])
    await watcher.aclose()


async def test_joining_a_group_mid_stream_delivers_its_events_live(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    _, member = await unit_with_member(admin, org)
    client = await logged_in(server, member)
    stream = client.events(after=(await client.fetch_events())["last_event_id"])
    group = await admin.create_group(unique("专班"), [member["id"]])
    kinds = [event["kind"] for event in await take(stream, 2)]
    assert kinds == ["org.membership.changed", "org.group.changed"]
    assert group["id"]
    await stream.aclose()
    await client.aclose()


async def test_logout_closes_open_websockets_within_a_second(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    _, member = await unit_with_member(admin, org)
    phone = await logged_in(server, member)
    stream = phone.events(after=(await phone.fetch_events())["last_event_id"])
    other_device = await logged_in(server, member)
    await other_device.register_device("备用机", "android", DeviceKey.generate())
    [added] = await take(stream, 1)  # the stream is live
    assert added["kind"] == "device.added"
    await phone.post("/v1/auth/logout")
    assert await drain_until_ended(stream, timeout=1.0) in ([], ["session.revoked"])
    await other_device.aclose()
    await phone.aclose()


async def test_admin_revocation_cuts_off_websockets(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    _, member = await unit_with_member(admin, org)
    phone = await logged_in(server, member)
    stream = phone.events(after=(await phone.fetch_events())["last_event_id"])
    await admin.revoke_sessions(member["id"])
    assert await drain_until_ended(stream, timeout=1.0) in ([], ["session.revoked"])
    await phone.aclose()


async def raw_socket(server: Server, **options: Any) -> websockets.ClientConnection:
    return await websockets.connect(f"ws://127.0.0.1:{server.port}/v1/ws", **options)


async def close_code(ws: websockets.ClientConnection, timeout: float = 3.0) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


@pytest.mark.parametrize("hello", [
    "not json", json.dumps({"type": "subscribe"}), json.dumps({"type": "hello", "token": "x"}),
    json.dumps({"type": "hello", "token": 5, "after": 0}),
])
async def test_a_bad_hello_closes_with_4401(server: Server, hello: str) -> None:
    ws = await raw_socket(server)
    await ws.send(hello)
    assert await close_code(ws) == 4401


async def test_a_hello_with_a_negative_resume_point_closes_with_4401(
    server: Server, alice: TongbanClient
) -> None:
    ws = await raw_socket(server)
    await ws.send(json.dumps({"type": "hello", "token": alice.access_token, "after": -1}))
    assert await close_code(ws) == 4401


async def test_a_foreign_origin_is_refused(server: Server, alice: TongbanClient) -> None:
    ws = await raw_socket(server, origin="https://evil.example")
    assert await close_code(ws) == 4403
    good = await raw_socket(server, origin="https://app.tongban.test")
    await good.send(json.dumps({"type": "hello", "token": alice.access_token, "after": 0}))
    assert json.loads(await good.recv())["type"] == "ready"
    await good.close()


async def test_oversized_frames_close_the_socket(server: Server, alice: TongbanClient) -> None:
    ws = await raw_socket(server, max_size=None)
    await ws.send(json.dumps({"type": "hello", "token": alice.access_token, "after": 0}))
    assert json.loads(await ws.recv())["type"] == "ready"
    await ws.send("x" * (server.settings.ws_frame_limit_bytes + 10))
    assert await close_code(ws) in (1009, 4400)


async def test_ping_is_answered_with_pong(server: Server, alice: TongbanClient) -> None:
    ws = await raw_socket(server)
    head = (await alice.fetch_events())["last_event_id"]
    await ws.send(json.dumps({"type": "hello", "token": alice.access_token, "after": head}))
    assert json.loads(await ws.recv())["type"] == "ready"
    await ws.send(json.dumps({"type": "ping"}))

    async def next_pong() -> dict[str, Any]:
        while (frame := json.loads(await ws.recv()))["type"] != "pong":
            assert frame["type"] == "event"  # live events may come first
        return frame

    assert await asyncio.wait_for(next_pong(), 2) == {"type": "pong"}
    await ws.close()


async def test_the_socket_closes_when_the_access_token_expires(
    server: Server, person: dict[str, Any]
) -> None:
    client = await logged_in(server, person)
    me = await client.me()
    from datetime import timedelta

    short, _ = server.app.state.auth.tokens.issue(
        subject=str(me["id"]), typ="access", lifetime=timedelta(seconds=1), sid=me["session_id"]
    )
    ws = await raw_socket(server)
    await ws.send(json.dumps({"type": "hello", "token": short, "after": 0}))
    assert await close_code(ws, timeout=4) == 4401
    await client.aclose()


async def test_a_socket_that_sends_no_hello_is_closed(server: Server) -> None:
    gateway = server.app.state.gateway
    gateway.hello_timeout, saved = 0.3, gateway.hello_timeout
    try:
        ws = await raw_socket(server)
        assert await close_code(ws, timeout=2) == 4401
    finally:
        gateway.hello_timeout = saved

