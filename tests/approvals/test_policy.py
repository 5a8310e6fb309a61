"""The pure chain rules, driven by random sequences of moves (hypothesis).

The driver keeps its own ledger of who was seated and who decided, independent of the machine,
and checks after every move that:
- a completed chain has, on every step, the approvals its mode needs from the people seated;
- nobody has two standing decisions on one step in one round;
- a terminal chain refuses every move and does not change;
- a refused move changes nothing;
- a running chain has one open step, approved steps before it and waiting steps after it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.policy import ChainMachine, Rule, Seat, Step, outcome
from approvals.states import (
    ChainState, Mode, MoveRefused, Refusal, SeatState, StepState, Verdict, Where,
)

PEOPLE = list(range(7))  # person 0 is the initiator
KINDS = ("decide",) * 8 + ("take_back", "resubmit") * 2 + (
    "delegate", "add_before", "add_after", "withdraw", "restart")
VERDICTS = [Verdict.APPROVE] * 5 + [Verdict.REJECT, Verdict.RETURN, Verdict.RETURN]
Plan = tuple[Rule, list[int]]
# kind, who, which step, verdict, target step, other person, plan of new signers
Move = tuple[str, int, int, Verdict, int, int, Plan]


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    mode = draw(st.sampled_from(list(Mode)))
    if mode is not Mode.QUORUM:
        return Rule(mode)
    if draw(st.booleans()):
        return Rule(mode, count=draw(st.integers(1, 4)))
    return Rule(mode, share=draw(st.sampled_from([0.34, 0.5, 0.6, 0.75, 0.99])))


step_plans = st.tuples(rules(), st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4))
moves = st.tuples(
    st.sampled_from(KINDS), st.integers(0, 8), st.integers(0, 8), st.sampled_from(VERDICTS),
    st.integers(-3, 6), st.integers(0, 8), step_plans,
)


@dataclass
class Driver:
    machine: ChainMachine
    candidates: dict[int, list[int]]
    seated: dict[tuple[int, int], set[int]] = field(default_factory=dict)
    decided: dict[tuple[int, int], dict[int, Verdict]] = field(default_factory=dict)
    next_key: int = 100

    def staff(self) -> None:
        for step in self.machine.opened:
            people = self.candidates[step.key]
            self.machine.staff(step, [Seat(p) for p in people])
            self.seated[(step.key, step.round)] = set(people)
        self.machine.opened.clear()

    def pick_person(self, n: int) -> int:
        at = self.machine.current()
        pending = [] if at is None else [
            s.person for s in self.machine.steps[at].seats if s.state is SeatState.PENDING
        ]
        if pending and n < 5:  # mostly someone who may act, sometimes anyone
            return pending[n % len(pending)]
        last = [mark.person for mark in self.machine.marks[-1:]]
        options = last + [self.machine.initiator] + PEOPLE
        return options[n % len(options)]

    def pick_step(self, n: int) -> int:
        at = self.machine.current()
        if at is not None and n % 3 != 0:
            return self.machine.steps[at].key
        return self.machine.steps[n % len(self.machine.steps)].key

    def new_step(self, plan: Plan) -> Step:
        self.next_key += 1
        self.candidates[self.next_key] = plan[1]
        return Step(self.next_key, plan[0])

    def play(self, move: Move) -> None:
        kind, who, which, verdict, target, other, plan = move
        person, step_key = self.pick_person(who), self.pick_step(which)
        target_key = None if target < 0 else self.pick_step(target)
        m = self.machine
        if kind == "decide":
            self.decide(person, step_key, verdict, target_key)
        elif kind == "delegate":
            to = self.pick_person(other)
            m.delegate(person, step_key, to)
            ledger = self.seated[(step_key, m.steps[m.index(step_key)].round)]
            ledger.discard(person)
            ledger.add(to)
        elif kind in ("add_before", "add_after"):
            where = Where.BEFORE if kind == "add_before" else Where.AFTER
            m.add_signers(person, step_key, where, self.new_step(plan))
        elif kind == "withdraw":
            m.withdraw(person)
        elif kind == "take_back":
            step = m.take_back(person)
            del self.decided[(step.key, step.round)][person]
        elif kind == "resubmit":
            m.resubmit(person, target_key)
        else:
            m.restart(target_key)
        self.staff()

    def decide(self, person: int, step_key: int, verdict: Verdict, target: int | None) -> None:
        m = self.machine
        round_ = m.steps[m.index(step_key)].round
        m.decide(person, step_key, verdict, target)
        ledger = self.decided.setdefault((step_key, round_), {})
        assert person not in ledger, "a person decided twice on one step"
        assert person in self.seated[(step_key, round_)], "someone not seated decided"
        ledger[person] = verdict


def needed(rule: Rule, seats: int) -> int:
    """Written again here, apart from the machine's own, so the check is independent."""
    if rule.mode is Mode.ALL:
        return seats
    if rule.mode is Mode.QUORUM and rule.count is not None:
        return min(rule.count, seats)
    if rule.mode is Mode.QUORUM:
        return max(1, math.ceil(round((rule.share or 1) * seats, 9)))
    return 1


def check_completed(driver: Driver) -> None:
    for step in driver.machine.steps:
        assert step.state is StepState.APPROVED
        seated = driver.seated[(step.key, step.round)]
        decided = driver.decided.get((step.key, step.round), {})
        approvers = {p for p, v in decided.items() if v is Verdict.APPROVE}
        assert approvers <= seated
        assert len(approvers) >= needed(step.rule, len(seated)) >= 1
        if step.rule.mode is Mode.ALL:
            assert approvers == seated


def check_shape(machine: ChainMachine) -> None:
    states = [step.state for step in machine.steps]
    if machine.state in (ChainState.RUNNING, ChainState.RETURNED):
        live = StepState.OPEN if machine.state is ChainState.RUNNING else StepState.RETURNED
        assert states.count(live) == 1 and StepState.OPEN not in states[states.index(live) + 1:]
        at = states.index(live)
        assert all(s is StepState.APPROVED for s in states[:at])
        assert all(s is StepState.WAITING for s in states[at + 1:])
    assert states.count(StepState.OPEN) <= 1


def start(plans: list[Plan]) -> Driver:
    steps = [Step(key, rule) for key, (rule, _) in enumerate(plans, start=1)]
    driver = Driver(ChainMachine(0, steps), {k: p for k, (_, p) in enumerate(plans, start=1)})
    driver.machine.start()
    driver.staff()
    return driver


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step_plans, min_size=1, max_size=4), st.lists(moves, max_size=60))
def test_random_moves_keep_the_chain_rules(plans: list[Plan], sequence: list[Move]) -> None:
    driver = start(plans)
    for move in sequence:
        before = copy.deepcopy(driver.machine)
        try:
            driver.play(move)
        except MoveRefused:
            assert driver.machine == before, "a refused move changed the chain"
            continue
        assert not before.terminal, "a terminal chain accepted a move"
        check_shape(driver.machine)
        if driver.machine.state is ChainState.COMPLETED:
            check_completed(driver)
    approve_to_the_end(driver)


def approve_to_the_end(driver: Driver) -> None:
    """Whatever happened before, approving on (and resubmitting) finishes a live chain."""
    machine = driver.machine
    for _ in range(100):
        if machine.state is ChainState.RETURNED:
            machine.resubmit(machine.initiator)
        elif machine.state is ChainState.RUNNING:
            step = machine.steps[machine.current() or 0]
            pending = next(s.person for s in step.seats if s.state is SeatState.PENDING)
            driver.decide(pending, step.key, Verdict.APPROVE, None)
        else:
            break
        driver.staff()
        check_shape(machine)
    if machine.state is ChainState.COMPLETED:
        check_completed(driver)


@settings(max_examples=200, deadline=None)
@given(st.lists(step_plans, min_size=1, max_size=3))
def test_approving_in_order_completes_every_chain(plans: list[Plan]) -> None:
    driver = start(plans)
    approve_to_the_end(driver)
    assert driver.machine.state is ChainState.COMPLETED


@pytest.mark.parametrize(("rule", "seats", "expected"), [
    (Rule(Mode.ALL), ["approved", "approved", "pending"], StepState.OPEN),
    (Rule(Mode.ALL), ["approved", "approved", "approved"], StepState.APPROVED),
    (Rule(Mode.ALL), ["approved", "rejected", "pending"], StepState.REJECTED),
    (Rule(Mode.ANY), ["pending", "approved"], StepState.APPROVED),
    (Rule(Mode.QUORUM, count=2), ["approved", "rejected", "pending"], StepState.OPEN),
    (Rule(Mode.QUORUM, count=2), ["approved", "rejected", "approved"], StepState.APPROVED),
    (Rule(Mode.QUORUM, count=2), ["rejected", "rejected", "pending"], StepState.REJECTED),
    (Rule(Mode.QUORUM, share=0.5), ["approved", "pending", "pending", "pending"], StepState.OPEN),
    (Rule(Mode.QUORUM, share=0.5), ["approved", "approved", "pending", "delegated"],
     StepState.APPROVED),
])
def test_outcome_counts_approvals(rule: Rule, seats: list[str], expected: StepState) -> None:
    assert outcome(rule, [SeatState(s) for s in seats]) is expected


def test_take_back_reopens_the_step_while_the_next_has_not_acted() -> None:
    driver = start([(Rule(Mode.ANY), [1, 2]), (Rule(Mode.ONE), [3])])
    driver.decide(1, 1, Verdict.APPROVE, None)
    driver.staff()
    assert driver.machine.take_back(1).key == 1
    first, second = driver.machine.steps
    assert (first.state, second.state) == (StepState.OPEN, StepState.WAITING)
    assert [s.state for s in first.seats] == [SeatState.PENDING, SeatState.PENDING]
    with pytest.raises(MoveRefused) as refused:
        driver.machine.take_back(1)
    assert refused.value.reason is Refusal.NOTHING_TO_TAKE_BACK


def test_a_step_nobody_can_staff_returns_the_chain_to_the_initiator() -> None:
    machine = ChainMachine(0, [Step(1, Rule(Mode.ALL))])
    machine.start()
    machine.staff(machine.opened[0], [])
    assert machine.state is ChainState.RETURNED
    assert machine.steps[0].state is StepState.RETURNED
