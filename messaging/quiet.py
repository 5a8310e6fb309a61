"""Quiet hours (免打扰时段): each person's do-not-disturb window.

Message events are shared by every member (`conv:{id}`), so the server does not stamp them
per person; a phone compares the event with its person's window, which this module serves.
Urges (`message.urged`) go to each person alone and always carry `alert: true`.
"""

from __future__ import annotations

from typing import Any

from core.clock import utcnow
from core.tx import atomic
from directory.auth import Actor
from messaging.models import QuietHours
from messaging.policy import QuietWindow, parse_clock


def quiet_public(row: QuietHours | None) -> dict[str, Any]:
    if row is None:
        return {"enabled": False, "start": None, "end": None, "timezone": "Asia/Shanghai",
                "active": False}
    window = QuietWindow(parse_clock(row.start), parse_clock(row.end), row.timezone)
    return {"enabled": row.enabled, "start": row.start, "end": row.end,
            "timezone": row.timezone, "active": row.enabled and window.active(utcnow())}


async def get_quiet_hours(actor: Actor) -> dict[str, Any]:
    return quiet_public(await QuietHours.get_or_none(person_id=actor.id))


async def do_set_quiet_hours(*, actor: Actor, enabled: bool, start: str, end: str,
                             timezone: str) -> dict[str, Any]:
    """Set my own quiet hours; my devices hear `quiet_hours.changed` so they agree at once."""
    async with atomic() as work:
        changed = await QuietHours.filter(person_id=actor.id).update(
            enabled=enabled, start=start, end=end, timezone=timezone, updated_at=utcnow())
        if not changed:
            await QuietHours.create(person_id=actor.id, enabled=enabled, start=start, end=end,
                                    timezone=timezone)
        work.audit("quiet_hours.set", "person", actor.id, enabled=enabled, start=start, end=end,
                   timezone=timezone)
        row = await QuietHours.get(person_id=actor.id)
        public = quiet_public(row)
        work.emit("quiet_hours.changed", f"user:{actor.id}", public)
    return public
