"""Every change push makes on a person's behalf: attach or detach a device's push channel, set
push settings, and queue a test push."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.clock import utcnow
from core.errors import Conflict
from core.jsonutil import dumps
from core.tx import atomic
from directory.auth import Actor
from directory.models import Device
from push.models import PushChannel, PushNotification, PushSettings


async def do_attach_channel(device: Device, *, actor: Actor, provider: str, token: str,
                            app_id: str) -> PushChannel:
    """Attach (or replace) the push channel of the caller's own device, under this login: logging
    out detaches it. A token another device held is taken from it (one app install, one device).
    A disabled channel comes back to life with its new token. Audited without the token."""
    if device.revoked_at is not None:
        raise Conflict("This device is revoked; register it again.", slug="device-revoked")
    now = utcnow()
    fields: dict[str, Any] = {"person_id": actor.id, "session_id": actor.session_id, "provider": provider,
              "token": token, "app_id": app_id, "state": "active", "disabled_reason": None,
              "updated_at": now}
    async with atomic() as work:
        await PushChannel.filter(provider=provider, token=token).exclude(
            device_id=device.id).delete()
        if not await PushChannel.filter(device_id=device.id).update(**fields):
            await PushChannel.create(device_id=device.id, attached_at=now, **fields)
        work.audit("push.attach", "device", device.id, provider=provider, app_id=app_id)
    return await PushChannel.get(device_id=device.id)


async def do_detach_channel(device: Device, *, actor: Actor) -> bool:
    """Detach the device's push channel (nothing more is pushed to it); False if none was."""
    async with atomic() as work:
        removed = await PushChannel.filter(device_id=device.id).delete()
        if removed:
            work.audit("push.detach", "device", device.id, by=actor.id)
    return bool(removed)


async def do_set_push_settings(*, actor: Actor, urgent_during_quiet: bool,
                               sms_phone: str | None) -> PushSettings:
    """My own push settings: whether 特急/加急 ring through my quiet hours, and the mobile number
    for SMS escalation of 特急 items. Audited (the number itself is not written to the audit)."""
    now = utcnow()
    async with atomic() as work:
        changed = await PushSettings.filter(person_id=actor.id).update(
            urgent_during_quiet=urgent_during_quiet, sms_phone=sms_phone, updated_at=now)
        if not changed:
            await PushSettings.create(person_id=actor.id, urgent_during_quiet=urgent_during_quiet,
                                      sms_phone=sms_phone, updated_at=now)
        work.audit("push.settings", "person", actor.id, urgent_during_quiet=urgent_during_quiet,
                   sms_phone_set=bool(sms_phone))
    return await PushSettings.get(person_id=actor.id)


async def do_queue_test(channel: PushChannel, *, actor_id: int | None,
                        hold: timedelta = timedelta(0)) -> PushNotification:
    """Queue a test push to one channel (from the app's settings page or `tongban push test`).
    `hold` keeps the server's senders off it a while (the CLI sends it itself, at once)."""
    now = utcnow()
    async with atomic() as work:
        row = await PushNotification.create(
            event_id=None, channel_id=channel.id, person_id=channel.person_id,
            provider=channel.provider, kind="push.test", line="通办推送测试",
            collapse_id=f"test:{channel.id}:{int(now.timestamp())}", data=dumps({}),
            due_at=now + hold, created_at=now)
        work.audit("push.test", "device", channel.device_id, by=actor_id)
    return row
