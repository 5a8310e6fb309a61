"""The province for `bench/officials.py`: units, officials, devices, conversations, waiting work.

Everything is made through the public HTTP API, as the administrator and as the officials
themselves, on a lean keep-alive HTTP/1.1 pool (`Http`): httpx would cost the load process about
as much CPU per request as the server spends, and the load shares two cores with the server.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tongban_client import DeviceKey

from bench.tongban_server import ADMIN_PASSWORD, ADMIN_USERNAME

PASSWORD = "bench-password-1"
CONTENT = hashlib.sha256("关于做好全省安全生产工作的请示".encode()).hexdigest()
T = TypeVar("T")
Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class HttpFailure(RuntimeError):
    def __init__(self, status: int, body: bytes, where: str) -> None:
        super().__init__(f"{where} → {status}: {body[:200]!r}")
        self.status = status


class Http:
    """At most `size` keep-alive HTTP/1.1 connections to one server; a request waits for a slot.

    uvicorn closes a connection idle for 5 s: one idle for 4 s is not reused. A connection that
    fails is closed and its slot freed, so no request waits for a connection that will not
    come back."""

    IDLE = 4.0

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self.slots = asyncio.Semaphore(size)
        self.free: list[tuple[float, Conn]] = []

    async def _take(self) -> Conn:
        while self.free:
            used, conn = self.free.pop()
            if time.monotonic() - used < self.IDLE:
                return conn
            conn[1].close()
        return await asyncio.open_connection("127.0.0.1", self.port)

    async def call(self, method: str, path: str, token: str = "",
                   body: Any = None) -> tuple[int, bytes]:
        async with self.slots:
            conn = await self._take()
            try:
                reply = await _exchange(*conn, method, path, token, body)
            except BaseException:
                conn[1].close()
                raise
            self.free.append((time.monotonic(), conn))
            return reply

    async def json(self, method: str, path: str, token: str = "", body: Any = None) -> Any:
        status, data = await self.call(method, path, token, body)
        if status >= 400:
            raise HttpFailure(status, data, f"{method} {path}")
        return json.loads(data) if data else None

    def close(self) -> None:
        for _used, conn in self.free:
            conn[1].close()
        self.free.clear()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str,
                    path: str, token: str, body: Any) -> tuple[int, bytes]:
    data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    kind = "Content-Type: application/json\r\n" if body is not None else ""
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}{kind}"
                 f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    head = (await reader.readline()).split()
    if len(head) < 2:
        raise ConnectionResetError("the server closed the connection")
    status = int(head[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


@dataclass
class Official:
    n: int
    username: str
    unit: int = 0  # index into Province.units
    id: int = 0
    token: str = ""
    key: DeviceKey | None = None
    leader: bool = False
    groups: list[int] = field(default_factory=list)  # group conversation ids
    chains: list[tuple[int, int]] = field(default_factory=list)  # (chain, step) waiting
    tasks: list[int] = field(default_factory=list)
    server: int = 0  # which server process this phone talks to


@dataclass
class Province:
    root: int = 0
    admin_token: str = ""
    units: list[int] = field(default_factory=list)
    unit_chats: list[int] = field(default_factory=list)
    people: list[Official] = field(default_factory=list)


async def bounded(jobs: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


def progress(what: str, started: float) -> None:
    print(f"  … {what} ({time.monotonic() - started:.0f} s)", flush=True)


async def build(http: Http, people: int, unit_size: int, group_size: int,
                leaders_share: float, seed: int, chains: int = 2) -> Province:
    """The whole province, ready for the day (see officials.py's docstring for its shape)."""
    started, rng = time.monotonic(), random.Random(seed)
    province = Province(admin_token=await login(http, ADMIN_USERNAME, ADMIN_PASSWORD))
    await make_units(http, province, -(-people // unit_size))
    await make_people(http, province, people, unit_size)
    progress(f"{people} officials in {len(province.units)} units", started)
    await bounded([lambda p=p: sign_in(http, p) for p in province.people], 16)
    progress("signed in, one device key each", started)
    await make_conversations(http, province, group_size, rng)
    progress("unit and group conversations", started)
    await make_work(http, province, leaders_share, rng, chains)
    progress("approvals waiting for leaders, tasks assigned", started)
    return province


async def login(http: Http, username: str, password: str = PASSWORD) -> str:
    reply = await http.json("POST", "/v1/auth/login",
                            body={"username": username, "password": password})
    return str(reply["access_token"])


async def make_units(http: Http, province: Province, count: int) -> None:
    root = await http.json("POST", "/v1/org/units", province.admin_token,
                           {"name": "基准测试省", "parent_id": None, "level": "province"})
    province.root = root["id"]
    for n in range(count):
        unit = await http.json("POST", "/v1/org/units", province.admin_token,
                               {"name": f"测试厅局{n:03d}", "parent_id": root["id"],
                                "level": "city"})
        province.units.append(unit["id"])


async def make_people(http: Http, province: Province, count: int, unit_size: int) -> None:
    province.people = [Official(n, f"off{n:05d}", unit=n // unit_size) for n in range(count)]

    def create(person: Official) -> Callable[[], Awaitable[Any]]:
        body = {"username": person.username, "display_name": f"干部{person.n:05d}",
                "password": PASSWORD, "unit_id": province.units[person.unit], "position": "科员"}
        return lambda: http.json("POST", "/v1/org/people", province.admin_token, body)

    made = await bounded([create(p) for p in province.people], 8)
    for person, reply in zip(province.people, made, strict=True):
        person.id = reply["id"]


async def sign_in(http: Http, person: Official) -> None:
    person.token = await login(http, person.username)
    person.key = DeviceKey.generate()
    await http.json("POST", "/v1/devices", person.token,
                    {"name": "办公手机", "platform": "android", "public_jwk": person.key.public_jwk()})


async def make_conversations(http: Http, province: Province, group_size: int,
                             rng: random.Random) -> None:
    """One unit group per unit (单位群), and group chats (群聊) of `group_size` colleagues of
    one unit, each official in one."""
    firsts = {p.unit: p for p in reversed(province.people)}
    for unit in range(len(province.units)):
        chat = await http.json("POST", "/v1/conversations", firsts[unit].token,
                               {"kind": "unit", "unit_id": province.units[unit]})
        province.unit_chats.append(chat["id"])
    groups = [province.people[i:i + group_size]
              for i in range(0, len(province.people), group_size)]
    await bounded([lambda g=g: _group_chat(http, g) for g in groups if len(g) > 1], 8)


async def _group_chat(http: Http, members: list[Official]) -> None:
    chat = await http.json("POST", "/v1/conversations", members[0].token, {
        "kind": "group", "title": f"工作群{members[0].n:05d}",
        "member_ids": [p.id for p in members[1:]]})
    for person in members:
        person.groups.append(chat["id"])


async def make_work(http: Http, province: Province, leaders_share: float,
                    rng: random.Random, chains: int) -> None:
    """Leaders get `chains` requests for sign-off (签批) each, from a colleague; one official
    in ten gets a supervised task (督办) from the province office."""
    people = province.people
    leaders = [p for p in people if rng.random() < leaders_share]
    for leader in leaders:
        leader.leader = True
    await bounded([lambda p=p, n=n: _chain(http, rng.choice(people), p, n)
                   for p in leaders for n in range(chains)], 8)
    due = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    await bounded([lambda p=p: _task(http, province, p, due) for p in people[::10]], 8)


async def _chain(http: Http, initiator: Official, leader: Official, n: int) -> None:
    step = {"label": "签发", "mode": "one", "assignees": {"people": [leader.id]}}
    chain = await http.json("POST", "/v1/approvals", initiator.token, {
        "subject_type": "ad-hoc", "subject_id": f"{leader.id}-{n}",
        "title": f"请示 {leader.n}-{n}", "content_sha256": CONTENT, "steps": [step]})
    leader.chains.append((chain["id"], chain["steps"][0]["id"]))


async def _task(http: Http, province: Province, person: Official, due: str) -> None:
    task = await http.json("POST", "/v1/tasks", province.admin_token, {
        "title": f"督办事项{person.n:05d}", "description": "", "due_at": due,
        "assignees": {"units": [], "people": [person.id]}, "priority": "normal",
        "file_ids": []})
    await http.json("POST", f"/v1/tasks/{task['id']}/receive", person.token)
    person.tasks.append(task["id"])
