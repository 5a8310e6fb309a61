"""Quiet hours (免打扰时段) as push applies them: when a held-back push may go out."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from push.sources import QuietHours


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(window: QuietHours, now: datetime) -> datetime | None:
    """The end of the quiet window `now` falls in (UTC), or None when it is not quiet now.

    A window whose end is before its start runs overnight (22:00–07:00); equal ends mean none.
    """
    try:
        zone = ZoneInfo(window.timezone)
        start, end = _clock(window.start), _clock(window.end)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    local = now.astimezone(zone)
    for day in (local.date() - timedelta(days=1), local.date()):
        opens = datetime.combine(day, start, zone)
        closes = datetime.combine(day if end > start else day + timedelta(days=1), end, zone)
        if start != end and opens <= local < closes:
            return closes.astimezone(now.tzinfo)
    return None
