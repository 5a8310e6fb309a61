"""A fake Huawei Push Kit: the OAuth client-credentials endpoint and `messages:send`.

Tokens it hands out are good for `token_lifetime` seconds; a send with another bearer gets
HTTP 401 code 80200003, as Huawei answers an expired one. Success is HTTP 200 code 80000000."""

from __future__ import annotations

import itertools
import time

from aiohttp import web

from .http_fake import HttpFake, bearer, json_body, reply
from .script import Answer

TOKEN_PATH = "/oauth2/v3/token"


def hms_code(code: str, msg: str, status: int = 400) -> Answer:
    return Answer(status, {"code": code, "msg": msg, "requestId": "fake"})


INVALID_TOKEN = hms_code("80300007", "All the tokens are invalid")
BAD_MESSAGE = hms_code("80100003", "Illegal payload")


class FakeHms(HttpFake):
    def __init__(self, *, app_id: str, client_secret: str, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.app_id, self.client_secret = app_id, client_secret
        self.token_lifetime = 3600
        self.token_requests = 0
        self._tokens: dict[str, float] = {}
        self._serial = itertools.count(1)

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post(TOKEN_PATH, self.token),
            web.post("/v1/{app_id}/messages:send", self.send),
        ]

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials", self.app_id, self.client_secret
        ):
            refused = {"error": 1101, "error_description": "invalid client"}
            return web.json_response(refused, status=400)
        token = f"hms-access-{next(self._serial)}"
        self._tokens[token] = time.time() + self.token_lifetime
        return web.json_response({"access_token": token, "expires_in": self.token_lifetime,
                             "token_type": "Bearer"})

    async def send(self, request: web.Request) -> web.Response:
        await self.pause()
        if self._tokens.get(bearer(request), 0) < time.time():
            return reply(hms_code("80200003", "OAuth token expired", 401))
        body = await json_body(request)
        self.script.record(request.path, {k.lower(): v for k, v in request.headers.items()}, body)
        device = (body.get("message", {}).get("token") or [""])[0]
        return reply(self.script.answer_for(device) or hms_code("80000000", "Success", 200))
