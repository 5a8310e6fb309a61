"""Permission-checked reads of notices: who may see a notice, and the inbox and sent lists.

A notice is seen by its publisher (in every state) and by its recipients while it is
published or cancelled; a meeting call also by the contacts of the units it addresses (their
desk's clerks, leaders and admins: `directory.routing` R9), who answer for their unit
(`notices.unit_replies`). Anyone else gets 404, as does a recipient once it is withdrawn (撤回).
Recipients see their own receipt only: never another's, nor anyone's RSVP reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.clock import isoformat
from core.errors import Conflict, Forbidden, NotFound
from core.http import decode_cursor, page
from directory.auth import Actor
from directory.desks import answered_units
from directory.models import Unit
from notices.checkin_code import STEP_SECONDS, code_at, seconds_left
from notices.models import Notice, NoticeRecipient
from notices.policy import VISIBLE_STATES, Kind, MeetingTimes, State
from notices.views import notice_public, receipt_public


@dataclass
class NoticeAccess:
    notice: Notice
    receipt: NoticeRecipient | None  # the actor's own recipient row, if addressed
    actor_id: int

    @property
    def is_publisher(self) -> bool:
        return self.notice.publisher_id == self.actor_id

    def own_receipt(self) -> NoticeRecipient:
        """The actor's receipt; a publisher who was not addressed has none to change."""
        if self.receipt is None:
            raise Forbidden("You are not a recipient of this notice.")
        return self.receipt


async def access_notice(actor: Actor, notice_id: int) -> NoticeAccess:
    """The notice with the actor's receipt; 404 for missing, not addressed, or withdrawn."""
    notice = await Notice.get_or_none(id=notice_id)
    if notice is None:
        raise NotFound("No such notice.")
    receipt = None
    if notice.state in VISIBLE_STATES:
        receipt = await NoticeRecipient.get_or_none(notice_id=notice.id, person_id=actor.id)
    if receipt is None and notice.publisher_id != actor.id \
            and not await contact_units(actor.id, notice):
        raise NotFound("No such notice.")
    return NoticeAccess(notice, receipt, actor.id)


async def addressed(notice: Notice, units: list[Unit]) -> list[Unit]:
    """Those of `units` the meeting call addresses: named in its audience, or under a named
    one when sub-units are included."""
    audience = notice.audience or {}
    named = [int(u) for u in audience.get("units", [])]  # type: ignore[union-attr]
    if not audience.get("include_subunits"):
        return [u for u in units if u.id in named]
    paths = [str(p) for p in await Unit.filter(id__in=named).values_list("path", flat=True)]
    return [u for u in units if any(u.path.startswith(p) for p in paths)]


async def contact_units(person_id: int, notice: Notice) -> list[Unit]:
    """The addressed units the person answers for, of a live meeting call."""
    if notice.kind != Kind.MEETING or notice.state not in VISIBLE_STATES:
        return []
    ids = await answered_units(person_id)
    return await addressed(notice, list(await Unit.filter(id__in=ids))) if ids else []


async def access_own_notice(actor: Actor, notice_id: int) -> NoticeAccess:
    """As `access_notice`, for the publisher only (a recipient who is not it gets 403)."""
    access = await access_notice(actor, notice_id)
    if not access.is_publisher:
        raise Forbidden("Only the publisher may do this.")
    return access


async def list_inbox(actor: Actor, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """Notices addressed to the actor, newest first, each with the actor's own receipt."""
    query = NoticeRecipient.filter(person_id=actor.id, notice__state__in=list(VISIBLE_STATES))
    result = await _newest_first(query.prefetch_related("notice"), limit=limit, cursor=cursor)
    result["items"] = [
        {**notice_public(row.notice), "receipt": receipt_public(row)} for row in result["items"]
    ]
    return result


async def list_sent(actor: Actor, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """Notices the actor published, newest first, in every state."""
    result = await _newest_first(Notice.filter(publisher_id=actor.id), limit=limit, cursor=cursor)
    result["items"] = [notice_public(notice) for notice in result["items"]]
    return result


async def _newest_first(query: Any, *, limit: int, cursor: str | None) -> dict[str, Any]:
    after = decode_cursor(cursor)
    if after is not None:
        query = query.filter(id__lt=after)
    rows = await query.order_by("-id").limit(limit + 1)
    return page(rows, limit=limit, key=lambda row: row.id)


def meeting_times(notice: Notice) -> MeetingTimes:
    if notice.kind != Kind.MEETING or notice.starts_at is None or notice.ends_at is None:
        raise Conflict("This is a notice, not a meeting call.", slug="not-a-meeting")
    return MeetingTimes(notice.starts_at, notice.ends_at, notice.checkin_opens_minutes,
                        notice.late_after_minutes)


def checkin_code_for(notice: Notice, now: datetime) -> dict[str, Any]:
    """The code the organiser's device shows now (签到码), and how long it stays current."""
    times = meeting_times(notice)
    if notice.state != State.PUBLISHED or not notice.checkin_secret:
        raise Conflict(f"This meeting is {notice.state}.", slug=f"notice-{notice.state}")
    return {
        "notice_id": notice.id, "code": code_at(notice.checkin_secret, now),
        "step_seconds": STEP_SECONDS, "expires_in": seconds_left(now),
        "window_open": times.checkin_open(now),
        "opens_at": isoformat(times.checkin_opens_at), "closes_at": isoformat(times.ends_at),
        "late_after": isoformat(times.late_after),
    }
