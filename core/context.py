"""Who is acting and from where, set once per request so audit entries can say it."""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    actor_id: int | None = None
    session_id: str | None = None
    device_id: int | None = None
    address: str | None = None


_origin: ContextVar[Origin] = ContextVar("tongban_origin", default=Origin())


def current_origin() -> Origin:
    return _origin.get()


def set_origin(origin: Origin) -> None:
    _origin.set(origin)
    request = _request.get()
    if request is not None:
        request.actor_id = origin.actor_id


@dataclass
class RequestInfo:
    """What the access log says of the request being served, filled in while it runs.

    A mutable record rather than separate context variables: code that runs in a copied context
    (a middleware's task group) still writes into the one object the access log reads.
    """

    request_id: str
    actor_id: int | None = None
    db_seconds: float = 0.0
    close_code: int | None = None  # a websocket's, as the server closed it


def note_close_code(code: int) -> None:
    """Record the code a websocket is closed with, for its log line and metrics."""
    request = _request.get()
    if request is not None:
        request.close_code = code


_request: ContextVar[RequestInfo | None] = ContextVar("tongban_request", default=None)


def current_request() -> RequestInfo | None:
    return _request.get()


def begin_request(info: RequestInfo) -> Token[RequestInfo | None]:
    return _request.set(info)


def end_request(token: Token[RequestInfo | None]) -> None:
    _request.reset(token)
