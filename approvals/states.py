"""The words of sign-off chains (签批): modes, decisions, the states of chains, steps and seats,
and why a move may be refused. The rules that use them are in `approvals.policy`."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """How a step's assignees decide together."""

    ONE = "one"  # 单签: a single signer (several holders of a position: the first decides)
    ALL = "all"  # 会签: every assignee approves
    ANY = "any"  # 或签: the first decision decides
    QUORUM = "quorum"  # 票签: N of M approvals, or a share of M


class Verdict(StrEnum):
    """What a signer decides (the API's `decision`)."""

    APPROVE = "approve"  # 同意
    REJECT = "reject"  # 不同意: ends the chain (in 票签, a vote against)
    RETURN = "return"  # 退回: to the initiator or to an earlier step


class ChainState(StrEnum):
    RUNNING = "running"
    RETURNED = "returned"  # 退回 to the initiator, who may resubmit or withdraw
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # 撤回


TERMINAL = frozenset({ChainState.COMPLETED, ChainState.REJECTED, ChainState.WITHDRAWN})


class StepState(StrEnum):
    WAITING = "waiting"  # not open in this pass of the chain
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    CANCELLED = "cancelled"  # open when the chain was withdrawn


class SeatState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    DELEGATED = "delegated"  # 转交: handed to another person, who holds a seat of their own
    CANCELLED = "cancelled"  # closed without this assignee deciding


# Seats that count towards a step's M; a delegated seat is replaced by the delegate's.
ACTIVE_SEATS = frozenset({SeatState.PENDING, SeatState.APPROVED, SeatState.REJECTED,
                          SeatState.RETURNED})
DECIDED = {Verdict.APPROVE: SeatState.APPROVED, Verdict.REJECT: SeatState.REJECTED,
           Verdict.RETURN: SeatState.RETURNED}


class Where(StrEnum):
    """Where 加签 puts the new signers."""

    BEFORE = "before"  # 前加签: they sign first, then the current step opens again
    AFTER = "after"  # 后加签: they sign after the current step


class Refusal(StrEnum):
    """Why a move is refused; the engine turns each into a problem type of the same name."""

    CHAIN_CLOSED = "chain-not-running"
    STEP_CLOSED = "step-closed"
    NOT_ASSIGNEE = "not-an-assignee"
    ALREADY_DECIDED = "already-decided"
    NOT_INITIATOR = "not-the-initiator"
    BAD_TARGET = "bad-step-target"
    ALREADY_SEATED = "already-an-assignee"
    NOTHING_TO_TAKE_BACK = "nothing-to-take-back"


class MoveRefused(Exception):
    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
