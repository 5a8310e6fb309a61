"""The app factory: builds each part once and wires the packages together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib import import_module
from importlib.util import find_spec

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, WebSocketRoute
from starlette.websockets import WebSocket
from tortoise.exceptions import OperationalError
from tortoise.exceptions import ValidationError as TortoiseValidationError

from console.app import console_app
from core.bus import install_bus, make_bus
from core.checkpoints import start_checkpoints
from core.config import Settings, load_settings, private_dir
from core.context import current_request
from core.db import close_db, open_db
from core.dbtime import instrument
from core.errors import ApiError, MethodNotAllowed, NotFound, ServerError
from core.feed import FeedPump
from core.http import allowed_methods, problem_reply
from core.inputs import data_problem
from core.ratelimit import SharedLimit
from core.retention import ensure_pruning_scheduled, install_retention
from core.scheduler import Scheduler
from core.security import Passwords, TokenIssuer
from directory.auth import sessions
from directory.login import AuthKit
from files.bounded import Limits, set_default_limits, stop_worker
from push.providers import build_providers
from push.service import PushService
from push.sms import build_sms
from server.apps import FEATURES, database_config
from server.gateway import FeedSocketShortcut, Gateway
from server.observe import MetricsAccess, Observe
from server.observe import routes as observe_routes
from server.openapi import build_openapi
from server.push_sources import wire_push_sources
from server.routes import routes as server_routes
from server.serving import BodyTimeout

log = logging.getLogger("tongban")
DATA_ERRORS = (TortoiseValidationError, OperationalError, OverflowError)


def wire_packages() -> list[BaseRoute]:
    """Let each feature package register its hooks, audiences and jobs; collect its routes."""
    routes: list[BaseRoute] = []
    for package in FEATURES:
        import_module(f"{package}.wiring").wire()
        routes.extend(import_module(f"{package}.routes").routes)
    return routes


def build_push(settings: Settings) -> PushService:
    """Push with the providers and SMS sender the settings configure, and its lookups wired."""
    wire_push_sources()
    return PushService(settings, providers=build_providers(settings), sms=build_sms(settings))


def parse_limits(settings: Settings) -> Limits:
    return Limits(max_seconds=settings.parse_seconds,
                  max_memory_bytes=settings.parse_memory_mib * 1024 * 1024,
                  max_inflated_bytes=settings.parse_inflated_mib * 1024 * 1024)
def event_schemas() -> dict[str, type[BaseModel]]:
    """Every event kind's payload model, from each package's `events.EVENTS`."""
    found: dict[str, type[BaseModel]] = {}
    for package in ("directory", *FEATURES):
        if find_spec(f"{package}.events") is not None:
            found.update(getattr(import_module(f"{package}.events"), "EVENTS", {}))
    return found


def build_auth(settings: Settings) -> AuthKit:
    window = settings.login_window_seconds
    return AuthKit(
        tokens=TokenIssuer(settings.secret_key, settings.issuer, settings.audience),
        passwords=Passwords(time_cost=settings.argon2_time_cost,
                            memory_kib=settings.argon2_memory_kib),
        access_lifetime=timedelta(seconds=settings.access_token_seconds),
        refresh_lifetime=timedelta(seconds=settings.refresh_token_seconds),
        per_account=SharedLimit(scope="login:acct", limit=settings.login_attempts_per_account,
                                window_seconds=window),
        per_address=SharedLimit(scope="login:addr", limit=settings.login_attempts_per_address,
                                window_seconds=window),
    )


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem_reply(exc, request.url.path)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    mapped: ApiError
    if exc.status_code == 404:
        mapped = NotFound("No such route.")
    elif exc.status_code == 405:
        allow = ", ".join(sorted(allowed_methods(request))) or exc.headers.get("Allow", "")
        mapped = MethodNotAllowed("This route does not take that method.",
                                  headers={"Allow": allow})
    else:
        mapped = ApiError(str(exc.detail))
        mapped.status = exc.status_code
    return problem_reply(mapped, request.url.path)


async def data_error(request: Request, exc: Exception) -> Response:
    """A value a column refused (too long, out of range) is the client's: 422, not 500."""
    path_ids = [str(value) for value in request.path_params.values()]
    problem = data_problem(exc, path_ids)
    if problem is None:
        return await server_error(request, exc)
    return problem_reply(problem, request.url.path)


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    request_info = current_request()  # the id lets an operator find this line from a report
    headers = {"X-Request-ID": request_info.request_id} if request_info else None
    return problem_reply(ServerError("Something went wrong on our side.", headers=headers),
                         request.url.path)


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> Starlette:
    settings = settings or load_settings()
    feature_routes = wire_packages()
    instrument()
    install_retention(days=settings.feed_retention_days)
    gateway = Gateway(
        queue_size=settings.ws_queue_size, heartbeat=settings.ws_heartbeat_seconds,
        hello_timeout=settings.ws_hello_seconds, frame_limit=settings.ws_frame_limit_bytes,
        origins=settings.allowed_origins,
    )
    push = build_push(settings)
    gateway.presence = push.presence

    async def feed_socket(ws: WebSocket) -> None:
        await gateway.serve(ws)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        private_dir(settings.data_dir)  # 0700: the database, uploads and keys live there
        await open_db(database_config(settings.database_url), run_migrations=run_migrations)
        bus = make_bus(settings.bus_url)
        await bus.connect()
        install_bus(bus)
        pump = FeedPump(bus, poll_seconds=settings.feed_poll_seconds)
        pump.listeners.extend([sessions.on_events, gateway.on_events, push.on_events])
        await pump.start()
        gateway.start()
        await push.start()
        scheduler = Scheduler()
        await start_checkpoints(settings)
        scheduler.start()
        await ensure_pruning_scheduled()
        app.state.pump, app.state.scheduler = pump, scheduler
        try:
            yield
        finally:
            await scheduler.stop()
            await push.stop()
            await gateway.stop()
            await pump.stop()
            await bus.disconnect()
            await close_db()
            stop_worker()

    feed_route = WebSocketRoute("/v1/ws", feed_socket)
    routes = [*feature_routes, *server_routes, *observe_routes, feed_route]
    app = Starlette(
        routes=[*routes, Mount("/console", app=console_app())], lifespan=lifespan,
        # Observe outermost: a request timed out by BodyTimeout is still logged and counted.
        middleware=[Middleware(Observe),
                    Middleware(FeedSocketShortcut, gateway=gateway, route=feed_route),
                    Middleware(BodyTimeout)],
        exception_handlers={
            ApiError: api_error, HTTPException: http_error, Exception: server_error,
            **dict.fromkeys(DATA_ERRORS, data_error),
        },
    )
    app.state.settings = settings
    set_default_limits(parse_limits(settings))
    app.state.auth = build_auth(settings)
    app.state.gateway = gateway
    app.state.push = push
    app.state.metrics_access = MetricsAccess(settings.metrics_allow, settings.metrics_token)
    app.state.json_limit = settings.json_limit_bytes
    app.state.body_timeout = settings.body_timeout_seconds
    app.state.openapi = build_openapi(routes, events=event_schemas())
    return app
