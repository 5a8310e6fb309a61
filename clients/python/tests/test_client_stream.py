from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from fake_feed import StartFeed, event, ready, send_events, sync_with_client
from websockets.asyncio.server import ServerConnection

from tongban_client import (
    Backoff,
    EventStream,
    FeedReset,
    ProtocolError,
    SessionEnded,
    StreamRejected,
    TongbanClient,
)

LIMIT = 5  # seconds: no test may hang


def fast() -> Backoff:
    return Backoff(initial=0.01, cap=0.05)


class RefreshCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/auth/refresh"
        self.count += 1
        tokens = {"access_token": "new", "refresh_token": "r2", "token_type": "bearer"}
        return httpx.Response(200, json=tokens | {"expires_in": 900})


def signed_in(url: str, refresh: RefreshCounter | None = None) -> TongbanClient:
    client = TongbanClient(url, transport=httpx.MockTransport(refresh or RefreshCounter()))
    client.access_token, client.refresh_token = "old", "r1"
    return client


async def collect(stream: EventStream, up_to: int) -> list[int]:
    ids = []
    async with asyncio.timeout(LIMIT):
        async for item in stream:
            ids.append(item["id"])
            if item["id"] >= up_to:
                break
    return ids


async def test_drop_midway_resumes_from_the_last_yielded_id_without_duplicates(
    start_feed: StartFeed,
) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(10))
        if number == 1:
            await ws.send(json.dumps({"type": "something-new"}))
            await send_events(ws, range(1, 5))
            await sync_with_client(ws)
            ws.transport.abort()  # a dead network, not a polite close
        else:  # replay with an overlap, as a careless server might
            await send_events(ws, range(hello["after"] - 1, 11))
            await ws.wait_closed()

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        stream = client.events(backoff=fast())
        async with stream:
            first = await anext(stream)
            ids = [first["id"], *await collect(stream, up_to=10)]
    assert ids == list(range(1, 11))
    assert first == {"id": 1, "kind": "message.created", "at": "2026-03-01T01:30:00+00:00",
                     "data": {"n": 1}}  # fmt: skip
    assert [h["after"] for h in feed.hellos] == [0, 4]
    assert feed.hellos[0] == {"type": "hello", "token": "old", "after": 0}
    assert (stream.connects, stream.last_event_id, stream.server_last_event_id) == (2, 10, 10)


async def test_drop_connection_reconnects_and_skips_what_was_received_but_not_yielded(
    start_feed: StartFeed,
) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(6))
        await send_events(ws, range(hello["after"] + 1, 7))
        await ws.wait_closed()

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        async with client.events(after=0, backoff=fast()) as stream:
            ids = await collect(stream, up_to=3)
            await stream.drop_connection()
            ids += await collect(stream, up_to=6)
    assert ids == [1, 2, 3, 4, 5, 6]
    assert [h["after"] for h in feed.hellos] == [0, 3]


async def test_4401_refreshes_the_tokens_and_reconnects(start_feed: StartFeed) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        if hello["token"] != "new":
            await ws.close(4401, "token expired")
            return
        await ws.send(ready(2))
        await send_events(ws, range(1, 3))
        await ws.wait_closed()

    refresh = RefreshCounter()
    async with start_feed(script) as feed, signed_in(feed.url, refresh) as client:
        async with client.events(backoff=fast()) as stream:
            assert await collect(stream, up_to=2) == [1, 2]
    assert refresh.count == 1 and client.access_token == "new"
    assert [h["token"] for h in feed.hellos] == ["old", "new"]


async def test_4401_again_right_after_a_refresh_ends_the_session(start_feed: StartFeed) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.close(4401, "bad hello")

    refresh = RefreshCounter()
    async with start_feed(script) as feed, signed_in(feed.url, refresh) as client:
        async with client.events(backoff=fast()) as stream:
            with pytest.raises(SessionEnded):
                await collect(stream, up_to=1)
    assert refresh.count == 1 and len(feed.hellos) == 2


async def test_4410_raises_session_ended_and_does_not_retry(start_feed: StartFeed) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(1))
        await send_events(ws, range(1, 2))
        await sync_with_client(ws)
        await ws.close(4410, "session revoked")

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        async with client.events(backoff=fast()) as stream:
            with pytest.raises(SessionEnded, match="session revoked"):
                await collect(stream, up_to=2)
            assert await collect(stream, up_to=2) == []  # the stream stays ended
    assert len(feed.hellos) == 1 and stream.last_event_id == 1


@pytest.mark.parametrize(("code", "status"), [(4403, 403), (4400, 400)])
async def test_4403_and_4400_are_raised_and_not_retried(
    start_feed: StartFeed, code: int, status: int
) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.close(code, "no")

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        async with client.events(backoff=fast()) as stream:
            with pytest.raises(StreamRejected) as caught:
                await collect(stream, up_to=1)
    assert (caught.value.status, caught.value.close_code) == (status, code)
    assert len(feed.hellos) == 1


async def test_handshake_refused_with_403_is_raised(start_feed: StartFeed) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        raise AssertionError("not reached")

    async with start_feed(script, refuse=HTTPStatus.FORBIDDEN) as feed, signed_in(feed.url) as c:
        async with c.events(backoff=fast()) as stream:
            with pytest.raises(StreamRejected) as caught:
                await collect(stream, up_to=1)
    assert caught.value.status == 403 and caught.value.close_code is None


async def test_4429_too_far_behind_reconnects_and_resumes(start_feed: StartFeed) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(3))
        await send_events(ws, range(hello["after"] + 1, 3 if number == 1 else 4))
        if number == 1:
            await sync_with_client(ws)
            await ws.close(4429, "too far behind")
        await ws.wait_closed()

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        async with client.events(backoff=fast()) as stream:
            assert await collect(stream, up_to=3) == [1, 2, 3]
    assert [h["after"] for h in feed.hellos] == [0, 2]


async def test_silent_connection_is_pinged_then_given_up(start_feed: StartFeed) -> None:
    received: list[str] = []

    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(1))
        if number == 1:
            received.append(json.loads(await ws.recv())["type"])
            await ws.wait_closed()  # never answer: a half-open connection, until the client aborts
            return
        await ws.send(event(1))
        await ws.wait_closed()

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        async with client.events(ping_interval=0.1, backoff=fast()) as stream:
            assert await collect(stream, up_to=1) == [1]
    assert received == ["ping"] and stream.connects == 2 and len(feed.hellos) == 2


async def test_malformed_frame_from_the_server_is_raised(start_feed: StartFeed) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send("not json")
        await ws.wait_closed()

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        async with client.events(backoff=fast()) as stream:
            with pytest.raises(ProtocolError):
                await collect(stream, up_to=1)


async def test_aclose_ends_a_waiting_iteration(start_feed: StartFeed) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(0))
        await ws.wait_closed()

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        stream = client.events(backoff=fast())
        waiting = asyncio.create_task(collect(stream, up_to=1))
        async with asyncio.timeout(LIMIT):
            while not feed.hellos:
                await asyncio.sleep(0.01)
            await stream.aclose()
            assert await waiting == []


def reset_frame(oldest: int, last: int) -> str:
    return json.dumps({"type": "reset", "oldest_event_id": oldest, "last_event_id": last})


async def test_reset_calls_on_reset_then_continues_after_its_last_event_id(
    start_feed: StartFeed,
) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(50))
        await ws.send(reset_frame(31, 50))
        await send_events(ws, range(51, 53))
        await ws.wait_closed()

    seen: list[FeedReset] = []

    async def refetch(reset: FeedReset) -> None:
        seen.append(reset)

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        async with client.events(after=7, backoff=fast(), on_reset=refetch) as stream:
            assert await collect(stream, up_to=52) == [51, 52]
    assert [(r.oldest_event_id, r.last_event_id) for r in seen] == [(31, 50)]
    assert stream.resets == 1 and feed.hellos[0]["after"] == 7


async def test_reset_without_a_callback_is_raised_and_the_stream_goes_on(
    start_feed: StartFeed,
) -> None:
    async def script(ws: ServerConnection, hello: dict[str, Any], number: int) -> None:
        await ws.send(ready(9))
        if number == 1:
            await ws.send(reset_frame(5, 9))
            await sync_with_client(ws)
            await ws.close(1012)  # a restart: the next hello must resume after the reset
            return
        await send_events(ws, range(hello["after"] + 1, 11))
        await ws.wait_closed()

    async with start_feed(script) as feed, signed_in(feed.url) as client:
        async with client.events(after=2, backoff=fast()) as stream:
            with pytest.raises(FeedReset) as caught:
                await collect(stream, up_to=10)
            assert stream.last_event_id == 9 == caught.value.last_event_id
            assert await collect(stream, up_to=10) == [10]
    assert [h["after"] for h in feed.hellos] == [2, 9]
    assert stream.last_close_code == 1012


def test_backoff_grows_to_its_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(initial=1, cap=8)
    delays = [backoff.next_delay() for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1
