"""The write side of one websocket: whole RFC 6455 frames, encoded once, written without a task.

The gateway encodes an event's frame once (`text_frame`: header and payload, as bytes) and hands
the same bytes to every recipient's wire. Two wires share one interface:
- `RawWire` writes straight to the socket's transport, lent by uvicorn's websockets-sansio
  protocol through the scope (`server.serving.FeedWebSocketProtocol`): one `transport.write` per
  socket and event, no coroutine, no per-socket encoding. It counts how many frames still sit in
  the transport's buffer, which is the connection's bounded queue.
- `AsgiWire` is the fallback under any other server or websocket implementation: frames go
  through ASGI `send`, in order, from one short-lived task.

Server frames are never masked (RFC 6455 §5.1) and ours are never fragmented or compressed
(`ws_per_message_deflate` is off), so a frame is a 2-, 4- or 10-byte header and the UTF-8 text.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect

RAW_WIRE = "tongban.raw_wire"  # the scope extension under which the protocol lends itself
FIN_TEXT = 0x81


def text_frame(text: str) -> bytes:
    """One final, unmasked text frame (RFC 6455 §5.2)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return bytes((FIN_TEXT, size)) + payload
    if size < 65536:
        return bytes((FIN_TEXT, 126)) + size.to_bytes(2, "big") + payload
    return bytes((FIN_TEXT, 127)) + size.to_bytes(8, "big") + payload


def frame_text(frame: bytes) -> str:
    """The text of a frame made by `text_frame`."""
    size = frame[1] & 0x7F
    return frame[2 + {126: 2, 127: 8}.get(size, 0):].decode()


class Wire(Protocol):
    def write(self, frame: bytes) -> int:
        """Queue `frame` for sending; the number of frames not yet handed to the kernel."""
        ...

    def closing(self) -> bool: ...

    async def drain(self) -> None:
        """Wait until the backlog is small again; raise WebSocketDisconnect if it is gone."""
        ...


class RawWire:
    """Frames written to the transport; the frames still in its buffer are counted exactly
    from the running byte total and the buffer's size (no per-frame bookkeeping while the
    kernel takes everything, which is the usual case)."""

    __slots__ = ("transport", "protocol", "written", "ends")

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol
        self.transport: asyncio.Transport = protocol.transport
        self.written = 0
        self.ends: deque[int] | None = None  # end offsets of frames that may still be buffered

    def write(self, frame: bytes) -> int:
        if self.transport.is_closing():
            return 0  # gone: the reading task is about to hear of it
        self.transport.write(frame)
        self.written += len(frame)
        buffered = self.transport.get_write_buffer_size()
        if not buffered:
            self.ends = None
            return 0
        return self._backlog(buffered)

    def _backlog(self, buffered: int) -> int:
        ends = self.ends = self.ends or deque()
        ends.append(self.written)
        flushed = self.written - buffered
        while ends[0] <= flushed:
            ends.popleft()
        return len(ends)

    def closing(self) -> bool:
        return bool(self.transport.is_closing() or self.protocol.close_sent)

    async def drain(self) -> None:
        await self.protocol.writable.wait()  # set by uvicorn's resume_writing (and on loss)
        if self.closing():
            raise WebSocketDisconnect(1006)


class AsgiWire:
    """Frames sent through ASGI `send` by one task that lives while there is something to send."""

    __slots__ = ("ws", "pending", "task", "gone")

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.pending: deque[bytes] = deque()
        self.task: asyncio.Task[None] | None = None
        self.gone = False

    def write(self, frame: bytes) -> int:
        self.pending.append(frame)
        if self.task is None:
            self.task = asyncio.create_task(self._flush())
        return len(self.pending)

    async def _flush(self) -> None:
        try:
            while self.pending:
                await self.ws.send_text(frame_text(self.pending[0]))
                self.pending.popleft()
        except (WebSocketDisconnect, OSError, RuntimeError):
            self.gone = True
            self.pending.clear()
        finally:
            self.task = None

    def closing(self) -> bool:
        return self.gone

    async def drain(self) -> None:
        while self.task is not None:
            await asyncio.shield(self.task)
        if self.gone:
            raise WebSocketDisconnect(1006)


def wire_for(ws: WebSocket) -> Wire:
    protocol = ws.scope.get("extensions", {}).get(RAW_WIRE)
    return RawWire(protocol) if protocol is not None else AsgiWire(ws)
