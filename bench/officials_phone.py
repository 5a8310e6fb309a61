"""One official's phone for `bench/officials.py`: a websocket that resumes, the actions with their
shares (`MIX`) and the day's loop of act-then-think."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.officials_setup import CONTENT, Http, Official, Province
from bench.wsclient import FeedSocket, open_socket

MIX = [("list_conversations", 15), ("list_notices", 8), ("list_approvals", 7),
       ("open_chat", 15), ("read", 15), ("send_group", 15), ("send_unit", 10),
       ("decide", 8), ("progress", 7)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@dataclass
class Day:
    """What the day measured."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    deliveries: int = 0
    e2d: list[float] = field(default_factory=list)
    resumed: int = 0
    close_codes: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    at_ns: dict[int, int] = field(default_factory=dict)  # event id → its `at`, parsed once
    bursts: dict[str, float] = field(default_factory=dict)  # seconds from publish to last act

    def error(self, kind: str, what: str) -> None:
        self.errors[kind][what] = self.errors[kind].get(what, 0) + 1


class Phone:
    """One official's device: a websocket that resumes, and their share of the HTTP pool."""

    def __init__(self, person: Official, http: Http, port: int, day: Day) -> None:
        self.person, self.http, self.port, self.day = person, http, port, day
        self.last_id = 0
        self.latest_seq: dict[int, int] = {}  # conversation → newest message seq seen
        self.sock: FeedSocket | None = None
        self.closed = False

    def on_frame(self, payload: bytes, now_ns: int) -> None:
        frame = json.loads(payload)
        if frame.get("type") != "event":
            return
        event_id = frame["id"]
        self.last_id = max(self.last_id, event_id)
        self.day.deliveries += 1
        at = self.day.at_ns.get(event_id)
        if at is None:
            at = self.day.at_ns[event_id] = int(
                datetime.fromisoformat(frame["at"]).timestamp() * 1e9)
        self.day.e2d.append((now_ns - at) / 1e6)
        if frame["kind"] == "message.created":
            self._note_message(frame["data"])

    def _note_message(self, data: dict[str, Any]) -> None:
        message = data.get("message", data)
        conv, seq = message.get("conversation_id"), message.get("seq")
        if isinstance(conv, int) and isinstance(seq, int):
            self.latest_seq[conv] = max(seq, self.latest_seq.get(conv, 0))

    async def connect(self) -> None:
        hello = json.dumps({"type": "hello", "token": self.person.token,
                            "after": self.last_id}).encode()
        self.sock = await open_socket("127.0.0.1", self.port, "/v1/ws", hello=hello,
                                      sink=self.on_frame, timeout=60)

    async def keep_connected(self) -> None:
        """Resume whenever the server closes the socket (from the last id seen)."""
        while not self.closed:
            await asyncio.sleep(1.0)
            sock = self.sock
            if sock is None or sock.close_code is None:
                continue
            self.day.close_codes[sock.close_code] = self.day.close_codes.get(
                sock.close_code, 0) + 1
            try:
                await self.connect()
                self.day.resumed += 1
            except (OSError, ConnectionError, TimeoutError):
                self.sock = None
                await asyncio.sleep(random.uniform(1, 3))

    async def act(self, kind: str, method: str, path: str, body: Any = None) -> Any:
        started = time.perf_counter()
        try:
            status, data = await self.http.call(method, path, self.person.token, body)
        except (OSError, asyncio.IncompleteReadError, ValueError, ConnectionError) as error:
            self.day.error(kind, type(error).__name__)
            return None
        self.day.latencies[kind].append((time.perf_counter() - started) * 1000)
        if status >= 400:
            self.day.error(kind, str(status))
            return None
        return json.loads(data) if data else {}


# -- the officials' actions -------------------------------------------------------------------

async def do_action(phone: Phone, name: str, province: Province) -> None:
    person = phone.person
    if name == "decide" and not person.chains or name == "progress" and not person.tasks:
        name = "list_approvals" if name == "decide" else "list_notices"
    await ACTIONS[name](phone, province)


async def list_conversations(phone: Phone, _p: Province) -> None:
    await phone.act("list", "GET", "/v1/conversations?limit=20")


async def list_notices(phone: Phone, _p: Province) -> None:
    await phone.act("list", "GET", "/v1/notices?box=inbox&limit=20")


async def list_approvals(phone: Phone, _p: Province) -> None:
    await phone.act("list", "GET", "/v1/approvals/inbox?box=waiting&limit=20")


def some_conversation(phone: Phone, province: Province) -> int:
    person = phone.person
    if person.groups and random.random() < 0.6:
        return person.groups[0]
    return province.unit_chats[person.unit]


async def open_chat(phone: Phone, province: Province) -> None:
    conv = some_conversation(phone, province)
    await phone.act("open_chat", "GET", f"/v1/conversations/{conv}/messages?limit=30")


async def read(phone: Phone, province: Province) -> None:
    conv = some_conversation(phone, province)
    seq = phone.latest_seq.get(conv)
    if seq is None:  # nothing new heard: look at the conversation instead
        await phone.act("open_chat", "GET", f"/v1/conversations/{conv}/messages?limit=30")
        return
    await phone.act("read", "POST", f"/v1/conversations/{conv}/read", {"up_to_seq": seq})


async def send(phone: Phone, conv: int) -> None:
    body = {"client_msg_id": uuid.uuid4().hex, "body": random.choice(PHRASES)}
    await phone.act("send", "POST", f"/v1/conversations/{conv}/messages", body)


async def send_group(phone: Phone, province: Province) -> None:
    groups = phone.person.groups
    await send(phone, groups[0] if groups else province.unit_chats[phone.person.unit])


async def send_unit(phone: Phone, province: Province) -> None:
    await send(phone, province.unit_chats[phone.person.unit])


async def decide(phone: Phone, _p: Province) -> None:
    person = phone.person
    chain, step = person.chains.pop()
    assert person.key is not None
    signature = person.key.sign_decision(chain=chain, step=step, decision="approve",
                                         comment="同意", content_sha256=CONTENT)
    await phone.act("decide", "POST", f"/v1/approvals/{chain}/decisions", {
        "step_id": step, "decision": "approve", "comment": "同意", "signature": signature})


async def progress(phone: Phone, _p: Province) -> None:
    task = phone.person.tasks[0]
    await phone.act("progress", "POST", f"/v1/tasks/{task}/progress",
                    {"percent": random.randint(10, 90), "note": "按计划推进", "file_ids": []})


ACTIONS = {"list_conversations": list_conversations, "list_notices": list_notices,
           "list_approvals": list_approvals, "open_chat": open_chat, "read": read,
           "send_group": send_group, "send_unit": send_unit, "decide": decide,
           "progress": progress}
PHRASES = ["收到", "好的，马上办理", "请各位注意查收附件", "明天上午九点开会", "已按要求上报",
           "辛苦了", "材料已报送办公室", "请于今天下班前反馈", "同意", "已阅"]


async def official_day(phone: Phone, province: Province, end: float, think: float) -> None:
    loop = asyncio.get_running_loop()
    names, weights = zip(*MIX, strict=True)
    # Not everyone starts at 9:00 sharp; nobody thinks past the end of the day (the measured
    # window would otherwise grow by the longest of N exponential draws, minutes for 5,000).
    await asyncio.sleep(min(random.uniform(0, think), max(0.0, end - loop.time())))
    while loop.time() < end:
        await do_action(phone, random.choices(names, weights)[0], province)
        await asyncio.sleep(min(random.expovariate(1 / think), max(0.0, end - loop.time())))


async def feed_head(port: int, token: str) -> int:
    hello = json.dumps({"type": "hello", "token": token, "after": 2**53}).encode()
    sock = await open_socket("127.0.0.1", port, "/v1/ws", hello=hello, sink=lambda _p, _n: None)
    ready = await sock.ready
    sock.close()
    return int(ready["last_event_id"])


async def connect_phones(phones: list[Phone]) -> None:
    gate = asyncio.Semaphore(50)

    async def one(phone: Phone) -> None:
        async with gate:
            await phone.connect()

    await asyncio.gather(*(one(phone) for phone in phones))
