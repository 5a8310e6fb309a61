"""The one source of "now", so that timed work can be tested with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC, with an offset that tests (and only tests) may move forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


clock = Clock()


def utcnow() -> datetime:
    return clock.now()


def isoformat(moment: datetime) -> str:
    """ISO 8601 with offset, always in UTC (`2026-11-25T08:00:00+00:00`)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()
