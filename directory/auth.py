"""Who is calling: the bearer token checked against a live session, once per request."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from core.context import Origin, set_origin
from core.errors import Unauthorized
from core.security import TokenIssuer
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


async def actor_from_token(issuer: TokenIssuer, token: str, *, address: str | None) -> Actor:
    """The person behind an access token whose session is still open, or 401."""
    claims = issuer.decode(token, typ="access")
    session = await Session.get_or_none(id=str(claims.get("sid", ""))).select_related("person")
    if session is None or session.revoked_at is not None or not session.person.active:
        raise Unauthorized("This session has ended.", slug="session-ended")
    if str(session.person_id) != claims["sub"]:
        raise Unauthorized("The token is not valid.", slug="invalid-token")
    set_origin(Origin(session.person_id, session.id, session.device_id, address))
    return Actor(session.person, session.id, session.device_id, int(claims["exp"]))


async def authenticate(conn: HTTPConnection) -> Actor:
    issuer: TokenIssuer = conn.app.state.auth.tokens
    return await actor_from_token(issuer, bearer_token(conn), address=client_address(conn))
