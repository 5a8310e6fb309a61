"""Out-of-office delegation (外出委托): while someone is away, steps that open for them go to
the delegate they named, recorded as on their behalf (see `approvals.staffing`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from approvals.cursors import after_id
from approvals.models import OutOfOffice
from approvals.planning import check_people
from core.clock import utcnow
from core.errors import Conflict, NotFound, Unprocessable, field_error
from core.http import page
from core.tx import atomic
from directory.auth import Actor


async def do_set_out_of_office(*, actor: Actor, delegate_id: int, starts_at: datetime,
                               ends_at: datetime) -> OutOfOffice:
    """Name a delegate for a period of one's own absence.

    Who may: anyone, for themselves. Refused: oneself or an unknown person as delegate, a
    period already over (422), a period overlapping another of one's own (409). Steps already
    open stay where they are. Emits `approval.out_of_office` to the delegate.
    """
    if delegate_id == actor.id:
        raise _invalid("delegate_id", "Name someone else as your delegate.")
    if ends_at <= utcnow():
        raise _invalid("ends_at", "The period is already over.")
    await check_people([delegate_id], ["delegate_id"])
    async with atomic() as work:
        # Read then insert: two overlapping periods made at the same instant would only mean
        # that the later one wins (`store.people_with_delegates`), so no lock is worth taking here.
        if await OutOfOffice.exists(person_id=actor.id, cancelled_at=None,
                                    starts_at__lt=ends_at, ends_at__gt=starts_at):
            raise Conflict("You are already away for part of that period.",
                           slug="out-of-office-overlap")
        absence = await OutOfOffice.create(person_id=actor.id, delegate_id=delegate_id,
                                           starts_at=starts_at, ends_at=ends_at,
                                           created_at=utcnow())
        work.audit("approval.out_of_office.set", "person", actor.id, absence_id=absence.id,
                   delegate_id=delegate_id, starts_at=starts_at, ends_at=ends_at)
        work.emit("approval.out_of_office", f"user:{delegate_id}", absence_public(absence))
    return absence


async def do_cancel_out_of_office(absence: OutOfOffice, *, actor: Actor) -> OutOfOffice:
    """End one's own out-of-office period now (idempotent). Emits nothing."""
    now = utcnow()
    async with atomic() as work:
        if await OutOfOffice.filter(id=absence.id, cancelled_at=None).update(cancelled_at=now):
            work.audit("approval.out_of_office.cancel", "person", actor.id, absence_id=absence.id)
    await absence.refresh_from_db()
    return absence


async def access_absence(actor: Actor, absence_id: int) -> OutOfOffice:
    """One of the actor's own periods; anyone else's is 404."""
    absence = await OutOfOffice.get_or_none(id=absence_id, person_id=actor.id)
    if absence is None:
        raise NotFound("No such out-of-office period.")
    return absence


async def list_absences(actor: Actor, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """The actor's periods that have not ended, newest first."""
    query = OutOfOffice.filter(person_id=actor.id, cancelled_at=None, ends_at__gt=utcnow())
    after = after_id(cursor)
    if after is not None:
        query = query.filter(id__lt=after)
    rows = await query.order_by("-id").limit(limit + 1)
    result = page(rows, limit=limit, key=lambda row: row.id)
    result["items"] = [absence_public(row) for row in result["items"]]
    return result


def absence_public(absence: OutOfOffice) -> dict[str, Any]:
    return {
        "id": absence.id, "person_id": absence.person_id, "delegate_id": absence.delegate_id,
        "starts_at": absence.starts_at, "ends_at": absence.ends_at,
        "cancelled_at": absence.cancelled_at,
    }


def _invalid(name: str, msg: str) -> Unprocessable:
    return Unprocessable(msg, errors=[field_error([name], msg, "invalid")])
