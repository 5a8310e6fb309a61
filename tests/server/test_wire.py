"""The gateway's write path (`server.wire`): frames encoded once and written straight to uvicorn's
transport. These tests fail if the uvicorn or websockets internals that path relies on change."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import websockets
from conftest import Org, Server, free_port, logged_in, make_person, settings_for_tests, take
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from core.tx import atomic
from server.gateway import Close, Connection
from server.serving import FeedWebSocketProtocol, uvicorn_options
from server.wire import AsgiWire, RawWire, frame_text, text_frame


def test_frames_are_rfc6455_text_frames_of_every_length_class() -> None:
    for size in (0, 125, 126, 65535, 65536, 70000):
        text = "中" * (size // 3) + "x" * (size % 3)
        frame = text_frame(text)
        assert frame[0] == 0x81 and not frame[1] & 0x80  # final text frame, unmasked
        assert frame_text(frame) == text
        assert len(frame) - len(text.encode()) == (2 if size < 126 else 4 if size < 65536 else 10)


def test_the_uvicorn_internals_the_raw_wire_uses_are_still_there(tmp_path: Path) -> None:
    assert issubclass(FeedWebSocketProtocol, WebSocketsSansIOProtocol)
    for name in ("handle_connect", "send", "pause_writing", "resume_writing", "shutdown"):
        assert callable(getattr(WebSocketsSansIOProtocol, name))
    source = WebSocketsSansIOProtocol.__init__.__code__.co_names
    for name in ("writable", "close_sent", "transport", "conn"):
        assert name in source, f"uvicorn's protocol no longer sets {name}"
    assert uvicorn_options(settings_for_tests(tmp_path))["ws"] is FeedWebSocketProtocol


def live_connections(server: Server, person_id: int) -> list[Connection]:
    return list(server.app.state.gateway.by_person.get(person_id, ()))


async def wait_for_connection(server: Server, person_id: int) -> Connection:
    for _ in range(100):
        if conns := live_connections(server, person_id):
            return conns[0]
        await asyncio.sleep(0.02)
    raise AssertionError("no connection registered")


async def test_frames_written_by_the_fast_path_arrive_intact(
    server: Server, admin: Any, org: Org
) -> None:
    person = await make_person(admin, org.county)
    client = await logged_in(server, person)
    head = (await client.fetch_events())["last_event_id"]
    ws = await websockets.connect(f"ws://127.0.0.1:{server.port}/v1/ws", max_size=None)
    await ws.send(json.dumps({"type": "hello", "token": client.access_token, "after": head}))
    assert json.loads(await ws.recv())["type"] == "ready"
    assert isinstance((await wait_for_connection(server, person["id"])).wire, RawWire)
    pads = ["", "短" * 40, "长" * 30000, "y" * 70000]  # every frame-length class
    async with atomic() as work:
        for n, pad in enumerate(pads):
            work.emit("test.wire", f"user:{person['id']}", {"n": n, "pad": pad})
    for n, pad in enumerate(pads):
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (frame["type"], frame["data"]) == ("event", {"n": n, "pad": pad})
    await ws.close()
    await client.aclose()


async def test_a_slow_consumer_is_cut_off_and_resumes_with_no_loss_and_no_duplicate(
    server: Server, admin: Any, org: Org
) -> None:
    """A socket that stops reading fills its transport buffer; past `queue_size` frames there it
    is closed with 4429, the others are not waited on, and a resume misses nothing."""
    person = await make_person(admin, org.county)
    client = await logged_in(server, person)
    gateway = server.app.state.gateway
    gateway.queue_size, saved = 3, gateway.queue_size
    head = (await client.fetch_events())["last_event_id"]
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", server.port))
    ws = await websockets.connect(f"ws://127.0.0.1:{server.port}/v1/ws", sock=slow,
                                  max_queue=1, max_size=None)
    await ws.send(json.dumps({"type": "hello", "token": client.access_token, "after": head}))
    assert json.loads(await ws.recv())["type"] == "ready"
    conn = await wait_for_connection(server, person["id"])
    assert isinstance(conn.wire, RawWire)
    # Small kernel buffers on both ends, so the transport's own buffer fills after a few frames:
    conn.wire.transport.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    ws.transport.pause_reading()  # it stops reading: the server's buffer fills
    try:
        for n in range(40):
            async with atomic() as work:
                work.emit("test.slow", f"user:{person['id']}", {"n": n, "pad": "z" * 60000})
            if conn.stopped:
                break
            await asyncio.sleep(0.01)
    finally:
        gateway.queue_size = saved
    assert conn.close_code == Close.TOO_SLOW
    sent = n + 1
    ws.transport.abort()
    stream = client.events(after=head)
    got = await take(stream, sent, timeout=10)
    assert [event["data"]["n"] for event in got] == list(range(sent))
    await stream.aclose()
    await client.aclose()


@pytest.fixture
async def plain_sansio(server: Server) -> AsyncIterator[int]:
    """The same app under uvicorn's stock websockets-sansio: no transport lent (AsgiWire)."""
    port = free_port()
    options = {**uvicorn_options(server.settings), "ws": "websockets-sansio"}
    other = uvicorn.Server(uvicorn.Config(server.app, host="127.0.0.1", port=port,
                                          lifespan="off", log_level="warning", **options))
    task = asyncio.create_task(other.serve())
    while not other.started:
        await asyncio.sleep(0.02)
    yield port
    other.should_exit = True
    await task


async def test_without_a_lent_transport_frames_go_through_asgi_in_order(
    server: Server, admin: Any, org: Org, plain_sansio: int
) -> None:
    person = await make_person(admin, org.county)
    client = await logged_in(server, person)
    head = (await client.fetch_events())["last_event_id"]
    ws = await websockets.connect(f"ws://127.0.0.1:{plain_sansio}/v1/ws", max_size=None)
    await ws.send(json.dumps({"type": "hello", "token": client.access_token, "after": head}))
    assert json.loads(await ws.recv())["type"] == "ready"
    assert isinstance((await wait_for_connection(server, person["id"])).wire, AsgiWire)
    async with atomic() as work:
        for n in range(5):
            work.emit("test.asgi", f"user:{person['id']}", {"n": n, "pad": "p" * 200 * n})
    got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(5)]
    assert [frame["data"]["n"] for frame in got] == [0, 1, 2, 3, 4]
    await ws.close()
    await client.aclose()
