"""The two servers compared: how each is started, subscribed to, and published on.

Both get the same subscribers (`bench.wsclient`), the same frame shape and size, and the same
publish timestamps; only what sits between the publisher and the sockets differs:
- Tongban: `PATCH /v1/org/units/{id}` as the admin → auth, access check, one transaction (unit,
  audit entry, event row), commit, bus, feed pump, gateway: the frame encoded once and written to
  each socket's transport (`server.wire`).
- bare: a frame from a publisher socket → `websockets.broadcast` → socket.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from bench.recorder import Recorder, event_name
from bench.servers import ServerProcess, start_server
from bench.tongban_setup import Audience, admin_token, grow_audience, tokens_for
from bench.wsclient import FeedSocket, open_socket


class Publisher(Protocol):
    async def publish(self, seq: int) -> None: ...
    async def aclose(self) -> None: ...


class Target(Protocol):
    name: str
    path: str

    def start(self) -> ServerProcess: ...
    async def hellos(self, server: ServerProcess, clients: int) -> list[bytes]: ...
    async def publisher(self, server: ServerProcess, recorder: Recorder) -> Publisher: ...


def scratch_dir(prefix: str) -> Path:
    """A temporary folder (database, server log) removed when the run ends."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def hello_frame(token: str, after: int) -> bytes:
    return json.dumps({"type": "hello", "token": token, "after": after}).encode()


class TongbanPublisher:
    """Renames the unit through the HTTP API: the whole write path, as a phone's command."""

    def __init__(self, base_url: str, token: str, unit_id: int, recorder: Recorder) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30,
                                      headers={"Authorization": f"Bearer {token}"})
        self.path = f"/v1/org/units/{unit_id}"
        self.recorder = recorder
        self.failures = 0

    async def publish(self, seq: int) -> None:
        now = time.time_ns()
        self.recorder.published(seq, now)
        reply = await self.http.patch(self.path, json={"name": event_name(seq, now)})
        if reply.status_code != 200:
            self.failures += 1
            self.recorder.withdrawn(seq)

    async def aclose(self) -> None:
        await self.http.aclose()


class BarePublisher:
    """Sends a frame shaped like Tongban's `org.unit.changed` event to the broadcast server."""

    def __init__(self, sock: FeedSocket, recorder: Recorder) -> None:
        self.sock = sock
        self.recorder = recorder

    async def publish(self, seq: int) -> None:
        now = time.time_ns()
        self.recorder.published(seq, now)
        at = datetime.fromtimestamp(now / 1e9, UTC).isoformat()
        data = {"unit_id": 1, "name": event_name(seq, now), "change": "renamed"}
        frame = {"type": "event", "id": seq, "kind": "org.unit.changed", "at": at, "data": data}
        self.sock.send_text(json.dumps(frame, separators=(",", ":")).encode())

    async def aclose(self) -> None:
        self.sock.close()


class TongbanTarget:
    """The real app; people and their unit persist in one data folder across server runs."""

    name = "Tongban"
    path = "/v1/ws"

    def __init__(self, *, core: int | None, loop: str) -> None:
        self.core, self.loop = core, loop
        self.data_dir = scratch_dir("tongban-bench-")
        self.audience: Audience | None = None
        self.admin = ""

    def start(self) -> ServerProcess:
        env = {"TONGBAN_DATA_DIR": str(self.data_dir), "TONGBAN_ARGON2_TIME_COST": "1",
               "TONGBAN_ARGON2_MEMORY_KIB": "1024", "TONGBAN_BUS_URL": "memory://",
               "TONGBAN_SECRET_KEY": "bench-secret-key-not-for-production-use-0001"}
        return start_server(self.name, "bench.tongban_server", env=env, log_dir=self.data_dir,
                            core=self.core, loop=self.loop)

    async def hellos(self, server: ServerProcess, clients: int) -> list[bytes]:
        """Log N people in; each resumes from the current head, so nothing is replayed."""
        async with httpx.AsyncClient(base_url=_base(server), timeout=60) as http:
            self.audience = await grow_audience(http, self.audience, clients)
            tokens = await tokens_for(http, self.audience.usernames[:clients])
            self.admin = await admin_token(http)
        head = await self._head(server)
        return [hello_frame(token, head) for token in tokens]

    async def _head(self, server: ServerProcess) -> int:
        sock = await open_socket("127.0.0.1", server.port, self.path,
                                 hello=hello_frame(self.admin, 0), sink=lambda _p, _n: None)
        ready = await sock.ready
        sock.close()
        return int(ready["last_event_id"])

    async def publisher(self, server: ServerProcess, recorder: Recorder) -> Publisher:
        assert self.audience is not None
        return TongbanPublisher(_base(server), self.admin, self.audience.unit_id, recorder)


class BareTarget:
    name = "bare websockets"
    path = "/"

    def __init__(self, *, core: int | None, loop: str) -> None:
        self.core, self.loop = core, loop
        self.log_dir = scratch_dir("bare-bench-")

    def start(self) -> ServerProcess:
        return start_server(self.name, "bench.bare_server", env={}, log_dir=self.log_dir,
                            core=self.core, loop=self.loop)

    async def hellos(self, server: ServerProcess, clients: int) -> list[bytes]:
        return [b'{"type":"hello"}'] * clients

    async def publisher(self, server: ServerProcess, recorder: Recorder) -> Publisher:
        sock = await open_socket("127.0.0.1", server.port, "/publish", hello=None,
                                 sink=lambda _p, _n: None)
        return BarePublisher(sock, recorder)


def _base(server: ServerProcess) -> str:
    return f"http://127.0.0.1:{server.port}"
