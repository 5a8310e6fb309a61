"""A push gateway in the shape of the Matrix push gateway API (`/_matrix/push/v1/notify`): for
Xiaomi, OPPO, vivo and Honor phones, or a deployment's own relay to any vendor.

Each notification is one POST of `{"notification": {...}}` to `TONGBAN_PUSH_GATEWAY_URL` (the
full notify URL): `event_id` = the collapse id, `type` = the rule's kind, `prio` high for
urgent ones, `counts.unread` = the badge, `content` = the generic line (and the preview where
allowed) with the record ids, and `devices` = [{app_id, pushkey}]. A withdrawal is the same
with `content.withdraw`. The gateway answers 200 `{"rejected": [pushkey, …]}`: a rejected
pushkey is dead and its channel is disabled."""

from __future__ import annotations

from typing import Any

from push.providers import http
from push.providers.base import Notification, Outcome
from push.providers.payload import alert_text, collapse_id, fields


class GatewayProvider:
    name = "gateway"

    def __init__(self, url: str, *, pool: http.Pool) -> None:
        self._url, self._pool = url, pool

    @classmethod
    def from_url(cls, url: str, *, timeout: float, connections: int) -> GatewayProvider:
        return cls(url, pool=http.Pool(timeout=timeout, connections=connections))

    async def send(self, notification: Notification) -> Outcome:
        try:
            reply = await self._pool.post(self._url, json=request(notification))
        except http.UNREACHABLE as error:
            return http.unreachable(error)
        return outcome(reply, notification)

    async def close(self) -> None:
        await self._pool.close()


def outcome(reply: http.Reply, notification: Notification) -> Outcome:
    if reply.status == 200:
        return _accepted(reply, notification)
    reason = f"gateway HTTP {reply.status}"
    if http.transient(reply):
        return http.retry(reply, reason)
    return Outcome("failed", reason)


def _accepted(reply: http.Reply, notification: Notification) -> Outcome:
    try:
        rejected = reply.json().get("rejected", [])
    except (ValueError, AttributeError):
        return Outcome("failed", "gateway answered 200 without JSON")
    if notification.token in rejected:
        return Outcome("invalid", "gateway rejected the pushkey")
    return Outcome("sent")


def request(notification: Notification) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "event_id": collapse_id(notification), "type": notification.kind,
        "prio": "high" if notification.urgent else "low",
        "counts": {"unread": notification.badge}, "content": _content(notification),
        "devices": [{"app_id": notification.app_id, "pushkey": notification.token}],
    }
    return {"notification": shown}


def _content(notification: Notification) -> dict[str, Any]:
    content: dict[str, Any] = {**fields(notification), "withdraw": notification.withdraw}
    if not notification.withdraw:
        title, text = alert_text(notification)
        content.update(line=text, **({"title": title} if title else {}))
    return content
