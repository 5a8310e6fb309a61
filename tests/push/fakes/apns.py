"""A fake APNs: the HTTP/2 provider API on cleartext h2 (prior knowledge), on asyncio.

It checks what Apple checks of a request: the method and `/3/device/<token>` path, a topic, the
provider token (an ES256 JWT whose signature verifies with the team key's public half, whose
`kid` and `iss` are the key id and team id and whose `iat` is under an hour old) and answers
like Apple: 200 with an `apns-id`, or an error status with `{"reason": …}` (410 adds
`timestamp`). Scripted answers per device token come from its `Script`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import ConnectionTerminated, DataReceived, RequestReceived, StreamEnded
from jose import jwt
from jose.exceptions import JOSEError

from .script import Answer, Script

TOKEN_LIFETIME = 3600


def apns_error(status: int, reason: str, **headers: str) -> Answer:
    body: dict[str, Any] = {"reason": reason}
    if status == 410:
        body["timestamp"] = int(time.time() * 1000)
    return Answer(status, body, headers)


class FakeApns:
    def __init__(self, *, public_pem: str, key_id: str, team_id: str, latency: float = 0.0):
        self.script = Script(latency)
        self.public_pem, self.key_id, self.team_id = public_pem, key_id, team_id
        self.provider_tokens: set[str] = set()  # distinct JWTs seen (verified once each)
        self.connections = 0  # TCP connections accepted
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def answer(self, headers: dict[str, str], body: bytes) -> Answer:
        await asyncio.sleep(self.script.latency)
        refused = self._refusal(headers)
        if refused is not None:
            return refused
        token = headers[":path"].removeprefix("/3/device/")
        self.script.record(headers[":path"], headers, json.loads(body or b"{}"))
        return self.script.answer_for(token) or Answer(200, {}, {"apns-id": str(uuid.uuid4())})

    def _refusal(self, headers: dict[str, str]) -> Answer | None:
        if headers.get(":method") != "POST" or not headers[":path"].startswith("/3/device/"):
            return apns_error(405 if headers.get(":method") != "POST" else 404, "BadPath")
        if not headers.get("apns-topic"):
            return apns_error(400, "MissingTopic")
        return self._check_token(headers.get("authorization", ""))

    def _check_token(self, authorization: str) -> Answer | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return apns_error(403, "MissingProviderToken")
        if token in self.provider_tokens:
            return self._stale(token)
        try:
            claims = jwt.decode(token, self.public_pem, algorithms=["ES256"])
            kid = jwt.get_unverified_header(token).get("kid")
        except JOSEError:
            return apns_error(403, "InvalidProviderToken")
        if kid != self.key_id or claims.get("iss") != self.team_id:
            return apns_error(403, "InvalidProviderToken")
        self.provider_tokens.add(token)
        return self._stale(token)

    def _stale(self, token: str) -> Answer | None:
        issued = int(jwt.get_unverified_claims(token).get("iat", 0))
        if time.time() - issued > TOKEN_LIFETIME:
            return apns_error(403, "ExpiredProviderToken")
        return None


class _Connection(asyncio.Protocol):
    """One client connection: h2 events in, one task per request stream, frames out."""

    def __init__(self, fake: FakeApns) -> None:
        self.fake = fake
        self.h2 = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        self.streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.transport: asyncio.Transport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.fake.connections += 1
        self.h2.initiate_connection()
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        for task in self.tasks:
            task.cancel()

    def data_received(self, data: bytes) -> None:
        for event in self.h2.receive_data(data):
            self._handle(event)
        self._flush()

    def _handle(self, event: object) -> None:
        if isinstance(event, RequestReceived):
            self.streams[event.stream_id] = (dict(event.headers), bytearray())  # type: ignore[arg-type]
        elif isinstance(event, DataReceived):
            self.streams[event.stream_id][1].extend(event.data)
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, StreamEnded):
            headers, body = self.streams.pop(event.stream_id)
            task = asyncio.ensure_future(self._respond(event.stream_id, headers, bytes(body)))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        elif isinstance(event, ConnectionTerminated) and self.transport is not None:
            self.transport.close()

    async def _respond(self, stream_id: int, headers: dict[str, str], body: bytes) -> None:
        answer = await self.fake.answer(headers, body)
        if self.transport is None or self.transport.is_closing():
            return
        data = json.dumps(answer.body).encode() if answer.body else b""
        sent = [(":status", str(answer.status)), *answer.headers.items()]
        self.h2.send_headers(stream_id, sent, end_stream=not data)
        if data:
            self.h2.send_data(stream_id, data, end_stream=True)
        self._flush()

    def _flush(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.h2.data_to_send())
