"""Who is calling: the bearer token checked against a live session, once per request."""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from core.context import Origin, set_origin
from core.errors import Unauthorized
from core.jsonutil import loads
from core.security import TokenIssuer
from core.tx import StoredEvent
from directory.browser import check_browser_write, cookie_token
from directory.models import Person, Position, Session
from directory.policy import Role


@dataclass
class Actor:
    person: Person
    session_id: str
    device_id: int | None
    token_expires: int

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def is_admin(self) -> bool:
        return self.person.is_admin

    async def admin_paths(self) -> list[str]:
        """Materialised paths of the units this person administers (their subtrees)."""
        positions = await Position.filter(person_id=self.id).prefetch_related("unit")
        return [p.unit.path for p in positions if Role.UNIT_ADMIN in (p.roles or [])]


def client_address(conn: HTTPConnection) -> str | None:
    return conn.client.host if conn.client else None


def bearer_token(conn: HTTPConnection) -> str:
    header = conn.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an access token as `Authorization: Bearer …`.")
    return token.strip()


@dataclass
class OpenSession:
    person: Person
    device_id: int | None
    until: float


class SessionCache:
    """Sessions this process recently found open, so a request need not ask the database.

    An entry is dropped at once when this process ends the session, when the feed carries
    `session.revoked` or `device.added` for it (from any process: within the bus latency, or
    the feed poll at worst), and in any case after `ttl` seconds, which also bounds how long
    a deactivated person or a new admin flag goes unnoticed.
    """

    def __init__(self, *, ttl: float = 5.0, size: int = 50_000) -> None:
        self.ttl, self.size = ttl, size
        self._open: dict[str, OpenSession] = {}

    def get(self, session_id: str) -> OpenSession | None:
        found = self._open.get(session_id)
        if found is not None and found.until < time.monotonic():
            self._open.pop(session_id, None)
            return None
        return found

    def put(self, session: Session) -> None:
        if len(self._open) >= self.size:
            self._open.clear()
        self._open[session.id] = OpenSession(
            session.person, session.device_id, time.monotonic() + self.ttl
        )

    def drop(self, session_id: str) -> None:
        self._open.pop(session_id, None)

    def on_events(self, events: list[StoredEvent]) -> None:
        """Feed listener: forget sessions that ended or changed device."""
        for event in events:
            if event.kind in ("session.revoked", "device.added"):
                self.drop(str(loads(event.data).get("session_id", "")))


sessions = SessionCache()


async def _open_session(session_id: str) -> OpenSession:
    cached = sessions.get(session_id)
    if cached is not None:
        return cached
    session = await Session.get_or_none(id=session_id).select_related("person")
    if session is None or session.revoked_at is not None or not session.person.active:
        raise Unauthorized("This session has ended.", slug="session-ended")
    sessions.put(session)
    return OpenSession(session.person, session.device_id, 0.0)


async def actor_from_token(issuer: TokenIssuer, token: str, *, address: str | None) -> Actor:
    """The person behind an access token whose session is still open, or 401."""
    claims = issuer.decode(token, typ="access")
    session_id = str(claims.get("sid", ""))
    session = await _open_session(session_id)
    if str(session.person.id) != claims["sub"]:
        raise Unauthorized("The token is not valid.", slug="invalid-token")
    set_origin(Origin(session.person.id, session_id, session.device_id, address))
    return Actor(session.person, session_id, session.device_id, int(claims["exp"]))


async def authenticate(conn: HTTPConnection) -> Actor:
    """The caller: by bearer token, or by the console's session cookie (`directory.browser`),
    whose writes must carry the session's CSRF token."""
    issuer: TokenIssuer = conn.app.state.auth.tokens
    cookie = cookie_token(conn)
    if cookie is None:
        return await actor_from_token(issuer, bearer_token(conn), address=client_address(conn))
    actor = await actor_from_token(issuer, cookie, address=client_address(conn))
    check_browser_write(conn, secret=issuer.secret, session_id=actor.session_id,
                        origins=conn.app.state.settings.allowed_origins)
    return actor
