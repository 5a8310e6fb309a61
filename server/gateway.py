"""The websocket gateway (`/v1/ws`): hello → ready → missed events → live, per device.

Each event is encoded once into a whole websocket frame (`server.wire.text_frame`) and the same
bytes are written to every connection in its audience, from the feed pump's callback: no task,
no queue and no encoding per socket (see `server.wire` for how the bytes reach the socket). A
connection's bounded queue is its transport's write buffer, counted in frames; one that holds
more than `queue_size` frames is closed with 4429 (it will resume), never waited on. While a
connection replays from the database, live frames are held (at most `queue_size`) and sent
after the replay, skipping what it already sent. Events that change what a person may hear
(`REFRESH_KINDS`) make that person's connections re-read their audiences and replay, so joining
a group mid-stream loses nothing.

Per connection the gateway keeps one task (the ASGI one, which reads), a `Connection` and its
wire (both with `__slots__`), and an expiry timer; the heartbeat is one timer for all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from typing import Protocol, TypeVar

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from core.context import note_close_code
from core.errors import ApiError
from core.feed import REFRESH_KINDS, audiences_of, head_id, read_for
from core.inputs import decode_json
from core.jsonutil import dumps, loads
from core.metrics import EVENTS_DELIVERED, SLOW_CONSUMERS, WEBSOCKETS_OPEN
from core.retention import FeedReset, check_resume
from core.tx import StoredEvent
from directory.auth import Actor, actor_from_token, client_address
from directory.browser import cookie_token, same_origin
from server.wire import Wire, text_frame, wire_for

log = logging.getLogger(__name__)
REPLAY_PAGE = 500
PING, PONG = text_frame('{"type":"ping"}'), text_frame('{"type":"pong"}')
K = TypeVar("K")
Held = tuple[int, bytes, bool, str]  # event id, frame, re-read audiences after it, its audience


class PresenceListener(Protocol):
    """Told what each connection says of its app (`push.presence`)."""

    def report(self, key: int, session_id: str, state: str) -> bool: ...

    def forget(self, key: int) -> None: ...


class Close:
    NORMAL = 1000
    TOO_BIG = 1009
    BAD_FRAME = 4400
    UNAUTHORIZED = 4401
    ORIGIN = 4403
    SESSION_ENDED = 4410
    TOO_SLOW = 4429


def event_text(event: StoredEvent) -> str:
    """The one serialisation of an event shared by every recipient (`data` is stored JSON)."""
    return (
        f'{{"type":"event","id":{event.id},"kind":{json.dumps(event.kind)},'
        f'"at":{json.dumps(event.at)},"data":{event.data}}}'
    )


def event_frame(event: StoredEvent) -> bytes:
    return text_frame(event_text(event))


class Connection:
    __slots__ = ("ws", "wire", "person_id", "session_id", "audiences", "queue_size", "held",
                 "last_sent", "quiet_mark", "close_code", "task", "reading")

    def __init__(self, ws: WebSocket, actor: Actor, queue_size: int) -> None:
        self.ws = ws
        self.wire: Wire = wire_for(ws)
        self.person_id = actor.id
        self.session_id = actor.session_id
        self.audiences: set[str] = set()
        self.queue_size = queue_size
        self.held: list[Held] | None = []  # not None while replaying: live frames wait here
        self.last_sent = 0
        self.quiet_mark = -1  # `last_sent` at the previous heartbeat
        self.close_code: int | None = None
        self.task = asyncio.current_task()
        self.reading = False

    def offer(self, event_id: int, frame: bytes, refresh: bool, audience: str) -> bool:
        """Send a live event unless already sent; True if the person's audiences must be
        re-read now (the caller starts that)."""
        if self.held is not None:
            self._hold((event_id, frame, refresh, audience))
            return False
        if event_id <= self.last_sent or self.close_code is not None:
            return False
        self.last_sent = event_id
        self.send(frame)
        return refresh

    def send(self, frame: bytes) -> None:
        if self.wire.write(frame) > self.queue_size:
            self.stop(Close.TOO_SLOW)

    def _hold(self, item: Held) -> None:
        assert self.held is not None
        self.held.append(item)
        if len(self.held) > self.queue_size:
            self.stop(Close.TOO_SLOW)

    def stop(self, code: int) -> None:
        """Close with `code`: reading ends (a replay stops at its next page) and `_run`
        closes the socket."""
        if self.close_code is not None:
            return
        if code == Close.TOO_SLOW:
            SLOW_CONSUMERS.inc()
        self.close_code = code
        if self.reading and self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()

    @property
    def stopped(self) -> bool:
        return self.close_code is not None


class Gateway:
    """Connections of this process, indexed by audience and by session."""

    def __init__(self, *, queue_size: int, heartbeat: float, hello_timeout: float,
                 frame_limit: int, origins: tuple[str, ...]) -> None:
        self.queue_size = queue_size
        self.heartbeat = heartbeat
        self.hello_timeout = hello_timeout
        self.frame_limit = frame_limit
        self.origins = origins
        self.by_audience: dict[str, set[Connection]] = defaultdict(set)
        self.by_session: dict[str, set[Connection]] = defaultdict(set)
        self.by_person: dict[int, set[Connection]] = defaultdict(set)
        self._heartbeat: asyncio.Task[None] | None = None
        self.presence: PresenceListener | None = None
        self._refreshing: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._ping_idle())

    async def stop(self) -> None:
        if self._heartbeat:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)

    async def _ping_idle(self) -> None:
        """One timer for all sockets (not one per socket or event): ping each socket that was
        sent no event since the previous beat."""
        while True:
            await asyncio.sleep(self.heartbeat)
            for conns in tuple(self.by_session.values()):
                for conn in tuple(conns):
                    self._beat(conn)

    @staticmethod
    def _beat(conn: Connection) -> None:
        if conn.last_sent == conn.quiet_mark and conn.held is None and not conn.stopped:
            conn.send(PING)
        conn.quiet_mark = conn.last_sent

    @property
    def connection_count(self) -> int:
        return sum(len(conns) for conns in self.by_session.values())

    def index(self, conn: Connection, audiences: set[str]) -> None:
        for audience in conn.audiences - audiences:
            self._discard(self.by_audience, audience, conn)
        for audience in audiences:
            self.by_audience[audience].add(conn)
        conn.audiences = audiences
        self.by_session[conn.session_id].add(conn)
        self.by_person[conn.person_id].add(conn)

    def remove(self, conn: Connection) -> None:
        for audience in conn.audiences:
            self._discard(self.by_audience, audience, conn)
        self._discard(self.by_session, conn.session_id, conn)
        self._discard(self.by_person, conn.person_id, conn)

    @staticmethod
    def _discard(index: dict[K, set[Connection]], key: K, conn: Connection) -> None:
        conns = index.get(key)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del index[key]

    def on_events(self, events: list[StoredEvent]) -> None:
        """Pump listener: write each event's frame, encoded once, to every connection of its
        audience."""
        handed = 0
        for event in events:
            if event.kind == "session.revoked":
                self._end_session(event)
            conns = self.by_audience.get(event.audience)
            if not conns:
                continue
            handed += len(conns)
            self._fan_out(tuple(conns), event)
        EVENTS_DELIVERED.inc(handed)

    def _fan_out(self, conns: tuple[Connection, ...], event: StoredEvent) -> None:
        frame, refresh, audience = event_frame(event), event.kind in REFRESH_KINDS, event.audience
        for conn in conns:
            if conn.offer(event.id, frame, refresh, audience):
                self._refresh(conn)

    def _refresh(self, conn: Connection) -> None:
        """The person's audiences changed: hold live frames, re-read them and replay."""
        conn.held = []
        task = asyncio.create_task(self._catch_up(conn, refreshing=True))
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    def _end_session(self, event: StoredEvent) -> None:
        session_id = loads(event.data).get("session_id")
        for conn in tuple(self.by_session.get(session_id, ())):
            conn.stop(Close.SESSION_ENDED)

    def origin_allowed(self, ws: WebSocket) -> bool:
        """Browsers send Origin; native apps need not. Browsers must be on the allowlist or be
        the web console served by this server (same origin)."""
        origin = ws.headers.get("origin")
        return origin is None or "*" in self.origins or origin in self.origins \
            or same_origin(ws)

    async def serve(self, ws: WebSocket) -> None:
        await ws.accept()
        if not self.origin_allowed(ws):
            await ws.close(Close.ORIGIN, "origin not allowed")
            return
        hello = await self._hello(ws)
        if hello is None:
            return
        actor, after = hello
        ws.scope["headers"] = []  # nothing of the handshake is needed past the hello: let it go
        ws.__dict__.pop("_headers", None)
        conn = Connection(ws, actor, self.queue_size)
        self.index(conn, await audiences_of(actor.id))
        WEBSOCKETS_OPEN.inc()
        try:
            await self._run(conn, actor, after)
        except (WebSocketDisconnect, OSError):  # gone before the replay ended: theirs to resume
            log.info("person %s left during replay, at event %s", conn.person_id, conn.last_sent)
        finally:
            conn.close_code = conn.close_code or Close.NORMAL  # a refresh under way stops
            self.remove(conn)
            if self.presence is not None:
                self.presence.forget(id(conn))
            WEBSOCKETS_OPEN.dec()

    async def _hello(self, ws: WebSocket) -> tuple[Actor, int] | None:
        try:
            async with asyncio.timeout(self.hello_timeout):
                raw = await ws.receive_text()
            frame = decode_json(raw) if len(raw) <= self.frame_limit else None
            if not isinstance(frame, dict) or frame.get("type") != "hello":
                raise ValueError("not a hello")
            after = frame.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                raise ValueError("bad resume point")
            # The web console's token is in its httpOnly cookie (`directory.browser`), sent with
            # the handshake; its hello carries none.
            token = frame.get("token") or cookie_token(ws)
            if not isinstance(token, str):
                raise ValueError("no token")
            actor = await actor_from_token(
                ws.app.state.auth.tokens, token, address=client_address(ws)
            )
            return actor, after
        except (TimeoutError, ValueError, TypeError, ApiError, KeyError):
            await _close(ws, Close.UNAUTHORIZED, "hello with a valid token expected")
        except (WebSocketDisconnect, RuntimeError):
            return None  # the client went away before saying hello: nothing to close
        return None

    async def _run(self, conn: Connection, actor: Actor, after: int) -> None:
        conn.send(text_frame(dumps({"type": "ready", "last_event_id": await head_id()})))
        conn.last_sent = after
        await self._catch_up(conn)
        expiry = asyncio.get_running_loop().call_later(
            max(0.0, actor.token_expires - time.time()), conn.stop, Close.UNAUTHORIZED
        )  # the access token expired: the client refreshes and resumes
        try:
            await self._read_until_stopped(conn)
        finally:
            expiry.cancel()
        if conn.close_code is not None:
            await _close(conn.ws, conn.close_code, "")

    async def _read_until_stopped(self, conn: Connection) -> None:
        """Read in this (the ASGI) task; `Connection.stop` cancels it, which ends here."""
        conn.reading = not conn.stopped
        try:
            if conn.reading:
                await self._read(conn)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not conn.stopped or task is None or task.uncancel() > 0:
                raise  # not ours: the server is shutting down
        finally:
            conn.reading = False

    async def _catch_up(self, conn: Connection, refreshing: bool = False) -> None:
        """Replay up to the head, then send the frames held meanwhile and go live; again
        whenever a held event changes the person's audiences."""
        reindex = refreshing
        try:
            while not conn.stopped:
                if reindex and not await self._reindex(conn):
                    return
                await self.replay(conn)
                reindex = self._release(conn)
                if not reindex:
                    return
        except (WebSocketDisconnect, OSError):
            if not refreshing:
                raise
            # a refresh task: the reading task sees the socket go

    async def _reindex(self, conn: Connection) -> bool:
        audiences = await audiences_of(conn.person_id)
        if conn.stopped:  # closed meanwhile: it must not come back into the index
            return False
        self.index(conn, audiences)
        return True

    def _release(self, conn: Connection) -> bool:
        """Send the held frames not replayed; True (holding the rest) at a refresh event."""
        held, conn.held = conn.held or [], None
        for n, (event_id, frame, refresh, audience) in enumerate(held):
            if event_id <= conn.last_sent or audience not in conn.audiences:
                continue  # replayed, or queued before the person left that audience
            conn.last_sent = event_id
            conn.send(frame)
            if refresh:
                conn.held = held[n + 1:]
                return True
        return False

    async def replay(self, conn: Connection) -> None:
        """Send what the person may see after `last_sent`, up to the head, in pages; waits for
        the socket to drain between pages (a slow reader slows its own replay only)."""
        upto = await head_id()
        while conn.last_sent < upto and not conn.stopped:
            events = await read_for(conn.audiences, after=conn.last_sent, upto=upto,
                                    limit=REPLAY_PAGE)
            if await self._reset_if_pruned(conn, upto):
                return
            EVENTS_DELIVERED.inc(len(events))
            for event in events:
                conn.wire.write(event_frame(event))
                conn.last_sent = event.id
                await conn.wire.drain()
            if len(events) < REPLAY_PAGE:
                conn.last_sent = max(conn.last_sent, upto)
                return

    @staticmethod
    async def _reset_if_pruned(conn: Connection, upto: int) -> bool:
        """Retention removed events this connection still needed: send `reset` and go on live
        from `upto` (checked after each page is read; see core.retention)."""
        try:
            await check_resume(conn.last_sent, head=upto)
        except FeedReset as reset:
            conn.wire.write(text_frame(dumps(reset.frame())))
            conn.last_sent = reset.last_event_id
            return True
        return False

    async def _read(self, conn: Connection) -> None:
        while not conn.stopped:  # a frame handled here may have stopped it (a bad presence)
            message = await conn.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text") or ""
            if len(text) > self.frame_limit or message.get("bytes"):
                conn.stop(Close.TOO_BIG if text else Close.BAD_FRAME)
                return
            try:  # the same limits as an HTTP body: depth, text, integers
                frame = decode_json(text)
            except ApiError:
                conn.stop(Close.BAD_FRAME)
                return
            if isinstance(frame, dict) and frame.get("type") == "ping":
                conn.send(PONG)
            elif isinstance(frame, dict) and frame.get("type") == "presence":
                self._presence(conn, frame.get("state"))

    def _presence(self, conn: Connection, state: object) -> None:
        """`{"type":"presence","state":"foreground"|"background"}`; any other state closes 4400."""
        if self.presence is None:
            return
        if not isinstance(state, str) or not self.presence.report(id(conn), conn.session_id, state):
            conn.stop(Close.BAD_FRAME)


class FeedSocketShortcut:
    """ASGI middleware: `/v1/ws` straight to the gateway, past the rest of the stack.

    A websocket's task stays suspended in its handler for hours; every middleware, the router
    and the route wrappers under it would each keep a coroutine frame per socket (about 4 KiB
    in all). Observe stays outside: it logs and counts the socket when it ends.
    """

    def __init__(self, app: ASGIApp, *, gateway: Gateway, route: BaseRoute) -> None:
        self.app, self.gateway, self.route = app, gateway, route
        self.path: str = getattr(route, "path")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        await self.gateway.serve(WebSocket(scope, receive, send))


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    note_close_code(code)
    with contextlib.suppress(Exception):
        await ws.close(code, reason)
