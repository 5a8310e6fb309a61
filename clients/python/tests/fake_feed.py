"""A fake Tongban websocket feed for the event-stream tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

Script = Callable[[ServerConnection, dict[str, Any], int], Awaitable[None]]
StartFeed = Callable[..., AbstractAsyncContextManager["FakeFeed"]]


def ready(last_event_id: int) -> str:
    return json.dumps({"type": "ready", "last_event_id": last_event_id})


def event(event_id: int) -> str:
    frame = {"type": "event", "id": event_id, "kind": "message.created"}
    return json.dumps(frame | {"at": "2026-03-01T01:30:00+00:00", "data": {"n": event_id}})


async def send_events(ws: ServerConnection, ids: range) -> None:
    for event_id in ids:
        await ws.send(event(event_id))


async def sync_with_client(ws: ServerConnection) -> None:
    """Ping and wait for the pong: the client answers only after handing out what came before."""
    await ws.send(json.dumps({"type": "ping"}))
    while json.loads(await ws.recv())["type"] != "pong":
        pass


class FakeFeed:
    """A websocket server speaking the Tongban protocol: it reads the hello, then runs `script`
    with it and the connection's number (1, 2, …)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.hellos: list[dict[str, Any]] = []
        self.url = ""

    async def handle(self, ws: ServerConnection) -> None:
        try:
            self.hellos.append(json.loads(await ws.recv()))
            await self.script(ws, self.hellos[-1], len(self.hellos))
        except ConnectionClosed:
            pass


@asynccontextmanager
async def start_feed(
    script: Script, *, refuse: HTTPStatus | None = None
) -> AsyncIterator[FakeFeed]:
    """Serve `script` on a free loopback port; `refuse` answers every handshake with that status."""
    feed = FakeFeed(script)

    def process_request(ws: ServerConnection, request: Request) -> Response | None:
        return ws.respond(refuse, "refused\n") if refuse else None

    async with serve(feed.handle, "127.0.0.1", 0, process_request=process_request) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        feed.url = f"http://127.0.0.1:{port}"
        yield feed
