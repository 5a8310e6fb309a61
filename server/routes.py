"""Routes of the server itself: health, the HTTP event feed, the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.feed import page_for
from core.http import parse_query, reply, route
from directory.auth import authenticate
from directory.schemas import EventsQuery


async def show_health(request: Request) -> Response:
    gateway = request.app.state.gateway
    return reply({"status": "ok", "connections": gateway.connection_count,
                  "feed_cursor": request.app.state.pump.cursor})


async def list_events(request: Request) -> Response:
    """The feed for clients without websockets: events after `after` that the caller may see."""
    actor = await authenticate(request)
    query = parse_query(request, EventsQuery)
    return reply(await page_for(actor.id, after=query.after, limit=query.limit))


async def show_openapi(request: Request) -> Response:
    return reply(request.app.state.openapi)


routes = [
    route("/v1/health", show_health, "GET", "Liveness and feed position", auth=False, tag="server"),
    route("/v1/events", list_events, "GET", "Events after an id (the feed without websockets)",
          query=EventsQuery, tag="events",
          errors={410: "Retention removed events after `after` (problem `feed-reset`, with "
                       "`oldest_event_id` and `last_event_id`): refetch your state, then "
                       "continue after `last_event_id`. `after=0` is never refused."}),
    route("/v1/openapi.json", show_openapi, "GET", "This document", auth=False, tag="server"),
]
