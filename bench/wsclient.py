"""A lean websocket client for load: RFC 6455 over an `asyncio.Protocol`, nothing else.

A phone holds one socket; the benchmark holds a thousand in one process on one core. The
`websockets` client spends ~15 µs of Python per received message (parser generator, assembler,
a task wake-up per `recv`), which would make the load generator, not the server, the bottleneck
at ~100 k deliveries/s. This client parses unmasked server frames straight out of the receive
buffer and hands each text payload to a callback with the time the bytes arrived. It answers
pings (servers close sockets that do not) and masks what it sends, as the RFC requires.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import time
from collections.abc import Callable
from typing import Any, cast

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
FrameSink = Callable[[bytes, int], None]


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame; the mask is applied as a single big-integer XOR (fast)."""
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = os.urandom(4)
    key = (mask * (size // 4 + 1))[:size]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
    return head + mask + body


def _accept_value(key: str) -> bytes:
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())


def _next_frame(buf: bytes, pos: int) -> tuple[int, int, int] | None:
    """(opcode, payload start, payload end) of the complete frame at `pos`, if there is one."""
    avail = len(buf) - pos
    if avail < 2:
        return None
    size, head = buf[pos + 1] & 0x7F, 2
    if size == 126:
        if avail < 4:
            return None
        size, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
    elif size == 127:
        if avail < 10:
            return None
        size, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
    if avail < head + size:
        return None
    return buf[pos] & 0x0F, pos + head, pos + head + size


class FeedSocket(asyncio.Protocol):
    """One subscriber: handshake, a first frame (hello), then every text frame to `sink`."""

    def __init__(self, host: str, port: int, path: str, hello: bytes | None,
                 sink: FrameSink) -> None:
        self.request_target = (host, port, path)
        self.hello = hello
        self.sink = sink
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.ready: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.close_code: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass of it
        host, port, path = self.request_target
        self.transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()  # frames that arrive together were received together
        if self.buffer or not self.upgraded:
            self.buffer += data
            if not self.upgraded and not self._upgrade():
                return
            data, self.buffer = bytes(self.buffer), bytearray()
        pos = 0  # the usual case: whole frames, parsed straight from what was received
        while (frame := _next_frame(data, pos)) is not None:
            opcode, start, pos = frame
            self._on_frame(opcode, data[start:pos], now)
        if pos < len(data):
            self.buffer += data[pos:]

    def _upgrade(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).lower()
        del self.buffer[: end + 4]
        if b" 101 " not in head.split(b"\r\n", 1)[0] or _accept_value(self.key).lower() not in head:
            self._fail(ConnectionError(f"handshake refused: {head[:80]!r}"))
            return False
        self.upgraded = True
        if not self.opened.done():
            self.opened.set_result(None)
        if self.hello is not None:
            self.send_text(self.hello)
        return True

    def _on_frame(self, opcode: int, payload: bytes, now: int) -> None:
        if opcode == TEXT:
            if self.ready.done():
                self.sink(payload, now)
            elif b'"ready"' in payload:
                self.ready.set_result(json.loads(payload))
        elif opcode == PING:
            self._write(masked_frame(PONG, payload))
        elif opcode == CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._write(masked_frame(CLOSE, payload[:2]))
            self._fail(ConnectionError(f"closed by the server with {self.close_code}"))

    def send_text(self, payload: bytes) -> None:
        self._write(masked_frame(TEXT, payload))

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _fail(self, error: Exception) -> None:
        for future in (self.opened, self.ready):
            if not future.done():
                future.set_exception(error)
                future.exception()  # retrieved: a socket that never became ready is counted
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.close_code is None:
            self.close_code = 1006
        self._fail(ConnectionError("connection lost"))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._write(masked_frame(CLOSE, (1000).to_bytes(2, "big")))
            self.transport.close()


async def open_socket(host: str, port: int, path: str, *, hello: bytes | None,
                      sink: FrameSink, timeout: float = 15.0) -> FeedSocket:
    """Connect, upgrade and (with a hello) wait for the server's `ready` frame."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        _, sock = await loop.create_connection(
            lambda: FeedSocket(host, port, path, hello, sink), host, port
        )
        await (sock.ready if hello is not None else sock.opened)
    return sock
