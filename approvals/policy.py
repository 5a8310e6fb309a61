"""Rules of sign-off chains (签批) that need no database.

A chain is an ordered list of steps. While it runs, exactly one step is open: every step before
it is approved and every step after it waits. A step's assignees hold *seats* (one
`Assignment` row each, for the step's current round); a step that opens again (after a return,
a substantive edit or a 加签 in front of it) starts a new round with fresh seats.

`ChainMachine` applies one move at a time. It checks every condition before it changes
anything, so a refused move (`MoveRefused`) leaves the chain exactly as it was. The engine
(`approvals.engine`) builds a machine from the rows, applies the move, and writes what changed
with conditional updates; the property tests drive the same machine with random moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from approvals.states import (
    ACTIVE_SEATS, DECIDED, TERMINAL, ChainState, Mode, MoveRefused, Refusal, SeatState, StepState,
    Verdict, Where,
)


@dataclass(frozen=True)
class Rule:
    """A step's mode, with the quorum of a 票签: `count` (N of M) or `share` (0 < share < 1)."""

    mode: Mode
    count: int | None = None
    share: float | None = None

    def needed(self, seats: int) -> int:
        """Approvals that close the step as approved, given M active seats."""
        if self.mode in (Mode.ONE, Mode.ANY):
            return 1
        if self.mode is Mode.ALL:
            return seats
        if self.count is not None:
            return min(self.count, seats)  # people left the position since it was planned
        return max(1, math.ceil(round((self.share or 1.0) * seats, 9)))


def outcome(rule: Rule, seats: list[SeatState]) -> StepState:
    """Where a step stands given its seats: still open, approved or rejected.

    Approvals are counted, not completions: a 票签 of 2 of 3 closes at the second approval.
    """
    active = [s for s in seats if s in ACTIVE_SEATS]
    approvals = active.count(SeatState.APPROVED)
    rejections = active.count(SeatState.REJECTED)
    pending = active.count(SeatState.PENDING)
    need = rule.needed(len(active))
    if not active:
        return StepState.OPEN
    if rule.mode is Mode.QUORUM:
        if approvals >= need:
            return StepState.APPROVED
        return StepState.REJECTED if approvals + pending < need else StepState.OPEN
    if rejections:
        return StepState.REJECTED
    return StepState.APPROVED if approvals >= need else StepState.OPEN


@dataclass
class Seat:
    """One assignee's place on a step in its current round (an `Assignment` row)."""

    person: int
    state: SeatState = SeatState.PENDING
    on_behalf_of: int | None = None
    via: str = "assigned"
    key: int | None = None


@dataclass
class Step:
    key: int
    rule: Rule
    state: StepState = StepState.WAITING
    round: int = 0
    seats: list[Seat] = field(default_factory=list)

    def seat_of(self, person: int) -> Seat | None:
        """The person's active seat (they hold at most one per round)."""
        return next((s for s in self.seats if s.person == person and s.state in ACTIVE_SEATS),
                    None)


@dataclass(frozen=True)
class Mark:
    """A decision that still stands, as take-back (拿回) needs to know it."""

    person: int
    step: int
    round: int
    verdict: Verdict


@dataclass
class ChainMachine:
    """A chain's steps and state, and the moves that change them.

    `opened` lists the steps opened by the last move: they need seats (`staff`) before the
    move is complete. `marks` holds the decisions that still stand, oldest first (the engine
    loads only the latest, which is all that take-back looks at).
    """

    initiator: int
    steps: list[Step]
    state: ChainState = ChainState.RUNNING
    marks: list[Mark] = field(default_factory=list)
    opened: list[Step] = field(default_factory=list)

    # -- reading -------------------------------------------------------------------------------

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    def index(self, step_key: int) -> int:
        for position, step in enumerate(self.steps):
            if step.key == step_key:
                return position
        raise MoveRefused(Refusal.BAD_TARGET, "The chain has no such step.")

    def current(self) -> int | None:
        """Index of the open step, or of the returned one while the chain is returned."""
        if self.state not in (ChainState.RUNNING, ChainState.RETURNED):
            return None
        live = StepState.OPEN if self.state is ChainState.RUNNING else StepState.RETURNED
        return next((i for i, step in enumerate(self.steps) if step.state is live), None)

    # -- moves ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._open(self.steps[0])

    def staff(self, step: Step, seats: list[Seat]) -> None:
        """Seat the people of a step that just opened; nobody to seat returns the chain."""
        unique: dict[int, Seat] = {}
        for seat in seats:
            unique.setdefault(seat.person, seat)
        if not unique:  # e.g. nobody holds the position any more: the initiator must act
            step.state, self.state = StepState.RETURNED, ChainState.RETURNED
            return
        step.seats = list(unique.values())

    def decide(self, person: int, step_key: int, verdict: Verdict,
               return_to: int | None = None) -> None:
        """Approve, reject or return (退回) on the open step, as one of its pending assignees."""
        step = self._open_step(step_key)
        seat = self._pending_seat(step, person)
        target = self._return_target(step, return_to) if verdict is Verdict.RETURN else None
        self.marks.append(Mark(person, step.key, step.round, verdict))
        seat.state = DECIDED[verdict]
        if verdict is not Verdict.RETURN:
            self._settle(step)
            return
        self._close(step, StepState.RETURNED)
        if target is None:
            self.state = ChainState.RETURNED
        else:
            self._rewind(target, self.index(step.key))

    def delegate(self, person: int, step_key: int, to: int) -> Seat:
        """Hand my pending seat to `to` (转交); they decide in my place."""
        step = self._open_step(step_key)
        seat = self._pending_seat(step, person)
        if to == person or step.seat_of(to) is not None:
            raise MoveRefused(Refusal.ALREADY_SEATED, "That person already decides on this step.")
        seat.state = SeatState.DELEGATED
        new = Seat(to, on_behalf_of=person, via="delegated")
        step.seats.append(new)
        return new

    def add_signers(self, person: int, step_key: int, where: Where, new: Step) -> None:
        """Insert a step of new signers (加签) before or after the open step.

        A pending assignee of the open step or the initiator may. Before: the open step closes
        for now and opens again, in a new round, once the new signers have approved.
        """
        step = self._open_step(step_key)
        if person != self.initiator:
            self._pending_seat(step, person)
        at = self.index(step.key)
        if where is Where.AFTER:
            self.steps.insert(at + 1, new)
            return
        self.steps.insert(at, new)
        self._cancel_pending(step)
        step.state = StepState.WAITING
        self._open(new)

    def withdraw(self, person: int) -> None:
        """The initiator withdraws (撤回) a chain that has not finished."""
        self._require_initiator(person)
        self._require_state(ChainState.RUNNING, ChainState.RETURNED)
        at = self.current()
        if at is not None and self.steps[at].state is StepState.OPEN:
            self._cancel_pending(self.steps[at])
            self.steps[at].state = StepState.CANCELLED
        self.state = ChainState.WITHDRAWN

    def take_back(self, person: int) -> Step:
        """The last approver takes back (拿回) an approval the next step has not acted on.

        Allowed while the chain runs and the latest decision standing is this person's
        approval in its step's current round: either the step is still open, or it closed
        with this approval and the step after it is the open one. Returns the step reopened.
        """
        self._require_state(ChainState.RUNNING)
        mark = self.marks[-1] if self.marks else None
        if mark is None or mark.person != person or mark.verdict is not Verdict.APPROVE:
            raise MoveRefused(Refusal.NOTHING_TO_TAKE_BACK,
                              "Only the last decision, if it was your approval, can be taken back.")
        at = self.index(mark.step)
        step = self.steps[at]
        if step.round != mark.round or not self._may_reopen(at):
            raise MoveRefused(Refusal.NOTHING_TO_TAKE_BACK,
                              "The chain has moved on since your approval.")
        if step.state is StepState.APPROVED:
            self._cancel_pending(self.steps[at + 1])
            self.steps[at + 1].state = StepState.WAITING
            step.state = StepState.OPEN
            for seat in step.seats:
                if seat.state is SeatState.CANCELLED:
                    seat.state = SeatState.PENDING
        mine = step.seat_of(person)
        assert mine is not None and mine.state is SeatState.APPROVED
        mine.state = SeatState.PENDING
        self.marks.pop()
        return step

    def resubmit(self, person: int, from_step: int | None = None) -> None:
        """The initiator sends a returned chain on again, from the first step or a chosen one."""
        self._require_initiator(person)
        self._require_state(ChainState.RETURNED)
        at = self.current() or 0
        target = self._restart_target(from_step, at)
        self.state = ChainState.RUNNING
        self._rewind(target, at)

    def restart(self, from_step: int | None = None) -> None:
        """The subject changed (a substantive edit): the chain goes back to its first step, or
        to a chosen one no later than the open step. A returned chain simply stays returned."""
        self._require_state(ChainState.RUNNING, ChainState.RETURNED)
        at = self.current()
        if self.state is ChainState.RETURNED or at is None:
            return
        target = self._restart_target(from_step, at)
        self._cancel_pending(self.steps[at])
        self._rewind(target, at)

    # -- helpers -------------------------------------------------------------------------------

    def _require_state(self, *states: ChainState) -> None:
        if self.state not in states:
            raise MoveRefused(Refusal.CHAIN_CLOSED, f"The chain is {self.state.value}.")

    def _require_initiator(self, person: int) -> None:
        if person != self.initiator:
            raise MoveRefused(Refusal.NOT_INITIATOR, "Only the initiator may do this.")

    def _open_step(self, step_key: int) -> Step:
        self._require_state(ChainState.RUNNING)
        step = self.steps[self.index(step_key)]
        if step.state is not StepState.OPEN:
            raise MoveRefused(Refusal.STEP_CLOSED, f"This step is {step.state.value}, not open.")
        return step

    def _pending_seat(self, step: Step, person: int) -> Seat:
        seat = step.seat_of(person)
        if seat is None:
            delegated = any(s.person == person for s in step.seats)
            raise MoveRefused(Refusal.NOT_ASSIGNEE, "You handed this step on to someone else."
                              if delegated else "You are not an assignee of this step.")
        if seat.state is not SeatState.PENDING:
            raise MoveRefused(Refusal.ALREADY_DECIDED, "You have already decided on this step.")
        return seat

    def _return_target(self, step: Step, return_to: int | None) -> int | None:
        if return_to is None:
            return None
        target = self.index(return_to)
        if target >= self.index(step.key):
            raise MoveRefused(Refusal.BAD_TARGET, "A step can only be returned to an earlier step.")
        return target

    def _restart_target(self, from_step: int | None, at: int) -> int:
        target = 0 if from_step is None else self.index(from_step)
        if target > at:
            raise MoveRefused(Refusal.BAD_TARGET,
                              "The chain can only start again at or before its current step.")
        return target

    def _may_reopen(self, at: int) -> bool:
        step = self.steps[at]
        if step.state is StepState.OPEN:
            return True
        following = self.steps[at + 1] if at + 1 < len(self.steps) else None
        return step.state is StepState.APPROVED and following is not None \
            and following.state is StepState.OPEN

    def _settle(self, step: Step) -> None:
        result = outcome(step.rule, [seat.state for seat in step.seats])
        if result is StepState.OPEN:
            return
        self._close(step, result)
        if result is StepState.REJECTED:
            self.state = ChainState.REJECTED
            return
        at = self.index(step.key)
        if at + 1 < len(self.steps):
            self._open(self.steps[at + 1])
        else:
            self.state = ChainState.COMPLETED

    def _close(self, step: Step, state: StepState) -> None:
        self._cancel_pending(step)
        step.state = state

    def _cancel_pending(self, step: Step) -> None:
        for seat in step.seats:
            if seat.state is SeatState.PENDING:
                seat.state = SeatState.CANCELLED

    def _rewind(self, target: int, upto: int) -> None:
        """Steps `target..upto` wait again, and `target` opens in a new round."""
        for step in self.steps[target:upto + 1]:
            step.state = StepState.WAITING
        self._open(self.steps[target])

    def _open(self, step: Step) -> None:
        step.state = StepState.OPEN
        step.round += 1
        step.seats = []
        self.opened.append(step)
