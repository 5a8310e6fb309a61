"""Unit 回执 (单位回执): a unit addressed by a meeting call answers for itself.

The unit's contact — a clerk of its desk (its own, or the 办公室 it names), one of its leaders
or admins (`directory.routing` R9) — names who attends for the unit: anyone holding a post in
the unit or under it, invited or not. The reply is the unit's answer for all its recipients:
those named attend (one not invited becomes a recipient with the same rights, as a substitute
does); the unit's other recipients become `not_named` (单位未派: neither expected nor
declined). Someone named may still answer for themselves afterwards, and the contact may reply
again — the new list replaces the old — until answers close (the RSVP deadline, or the start).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from core.clock import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error
from core.tx import Work, atomic
from directory.auth import Actor
from directory.desks import answers_for
from directory.models import Person, Position, Unit
from notices.events import PUBLISHED, RECEIPT, UNIT_REPLY, notice_brief, receipt_payload, user
from notices.models import Notice, NoticeRecipient, NoticeUnitReply
from notices.policy import Answer
from notices.queries import NoticeAccess, addressed, contact_units
from notices.receipts import require_open_meeting


async def access_unit(access: NoticeAccess, unit_id: int, *, actor: Actor) -> Unit:
    """An addressed unit of the meeting call, for its publisher or its contacts: 404 when
    the call does not address it, 403 when the actor neither published it nor answers for it."""
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None or not await addressed(access.notice, [unit]):
        raise NotFound("This meeting call does not address that unit.")
    if not access.is_publisher and unit not in await contact_units(actor.id, access.notice):
        raise Forbidden("Only the unit's contact (its desk's clerk, a leader or an admin) may "
                        "answer for it.", slug="not-unit-contact")
    return unit


async def check_attendees(notice: Notice, unit: Unit, attendees: list[int]) -> None:
    """Active people of the unit (or of a unit under it), once each, not the organiser."""
    def refused(msg: str, slug: str) -> Unprocessable:
        return Unprocessable(msg, errors=[field_error(["attendees"], msg, slug)])

    if len(set(attendees)) != len(attendees) or notice.publisher_id in attendees:
        raise refused("Name each attendee once, and not the organiser.", "bad_attendee")
    found = set(await Position.filter(person_id__in=attendees, person__active=True,
                                      unit__path__startswith=unit.path)
                .values_list("person_id", flat=True)) if attendees else set()
    outside = sorted(set(attendees) - found)
    if outside:
        raise refused(f"People {outside} are not of this unit.", "attendee_outside_unit")


async def do_reply_for_unit(notice: Notice, unit: Unit, *, actor: Actor, attendees: list[int],
                            note: str) -> NoticeUnitReply:
    """The unit's 回执 (rules in the module docstring). Who may: the unit's contact, while
    answers are open (409 after). Emits `notice.receipt` to each recipient whose answer it
    set, `notice.published` to attendees newly invited, and `notice.unit_reply` to the
    publisher."""
    now = utcnow()
    require_open_meeting(notice, now)
    if not await answers_for(actor.id, unit.id):
        raise Forbidden("Only the unit's contact may answer for it.", slug="not-unit-contact")
    await check_attendees(notice, unit, attendees)
    async with atomic() as work:
        reply = await _save(notice, unit, actor=actor, attendees=attendees, note=note, now=now)
        await _answer_for_unit(work, notice, unit, attendees, now)
        work.audit("notice.unit_reply", "notice", notice.id, unit_id=unit.id,
                   attendees=attendees)
        work.emit(UNIT_REPLY, user(notice.publisher_id),
                  {**notice_brief(notice), "unit_id": unit.id, "attendees": attendees,
                   "by": actor.id})
    return reply


async def _save(notice: Notice, unit: Unit, *, actor: Actor, attendees: list[int], note: str,
                now: datetime) -> NoticeUnitReply:
    values: dict[str, Any] = {"attendees": attendees, "note": note,
                              "answered_by_id": actor.id, "answered_at": now}
    if await NoticeUnitReply.filter(notice_id=notice.id, unit_id=unit.id).update(**values):
        return await NoticeUnitReply.get(notice_id=notice.id, unit_id=unit.id)
    try:
        return await NoticeUnitReply.create(notice_id=notice.id, unit_id=unit.id, **values)
    except IntegrityError as exc:
        raise Conflict("The unit's reply changed meanwhile; look again.",
                       slug="answer-changed") from exc


async def _answer_for_unit(work: Work, notice: Notice, unit: Unit, attendees: list[int],
                           now: datetime) -> None:
    answered = {"rsvp_reason": None, "rsvp_at": now, "reconfirm": False, "substitute_id": None}
    rows = NoticeRecipient.filter(notice_id=notice.id)
    invited = set(await rows.filter(person_id__in=attendees).values_list("person_id", flat=True)
                  ) if attendees else set()
    if invited:
        await rows.filter(person_id__in=list(invited)).update(rsvp=Answer.ATTEND.value,
                                                              **answered)
    others = rows.filter(unit_id=unit.id)
    if attendees:
        others = others.exclude(person_id__in=attendees)
    await others.update(rsvp=Answer.NOT_NAMED.value, **answered)
    fresh = [p for p in attendees if p not in invited]
    await _invite(work, notice, unit, fresh, now)
    changed = Q(unit_id=unit.id) | Q(person_id__in=attendees) if attendees else Q(unit_id=unit.id)
    for row in await rows.filter(changed).exclude(person_id__in=fresh or [0]):
        work.emit(RECEIPT, user(row.person_id), receipt_payload(row))


async def _invite(work: Work, notice: Notice, unit: Unit, people: list[int],
                  now: datetime) -> None:
    """Attendees the call did not invite become recipients, attending for the unit."""
    if not people:
        return
    await NoticeRecipient.bulk_create([
        NoticeRecipient(notice_id=notice.id, person_id=pid, unit_id=unit.id, delivered_at=now,
                        rsvp=Answer.ATTEND.value, rsvp_at=now) for pid in people])
    await Notice.filter(id=notice.id).update(recipient_count=F("recipient_count") + len(people))
    for pid in people:
        work.emit(PUBLISHED, user(pid), {**notice_brief(notice), "named_by_unit": unit.id})


async def unit_replies_of(notice: Notice) -> list[dict[str, Any]]:
    """Every unit's reply to the call, for the publisher's statistics."""
    replies = await NoticeUnitReply.filter(notice_id=notice.id).prefetch_related("unit") \
        .order_by("unit_id")
    return [await unit_reply_public(notice, reply.unit) for reply in replies]


async def unit_reply_public(notice: Notice, unit: Unit) -> dict[str, Any]:
    """The unit's reply as its contact and the publisher see it (who attends, by name)."""
    reply = await NoticeUnitReply.get_or_none(notice_id=notice.id, unit_id=unit.id)
    ids = [*(reply.attendees if reply else []), *([reply.answered_by_id] if reply else [])]
    names = dict(await Person.filter(id__in=ids).values_list("id", "display_name")) if ids else {}
    return {
        "notice_id": notice.id, "unit": {"id": unit.id, "name": unit.name},
        "answered": reply is not None,
        "attendees": [{"id": pid, "display_name": names.get(pid, "")}
                      for pid in (reply.attendees if reply else [])],
        "note": reply.note if reply else "",
        "answered_by": {"id": reply.answered_by_id,
                        "display_name": names.get(reply.answered_by_id, "")} if reply else None,
        "answered_at": isoformat(reply.answered_at) if reply else None,
    }
