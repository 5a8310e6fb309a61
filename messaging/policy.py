"""Pure messaging rules (no database): roles, windows, limits and quiet hours."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from messaging.models import ConversationKind, MemberRole

MAX_BODY_CHARS = 5000  # a message's text (length-capped; longer is 413)
MAX_GROUP_MEMBERS = 3000
MAX_MENTIONS = 100
URGE_INTERVAL = timedelta(minutes=5)  # 加急: at most once per 5 minutes per message
MENTION_ALL = "all"
MANAGERS = frozenset({MemberRole.OWNER, MemberRole.ADMIN})
# Holders of these directory roles manage their unit's group (recall any time, @all).
UNIT_MANAGER_ROLES = frozenset({"unit_admin", "leader"})


def recall_window() -> timedelta:
    """How long a sender may recall (撤回) their own message; `TONGBAN_RECALL_WINDOW_SECONDS`."""
    return timedelta(seconds=int(os.environ.get("TONGBAN_RECALL_WINDOW_SECONDS", "120")))


def direct_key(first: int, second: int) -> str:
    """The one key of the direct conversation between two people, whatever their order."""
    low, high = sorted((first, second))
    return f"{low}:{high}"


def is_manager(role: MemberRole | None) -> bool:
    return role in MANAGERS


def may_recall(*, role: MemberRole | None, is_sender: bool, sent_at: datetime,
               now: datetime) -> bool:
    """Owners and admins any time; the sender within the recall window."""
    if is_manager(role):
        return True
    return is_sender and now - sent_at <= recall_window()


def urge_retry_after(urged_at: datetime | None, now: datetime) -> int | None:
    """Seconds until a message may be urged again, or None if it may be now."""
    if urged_at is None or now - urged_at >= URGE_INTERVAL:
        return None
    return max(1, int((urged_at + URGE_INTERVAL - now).total_seconds()) + 1)


def has_membership_rows(kind: str) -> bool:
    """Direct and group conversations list their members; a unit group follows its unit."""
    return kind != ConversationKind.UNIT


@dataclass(frozen=True)
class QuietWindow:
    """Do-not-disturb hours (免打扰) as local times; `end` before `start` spans midnight."""

    start: time
    end: time
    timezone: str

    def active(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone)).time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def parse_clock(text: str) -> time:
    """`HH:MM` (24-hour) to a time; ValueError otherwise."""
    hours, _, minutes = text.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError("use HH:MM, 24-hour")
    return time(int(hours), int(minutes))


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
