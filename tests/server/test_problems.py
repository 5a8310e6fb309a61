"""Every error is an RFC 9457 problem, and a client's mistake is never a 500."""

from __future__ import annotations

import httpx
from conftest import Server
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tongban_client import TongbanClient


def raw(server: Server) -> httpx.AsyncClient:
    return server.http()


def assert_problem(reply: httpx.Response, status: int) -> dict[str, object]:
    assert reply.status_code == status
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    return body


async def test_malformed_json_is_400(server: Server) -> None:
    async with raw(server) as http:
        reply = await http.post("/v1/auth/login", content=b'{"username": ',
                                headers={"content-type": "application/json"})
    assert assert_problem(reply, 400)["type"].endswith("/malformed-json")


async def test_wrong_types_are_422_with_field_errors(server: Server) -> None:
    async with raw(server) as http:
        reply = await http.post("/v1/auth/login", json={"username": 12, "password": ["x"]})
    body = assert_problem(reply, 422)
    fields = {tuple(error["loc"]) for error in body["errors"]}  # type: ignore[union-attr]
    assert fields == {("username",), ("password",)}


async def test_a_json_array_instead_of_an_object_is_422(server: Server) -> None:
    async with raw(server) as http:
        reply = await http.post("/v1/auth/login", json=["root", "pw"])
    assert_problem(reply, 422)


async def test_unknown_fields_are_refused(server: Server, alice: TongbanClient) -> None:
    async with raw(server) as http:
        reply = await http.post("/v1/org/groups", json={"name": "x", "member_ids": [1], "evil": 1},
                                headers={"Authorization": f"Bearer {alice.access_token}"})
    assert_problem(reply, 422)


async def test_unknown_routes_are_404_problems(server: Server) -> None:
    async with raw(server) as http:
        assert_problem(await http.get("/v1/no-such-thing"), 404)
        assert_problem(await http.delete("/v1/health"), 405)


async def test_non_numeric_ids_are_404(server: Server, alice: TongbanClient) -> None:
    async with raw(server) as http:
        reply = await http.get("/v1/org/units/abc",
                               headers={"Authorization": f"Bearer {alice.access_token}"})
    assert_problem(reply, 404)


async def test_bodies_over_the_limit_are_413(server: Server) -> None:
    too_big = b'{"username":"' + b"a" * (server.settings.json_limit_bytes + 1) + b'"}'
    async with raw(server) as http:
        reply = await http.post("/v1/auth/login", content=too_big,
                                headers={"content-type": "application/json"})
    assert_problem(reply, 413)


async def test_a_wrong_content_type_is_415(server: Server) -> None:
    async with raw(server) as http:
        reply = await http.post("/v1/auth/login", content=b"username=a",
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert_problem(reply, 415)


async def test_a_bad_cursor_is_400(server: Server, alice: TongbanClient) -> None:
    async with raw(server) as http:
        reply = await http.get("/v1/org/people?cursor=!!!",
                               headers={"Authorization": f"Bearer {alice.access_token}"})
    assert_problem(reply, 400)


async def test_an_exception_in_a_handler_is_a_500_without_internals(server: Server) -> None:
    async def explode(request: Request) -> Response:
        raise RuntimeError("secret table dir_person column password_hash")

    server.app.router.routes.append(Route("/v1/_test/explode", explode))
    transport = httpx.ASGITransport(app=server.app, raise_app_exceptions=False)
    try:  # a route made for this test alone, so not one the OpenAPI document could describe
        async with httpx.AsyncClient(transport=transport, base_url=server.base_url) as http:
            reply = await http.get("/v1/_test/explode")
    finally:
        server.app.router.routes.pop()
    body = assert_problem(reply, 500)
    assert "secret" not in reply.text and "password" not in reply.text
    assert body["detail"] == "Something went wrong on our side."


async def test_openapi_lists_every_http_route(server: Server) -> None:
    from core.http import ApiRoute

    async with raw(server) as http:
        document = (await http.get("/v1/openapi.json")).json()
    for route in server.app.routes:
        if isinstance(route, ApiRoute):
            assert route.method.lower() in document["paths"][route.path]
    login = document["paths"]["/v1/auth/login"]["post"]
    assert "LoginRequest" in login["requestBody"]["content"]["application/json"]["schema"]["$ref"]


async def test_health_answers_without_a_token(server: Server) -> None:
    async with raw(server) as http:
        reply = await http.get("/v1/health")
    assert reply.status_code == 200 and reply.json()["status"] == "ok"
