"""Routes of the server itself: health, the HTTP event feed, the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from core.feed import page_for
from core.http import Reply, parse_query, reply, route
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


class Health(BaseModel):
    status: Literal["ok"]
    connections: int = Field(description="Websockets open on this process.")
    feed_cursor: int = Field(description="The last event id this process has handed out.")


EVENTS_PAGE = Reply(schema={
    "type": "object", "required": ["events", "last_event_id"], "properties": {
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
        "last_event_id": {"type": "integer", "description": "Pass as `after` next time."}}})
DOCUMENT = Reply(description="The OpenAPI 3.1 document.",
                 schema={"type": "object", "required": ["openapi", "paths"]})

routes = [
    route("/v1/health", show_health, "GET", "Liveness and feed position", response=Health,
          auth=False, tag="server", description="Anyone, no token: is this process serving?"),
    route("/v1/events", list_events, "GET", "Events after an id (the feed without websockets)",
          query=EventsQuery, response=EVENTS_PAGE, tag="events",
          description="The events after `after` that the caller may see, oldest first, as on "
                      "the websocket. Call again with `after=last_event_id`; an empty page "
                      "means you are up to date."),
    route("/v1/openapi.json", show_openapi, "GET", "This document", response=DOCUMENT,
          auth=False, tag="server", description="Anyone, no token."),
]
