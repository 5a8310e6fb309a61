"""Hostile input at the edge: every case is a 4xx problem, never a 500 (issue 15).

Each test names a case that answered 500 (and dropped the connection) before the edge checks.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable
from typing import Any

import pytest
from conftest import Org, Server, make_person
from tongban_client import ApiError, TongbanClient

BIG = 2**64
DEEP = "[" * 1000 + "]" * 1000


async def problem(call: Awaitable[Any], status: int, slug: str | None = None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    error = caught.value
    assert error.status == status, (error.status, error.type, error.detail)
    assert error.type.startswith("https://tongban.dev/problems/") and "_" not in error.type
    if slug:
        assert error.type.endswith("/" + slug), error.type
    return error


def raw_json(client: TongbanClient, method: str, path: str, text: str) -> Awaitable[Any]:
    return client.request(method, path, content=text.encode(),
                          headers={"content-type": "application/json"})


@pytest.fixture
async def conversation(alice: TongbanClient, admin: TongbanClient, org: Org) -> dict[str, Any]:
    other = await make_person(admin, org.county)
    return await alice.post("/v1/conversations", {"kind": "group", "title": "边界",
                                                  "member_ids": [other["id"]]})


async def test_integers_beyond_64_bits_in_a_body_are_422_naming_the_field(
    alice: TongbanClient,
) -> None:
    for big in (BIG, -BIG, 2**63):
        error = await problem(alice.post("/v1/conversations", {
            "kind": "group", "title": "x", "member_ids": [1, big]}), 422)
        assert error.errors[0]["loc"] == ["member_ids", 1]
    await problem(alice.post("/v1/org/groups", {"name": "组", "member_ids": [11980510129039556608]}
                             ), 422)


async def test_integers_beyond_64_bits_in_a_query_are_422(alice: TongbanClient) -> None:
    await problem(alice.get("/v1/events", params={"after": str(BIG)}), 422)


async def test_a_cursor_beyond_64_bits_is_400(alice: TongbanClient) -> None:
    for value in (str(BIG), "-5", "٣"):
        cursor = base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
        await problem(alice.get("/v1/documents", params={"cursor": cursor}), 400, "invalid-cursor")


async def test_path_ids_beyond_64_bits_or_not_ascii_digits_are_404(alice: TongbanClient) -> None:
    for segment in (str(BIG), str(2**63), "²", "٣", "1" * 400):
        await problem(alice.get(f"/v1/org/units/{segment}"), 404)


async def test_json_nested_1000_deep_is_400(alice: TongbanClient) -> None:
    await problem(raw_json(alice, "POST", "/v1/conversations", DEEP), 400, "json-too-deep")
    await problem(raw_json(alice, "POST", "/v1/conversations", '{"a":' * 40 + "1" + "}" * 40),
                  400, "json-too-deep")


async def test_not_a_number_is_400(alice: TongbanClient) -> None:
    await problem(raw_json(alice, "POST", "/v1/conversations", '{"kind": NaN}'), 400,
                  "malformed-json")


async def test_a_lone_surrogate_or_nul_in_a_message_is_422_and_stores_nothing(
    alice: TongbanClient, conversation: dict[str, Any]
) -> None:
    path = f"/v1/conversations/{conversation['id']}/messages"
    for body in ('"a\\ud800"', '"a\\udfff b"', '"a\\u0000b"'):
        error = await problem(raw_json(alice, "POST", path,
                                       f'{{"client_msg_id": "m-{len(body)}", "body": {body}}}'),
                              422)
        assert error.errors[0]["loc"] == ["body"]
    assert (await alice.get(path))["items"] == []


async def test_an_unknown_or_over_long_enum_in_a_filter_is_422(alice: TongbanClient) -> None:
    for state in ("aaaaaaaaaaaaaaaaa", "aaa"):
        await problem(alice.get("/v1/documents", params={"state": state}), 422)


async def test_a_value_no_column_can_hold_is_422_wherever_it_slipped_through(
    server: Server, alice: TongbanClient
) -> None:
    """The net behind the edge, for any package: tortoise's length check, the drivers' range."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from core.http import reply
    from core.models import AuditEntry, Job

    async def too_long(request: Request) -> Response:
        return reply(await Job.filter(state="x" * 100).count())

    async def too_big(request: Request) -> Response:
        return reply(await AuditEntry.filter(id=2**70).count())

    server.app.router.routes[:0] = [Route("/v1/_test/long", too_long),
                                    Route("/v1/_test/big", too_big)]
    try:
        for path in ("/v1/_test/long", "/v1/_test/big"):
            await problem(alice.get(path), 422, "value-does-not-fit")
    finally:
        del server.app.router.routes[:2]


async def test_types_are_strict_no_zero_for_false_nor_false_for_zero(
    alice: TongbanClient, conversation: dict[str, Any]
) -> None:
    path = f"/v1/conversations/{conversation['id']}"
    await problem(alice.post(f"{path}/mute", {"muted": 0}), 422)
    await problem(alice.post(f"{path}/read", {"up_to_seq": False}), 422)
    await problem(alice.post(f"{path}/read", {"up_to_seq": "1"}), 422)
    error = await problem(alice.post(f"{path}/read", {"up_to_seq": BIG}), 422)
    assert error.errors[0]["loc"] == ["up_to_seq"]
    await alice.post(f"{path}/mute", {"muted": True})


async def test_405_says_which_methods_are_allowed(alice: TongbanClient) -> None:
    error = await problem(alice.delete("/v1/health"), 405)
    assert error.headers["allow"] == "GET, HEAD"
    error = await problem(alice.patch("/v1/documents/series", {}), 405)
    assert error.headers["allow"] == "GET, HEAD, POST"
    await problem(alice.patch("/v1/documents/not-a-number", {}), 404)


async def test_a_client_mistake_keeps_the_connection_open(server: Server) -> None:
    """Over a real socket: two requests on one connection, the first a JSON bomb."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    first = DEEP.encode()
    writer.write(b"POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(first), first))
    writer.write(b"GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
    await writer.drain()
    replies = b""
    while replies.count(b"HTTP/1.1 ") < 2:
        chunk = await asyncio.wait_for(reader.read(65536), 5)
        assert chunk, f"the server closed the connection after: {replies[:200]!r}"
        replies += chunk
    assert replies.startswith(b"HTTP/1.1 400") and b"HTTP/1.1 200" in replies
    writer.close()


async def test_every_route_answers_out_of_range_ids_and_bombs_without_a_500(
    server: Server, admin: TongbanClient
) -> None:
    """Every route, whatever its package: huge path ids, a deep body, a huge body integer."""
    from core.http import ApiRoute

    routes = [r for r in server.app.routes
              if isinstance(r, ApiRoute) and (r.param_convertors or r.body)]
    for route in routes:
        path = route.path
        for name in route.param_convertors:
            path = path.replace("{" + name + "}", str(BIG) if "_id" in name else "x")
        bodies = [DEEP, json.dumps({"id": BIG, "ids": [BIG]})] if route.body else [""]
        for body in bodies:
            try:
                await admin.request(route.method, path, content=body.encode() or None,
                                    headers={"content-type": "application/json"})
            except ApiError as error:
                assert error.status < 500, (route.method, path, body[:20], error.detail)
