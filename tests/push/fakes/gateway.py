"""A fake push gateway in the Matrix push-gateway shape: `POST /_matrix/push/v1/notify`
answers 200 `{"rejected": [pushkey, …]}`, listing the pushkeys scripted with `REJECTED`, or a
scripted error status."""

from __future__ import annotations

from aiohttp import web

from .http_fake import HttpFake, json_body, reply
from .script import Answer

NOTIFY_PATH = "/_matrix/push/v1/notify"
REJECTED = Answer(200)  # scripted for a pushkey: the gateway lists it in `rejected`


class FakeGateway(HttpFake):
    @property
    def notify_url(self) -> str:
        return self.url + NOTIFY_PATH

    def routes(self) -> list[web.RouteDef]:
        return [web.post(NOTIFY_PATH, self.notify)]

    async def notify(self, request: web.Request) -> web.Response:
        await self.pause()
        body = await json_body(request)
        self.script.record(request.path, {}, body)
        keys = [d.get("pushkey", "") for d in body.get("notification", {}).get("devices", [])]
        rejected: list[str] = []
        for key in keys:
            answer = self.script.answer_for(key)
            if answer is not None and answer.status != 200:
                return reply(answer)
            if answer is not None:
                rejected.append(key)
        return web.json_response({"rejected": rejected})
