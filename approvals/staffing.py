"""Who sits on a step: assignees named as people or as positions in units, resolved when the
step opens, and redirected to a delegate while the assignee is out of office (外出委托)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from approvals import store
from approvals.policy import Seat
from directory.models import Position
from directory.policy import Role


def position_matches(row: dict[str, Any], spec: dict[str, Any]) -> bool:
    """A post matches by title, by role, or both; neither given means the unit's leader (负责人)."""
    title, role = spec.get("title"), spec.get("role")
    if title is None and role is None:
        role = Role.LEADER
    return (title is None or row["title"] == title) and (role is None or role in row["roles"])


async def holders(spec: dict[str, Any]) -> list[int]:
    """Active people holding a matching position in the unit, by id."""
    rows = await Position.filter(unit_id=spec["unit_id"], person__active=True).order_by(
        "person_id").values("person_id", "title", "roles")
    return [row["person_id"] for row in rows if position_matches(row, spec)]


async def resolve(assignees: dict[str, Any], *, at: datetime) -> list[tuple[int, int | None]]:
    """The people an assignee spec names now, people first, then position holders, once each,
    with whoever stands in for each of them at `at` (外出委托, the latest period set wins)."""
    named = [int(person) for person in assignees.get("people") or []]
    for spec in assignees.get("positions") or []:
        named.extend(await holders(spec))
    named = list(dict.fromkeys(named))
    found = await store.people_with_delegates(named, at) if named else {}
    return [(person, found[person]) for person in named if person in found]


async def seats_for(assignees: dict[str, Any], *, at: datetime) -> list[Seat]:
    """Seats of a step opening at `at`.

    An assignee away at `at` is replaced by their delegate, recorded as on their behalf; one hop
    only, and not when the delegate already sits on the step (one person, one seat).
    """
    people = await resolve(assignees, at=at)
    named = {person for person, _ in people}
    return [Seat(delegate, on_behalf_of=person, via="out_of_office")
            if delegate is not None and delegate not in named else Seat(person)
            for person, delegate in people]
