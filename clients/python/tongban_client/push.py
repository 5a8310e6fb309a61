"""Push to a phone that is asleep (离线推送): attach the device's push channel, set push
settings, and turn a received push payload into the record it points at.

A push carries no title, sender or body by default: only `kind`, the record ids, `badge`,
`collapse_id` and a generic line. `decode_push` reads those fields (every vendor delivers them
as a flat map of strings); `open_push` fetches the record, so the app shows what the server
says now, not what the push said then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tongban_client.base import ApiBase, Json

Id = int | str
# rule kind prefix → (record type, the id field naming it, the path that reads it)
RECORDS: dict[str, tuple[str, str, str]] = {
    "chat.": ("message", "message_id", "/v1/messages/{}"),
    "approval.": ("approval", "chain_id", "/v1/approvals/{}"),
    "document.": ("document", "document_id", "/v1/documents/{}"),
    "notice.": ("notice", "notice_id", "/v1/notices/{}"),
    "task.": ("task", "task_id", "/v1/tasks/{}"),
}
RESERVED = ("kind", "collapse_id", "badge", "withdraw", "notification_id")


@dataclass(frozen=True)
class PushRecord:
    """What a push points at. `withdraw` asks the app to remove the notification shown under
    `collapse_id` (a recalled message, a decided approval); `path` is None for a test push."""

    kind: str
    collapse_id: str
    badge: int
    withdraw: bool
    record_type: str | None
    record_id: int | None
    path: str | None
    ids: dict[str, int] = field(default_factory=dict)


def decode_push(payload: Mapping[str, Any]) -> PushRecord:
    """The record a push payload points at (the vendor's data map, or the gateway's `content`).

    Raises ValueError for a payload without a `kind`."""
    kind = str(payload.get("kind") or "")
    if not kind:
        raise ValueError("not a Tongban push: no kind")
    ids = {name: int(value) for name, value in payload.items()
           if name.endswith("_id") and name not in RESERVED and str(value).isdigit()}
    record_type, record_id, path = _record(kind, ids)
    return PushRecord(kind=kind, collapse_id=str(payload.get("collapse_id") or ""),
                      badge=int(payload.get("badge") or 0),
                      withdraw=str(payload.get("withdraw") or "") in ("1", "true", "True"),
                      record_type=record_type, record_id=record_id, path=path, ids=ids)


def _record(kind: str, ids: dict[str, int]) -> tuple[str | None, int | None, str | None]:
    for prefix, (record_type, id_field, template) in RECORDS.items():
        if kind.startswith(prefix) and id_field in ids:
            return record_type, ids[id_field], template.format(ids[id_field])
    return None, None, None


class PushApi(ApiBase):
    """The device's push channel and the caller's push settings."""

    async def attach_push(self, device_id: Id, provider: str, token: str, app_id: str) -> Json:
        """Attach (or replace) the device's push channel (`provider`: apns, hms, fcm, gateway)."""
        body = {"provider": provider, "token": token, "app_id": app_id}
        return await self._object("PUT", f"/v1/devices/{device_id}/push", body)

    async def push_channel(self, device_id: Id) -> Json:
        """`{provider, app_id, state, disabled_reason, presence, …}`; 404 if none is attached."""
        return await self._object("GET", f"/v1/devices/{device_id}/push")

    async def detach_push(self, device_id: Id) -> None:
        await self.request("DELETE", f"/v1/devices/{device_id}/push")

    async def test_push(self, device_id: Id) -> Json:
        """Queue a test push (「通办推送测试」) to the device."""
        return await self._object("POST", f"/v1/devices/{device_id}/push/test")

    async def push_settings(self) -> Json:
        return await self._object("GET", "/v1/me/push-settings")

    async def set_push_settings(self, *, urgent_during_quiet: bool = True,
                                sms_phone: str | None = None) -> Json:
        body = {"urgent_during_quiet": urgent_during_quiet, "sms_phone": sms_phone}
        return await self._object("PUT", "/v1/me/push-settings", body)

    async def push_status(self) -> Json:
        """Operators: per-provider counts and the outbox depth (administrators only)."""
        return await self._object("GET", "/v1/admin/push/status")

    async def open_push(self, payload: Mapping[str, Any]) -> Json | None:
        """The record a push points at, read now (None for a withdrawal or a test push)."""
        record = decode_push(payload)
        if record.withdraw or record.path is None:
            return None
        return await self._object("GET", record.path)
