"""The websocket gateway (`/v1/ws`): hello → ready → missed events → live, per device.

Each event is serialised once into a frame and the same string is queued for every connection
in its audience. Every connection has a bounded queue and its own writer; one that falls too far
behind is closed with 4429 (it will resume), never waited on. Events that change what a person may
hear (`REFRESH_KINDS`) make that person's connections re-read their audiences and replay from the
database, so joining a group mid-stream loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from typing import Protocol, TypeVar

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

log = logging.getLogger(__name__)
REPLAY_PAGE = 500
PING, PONG = '{"type":"ping"}', '{"type":"pong"}'
K = TypeVar("K")


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


def event_frame(event: StoredEvent) -> str:
    """The one serialisation of an event shared by every recipient (`data` is stored JSON)."""
    return (
        f'{{"type":"event","id":{event.id},"kind":{json.dumps(event.kind)},'
        f'"at":{json.dumps(event.at)},"data":{event.data}}}'
    )


class Connection:
    def __init__(self, ws: WebSocket, actor: Actor, queue_size: int) -> None:
        self.ws = ws
        self.person_id = actor.id
        self.session_id = actor.session_id
        self.audiences: set[str] = set()
        # (event id or 0 for control frames, frame, re-read audiences after it, its audience)
        self.queue: asyncio.Queue[tuple[int, str, bool, str]] = asyncio.Queue(queue_size)
        self.last_sent = 0
        self.last_write = time.monotonic()
        self.close_code: int | None = None
        self.tasks: list[asyncio.Task[None]] = []

    def offer(self, event_id: int, frame: str, refresh: bool = False, audience: str = "") -> None:
        try:
            self.queue.put_nowait((event_id, frame, refresh, audience))
        except asyncio.QueueFull:
            if not self.stopped:
                SLOW_CONSUMERS.inc()
            self.stop(Close.TOO_SLOW)

    def stop(self, code: int) -> None:
        """Close with `code`: the writer and reader end, and `Gateway._run` closes the socket."""
        if self.close_code is None:
            self.close_code = code
        for task in self.tasks:
            task.cancel()

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

    def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._ping_idle())

    async def stop(self) -> None:
        if self._heartbeat:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)

    async def _ping_idle(self) -> None:
        """One timer for all sockets (not one per event): ping those that were quiet too long."""
        while True:
            await asyncio.sleep(self.heartbeat / 2)
            quiet_since = time.monotonic() - self.heartbeat
            for conns in tuple(self.by_session.values()):
                for conn in tuple(conns):
                    if conn.last_write < quiet_since:
                        conn.offer(0, PING)

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
        """Pump listener: fan each event out to the queues of its audience."""
        handed = 0
        for event in events:
            if event.kind == "session.revoked":
                self._end_session(event)
            conns = self.by_audience.get(event.audience)
            if not conns:
                continue
            frame = event_frame(event)
            refresh = event.kind in REFRESH_KINDS
            handed += len(conns)
            for conn in tuple(conns):
                conn.offer(event.id, frame, refresh, event.audience)
        EVENTS_DELIVERED.inc(handed)

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
        conn = Connection(ws, actor, self.queue_size)
        self.index(conn, await audiences_of(actor.id))
        WEBSOCKETS_OPEN.inc()
        try:
            await self._run(conn, actor, after)
        except (WebSocketDisconnect, OSError):  # gone before the replay ended: theirs to resume
            log.info("person %s left during replay, at event %s", conn.person_id, conn.last_sent)
        finally:
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
        await conn.ws.send_text(dumps({"type": "ready", "last_event_id": await head_id()}))
        conn.last_sent = after
        await self.replay(conn)
        conn.tasks = [asyncio.create_task(self._write(conn)), asyncio.create_task(self._read(conn))]
        expiry = asyncio.get_running_loop().call_later(
            max(0.0, actor.token_expires - time.time()), conn.stop, Close.UNAUTHORIZED
        )  # the access token expired: the client refreshes and resumes
        try:
            await asyncio.wait(conn.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            expiry.cancel()
            for task in conn.tasks:
                task.cancel()
            await asyncio.gather(*conn.tasks, return_exceptions=True)
        if conn.close_code is not None:
            await _close(conn.ws, conn.close_code, "")

    async def replay(self, conn: Connection) -> None:
        """Send what the person may see after `last_sent`, up to the head, in pages."""
        upto = await head_id()
        while conn.last_sent < upto:
            events = await read_for(conn.audiences, after=conn.last_sent, upto=upto,
                                    limit=REPLAY_PAGE)
            if await self._reset_if_pruned(conn, upto):
                return
            EVENTS_DELIVERED.inc(len(events))
            for event in events:
                await conn.ws.send_text(event_frame(event))
                conn.last_sent = event.id
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
            await conn.ws.send_text(dumps(reset.frame()))
            conn.last_sent = reset.last_event_id
            return True
        return False

    async def _write(self, conn: Connection) -> None:
        while not conn.stopped:
            event_id, frame, refresh, audience = await conn.queue.get()
            if event_id and event_id <= conn.last_sent:
                continue  # already sent by a replay
            if audience and audience not in conn.audiences:
                continue  # queued before the person left that audience (e.g. a conversation)
            await conn.ws.send_text(frame)
            conn.last_write = time.monotonic()
            if event_id:
                conn.last_sent = event_id
            if refresh:
                self.index(conn, await audiences_of(conn.person_id))
                await self.replay(conn)

    async def _read(self, conn: Connection) -> None:
        while True:
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
                conn.offer(0, PONG)
            elif isinstance(frame, dict) and frame.get("type") == "presence":
                self._presence(conn, frame.get("state"))

    def _presence(self, conn: Connection, state: object) -> None:
        """`{"type":"presence","state":"foreground"|"background"}`; any other state closes 4400."""
        if self.presence is None:
            return
        if not isinstance(state, str) or not self.presence.report(id(conn), conn.session_id, state):
            conn.stop(Close.BAD_FRAME)


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    note_close_code(code)
    with contextlib.suppress(Exception):
        await ws.close(code, reason)
