"""Permission-checked reads of chains: one chain in full, and its signatures checked again.

A chain is visible to its initiator, to everyone who holds or held a seat on it (delegates and
the people they stood in for included), to its watchers (抄送), and to whoever its subject's
handler lets see the subject. Anyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any


from approvals.events import URGENCY
from approvals.handlers import current_hash, handler_for
from approvals import store
from approvals.models import Assignment, Chain, Decision, Step
from approvals.signing import recheck
from core.models import AuditEntry
from core.errors import NotFound
from core.jsonutil import loads
from directory.auth import Actor
from directory.models import Device, Person

HISTORY_LIMIT = 200


async def access_chain(actor: Actor, chain_id: int) -> Chain:
    """The chain if the actor may see it; 404 both when it is missing and when it is not theirs.

    One query for the initiator and whoever holds or held a seat (the people deciding, so the
    hot path); then the watchers, then the subject's handler.
    """
    chain = await store.chain_seen_by(chain_id, actor.id)
    if chain is not None:
        return chain
    chain = await Chain.get_or_none(id=chain_id)
    if chain is None or not (actor.id in chain.watchers or await handler_for(
            chain.subject_type).may_view(actor.id, chain.subject_id)):
        raise NotFound("No such approval chain.")
    return chain


def chain_summary(chain: Chain) -> dict[str, Any]:
    return {
        "id": chain.id, "subject_type": chain.subject_type, "subject_id": chain.subject_id,
        "title": chain.title, "state": chain.state, "urgency": URGENCY[chain.urgency],
        "due_at": chain.due_at, "initiator_id": chain.initiator_id,
        "created_at": chain.created_at, "finished_at": chain.finished_at,
    }


async def names(person_ids: set[int]) -> dict[int, dict[str, Any]]:
    rows = await Person.filter(id__in=person_ids).values("id", "display_name")
    return {row["id"]: row for row in rows}


async def chain_public(chain: Chain) -> dict[str, Any]:
    """The chain in full: steps with this round's assignees, every decision, watchers, history."""
    await chain.refresh_from_db()
    steps = await Step.filter(chain_id=chain.id).order_by("position", "id")
    rounds = {step.id: step.round for step in steps}
    seats = [a for a in await Assignment.filter(chain_id=chain.id).order_by("id")
             if a.round == rounds[a.step_id]]
    decisions = await Decision.filter(chain_id=chain.id).order_by("id")
    watchers = chain.watchers
    people = await names({chain.initiator_id, *watchers, *_people_of(seats, decisions)})
    current = await current_hash(chain)
    live = next((s.id for s in steps if s.state in ("open", "returned")), None)
    return {
        **chain_summary(chain), "content_sha256": current, "current_step_id": live,
        "initiator": people.get(chain.initiator_id),
        "steps": [_step_public(step, [a for a in seats if a.step_id == step.id], people)
                  for step in steps],
        "decisions": [_decision_public(d, people, current) for d in decisions],
        "watchers": [people[p] for p in watchers if p in people],
        "history": await history(chain),
    }


def _people_of(seats: list[Assignment], decisions: list[Decision]) -> set[int]:
    found = {a.person_id for a in seats} | {a.on_behalf_of_id for a in seats if a.on_behalf_of_id}
    return found | {d.person_id for d in decisions} | {
        d.on_behalf_of_id for d in decisions if d.on_behalf_of_id}


def _step_public(step: Step, seats: list[Assignment],
                 people: dict[int, dict[str, Any]]) -> dict[str, Any]:
    quorum = step.quorum_count if step.quorum_count is not None else step.quorum_share
    return {
        "id": step.id, "position": step.position, "label": step.label, "mode": step.mode,
        "quorum": quorum, "state": step.state, "round": step.round,
        "planned": step.assignees, "added_by": step.added_by_id, "opened_at": step.opened_at,
        "approvals": sum(1 for a in seats if a.state == "approved"),
        "assignees": [{
            "id": a.id, "person": people.get(a.person_id), "state": a.state, "via": a.via,
            "on_behalf_of": people.get(a.on_behalf_of_id) if a.on_behalf_of_id else None,
            "opened_at": a.opened_at, "decided_at": a.decided_at,
        } for a in seats],
    }


def _decision_public(decision: Decision, people: dict[int, dict[str, Any]],
                     current: str) -> dict[str, Any]:
    return {
        "id": decision.id, "step_id": decision.step_id, "round": decision.round,
        "person": people.get(decision.person_id), "decision": decision.verdict,
        "on_behalf_of": people.get(decision.on_behalf_of_id) if decision.on_behalf_of_id else None,
        "comment": decision.comment, "content_sha256": decision.content_sha256,
        "stale": decision.content_sha256 != current, "signed_at": decision.signed_at,
        "decided_at": decision.decided_at, "device_id": decision.device_id,
        "return_to_step": decision.return_to_step_id,
        "retracted": decision.retracted_at is not None, "signature": decision.signature,
    }


def decided_public(decision: Decision, chain: Chain,
                   current_step_id: int | None) -> dict[str, Any]:
    """The reply to a decision: what was recorded, and where the chain stands now."""
    return {
        "decision": {
            "id": decision.id, "step_id": decision.step_id, "round": decision.round,
            "person_id": decision.person_id, "on_behalf_of": decision.on_behalf_of_id,
            "decision": decision.verdict, "comment": decision.comment,
            "content_sha256": decision.content_sha256, "signed_at": decision.signed_at,
            "decided_at": decision.decided_at, "device_id": decision.device_id,
            "return_to_step": decision.return_to_step_id,
        },
        "chain": {**chain_summary(chain), "current_step_id": current_step_id},
    }


async def history(chain: Chain) -> list[dict[str, Any]]:
    """What happened to the chain, from the audit log (the latest `HISTORY_LIMIT` entries)."""
    rows = await AuditEntry.filter(record_type="approval_chain", record_id=str(chain.id)) \
        .order_by("-seq").limit(HISTORY_LIMIT)
    return [{"action": row.action, "actor_id": row.actor_id, "device_id": row.device_id,
             "at": row.at, "detail": loads(row.detail)} for row in reversed(rows)]


async def verify_chain(chain: Chain) -> dict[str, Any]:
    """Every stored signature checked again against the key of the device that made it.

    A device revoked later still verifies what it signed before; a decision whose signed hash
    is no longer the subject's says `subject_changed`.
    """
    decisions = await Decision.filter(chain_id=chain.id).order_by("id")
    devices = {d.id: d for d in await Device.filter(id__in={x.device_id for x in decisions})}
    current = await current_hash(chain)
    reports = [recheck(d, devices.get(d.device_id), current) for d in decisions]
    return {"chain_id": chain.id, "ok": all(r["valid"] for r in reports),
            "content_sha256": current, "state": chain.state, "decisions": reports}
