"""What recipients do: read (已读), confirm receipt (确认收到), answer a meeting call (参会回执),
send a substitute (委派代参) and check in (签到).

Every change is a conditional update on the recipient's own row, so a double tap or two
devices at once change it once. Receipts go to the recipient's own devices (`notice.receipt`);
answers and check-ins also to the publisher, never to other recipients.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from core.clock import utcnow
from core.errors import Conflict, TooManyRequests, Unprocessable, field_error
from core.ratelimit import RateLimiter
from core.tx import Work, atomic
from directory.auth import Actor
from directory.models import Person, Position, Unit
from notices.checkin_code import code_matches
from notices.events import (
    CHECKED_IN, CONFIRMED, PUBLISHED, RECEIPT, RSVP, notice_brief, receipt_payload, user,
)
from notices.models import Notice, NoticeRecipient
from notices.policy import Answer, Kind, MeetingTimes, State, rsvp_closes_at
from notices.queries import NoticeAccess, meeting_times
from notices.selection import NOT_SUBSTITUTED

# Six digits in a 60-second window: five wrong tries a minute per person and meeting.
wrong_codes = RateLimiter(limit=5, window_seconds=60)


async def _reload(row: NoticeRecipient) -> NoticeRecipient:
    await row.refresh_from_db()
    return row


async def do_read_notice(access: NoticeAccess, *, actor: Actor) -> NoticeRecipient:
    """Mark the notice read (and delivered). Recipients only. On the first read, emits
    `notice.receipt` to the reader's own devices."""
    row = access.own_receipt()
    now = utcnow()
    async with atomic() as work:
        await NoticeRecipient.filter(id=row.id, delivered_at=None).update(delivered_at=now)
        if await NoticeRecipient.filter(id=row.id, read_at=None).update(read_at=now):
            await _record(work, access.notice, await _reload(row), "notice.read")
    return await _reload(row)


async def _record(work: Work, notice: Notice, row: NoticeRecipient, action: str,
                  **detail: Any) -> None:
    work.audit(action, "notice", notice.id, person_id=row.person_id, **detail)
    work.emit(RECEIPT, user(row.person_id), receipt_payload(row))


async def do_confirm_notice(access: NoticeAccess, *, actor: Actor) -> NoticeRecipient:
    """Confirm receipt (确认收到) of a notice that asks for it; reading is implied.

    Recipients only; 409 if the notice asks for no confirmation or is no longer live. Emits
    `notice.receipt` to the recipient's own devices and `notice.confirmed` to the publisher
    (whose statistics, in the web console, follow confirmations live).
    """
    row, notice = access.own_receipt(), access.notice
    if not notice.requires_confirmation:
        raise Conflict("This notice asks for no confirmation.", slug="no-confirmation")
    _require_published(notice)
    now = utcnow()
    async with atomic() as work:
        await NoticeRecipient.filter(id=row.id, read_at=None).update(read_at=now)
        if await NoticeRecipient.filter(id=row.id, confirmed_at=None).update(confirmed_at=now):
            confirmed = await _reload(row)
            await _record(work, notice, confirmed, "notice.confirm")
            work.emit(CONFIRMED, user(notice.publisher_id), receipt_payload(confirmed))
    return await _reload(row)


def _require_published(notice: Notice) -> None:
    if notice.state != State.PUBLISHED:
        raise Conflict(f"This notice is {notice.state}.", slug=f"notice-{notice.state}")


def require_open_meeting(notice: Notice, now: datetime) -> None:
    if notice.kind != Kind.MEETING:
        raise Conflict("This is a notice, not a meeting call.", slug="not-a-meeting")
    _require_published(notice)
    closes = rsvp_closes_at(notice.rsvp_deadline, notice.starts_at)
    if closes is not None and now >= closes:
        raise Conflict("Answers to this meeting call are closed.", slug="rsvp-closed")


async def do_answer_rsvp(
    access: NoticeAccess, *, actor: Actor, answer: Answer, reason: str | None,
    substitute_id: int | None,
) -> NoticeRecipient:
    """Answer a meeting call before its RSVP deadline: attend, decline (with a reason), or
    send a substitute: anyone of the unit the recipient was addressed through (or of a unit
    under it), invited or not. One not invited becomes a recipient with the same rights; one
    invited already now attends in the recipient's place.

    Answers may change until the deadline, except after sending a substitute. Emits
    `notice.receipt` to the recipient, `notice.rsvp` to the publisher and, for a substitute,
    `notice.published` to a newly invited one or `notice.receipt` to an invited one.
    """
    row, notice, now = access.own_receipt(), access.notice, utcnow()
    require_open_meeting(notice, now)
    if row.rsvp == Answer.SUBSTITUTE:
        raise Conflict("You have sent a substitute to this meeting.", slug="substituted")
    if answer == Answer.SUBSTITUTE:
        assert substitute_id is not None
        return await _send_substitute(notice, row, substitute_id=substitute_id, reason=reason)
    kept_reason = reason if answer == Answer.DECLINE else None
    if (row.rsvp, row.rsvp_reason, row.reconfirm) == (answer.value, kept_reason, False):
        return row  # the same answer again (a retry, a double tap): nothing changes
    async with atomic() as work:
        await _answer(row, rsvp=answer.value, rsvp_reason=kept_reason, rsvp_at=now)
        await _announce_answer(work, notice, await _reload(row))
    return row


async def _answer(row: NoticeRecipient, **changes: Any) -> None:
    """Change the answer only if it is still the one read (`rsvp IS NULL` matches None)."""
    changed = await NoticeRecipient.filter(id=row.id, rsvp=row.rsvp).update(
        reconfirm=False, **changes
    )
    if not changed:
        raise Conflict("Your answer changed meanwhile; look again.", slug="answer-changed")
    await NoticeRecipient.filter(id=row.id, read_at=None).update(read_at=changes["rsvp_at"])


async def _announce_answer(work: Work, notice: Notice, row: NoticeRecipient) -> None:
    await _record(work, notice, row, "notice.rsvp", answer=row.rsvp,
                  substitute_id=row.substitute_id)
    work.emit(RSVP, user(notice.publisher_id), receipt_payload(row))


def _bad_substitute(msg: str, slug: str) -> Unprocessable:
    return Unprocessable(msg, errors=[field_error(["substitute_id"], msg, slug)])


async def _substitute(notice: Notice, row: NoticeRecipient, person_id: int
                      ) -> NoticeRecipient | None:
    """Check the substitute; their own receipt if they are invited already."""
    person = await Person.get_or_none(id=person_id, active=True)
    if person is None or person_id in (row.person_id, notice.publisher_id):
        raise _bad_substitute("Choose someone else: an active person who is neither you nor "
                              "the organiser.", "bad_substitute")
    if row.unit_id is not None and not await _of_unit(person_id, row.unit_id):
        raise _bad_substitute("A substitute comes from the unit you were invited through.",
                              "substitute_outside_unit")
    theirs = await NoticeRecipient.get_or_none(notice_id=notice.id, person_id=person_id)
    if theirs is not None and (theirs.substitute_for_id or theirs.rsvp == Answer.SUBSTITUTE):
        raise Conflict("That person already stands in for someone, or sent a substitute.",
                       slug="already-substituting")
    return theirs


async def _of_unit(person_id: int, unit_id: int) -> bool:
    """Whether the person holds a post in the unit or in a unit under it."""
    path = await Unit.filter(id=unit_id).values_list("path", flat=True)
    return bool(path) and await Position.filter(
        person_id=person_id, unit__path__startswith=str(path[0])).exists()


async def _send_substitute(
    notice: Notice, row: NoticeRecipient, *, substitute_id: int, reason: str | None
) -> NoticeRecipient:
    invited = await _substitute(notice, row, substitute_id)
    now = utcnow()
    async with atomic() as work:
        await _answer(row, rsvp=Answer.SUBSTITUTE.value, rsvp_reason=reason, rsvp_at=now,
                      substitute_id=substitute_id)
        if invited is not None:
            await _stand_in(work, notice, invited, row, now)
        else:
            await _invite_substitute(work, notice, row, substitute_id, now)
        await _announce_answer(work, notice, await _reload(row))
    return row


async def _stand_in(work: Work, notice: Notice, invited: NoticeRecipient,
                    row: NoticeRecipient, now: datetime) -> None:
    """An invited substitute attends in the recipient's place (their own answer gives way)."""
    if not await NoticeRecipient.filter(NOT_SUBSTITUTED, id=invited.id, substitute_for_id=None)\
            .update(substitute_for_id=row.id, rsvp=Answer.ATTEND.value, rsvp_reason=None,
                    rsvp_at=now, reconfirm=False):
        raise Conflict("That person's answer changed meanwhile; look again.",
                       slug="answer-changed")
    await _record(work, notice, await _reload(invited), "notice.stand_in", for_id=row.person_id)


async def _invite_substitute(work: Work, notice: Notice, row: NoticeRecipient,
                             substitute_id: int, now: datetime) -> None:
    try:
        await NoticeRecipient.create(
            notice_id=notice.id, person_id=substitute_id, unit_id=row.unit_id,
            substitute_for_id=row.id, delivered_at=now,
        )
    except IntegrityError as exc:
        raise Conflict("That person was invited meanwhile; look again.",
                       slug="already-invited") from exc
    await Notice.filter(id=notice.id).update(recipient_count=F("recipient_count") + 1)
    work.emit(PUBLISHED, user(substitute_id),
              {**notice_brief(notice), "substitute_for": row.person_id})


async def do_check_in(access: NoticeAccess, *, actor: Actor, code: str) -> NoticeRecipient:
    """Check in (签到) with the code on the organiser's screen during the check-in window.

    Recipients who have not sent a substitute; after the late mark they are marked late.
    Wrong or expired codes are 422, and five of them a minute are 429. Emits
    `notice.receipt` to the recipient and `notice.checked_in` to the organiser.
    """
    row, notice, now = access.own_receipt(), access.notice, utcnow()
    times = _checkin_times(notice, row, now)
    if row.checked_in_at is not None:
        return row
    _check_code(notice, actor, code, now)
    async with atomic() as work:
        late = times.is_late(now)
        if await NoticeRecipient.filter(id=row.id, checked_in_at=None).update(
            checked_in_at=now, late=late
        ):
            await _record(work, notice, await _reload(row), "notice.checkin", late=late)
            work.emit(CHECKED_IN, user(notice.publisher_id), receipt_payload(row))
    return await _reload(row)


def _checkin_times(notice: Notice, row: NoticeRecipient, now: datetime) -> MeetingTimes:
    times = meeting_times(notice)
    _require_published(notice)
    if row.rsvp == Answer.SUBSTITUTE:
        raise Conflict("You sent a substitute to this meeting.", slug="substituted")
    if not times.checkin_open(now):
        raise Conflict("Check-in is not open now.", slug="checkin-closed")
    return times


def _check_code(notice: Notice, actor: Actor, code: str, now: datetime) -> None:
    key = f"{notice.id}:{actor.id}"
    wait = wrong_codes.retry_after(key)
    if wait is not None:
        raise TooManyRequests("Too many wrong codes; wait a little.", retry_after=wait)
    if not code_matches(notice.checkin_secret or "", code, now):
        wrong_codes.hit(key)
        msg = "The code is wrong or has expired; use the one shown now."
        raise Unprocessable(msg, slug="wrong-checkin-code",
                            errors=[field_error(["code"], msg, "wrong_code")])
