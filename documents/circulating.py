"""传阅 (circulation): a document sent round readers, all at once (parallel) or one after the
other (sequential), each reading it and leaving a comment (阅示), so that nothing is missed,
sent wrong or delayed (条例 第二十六条).

A reader may read the document once their turn comes (parallel: at once). The circulator sees
where it stands, may remind (催阅) those whose turn it is, and hears when it is overdue: a job at
the due time reminds the readers still holding it and tells the circulator.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from core.clock import utcnow
from core.errors import Conflict, Forbidden, TooManyRequests
from core.idempotency import once, remember
from core.scheduler import cancel, schedule
from core.tx import Work, atomic
from directory.auth import Actor
from directory.desks import handling_paths, instructs
from directory.models import Person, Position
from directory.routing import within
from documents.events import notify
from documents.models import Circulation, CirculationReader, Document
from documents.policy import Direction, Secrecy, State, conflict, refuse
from documents.queries import grant, is_clerk

RECORD = "document"
CIRCULATION_DUE = "documents.circulation_due"
CIRCULATION = "POST /v1/documents/{id}/circulations"  # for Idempotency-Key
REMIND_INTERVAL = timedelta(minutes=5)
CIRCULABLE = {
    Direction.OUTGOING: (State.ISSUED, State.DISTRIBUTED),
    Direction.INCOMING: (State.RECEIVED, State.REGISTERED, State.REVIEWED, State.PROPOSED,
                         State.INSTRUCTED, State.HANDLING, State.DONE),
}


def job_key(circulation_id: int) -> str:
    return f"document-circulation-{circulation_id}"


async def check_readers(document: Document, readers: list[int]) -> None:
    """Active people, once each; an internal (内部) document stays within its unit (and the
    government whose desk it is: routing rule R4)."""
    if len(set(readers)) != len(readers):
        raise refuse("reader_ids", "A reader is named twice.", "duplicate_reader")
    active = set(await Person.filter(id__in=readers, active=True).values_list("id", flat=True))
    if set(readers) - active:
        raise refuse("reader_ids", f"Unknown people: {sorted(set(readers) - active)}.",
                     "unknown_person")
    if document.secrecy != Secrecy.INTERNAL:
        return
    scope = await handling_paths(document.unit_id)
    for reader in readers:
        paths = await Position.filter(person_id=reader).values_list("unit__path", flat=True)
        if not any(within(str(p), scope) for p in paths):
            raise refuse("reader_ids", "An internal (内部) document is read only within its "
                                       f"unit; person {reader} is outside it.",
                         "internal_recipients")


async def may_circulate(actor: Actor, document: Document) -> None:
    if document.drafter_id == actor.id:
        return
    if not (await is_clerk(actor.id, document.unit_id)
            or await instructs(actor.id, document.unit_id)):
        raise Forbidden("Only the unit's desk, its leaders or the drafter may circulate it.",
                        slug="may-not-circulate")


async def do_start_circulation(document: Document, *, actor: Actor, readers: list[int],
                               mode: str, due_at: datetime | None, note: str,
                               idempotency_key: str | None = None) -> Circulation:
    """传阅: send the document round `readers`. Who may: the unit's desk or leaders, or the
    drafter, once it is issued or signed for. A retry with the same `idempotency_key` returns
    the first circulation. Emits `document.circulation.turn` to the readers whose turn it is."""
    route = CIRCULATION.replace("{id}", str(document.id))

    async def make() -> Circulation:
        return await _circulate(document, actor, readers, mode, due_at, note,
                                (idempotency_key, route))

    return await once(actor.id, idempotency_key, route, make=make,
                      load=lambda earlier: Circulation.get(id=earlier))


async def _circulate(document: Document, actor: Actor, readers: list[int], mode: str,
                     due_at: datetime | None, note: str,
                     key: tuple[str | None, str]) -> Circulation:
    if document.state not in CIRCULABLE[Direction(document.direction)]:
        raise conflict(document.state, "circulated")
    await may_circulate(actor, document)
    await check_readers(document, readers)
    if due_at is not None and due_at <= utcnow():
        raise refuse("due_at", "The due time has already passed.", "due_in_past")
    now = utcnow()
    async with atomic() as work:
        circulation = await Circulation.create(document_id=document.id, created_by_id=actor.id,
                                               mode=mode, note=note, due_at=due_at,
                                               created_at=now)
        await remember(actor.id, *key, circulation.id)
        first = readers if mode == "parallel" else readers[:1]
        await CirculationReader.bulk_create([
            CirculationReader(circulation_id=circulation.id, person_id=pid, position=n,
                              state="pending" if pid in first else "waiting",
                              opened_at=now if pid in first else None)
            for n, pid in enumerate(readers)])
        if due_at is not None:
            await schedule(CIRCULATION_DUE, key=job_key(circulation.id), due_at=due_at,
                           payload={"circulation_id": circulation.id})
        work.audit("document.circulate", RECORD, document.id, circulation_id=circulation.id,
                   readers=readers, mode=mode, due_at=due_at)
        await _open_turn(work, document, circulation, first, by=actor.id)
    return circulation


async def _open_turn(work: Work, document: Document, circulation: Circulation,
                     readers: list[int], *, by: int | None) -> None:
    await grant(document.id, readers, "reader")
    notify(work, "circulation.turn", document, readers, by=by, circulation_id=circulation.id,
           due_at=circulation.due_at, note=circulation.note)


async def do_read_circulation(circulation: Circulation, *, actor: Actor,
                              comment: str) -> Circulation:
    """阅: the reader whose turn it is has read it, with an optional comment (阅示). In
    sequence the next reader's turn opens. Emits `document.circulation.read` to the
    circulator, `…turn` to the next reader, `…finished` to the circulator after the last."""
    document = await Document.get(id=circulation.document_id)
    async with atomic() as work:
        now = utcnow()
        if not await CirculationReader.filter(
                circulation_id=circulation.id, person_id=actor.id, state="pending").update(
                state="read", read_at=now, comment=comment):
            raise await _not_pending(circulation, actor)
        work.audit("document.circulation_read", RECORD, document.id,
                   circulation_id=circulation.id, comment=comment)
        notify(work, "circulation.read", document, [circulation.created_by_id], by=actor.id,
               circulation_id=circulation.id, comment=comment, read_at=now)
        await _next_turn(work, document, circulation, by=actor.id)
    await circulation.refresh_from_db()
    return circulation


async def _not_pending(circulation: Circulation, actor: Actor) -> Exception:
    row = await CirculationReader.get_or_none(circulation_id=circulation.id, person_id=actor.id)
    if row is None:
        return Forbidden("You are not a reader of this circulation.", slug="not-a-reader")
    if row.state == "read":
        return Conflict("You have read it already.", slug="already-read")
    return Conflict("It is not your turn to read it yet.", slug="not-your-turn")


async def _next_turn(work: Work, document: Document, circulation: Circulation, *,
                     by: int) -> None:
    if await CirculationReader.exists(circulation_id=circulation.id, state="pending"):
        return
    following = await CirculationReader.filter(circulation_id=circulation.id,
                                               state="waiting").order_by("position").first()
    if following is not None:
        if await CirculationReader.filter(id=following.id, state="waiting").update(
                state="pending", opened_at=utcnow()):
            await _open_turn(work, document, circulation, [following.person_id], by=by)
        return
    if await Circulation.filter(id=circulation.id, state="open").update(
            state="finished", finished_at=utcnow()):
        await cancel(job_key(circulation.id))
        notify(work, "circulation.finished", document, [circulation.created_by_id], by=by,
               circulation_id=circulation.id)


async def pending_readers(circulation: Circulation) -> list[int]:
    rows = await CirculationReader.filter(circulation_id=circulation.id, state="pending") \
        .order_by("position")
    return [row.person_id for row in rows]


async def do_remind_circulation(circulation: Circulation, *, actor: Actor,
                                message: str) -> list[int]:
    """催阅: remind the readers whose turn it is and who have not read. Who may: the
    circulator, once every five minutes (429 with Retry-After). Emits
    `document.circulation.reminded` to them; returns who was reminded."""
    if circulation.created_by_id != actor.id:
        raise Forbidden("Only the circulator may remind the readers.", slug="not-circulator")
    if circulation.state != "open":
        raise Conflict("Everyone has read it already.", slug="circulation-finished")
    document = await Document.get(id=circulation.document_id)
    now = utcnow()
    async with atomic() as work:
        quiet = Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - REMIND_INTERVAL)
        if not await Circulation.filter(quiet, id=circulation.id).update(reminded_at=now):
            raise TooManyRequests("The readers were reminded a moment ago.",
                                  retry_after=await _retry_after(circulation, now))
        readers = await pending_readers(circulation)
        notify(work, "circulation.reminded", document, readers, by=actor.id,
               circulation_id=circulation.id, message=message)
        work.audit("document.circulation_remind", RECORD, document.id,
                   circulation_id=circulation.id, readers=readers)
    return readers


async def _retry_after(circulation: Circulation, now: datetime) -> int:
    row = await Circulation.get(id=circulation.id)
    last = row.reminded_at or now
    return int((last + REMIND_INTERVAL - now).total_seconds()) + 1


async def circulation_due(payload: dict[str, Any]) -> None:
    """The due time passed: remind who still holds it, tell the circulator it is overdue."""
    circulation = await Circulation.get_or_none(id=int(payload["circulation_id"]))
    if circulation is None or circulation.state != "open":
        return
    document = await Document.get(id=circulation.document_id)
    async with atomic() as work:
        readers = await pending_readers(circulation)
        notify(work, "circulation.reminded", document, readers, by=None,
               circulation_id=circulation.id, message="已到传阅期限")
        notify(work, "circulation.overdue", document, [circulation.created_by_id], by=None,
               circulation_id=circulation.id, pending=readers)
        work.audit("document.circulation_overdue", RECORD, document.id,
                   circulation_id=circulation.id, pending=readers)
