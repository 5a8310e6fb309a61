"""The supervision rules that need no database: lifecycle, lights, outcomes, urging, rollup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supervision.config import yellow_days
from supervision.policy import (
    MOVES, IllegalMove, Light, Move, Outcome, Party, Stage, TaskState, Timing, ancestor_ids,
    is_overdue, lateness, light, next_state, outcome, reminder_times, rollup_percent,
    subtree_bounds, urge_retry_after,
)
from supervision.stats import checked_path

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
S = TaskState


def at(state: TaskState, due_in: timedelta, submitted: timedelta | None = None,
       finished: timedelta | None = None) -> Timing:
    return Timing(state, NOW + due_in, NOW + submitted if submitted is not None else None,
                  NOW + finished if finished is not None else None)


@pytest.mark.parametrize("move, before, after", [
    (Move.RECEIVE, S.ASSIGNED, S.RECEIVED),
    (Move.REPORT, S.RECEIVED, S.IN_PROGRESS),
    (Move.REPORT, S.IN_PROGRESS, S.IN_PROGRESS),
    (Move.SUBMIT, S.RECEIVED, S.SUBMITTED),
    (Move.SUBMIT, S.IN_PROGRESS, S.SUBMITTED),
    (Move.ACCEPT, S.SUBMITTED, S.DONE),
    (Move.REJECT, S.SUBMITTED, S.IN_PROGRESS),
    (Move.CANCEL, S.SUBMITTED, S.CANCELLED),
    (Move.URGE, S.ASSIGNED, S.ASSIGNED),
    (Move.DECOMPOSE, S.RECEIVED, S.RECEIVED),
    (Move.REQUEST_EXTENSION, S.IN_PROGRESS, S.IN_PROGRESS),
    (Move.DECIDE_EXTENSION, S.SUBMITTED, S.SUBMITTED),
    (Move.CLOSE, S.ASSIGNED, S.DONE),
    (Move.CLOSE, S.SUBMITTED, S.DONE),
    (Move.CONTINUE, S.IN_PROGRESS, S.IN_PROGRESS),
])
def test_next_state_follows_the_lifecycle(move: Move, before: TaskState, after: TaskState) -> None:
    assert next_state(move, before) == after


@pytest.mark.parametrize("move, state", [
    (Move.RECEIVE, S.RECEIVED), (Move.REPORT, S.ASSIGNED), (Move.SUBMIT, S.ASSIGNED),
    (Move.ACCEPT, S.IN_PROGRESS), (Move.REJECT, S.DONE), (Move.CANCEL, S.DONE),
    (Move.CANCEL, S.CANCELLED), (Move.URGE, S.SUBMITTED), (Move.URGE, S.DONE),
    (Move.DECOMPOSE, S.ASSIGNED), (Move.REQUEST_EXTENSION, S.SUBMITTED),
    (Move.CLOSE, S.CANCELLED), (Move.CONTINUE, S.DONE),
])
def test_next_state_refuses_moves_the_state_does_not_allow(move: Move, state: TaskState) -> None:
    with pytest.raises(IllegalMove):
        next_state(move, state)


def test_moves_are_made_by_the_party_that_owns_them() -> None:
    lead = {m for m, rule in MOVES.items() if rule.party == Party.LEAD}
    assert lead == {Move.RECEIVE, Move.REPORT, Move.DECOMPOSE, Move.SUBMIT,
                    Move.REQUEST_EXTENSION}
    assert not any(rule.target == S.DONE and rule.party == Party.LEAD for rule in MOVES.values())
    assert {m for m, rule in MOVES.items() if rule.party == Party.SOURCE} == {Move.CLOSE,
                                                                            Move.CONTINUE}


def test_state_names_mean_one_thing_each() -> None:
    """签收 is `received`; only `done` means finished, whichever move reached it."""
    assert next_state(Move.RECEIVE, S.ASSIGNED) == S.RECEIVED
    assert {rule.target for move, rule in MOVES.items() if move in (Move.ACCEPT, Move.CLOSE)} \
        == {S.DONE}
    assert "accepted" not in {state.value for state in TaskState}


def test_finished_tasks_take_no_move_at_all() -> None:
    for state in (S.DONE, S.CANCELLED):
        for move in Move:
            with pytest.raises(IllegalMove):
                next_state(move, state)


@pytest.mark.parametrize("timing, expected", [
    (at(S.IN_PROGRESS, timedelta(days=4)), Light.GREEN),
    (at(S.IN_PROGRESS, timedelta(days=3, seconds=1)), Light.GREEN),
    (at(S.IN_PROGRESS, timedelta(days=3)), Light.YELLOW),
    (at(S.ASSIGNED, timedelta(0)), Light.YELLOW),
    (at(S.RECEIVED, timedelta(seconds=-1)), Light.RED),
    (at(S.SUBMITTED, timedelta(days=-1), submitted=timedelta(days=-2)), Light.GREEN),
    (at(S.SUBMITTED, timedelta(days=1), submitted=timedelta(0)), Light.GREEN),
    (at(S.SUBMITTED, timedelta(days=-2), submitted=timedelta(days=-1)), Light.RED),
    (at(S.DONE, timedelta(days=-2), finished=timedelta(days=-1)), None),
    (at(S.CANCELLED, timedelta(days=-2)), None),
])
def test_light_is_red_overdue_yellow_within_three_days_else_green(
    timing: Timing, expected: Light | None
) -> None:
    assert light(timing, NOW) == expected


def test_light_yellow_window_is_configurable() -> None:
    task = at(S.IN_PROGRESS, timedelta(days=4))
    assert light(task, NOW, yellow_days=5) == Light.YELLOW
    assert light(task, NOW, yellow_days=3) == Light.GREEN


def test_yellow_days_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TONGBAN_SUPERVISION_YELLOW_DAYS", "5")
    assert yellow_days() == 5
    monkeypatch.setenv("TONGBAN_SUPERVISION_YELLOW_DAYS", "nonsense")
    assert yellow_days() == 3
    monkeypatch.delenv("TONGBAN_SUPERVISION_YELLOW_DAYS")
    assert yellow_days() == 3


@pytest.mark.parametrize("timing, expected", [
    (at(S.DONE, timedelta(days=-1), submitted=timedelta(days=-2), finished=timedelta(days=-2)),
     Outcome.DONE_ON_TIME),
    (at(S.DONE, timedelta(days=-2), submitted=timedelta(days=-1), finished=timedelta(days=-1)),
     Outcome.DONE_LATE),
    (at(S.IN_PROGRESS, timedelta(hours=-1)), Outcome.OVERDUE),
    (at(S.IN_PROGRESS, timedelta(hours=1)), Outcome.OPEN),
    (at(S.SUBMITTED, timedelta(hours=-1), submitted=timedelta(hours=-2)), Outcome.OPEN),
    (at(S.CANCELLED, timedelta(hours=-1)), Outcome.CANCELLED),
])
def test_outcome_puts_each_task_in_exactly_one_column(timing: Timing, expected: Outcome) -> None:
    assert outcome(timing, NOW) == expected
    assert is_overdue(timing, NOW) == (expected == Outcome.OVERDUE)


def test_lateness_counts_whole_seconds_after_the_due_time() -> None:
    assert lateness(NOW, NOW - timedelta(hours=1)) == 0
    assert lateness(NOW, NOW) == 0
    assert lateness(NOW, NOW + timedelta(seconds=0.2)) == 1
    assert lateness(NOW, NOW + timedelta(days=2, hours=1)) == 49 * 3600


def test_reminders_at_the_yellow_threshold_and_the_due_time() -> None:
    due = NOW + timedelta(days=5)
    assert reminder_times(due, NOW) == {Stage.DUE: due, Stage.DUE_SOON: due - timedelta(days=3)}
    soon = NOW + timedelta(days=2)
    assert reminder_times(soon, NOW) == {Stage.DUE: soon}  # the threshold has already passed
    assert reminder_times(due, NOW, yellow_days=1)[Stage.DUE_SOON] == due - timedelta(days=1)


def test_urging_waits_an_hour() -> None:
    assert urge_retry_after(None, NOW) is None
    assert urge_retry_after(NOW - timedelta(minutes=59), NOW) == 60
    assert urge_retry_after(NOW - timedelta(hours=1), NOW) is None
    assert urge_retry_after(NOW, NOW) == 3600


def test_rollup_is_the_mean_of_the_sub_tasks_done_counting_full() -> None:
    assert rollup_percent([]) is None
    assert rollup_percent([(S.DONE, 0), (S.IN_PROGRESS, 40)]) == 70
    assert rollup_percent([(S.CANCELLED, 0), (S.RECEIVED, 10)]) == 10
    assert rollup_percent([(S.CANCELLED, 0)]) is None


def test_paths_give_subtree_ranges_and_ancestors() -> None:
    lo, hi = subtree_bounds("/1/5/")
    inside = ["/1/5/", "/1/5/9/", "/1/5/99/3/"]
    outside = ["/1/50/", "/1/51/", "/1/4/", "/1/6/", "/1/"]
    assert all(lo <= p < hi for p in inside)
    assert not any(lo <= p < hi for p in outside)
    assert ancestor_ids("/3/8/21/") == [3, 8]
    assert ancestor_ids("/3/") == []


def test_only_well_formed_unit_paths_go_into_sql() -> None:
    assert checked_path("/1/52/7/") == "/1/52/7/"
    for bad in ("", "/", "/1/5", "1/5/", "/1/5/'; DROP TABLE sup_task; --/", "/1//5/", "/a/"):
        with pytest.raises(ValueError):
            checked_path(bad)
