"""How uvicorn serves Tongban: one set of options for `tongban serve` and the tests, and the
timeouts uvicorn lacks, so that a slow or silent client cannot hold a connection.

- Request head: uvicorn starts no timer until a head is complete (its keep-alive timer even
  stops at the first byte of the next one), so headers that never end held a connection for
  ever. `GuardedHttpTools`/`GuardedH11` answer 408 and close when a head is not complete within
  `header_timeout_seconds` of its first byte (or of the connection).
- Request body: `BodyTimeout` answers 408 (`Connection: close`) when the next chunk of a body
  does not come within `body_timeout_seconds`.
- Forwarded headers: trusted only from `TONGBAN_TRUSTED_PROXIES` (none by default: uvicorn's
  default trusts any local peer, so anyone on the host could claim an address).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

from core.config import Settings
from core.errors import ApiError
from core.jsonutil import dumps
from server.wire import RAW_WIRE


def _seconds(name: str, default: float) -> float:
    """Read from the environment too: `tongban serve --workers N` spawns processes that
    import this module afresh, with the same environment as the settings."""
    return float(os.environ.get(f"TONGBAN_{name}", default))


class RequestTimeout(ApiError):
    status, slug, title = 408, "request-timeout", "Request timeout"


def _timeout_reply(detail: str) -> bytes:
    body = dumps(RequestTimeout(detail).problem()).encode()
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/problem+json\r\n"
            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))


class HeadTimeout:
    """Mixin for uvicorn's HTTP protocols: a request head must arrive whole in time."""

    head_timeout = _seconds("HEADER_TIMEOUT_SECONDS", 10.0)
    _head_timer: asyncio.TimerHandle | None = None
    cycle: Any
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[misc]
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not cycle or self.transport.get_protocol() is not self:
            self._stop_head_timer()  # a head arrived whole (or the socket became a websocket)
        elif self._head_timer is None and (cycle is None or cycle.response_complete):
            self._watch_head()  # the first bytes of the next request on a kept-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)  # type: ignore[misc]

    def _watch_head(self) -> None:
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        self.transport.write(_timeout_reply(
            f"The request head did not arrive within {self.head_timeout:g} s."))
        self.transport.close()


class GuardedH11(HeadTimeout, H11Protocol):  # type: ignore[misc]
    pass


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpTools(HeadTimeout, HttpToolsProtocol):  # type: ignore[misc]
        pass

    PROTOCOL: type[asyncio.Protocol] = GuardedHttpTools
except ImportError:  # httptools is optional in uvicorn
    PROTOCOL = GuardedH11


class SlimQueue:
    """What uvicorn's websocket protocol uses of `asyncio.Queue` (put_nowait, get, empty) for
    one reader: a list and a future made only while the reader waits. An `asyncio.Queue`
    allocates three deques (~2.3 KiB) per socket."""

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def get(self) -> Any:
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)

    def empty(self) -> bool:
        return not self.items


class SlimEvent:
    """`asyncio.Event` without the deque it allocates up front (~0.8 KiB per socket)."""

    __slots__ = ("value", "waiters")

    def __init__(self) -> None:
        self.value = False
        self.waiters: list[asyncio.Future[None]] = []

    def set(self) -> None:
        self.value = True
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters = []

    def clear(self) -> None:
        self.value = False

    def is_set(self) -> bool:
        return self.value

    async def wait(self) -> None:
        if not self.value:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            await waiter


class FeedWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, lending itself to the gateway (`server.wire`).

    The gateway writes event frames it encoded once straight to `transport` (uvicorn writes
    every frame of its own at once too, so nothing of ours can interleave with a half-written
    one), reads `close_sent` and waits on `writable`. These are uvicorn internals: the versions
    are pinned in pyproject.toml and tests/server/test_wire.py fails if they change shape.
    Its per-socket queue and event are swapped for slimmer ones (same methods, one reader).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = SlimQueue()  # type: ignore[assignment]
        self.writable = SlimEvent()  # type: ignore[assignment]
        self.writable.set()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if not self.close_sent:  # upgraded: the scope exists and the app task is starting
            self.scope["extensions"][RAW_WIRE] = self  # type: ignore[index]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept":  # the handshake is done: let it go
            self.request = self.response = None  # type: ignore[assignment]


class BodyTimeout:
    """ASGI middleware: each chunk of a request body must come within the app's
    `state.body_timeout` seconds, or the request ends with 408 and its connection closes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seconds = scope["app"].state.body_timeout
        done = False

        async def timed_receive() -> Message:
            nonlocal done
            if done:  # after the body, receive() waits for a disconnect: no deadline then
                return await receive()
            try:
                async with asyncio.timeout(seconds):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(f"The request body stalled for {seconds:g} s.",
                                     headers={"Connection": "close"}) from None
            done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The options `tongban serve` and the tests give uvicorn."""
    HeadTimeout.head_timeout = settings.header_timeout_seconds
    trusted = ",".join(settings.trusted_proxies)
    return {
        "http": PROTOCOL,
        # No per-message compression: it costs ~40 KiB of zlib state per socket, and events
        # are small and serialised once for all recipients.
        "ws": FeedWebSocketProtocol, "ws_max_size": settings.ws_frame_limit_bytes,
        "ws_per_message_deflate": False,
        "proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None,
    }
