"""Load helpers for the messaging benchmarks: a lean keep-alive HTTP client and API set-up.

httpx spends ~0.3–0.5 ms of Python per request, so 1,500 requests/s would take the whole load
core and measure the client, not the server. `LeanHttp` writes pre-built HTTP/1.1 requests on
one kept-alive connection and reads replies by `Content-Length`: a few µs each.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import httpx

from bench.tongban_setup import Audience, bounded, call


class LeanHttp:
    """One kept-alive HTTP/1.1 connection; one request at a time, as one phone."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def connect(cls, port: int, host: str = "127.0.0.1") -> LeanHttp:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def post_json(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, bytes]:
        payload = json.dumps(body, ensure_ascii=False).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
        self.writer.write(head.encode() + payload)
        return await self._reply()

    async def get(self, path: str, token: str) -> tuple[int, bytes]:
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n\r\n"
        self.writer.write(head.encode())
        return await self._reply()

    async def _reply(self) -> tuple[int, bytes]:
        status_line = await self.reader.readline()
        status, length = int(status_line.split()[1]), 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def create_group(http: httpx.AsyncClient, token: str, title: str,
                       member_ids: Sequence[int]) -> int:
    body = {"kind": "group", "title": title, "member_ids": list(member_ids)}
    return int((await call(http, "POST", "/v1/conversations", token, body))["id"])


async def person_ids(http: httpx.AsyncClient, token: str, audience: Audience) -> list[int]:
    """Ids of the audience's people, in username order (bench00000, bench00001, …)."""
    found: dict[str, int] = {}
    cursor: str | None = None
    while True:
        query = f"?limit=200{f'&cursor={cursor}' if cursor else ''}"
        page = await call(http, "GET", f"/v1/org/units/{audience.unit_id}/people{query}", token)
        found.update({p["username"]: p["id"] for p in page["items"]})
        cursor = page.get("next_cursor")
        if not cursor:
            return [found[name] for name in audience.usernames]


async def send_many(http: httpx.AsyncClient, jobs: Sequence[tuple[str, int, str]],
                    limit: int = 16) -> None:
    """Set-up traffic: (token, conversation, body) sends, `limit` at a time."""
    def job(token: str, conversation: int, text: str):  # type: ignore[no-untyped-def]
        body = {"client_msg_id": f"setup-{time.time_ns()}-{conversation}", "body": text}
        return lambda: call(http, "POST", f"/v1/conversations/{conversation}/messages", token,
                            body)

    await bounded([job(*item) for item in jobs], limit)


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")
