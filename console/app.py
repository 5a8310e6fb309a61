"""Serves the console's static files under the server's `/console/` mount.

The page gets a strict Content-Security-Policy: scripts only from this server (the one inline
script, the import map, is allowed by its hash, computed here from the file itself), no frames,
no plugins, connections only back to this origin. The vendored libraries are served under
versioned paths and may be cached for good; the page and our own modules are revalidated on
every load (ETag), so an upgrade is seen at once.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def content_policy(page: str) -> str:
    """The CSP of the page: its inline import map is the only inline script, by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in IMPORT_MAP.findall(page))
    return ("default-src 'self'; "
            f"script-src 'self' {hashes}; "
            "style-src 'self' 'unsafe-inline'; "  # ECharts positions its tooltips inline
            "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def index_endpoint() -> Route:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    headers = {**COMMON_HEADERS, "Content-Security-Policy": content_policy(page),
               "Cache-Control": "no-cache"}

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers=headers)

    return Route("/", index, methods=["GET", "HEAD"])


class StaticHeaders:
    """Adds the common headers and the caching rule to every static file response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        forever = "/vendor/" in scope.get("path", "")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in COMMON_HEADERS.items()]
                cache = "public, max-age=31536000, immutable" if forever else "no-cache"
                headers.append((b"cache-control", cache.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def console_app() -> Starlette:
    """The ASGI app to mount at `/console`."""
    files = StaticHeaders(StaticFiles(directory=STATIC))
    return Starlette(routes=[index_endpoint(), Mount("/", app=files)])
