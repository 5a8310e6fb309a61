"""Receiving (收文) at a unit's document desk: 签收 → 登记 → 初审 → 拟办 → 批办.

The desk is the unit's clerks (收发文员). 批办 is the leader's instruction given as a signed
decision on a one-step chain (`批办`) that 拟办 starts: the leader approves it on their device
with the instruction as the comment, and the engine calls back (`instruction_outcome`) inside
the deciding transaction. 承办 and what follows are in `documents.handling`.
"""

from __future__ import annotations

from typing import Any

from approvals.actions import do_start_chain
from approvals.models import Chain
from approvals.planning import StepPlan
from approvals.states import Mode
from core.clock import utcnow
from core.errors import Conflict, Forbidden
from core.tx import atomic
from directory.auth import Actor
from directory.desks import instructs
from documents.events import desk, notify, owners
from documents.models import Delivery, Document
from documents.numbering import incoming_series, next_number
from documents.policy import (
    INSTRUCT_LABEL, Direction, Purpose, State, conflict, format_number, number_year, refuse,
)
from documents.queries import grant, require_clerk
from documents.signoff import last_decision, subject_of
from documents.transitions import move_state
from documents.versions import write_text

RECORD = "document"


async def at_desk(document: Document, actor: Actor, state: State, what: str) -> None:
    """An incoming record in `state`, and the actor at the receiving unit's desk."""
    if document.direction != Direction.INCOMING or document.state != state:
        raise conflict(document.state, what)
    await require_clerk(actor, document, what)


async def update_delivery(document: Document, **changes: Any) -> None:
    await Delivery.filter(incoming_id=document.id).update(**changes)


async def sender(document: Document) -> Document:
    return await Document.get(id=document.source_id)


async def do_receive_document(document: Document, *, actor: Actor) -> Document:
    """签收: the desk signs for an incoming record; a person addressed in person signs for the
    document itself. Emits `document.received` to the sender's drafter and desk, saying who
    signed and when."""
    if document.direction == Direction.OUTGOING:
        return await _receive_in_person(document, actor)
    await at_desk(document, actor, State.DELIVERED, "signed for")
    async with atomic() as work:
        now = utcnow()
        await move_state(document, (State.DELIVERED,), State.RECEIVED)
        await update_delivery(document, received_at=now, received_by_id=actor.id)
        work.audit("document.receive", RECORD, document.id, source_id=document.source_id)
        source = await sender(document)
        notify(work, "received", source, await owners(source), by=actor.id,
               unit_id=document.unit_id, received_by=actor.id, received_at=now)
    return document


async def _receive_in_person(document: Document, actor: Actor) -> Document:
    delivery = await Delivery.get_or_none(document_id=document.id, person_id=actor.id)
    if delivery is None:
        raise Forbidden("The document was not delivered to you in person.",
                        slug="not-a-recipient")
    async with atomic() as work:
        now = utcnow()
        if not await Delivery.filter(id=delivery.id, received_at=None).update(
                received_at=now, received_by_id=actor.id):
            raise Conflict("You have already signed for it.", slug="already-received")
        work.audit("document.receive", RECORD, document.id, delivery_id=delivery.id)
        notify(work, "received", document, await owners(document), by=actor.id,
               person_id=actor.id, received_by=actor.id, received_at=now)
    return document


async def do_register_document(document: Document, *, actor: Actor,
                               series_id: int | None) -> Document:
    """登记: give a signed-for record the unit's own incoming number (收文编号), gap-free per
    series and year. Who may: the desk. Emits nothing."""
    await at_desk(document, actor, State.RECEIVED, "registered")
    series = await incoming_series(document.unit_id, series_id)
    async with atomic() as work:
        now = utcnow()
        await move_state(document, (State.RECEIVED,), State.REGISTERED)
        year = number_year(now)
        seq = await next_number(series.id, year)
        number = format_number(series.prefix, year, seq)
        await Document.filter(id=document.id).update(series_id=series.id, number_year=year,
                                                     number_seq=seq)
        await update_delivery(document, registered_at=now, incoming_number=number)
        await write_text(document, number=f"{document.doc_number or ''} {number}".strip())
        work.audit("document.register", RECORD, document.id, incoming_number=number,
                   series_id=series.id)
    await document.refresh_from_db()
    return document


async def do_review_document(document: Document, *, actor: Actor, accept: bool,
                             reason: str) -> Document:
    """初审: accept a registered record, or return it to the sender with the reasons (it does
    not belong here, or does not conform). Who may: the desk. A return emits
    `document.bounced` to the sender's drafter and desk."""
    await at_desk(document, actor, State.REGISTERED, "reviewed")
    async with atomic() as work:
        now = utcnow()
        target = State.REVIEWED if accept else State.BOUNCED
        await move_state(document, (State.REGISTERED,), target)
        await update_delivery(document, reviewed_at=now, return_reason=None if accept else reason)
        work.audit("document.review", RECORD, document.id, accepted=accept, reason=reason)
        if not accept:
            source = await sender(document)
            notify(work, "bounced", source, await owners(source), by=actor.id,
                   unit_id=document.unit_id, reason=reason)
    return document


async def check_leaders(document: Document, leader_ids: list[int]) -> None:
    """Leaders of the receiving unit, or of the government its desk serves (rule R3)."""
    for person in leader_ids:
        if not await instructs(person, document.unit_id):
            raise refuse("leader_ids", f"Person {person} is not a leader (领导) of the "
                                       "receiving unit or of the government it serves.",
                         "not_a_leader")


async def do_propose_handling(document: Document, *, actor: Actor, proposal: str,
                              leader_ids: list[int]) -> Document:
    """拟办: the desk proposes how to handle the record and asks the unit's leaders for 批办 (a
    one-step chain: any one of them decides, signed on their device). The engine emits
    `approval.pending` to them."""
    await at_desk(document, actor, State.REVIEWED, "proposed for handling")
    await check_leaders(document, leader_ids)
    mode = Mode.ONE if len(set(leader_ids)) == 1 else Mode.ANY
    step = StepPlan(INSTRUCT_LABEL, mode, people=list(dict.fromkeys(leader_ids)))
    async with atomic() as work:
        await move_state(document, (State.REVIEWED,), State.PROPOSED, chain_id=None,
                         chain_purpose=None)
        await update_delivery(document, proposal=proposal, proposed_by_id=actor.id)
        chain = await do_start_chain(subject_of(document), actor=actor,
                                     title=f"批办：{document.title}", steps=[step], cc=[],
                                     content_sha256=document.content_sha256,
                                     urgency=document.urgency, due_at=document.deadline)
        await Document.filter(id=document.id).update(chain_id=chain.id,
                                                     chain_purpose=Purpose.INSTRUCT.value)
        await grant(document.id, leader_ids, "chain")
        work.audit("document.propose", RECORD, document.id, proposal=proposal,
                   leader_ids=leader_ids, chain_id=chain.id)
    await document.refresh_from_db()
    return document


async def instruction_outcome(document: Document, chain: Chain, outcome: str) -> None:
    """批办 given (the approving leader's comment is the instruction), or the 拟办 sent back
    to the desk. Runs inside the deciding transaction; emits `document.instructed` or
    `document.instruction_returned` to the desk."""
    decision = await last_decision(chain)
    done = outcome == "completed"
    async with atomic() as work:
        target = State.INSTRUCTED if done else State.REVIEWED
        if not await Document.filter(id=document.id, chain_id=chain.id,
                                     state=State.PROPOSED.value).update(state=target.value):
            return
        await document.refresh_from_db()
        by = decision.person_id if decision else None
        comment = decision.comment if decision else ""
        if done:
            await update_delivery(document, instruction=comment, instructed_by_id=by,
                                  instructed_for_id=decision.on_behalf_of_id if decision else None,
                                  instructed_at=utcnow())
        work.audit("document.instruct" if done else "document.instruction_return", RECORD,
                   document.id, chain_id=chain.id, outcome=outcome, comment=comment)
        if outcome != "withdrawn":
            kind = "instructed" if done else "instruction_returned"
            notify(work, kind, document, await desk(document.unit_id), by=by,
                   instruction=comment, chain_id=chain.id)

