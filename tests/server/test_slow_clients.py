"""Slow, silent and departing clients against the real uvicorn, and who may say where a request
came from (issue 15)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from conftest import PASSWORD, Org, Server, free_port, logged_in, make_person
from tongban_client import TongbanClient

from core.tx import atomic
from directory.models import Session
from server.serving import uvicorn_options

DEEP = "[" * 1000 + "]" * 1000


async def exchange(server: Server, sent: bytes, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send `sent` and read until the server closes; what came back and how long it took."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(sent)
    await writer.drain()
    started, reply = loop.time(), b""
    while chunk := await asyncio.wait_for(reader.read(65536), timeout):
        reply += chunk
    writer.close()
    return reply, loop.time() - started


async def test_headers_that_never_end_get_408_and_the_connection_closes(server: Server) -> None:
    reply, took = await exchange(server, b"GET /v1/health HTTP/1.1\r\nHost: t\r\nX-Slow: ")
    assert reply.startswith(b"HTTP/1.1 408 ") and b"request-timeout" in reply
    assert took < server.settings.header_timeout_seconds + 3
    reply, _ = await exchange(server, b"")  # a connection that never says anything
    assert reply.startswith(b"HTTP/1.1 408 ")


async def test_a_body_that_never_finishes_gets_408_and_the_connection_closes(
    server: Server,
) -> None:
    reply, took = await exchange(
        server, b"POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n{\"username\": ")
    assert reply.startswith(b"HTTP/1.1 408 ") and b"request-timeout" in reply
    assert b"connection: close" in reply.lower()
    assert took < server.settings.body_timeout_seconds + 3


async def test_a_kept_alive_connection_still_serves_a_prompt_next_request(server: Server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    for _ in range(2):
        writer.write(b"GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
        await asyncio.sleep(server.settings.header_timeout_seconds * 0.6)
        assert (await asyncio.wait_for(reader.read(65536), 5)).startswith(b"HTTP/1.1 200")
    writer.close()


async def hello(server: Server, client: TongbanClient, after: int = 0, **options: Any) -> Any:
    ws = await websockets.connect(f"ws://127.0.0.1:{server.port}/v1/ws", **options)
    await ws.send(json.dumps({"type": "hello", "token": client.access_token, "after": after}))
    return ws


async def close_code(ws: Any) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def test_a_deeply_nested_websocket_frame_closes_with_4400(
    server: Server, alice: TongbanClient
) -> None:
    head = (await alice.fetch_events())["last_event_id"]
    ws = await hello(server, alice, head)
    assert json.loads(await ws.recv())["type"] == "ready"
    await ws.send(DEEP)
    assert await close_code(ws) == 4400


async def test_a_deeply_nested_hello_closes_with_4401(server: Server) -> None:
    ws = await websockets.connect(f"ws://127.0.0.1:{server.port}/v1/ws")
    await ws.send('{"type": "hello", "token": ' + DEEP + "}")
    assert await close_code(ws) == 4401


@pytest.fixture
def server_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """What the gateway and uvicorn log (uvicorn's loggers do not reach the root logger)."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="server.gateway")
    yield caplog
    uvicorn_log.removeHandler(caplog.handler)


async def test_a_client_leaving_during_replay_is_logged_at_info_not_as_an_error(
    server: Server, admin: TongbanClient, org: Org, server_logs: pytest.LogCaptureFixture
) -> None:
    person = await make_person(admin, org.county)
    async with atomic() as work:  # more than two replay pages waiting for them
        for n in range(1200):
            work.emit("test.backlog", f"user:{person['id']}", {"n": n, "pad": "x" * 1000})
    client = await logged_in(server, person)
    slow = socket.socket()  # a small window: the server's replay waits for it to drain
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", server.port))
    ws = await hello(server, client, sock=slow, max_queue=1)
    assert json.loads(await ws.recv())["type"] == "ready"
    assert json.loads(await ws.recv())["type"] == "event"
    ws.transport.abort()  # gone, mid-replay
    for _ in range(100):
        if any("left during replay" in r.getMessage() for r in server_logs.records):
            break
        await asyncio.sleep(0.05)
    assert [r.getMessage() for r in server_logs.records if r.levelno >= logging.ERROR] == []
    assert any(r.levelno == logging.INFO and "left during replay" in r.getMessage()
               for r in server_logs.records)
    await client.aclose()


@pytest.fixture
async def behind_a_proxy(server: Server) -> AsyncIterator[str]:
    """The same app served as it is behind a proxy at 127.0.0.1 (`TONGBAN_TRUSTED_PROXIES`)."""
    port = free_port()
    settings = server.settings.with_overrides(trusted_proxies=("127.0.0.1",))
    proxied = uvicorn.Server(uvicorn.Config(server.app, host="127.0.0.1", port=port,
                                            lifespan="off", log_level="warning",
                                            **uvicorn_options(settings)))
    task = asyncio.create_task(proxied.serve())
    while not proxied.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    proxied.should_exit = True
    await task


async def login_address(base_url: str, person: dict[str, Any]) -> str | None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        reply = await http.post("/v1/auth/login", headers={"X-Forwarded-For": "10.99.0.1"},
                                json={"username": person["username"], "password": PASSWORD})
        assert reply.status_code == 200
    session = await Session.filter(person_id=person["id"]).order_by("-created_at").first()
    assert session is not None
    return session.address


async def test_forwarded_addresses_are_trusted_only_from_configured_proxies(
    server: Server, admin: TongbanClient, org: Org, behind_a_proxy: str
) -> None:
    person = await make_person(admin, org.county)
    assert await login_address(server.base_url, person) == "127.0.0.1"
    assert await login_address(behind_a_proxy, person) == "10.99.0.1"
