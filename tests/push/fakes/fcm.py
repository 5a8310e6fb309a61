"""A fake FCM HTTP v1: the OAuth JWT-bearer token endpoint and `messages:send`.

The token endpoint verifies the service account's RS256 assertion with its public key (and its
`iss`, `aud`, `scope`); a send with a bearer it did not issue gets 401 UNAUTHENTICATED. Errors
have FCM's shape, with an FcmError `errorCode` in `details`."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from jose import jwt
from jose.exceptions import JOSEError

from .http_fake import OAuthFake, bearer, json_body, reply
from .script import Answer

TOKEN_PATH = "/token"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


def fcm_error(status: int, state: str, code: str | None, message: str, **headers: str) -> Answer:
    error: dict[str, Any] = {"code": status, "message": message, "status": state}
    if code:
        error["details"] = [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}
        ]
    return Answer(status, {"error": error}, headers)


UNREGISTERED = fcm_error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
UNAUTHENTICATED = fcm_error(401, "UNAUTHENTICATED", None, "Request had invalid credentials.")
BAD_TOKEN = fcm_error(
    400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
    "The registration token is not a valid FCM registration token",
)


class FakeFcm(OAuthFake):
    token_path, token_prefix = TOKEN_PATH, "ya29.fake"

    def __init__(self, *, project_id: str, email: str, public_pem: str, latency: float = 0.0):
        super().__init__(latency)
        self.project_id, self.email, self.public_pem = project_id, email, public_pem

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post(TOKEN_PATH, self.token),
            web.post("/v1/projects/{project}/messages:send", self.send),
        ]

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        if not self._assertion_ok(str(form.get("assertion", ""))):
            refused = {"error": "invalid_grant", "error_description": "bad jwt"}
            return web.json_response(refused, status=400)
        return self.grant()

    def _assertion_ok(self, assertion: str) -> bool:
        try:
            claims = jwt.decode(
                assertion, self.public_pem, algorithms=["RS256"], audience=self.token_url
            )
        except JOSEError:
            return False
        return claims.get("iss") == self.email and claims.get("scope") == SCOPE

    async def send(self, request: web.Request) -> web.Response:
        await self.pause()
        if not self.token_valid(bearer(request)):
            return reply(UNAUTHENTICATED)
        body = await json_body(request)
        self.script.record(request.path, {k.lower(): v for k, v in request.headers.items()}, body)
        device = str(body.get("message", {}).get("token", ""))
        name = f"projects/{request.match_info['project']}/messages/{len(self.script.received)}"
        return reply(self.script.answer_for(device) or Answer(200, {"name": name}))
