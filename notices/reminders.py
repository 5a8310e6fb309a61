"""Reminders (提醒): scheduled ones before meetings and deadlines, and the publisher's own.

Scheduled reminders are scheduler jobs, keyed per notice and reason, so they run once across
all server processes and move when the notice's times move. Each goes only to those who still
owe something: attendees before the meeting, the unconfirmed before the confirmation deadline,
the unanswered before the RSVP deadline. No quiet-hours store exists yet: every reminder
carries `alert` (true only for urgent notices), and phones stay silent for the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from core.clock import isoformat, utcnow
from core.errors import Conflict, TooManyRequests, Unprocessable
from core.scheduler import cancel, register_job, schedule
from core.tx import atomic
from directory.auth import Actor
from notices.events import REMINDER, reminder_payload
from notices.fanout import lock_published, notify_recipients
from notices.models import Notice
from notices.policy import REMIND_UNCONFIRMED_EVERY, Kind, Reminder, State, rsvp_closes_at

JOB = "notices.remind"
TARGET = {
    Reminder.MEETING_SOON: "attending",
    Reminder.CONFIRM_DEADLINE: "unconfirmed",
    Reminder.RSVP_DEADLINE: "unanswered",
}


def _moments(notice: Notice) -> dict[Reminder, datetime | None]:
    meeting = notice.kind == Kind.MEETING
    return {
        Reminder.MEETING_SOON: notice.starts_at if meeting else None,
        Reminder.CONFIRM_DEADLINE:
            notice.confirm_deadline if notice.requires_confirmation else None,
        Reminder.RSVP_DEADLINE: notice.rsvp_deadline if meeting else None,
    }


def _key(notice_id: int, reason: Reminder) -> str:
    return f"notice:{notice_id}:remind:{reason.value}"


def _due(notice: Notice, moment: datetime | None) -> datetime | None:
    return moment - timedelta(minutes=notice.remind_before_minutes) if moment else None


async def schedule_reminders(notice: Notice) -> None:
    """(Re)schedule every reminder of a notice; those whose time has gone are dropped.

    Call inside the transaction that publishes or changes the notice.
    """
    now = utcnow()
    for reason, moment in _moments(notice).items():
        due = _due(notice, moment)
        if due is None or due <= now:
            await cancel(_key(notice.id, reason))
            continue
        await schedule(JOB, key=_key(notice.id, reason), due_at=due,
                       payload={"notice_id": notice.id, "reason": reason.value,
                                "due_at": isoformat(due)})


async def cancel_reminders(notice: Notice) -> None:
    for reason in Reminder:
        if reason in TARGET:
            await cancel(_key(notice.id, reason))


async def run_reminder(payload: dict[str, Any]) -> None:
    """Job handler: remind those who still owe something, unless the notice moved or ended."""
    reason = Reminder(payload["reason"])
    async with atomic() as work:
        notice = await lock_published(payload["notice_id"])
        if notice is None:
            return
        due = _due(notice, _moments(notice)[reason])
        if due is None or isoformat(due) != payload["due_at"]:
            return  # moved since this run was claimed: the rescheduled job will remind
        count = await notify_recipients(
            work, notice, REMINDER, reminder_payload(notice, reason.value), target=TARGET[reason]
        )
        work.audit("notice.remind", "notice", notice.id, reason=reason.value, recipients=count)


def default_target(notice: Notice, now: datetime) -> str:
    """Whom the publisher's reminder is for, unless they say: whoever owes the next answer."""
    closes = rsvp_closes_at(notice.rsvp_deadline, notice.starts_at)
    if notice.kind == Kind.MEETING and closes is not None and now < closes:
        return "unanswered"
    return "unconfirmed" if notice.requires_confirmation else "unread"


def _check_target(notice: Notice, target: str) -> None:
    if target == "unconfirmed" and not notice.requires_confirmation:
        raise Unprocessable("This notice asks for no confirmation.", slug="no-confirmation")
    if target == "unanswered" and notice.kind != Kind.MEETING:
        raise Unprocessable("Only meeting calls are answered.", slug="not-a-meeting")


async def do_remind_notice(notice: Notice, *, actor: Actor, target: str | None) -> dict[str, Any]:
    """The publisher reminds those who have not yet read, confirmed or answered (催办提醒).

    At most once per 5 minutes per notice, across all processes (429 with Retry-After).
    Emits `notice.reminder` (reason `publisher`) to each of them.
    """
    if notice.state != State.PUBLISHED:
        raise Conflict("Only a published notice can be reminded of.")
    now = utcnow()
    chosen = target or default_target(notice, now)
    _check_target(notice, chosen)
    async with atomic() as work:
        await _take_turn(notice, now)
        count = await notify_recipients(
            work, notice, REMINDER, reminder_payload(notice, Reminder.PUBLISHER.value),
            target=chosen,
        )
        work.audit("notice.remind", "notice", notice.id, reason="publisher", target=chosen,
                   recipients=count)
    return {"notice_id": notice.id, "target": chosen, "reminded": count}


async def _take_turn(notice: Notice, now: datetime) -> None:
    """Claim the reminder slot with a conditional update, so two requests cannot both win."""
    since = now - REMIND_UNCONFIRMED_EVERY
    took = await Notice.filter(
        Q(last_reminded_at=None) | Q(last_reminded_at__lte=since), id=notice.id
    ).update(last_reminded_at=now)
    if took:
        return
    last = (await Notice.get(id=notice.id)).last_reminded_at or now
    wait = (last + REMIND_UNCONFIRMED_EVERY - now).total_seconds()
    raise TooManyRequests("You reminded them less than 5 minutes ago.",
                          retry_after=int(wait) + 1)


def register_jobs() -> None:
    register_job(JOB, run_reminder)
