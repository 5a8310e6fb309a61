"""A chat message to a 1,000-member group with 1,000 connected phones, beside bare `websockets`.

    python bench/messaging_fanout.py [--clients 1000] [--rate 20] [--seconds 10]

The harness of `bench/ws_fanout.py` (same processes, pinning, load client, phases and tables),
with a chat message instead of a unit rename:
- Tongban: N people in one group conversation, each on a websocket resuming from the head;
  the publisher is the group's owner sending `POST /v1/conversations/{id}/messages` — auth,
  membership check, the group commit (seq, message row, audit entry, event), bus, gateway.
- bare: the same `message.created` frame shape and size, broadcast by `websockets`.
Targets (issue 3): ≥ 50 % of the bare deliveries/s, and p99 < 250 ms at 20 messages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

import bench.recorder
from bench.loops import loop_in_use, run
from bench.messaging_load import create_group, person_ids
from bench.phases import CaseResult
from bench.recorder import Recorder, event_name
from bench.report import render
from bench.servers import ServerProcess, stop_all
from bench.targets import (
    BarePublisher,
    BareTarget,
    Publisher,
    Target,
    TongbanTarget,
    hello_frame,
)
from bench.tongban_setup import admin_token, grow_audience, tokens_for
from bench.ws_fanout import (
    options_from,
    parse_args,
    raise_open_files,
    run_all,
    server_core,
)

# The recorder finds each delivery by its `bench-{seq}-{ns}` text: in a chat message that is
# the message body, not a unit's name.
bench.recorder.NAME_MARK = b'"body":"bench-'


def message_data(seq: int, text: str, at: str) -> dict[str, object]:
    """A `message.created` payload of the size Tongban sends."""
    return {"id": seq, "conversation_id": 1, "seq": seq, "sender_id": 1,
            "client_msg_id": f"bench-{seq}", "body": text, "mentions": [],
            "mention_all": False, "reply_to": None, "files": [], "created_at": at,
            "recalled": False, "recalled_at": None, "recalled_by": None}


class MessagePublisher:
    """The group owner sending through the HTTP API, as a phone does."""

    def __init__(self, base_url: str, token: str, conversation_id: int,
                 recorder: Recorder) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30,
                                      headers={"Authorization": f"Bearer {token}"})
        self.path = f"/v1/conversations/{conversation_id}/messages"
        self.recorder = recorder

    async def publish(self, seq: int) -> None:
        now = time.time_ns()
        self.recorder.published(seq, now)
        body = {"client_msg_id": f"bench-{seq}-{now}", "body": event_name(seq, now)}
        reply = await self.http.post(self.path, json=body)
        if reply.status_code != 201:
            self.recorder.withdrawn(seq)

    async def aclose(self) -> None:
        await self.http.aclose()


class MessageBarePublisher(BarePublisher):
    async def publish(self, seq: int) -> None:
        now = time.time_ns()
        self.recorder.published(seq, now)
        at = datetime.fromtimestamp(now / 1e9, UTC).isoformat()
        frame = {"type": "event", "id": seq, "kind": "message.created", "at": at,
                 "data": message_data(seq, event_name(seq, now), at)}
        self.sock.send_text(json.dumps(frame, separators=(",", ":")).encode())


class ChatTarget(TongbanTarget):
    """Tongban with one group conversation of the first N bench people, made per client count."""

    def __init__(self, *, core: int | None, loop: str) -> None:
        super().__init__(core=core, loop=loop)
        self.groups: dict[int, int] = {}

    async def hellos(self, server: ServerProcess, clients: int) -> list[bytes]:
        async with httpx.AsyncClient(base_url=_base(server), timeout=120) as http:
            self.audience = await grow_audience(http, self.audience, clients)
            tokens = await tokens_for(http, self.audience.usernames[:clients])
            self.admin = await admin_token(http)
            if clients not in self.groups:
                ids = await person_ids(http, self.admin, self.audience)
                self.groups[clients] = await create_group(http, self.admin, f"{clients}人群",
                                                          ids[:clients])
        head = await self._head(server)
        self.current = self.groups[clients]
        return [hello_frame(token, head) for token in tokens]

    async def publisher(self, server: ServerProcess, recorder: Recorder) -> Publisher:
        return MessagePublisher(_base(server), self.admin, self.current, recorder)


class ChatBareTarget(BareTarget):
    async def publisher(self, server: ServerProcess, recorder: Recorder) -> Publisher:
        base = await super().publisher(server, recorder)
        assert isinstance(base, BarePublisher)
        return MessageBarePublisher(base.sock, recorder)


def _base(server: ServerProcess) -> str:
    return f"http://127.0.0.1:{server.port}"


async def main_async(args: argparse.Namespace, results: list[CaseResult]) -> None:
    core = server_core(args.no_pin)
    known: dict[str, type[ChatTarget | ChatBareTarget]] = {
        "tongban": ChatTarget, "bare": ChatBareTarget}
    targets: list[Target] = [known[name.strip()](core=core, loop=args.loop)
                             for name in args.servers.split(",")]
    counts = [int(n) for n in args.clients.split(",")]
    try:
        async with asyncio.timeout(args.deadline):
            await run_all(targets, counts, options_from(args), results)
    except TimeoutError:
        print(f"deadline of {args.deadline:g} s reached: printing what was measured",
              file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(["--clients", "1000", *(argv if argv is not None else sys.argv[1:])])
    raise_open_files(max(int(n) for n in args.clients.split(",")) * 2 + 256)
    results: list[CaseResult] = []
    try:
        run(main_async(args, results), args.loop)
    finally:
        stop_all()
    print("\nmessaging_fanout — a chat message (message.created) to a group of N members, "
          "each on a websocket")
    print(render(results, options_from(args), loop_in_use(args.loop), pinned=not args.no_pin))
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
