"""What the HTTP fakes share: an aiohttp application with the vendor's routes plus `/_fake/*`
controls (so a fake running as its own process can be read and scripted), served in the
caller's event loop (pytest) or as the whole process (`python -m tests.push.fakes`).

aiohttp rather than Starlette on uvicorn: in the push benchmark the fake must answer thousands
of requests a second on a core it shares, and measure Tongban rather than itself."""

from __future__ import annotations

import asyncio
import itertools
import time
from abc import ABC, abstractmethod
from typing import Any

from aiohttp import web

from .script import Answer, Script

Handler = Any  # an aiohttp request handler


def reply(answer: Answer) -> web.Response:
    return web.json_response(answer.body, status=answer.status, headers=answer.headers)


def controls(script: Script) -> list[web.RouteDef]:
    """`GET /_fake/stats`, `GET /_fake/received?after=&limit=`, `POST /_fake/script`
    `{token, status, body?, headers?, times? | always?}`, `POST /_fake/reset`."""

    async def stats(request: web.Request) -> web.Response:
        got = script.received
        first, last = (got[0].at, got[-1].at) if got else (None, None)
        return web.json_response({"count": len(got), "first_at": first, "last_at": last})

    async def received(request: web.Request) -> web.Response:
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 1000))
        rows = script.received[after:after + limit]
        return web.json_response([{"at": r.at, "path": r.path, "body": r.body} for r in rows])

    async def scripted(request: web.Request) -> web.Response:
        ask = await request.json()
        answer = Answer(ask["status"], ask.get("body", {}), ask.get("headers", {}))
        if ask.get("always"):
            script.always(ask["token"], answer)
        else:
            script.queue(ask["token"], answer, times=int(ask.get("times", 1)))
        return web.json_response({})

    async def reset(request: web.Request) -> web.Response:
        script.reset()
        return web.json_response({})

    return [
        web.get("/_fake/stats", stats), web.get("/_fake/received", received),
        web.post("/_fake/script", scripted), web.post("/_fake/reset", reset),
    ]


class HttpFake(ABC):
    """A fake vendor over HTTP/1.1: `routes()` are its endpoints, `script` its answers."""

    def __init__(self, latency: float = 0.0) -> None:
        self.script = Script(latency)
        self.port = 0
        self._runner: web.AppRunner | None = None

    @abstractmethod
    def routes(self) -> list[web.RouteDef]: ...

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes([*self.routes(), *controls(self.script)])
        return app

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def pause(self) -> None:
        if self.script.latency:
            await asyncio.sleep(self.script.latency)

    async def start(self, port: int = 0) -> int:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else ""


class OAuthFake(HttpFake):
    """A fake vendor that hands out OAuth access tokens at `token_path`, each good for
    `token_lifetime` seconds (Huawei Push Kit v1, FCM)."""

    token_path = "/token"
    token_prefix = "access"

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.token_lifetime = 3600
        self.token_requests = 0
        self._tokens: dict[str, float] = {}
        self._serial = itertools.count(1)

    @property
    def token_url(self) -> str:
        return self.url + self.token_path

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def grant(self) -> web.Response:
        token = f"{self.token_prefix}-{next(self._serial)}"
        self._tokens[token] = time.time() + self.token_lifetime
        return web.json_response({"access_token": token, "expires_in": self.token_lifetime,
                                  "token_type": "Bearer"})

    def token_valid(self, token: str) -> bool:
        return self._tokens.get(token, 0) >= time.time()
