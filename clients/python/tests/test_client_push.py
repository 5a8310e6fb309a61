"""Push in the client: decoding a push payload into the record it points at, the push routes,
and foreground/background told on the event stream (again after each reconnect)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fake_feed import StartFeed, ready
from websockets.asyncio.server import ServerConnection

from tongban_client import PushRecord, TongbanClient, decode_push

LIMIT = 5


def test_decode_push_points_at_the_record() -> None:
    record = decode_push({"kind": "approval.pending", "chain_id": "12", "step_id": "40",
                          "collapse_id": "approval:12:40", "badge": "3",
                          "notification_id": "99"})
    assert record == PushRecord(kind="approval.pending", collapse_id="approval:12:40", badge=3,
                                withdraw=False, record_type="approval", record_id=12,
                                path="/v1/approvals/12", ids={"chain_id": 12, "step_id": 40})


@pytest.mark.parametrize("payload, path", [
    ({"kind": "chat.direct", "conversation_id": "2", "message_id": "8"}, "/v1/messages/8"),
    ({"kind": "document.to_receive", "document_id": "5"}, "/v1/documents/5"),
    ({"kind": "notice.meeting", "notice_id": 7}, "/v1/notices/7"),
    ({"kind": "task.urged", "task_id": "4"}, "/v1/tasks/4"),
    ({"kind": "push.test"}, None),
])
def test_decode_push_for_every_kind(payload: dict[str, Any], path: str | None) -> None:
    assert decode_push(payload).path == path


def test_decode_push_withdrawal_and_garbage() -> None:
    assert decode_push({"kind": "chat.message", "message_id": "8", "withdraw": "1"}).withdraw
    with pytest.raises(ValueError):
        decode_push({"badge": "1"})


async def test_open_push_reads_the_record_and_push_routes() -> None:
    seen: list[tuple[str, str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, body))
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(200, json={"id": 5})

    async with TongbanClient("http://tongban.test",
                             transport=httpx.MockTransport(answer)) as client:
        client.access_token = "token"
        assert await client.open_push({"kind": "document.to_receive", "document_id": "5"}) \
            == {"id": 5}
        assert await client.open_push({"kind": "chat.message", "message_id": "5",
                                       "withdraw": "1"}) is None
        await client.attach_push(3, "hms", "tok", "10086")
        await client.detach_push(3)
        await client.set_push_settings(urgent_during_quiet=False)
    assert seen == [
        ("GET", "/v1/documents/5", None),
        ("PUT", "/v1/devices/3/push", {"provider": "hms", "token": "tok", "app_id": "10086"}),
        ("DELETE", "/v1/devices/3/push", None),
        ("PUT", "/v1/me/push-settings", {"urgent_during_quiet": False, "sms_phone": None}),
    ]


async def test_presence_is_told_on_the_stream_and_after_a_reconnect(
        start_feed: StartFeed) -> None:
    told: list[tuple[int, str]] = []

    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(0))
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "presence":
                told.append((number, frame["state"]))
                if number == 1 and frame["state"] == "background":
                    await ws.close()
                    return

    async with start_feed(script) as feed:
        refused = httpx.MockTransport(lambda request: httpx.Response(500))
        client = TongbanClient(feed.url, transport=refused)
        client.access_token = "token"
        stream = client.events()
        reader = asyncio.create_task(anext(stream, None))
        async with asyncio.timeout(LIMIT):
            while stream._ws is None:
                await asyncio.sleep(0.01)
            await stream.set_presence("foreground")
            await stream.set_presence("background")
            while (2, "background") not in told:
                await asyncio.sleep(0.01)
        reader.cancel()
        await stream.aclose()
        await client.aclose()
    assert told[:2] == [(1, "foreground"), (1, "background")]
    with pytest.raises(ValueError):
        await stream.set_presence("asleep")
