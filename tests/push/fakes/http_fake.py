"""What the HTTP fakes share: a Starlette app with the vendor's routes plus `/_fake/*` controls
(so a fake running as its own process can be read and scripted), served by uvicorn either in
the caller's event loop (pytest) or as the whole process (`python -m tests.push.fakes`)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .script import Answer, Script


def reply(answer: Answer) -> Response:
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def controls(script: Script) -> list[Route]:
    """`GET /_fake/stats`, `GET /_fake/received?after=&limit=`, `POST /_fake/script`
    `{token, status, body?, headers?, times? | always?}`, `POST /_fake/reset`."""

    async def stats(request: Request) -> Response:
        got = script.received
        first, last = (got[0].at, got[-1].at) if got else (None, None)
        return JSONResponse({"count": len(got), "first_at": first, "last_at": last})

    async def received(request: Request) -> Response:
        after = int(request.query_params.get("after", 0))
        limit = int(request.query_params.get("limit", 1000))
        rows = script.received[after:after + limit]
        return JSONResponse([{"at": r.at, "path": r.path, "body": r.body} for r in rows])

    async def scripted(request: Request) -> Response:
        ask = await request.json()
        answer = Answer(ask["status"], ask.get("body", {}), ask.get("headers", {}))
        if ask.get("always"):
            script.always(ask["token"], answer)
        else:
            script.queue(ask["token"], answer, times=int(ask.get("times", 1)))
        return JSONResponse({})

    async def reset(request: Request) -> Response:
        script.reset()
        return JSONResponse({})

    return [
        Route("/_fake/stats", stats), Route("/_fake/received", received),
        Route("/_fake/script", scripted, methods=["POST"]),
        Route("/_fake/reset", reset, methods=["POST"]),
    ]


class HttpFake(ABC):
    """A fake vendor over HTTP/1.1: `routes()` are its endpoints, `script` its answers."""

    def __init__(self, latency: float = 0.0) -> None:
        self.script = Script(latency)
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    def routes(self) -> list[Route]: ...

    def app(self) -> Starlette:
        return Starlette(routes=[*self.routes(), *controls(self.script)])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def pause(self) -> None:
        await asyncio.sleep(self.script.latency)

    def config(self, port: int) -> uvicorn.Config:
        return uvicorn.Config(
            self.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off",
            access_log=False,
        )

    async def start(self, port: int = 0) -> int:
        self._server = uvicorn.Server(self.config(port))
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else ""
