"""Firebase Cloud Messaging, HTTP v1 API.

The service account's JSON key signs a JWT (RS256; `iss` = its client email, `scope` =
firebase.messaging, `aud` = the token endpoint) that the OAuth 2.0 JWT-bearer grant exchanges
for an access token, kept until shortly before `expires_in`. A push is
`POST /v1/projects/{project id}/messages:send` with `message.token`.

Errors come as `{"error": {"status", "message", "details": [{"@type": "…FcmError",
"errorCode"}]}}`: UNREGISTERED and SENDER_ID_MISMATCH disable the channel, as does
INVALID_ARGUMENT when it is about the registration token (other INVALID_ARGUMENTs are our
mistake: failed); 401 renews the access token; 429 (QUOTA_EXCEEDED), 500 and 503 come back
after `Retry-After`.

Android gets `collapse_key` and `notification.tag` = collapse id (a later push replaces the
earlier), HIGH priority for urgent ones; Apple devices reached through FCM get the same APNs
headers the APNs provider sends. A withdrawal is a data-only message."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from jose import jwt

from push.providers import apns, http
from push.providers.base import Notification, Outcome
from push.providers.payload import alert_text, collapse_id, fields
from push.providers.tokens import CachedToken, TokenRefused, grant

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
INVALID = {"UNREGISTERED", "SENDER_ID_MISMATCH"}
TTL = "86400s"


class ServiceAccount:
    """The fields of a service-account key FCM needs; the private key never leaves it."""

    def __init__(self, info: dict[str, str], *, token_url: str = "") -> None:
        self.project_id, self.email = info["project_id"], info["client_email"]
        self.token_url = token_url or info.get("token_uri", "https://oauth2.googleapis.com/token")
        self._key, self._key_id = info["private_key"], info.get("private_key_id", "")

    @classmethod
    def from_file(cls, path: Path, *, token_url: str = "") -> ServiceAccount:
        account = cls(json.loads(path.read_text()), token_url=token_url)
        account.assertion(int(time.time()))  # a key that cannot sign stops the start-up
        return account

    def assertion(self, now: int) -> str:
        claims = {
            "iss": self.email, "scope": SCOPE, "aud": self.token_url,
            "iat": now, "exp": now + 3600,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._key_id})


class FcmProvider:
    name = "fcm"

    def __init__(self, account: ServiceAccount, *, url: str, pool: http.Pool) -> None:
        self._account, self._pool = account, pool
        self._token = CachedToken(self._fetch_token)
        self._send_url = f"{url.rstrip('/')}/v1/projects/{account.project_id}/messages:send"

    async def send(self, notification: Notification) -> Outcome:
        try:
            token = await self._token.get()
            reply = await self._pool.post(
                self._send_url, json={"message": message(notification)},
                headers={"authorization": f"Bearer {token}"},
            )
        except TokenRefused as refused:
            return refused.outcome
        except http.UNREACHABLE as error:
            return http.unreachable(error)
        return self._outcome(reply, token, notification)

    async def close(self) -> None:
        await self._pool.close()

    async def _fetch_token(self) -> tuple[str, float]:
        form = {"grant_type": GRANT, "assertion": self._account.assertion(int(time.time()))}
        return grant(await self._pool.post(self._account.token_url, data=form), "fcm")

    def _outcome(self, reply: http.Reply, token: str, notification: Notification) -> Outcome:
        if reply.status == 200:
            return Outcome("sent")
        code, text = error_code(reply)
        reason = http.redact(f"fcm {code}: {text}", (token, notification.token))
        if reply.status == 401 and code != "THIRD_PARTY_AUTH_ERROR":
            self._token.discard(token)
            return Outcome("retry", reason, 0.0)
        return verdict(reply, code, text, reason)


def verdict(reply: http.Reply, code: str, text: str, reason: str) -> Outcome:
    if code in INVALID or (code == "INVALID_ARGUMENT" and "registration token" in text):
        return Outcome("invalid", reason)
    if http.transient(reply):
        return http.retry(reply, reason)
    return Outcome("failed", reason)


def error_code(reply: http.Reply) -> tuple[str, str]:
    """(the FcmError code, or the status when there is none; the message)."""
    try:
        error = reply.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {reply.status}", ""
    details = error.get("details", [])
    codes = [d.get("errorCode") for d in details if "FcmError" in d.get("@type", "")]
    code = codes[0] if codes and codes[0] else error.get("status", "")
    return str(code), str(error.get("message", ""))


def message(notification: Notification) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "token": notification.token, "data": fields(notification),
        "android": _android(notification), "apns": _apns(notification),
    }
    if not notification.withdraw:
        title, text = alert_text(notification)
        shown["notification"] = {"title": title, "body": text} if title else {"body": text}
    return shown


def _android(notification: Notification) -> dict[str, Any]:
    android: dict[str, Any] = {
        "collapse_key": collapse_id(notification), "ttl": TTL,
        "priority": "HIGH" if notification.urgent else "NORMAL",
    }
    if not notification.withdraw:
        android["notification"] = {
            "tag": collapse_id(notification), "notification_count": notification.badge,
            "notification_priority": "PRIORITY_HIGH" if notification.urgent else "PRIORITY_DEFAULT",
        }
    return android


def _apns(notification: Notification) -> dict[str, Any]:
    aps = apns.body(notification)["aps"]
    aps.pop("alert", None)  # FCM builds the alert from message.notification
    headers = apns.headers(notification)
    del headers["apns-topic"]  # FCM sets the topic from the app it registered
    return {"headers": headers, "payload": {"aps": aps}}
