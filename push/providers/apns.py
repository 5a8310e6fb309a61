"""Apple Push Notification service: the HTTP/2 provider API with token-based authentication.

Each request is `POST /3/device/<device token>` on one multiplexed HTTP/2 connection, carrying a
provider token: a JWT signed ES256 with the team's .p8 key (`kid` = key id, `iss` = team id,
`iat`). Apple refuses a token older than an hour and throttles one renewed more often than every
20 minutes (429 TooManyProviderTokenUpdates), so one token is kept and renewed after 50 minutes.

The topic is the channel's app id (the bundle id). A push is an alert (`apns-push-type: alert`;
urgent ones `apns-priority: 10` and `interruption-level: time-sensitive`, others 5); a withdrawal
is a background push (`content-available`, priority 5) with the same `apns-collapse-id`, on which
the app removes the delivered notification whose identifier is that collapse id."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from jose import jwt

from push.providers import http
from push.providers.base import Notification, Outcome
from push.providers.payload import alert_text, collapse_id, fields

TOKEN_SECONDS = 50 * 60
EXPIRATION_SECONDS = 24 * 3600  # Apple stores an undelivered push this long, then drops it
INVALID = {"BadDeviceToken", "Unregistered", "ExpiredToken", "DeviceTokenNotForTopic"}


class ProviderToken:
    """The ES256 JWT Apple expects, made again once it is `TOKEN_SECONDS` old."""

    def __init__(
        self, key_pem: str, *, key_id: str, team_id: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._key, self._key_id, self._team_id, self._clock = key_pem, key_id, team_id, clock
        self._token, self._issued = "", 0.0

    def get(self) -> str:
        now = self._clock()
        if not self._token or now - self._issued >= TOKEN_SECONDS:
            self._token, self._issued = self._sign(int(now)), now
        return self._token

    def discard(self) -> None:
        self._token = ""

    @property
    def current(self) -> str:
        return self._token

    def _sign(self, issued_at: int) -> str:
        claims = {"iss": self._team_id, "iat": issued_at}
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self._key_id})


class ApnsProvider:
    name = "apns"

    def __init__(self, token: ProviderToken, *, client: httpx.AsyncClient) -> None:
        self._token, self._client = token, client

    @classmethod
    def from_key_file(
        cls, key_file: Path, *, key_id: str, team_id: str, url: str, timeout: float
    ) -> ApnsProvider:
        token = ProviderToken(key_file.read_text(), key_id=key_id, team_id=team_id)
        token.get()  # a key that cannot sign stops the start-up, not the first push
        # One HTTP/2 connection multiplexes Apple's ~1,000 concurrent streams.
        return cls(token, client=http.http2_client(url, timeout=timeout))

    async def send(self, notification: Notification) -> Outcome:
        path = f"/3/device/{notification.token}"
        try:
            response = await self._client.post(
                path, content=json.dumps(body(notification)), headers=self._headers(notification)
            )
        except httpx.HTTPError as error:
            return http.unreachable(error)
        reply = http.Reply(response.status_code, response.headers, response.content)
        return self._outcome(reply, notification)

    async def close(self) -> None:
        await self._client.aclose()

    def _headers(self, notification: Notification) -> dict[str, str]:
        return {
            "authorization": f"bearer {self._token.get()}", **headers(notification),
            "apns-expiration": str(int(time.time()) + EXPIRATION_SECONDS),
        }

    def _outcome(self, reply: http.Reply, notification: Notification) -> Outcome:
        if reply.status == 200:
            return Outcome("sent")
        reason = self._reason(reply, notification)
        if reason == "ExpiredProviderToken":
            self._token.discard()
            return Outcome("retry", reason, 0.0)
        return verdict(reply, reason)

    def _reason(self, reply: http.Reply, notification: Notification) -> str:
        try:
            reason = str(reply.json().get("reason", ""))
        except (ValueError, AttributeError):
            reason = ""
        secrets = (self._token.current, notification.token)
        return http.redact(reason or f"HTTP {reply.status}", secrets)


def verdict(reply: http.Reply, reason: str) -> Outcome:
    """Apple's answer as an outcome: a dead token is invalid; 429/5xx (including
    TooManyProviderTokenUpdates) come back later; any other refusal is final."""
    if reply.status == 410 or reason in INVALID:
        return Outcome("invalid", reason)
    if http.transient(reply):
        return http.retry(reply, reason)
    return Outcome("failed", reason)


def headers(notification: Notification) -> dict[str, str]:
    background = notification.withdraw
    return {
        "apns-topic": notification.app_id,
        "apns-push-type": "background" if background else "alert",
        "apns-priority": "10" if notification.urgent and not background else "5",
        "apns-collapse-id": collapse_id(notification),
    }


def body(notification: Notification) -> dict[str, Any]:
    aps = _background(notification) if notification.withdraw else _alert(notification)
    return {"aps": aps, **fields(notification)}


def _background(notification: Notification) -> dict[str, Any]:
    return {"content-available": 1, "badge": notification.badge}


def _alert(notification: Notification) -> dict[str, Any]:
    title, text = alert_text(notification)
    alert = {"title": title, "body": text} if title else {"body": text}
    level = "time-sensitive" if notification.urgent else "active"
    return {
        "alert": alert, "badge": notification.badge, "sound": "default",
        "interruption-level": level, "thread-id": notification.kind,
    }
