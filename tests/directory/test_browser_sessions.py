"""Browser sessions (the web console): httpOnly cookies, CSRF and origin checks, refresh and
logout by cookie, the websocket by cookie; and bearer clients exactly as before."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
import websockets
from conftest import PASSWORD, Server, checked, logged_in, make_person

from directory.browser import csrf_token
from directory.models import Session

Json = dict[str, Any]


@pytest_asyncio.fixture(loop_scope="session")
async def browser(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client that speaks like the console: same origin, no Authorization."""
    transport = checked(httpx.ASGITransport(app=server.app, client=("127.0.0.1", 40001)))
    host = f"127.0.0.1:{server.port}"
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}",
                                 headers={"origin": f"http://{host}"}) as client:
        yield client


async def browser_login(browser: httpx.AsyncClient, person: Json) -> httpx.Response:
    reply = await browser.post("/v1/auth/browser/login",
                               json={"username": person["username"], "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return reply


def set_cookies(reply: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in reply.headers.get_list("set-cookie")}


async def test_browser_login_puts_the_tokens_in_httponly_strict_cookies(
        browser: httpx.AsyncClient, person: Json) -> None:
    reply = await browser_login(browser, person)
    body = reply.json()
    assert set(body) == {"user", "expires_in", "csrf_token"}  # no token a script could read
    cookies = set_cookies(reply)
    access, refresh, csrf = cookies["tb_access"], cookies["tb_refresh"], cookies["tb_csrf"]
    assert "HttpOnly" in access and "SameSite=strict" in access and "Path=/v1" in access
    assert "HttpOnly" in refresh and "Path=/v1/auth/browser" in refresh
    assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
    session = await Session.filter(person_id=person["id"]).order_by("-created_at").first()
    assert session is not None
    assert body["csrf_token"] == csrf_token("test-secret-key-for-tongban", session.id)
    me = await browser.get("/v1/me")
    assert me.status_code == 200 and me.json()["id"] == person["id"]


async def test_a_cookie_write_needs_the_sessions_csrf_token(
        browser: httpx.AsyncClient, person: Json) -> None:
    csrf = (await browser_login(browser, person)).json()["csrf_token"]
    group = {"name": "测试组", "member_ids": [person["id"]]}
    missing = await browser.post("/v1/org/groups", json=group)
    assert missing.status_code == 403
    assert missing.json()["type"].endswith("/csrf-failed")
    wrong = await browser.post("/v1/org/groups", json=group, headers={"x-csrf-token": "0" * 64})
    assert wrong.status_code == 403
    made = await browser.post("/v1/org/groups", json=group, headers={"x-csrf-token": csrf})
    assert made.status_code == 201, made.text


async def test_a_cookie_write_from_a_foreign_origin_is_refused(
        browser: httpx.AsyncClient, person: Json) -> None:
    csrf = (await browser_login(browser, person)).json()["csrf_token"]
    reply = await browser.post("/v1/org/groups", json={"name": "组", "member_ids": [person["id"]]},
                               headers={"x-csrf-token": csrf, "origin": "https://evil.example"})
    assert reply.status_code == 403
    assert reply.json()["type"].endswith("/foreign-origin")
    login = await browser.post("/v1/auth/browser/login", headers={"origin": "https://evil.example"},
                               json={"username": person["username"], "password": PASSWORD})
    assert login.status_code == 403  # nobody logs a desk into an account of their choosing


async def test_bearer_requests_ignore_the_cookies(
        server: Server, browser: httpx.AsyncClient, person: Json, admin: Any) -> None:
    await browser_login(browser, person)
    someone = await make_person(admin, person["positions"][0]["unit_id"])
    other = await logged_in(server, someone)
    token = other.access_token
    reply = await browser.get("/v1/me", headers={"authorization": f"Bearer {token}"})
    assert reply.json()["id"] == someone["id"]  # the header wins over the cookie
    write = await browser.post("/v1/org/groups",
                               json={"name": "令牌组", "member_ids": [person["id"]]},
                               headers={"authorization": f"Bearer {token}"})
    assert write.status_code == 201  # bearer writes need no CSRF token, as before
    bad = await browser.get("/v1/me", headers={"authorization": "Bearer nonsense"})
    assert bad.status_code == 401
    await other.aclose()


async def test_refresh_by_cookie_rotates_and_a_replayed_cookie_ends_the_session(
        browser: httpx.AsyncClient, person: Json) -> None:
    first = await browser_login(browser, person)
    old_refresh = browser.cookies.get("tb_refresh", path="/v1/auth/browser")
    rotated = await browser.post("/v1/auth/browser/refresh")
    assert rotated.status_code == 200
    assert rotated.json()["csrf_token"] == first.json()["csrf_token"]  # same session
    assert browser.cookies.get("tb_refresh", path="/v1/auth/browser") != old_refresh
    assert (await browser.get("/v1/me")).status_code == 200
    replay = await browser.post("/v1/auth/browser/refresh",
                                headers={"cookie": f"tb_refresh={old_refresh}"})
    assert replay.status_code == 401
    assert replay.json()["type"].endswith("/refresh-reuse")


async def test_logout_by_cookie_ends_the_session_and_clears_the_cookies(
        browser: httpx.AsyncClient, person: Json) -> None:
    csrf = (await browser_login(browser, person)).json()["csrf_token"]
    refused = await browser.post("/v1/auth/browser/logout")
    assert refused.status_code == 403  # a foreign page cannot log the desk out either
    out = await browser.post("/v1/auth/browser/logout", headers={"x-csrf-token": csrf})
    assert out.status_code == 204
    cleared = set_cookies(out)
    assert all('=""' in cleared[name] or "Max-Age=0" in cleared[name]
               for name in ("tb_access", "tb_refresh", "tb_csrf"))
    assert (await browser.get("/v1/me")).status_code == 401


async def hello(server: Server, headers: dict[str, str]) -> Json:
    uri = f"ws://127.0.0.1:{server.port}/v1/ws"
    async with websockets.connect(uri, additional_headers=headers) as ws:
        try:
            await ws.send(json.dumps({"type": "hello", "after": 0}))
            return {"frame": json.loads(await asyncio.wait_for(ws.recv(), 5))}
        except websockets.ConnectionClosed as closed:
            return {"closed": closed.rcvd.code if closed.rcvd else None}


async def test_the_websocket_takes_the_cookie_from_the_consoles_own_origin(
        server: Server, browser: httpx.AsyncClient, person: Json) -> None:
    await browser_login(browser, person)
    cookie = f"tb_access={browser.cookies.get('tb_access', path='/v1')}"
    own = await hello(server, {"cookie": cookie, "origin": f"http://127.0.0.1:{server.port}"})
    assert own["frame"]["type"] == "ready"
    foreign = await hello(server, {"cookie": cookie, "origin": "https://evil.example"})
    assert foreign == {"closed": 4403}
    anonymous = await hello(server, {"origin": f"http://127.0.0.1:{server.port}"})
    assert anonymous == {"closed": 4401}
