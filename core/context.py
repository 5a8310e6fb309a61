"""Who is acting and from where, set once per request so audit entries can say it."""

from __future__ import annotations

from contextvars import ContextVar
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
