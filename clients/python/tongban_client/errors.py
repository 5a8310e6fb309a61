"""Errors raised by the client: problem-details replies, ended sessions, refused streams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx


class TongbanError(Exception):
    """Base of every error this library raises on purpose."""


class ApiError(TongbanError):
    """A non-2xx reply, parsed from its RFC 9457 `application/problem+json` body if it has one."""

    def __init__(
        self,
        status: int,
        *,
        type: str = "about:blank",
        title: str = "",
        detail: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = httpx.Headers(headers or {})
        self.body = body
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.status} {self.title}".rstrip()
        return f"{text}: {self.detail}" if self.detail else text

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """Build the error from a reply, falling back to the status line if the body is not JSON."""
        body = _json_or_none(response)
        if not isinstance(body, dict):
            return cls(
                response.status_code,
                title=response.reason_phrase,
                detail=response.text[:500] or None,
                headers=response.headers,
                body=body,
            )
        return cls(
            int(body.get("status") or response.status_code),
            type=str(body.get("type") or "about:blank"),
            title=str(body.get("title") or response.reason_phrase),
            detail=_str_or_none(body.get("detail")),
            errors=_field_errors(body),
            headers=response.headers,
            body=body,
        )

    @property
    def is_not_found(self) -> bool:
        return self.status == 404

    @property
    def is_unauthorized(self) -> bool:
        return self.status == 401

    @property
    def is_forbidden(self) -> bool:
        return self.status == 403

    @property
    def is_conflict(self) -> bool:
        return self.status == 409

    @property
    def is_validation(self) -> bool:
        return self.status in (400, 422)

    @property
    def retry_after(self) -> float | None:
        """Seconds from a `Retry-After` header given as a number (the form a 429 carries)."""
        try:
            return float(self.headers["retry-after"])
        except (KeyError, ValueError):
            return None


class StreamRejected(ApiError):
    """The websocket was closed with a code that retrying cannot fix (4400, 4403) or refused at
    the HTTP handshake with a client-error status."""

    def __init__(
        self, status: int, *, close_code: int | None, title: str, detail: str | None = None
    ) -> None:
        self.close_code = close_code
        super().__init__(status, title=title, detail=detail)


class ProtocolError(TongbanError):
    """The server sent a websocket frame this client cannot understand."""


class SessionEnded(TongbanError):
    """The session is over (revoked, logged out, or its refresh token refused): log in again."""


class FeedReset(TongbanError):
    """The feed no longer goes back to your resume point: the server's retention removed events
    you had not seen, so applying what follows to the state you hold would leave a gap.

    Refetch the state you keep (conversations, inbox, notices, tasks…) through the API, then go
    on after `last_event_id`. An `EventStream` has already moved there and continues with the
    events after it; for `fetch_events`, call again with `after=last_event_id`.
    `oldest_event_id` is the lowest id the feed can still serve.
    """

    def __init__(self, *, oldest_event_id: int, last_event_id: int) -> None:
        self.oldest_event_id = oldest_event_id
        self.last_event_id = last_event_id
        super().__init__(
            f"the feed now starts at event {oldest_event_id}: refetch your state, "
            f"then continue after {last_event_id}"
        )

    @classmethod
    def from_payload(cls, payload: Any) -> FeedReset:
        """From the websocket `reset` frame or the HTTP 410 `feed-reset` problem body."""
        if not isinstance(payload, dict):
            raise ProtocolError(f"a feed reset without its ids: {payload!r}")
        oldest, last = payload.get("oldest_event_id"), payload.get("last_event_id")
        if not isinstance(oldest, int) or not isinstance(last, int):
            raise ProtocolError(f"a feed reset without its ids: {payload!r}")
        return cls(oldest_event_id=oldest, last_event_id=last)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _field_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    # `errors` is ours; RFC 9457's own example names the member `invalid-params`.
    for key in ("errors", "invalid_params", "invalid-params"):
        value = body.get(key)
        if isinstance(value, list):
            return [item if isinstance(item, dict) else {"msg": item} for item in value]
    return []
