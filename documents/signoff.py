"""Sign-off of outgoing documents (核稿 → 会签 → 签发) on the approval engine.

A draft is submitted into a chain bound to its current version's hash: the document's handler
(`documents.subject`) tells the engine that hash, so a decision signed over any other version
is refused. A change after signing (复核) starts a one-step chain back to the signer. The
engine calls back (`signoff_outcome`) inside the deciding transaction.
"""

from __future__ import annotations

from approvals.actions import Subject, do_start_chain, do_withdraw_chain
from approvals.models import Chain, Decision
from approvals.planning import StepPlan
from approvals.schemas import StepCreate
from approvals.staffing import resolve
from approvals.states import Mode
from core.clock import utcnow
from core.tx import atomic
from directory.auth import Actor
from directory.models import Person
from documents.events import notify, owners
from documents.models import Document
from documents.policy import (
    SIGN_LABEL, SUBMITTABLE, Direction, Purpose, State, check_body, conflict, refuse,
)
from documents.queries import grant, require_drafter_or_clerk
from documents.transitions import move_state
from documents.versions import current_content

RECORD = "document"


def subject_of(document: Document) -> Subject:
    return Subject("document", str(document.id))


async def plan_signoff(document: Document, steps: list[StepCreate]) -> list[StepPlan]:
    """The chain's steps, ending in one 签发 step; the named 签发人 must sit on it (a 签发 step
    for them is added when the request has none)."""
    plans = [step.plan() for step in steps]
    if not any(plan.label == SIGN_LABEL for plan in plans):
        if not document.signer_id:
            raise refuse("chain", "The chain must end with a 签发 step, or the document must "
                                  "name its 签发人.", "signing-step-required")
        plans.append(StepPlan(SIGN_LABEL, Mode.ONE, people=[document.signer_id]))
    if plans[-1].label != SIGN_LABEL or [p.label for p in plans].count(SIGN_LABEL) > 1:
        raise refuse("chain", "签发 is the last step of the chain, and comes once.",
                     "signing-step-last")
    if document.signer_id and document.signer_id not in await planned_people(plans[-1:]):
        raise refuse("chain", "The 签发 step must be the document's named 签发人.",
                     "signer-not-on-step")
    return plans


async def planned_people(plans: list[StepPlan]) -> list[int]:
    """Everyone the steps name now, and whoever stands in for them."""
    found: list[int] = []
    for plan in plans:
        for person, delegate in await resolve(plan.assignees, at=utcnow()):
            found += [person, *([delegate] if delegate else [])]
    return list(dict.fromkeys(found))


async def do_submit_document(document: Document, *, actor: Actor, steps: list[StepCreate],
                             cc: list[int]) -> Document:
    """送审: start the sign-off chain over the current version (again after 退回/不同意).

    Who may: the drafter or the unit's desk, on a draft, returned or refused document. The
    people of the chain and those copied may read the document from now on. The engine emits
    `approval.pending` to the first step's people.
    """
    if document.direction != Direction.OUTGOING or document.state not in SUBMITTABLE:
        raise conflict(document.state, "submitted")
    await require_drafter_or_clerk(actor, document, "submit it")
    body = (await current_content(document)).body
    check_body(body.size if body else None, "submitted for signing")
    plans = await plan_signoff(document, steps)
    readers, earlier = [*await planned_people(plans), *cc], document.chain_id
    async with atomic() as work:
        await move_state(document, SUBMITTABLE, State.REVIEWING, version=document.version,
                         chain_id=None, chain_purpose=None)
        await retire_chain(earlier, actor=actor)
        chain = await do_start_chain(subject_of(document), actor=actor, title=document.title,
                                     content_sha256=document.content_sha256, steps=plans,
                                     cc=cc, urgency=document.urgency)
        await _bind(document, chain, Purpose.SIGN_OFF)
        await grant(document.id, readers, "chain")
        work.audit("document.submit", RECORD, document.id, chain_id=chain.id,
                   version=document.version, content_sha256=document.content_sha256)
    return document


async def _bind(document: Document, chain: Chain, purpose: Purpose) -> None:
    await Document.filter(id=document.id).update(chain_id=chain.id, chain_purpose=purpose.value)
    await document.refresh_from_db()


async def retire_chain(chain_id: int | None, *, actor: Actor) -> None:
    """Withdraw a document's earlier chain that was returned and is being replaced, in the
    name of its initiator (who may not be the one resubmitting): nobody is left holding a seat
    on a chain that no longer counts."""
    chain = await Chain.get_or_none(id=chain_id) if chain_id else None
    if chain is None or chain.state != "returned":
        return
    initiator = await Person.get(id=chain.initiator_id)
    stand_in = Actor(initiator, actor.session_id, actor.device_id, actor.token_expires)
    await do_withdraw_chain(chain, actor=stand_in, reason="resubmitted")


async def start_resigning(document: Document, *, actor: Actor) -> None:
    """复核 found a substantive change after signing: a 签发 step back to the signer, over the
    new version (in the caller's transaction)."""
    signer = document.signed_by_id or document.signer_id
    assert signer is not None  # a signed document has a signer
    chain = await do_start_chain(subject_of(document), actor=actor, title=document.title,
                                 content_sha256=document.content_sha256, cc=[],
                                 steps=[StepPlan(SIGN_LABEL, Mode.ONE, people=[signer])],
                                 urgency=document.urgency)
    await Document.filter(id=document.id, state=State.SIGNED.value).update(
        state=State.RESIGNING.value)
    await _bind(document, chain, Purpose.RESIGN)


async def last_decision(chain: Chain) -> Decision | None:
    return await Decision.filter(chain_id=chain.id, retracted_at=None).order_by("-id").first()


OUTCOME_STATES = {"returned": State.RETURNED, "rejected": State.REJECTED,
                  "withdrawn": State.DRAFT}


async def signoff_outcome(document: Document, chain: Chain, outcome: str) -> None:
    """The chain finished (or came back to the drafter): move the document to match and tell
    the drafter and the desk. Runs inside the deciding transaction."""
    decision = await last_decision(chain)
    if outcome == "completed" and decision is not None:
        await _signed(document, chain, decision)
    elif outcome != "completed":
        await _sent_back(document, chain, outcome, decision)


async def _signed(document: Document, chain: Chain, decision: Decision) -> None:
    async with atomic() as work:
        if not await Document.filter(id=document.id, chain_id=chain.id).update(
                state=State.SIGNED.value, signed_by_id=decision.person_id,
                signed_for_id=decision.on_behalf_of_id, signed_at=decision.decided_at,
                signed_sha256=decision.content_sha256):
            return
        await document.refresh_from_db()
        work.audit("document.sign", RECORD, document.id, chain_id=chain.id,
                   signed_by=decision.person_id, signed_for=decision.on_behalf_of_id,
                   content_sha256=decision.content_sha256)
        notify(work, "signed", document, await owners(document), by=decision.person_id,
               chain_id=chain.id, signed_by=decision.person_id)


async def _sent_back(document: Document, chain: Chain, outcome: str,
                     decision: Decision | None) -> None:
    comment = decision.comment if decision else ""
    async with atomic() as work:
        if not await Document.filter(id=document.id, chain_id=chain.id).update(
                state=OUTCOME_STATES[outcome].value):
            return
        await document.refresh_from_db()
        work.audit("document.return", RECORD, document.id, chain_id=chain.id, outcome=outcome,
                   comment=comment)
        if outcome != "withdrawn":
            notify(work, "returned", document, await owners(document),
                   by=decision.person_id if decision else None, chain_id=chain.id,
                   outcome=outcome, comment=comment)
