"""A fake Huawei Push Kit: the OAuth client-credentials endpoint and v1 `messages:send`, and
the v3 `messages:send` of HarmonyOS 5+ whose bearer is a service-account JWT (PS256, checked
with the account's public key, `iss` = its sub account, under an hour old).

OAuth tokens it hands out are good for `token_lifetime` seconds; a send with another bearer
gets HTTP 401 code 80200003, as Huawei answers an expired one. Success is HTTP 200 code
80000000."""

from __future__ import annotations

import base64
import json
import time

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .http_fake import OAuthFake, bearer, json_body, reply
from .script import Answer

TOKEN_PATH = "/oauth2/v3/token"
OAUTH = "__oauth__"


def hms_code(code: str, msg: str, status: int = 400) -> Answer:
    return Answer(status, {"code": code, "msg": msg, "requestId": "fake"})


INVALID_TOKEN = hms_code("80300007", "All the tokens are invalid")
BAD_MESSAGE = hms_code("80100003", "Illegal payload")


class FakeHms(OAuthFake):
    token_path, token_prefix = TOKEN_PATH, "hms-access"

    def __init__(self, *, app_id: str, client_secret: str, latency: float = 0.0,
                 account_public_pem: str = "", sub_account: str = "") -> None:
        super().__init__(latency)
        self.app_id, self.client_secret = app_id, client_secret
        self.account_public_pem, self.sub_account = account_public_pem, sub_account
        self.account_tokens: set[str] = set()  # distinct v3 JWTs seen

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post(TOKEN_PATH, self.token),
            web.post("/v1/{app_id}/messages:send", self.send),
            web.post("/v3/{project}/messages:send", self.send_v3),
        ]

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        scripted = self.script.answer_for(OAUTH)  # `script.queue(OAUTH, …)` fails the endpoint
        if scripted is not None:
            return reply(scripted)
        form = await request.post()
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials", self.app_id, self.client_secret
        ):
            refused = {"error": 1101, "error_description": "invalid client"}
            return web.json_response(refused, status=400)
        return self.grant()

    async def send(self, request: web.Request) -> web.Response:
        await self.pause()
        if not self.token_valid(bearer(request)):
            return reply(hms_code("80200003", "OAuth token expired", 401))
        body = await json_body(request)
        self.script.record(request.path, {k.lower(): v for k, v in request.headers.items()}, body)
        device = (body.get("message", {}).get("token") or [""])[0]
        return reply(self.script.answer_for(device) or hms_code("80000000", "Success", 200))

    async def send_v3(self, request: web.Request) -> web.Response:
        await self.pause()
        if not self._account_token_ok(bearer(request)):
            return reply(hms_code("80200001", "Oauth authentication error", 401))
        body = await json_body(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.script.record(request.path, headers, body)
        device = (body.get("target", {}).get("token") or [""])[0]
        return reply(self.script.answer_for(device) or hms_code("80000000", "Success", 200))

    def _account_token_ok(self, token: str) -> bool:
        try:
            header, claims, signature = (_unb64(part) for part in token.split("."))
            key = serialization.load_pem_public_key(self.account_public_pem.encode())
            assert isinstance(key, rsa.RSAPublicKey)
            signed = token.rsplit(".", 1)[0].encode()
            key.verify(signature, signed, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                       hashes.SHA256())
        except (ValueError, AssertionError, InvalidSignature):
            return False
        fields = json.loads(claims)
        fresh = time.time() - int(fields.get("iat", 0)) < 3600
        if json.loads(header).get("alg") != "PS256" or fields.get("iss") != self.sub_account:
            return False
        self.account_tokens.add(token)
        return fresh


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
