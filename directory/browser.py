"""Browser sessions (the web console): tokens in httpOnly cookies, and CSRF protection.

A browser must not keep bearer tokens where page scripts can read them, so the console logs in
through `/v1/auth/browser/*`, which puts the same access and refresh tokens as `/v1/auth/login`
into cookies the page cannot read:
- `tb_access` (HttpOnly, SameSite=Strict, Path=/v1): the access token, sent with every API call,
  websocket handshake and file download of the console;
- `tb_refresh` (HttpOnly, SameSite=Strict, Path=/v1/auth/browser): the refresh token, sent only
  to the refresh and logout routes;
- `tb_csrf` (readable by the page, SameSite=Strict, Path=/): HMAC(secret, session id). A request
  authenticated by cookie that changes anything must repeat it in `X-CSRF-Token`; a page on
  another site can neither read it nor forge it (it is bound to the session by a key it lacks),
  and the custom header forces a CORS preflight that this server never grants.
Unsafe cookie requests must also come from this server's own origin when they name one. A
request that carries `Authorization` is a bearer request and behaves exactly as before.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

from core.errors import Forbidden

ACCESS_COOKIE = "tb_access"
REFRESH_COOKIE = "tb_refresh"
CSRF_COOKIE = "tb_csrf"
CSRF_HEADER = "x-csrf-token"
BROWSER_PATH = "/v1/auth/browser"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(secret: str, session_id: str) -> str:
    """The session's CSRF token: a keyed hash of its id (domain-separated from other uses)."""
    return hmac.new(secret.encode(), b"tongban-csrf|" + session_id.encode(),
                    hashlib.sha256).hexdigest()


def cookie_token(conn: HTTPConnection) -> str | None:
    """The access token of a browser session, when the request carries no Authorization."""
    if "authorization" in conn.headers:
        return None
    return conn.cookies.get(ACCESS_COOKIE) or None


def same_origin(conn: HTTPConnection) -> bool:
    """Whether the request's Origin names this very server (scheme, host and port)."""
    origin = conn.headers.get("origin")
    if origin is None:
        return False
    parts = urlsplit(origin)
    scheme = {"ws": "http", "wss": "https"}.get(conn.url.scheme, conn.url.scheme)
    return parts.scheme == scheme and parts.netloc == conn.headers.get("host", "")


def check_browser_write(conn: HTTPConnection, *, secret: str, session_id: str,
                        origins: tuple[str, ...]) -> None:
    """403 for a cookie-authenticated write without the session's CSRF token, or from a
    foreign origin. Reads pass: they change nothing and their answers stay same-origin."""
    if conn.scope.get("method", "GET") in SAFE_METHODS:
        return
    check_origin(conn, origins)
    given = conn.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(given.encode(), csrf_token(secret, session_id).encode()):
        raise Forbidden("Send the session's CSRF token in X-CSRF-Token.", slug="csrf-failed")


def check_origin(conn: HTTPConnection, origins: tuple[str, ...]) -> None:
    origin = conn.headers.get("origin")
    if origin is not None and not same_origin(conn) and origin not in origins:
        raise Forbidden("Requests with this session must come from the console's own origin.",
                        slug="foreign-origin")


def set_session_cookies(response: Response, conn: HTTPConnection, *, access: str,
                        refresh: str, csrf: str) -> None:
    secure = conn.url.scheme == "https"
    common = {"secure": secure, "samesite": "strict"}
    # Session cookies (no Max-Age): closing the browser ends the console session on this desk.
    response.set_cookie(ACCESS_COOKIE, access, path="/v1", httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(REFRESH_COOKIE, refresh, path=BROWSER_PATH, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, csrf, path="/", httponly=False, **common)  # type: ignore[arg-type]


def clear_session_cookies(response: Response) -> None:
    for name, path in ((ACCESS_COOKIE, "/v1"), (REFRESH_COOKIE, BROWSER_PATH), (CSRF_COOKIE, "/")):
        response.delete_cookie(name, path=path, samesite="strict")
