"""The document desk's to-do counts (待办): what waits at each unit where the actor is a clerk.

One grouped query over the desks' documents in the states that ask the desk to act (签收, 登记,
初审, 拟办, 承办 follow-up on incoming records; 编号, 分发, redrafting on outgoing ones), and the
传阅 waiting for the actor's own reading. The console's desk shows these as its 待办 badges.
"""

from __future__ import annotations

from typing import Any

from tortoise.functions import Count

from directory.auth import Actor
from directory.models import Unit
from directory.policy import Role
from documents.models import CirculationReader, Document
from documents.policy import Direction, State
from documents.queries import units_with_role

WAITING = {
    Direction.INCOMING: (State.DELIVERED, State.RECEIVED, State.REGISTERED, State.REVIEWED,
                         State.PROPOSED, State.INSTRUCTED, State.HANDLING),
    Direction.OUTGOING: (State.DRAFT, State.RETURNED, State.REJECTED, State.REVIEWING,
                         State.SIGNED, State.ISSUED),
}


async def desk_counts(actor: Actor) -> dict[str, Any]:
    """Per desk unit, the count of documents in each waiting state; and my pending 传阅."""
    units = await units_with_role(actor.id, Role.CLERK)
    states = [state.value for group in WAITING.values() for state in group]
    rows = await Document.filter(unit_id__in=units, state__in=states).annotate(
        n=Count("id")).group_by("unit_id", "direction", "state").values(
        "unit_id", "direction", "state", "n") if units else []
    names = dict(await Unit.filter(id__in=units).values_list("id", "name")) if units else {}
    desks = {uid: {"unit": {"id": uid, "name": names.get(uid, "")},
                   **{d.value: {s.value: 0 for s in WAITING[d]} for d in WAITING}}
             for uid in units}
    for row in rows:
        desks[row["unit_id"]][row["direction"]][row["state"]] = int(row["n"])
    reading = await CirculationReader.filter(person_id=actor.id, state="pending").count()
    return {"desks": list(desks.values()), "reading": reading}
