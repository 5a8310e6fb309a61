"""What sign-off chains tell people, as feed events.

- `approval.pending` → each person given a seat when their step opens (also as a delegate);
- `approval.cancelled` → a person whose pending seat closed without them deciding;
- `approval.decided` → the initiator, the watchers and the others seated on that step;
- `approval.completed` / `rejected` / `returned` / `withdrawn` → the initiator and watchers;
- `approval.delegated`, `approval.signers_added`, `approval.taken_back`,
  `approval.content_changed` → the initiator and watchers; `approval.reminded` → the people
  whose decision is awaited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from approvals.models import Chain, Decision
from approvals.policy import Seat
from approvals.schemas import AbsencePublic
from approvals.states import ChainState
from core.tx import Work

URGENCY = ("normal", "urgent", "critical")  # 平件, 急件, 特急


def users(people: Iterable[int]) -> list[str]:
    return [f"user:{person}" for person in dict.fromkeys(people)]


def chain_summary(chain: Chain) -> dict[str, Any]:
    return {
        "chain_id": chain.id, "title": chain.title, "subject_type": chain.subject_type,
        "subject_id": chain.subject_id, "state": chain.state,
        "urgency": URGENCY[chain.urgency], "due_at": chain.due_at,
        "initiator_id": chain.initiator_id,
    }


def notify_pending(work: Work, chain: Chain, step_id: int, label: str, seat: Seat) -> None:
    work.emit("approval.pending", f"user:{seat.person}", {
        **chain_summary(chain), "step_id": step_id, "label": label,
        "on_behalf_of": seat.on_behalf_of, "via": seat.via,
    })


def notify_cancelled(work: Work, chain: Chain, step_id: int, person: int, reason: str) -> None:
    work.emit("approval.cancelled", f"user:{person}",
              {"chain_id": chain.id, "step_id": step_id, "reason": reason})


def notify_decided(work: Work, chain: Chain, decision: Decision, audience: list[str]) -> None:
    work.emit("approval.decided", audience, {
        **chain_summary(chain), "step_id": decision.step_id, "decision_id": decision.id,
        "person_id": decision.person_id, "on_behalf_of": decision.on_behalf_of_id,
        "decision": decision.verdict, "comment": decision.comment,
    })


def notify_chain(work: Work, kind: str, chain: Chain, audience: list[str], **extra: Any) -> None:
    """An event about the whole chain (`approval.completed`, `approval.delegated` …)."""
    work.emit(f"approval.{kind}", audience, {**chain_summary(chain), **extra})


class ChainEventData(BaseModel):
    """What every chain event carries: the chain in brief (more fields per kind may follow)."""

    model_config = ConfigDict(extra="allow")
    chain_id: int
    title: str
    subject_type: str
    subject_id: str
    state: str
    urgency: Literal["normal", "urgent", "critical"]
    due_at: datetime | None
    initiator_id: int


class PendingData(ChainEventData):
    """A seat opened for you: decide (or it was delegated to you, `via`)."""

    step_id: int
    label: str
    on_behalf_of: int | None
    via: str


class DecidedData(ChainEventData):
    step_id: int
    decision_id: int
    person_id: int
    on_behalf_of: int | None
    decision: Literal["approve", "reject", "return"]
    comment: str


class EndedData(ChainEventData):
    """The chain finished a pass: completed, rejected, returned (to `to_step_id`) or
    withdrawn; `cause` says which move ended it."""

    cause: str | None = None


class CancelledData(BaseModel):
    """Your open seat closed without your decision (the chain moved on or was withdrawn)."""

    model_config = ConfigDict(extra="allow")
    chain_id: int
    step_id: int
    reason: str


EVENTS: dict[str, type[BaseModel]] = {
    "approval.pending": PendingData, "approval.decided": DecidedData,
    "approval.cancelled": CancelledData, "approval.out_of_office": AbsencePublic,
    **{f"approval.{state.value}": EndedData for state in ChainState
       if state is not ChainState.RUNNING},
    **{f"approval.{kind}": ChainEventData for kind in (
        "delegated", "signers_added", "taken_back", "content_changed", "reminded")},
}
