"""Seeing what the server does: request ids, the access log, HTTP metrics, and `/metrics`.

`Observe` is a plain ASGI middleware (not Starlette's BaseHTTPMiddleware, which would run the
endpoint in another task and cost a copy of every body). For each request it takes the caller's
`X-Request-ID` when it is a sane token or makes one, returns it as a header, and when the reply is
done writes one access line and counts the request by route template (`/v1/documents/{id}`, never
the raw path, so the metric stays small and ids stay out of label values). A websocket gets one
line when it closes, with its close code.

`/v1/ready` says whether this process can serve: its database and its bus answer. `/metrics` is
not part of the /v1 API: Prometheus text, served only to the configured addresses
(loopback by default) or to a scraper presenting the operator token.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.bus import current_bus
from core.context import RequestInfo, begin_request, end_request
from core.db import connection
from core.errors import ApiError, Forbidden
from core.http import reply, route
from core.metrics import LATENCY_BUCKETS, counter, exposition, histogram
from directory.auth import client_address

access_log = logging.getLogger("tongban.access")
REQUEST_ID_HEADER = "x-request-id"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
LOGIN_ROUTE = "/v1/auth/login"
# Polled every few seconds by balancers and Prometheus: counted, but logged at DEBUG only.
QUIET_ROUTES = {"/v1/health", "/v1/ready", "/metrics"}

REQUESTS = counter("tongban_http_requests_total", "HTTP requests answered.",
                   ["method", "route", "status"])
LATENCY = histogram("tongban_http_request_duration_seconds",
                    "Time from the request to the end of the reply.", ["method", "route"],
                    buckets=LATENCY_BUCKETS)
LOGIN_FAILURES = counter("tongban_login_failures_total",
                         "Logins refused for wrong credentials (401 from POST /v1/auth/login).")
RATE_LIMITED = counter("tongban_http_rate_limited_total", "Requests refused with 429.", ["route"])
WS_CLOSES = counter("tongban_websocket_closes_total",
                    "Websocket sessions ended, by the close code the app closed them with "
                    "('none': the client left, or uvicorn closed it with 1012 on shutdown).",
                    ["code"])


def request_id_of(scope: Scope) -> str:
    """The caller's id if it is a sane token (a proxy's or a phone's), else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            offered = value.decode("latin-1")
            if SANE_REQUEST_ID.match(offered):
                return offered
    return uuid.uuid4().hex


def route_of(scope: Scope) -> str | None:
    """The matched route's template; None for a path that matched no route."""
    route = scope.get("route")
    return getattr(route, "path", None)


class Observe:
    """ASGI middleware: request id in and out, one access line, HTTP metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        info = RequestInfo(request_id=request_id_of(scope))
        token = begin_request(info)
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send, info)
        else:
            await self._http(scope, receive, send, info)
        # Not reached when the app raised: the id stays set for the 500 handler's log line.
        end_request(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send,
                         info: RequestInfo) -> None:
        # No wrapper around a socket's `send`: it would cost ~2 µs on every event frame.
        # The gateway notes the close code it uses (core.context.note_close_code).
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            record_websocket(scope, info, time.perf_counter() - started)

    async def _http(self, scope: Scope, receive: Receive, send: Send, info: RequestInfo) -> None:
        started, status = time.perf_counter(), 500  # 500 if the app raised before replying

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()),
                                      (b"x-request-id", info.request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            record_request(scope, info, status, time.perf_counter() - started)


def record_request(scope: Scope, info: RequestInfo, status: int, elapsed: float) -> None:
    route = route_of(scope)
    method = scope["method"] if scope["method"] in METHODS else "OTHER"
    label = route or "unmatched"
    REQUESTS.labels(method, label, str(status)).inc()
    LATENCY.labels(method, label).observe(elapsed)
    if status == 401 and route == LOGIN_ROUTE:
        LOGIN_FAILURES.inc()
    elif status == 429:
        RATE_LIMITED.labels(label).inc()
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    if access_log.isEnabledFor(level):
        access_log.log(level, "%s %s %s", method, route or scope["path"], status, extra={
            **_common(scope, info, route, elapsed), "method": method, "status": status,
        })


def record_websocket(scope: Scope, info: RequestInfo, elapsed: float) -> None:
    code = info.close_code
    WS_CLOSES.labels("none" if code is None else str(code)).inc()
    access_log.info("websocket %s closed %s", route_of(scope) or scope["path"],
                    code or "(by the client or on shutdown)",
                    extra={**_common(scope, info, route_of(scope), elapsed), "close_code": code})


def _common(scope: Scope, info: RequestInfo, route: str | None,
            elapsed: float) -> dict[str, Any]:
    client = scope.get("client")
    return {
        "request_id": info.request_id,
        "route": route,
        # The path only when no route matched (scanners, typos): ids stay in the route template.
        "path": None if route else scope["path"],
        "duration_ms": round(elapsed * 1000, 2),
        "db_ms": round(info.db_seconds * 1000, 2),
        "actor_id": info.actor_id,
        "client": client[0] if client else None,
    }


# -- /metrics --------------------------------------------------------------------------------


class MetricsAccess:
    """Who may read `/metrics`: these networks, or whoever presents the operator token."""

    def __init__(self, allow: Iterable[str], token: str) -> None:
        try:
            self.networks = [ipaddress.ip_network(item, strict=False) for item in allow]
        except ValueError as exc:
            raise ValueError(f"TONGBAN_METRICS_ALLOW: {exc}") from exc
        self.token = token

    def allows(self, request: Request) -> bool:
        return self._token_matches(request) or self._address_allowed(client_address(request))

    def _token_matches(self, request: Request) -> bool:
        scheme, _, offered = request.headers.get("authorization", "").partition(" ")
        return bool(self.token) and scheme.lower() == "bearer" and \
            hmac.compare_digest(offered.strip().encode(), self.token.encode())

    def _address_allowed(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


async def show_metrics(request: Request) -> Response:
    """Prometheus text exposition of this server (every worker process added up)."""
    if not request.app.state.metrics_access.allows(request):
        raise Forbidden("Metrics are served to the configured addresses or with the operator "
                        "token (TONGBAN_METRICS_ALLOW, TONGBAN_METRICS_TOKEN).")
    body, media_type = await exposition()
    return Response(body, media_type=media_type)


# -- /v1/ready -------------------------------------------------------------------------------

READY_TIMEOUT_SECONDS = 2.0
log = logging.getLogger(__name__)


class ReadyReply(BaseModel):
    status: str
    checks: dict[str, str]


class NotReady(ApiError):
    status, slug, title = 503, "not-ready", "Not ready to serve"

    def __init__(self, checks: dict[str, str]) -> None:
        failed = ", ".join(name for name, result in checks.items() if result != "ok")
        super().__init__(f"Not reachable: {failed}.", headers={"Retry-After": "5"})
        self.checks = checks

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(instance), "checks": self.checks}


async def _ping_database() -> None:
    await connection().execute_query("SELECT 1")


async def probe(name: str, check: Callable[[], Awaitable[None]]) -> str:
    """`ok`, or what went wrong in a word (details go to the log, not to the caller)."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await check()
    except Exception as exc:
        log.warning("readiness check %s failed", name, exc_info=exc)
        return "timeout" if isinstance(exc, TimeoutError) else f"failed: {type(exc).__name__}"
    return "ok"


async def show_ready(request: Request) -> Response:
    """Ready when the database and the bus answer; 503 (`not-ready`) names what does not."""
    checks = {"database": await probe("database", _ping_database),
              "bus": await probe("bus", current_bus().ping)}
    if any(result != "ok" for result in checks.values()):
        raise NotReady(checks)
    return reply(ReadyReply(status="ready", checks=checks))


routes = [
    Route("/metrics", show_metrics, methods=["GET"]),
    route("/v1/ready", show_ready, "GET", "Readiness: the database and the bus answer",
          response=ReadyReply, auth=False, tag="server",
          errors={503: "The database or the bus does not answer (problem `not-ready`, with "
                       "`checks` naming which)."}),
]
