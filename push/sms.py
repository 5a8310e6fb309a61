"""Text messages for the escalation of 特急 items (消息必达): a pluggable `SmsSender`, and the
adapter every SMS service can be fronted with, an HTTP webhook.

The webhook gets `POST {"phone", "text"}` with `Authorization: Bearer <token>` (the token read
from `TONGBAN_SMS_WEBHOOK_TOKEN_FILE`); 2xx is sent, 429/5xx and timeouts come back later, any
other answer is a permanent refusal. Reasons name statuses only: never the phone, the text or
the token."""

from __future__ import annotations

from typing import Protocol

from core.config import Settings
from push.providers import http
from push.providers.base import Outcome


class SmsSender(Protocol):
    async def send(self, phone: str, text: str) -> Outcome: ...

    async def close(self) -> None: ...


class WebhookSms:
    def __init__(self, url: str, *, token: str, pool: http.Pool) -> None:
        self._url, self._pool = url, pool
        self._headers = {"authorization": f"Bearer {token}"} if token else {}

    async def send(self, phone: str, text: str) -> Outcome:
        try:
            reply = await self._pool.post(
                self._url, json={"phone": phone, "text": text}, headers=self._headers
            )
        except http.UNREACHABLE as error:
            return http.unreachable(error)
        return _outcome(reply)

    async def close(self) -> None:
        await self._pool.close()


def _outcome(reply: http.Reply) -> Outcome:
    if 200 <= reply.status < 300:
        return Outcome("sent")
    reason = f"sms webhook HTTP {reply.status}"
    if http.transient(reply):
        return http.retry(reply, reason)
    return Outcome("failed", reason)


def build_sms(settings: Settings) -> SmsSender | None:
    """The webhook sender when `TONGBAN_SMS_WEBHOOK_URL` is set, else None (no escalation)."""
    if not settings.sms_webhook_url:
        return None
    token_file = settings.sms_webhook_token_file
    token = token_file.read_text().strip() if token_file is not None else ""
    pool = http.Pool(timeout=settings.push_timeout_seconds, connections=settings.push_connections)
    return WebhookSms(settings.sms_webhook_url, token=token, pool=pool)
