"""Rules of notices and meetings that need no database: states, answers, windows, reach."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

REMIND_UNCONFIRMED_EVERY = timedelta(minutes=5)
PUBLISH_GRACE = timedelta(minutes=10)  # a send still `publishing` after this was abandoned
PUBLISHER_ROLES = frozenset({"clerk", "leader", "unit_admin"})


class Kind(StrEnum):
    NOTICE = "notice"  # 通知公告
    MEETING = "meeting"  # 会议通知


class Urgency(StrEnum):
    NORMAL = "normal"  # 平件
    URGENT = "urgent"  # 急件
    CRITICAL = "critical"  # 特急


class State(StrEnum):
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"  # 撤回
    CANCELLED = "cancelled"  # 会议取消
    FAILED = "failed"


class Answer(StrEnum):
    """A recipient's reply to a meeting call (参会回执)."""

    ATTEND = "attend"  # 参加
    DECLINE = "decline"  # 请假
    SUBSTITUTE = "substitute"  # 委派代参
    NOT_NAMED = "not_named"  # 单位未派: the unit's 回执 named others (set by the unit, not by hand)


class Reminder(StrEnum):
    """Why a reminder (提醒) was sent."""

    MEETING_SOON = "meeting_soon"
    CONFIRM_DEADLINE = "confirm_deadline"
    RSVP_DEADLINE = "rsvp_deadline"
    PUBLISHER = "publisher"


# Recipients still visible to them: withdrawn notices disappear, cancelled meetings stay marked.
VISIBLE_STATES = (State.PUBLISHED.value, State.CANCELLED.value)


def alert_for(urgency: str) -> bool:
    """Whether a push should sound. No quiet-hours store exists yet: urgent ones always alert,
    the rest never do, so nothing rings at night that is not urgent."""
    return urgency != Urgency.NORMAL


@dataclass(frozen=True)
class MeetingTimes:
    starts_at: datetime
    ends_at: datetime
    checkin_opens_minutes: int
    late_after_minutes: int

    @property
    def checkin_opens_at(self) -> datetime:
        return self.starts_at - timedelta(minutes=self.checkin_opens_minutes)

    @property
    def late_after(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.late_after_minutes)

    def checkin_open(self, now: datetime) -> bool:
        """Check-in (签到) is open from `checkin_opens_minutes` before the start to the end."""
        return self.checkin_opens_at <= now <= self.ends_at

    def is_late(self, now: datetime) -> bool:
        return now > self.late_after


def rsvp_closes_at(rsvp_deadline: datetime | None, starts_at: datetime | None) -> datetime | None:
    """Answers are taken until the RSVP deadline, or the start when there is none."""
    return rsvp_deadline or starts_at


def area_root(chain: list[tuple[str, int]]) -> str:
    """The path of the administrative area a unit belongs to.

    `chain` is (path, level) from the root down to the unit. An office inside a government
    (县政府办公室 under 县) has its parent's level, so its clerks reach the whole county: climb
    while the parent is at the same level.
    """
    path, level = chain[-1]
    for parent_path, parent_level in reversed(chain[:-1]):
        if parent_level != level:
            break
        path = parent_path
    return path


def within(path: str, roots: list[str]) -> bool:
    return any(path.startswith(root) for root in roots)


TIME_FIELDS = frozenset({"starts_at", "ends_at"})


def needs_reconfirmation(changed: list[str]) -> bool:
    """A meeting moved in time (its start or its end) asks everyone to confirm again and its
    attendees to answer again: the new time may not suit them. A new room or link only tells
    them (`notice.corrected`); confirmations and answers stay, since who can come is the same."""
    return bool(TIME_FIELDS.intersection(changed))


def chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
