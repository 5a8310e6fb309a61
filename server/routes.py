"""Routes of the server itself: health, the HTTP event feed, the OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from core.errors import NotFound
from core.feed import page_for
from core.http import Reply, parse_query, reply, route
from directory.auth import authenticate
from directory.schemas import EventsQuery
from server.apidoc import PROBLEM


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


async def show_docs(request: Request) -> Response:
    """The API reference page (Swagger UI over this document), served from shipped files."""
    return FileResponse(DOCS / "index.html", media_type="text/html; charset=utf-8",
                        headers=DOCS_HEADERS)


async def show_docs_asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        raise NotFound("No such asset.")
    return FileResponse(DOCS / name, media_type=ASSETS[name], headers=DOCS_HEADERS)


DOCS = Path(__file__).parent / "static" / "docs"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "init.js": "text/javascript"}
DOCS_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


class DocsAsset(BaseModel):
    name: Literal["swagger-ui-bundle.js", "swagger-ui.css", "init.js"]


class Health(BaseModel):
    status: Literal["ok"]
    connections: int = Field(description="Websockets open on this process.")
    feed_cursor: int = Field(description="The last event id this process has handed out.")


EVENTS_PAGE = Reply(schema={
    "type": "object", "required": ["events", "last_event_id"], "properties": {
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
        "last_event_id": {"type": "integer", "description": "Pass as `after` next time."}}})
FEED_RESET = Reply(
    media_type="application/problem+json",
    description="Retention removed events after `after` (problem `feed-reset`): refetch your "
                "state, then continue after `last_event_id`. `after=0` is never refused.",
    schema={**PROBLEM, "title": "FeedResetProblem", "properties": {
        **PROBLEM["properties"],
        "oldest_event_id": {"type": "integer", "description": "The lowest id the feed still serves."},
        "last_event_id": {"type": "integer",
                          "description": "Continue after this id once state is refetched."},
    }, "required": [*PROBLEM.get("required", []), "oldest_event_id", "last_event_id"]})
DOCUMENT = Reply(description="The OpenAPI 3.1 document.",
                 schema={"type": "object", "required": ["openapi", "paths"]})

routes = [
    route("/v1/health", show_health, "GET", "Liveness and feed position", response=Health,
          auth=False, tag="server", description="Anyone, no token: is this process serving?"),
    route("/v1/events", list_events, "GET", "Events after an id (the feed without websockets)",
          query=EventsQuery, response=EVENTS_PAGE, tag="events",
          description="The events after `after` that the caller may see, oldest first, as on "
                      "the websocket. Call again with `after=last_event_id`; an empty page "
                      "means you are up to date.",
          replies={410: FEED_RESET}),
    route("/v1/openapi.json", show_openapi, "GET", "This document", response=DOCUMENT,
          auth=False, tag="server", description="Anyone, no token."),
    route("/v1/docs", show_docs, "GET", "The API reference page", auth=False, tag="server",
          response=Reply(description="An HTML page.", media_type="text/html",
                         schema={"type": "string"}),
          description="Anyone, no token: this document rendered by Swagger UI, whose files "
                      "ship with the server (no CDN)."),
    route("/v1/docs/assets/{name}", show_docs_asset, "GET", "A file of the reference page",
          auth=False, tag="server", params=DocsAsset, errors={404: "No such asset."},
          response=Reply(description="The file.", media_type="*/*", schema={"type": "string"}),
          description="Anyone, no token."),
]
