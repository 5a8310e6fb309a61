"""The statements every decision runs, written out in SQL for SQLite and PostgreSQL.

A decision runs about a dozen statements. Built by the ORM, each costs about as much CPU again
as running it (~0.1 ms: query objects, filters, SQL text), which halves the decisions a server
process can take per second; these few are therefore written once here. Rows read raw become
models through `Model._init_from_db`, the ORM's own conversion of database values. Everything
else in the package uses the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from approvals.models import Chain, Decision, Step
from approvals.policy import Seat
from approvals.states import SeatState
from core.jsonutil import dumps
from core.rawsql import changed, rows
from directory.models import Device

CHAIN_SEEN_BY = (
    "SELECT c.* FROM appr_chain c WHERE c.id = {} AND (c.initiator_id = {} OR EXISTS ("
    "SELECT 1 FROM appr_assignment a WHERE a.chain_id = c.id "
    "AND (a.person_id = {} OR a.on_behalf_of_id = {})))"
)
STEPS_AND_SEATS = (
    "SELECT s.*, a.id AS seat_id, a.person_id AS seat_person, a.state AS seat_state, "
    "a.on_behalf_of_id AS seat_for, a.via AS seat_via FROM appr_step s "
    "LEFT JOIN appr_assignment a ON a.chain_id = s.chain_id AND a.round = s.round "
    "AND a.step_id = s.id "
    "WHERE s.chain_id = {} ORDER BY s.position, s.id, a.id"
)
DEVICE = "SELECT * FROM dir_device WHERE thumbprint = {}"
PEOPLE_WITH_DELEGATES = (
    "SELECT p.id, (SELECT o.delegate_id FROM appr_out_of_office o "
    "JOIN dir_person d ON d.id = o.delegate_id AND d.active "
    "WHERE o.person_id = p.id AND o.starts_at <= {} AND o.ends_at > {} "
    "AND o.cancelled_at IS NULL ORDER BY o.id DESC LIMIT 1) AS delegate_id "
    "FROM dir_person p WHERE p.active AND p.id IN ({})"
)
LOCK = "UPDATE appr_chain SET version = version + 1 WHERE id = {}"
CLAIM = "UPDATE appr_chain SET version = version + 1 WHERE id = {} AND version = {}"
CLAIM_AND_SET = (
    "UPDATE appr_chain SET version = version + 1, state = {}, finished_at = {} "
    "WHERE id = {} AND version = {}"
)
SET_STATE = "UPDATE appr_chain SET state = {}, finished_at = {} WHERE id = {} AND state = {}"
MOVE_STEP = (
    "UPDATE appr_step SET state = {}, round = {}, position = {}, opened_at = {} "
    "WHERE id = {} AND state = {} AND round = {}"
)
INSERT_STEP = (
    "INSERT INTO appr_step (chain_id, position, label, mode, quorum_count, quorum_share, "
    "assignees, state, round, added_by_id, opened_at) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id"
)
MOVE_SEAT = "UPDATE appr_assignment SET state = {}, decided_at = {} WHERE id = {} AND state = {}"
INSERT_SEAT = (
    "INSERT INTO appr_assignment (chain_id, step_id, round, person_id, on_behalf_of_id, via, "
    "state, urgency, sort_due, opened_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})"
)
INSERT_DECISION = (
    "INSERT INTO appr_decision (chain_id, step_id, assignment_id, round, person_id, "
    "on_behalf_of_id, verdict, comment, content_sha256, signed_at, nonce, device_id, "
    "signature, return_to_step_id, decided_at) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id"
)


async def chain_seen_by(chain_id: int, person_id: int) -> Chain | None:
    """The chain, if the person started it or holds or held a seat on it."""
    found = await rows(CHAIN_SEEN_BY, chain_id, person_id, person_id, person_id)
    return Chain._init_from_db(**found[0]) if found else None


async def device(thumbprint: str) -> Device | None:
    found = await rows(DEVICE, thumbprint)
    return Device._init_from_db(**found[0]) if found else None


async def people_with_delegates(people: Sequence[int], at: datetime) -> dict[int, int | None]:
    """Which of these people are active, each with who stands in for them at `at`, if anyone."""
    marks = ", ".join("{}" for _ in people)
    found = await rows(PEOPLE_WITH_DELEGATES.replace("({})", f"({marks})"), at, at, *people)
    return {int(row["id"]): row["delegate_id"] for row in found}


async def steps_and_seats(chain_id: int) -> list[tuple[Step, list[Seat]]]:
    """The chain's steps in order, each with the seats of its current round."""
    result: list[tuple[Step, list[Seat]]] = []
    for row in await rows(STEPS_AND_SEATS, chain_id):
        seat = _seat(row)
        if not result or result[-1][0].id != row["id"]:
            result.append((Step._init_from_db(**_step_columns(row)), []))
        if seat is not None:
            result[-1][1].append(seat)
    return result


def _step_columns(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if not name.startswith("seat_")}


def _seat(row: dict[str, Any]) -> Seat | None:
    if row["seat_id"] is None:
        return None
    return Seat(row["seat_person"], SeatState(row["seat_state"]), row["seat_for"],
                row["seat_via"], row["seat_id"])


async def claim(chain: Chain, version: int, state: str | None, finished_at: datetime | None
                ) -> bool:
    """Bump the version if it is still the one read; with the chain's new state, if any."""
    if state is None:
        return bool(await changed(CLAIM, chain.id, version))
    return bool(await changed(CLAIM_AND_SET, state, finished_at, chain.id, version))


async def set_state(chain: Chain, before: str, state: str, finished_at: datetime | None) -> bool:
    return bool(await changed(SET_STATE, state, finished_at, chain.id, before))


async def move_step(step_id: int, before: tuple[str, int], state: str, round_: int,
                    position: int, opened_at: datetime | None) -> bool:
    return bool(await changed(MOVE_STEP, state, round_, position, opened_at, step_id, *before))


async def insert_step(chain_id: int, row: Step, *, position: int, state: str, round_: int,
                      opened_at: datetime | None) -> int:
    found = await rows(INSERT_STEP, chain_id, position, row.label, row.mode, row.quorum_count,
                       row.quorum_share, dumps(row.assignees), state, round_, row.added_by_id,
                       opened_at)
    return int(found[0]["id"])


async def move_seat(seat_id: int, before: str, state: str, decided_at: datetime | None) -> bool:
    return bool(await changed(MOVE_SEAT, state, decided_at, seat_id, before))


async def insert_seats(values: Sequence[Sequence[Any]]) -> None:
    for seat in values:
        await rows(INSERT_SEAT, *seat)


async def insert_decision(**fields: Any) -> Decision:
    found = await rows(INSERT_DECISION, *(fields[name] for name in DECISION_FIELDS))
    return Decision(id=int(found[0]["id"]), **fields)


DECISION_FIELDS = ("chain_id", "step_id", "assignment_id", "round", "person_id",
                   "on_behalf_of_id", "verdict", "comment", "content_sha256", "signed_at",
                   "nonce", "device_id", "signature", "return_to_step_id", "decided_at")
