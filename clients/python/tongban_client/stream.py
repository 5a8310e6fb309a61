"""The event stream: the websocket feed, reconnected and resumed so no event is lost or repeated."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin

from tongban_client.errors import ApiError, FeedReset, ProtocolError, SessionEnded, StreamRejected

if TYPE_CHECKING:
    from tongban_client.client import TongbanClient

ResetCallback = Callable[[FeedReset], Awaitable[None] | None]
PING = json.dumps({"type": "ping"})
PONG = json.dumps({"type": "pong"})
ABNORMAL_CLOSURE = 1006
TOKEN_REFUSED = 4401
# Codes that retrying cannot fix: malformed frame, origin not allowed.
REJECTIONS = {4400: (400, "malformed frame"), 4403: (403, "origin not allowed")}
SESSION_ENDED = 4410
# Every other close code (1000/1001/1006/1011/1012, 4429 "too far behind", and codes we do not
# know) means: reconnect after a pause and resume. Losing events is worse than retrying.
RETRYABLE_ERRORS = (
    OSError,
    TimeoutError,
    InvalidHandshake,
    ConnectionClosed,
    httpx.TransportError,
    ApiError,
)


@dataclass
class Backoff:
    """Exponential reconnect delays with jitter, capped; `reset()` once a connection is ready."""

    initial: float = 0.5
    cap: float = 30.0
    factor: float = 2.0
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.initial * self.factor ** min(self.attempt, 64))
        self.attempt += 1
        # "Equal jitter": spread reconnecting phones over half the window without ever
        # retrying at once, so a restarted server is not hit by every client together.
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


class EventStream:
    """Async iterator of events `{id, kind, at, data}`, each exactly once and in increasing id.

    It resumes from the last event it handed out (`last_event_id`), so an event is never skipped
    because it was received but not yet consumed when a connection dropped. One consumer at a
    time; `aclose()` may be called from anywhere.

    When the server's retention removed events after the resume point, the server sends `reset`:
    the stream moves `last_event_id` to the reset's `last_event_id` and calls `on_reset` (the
    caller refetches its state there), or, without a callback, raises `FeedReset` from the
    iteration; the stream stays open and the next iteration continues after that id.
    `last_close_code` is the close code of the last connection lost (1012: the server restarted).
    """

    def __init__(
        self,
        client: TongbanClient,
        after: int = 0,
        *,
        ping_interval: float = 20,
        backoff: Backoff | None = None,
        on_reset: ResetCallback | None = None,
    ) -> None:
        self.last_event_id = after
        self.server_last_event_id: int | None = None
        self.connects = 0
        self.resets = 0
        self.last_close_code: int | None = None
        self._on_reset = on_reset
        self._client = client
        self._ping_interval = ping_interval
        self._backoff = backoff or Backoff()
        self._ws: ClientConnection | None = None
        self._closed = asyncio.Event()
        self._hello_token: str | None = None
        self._token_stale = False
        self._refreshed_since_ready = False
        self.presence: str | None = None  # told again on every (re)connection

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not self._closed.is_set():
            event = await self._next_event()
            if event is not None:
                self.last_event_id = event["id"]
                return event
        raise StopAsyncIteration

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop for good: a pending `__anext__` ends with StopAsyncIteration."""
        self._closed.set()
        await self.drop_connection()

    async def set_presence(self, state: str) -> None:
        """Tell the server the app is in the `foreground` (no push for what this stream gets)
        or the `background` (pushes again). Remembered and repeated after each reconnect."""
        if state not in ("foreground", "background"):
            raise ValueError("state is foreground or background")
        self.presence = state
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(_presence_frame(state))

    async def drop_connection(self) -> None:
        """Close the current socket; the iterator reconnects and resumes (used by tests)."""
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    # -- one step of the loop ---------------------------------------------------------------

    async def _next_event(self) -> dict[str, Any] | None:
        ws = self._ws or await self._connect()
        if ws is None:
            return None
        try:
            raw = await self._receive(ws)
            if raw is None:
                await self._abandon(ws)
                return None
            return await self._handle(ws, raw)
        except ConnectionClosed as closed:
            await self._lost(ws, closed)
            return None
        except ProtocolError:
            await self.aclose()
            raise

    async def _connect(self) -> ClientConnection | None:
        try:
            if self._token_stale:
                await self._client.refresh_if_stale(self._hello_token)
                self._token_stale, self._refreshed_since_ready = False, True
            ws = await self._open()
        except SessionEnded:
            self._closed.set()
            raise
        except RETRYABLE_ERRORS as error:
            _raise_if_rejected(error)
            await self._pause()
            return None
        if self._closed.is_set():
            await ws.close()
            return None
        self._ws = ws
        return ws

    async def _open(self) -> ClientConnection:
        origin = Origin(self._client.origin) if self._client.origin else None
        ws = await connect(
            self._client.ws_url,
            origin=origin,
            open_timeout=self._client.timeout,
            ping_interval=None,
            close_timeout=2,
        )
        self.connects += 1
        self._hello_token = self._client.access_token
        await ws.send(
            json.dumps({"type": "hello", "token": self._hello_token, "after": self.last_event_id})
        )
        if self.presence is not None:
            await ws.send(_presence_frame(self.presence))
        return ws

    async def _receive(self, ws: ClientConnection) -> str | bytes | None:
        """The next frame, or None once the peer stayed silent for `ping_interval`, was pinged,
        and stayed silent for another `ping_interval`."""
        for attempt in range(2):
            try:
                async with asyncio.timeout(self._ping_interval):
                    return await ws.recv()
            except TimeoutError:
                if attempt == 0:
                    await ws.send(PING)
        return None

    async def _handle(self, ws: ClientConnection, raw: str | bytes) -> dict[str, Any] | None:
        frame = _parse(raw)
        kind = frame.get("type")
        if kind == "event":
            return self._accept(frame)
        if kind == "ready":
            self._on_ready(frame)
        elif kind == "reset":
            await self._reset(FeedReset.from_payload(frame))
        elif kind == "ping":
            await ws.send(PONG)
        return None  # pong and frame types we do not know

    def _accept(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        event_id = frame.get("id")
        if not isinstance(event_id, int):
            raise ProtocolError(f"event frame without an integer id: {frame!r}")
        if event_id <= self.last_event_id:
            return None  # already handed out (a replay overlapping what we had)
        return {name: value for name, value in frame.items() if name != "type"}

    def _on_ready(self, frame: dict[str, Any]) -> None:
        self.server_last_event_id = frame.get("last_event_id")
        self._backoff.reset()
        self._refreshed_since_ready = False

    async def _reset(self, reset: FeedReset) -> None:
        self.last_event_id = max(self.last_event_id, reset.last_event_id)
        self.resets += 1
        if self._on_reset is None:
            raise reset
        outcome = self._on_reset(reset)
        if inspect.isawaitable(outcome):
            await outcome

    # -- losing a connection ----------------------------------------------------------------

    async def _abandon(self, ws: ClientConnection) -> None:
        # The peer answered nothing, not even our ping: the network is gone though TCP has not
        # noticed. Abort rather than wait for a closing handshake that will not come.
        ws.transport.abort()
        if self._ws is ws:
            self._ws = None
        await self._pause()

    async def _lost(self, ws: ClientConnection, closed: ConnectionClosed) -> None:
        if self._ws is ws:
            self._ws = None
        if self._closed.is_set():
            return
        code = closed.rcvd.code if closed.rcvd else ABNORMAL_CLOSURE
        reason = closed.rcvd.reason if closed.rcvd else ""
        self.last_close_code = code
        self._raise_if_final(code, reason)
        if code == TOKEN_REFUSED:
            self._token_stale = True  # refresh, then reconnect at once
            return
        await self._pause()

    def _raise_if_final(self, code: int, reason: str) -> None:
        if code in REJECTIONS:
            self._closed.set()
            status, title = REJECTIONS[code]
            raise StreamRejected(status, close_code=code, title=title, detail=reason or None)
        if code == SESSION_ENDED or (code == TOKEN_REFUSED and self._refreshed_since_ready):
            # A token refused right after a successful refresh will be refused again.
            self._closed.set()
            raise SessionEnded(reason or f"websocket closed with {code}")

    async def _pause(self) -> None:
        try:
            async with asyncio.timeout(self._backoff.next_delay()):
                await self._closed.wait()
        except TimeoutError:
            pass


def _presence_frame(state: str) -> str:
    return json.dumps({"type": "presence", "state": state})


def _parse(raw: str | bytes) -> dict[str, Any]:
    try:
        frame = json.loads(raw)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        raise ProtocolError(f"frame is not a JSON object: {raw[:200]!r}")
    return frame


def _raise_if_rejected(error: Exception) -> None:
    # A handshake refused with a client error (403 for a foreign Origin, 404 for a wrong URL)
    # will be refused again; 408, 429 and server errors are worth retrying.
    if isinstance(error, InvalidStatus):
        status = error.response.status_code
        if 400 <= status < 500 and status not in (408, 429):
            raise StreamRejected(
                status, close_code=None, title="websocket handshake refused"
            ) from error
