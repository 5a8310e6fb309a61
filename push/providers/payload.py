"""The fields every push carries to the app, the same for every vendor: flat strings, because
FCM and HMS data maps take nothing else.

`kind` (the rule's kind, e.g. `document.to_sign`), `collapse_id` (what a later push or a
withdrawal replaces), `badge` (the person's to-do count), the record ids from
`Notification.data`, and `withdraw: "1"` on a withdrawal, which tells the app to remove the
notification shown under `collapse_id`. No title, sender or body: those travel only as the
visible alert, and only where the deployment allows previews."""

from __future__ import annotations

from push.providers.base import Notification

COLLAPSE_LIMIT = 64  # APNs' limit for apns-collapse-id, in bytes; the tightest of the vendors


def fields(notification: Notification) -> dict[str, str]:
    carried = {key: str(value) for key, value in notification.data.items()}
    carried.update(
        kind=notification.kind, collapse_id=collapse_id(notification),
        badge=str(notification.badge),
    )
    if notification.withdraw:
        carried["withdraw"] = "1"
    return carried


def collapse_id(notification: Notification) -> str:
    return notification.collapse_id.encode()[:COLLAPSE_LIMIT].decode(errors="ignore")


def alert_text(notification: Notification) -> tuple[str, str]:
    """(title, body) for the lock screen: the preview when allowed, else no title and the line."""
    if notification.body:
        return notification.title, notification.body
    return notification.title, notification.line
