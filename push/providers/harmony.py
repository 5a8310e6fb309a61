"""Huawei Push Kit for HarmonyOS 5 and later (HarmonyOS NEXT): the v3 scenario-based API.

HarmonyOS 5 no longer accepts the OAuth client-credentials token of the v1 API (`hms`); each
request instead carries a JWT the server signs itself with the project's service-account key
(the JSON file from Huawei's API Console: `project_id`, `key_id`, `private_key`,
`sub_account`): `alg` PS256 (SHA256withRSA/PSS), `kid` = key id, `iss` = sub account, `aud` =
Huawei's token endpoint, valid an hour; one is made and reused for 50 minutes. A push is
`POST /v3/{project id}/messages:send` with a `push-type` header: 0 (alert) for a notification,
6 (background) for a withdrawal, on which the app removes the notification it shows under
that id. The result codes are v1's (see `hms.verdict`).

The channel's provider is still `hms` (the device token comes from the same Push Kit); a
deployment whose fleet runs HarmonyOS 5+ names the service-account file instead of the app
secret."""

from __future__ import annotations

import base64
import json
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from push.providers import hms, http
from push.providers.base import Notification, Outcome
from push.providers.payload import alert_text, collapse_id, fields

AUDIENCE = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
TOKEN_SECONDS = 50 * 60
ALERT, BACKGROUND = "0", "6"
CATEGORY = "WORK"  # Huawei's self-classification for 工作事项提醒 (work reminders)
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class ServiceAccountToken:
    """The PS256 JWT Huawei expects as bearer, made again once it is 50 minutes old."""

    def __init__(self, info: dict[str, str], *, clock: Callable[[], float] = time.time) -> None:
        self.project_id, self._key_id, self._issuer = (
            info["project_id"], info["key_id"], info["sub_account"]
        )
        key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the Huawei service account's key is not an RSA key")
        self._key, self._clock = key, clock
        self._token, self._issued = "", 0.0

    @classmethod
    def from_file(cls, path: Path) -> ServiceAccountToken:
        return cls(json.loads(path.read_text()))

    def get(self) -> str:
        now = self._clock()
        if not self._token or now - self._issued >= TOKEN_SECONDS:
            self._token, self._issued = self._sign(int(now)), now
        return self._token

    def discard(self) -> None:
        self._token = ""

    def _sign(self, now: int) -> str:
        header = {"kid": self._key_id, "typ": "JWT", "alg": "PS256"}
        claims = {"aud": AUDIENCE, "iss": self._issuer, "iat": now, "exp": now + 3600}
        signing_input = ".".join(_b64(json.dumps(part).encode()) for part in (header, claims))
        signature = self._key.sign(signing_input.encode(), PSS, hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"


class HarmonyProvider:
    name = "hms"

    def __init__(self, token: ServiceAccountToken, *, url: str, pool: http.Pool) -> None:
        self._token, self._pool = token, pool
        self._send_url = f"{url.rstrip('/')}/v3/{token.project_id}/messages:send"

    @classmethod
    def from_service_account(
        cls, path: Path, *, url: str, timeout: float, connections: int
    ) -> HarmonyProvider:
        token = ServiceAccountToken.from_file(path)
        token.get()  # a key that cannot sign stops the start-up, not the first push
        return cls(token, url=url, pool=http.Pool(timeout=timeout, connections=connections))

    async def send(self, notification: Notification) -> Outcome:
        token = self._token.get()
        kind = BACKGROUND if notification.withdraw else ALERT
        try:
            reply = await self._pool.post(
                self._send_url, json=request(notification),
                headers={"authorization": f"Bearer {token}", "push-type": kind},
            )
        except http.UNREACHABLE as error:
            return http.unreachable(error)
        if hms.code_of(reply) in hms.EXPIRED:
            self._token.discard()
        return hms.verdict(reply, (token, notification.token))

    async def close(self) -> None:
        await self._pool.close()


def notify_id(notification: Notification) -> int:
    """Huawei replaces a shown notification by a later one with the same `notifyId` (an int)."""
    return zlib.crc32(collapse_id(notification).encode()) & 0x7FFFFFFF


def request(notification: Notification) -> dict[str, Any]:
    payload = _background(notification) if notification.withdraw else _alert(notification)
    return {
        "payload": payload, "target": {"token": [notification.token]},
        "pushOptions": {"ttl": 86400},
    }


def _background(notification: Notification) -> dict[str, Any]:
    extra = {**fields(notification), "notify_id": str(notify_id(notification))}
    return {"extraData": json.dumps(extra, ensure_ascii=False)}


def _alert(notification: Notification) -> dict[str, Any]:
    title, text = alert_text(notification)
    shown = {
        "category": CATEGORY, "title": title or "通办", "body": text,
        "notifyId": notify_id(notification), "badge": {"setNum": notification.badge},
        "clickAction": {"actionType": 0, "data": fields(notification)},
    }
    return {"notification": shown}
