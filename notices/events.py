"""Event kinds of notices and meetings, and their payloads.

Every event goes to `user:{id}` audiences of the people resolved at sending time: after
resolution there is no unit or group left to address (see `notices.fanout`). Payloads never
carry one recipient's RSVP reason to another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.clock import isoformat
from notices.models import Notice, NoticeRecipient
from notices.policy import Kind, Urgency, alert_for
from notices.schemas import ReceiptPublic
from notices.views import meeting_public, receipt_public

PUBLISHED = "notice.published"  # a new notice or meeting call reached you
CORRECTED = "notice.corrected"  # 更正, or a meeting moved in time or place
WITHDRAWN = "notice.withdrawn"  # 撤回: it is gone from your list
CANCELLED = "notice.cancelled"  # a meeting called off
REMINDER = "notice.reminder"  # 提醒
RECEIPT = "notice.receipt"  # your own receipt changed (read, confirmed, answered, checked in)
RSVP = "notice.rsvp"  # to the publisher: someone answered a meeting call
CHECKED_IN = "notice.checked_in"  # to the publisher: someone checked in
CONFIRMED = "notice.confirmed"  # to the publisher: someone confirmed receipt (确认收到)
UNIT_REPLY_REQUESTED = "notice.unit_reply_requested"  # to a unit's contacts: answer for it
UNIT_REPLY = "notice.unit_reply"  # to the publisher: a unit named who attends


def user(person_id: int) -> str:
    return f"user:{person_id}"


def _when(moment: Any) -> str | None:
    return isoformat(moment) if moment is not None else None


def meeting_brief(notice: Notice) -> dict[str, Any] | None:
    """When and where, without the agenda: events stay small however many there are."""
    meeting = meeting_public(notice)
    if meeting is None:
        return None
    return {name: meeting[name] for name in ("starts_at", "ends_at", "location", "online_url")}


def notice_brief(notice: Notice) -> dict[str, Any]:
    """What a phone needs to show and sort a notice without fetching it."""
    return {
        "notice_id": notice.id, "kind": notice.kind, "title": notice.title,
        "urgency": notice.urgency, "alert": alert_for(notice.urgency),
        "revision": notice.revision, "publisher_id": notice.publisher_id,
        "requires_confirmation": notice.requires_confirmation,
        "confirm_deadline": _when(notice.confirm_deadline),
        "rsvp_deadline": _when(notice.rsvp_deadline), "meeting": meeting_brief(notice),
    }


def ended_payload(notice: Notice, reason: str) -> dict[str, Any]:
    return {"notice_id": notice.id, "kind": notice.kind, "title": notice.title, "reason": reason,
            "alert": alert_for(notice.urgency)}


def corrected_payload(
    notice: Notice, *, changed: list[str], before: dict[str, Any], after: dict[str, Any],
    note: str, reconfirm: bool,
) -> dict[str, Any]:
    return {**notice_brief(notice), "changed": changed, "before": before, "after": after,
            "note": note, "reconfirm": reconfirm}


def reminder_payload(notice: Notice, reason: str) -> dict[str, Any]:
    return {**notice_brief(notice), "reason": reason}


def receipt_payload(row: NoticeRecipient) -> dict[str, Any]:
    """A recipient's own receipt: only ever sent to that recipient (and to the publisher)."""
    return {"notice_id": row.notice_id, **receipt_public(row)}


class NoticeBriefData(BaseModel):
    """What a phone needs to show and sort a notice without fetching it."""

    model_config = ConfigDict(extra="allow")
    notice_id: int
    kind: Kind
    title: str
    urgency: Urgency
    alert: bool = Field(description="Ring loudly (急件, 特急).")
    revision: int
    publisher_id: int
    requires_confirmation: bool
    confirm_deadline: datetime | None
    rsvp_deadline: datetime | None
    meeting: dict[str, Any] | None = Field(description="starts_at, ends_at, location, "
                                                       "online_url; null for a notice.")


class CorrectedData(NoticeBriefData):
    changed: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
    note: str
    reconfirm: bool


class ReminderData(NoticeBriefData):
    reason: str


class UnitReplyRequestedData(NoticeBriefData):
    """To a unit's contacts: answer the meeting call for the unit (单位回执)."""

    unit_id: int


class UnitReplyData(NoticeBriefData):
    """To the publisher: a unit's contact named who attends for the unit (单位回执)."""

    unit_id: int
    attendees: list[int]
    by: int = Field(description="The contact who answered for the unit.")


class EndedData(BaseModel):
    """Withdrawn (撤回) or cancelled (取消会议): it is gone from your list."""

    model_config = ConfigDict(extra="allow")
    notice_id: int
    kind: Kind
    title: str
    reason: str
    alert: bool


class ReceiptData(ReceiptPublic):
    """A receipt (回执): your own, or (to the publisher) someone's confirmation, RSVP or
    check-in."""

    model_config = ConfigDict(extra="allow")
    notice_id: int


EVENTS: dict[str, type[BaseModel]] = {
    PUBLISHED: NoticeBriefData, CORRECTED: CorrectedData, REMINDER: ReminderData,
    WITHDRAWN: EndedData, CANCELLED: EndedData, RECEIPT: ReceiptData, RSVP: ReceiptData,
    CHECKED_IN: ReceiptData, CONFIRMED: ReceiptData,
    UNIT_REPLY_REQUESTED: UnitReplyRequestedData, UNIT_REPLY: UnitReplyData,
}
