"""The audience, made through the public API: one unit, N people holding a post in it, logged in.

An event to `unit:{id}` then reaches every one of them. People are created once per data
folder (one Argon2 hash each: the bench server runs with the cheapest Argon2 settings) and
reused by later server processes on the same folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx

from bench.tongban_server import ADMIN_PASSWORD, ADMIN_USERNAME

PASSWORD = "bench-password-1"
T = TypeVar("T")


@dataclass
class Audience:
    unit_id: int
    usernames: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"unit:{self.unit_id}"


async def bounded(jobs: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run the jobs with at most `limit` in flight; results in job order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def call(http: httpx.AsyncClient, method: str, path: str, token: str | None = None,
               body: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    reply = await http.request(method, path, json=body, headers=headers)
    if reply.status_code >= 400:
        raise RuntimeError(f"{method} {path} → {reply.status_code}: {reply.text[:300]}")
    return reply.json()


async def log_in(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    reply = await call(http, "POST", "/v1/auth/login",
                       body={"username": username, "password": password})
    return str(reply["access_token"])


async def admin_token(http: httpx.AsyncClient) -> str:
    return await log_in(http, ADMIN_USERNAME, ADMIN_PASSWORD)


async def grow_audience(http: httpx.AsyncClient, audience: Audience | None, size: int) -> Audience:
    """The benchmark unit with at least `size` people (created as the admin, 8 at a time)."""
    token = await admin_token(http)
    if audience is None:
        unit = await call(http, "POST", "/v1/org/units", token,
                          {"name": "基准测试单位", "parent_id": None, "level": "province"})
        audience = Audience(unit["id"])
    missing = [f"bench{i:05d}" for i in range(len(audience.usernames), size)]
    await bounded([_person_job(http, token, audience.unit_id, name) for name in missing], 8)
    audience.usernames.extend(missing)
    return audience


def _person_job(http: httpx.AsyncClient, token: str, unit_id: int,
                username: str) -> Callable[[], Awaitable[Any]]:
    body = {"username": username, "display_name": f"测试{username[-5:]}", "password": PASSWORD,
            "unit_id": unit_id, "position": "科员"}
    return lambda: call(http, "POST", "/v1/org/people", token, body)


async def tokens_for(http: httpx.AsyncClient, usernames: Sequence[str]) -> list[str]:
    """One fresh session (access token) per person, 16 logins at a time."""
    return await bounded([partial(log_in, http, name) for name in usernames], 16)
