"""Checking a chain's plan before it starts: every step must name people who exist now.

Positions are resolved again when each step opens; checking them at the start catches a
misspelt title or an empty unit while the initiator is still looking at the form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from approvals.states import Mode
from approvals.staffing import resolve
from core.clock import utcnow
from core.errors import Unprocessable, field_error
from directory.models import Person, Unit


@dataclass(frozen=True)
class StepPlan:
    """One planned step: label (核稿, 会签, 签发 …), mode, assignees, and a 票签's quorum."""

    label: str
    mode: Mode
    people: list[int] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    quorum_count: int | None = None
    quorum_share: float | None = None

    @property
    def assignees(self) -> dict[str, Any]:
        return {"people": self.people, "positions": self.positions}


def _refuse(loc: Sequence[str | int], msg: str, kind: str) -> Unprocessable:
    return Unprocessable(msg, errors=[field_error(list(loc), msg, kind)])


async def check_people(people: list[int], loc: Sequence[str | int]) -> None:
    """422 unless every id is an active person."""
    found = set(await Person.filter(id__in=people, active=True).values_list("id", flat=True))
    missing = sorted(set(people) - found)
    if missing:
        raise _refuse(loc, f"Unknown people: {missing}.", "unknown_person")


async def check_units(plan: StepPlan, loc: Sequence[str | int]) -> None:
    wanted = {int(spec["unit_id"]) for spec in plan.positions}
    found = set(await Unit.filter(id__in=wanted).values_list("id", flat=True))
    missing = sorted(wanted - found)
    if missing:
        raise _refuse([*loc, "positions"], f"Unknown units: {missing}.", "unknown_unit")


async def check_plan(plan: StepPlan, loc: Sequence[str | int]) -> None:
    """422 if the step names unknown people or units, or resolves to too few people now."""
    await check_people(plan.people, [*loc, "people"])
    await check_units(plan, loc)
    if plan.mode is Mode.ONE and len(set(plan.people)) > 1:
        raise _refuse([*loc, "mode"], "A 'one' step has a single signer: use 'any' or 'all' "
                                      "for several.", "one_signer")
    people = await resolve(plan.assignees, at=utcnow())
    if not people:
        raise _refuse([*loc, "assignees"], "Nobody holds the named positions: the step would "
                                           "have no one to sign.", "no_assignees")
    if plan.quorum_count is not None and plan.quorum_count > len(people):
        raise _refuse([*loc, "quorum"], f"The quorum of {plan.quorum_count} is more than the "
                                        f"{len(people)} people of the step.", "quorum_too_large")


async def check_plans(plans: list[StepPlan], field_name: str = "steps") -> None:
    for index, plan in enumerate(plans):
        await check_plan(plan, [field_name, index])
