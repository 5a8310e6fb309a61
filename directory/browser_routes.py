"""HTTP routes of browser sessions (the web console): log in, refresh and log out by cookie.

The tokens are those of `/v1/auth/login`; they travel in httpOnly cookies instead of the body
(`directory.browser` says which and why). Bearer clients never need these routes.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.errors import Unauthorized
from core.http import Header, parse_json, reply, route
from directory import login
from directory.auth import client_address
from directory.browser import (
    BROWSER_PATH, REFRESH_COOKIE, check_browser_write, check_origin, clear_session_cookies,
    csrf_token, set_session_cookies,
)
from directory.login import AuthKit, TokenGrant
from directory.models import Session
from directory.schemas import BrowserSession, LoginRequest


def _kit(request: Request) -> AuthKit:
    kit: AuthKit = request.app.state.auth
    return kit


def _origins(request: Request) -> tuple[str, ...]:
    return tuple(request.app.state.settings.allowed_origins)


def _session_reply(request: Request, grant: TokenGrant) -> Response:
    """The person and the CSRF token in the body; the tokens only in cookies."""
    csrf = csrf_token(_kit(request).tokens.secret, grant.session_id)
    person = grant.person
    response = reply({
        "user": {"id": person.id, "username": person.username,
                 "display_name": person.display_name},
        "expires_in": grant.expires_in, "csrf_token": csrf,
    })
    set_session_cookies(response, request, access=grant.access_token,
                        refresh=grant.refresh_token, csrf=csrf)
    return response


def _refresh_cookie(request: Request) -> str:
    token = request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise Unauthorized("No console session: log in.", slug="no-browser-session")
    return token


async def browser_login(request: Request) -> Response:
    """Anyone, from the server's own origin: the same check and limits as `POST
    /v1/auth/login`, but the tokens go into httpOnly cookies (`tb_access`, `tb_refresh`) and
    the reply carries the CSRF token every cookie-authenticated write must send back."""
    check_origin(request, _origins(request))  # no logging a desk into someone else's account
    body = await parse_json(request, LoginRequest)
    grant = await login.do_login(
        body.username, body.password, kit=_kit(request), address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    return _session_reply(request, grant)


async def browser_refresh(request: Request) -> Response:
    """Whoever holds the refresh cookie, from the server's own origin: new cookies; a refresh
    token used twice ends its whole session (as `POST /v1/auth/refresh`)."""
    check_origin(request, _origins(request))
    grant = await login.do_refresh(_refresh_cookie(request), kit=_kit(request))
    return _session_reply(request, grant)


async def browser_logout(request: Request) -> Response:
    """Ends the session named by the refresh cookie (so it works after the access token
    expired), with the session's CSRF token like any other write."""
    claims = _kit(request).tokens.decode(_refresh_cookie(request), typ="refresh")
    session_id = str(claims.get("sid", ""))
    check_browser_write(request, secret=_kit(request).tokens.secret, session_id=session_id,
                        origins=_origins(request))
    session = await Session.get_or_none(id=session_id)
    if session is not None:
        await login.do_end_session(session, reason="logout")
    response = Response(status_code=204)
    clear_session_cookies(response)
    return response


CSRF = Header("X-CSRF-Token", "The session's CSRF token (the `tb_csrf` cookie).", required=True)
ORIGIN_ERROR = "the request names an Origin other than this server's"
routes = [
    route(BROWSER_PATH + "/login", browser_login, "POST",
          "Log in from a browser (控制台登录): tokens in httpOnly cookies", body=LoginRequest,
          response=BrowserSession, auth=False, tag="auth",
          errors={401: "wrong username or password", 403: ORIGIN_ERROR,
                  429: "too many failed logins"}),
    route(BROWSER_PATH + "/refresh", browser_refresh, "POST",
          "Rotate the browser session's tokens (refresh cookie)", response=BrowserSession,
          auth=False, tag="auth",
          errors={401: "no refresh cookie, or it was used before (the session ends)",
                  403: ORIGIN_ERROR}),
    route(BROWSER_PATH + "/logout", browser_logout, "POST",
          "End the browser session (refresh cookie and X-CSRF-Token)", status=204, auth=False,
          tag="auth", headers=(CSRF,),
          errors={401: "no refresh cookie", 403: "no or a wrong CSRF token, or " + ORIGIN_ERROR}),
]
