"""Rules of supervision (督办) that need no database: the lifecycle, lights, outcomes, urging.

The lifecycle of a task (督办事项), after the municipal cycle 立项交办 → 签收 → 办理 → 进展反馈 →
办结报告 → 复核 → 办结:

    assigned ──receive──▶ received ──report──▶ in_progress ──submit──▶ submitted ──accept──▶ done
                             │                    ▲   │                    │
                             └──────submit────────┼───┘                    │
                                                  └───────reject───────────┘
    any state but done/cancelled ──cancel──▶ cancelled
    any state but done/cancelled ──close──▶ done          (its source's 办结, e.g. a 收文's)

Each state name means one thing: `received` is signed for (签收), `done` is finished (办结) —
reached by `accept` (the supervisor's review of the completion report, 复核通过) or by `close`
(the record that opened the task was finished: a 收文's 办结 closes the 督办 it opened). When
the handler says the work goes on past that 办结, `continue` leaves the state as it is and the
task is marked `continuing`; it stays open (and overdue when late) in every statistic.

Extension requests (延期申请), urging (催办) and decomposition (分解) leave the state as it is but
are allowed only in some states, by some party. `MOVES` is the whole table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

URGE_INTERVAL = timedelta(hours=1)  # 催办: at most once per hour per task
DEFAULT_YELLOW_DAYS = 3


class TaskState(StrEnum):
    ASSIGNED = "assigned"  # 已交办, waiting to be signed for
    RECEIVED = "received"  # 已签收
    IN_PROGRESS = "in_progress"  # 办理中
    SUBMITTED = "submitted"  # 办结报告 submitted, waiting for review (复核)
    DONE = "done"  # 办结 (accepted by the supervisor)
    CANCELLED = "cancelled"  # 撤销


OPEN_STATES = frozenset({TaskState.ASSIGNED, TaskState.RECEIVED, TaskState.IN_PROGRESS})
ACTIVE_STATES = OPEN_STATES | {TaskState.SUBMITTED}  # neither done nor cancelled
WORKING_STATES = frozenset({TaskState.RECEIVED, TaskState.IN_PROGRESS})


class Party(StrEnum):
    """Who may make a move: the lead assignees (承办人), the supervisors (督办人), or the record
    the task came from (its source: whoever that record's own rules let finish it)."""

    LEAD = "lead"
    SUPERVISOR = "supervisor"
    SOURCE = "source"


class Move(StrEnum):
    RECEIVE = "receive"  # 签收
    REPORT = "report"  # 进展反馈
    DECOMPOSE = "decompose"  # 分解 to sub-units
    SUBMIT = "submit"  # 办结报告 with evidence
    ACCEPT = "accept"  # 办结 (复核通过)
    REJECT = "reject"  # 退回重办
    REQUEST_EXTENSION = "request_extension"  # 延期申请
    DECIDE_EXTENSION = "decide_extension"  # 延期审批
    URGE = "urge"  # 催办
    CANCEL = "cancel"  # 撤销
    CLOSE = "close"  # 办结 of the source closes the task
    CONTINUE = "continue"  # the source is finished, the work goes on (持续办理)


@dataclass(frozen=True)
class Rule:
    sources: frozenset[TaskState]
    target: TaskState | None  # None: the state stays as it is
    party: Party


MOVES: dict[Move, Rule] = {
    Move.RECEIVE: Rule(frozenset({TaskState.ASSIGNED}), TaskState.RECEIVED, Party.LEAD),
    Move.REPORT: Rule(WORKING_STATES, TaskState.IN_PROGRESS, Party.LEAD),
    Move.DECOMPOSE: Rule(WORKING_STATES, None, Party.LEAD),
    Move.SUBMIT: Rule(WORKING_STATES, TaskState.SUBMITTED, Party.LEAD),
    Move.ACCEPT: Rule(frozenset({TaskState.SUBMITTED}), TaskState.DONE, Party.SUPERVISOR),
    Move.REJECT: Rule(frozenset({TaskState.SUBMITTED}), TaskState.IN_PROGRESS, Party.SUPERVISOR),
    Move.REQUEST_EXTENSION: Rule(WORKING_STATES, None, Party.LEAD),
    Move.DECIDE_EXTENSION: Rule(ACTIVE_STATES, None, Party.SUPERVISOR),
    Move.URGE: Rule(OPEN_STATES, None, Party.SUPERVISOR),
    Move.CANCEL: Rule(ACTIVE_STATES, TaskState.CANCELLED, Party.SUPERVISOR),
    Move.CLOSE: Rule(ACTIVE_STATES, TaskState.DONE, Party.SOURCE),
    Move.CONTINUE: Rule(ACTIVE_STATES, None, Party.SOURCE),
}


class IllegalMove(Exception):
    """The move is not allowed from the task's current state."""

    def __init__(self, move: Move, state: TaskState) -> None:
        super().__init__(f"A task that is {state.value} cannot take `{move.value}`.")
        self.move, self.state = move, state


def next_state(move: Move, state: TaskState) -> TaskState:
    """The state after `move`, or IllegalMove if the move is not allowed from `state`."""
    rule = MOVES[move]
    if state not in rule.sources:
        raise IllegalMove(move, state)
    return rule.target or state


def party_of(move: Move) -> Party:
    return MOVES[move].party


def sources_of(move: Move) -> list[str]:
    """The states a conditional update must find the task in (`… WHERE state IN …`)."""
    return sorted(state.value for state in MOVES[move].sources)


class Light(StrEnum):
    """Status lights (红黄绿灯) of a task that is not yet done."""

    GREEN = "green"
    YELLOW = "yellow"  # due within the yellow window (临近到期)
    RED = "red"  # overdue (超期)


class Outcome(StrEnum):
    """How a task counts in the statistics; every task is exactly one of these."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OVERDUE = "overdue"
    OPEN = "open"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Timing:
    """What the time rules need to know of a task."""

    state: TaskState
    due_at: datetime
    submitted_at: datetime | None = None
    finished_at: datetime | None = None


def is_overdue(task: Timing, now: datetime) -> bool:
    """Past due and not finished. A report submitted before the due time, still under review,
    does not make the task overdue: the assignees did their part in time."""
    if task.state in OPEN_STATES:
        return task.due_at < now
    if task.state == TaskState.SUBMITTED:
        return task.submitted_at is not None and task.submitted_at > task.due_at
    return False


def outcome(task: Timing, now: datetime) -> Outcome:
    if task.state == TaskState.CANCELLED:
        return Outcome.CANCELLED
    if task.state == TaskState.DONE:
        late = lateness(task.due_at, task.finished_at or task.due_at)
        return Outcome.DONE_LATE if late > 0 else Outcome.DONE_ON_TIME
    return Outcome.OVERDUE if is_overdue(task, now) else Outcome.OPEN


def light(task: Timing, now: datetime, *, yellow_days: int = DEFAULT_YELLOW_DAYS) -> Light | None:
    """Red when overdue, yellow when at most `yellow_days` remain, else green; None once the
    task is done or cancelled (it has no deadline left to watch)."""
    if task.state not in ACTIVE_STATES:
        return None
    if is_overdue(task, now):
        return Light.RED
    if task.state == TaskState.SUBMITTED or task.due_at - now > timedelta(days=yellow_days):
        return Light.GREEN
    return Light.YELLOW


def lateness(due_at: datetime, finished_at: datetime) -> int:
    """Whole seconds finished after the due time (0 when on time)."""
    return max(0, math.ceil((finished_at - due_at).total_seconds()))


class Stage(StrEnum):
    """Reminders the scheduler sends (临近提醒, 到期提醒)."""

    DUE_SOON = "due_soon"
    DUE = "due"


def reminder_times(
    due_at: datetime, now: datetime, *, yellow_days: int = DEFAULT_YELLOW_DAYS
) -> dict[Stage, datetime]:
    """When to remind: at the yellow threshold (unless already passed) and at the due time."""
    times = {Stage.DUE: due_at}
    yellow_at = due_at - timedelta(days=yellow_days)
    if yellow_at > now:
        times[Stage.DUE_SOON] = yellow_at
    return times


def urge_retry_after(last_urged_at: datetime | None, now: datetime) -> int | None:
    """Seconds until the next 催办 is allowed, or None if it is allowed now."""
    if last_urged_at is None:
        return None
    wait = (last_urged_at + URGE_INTERVAL - now).total_seconds()
    return math.ceil(wait) if wait > 0 else None


def rollup_percent(children: Iterable[tuple[TaskState, int]]) -> int | None:
    """A parent's progress from its sub-tasks: the mean of their percents, a finished one
    counting 100, cancelled ones left out; None when no sub-task counts."""
    counted = [
        100 if state == TaskState.DONE else percent
        for state, percent in children
        if state != TaskState.CANCELLED
    ]
    if not counted:
        return None
    return round(sum(counted) / len(counted))


def within(path: str, ancestor_paths: Iterable[str]) -> bool:
    """Whether a materialised path (`/1/5/9/`) lies in any of the given subtrees."""
    return any(path.startswith(prefix) for prefix in ancestor_paths)


def ancestor_ids(lineage: str) -> list[int]:
    """Ids of the tasks above this one, from its lineage (`/3/8/21/` → [3, 8])."""
    return [int(part) for part in lineage.strip("/").split("/") if part][:-1]


def subtree_bounds(path: str) -> tuple[str, str]:
    """The half-open range [lo, hi) of every path under `path` in byte order
    (`/1/5/` → [`/1/5/`, `/1/50`)): '0' is the character right after '/'."""
    return path, path[:-1] + "0"
