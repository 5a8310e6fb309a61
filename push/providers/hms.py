"""Huawei Push Kit (HMS), the server API for Android and HarmonyOS phones with HMS Core.

An access token comes from the OAuth 2.0 client-credentials grant (`client_id` = the app id,
`client_secret` = the app secret) and serves every send until shortly before `expires_in`. A
push is `POST /v1/{app id}/messages:send` with `message.token` = [the device token]; Huawei
answers HTTP 200 with `code` "80000000" on success, and result codes otherwise: 80300007 (all
tokens invalid) and 80100000 (some refused: with one token, ours) disable the channel,
80200001/80200003 (OAuth token refused or expired) renew the token and come back, 81000001
(internal error), 429 and 5xx come back later, anything else is a permanent refusal.

An alert is a notification message: `android.notification` with the generic line, `tag` =
collapse id (a later push with the same tag replaces it), `importance` HIGH for urgent ones
(and `android.urgency` HIGH). A withdrawal is a data message the app acts on by cancelling
the notification under that tag."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from push.providers import http
from push.providers.base import Notification, Outcome
from push.providers.payload import alert_text, collapse_id, fields
from push.providers.tokens import CachedToken, TokenRefused, grant

SUCCESS = "80000000"
INVALID = {"80300007": "token invalid", "80100000": "token refused"}
EXPIRED = {"80200001", "80200003"}  # OAuth authentication failed / access token expired
INTERNAL = "81000001"
TTL = "86400s"


class HmsProvider:
    name = "hms"

    def __init__(
        self, *, app_id: str, client_secret: str, url: str, token_url: str, pool: http.Pool,
        badge_class: str = "",
    ) -> None:
        self._app_id, self._secret, self._token_url = app_id, client_secret, token_url
        self._pool, self._badge_class = pool, badge_class
        self._send_url = f"{url.rstrip('/')}/v1/{app_id}/messages:send"
        self._token = CachedToken(self._fetch_token)

    @classmethod
    def from_secret_file(
        cls, secret_file: Path, *, app_id: str, url: str, token_url: str, timeout: float,
        connections: int, badge_class: str = "",
    ) -> HmsProvider:
        return cls(
            app_id=app_id, client_secret=secret_file.read_text().strip(), url=url,
            token_url=token_url, pool=http.Pool(timeout=timeout, connections=connections),
            badge_class=badge_class,
        )

    async def send(self, notification: Notification) -> Outcome:
        try:
            token = await self._token.get()
            reply = await self._pool.post(
                self._send_url, json=self._request(notification),
                headers={"authorization": f"Bearer {token}"},
            )
        except TokenRefused as refused:
            return refused.outcome
        except http.UNREACHABLE as error:
            return http.unreachable(error)
        return self._outcome(reply, token)

    async def close(self) -> None:
        await self._pool.close()

    async def _fetch_token(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials", "client_id": self._app_id,
            "client_secret": self._secret,
        }
        return grant(await self._pool.post(self._token_url, data=form), "hms")

    def _outcome(self, reply: http.Reply, token: str) -> Outcome:
        if code_of(reply) in EXPIRED:
            self._token.discard(token)
        return verdict(reply, (token, self._secret))

    def _request(self, notification: Notification) -> dict[str, Any]:
        message: dict[str, Any] = {
            "token": [notification.token], "data": json.dumps(fields(notification)),
            "android": self._android(notification),
        }
        return {"validate_only": False, "message": message}

    def _android(self, notification: Notification) -> dict[str, Any]:
        android: dict[str, Any] = {
            "collapse_key": -1, "ttl": TTL,
            "urgency": "HIGH" if notification.urgent else "NORMAL",
        }
        if not notification.withdraw:
            android["notification"] = self._notification(notification)
        return android

    def _notification(self, notification: Notification) -> dict[str, Any]:
        title, text = alert_text(notification)
        shown: dict[str, Any] = {
            "title": title or "通办", "body": text, "tag": collapse_id(notification),
            "importance": "HIGH" if notification.urgent else "NORMAL",
            "click_action": {"type": 3},  # open the app
        }
        if self._badge_class:
            shown["badge"] = {"set_num": notification.badge, "class": self._badge_class}
        return shown


def verdict(reply: http.Reply, secrets: Iterable[str]) -> Outcome:
    """Huawei's answer (v1 and v3 share the result codes) as an outcome. A refused or expired
    credential comes back at once (`retry_after` 0): the caller has renewed it."""
    code = code_of(reply)
    reason = http.redact(f"hms {code or reply.status}", secrets)
    if code == SUCCESS and reply.status == 200:
        return Outcome("sent")
    if code in INVALID:
        return Outcome("invalid", f"hms {code} {INVALID[code]}")
    if code in EXPIRED:
        return Outcome("retry", reason, 0.0)
    if code == INTERNAL or http.transient(reply):
        return http.retry(reply, reason)
    return Outcome("failed", reason)


def code_of(reply: http.Reply) -> str:
    try:
        return str(reply.json().get("code", ""))
    except (ValueError, AttributeError):
        return ""
