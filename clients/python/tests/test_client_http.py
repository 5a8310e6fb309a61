from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from tongban_client import ApiError, DeviceKey, FeedReset, SessionEnded, TongbanClient

BASE = "http://tongban.test"
Handler = Callable[[httpx.Request], httpx.Response]


def problem(status: int, title: str, **extra: object) -> httpx.Response:
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def pair(access: str, refresh: str) -> dict[str, object]:
    user = {"id": 7, "username": "zhangsan", "display_name": "张三"}
    return {
        "access_token": access, "refresh_token": refresh, "token_type": "bearer",
        "expires_in": 900, "user": user,
    }  # fmt: skip


def bearer(request: httpx.Request) -> str:
    return str(request.headers.get("authorization", ""))


def tokens(client: TongbanClient) -> tuple[str | None, str | None]:
    return client.access_token, client.refresh_token


class FakeAuthServer:
    """Accepts exactly one access token at a time and rotates refresh tokens like the server."""

    def __init__(self) -> None:
        self.access, self.refresh, self.generation = "access-0", "refresh-0", 0
        self.calls: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        await asyncio.sleep(0)  # let concurrent requests interleave
        if request.url.path == "/v1/auth/refresh":
            return self._refresh(json.loads(request.content))
        if bearer(request) != f"Bearer {self.access}":
            return problem(401, "Unauthorized", detail="token expired")
        return httpx.Response(200, json={"id": 7, "token": self.access})

    def _refresh(self, body: dict[str, str]) -> httpx.Response:
        if body["refresh_token"] != self.refresh:
            return problem(401, "Unauthorized", detail="refresh token reused")
        self.generation += 1
        self.access, self.refresh = f"access-{self.generation}", f"refresh-{self.generation}"
        return httpx.Response(200, json=pair(self.access, self.refresh))


def client_for(handler: Handler | FakeAuthServer, **kwargs: object) -> TongbanClient:
    return TongbanClient(BASE, transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


def with_stale_tokens(server: FakeAuthServer) -> TongbanClient:
    client = client_for(server)
    client.access_token, client.refresh_token = "expired", server.refresh
    return client


async def test_problem_reply_becomes_api_error_with_field_errors() -> None:
    errors = [{"field": "name", "msg": "不能为空"}]
    reply = problem(422, "Unprocessable Content", detail="invalid body", errors=errors)
    async with client_for(lambda request: reply) as client:
        with pytest.raises(ApiError) as caught:
            await client.create_unit("", 1, "county")
    error = caught.value
    assert (error.status, error.title, error.detail) == (
        422,
        "Unprocessable Content",
        "invalid body",
    )
    assert error.errors == errors and error.is_validation and error.type == "about:blank"
    assert error.headers["content-type"] == "application/problem+json"


async def test_not_found_problem_is_recognised() -> None:
    async with client_for(lambda request: problem(404, "Not Found")) as client:
        with pytest.raises(ApiError) as caught:
            await client.get_unit(999)
    assert caught.value.is_not_found and str(caught.value) == "404 Not Found"


async def test_a_feed_reset_problem_becomes_feed_reset() -> None:
    reply = problem(410, "The feed no longer goes back that far",
                    type="https://tongban.dev/problems/feed-reset",
                    oldest_event_id=101, last_event_id=250)
    async with client_for(lambda request: reply) as client:
        with pytest.raises(FeedReset) as caught:
            await client.fetch_events(after=3)
    assert (caught.value.oldest_event_id, caught.value.last_event_id) == (101, 250)


async def test_error_without_json_body_falls_back_to_the_status_line() -> None:
    reply = httpx.Response(502, text="<html>bad gateway</html>", headers={"retry-after": "3"})
    async with client_for(lambda request: reply) as client:
        with pytest.raises(ApiError) as caught:
            await client.health()
    error = caught.value
    assert (error.status, error.title, error.errors) == (502, "Bad Gateway", [])
    assert error.detail == "<html>bad gateway</html>" and error.retry_after == 3.0


async def test_login_keeps_tokens_and_user_and_sends_them_after() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/auth/login":
            return httpx.Response(200, json=pair("a1", "r1"))
        return httpx.Response(200, json={"id": 7})

    async with client_for(handler) as client:
        await client.login("zhangsan", "密码")
        await client.me()
    assert tokens(client) == ("a1", "r1")
    assert client.user == {"id": 7, "username": "zhangsan", "display_name": "张三"}
    assert json.loads(seen[0].content) == {"username": "zhangsan", "password": "密码"}
    assert "authorization" not in seen[0].headers
    assert bearer(seen[1]) == "Bearer a1"


async def test_expired_token_is_refreshed_once_and_the_request_retried() -> None:
    server = FakeAuthServer()
    async with with_stale_tokens(server) as client:
        assert await client.me() == {"id": 7, "token": "access-1"}
    assert server.calls == ["/v1/me", "/v1/auth/refresh", "/v1/me"]
    assert tokens(client) == ("access-1", "refresh-1")


async def test_concurrent_401s_share_one_refresh() -> None:
    server = FakeAuthServer()
    async with with_stale_tokens(server) as client:
        replies = await asyncio.gather(*(client.me() for _ in range(5)))
    assert all(reply["token"] == "access-1" for reply in replies)
    assert server.calls.count("/v1/auth/refresh") == 1


async def test_refused_refresh_ends_the_session() -> None:
    server = FakeAuthServer()
    async with with_stale_tokens(server) as client:
        client.refresh_token = "revoked"
        with pytest.raises(SessionEnded):
            await client.me()
    assert tokens(client) == (None, None)


async def test_401_after_a_successful_refresh_is_raised_not_looped() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/v1/auth/refresh":
            return httpx.Response(200, json=pair("a2", "r2"))
        return problem(401, "Unauthorized")

    async with client_for(handler) as client:
        client.access_token, client.refresh_token = "a1", "r1"
        with pytest.raises(ApiError) as caught:
            await client.me()
    assert caught.value.is_unauthorized
    assert calls == ["/v1/me", "/v1/auth/refresh", "/v1/me"]


async def test_wrong_password_is_not_answered_with_a_refresh() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return problem(401, "Unauthorized", detail="wrong username or password")

    async with client_for(handler) as client:
        client.refresh_token = "r1"
        with pytest.raises(ApiError):
            await client.login("zhangsan", "wrong")
    assert calls == ["/v1/auth/login"]


async def test_logout_forgets_tokens_even_when_the_session_is_already_over() -> None:
    server = FakeAuthServer()
    async with with_stale_tokens(server) as client:
        client.refresh_token = "revoked"
        await client.logout()
    assert tokens(client) == (None, None)


async def test_register_device_sends_the_public_jwk_and_remembers_the_id() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": 31, "name": "iPhone"})

    key = DeviceKey.generate()
    async with client_for(handler) as client:
        await client.register_device("iPhone", "ios", key)
    assert client.device_id == 31
    body = json.loads(seen[0].content)
    assert body == {"name": "iPhone", "platform": "ios", "public_jwk": key.public_jwk()}


async def test_no_content_reply_gives_none() -> None:
    async with client_for(lambda request: httpx.Response(204)) as client:
        assert await client.delete("/v1/devices/31") is None


async def test_list_queries_carry_their_parameters() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    async with client_for(handler) as client:
        await client.unit_people(3, include_subunits=True, limit=50)
        await client.search_people("张", cursor="c2")
        await client.fetch_events(after=41, limit=10)
    assert [(r.url.path, dict(r.url.params)) for r in seen] == [
        ("/v1/org/units/3/people", {"include_subunits": "true", "limit": "50"}),
        ("/v1/org/people", {"q": "张", "cursor": "c2"}),
        ("/v1/events", {"after": "41", "limit": "10"}),
    ]


async def test_paginate_follows_next_cursor() -> None:
    pages = {None: ([{"id": 1}, {"id": 2}], "c2"), "c2": ([{"id": 3}], None)}

    def handler(request: httpx.Request) -> httpx.Response:
        items, next_cursor = pages[request.url.params.get("cursor")]
        return httpx.Response(200, json={"items": items, "next_cursor": next_cursor})

    async with client_for(handler) as client:
        people = [item["id"] async for item in client.paginate("/v1/org/people")]
    assert people == [1, 2, 3]


async def test_origin_header_is_sent_when_given() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok"})

    async with client_for(handler, origin="https://app.tongban.test") as client:
        await client.health()
    assert seen[0].headers["origin"] == "https://app.tongban.test"


def test_websocket_url_follows_the_base_url() -> None:
    assert TongbanClient("https://gov.example/api/").ws_url == "wss://gov.example/api/v1/ws"
    assert TongbanClient("http://127.0.0.1:8000").ws_url == "ws://127.0.0.1:8000/v1/ws"
