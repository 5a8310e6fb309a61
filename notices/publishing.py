"""Sending a notice or meeting call (发布): resolve the audience, store the recipients, go live.

A send to a whole city must not hold the database: the audience is resolved with a few reads
outside any transaction, the notice is created as `publishing` (invisible to recipients), the
recipient rows go in slice by slice, each a short transaction (`notices.addressing`), and a
last transaction flips the notice to `published`, writes the audit entry and the events (or
schedules them, for big audiences: see `notices.fanout`) and the reminders. If the process
dies half-way, a guard job marks the send `failed` after `PUBLISH_GRACE`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from core.clock import utcnow
from core.errors import Forbidden, Unprocessable, field_error
from core.scheduler import cancel, register_job, schedule
from core.tx import atomic
from directory.auth import Actor
from directory.desks import contacts
from files.queries import claim_files
from notices.addressing import insert_recipients
from notices.audience import AudienceSpec, may_publish, plan_audience
from notices.checkin_code import new_secret
from notices.events import PUBLISHED, UNIT_REPLY_REQUESTED, notice_brief, user
from notices.fanout import notify_recipients
from notices.models import Notice, NoticeFile
from notices.policy import PUBLISH_GRACE, Kind, State
from notices.reminders import schedule_reminders
from notices.schemas import NoticeCreate

GUARD_JOB = "notices.abandon"


async def do_publish_notice(
    draft: NoticeCreate, *, actor: Actor, idempotency_key: str | None = None
) -> Notice:
    """Send a notice (通知) or meeting call (会议通知) to the people its audience names now.

    Who may: clerks, leaders and unit admins (units within their area), system admins.
    Emits `notice.published` to every recipient and to the publisher, and for a meeting
    `notice.unit_reply_requested` to the contacts of each unit named in the audience (they
    may answer for the unit: `notices.unit_replies`). A retry with the same
    `Idempotency-Key` returns the first notice and sends nothing new.
    """
    if not await may_publish(actor):
        raise Forbidden("Only clerks, leaders and unit administrators may send notices.")
    if idempotency_key and (earlier := await _earlier(actor, idempotency_key)):
        return earlier
    _check_future(draft, utcnow())
    spec = AudienceSpec(**draft.audience.model_dump())
    plan = await plan_audience(actor, spec)
    files = await claim_files(actor, draft.file_ids)
    named = [(stored.id, stored.name) for stored in files]
    notice, created = await _create(draft, actor=actor, key=idempotency_key, files=named)
    if not created:
        return notice  # a concurrent retry with the same key created it first
    try:
        notice.recipient_count = await insert_recipients(notice.id, plan)
        if not notice.recipient_count:
            raise Unprocessable("The audience names nobody (besides you).", slug="empty-audience")
        asked = await contacts(spec.units) if notice.kind == Kind.MEETING else {}
        return await _go_live(notice, spec=spec, asked=asked)
    except Exception:
        await _discard(notice.id)  # nobody has seen it: leave nothing half-sent behind
        raise


async def _earlier(actor: Actor, key: str) -> Notice | None:
    return await Notice.get_or_none(publisher_id=actor.id, idempotency_key=key)


def _check_future(draft: NoticeCreate, now: datetime) -> None:
    moments = {"confirm_deadline": draft.confirm_deadline, "rsvp_deadline": draft.rsvp_deadline,
               "meeting.starts_at": draft.meeting.starts_at if draft.meeting else None}
    past = [name for name, moment in moments.items() if moment is not None and moment <= now]
    if past:
        raise Unprocessable("These times have already passed.", errors=[
            field_error(tuple(name.split(".")), "must be in the future", "in_the_past")
            for name in past
        ])


def _fields(draft: NoticeCreate) -> dict[str, Any]:
    meeting = draft.meeting
    common = draft.model_dump(include={"kind", "title", "body", "urgency", "requires_confirmation",
                                       "confirm_deadline", "rsvp_deadline", "remind_before_minutes"})
    if meeting is None:
        return common
    return {**common, **meeting.model_dump(), "checkin_secret": new_secret()}


async def _create(
    draft: NoticeCreate, *, actor: Actor, key: str | None, files: list[tuple[int, str]]
) -> tuple[Notice, bool]:
    """The new notice, `publishing`, with its files and its guard job (or an earlier one)."""
    now = utcnow()
    try:
        async with atomic():
            notice = await Notice.create(
                **_fields(draft), publisher_id=actor.id, idempotency_key=key,
                audience=draft.audience.model_dump(), created_at=now,
            )
            await NoticeFile.bulk_create([
                NoticeFile(notice=notice, file_id=fid, name=name, position=n)
                for n, (fid, name) in enumerate(files)
            ])
            await schedule(GUARD_JOB, key=_guard_key(notice.id), due_at=now + PUBLISH_GRACE,
                           payload={"notice_id": notice.id})
    except IntegrityError:
        if key and (earlier := await _earlier(actor, key)):
            return earlier, False
        raise
    return notice, True


async def _discard(notice_id: int) -> None:
    """Remove a send that did not go live (its recipient rows go with it)."""
    async with atomic():
        await Notice.filter(id=notice_id, state=State.PUBLISHING.value).delete()
        await cancel(_guard_key(notice_id))


def _guard_key(notice_id: int) -> str:
    return f"notice:{notice_id}:publishing"


async def _go_live(notice: Notice, *, spec: AudienceSpec, asked: dict[int, list[int]]) -> Notice:
    now = utcnow()
    async with atomic() as work:
        flipped = await Notice.filter(id=notice.id, state=State.PUBLISHING.value).update(
            state=State.PUBLISHED.value, published_at=now, recipient_count=notice.recipient_count
        )
        if not flipped:
            raise Unprocessable("This send was abandoned; send it again.", slug="send-abandoned")
        notice.state, notice.published_at = State.PUBLISHED.value, now
        brief = notice_brief(notice)
        await notify_recipients(work, notice, PUBLISHED, brief, target="undelivered")
        work.emit(PUBLISHED, user(notice.publisher_id), brief)
        for unit_id, people in asked.items():  # each addressed unit's contacts answer for it
            targets = [user(pid) for pid in people if pid != notice.publisher_id]
            if targets:
                work.emit(UNIT_REPLY_REQUESTED, targets, {**brief, "unit_id": unit_id})
        await schedule_reminders(notice)
        await cancel(_guard_key(notice.id))
        work.audit("notice.publish", "notice", notice.id, kind=notice.kind, title=notice.title,
                   recipients=notice.recipient_count, audience=spec.__dict__)
    return notice


async def abandon_publishing(payload: dict[str, object]) -> None:
    """Guard job: a send still `publishing` long after it began was cut off; mark it failed."""
    notice_id = int(str(payload["notice_id"]))
    async with atomic() as work:
        failed = await Notice.filter(id=notice_id, state=State.PUBLISHING.value).update(
            state=State.FAILED.value, ended_at=utcnow(), end_reason="the send was interrupted"
        )
        if failed:
            work.audit("notice.fail", "notice", notice_id)


def register_jobs() -> None:
    register_job(GUARD_JOB, abandon_publishing)

