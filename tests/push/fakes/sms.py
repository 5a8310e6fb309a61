"""A fake SMS webhook: `POST /sms` `{phone, text}` with the expected bearer token; answers 200
`{"id": …}`, or a scripted status per phone number."""

from __future__ import annotations

from aiohttp import web

from .http_fake import HttpFake, bearer, json_body, reply

SMS_PATH = "/sms"


class FakeSms(HttpFake):
    def __init__(self, *, token: str, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.token = token

    @property
    def sms_url(self) -> str:
        return self.url + SMS_PATH

    def routes(self) -> list[web.RouteDef]:
        return [web.post(SMS_PATH, self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        await self.pause()
        if bearer(request) != self.token:
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await json_body(request)
        self.script.record(request.path, {}, body)
        answer = self.script.answer_for(str(body.get("phone", "")))
        return reply(answer) if answer else web.json_response({"id": len(self.script.received)})
