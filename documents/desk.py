"""The document desk's to-do counts (待办) and its 传阅 tracking.

The desks are those the actor works (`directory.desks.worked_desks`: the units they are a
clerk of, and the governments whose office those serve as desk). One grouped query over their
documents in the states that ask the desk to act (签收, 登记, 初审, 拟办, 承办 follow-up on
incoming records; 编号, 分发, redrafting on outgoing ones), and the 传阅 waiting for the actor's
own reading. The console's desk shows these as its 待办 badges.
The tracked circulations are the ones a desk follows: started by the actor, or going round a
document of the actor's desks (who holds it now, who has read).
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from directory.auth import Actor
from directory.desks import worked_desks
from directory.models import Unit
from documents.models import Circulation, CirculationReader, Document
from documents.paging import id_page
from documents.policy import Direction, State
from documents.shapes import circulations_public

WAITING = {
    Direction.INCOMING: (State.DELIVERED, State.RECEIVED, State.REGISTERED, State.REVIEWED,
                         State.PROPOSED, State.INSTRUCTED, State.HANDLING),
    Direction.OUTGOING: (State.DRAFT, State.RETURNED, State.REJECTED, State.REVIEWING,
                         State.SIGNED, State.ISSUED),
}


async def desk_counts(actor: Actor) -> dict[str, Any]:
    """Per desk unit, the count of documents in each waiting state; and my pending 传阅."""
    units = await worked_desks(actor.id)
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


async def list_tracked_circulations(actor: Actor, *, state: str | None, limit: int,
                                    cursor: str | None) -> dict[str, Any]:
    """传阅 tracking: the circulations the actor started or that go round their desks'
    documents, newest first, each with where it stands and the document's title."""
    desks = await worked_desks(actor.id)
    mine = Q(created_by_id=actor.id) | Q(document__unit_id__in=desks) if desks \
        else Q(created_by_id=actor.id)
    query = Circulation.filter(mine)
    if state:
        query = query.filter(state=state)
    return await id_page(query, limit=limit, cursor=cursor, newest_first=True, shape=_tracked)


async def _tracked(rows: list[Circulation]) -> list[dict[str, Any]]:
    titles = dict(await Document.filter(id__in=[r.document_id for r in rows]).values_list(
        "id", "title")) if rows else {}
    return [{**item, "document_title": titles.get(item["document_id"], "")}
            for item in await circulations_public(rows)]
