"""The engine: a chain's rows as a `ChainMachine`, and what the machine changed written back.

`run` carries out one move. First optimistically: read the chain outside any transaction,
apply the move (pure, `approvals.policy`) and seat the people of a step that opened; then
*claim* the chain (`UPDATE … SET version = version + 1 WHERE version = v`) and write. Every
move bumps `version`, so a successful claim proves nobody moved the chain since it was read.
These writes go to a `GroupCommitter`: concurrent moves share one transaction and one commit
(DESIGN.md: the commit, not the row, is what a write costs), in chain id order.

If the claim fails, or the move was refused on what may have been a torn read, the move is done
again under the lock, in a transaction of its own: the same bump, unconditional and first (on
PostgreSQL a row lock the next mover waits for), then read, apply, write. Each write is still
conditional on the state it was read in, so nothing is ever overwritten blind.

A batch that fails is rolled back and run again without the culprit, so `_commit` may run
more than once for one move: it reads only the snapshot taken before and keeps what it learns
(new ids) to itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from approvals import events, store
from approvals.handlers import handler_for
from approvals.models import Chain, Decision, Step as StepRow
from approvals.policy import ChainMachine, Mark, Rule, Seat, Step
from approvals.states import ChainState, Mode, MoveRefused, SeatState, StepState, Verdict
from approvals.staffing import seats_for
from core.batch import GroupCommitter
from core.clock import utcnow
from core.errors import Conflict, NotFound
from core.tx import Work, atomic

T = TypeVar("T")
FAR_FUTURE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")  # inbox order: no deadline last
MOVED = object()  # the claim failed: someone moved the chain since it was read
committer = GroupCommitter(max_batch=100)


@dataclass
class Loaded:
    """A chain, its machine, and the state every row was read in."""

    chain: Chain
    machine: ChainMachine
    step_rows: dict[int, StepRow]
    seats_before: list[tuple[Seat, SeatState, int]]
    steps_before: dict[int, tuple[StepState, int, int]]
    state_before: ChainState
    version: int
    now: datetime = field(default_factory=utcnow)

    def audience(self) -> list[str]:
        """The initiator and the watchers (抄送), as feed audiences."""
        return events.users([self.chain.initiator_id, *self.chain.watchers])

    def new_step(self, row: StepRow) -> Step:
        """A step not yet stored (加签), known to the machine under a provisional key."""
        key = -1 - sum(1 for k in self.step_rows if k < 0)
        self.step_rows[key] = row
        return Step(key, rule_of(row))


@dataclass
class Changes:
    """What one run of `_commit` wrote, for the events and the action's own writes."""

    pending: list[tuple[Seat, int, str]] = field(default_factory=list)  # (seat, step id, label)
    cancelled: list[tuple[int, int]] = field(default_factory=list)  # (person, step id)
    state: ChainState | None = None
    step_ids: dict[int, int] = field(default_factory=dict)  # provisional key → new id

    def step_id(self, key: int) -> int:
        return self.step_ids.get(key, key)


Prepare = Callable[[Loaded], None]
Write = Callable[[Loaded, Work, Changes], Awaitable[T]]


def rule_of(row: StepRow) -> Rule:
    return Rule(Mode(row.mode), row.quorum_count, row.quorum_share)


async def run(chain: Chain, *, cause: str, prepare: Prepare, write: Write[T],
              with_last_mark: bool = False) -> tuple[T, Loaded]:
    """Carry out one move: `prepare` applies it to the machine; in the transaction, after the
    chain's changes are written, `write` adds the action's own rows, events and audit entry
    (so they come before the events of the chain moving on)."""
    try:
        loaded = await load(chain, with_last_mark=with_last_mark)
        await _apply(loaded, prepare)
        result = await committer.submit(lambda: _claimed(loaded, write, cause), key=chain.id)
        if result is not MOVED:
            return result, loaded
    except MoveRefused:
        pass  # perhaps a torn read: decide again under the lock
    async with atomic() as work:
        await lock(chain.id)
        loaded = await load(await Chain.get(id=chain.id), with_last_mark=with_last_mark)
        await _apply(loaded, prepare)
        return await _commit(loaded, work, write, cause, claimed=False), loaded


async def _claimed(loaded: Loaded, write: Write[T], cause: str) -> Any:
    async with atomic() as work:  # the batch's transaction
        machine = loaded.machine
        new_state = machine.state.value if machine.state is not loaded.state_before else None
        finished = loaded.now if machine.terminal else None
        if not await store.claim(loaded.chain, loaded.version, new_state, finished):
            return MOVED
        return await _commit(loaded, work, write, cause, claimed=True)


async def lock(chain_id: int) -> None:
    if not await store.changed(store.LOCK, chain_id):
        raise NotFound("No such approval chain.")


async def load(chain: Chain, *, with_last_mark: bool = False) -> Loaded:
    """The chain's steps and this round's seats as a machine."""
    found = await store.steps_and_seats(chain.id)
    steps = [Step(row.id, rule_of(row), StepState(row.state), row.round, seats)
             for row, seats in found]
    marks = await last_mark(chain.id) if with_last_mark else []
    machine = ChainMachine(chain.initiator_id, steps, ChainState(chain.state), marks)
    return Loaded(
        chain, machine, {row.id: row for row, _ in found},
        [(seat, seat.state, row.id) for row, seats in found for seat in seats],
        {row.id: (StepState(row.state), row.round, row.position) for row, _ in found},
        machine.state, chain.version,
    )


async def last_mark(chain_id: int) -> list[Mark]:
    row = await Decision.filter(chain_id=chain_id, retracted_at=None).order_by("-id").first()
    return [Mark(row.person_id, row.step_id, row.round, Verdict(row.verdict))] if row else []


async def _apply(loaded: Loaded, prepare: Prepare) -> None:
    """The move, then seats for the step it opened (positions resolve now, see staffing)."""
    prepare(loaded)
    machine = loaded.machine
    for step in machine.opened:
        machine.staff(step, await seats_for(loaded.step_rows[step.key].assignees,
                                            at=loaded.now))
    machine.opened.clear()


async def begin(chain: Chain, work: Work) -> Loaded:
    """A chain created in this same transaction: open its first step."""
    loaded = await load(chain)
    await _apply(loaded, lambda it: it.machine.start())
    await _commit(loaded, work, _nothing, "started", claimed=False)
    return loaded


async def _nothing(loaded: Loaded, work: Work, changes: Changes) -> None:
    return None


async def _commit(loaded: Loaded, work: Work, write: Write[T], cause: str, *,
                  claimed: bool) -> T:
    changes = Changes()
    await _write_steps(loaded, changes)
    await _write_seats(loaded, changes)
    await _write_chain(loaded, changes, claimed=claimed)
    result = await write(loaded, work, changes)
    await _notify(loaded, changes, work, cause)
    return result


async def _write_steps(loaded: Loaded, changes: Changes) -> None:
    for position, step in enumerate(loaded.machine.steps):
        opened = loaded.now if step.state is StepState.OPEN else None
        if step.key < 0:  # a step of new signers (加签), stored now
            changes.step_ids[step.key] = await store.insert_step(
                loaded.chain.id, loaded.step_rows[step.key], position=position,
                state=step.state.value, round_=step.round, opened_at=opened)
            continue
        state, round_, was_at = loaded.steps_before[step.key]
        if (step.state, step.round, position) == (state, round_, was_at):
            continue
        opened_at = opened if step.round != round_ else loaded.step_rows[step.key].opened_at
        if not await store.move_step(step.key, (state.value, round_), step.state.value,
                                     step.round, position, opened_at):
            raise _moved()


async def _write_seats(loaded: Loaded, changes: Changes) -> None:
    for seat, before, step_id in loaded.seats_before:
        if seat.state is before:
            continue
        decided_at = None if seat.state is SeatState.PENDING else loaded.now
        if not await store.move_seat(seat.key or 0, before.value, seat.state.value, decided_at):
            raise _moved()
        if before is SeatState.PENDING and seat.state is SeatState.CANCELLED:
            changes.cancelled.append((seat.person, step_id))
    chain, values = loaded.chain, []
    for step in loaded.machine.steps:
        for seat in (s for s in step.seats if s.key is None):
            values.append((chain.id, changes.step_id(step.key), step.round, seat.person,
                           seat.on_behalf_of, seat.via, seat.state.value, chain.urgency,
                           chain.due_at or FAR_FUTURE, loaded.now))
            changes.pending.append((seat, changes.step_id(step.key),
                                    loaded.step_rows[step.key].label))
    await store.insert_seats(values)


async def _write_chain(loaded: Loaded, changes: Changes, *, claimed: bool) -> None:
    machine, chain = loaded.machine, loaded.chain
    if machine.state is loaded.state_before:
        return
    finished = loaded.now if machine.terminal else None
    if not claimed and not await store.set_state(chain, loaded.state_before.value,
                                                 machine.state.value, finished):
        raise _moved()
    chain.update_from_dict({"state": machine.state.value, "finished_at": finished})
    changes.state = machine.state


async def _notify(loaded: Loaded, changes: Changes, work: Work, cause: str) -> None:
    chain = loaded.chain
    for seat, step_id, label in changes.pending:
        events.notify_pending(work, chain, step_id, label, seat)
    for person, step_id in changes.cancelled:
        events.notify_cancelled(work, chain, step_id, person, cause)
    if changes.state is None or changes.state is ChainState.RUNNING:
        return
    events.notify_chain(work, changes.state.value, chain, loaded.audience(), cause=cause)
    await run_hook(chain, changes.state)


async def run_hook(chain: Chain, state: ChainState) -> None:
    """The subject's hook for a chain that just completed, was rejected, returned or withdrawn."""
    handler = handler_for(chain.subject_type)
    hooks = {ChainState.COMPLETED: handler.on_completed, ChainState.REJECTED: handler.on_rejected,
             ChainState.RETURNED: handler.on_returned, ChainState.WITHDRAWN: handler.on_withdrawn}
    await hooks[state](chain)


def _moved() -> Conflict:
    return Conflict("The chain changed at the same moment; load it again.", slug="chain-moved")
