"""Sending (发文) after signing: issue with a number (编号), distribute (分发), and archive
(归档, for both directions)."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from core.clock import utcnow
from core.errors import Conflict
from core.tx import Work, atomic
from directory.auth import Actor
from directory.models import Person, Position, Unit
from documents.events import desk, notify, owners
from documents.models import Delivery, Document, DocumentText, NumberSeries
from documents.numbering import next_number
from documents.policy import (
    ARCHIVABLE, Direction, Secrecy, State, check_body, conflict, format_number, number_year,
    refuse,
)
from documents.queries import grant, require_clerk
from documents.transitions import move_state
from documents.versions import ELEMENTS, Content, current_content, write_text, write_version

RECORD = "document"
SIGNATURE_FIELDS = ("signer_id", "signed_by_id", "signed_for_id", "signed_at", "signed_sha256",
                    "doc_number", "issued_at", "issuing_unit_id", "content_sha256", "forwards_id")


async def do_issue_document(document: Document, *, actor: Actor,
                            series: NumberSeries) -> Document:
    """编号: give a signed document its 发文字号 in one of its unit's series, this year.

    Who may: the unit's desk, once the current version is the signed one. Emits
    `document.issued` to the drafter and the desk.
    """
    if document.direction != Direction.OUTGOING or document.state != State.SIGNED:
        raise conflict(document.state, "issued")
    await require_clerk(actor, document, "issue it")
    body = (await current_content(document)).body
    check_body(body.size if body else None, "issued")
    if series.unit_id != document.unit_id or series.kind != "outgoing":
        raise refuse("series_id", "Issue in an outgoing series of the document's own unit.",
                     "wrong_series")
    now = utcnow()
    year = number_year(now)
    async with atomic() as work:
        await move_state(document, (State.SIGNED,), State.ISSUED, issued_at=now)
        if document.signed_sha256 != document.content_sha256:
            raise Conflict("The current version is not the signed one.", slug="not-signed")
        seq = await next_number(series.id, year)
        number = format_number(series.prefix, year, seq)
        await Document.filter(id=document.id).update(
            series_id=series.id, number_year=year, number_seq=seq, doc_number=number)
        await document.refresh_from_db()
        await write_text(document, number=number)
        work.audit("document.issue", RECORD, document.id, doc_number=number,
                   series_id=series.id, year=year, seq=seq)
        notify(work, "issued", document, await owners(document), by=actor.id,
               doc_number=number)
    return document


async def check_targets(document: Document, units: list[int], people: list[int]) -> None:
    """Units and people exist; a unit has a desk to receive at (its clerks, or those of the
    desk it names: routing rule R1); an internal (内部) document
    goes only to its 主送/抄送 units and people in them."""
    found = {u.id: u for u in await Unit.filter(id__in=units)}
    if set(units) - set(found) or document.unit_id in units:
        bad = sorted(set(units) - set(found)) or [document.unit_id]
        raise refuse("units", f"Cannot deliver to units {bad}.", "unknown_unit")
    active = set(await Person.filter(id__in=people, active=True).values_list("id", flat=True))
    if set(people) - active:
        raise refuse("people", f"Unknown people: {sorted(set(people) - active)}.",
                     "unknown_person")
    for unit_id in units:
        if not await desk(unit_id):
            raise refuse("units", f"Unit {unit_id} has no document desk (收发文员) to receive "
                                  "it.", "no_document_desk")
    if document.secrecy == Secrecy.INTERNAL:
        await _within_recipients(document, units, people)


async def _within_recipients(document: Document, units: list[int], people: list[int]) -> None:
    allowed = {*document.main_units, *document.cc_units}
    if set(units) - allowed:
        raise refuse("units", "An internal (内部) document goes only to its 主送/抄送 units.",
                     "internal_recipients")
    paths = await Unit.filter(id__in=allowed).values_list("path", flat=True)
    for person in people:
        homes = await Position.filter(person_id=person).values_list("unit__path", flat=True)
        if not any(str(h).startswith(str(p)) for h in homes for p in paths):
            raise refuse("people", "An internal (内部) document goes only to people of its "
                                   "主送/抄送 units.", "internal_recipients")


async def do_distribute_document(document: Document, *, actor: Actor, units: list[int],
                                 people: list[int]) -> list[Delivery]:
    """分发: deliver an issued document. Each unit gets an incoming record (收文) at its desk,
    with the delivery time; each person may read the document itself. Units and people it
    already reached are skipped; neither given: its 主送 and 抄送 units.

    Who may: the unit's desk. Emits `document.delivered` to each receiving desk and person.
    """
    if document.direction != Direction.OUTGOING or document.state not in (
            State.ISSUED, State.DISTRIBUTED):
        raise conflict(document.state, "distributed")
    await require_clerk(actor, document, "distribute it")
    if not units and not people:
        units = [*document.main_units, *document.cc_units]
    if not units and not people:
        raise refuse("units", "Name the units or people to deliver to.", "no_recipients")
    await check_targets(document, units, people)
    reached = await Delivery.filter(document_id=document.id).values("unit_id", "person_id")
    units = [u for u in dict.fromkeys(units) if u not in {r["unit_id"] for r in reached}]
    people = [p for p in dict.fromkeys(people) if p not in {r["person_id"] for r in reached}]
    try:
        return await _deliver(document, actor, units, people)
    except IntegrityError as exc:  # the unique (document, unit / person) of a delivery
        raise Conflict("It was distributed to some of them at the same moment; reload it.",
                       slug="document-changed") from exc


async def _deliver(document: Document, actor: Actor, units: list[int],
                   people: list[int]) -> list[Delivery]:
    content = await current_content(document)
    text = await DocumentText.get_or_none(id=document.id)
    async with atomic() as work:
        await move_state(document, (State.ISSUED, State.DISTRIBUTED), State.DISTRIBUTED)
        now, made = utcnow(), []
        for unit_id in units:
            made.append(await _to_unit(work, document, content, unit_id, actor=actor, now=now,
                                       body=text.body if text else ""))
        for person_id in people:
            made.append(await _to_person(work, document, person_id, actor=actor, now=now))
        work.audit("document.distribute", RECORD, document.id, units=units, people=people)
    return made


async def _to_unit(work: Work, document: Document, content: Content, unit_id: int, *,
                   actor: Actor, now: datetime, body: str) -> Delivery:
    copied = {name: getattr(document, name) for name in (*ELEMENTS, *SIGNATURE_FIELDS)}
    incoming = await Document.create(
        direction=Direction.INCOMING.value, state=State.DELIVERED.value, unit_id=unit_id,
        source_id=document.id, version=1, created_at=now, updated_at=now, **copied,
    )
    await write_version(incoming, content, number=1, changed=[], actor_id=actor.id, now=now)
    await DocumentText.create(id=incoming.id, unit_id=unit_id, title=incoming.title,
                              number=incoming.doc_number or "", body=body)
    delivery = await Delivery.create(document_id=document.id, unit_id=unit_id,
                                     incoming_id=incoming.id, delivered_at=now,
                                     delivered_by_id=actor.id)
    work.audit("document.deliver", RECORD, incoming.id, source_id=document.id, unit_id=unit_id)
    notify(work, "delivered", incoming, await desk(unit_id), by=actor.id, source_id=document.id,
           delivery_id=delivery.id)
    return delivery


async def _to_person(work: Work, document: Document, person_id: int, *, actor: Actor,
                     now: datetime) -> Delivery:
    delivery = await Delivery.create(document_id=document.id, person_id=person_id,
                                     delivered_at=now, delivered_by_id=actor.id)
    await grant(document.id, [person_id], "recipient")
    notify(work, "delivered", document, [person_id], by=actor.id, delivery_id=delivery.id)
    return delivery


async def do_archive_document(document: Document, *, actor: Actor) -> Document:
    """归档: an outgoing document once issued, an incoming one once done (办结) or returned to
    its sender; read-only from then on (every change: 409). Who may: the unit's desk.
    Emits nothing."""
    allowed = ARCHIVABLE[Direction(document.direction)]
    if document.state not in allowed:
        raise conflict(document.state, "archived")
    await require_clerk(actor, document, "archive it")
    async with atomic() as work:
        await move_state(document, allowed, State.ARCHIVED, archived_at=utcnow())
        work.audit("document.archive", RECORD, document.id, direction=document.direction)
    return document
