"""Reads of push state: a device's channel, my settings, and the operators'
status (per-provider counts and the outbox depth)."""

from __future__ import annotations

from typing import Any

from core.clock import utcnow
from core.errors import Forbidden, NotFound
from core.rawsql import rows
from directory.auth import Actor
from directory.models import Device
from push.models import PushChannel, PushSettings
from push.sources import sources


async def access_channel(device: Device) -> PushChannel:
    """The push channel of a device already checked as the caller's; 404 if none is attached."""
    channel = await PushChannel.get_or_none(device_id=device.id)
    if channel is None:
        raise NotFound("No push channel is attached to this device.")
    return channel


def channel_public(channel: PushChannel) -> dict[str, Any]:
    foreground = channel.foreground_until is not None and channel.foreground_until > utcnow()
    return {
        "device_id": channel.device_id, "provider": channel.provider, "app_id": channel.app_id,
        "state": channel.state, "disabled_reason": channel.disabled_reason,
        "presence": "foreground" if foreground else "background",
        "attached_at": channel.attached_at, "updated_at": channel.updated_at,
    }


async def my_settings(actor: Actor) -> dict[str, Any]:
    row = await PushSettings.get_or_none(person_id=actor.id)
    quiet = await sources.quiet([actor.id]) if sources.quiet else {}
    window = quiet.get(actor.id)
    return {
        "urgent_during_quiet": row.urgent_during_quiet if row else True,
        "sms_phone": row.sms_phone if row else None,
        "quiet_hours": None if window is None else
        {"start": window.start, "end": window.end, "timezone": window.timezone},
    }


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only an administrator may see push status.")


async def push_status() -> dict[str, Any]:
    """Per provider: sent, retried, failed, invalid, dropped and disabled channels; outbox depth."""
    counts = await rows(
        "SELECT provider, state, COUNT(*) AS n, SUM(CASE WHEN attempts > 1 THEN attempts - 1 "
        "ELSE 0 END) AS retries FROM push_notification GROUP BY provider, state")
    channels = await rows(
        "SELECT provider, state, COUNT(*) AS n FROM push_channel GROUP BY provider, state")
    providers: dict[str, dict[str, int]] = {}
    for row in counts:
        entry = providers.setdefault(row["provider"], _zero())
        entry[row["state"]] = entry.get(row["state"], 0) + int(row["n"])
        entry["retried"] += int(row["retries"] or 0)
    for row in channels:
        entry = providers.setdefault(row["provider"], _zero())
        entry[f"channels_{row['state']}"] = int(row["n"])
    depth = sum(entry.get("pending", 0) for entry in providers.values())
    return {"outbox_depth": depth, "providers": [
        {"provider": name, **{key: entry.get(key, 0) for key in STATUS_KEYS}}
        for name, entry in sorted(providers.items())]}


STATUS_KEYS = ("pending", "sent", "retried", "failed", "invalid", "dropped",
               "channels_active", "channels_disabled")


def _zero() -> dict[str, int]:
    return dict.fromkeys(STATUS_KEYS, 0)
