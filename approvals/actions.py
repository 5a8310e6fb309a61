"""Every change to sign-off chains (签批): start, decide, and the other moves.

Each action checks what it can up front (plans, people, the signature's cryptography), then
hands the engine (`approvals.engine.run`) two parts: `prepare`, the move applied to the chain's
machine (pure rules of `approvals.policy`), and `write`, the action's own rows, events and
audit entry, written in the same transaction as the chain's changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from approvals import engine, events, store
from approvals.engine import Changes, Loaded
from approvals.handlers import current_hash, startable_handler
from approvals.models import Chain, Decision, Step as StepRow
from approvals.planning import StepPlan, check_people, check_plan, check_plans
from approvals.policy import Seat
from approvals.states import ChainState, MoveRefused, Refusal, Verdict, Where
from approvals.signing import Signature, check_signature, content_changed, nonce_reused
from core.clock import utcnow
from core.errors import ApiError, Conflict, Forbidden, Unprocessable
from core.idempotency import earlier_id, remember
from core.tx import Work, atomic
from directory.auth import Actor

URGENCY_RANK = {name: rank for rank, name in enumerate(events.URGENCY)}
REFUSAL_STATUS = {Refusal.NOT_ASSIGNEE: Forbidden, Refusal.NOT_INITIATOR: Forbidden,
                  Refusal.BAD_TARGET: Unprocessable}
CHAIN = "approval_chain"  # the audit record type
START_ROUTE = "POST /v1/approvals"


@dataclass(frozen=True)
class Subject:
    """What a chain is about: a record of another package, or an ad-hoc subject."""

    type: str
    id: str


@dataclass(frozen=True)
class Decided:
    decision: Decision
    chain: Chain
    current_step_id: int | None


@contextmanager
def rules() -> Iterator[None]:
    """Turn a refused move into its problem: 403, 422 or (mostly) 409."""
    try:
        yield
    except MoveRefused as exc:
        raise REFUSAL_STATUS.get(exc.reason, Conflict)(exc.detail, slug=exc.reason.value) from exc


async def do_start_chain(
    subject: Subject, *, actor: Actor, title: str, content_sha256: str, steps: list[StepPlan],
    cc: list[int], urgency: str = "normal", due_at: datetime | None = None,
    direct: bool = False, idempotency_key: str | None = None,
) -> Chain:
    """Start a chain (发起签批) about `subject`; its first step opens at once.

    Other packages call this for their own records, after their own checks; `direct` (over
    HTTP) allows only subject types that say so (ad-hoc), for anyone signed in. A retry with
    the same `idempotency_key` returns the first chain. Emits `approval.pending` to the
    first step's people.
    """
    if direct:
        startable_handler(subject.type)
    if (earlier := await earlier_id(actor.id, idempotency_key, START_ROUTE)) is not None:
        return await Chain.get(id=earlier)
    await check_plans(steps)
    await check_people(cc, ["cc"])
    try:
        async with atomic() as work:
            chain = await Chain.create(
                subject_type=subject.type, subject_id=subject.id, title=title,
                initiator_id=actor.id, content_sha256=content_sha256, watchers=sorted(set(cc)),
                urgency=URGENCY_RANK[urgency], due_at=due_at, created_at=utcnow(),
            )
            await remember(actor.id, idempotency_key, START_ROUTE, chain.id)
            for position, plan in enumerate(steps):
                await StepRow.create(chain_id=chain.id, position=position, **step_fields(plan))
            await engine.begin(chain, work)
            work.audit("approval.start", CHAIN, chain.id, subject_type=subject.type,
                       subject_id=subject.id, content_sha256=content_sha256, steps=len(steps),
                       cc=cc)
    except IntegrityError:  # a concurrent retry with the same key won
        if (earlier := await earlier_id(actor.id, idempotency_key, START_ROUTE)) is not None:
            return await Chain.get(id=earlier)
        raise
    return chain


def step_fields(plan: StepPlan, added_by: int | None = None) -> dict[str, Any]:
    return {"label": plan.label, "mode": plan.mode.value, "quorum_count": plan.quorum_count,
            "quorum_share": plan.quorum_share, "assignees": plan.assignees,
            "added_by_id": added_by}


async def do_decide_step(
    chain: Chain, *, actor: Actor, step_id: int, verdict: Verdict, comment: str, signature: str,
    return_to: int | None = None,
) -> Decided:
    """Approve, reject or return (同意 / 不同意 / 退回) on the open step, signed on a device.

    Who may: a pending assignee of the step (also as delegate). The signature is checked
    before the transaction, the content hash and the nonce inside it. Sending the very same
    signature again (a phone's retry) returns the decision it made. Emits `approval.decided`,
    and `approval.pending` / `completed` / `rejected` / `returned` as the chain moves on.
    """
    signed = await check_signature(signature, person_id=actor.id, chain_id=chain.id,
                                   step_id=step_id, decision=verdict.value, comment=comment,
                                   now=utcnow())
    try:
        return await _record_decision(chain, signed, actor=actor, step_id=step_id,
                                      verdict=verdict, return_to=return_to)
    except Conflict:
        earlier = await Decision.get_or_none(nonce=signed.payload.nonce, signature=signature,
                                             person_id=actor.id)
        if earlier is None:
            raise
        live = await StepRow.filter(chain_id=chain.id, state__in=("open", "returned")).first()
        return Decided(earlier, await Chain.get(id=chain.id), live.id if live else None)


async def _record_decision(chain: Chain, signed: Signature, *, actor: Actor, step_id: int,
                           verdict: Verdict, return_to: int | None) -> Decided:
    seen: dict[str, Any] = {}

    def prepare(loaded: Loaded) -> None:
        machine = loaded.machine
        step = machine.steps[machine.index(step_id)]
        seen.update(step=step, round=step.round, seat=step.seat_of(actor.id))
        machine.decide(actor.id, step_id, verdict, return_to)

    async def write(loaded: Loaded, work: Work, changes: Changes) -> Decision:
        if signed.payload.content_sha256 != await current_hash(loaded.chain):
            raise content_changed()
        seat: Seat = seen["seat"]
        decision = await _insert_decision(loaded, signed, seat, step_id=step_id,
                                          round_=seen["round"], return_to=return_to)
        others = [s.person for s in seen["step"].seats if s.person != actor.id]
        events.notify_decided(work, loaded.chain, decision,
                              [*loaded.audience(), *events.users(others)])
        if verdict is Verdict.RETURN and changes.state is None:  # back to an earlier step
            events.notify_chain(work, "returned", loaded.chain, loaded.audience(),
                                cause="decided", to_step_id=return_to)
            await engine.run_hook(loaded.chain, ChainState.RETURNED)
        work.audit("approval.decide", CHAIN, chain.id, step_id=step_id, decision=verdict.value,
                   decision_id=decision.id, device_id=signed.device.id,
                   on_behalf_of=seat.on_behalf_of, return_to_step=return_to)
        return decision

    with rules():
        decision, loaded = await engine.run(chain, cause="decided", prepare=prepare, write=write)
    at = loaded.machine.current()
    return Decided(decision, loaded.chain, loaded.machine.steps[at].key if at is not None else None)


async def _insert_decision(loaded: Loaded, signed: Signature, seat: Seat, *, step_id: int,
                           round_: int, return_to: int | None) -> Decision:
    payload = signed.payload
    try:
        return await store.insert_decision(
            chain_id=loaded.chain.id, step_id=step_id, assignment_id=seat.key, round=round_,
            person_id=seat.person, on_behalf_of_id=seat.on_behalf_of, verdict=payload.decision,
            comment=payload.comment, content_sha256=payload.content_sha256,
            signed_at=payload.signed_at, nonce=payload.nonce, device_id=signed.device.id,
            signature=signed.token, return_to_step_id=return_to, decided_at=loaded.now,
        )
    except IntegrityError as exc:
        raise nonce_reused() from exc


async def do_delegate_step(chain: Chain, *, actor: Actor, step_id: int, delegate_id: int,
                           reason: str) -> Chain:
    """Hand my pending place on the open step to someone else (转交); they decide in my place.

    Emits `approval.pending` to the delegate and `approval.delegated` to the initiator,
    watchers and me.
    """
    await check_people([delegate_id], ["delegate_id"])

    async def write(loaded: Loaded, work: Work, changes: Changes) -> None:
        events.notify_chain(work, "delegated", loaded.chain,
                            [*loaded.audience(), f"user:{actor.id}"], step_id=step_id,
                            from_person_id=actor.id, to_person_id=delegate_id, reason=reason)
        work.audit("approval.delegate", CHAIN, chain.id, step_id=step_id,
                   delegate_id=delegate_id, reason=reason)

    def prepare(loaded: Loaded) -> None:
        loaded.machine.delegate(actor.id, step_id, delegate_id)

    with rules():
        _, loaded = await engine.run(chain, cause="delegated", prepare=prepare, write=write)
    return loaded.chain


async def do_add_signers(chain: Chain, *, actor: Actor, step_id: int, where: Where,
                         plan: StepPlan) -> Chain:
    """加签: put a step of new signers before or after the open step.

    Who may: a pending assignee of the open step, or the initiator. Before: the open step
    waits and opens again (a new round) after them. Emits `approval.signers_added`, and
    `approval.pending` to the new signers when their step opens.
    """
    await check_plan(plan, ["assignees"])
    added: list[int] = []

    def prepare(loaded: Loaded) -> None:
        step = loaded.new_step(StepRow(**step_fields(plan, added_by=actor.id)))
        added[:] = [step.key]
        loaded.machine.add_signers(actor.id, step_id, where, step)

    async def write(loaded: Loaded, work: Work, changes: Changes) -> None:
        new_id = changes.step_id(added[0])
        events.notify_chain(work, "signers_added", loaded.chain, loaded.audience(),
                            step_id=new_id, where=where.value, by=actor.id)
        work.audit("approval.add_signers", CHAIN, chain.id, step_id=new_id, where=where.value,
                   next_to=step_id, people=plan.people, positions=plan.positions)

    with rules():
        _, loaded = await engine.run(chain, cause="signers_added", prepare=prepare, write=write)
    return loaded.chain


async def do_withdraw_chain(chain: Chain, *, actor: Actor, reason: str) -> Chain:
    """撤回: the initiator withdraws a chain that has not finished.

    Emits `approval.withdrawn` to the initiator and watchers, `approval.cancelled` to whoever
    was still to decide; runs the subject's `on_withdrawn`.
    """
    async def write(loaded: Loaded, work: Work, changes: Changes) -> None:
        work.audit("approval.withdraw", CHAIN, chain.id, reason=reason)

    with rules():
        _, loaded = await engine.run(chain, cause="withdrawn", write=write,
                                     prepare=lambda it: it.machine.withdraw(actor.id))
    return loaded.chain


async def do_take_back(chain: Chain, *, actor: Actor) -> Chain:
    """拿回: the last approver takes their approval back while the next step has not acted.

    The decision stays on record, marked retracted. Emits `approval.taken_back` to the
    initiator and watchers and `approval.cancelled` to the next step's people.
    """
    reopened: list[int] = []

    def prepare(loaded: Loaded) -> None:
        step = loaded.machine.take_back(actor.id)
        reopened[:] = [step.key, step.round]

    async def write(loaded: Loaded, work: Work, changes: Changes) -> None:
        step_id, round_ = reopened
        await Decision.filter(chain_id=chain.id, step_id=step_id, round=round_,
                              person_id=actor.id, retracted_at=None) \
            .update(retracted_at=loaded.now)
        events.notify_chain(work, "taken_back", loaded.chain, loaded.audience(),
                            step_id=step_id, by=actor.id)
        work.audit("approval.take_back", CHAIN, chain.id, step_id=step_id)

    with rules():
        _, loaded = await engine.run(chain, cause="taken_back", prepare=prepare, write=write,
                                     with_last_mark=True)
    return loaded.chain


async def do_resubmit_chain(chain: Chain, *, actor: Actor, restart_step_id: int | None,
                            content_sha256: str | None = None) -> Chain:
    """Send a returned chain on again (重新提交), from its first step or a chosen one.

    Who may: the initiator; an ad-hoc chain's may bring a new content hash along. Emits
    `approval.pending` to that step's people.
    """
    if content_sha256 is not None:
        require_ad_hoc_initiator(chain, actor)

    async def write(loaded: Loaded, work: Work, changes: Changes) -> None:
        if content_sha256 is not None:
            await _record_hash(loaded.chain, content_sha256)
        work.audit("approval.resubmit", CHAIN, chain.id, restart_step_id=restart_step_id,
                   content_sha256=loaded.chain.content_sha256)

    with rules():
        _, loaded = await engine.run(
            chain, cause="resubmitted", write=write,
            prepare=lambda it: it.machine.resubmit(actor.id, restart_step_id))
    return loaded.chain


async def do_change_content(chain: Chain, *, actor: Actor, content_sha256: str,
                            restart_step_id: int | None = None) -> Chain:
    """A substantive edit (实质性修改): record the new hash and send the chain back to its
    first step (or `restart_step_id`); approvals over the old hash stay on record as stale.

    Packages call this when a new version of their subject goes under review; over HTTP only
    the initiator of an ad-hoc chain may. The same hash again changes nothing. Emits
    `approval.content_changed`, `approval.cancelled` and `approval.pending`.
    """
    def prepare(loaded: Loaded) -> None:
        if loaded.chain.content_sha256 != content_sha256:
            loaded.machine.restart(restart_step_id)

    async def write(loaded: Loaded, work: Work, changes: Changes) -> None:
        if loaded.chain.content_sha256 == content_sha256:
            return
        await _record_hash(loaded.chain, content_sha256)
        events.notify_chain(work, "content_changed", loaded.chain, loaded.audience(),
                            restart_step_id=restart_step_id)
        work.audit("approval.content_change", CHAIN, chain.id, content_sha256=content_sha256,
                   restart_step_id=restart_step_id)

    with rules():
        _, loaded = await engine.run(chain, cause="content_changed", prepare=prepare,
                                     write=write)
    return loaded.chain


async def do_edit_ad_hoc_content(chain: Chain, *, actor: Actor, content_sha256: str,
                                 restart_step_id: int | None = None) -> Chain:
    """`POST /v1/approvals/{id}/content`: the initiator of an ad-hoc chain changed its subject."""
    require_ad_hoc_initiator(chain, actor)
    return await do_change_content(chain, actor=actor, content_sha256=content_sha256,
                                   restart_step_id=restart_step_id)


def require_ad_hoc_initiator(chain: Chain, actor: Actor) -> None:
    try:
        startable_handler(chain.subject_type)
    except ApiError as exc:
        raise Unprocessable(f"The content of a {chain.subject_type} changes through its own "
                            "package.", slug="not-ad-hoc") from exc
    if chain.initiator_id != actor.id:
        raise Forbidden("Only the initiator may do this.", slug=Refusal.NOT_INITIATOR.value)


async def _record_hash(chain: Chain, content_sha256: str) -> None:
    await Chain.filter(id=chain.id).update(content_sha256=content_sha256)
    chain.content_sha256 = content_sha256
