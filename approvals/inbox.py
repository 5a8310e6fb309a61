"""The inbox (待办/已办/我发起的): steps waiting for me, decisions I made, chains I started.

`waiting` is ordered by urgency (特急 first), then deadline (none last), then arrival, and paged
by a keyset over exactly those columns, so a page never skips or repeats an item while others
arrive. `done` and `started` are newest first.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from approvals.models import Assignment, Chain, Decision
from approvals.states import SeatState
from approvals.cursors import after_id, encode_inbox_cursor, inbox_cursor
from approvals.queries import chain_summary
from core.http import encode_cursor
from directory.auth import Actor

Box = str


def waiting(actor: Actor) -> QuerySet[Assignment]:
    return Assignment.filter(person_id=actor.id, state=SeatState.PENDING.value)


def done(actor: Actor) -> QuerySet[Decision]:
    return Decision.filter(person_id=actor.id, retracted_at=None)


def started(actor: Actor) -> QuerySet[Chain]:
    return Chain.filter(initiator_id=actor.id)


async def counts(actor: Actor) -> dict[str, int]:
    return {"waiting": await waiting(actor).count(), "done": await done(actor).count(),
            "started": await started(actor).count()}


async def list_inbox(actor: Actor, *, box: Box, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of a box, with the counts of all three."""
    pages = {"waiting": _waiting_page, "done": _done_page, "started": _started_page}
    result = await pages[box](actor, limit, cursor)
    return {"box": box, **result, "counts": await counts(actor)}


async def _waiting_page(actor: Actor, limit: int, cursor: str | None) -> dict[str, Any]:
    query = waiting(actor)
    if cursor:
        urgency, due, last = inbox_cursor(cursor)
        query = query.filter(Q(urgency__lt=urgency) | Q(urgency=urgency, sort_due__gt=due)
                             | Q(urgency=urgency, sort_due=due, id__gt=last))
    rows = await query.order_by("-urgency", "sort_due", "id").limit(limit + 1) \
        .select_related("chain", "step")
    more, rows = len(rows) > limit, rows[:limit]
    last_row = rows[-1] if rows else None
    return {
        "items": [{
            "assignment_id": a.id, "chain": chain_summary(a.chain),
            "step": {"id": a.step.id, "label": a.step.label, "mode": a.step.mode},
            "on_behalf_of": a.on_behalf_of_id, "via": a.via, "opened_at": a.opened_at,
        } for a in rows],
        "next_cursor": encode_inbox_cursor([last_row.urgency, last_row.sort_due.isoformat(), last_row.id])
        if more and last_row else None,
    }


async def _done_page(actor: Actor, limit: int, cursor: str | None) -> dict[str, Any]:
    query = done(actor)
    after = after_id(cursor)
    if after is not None:
        query = query.filter(id__lt=after)
    rows = await query.order_by("-id").limit(limit + 1).select_related("chain", "step")
    more, rows = len(rows) > limit, rows[:limit]
    return {
        "items": [{
            "decision_id": d.id, "decision": d.verdict, "comment": d.comment,
            "decided_at": d.decided_at, "on_behalf_of": d.on_behalf_of_id,
            "chain": chain_summary(d.chain), "step": {"id": d.step.id, "label": d.step.label},
        } for d in rows],
        "next_cursor": encode_cursor(rows[-1].id) if more and rows else None,
    }


async def _started_page(actor: Actor, limit: int, cursor: str | None) -> dict[str, Any]:
    query = started(actor)
    after = after_id(cursor)
    if after is not None:
        query = query.filter(id__lt=after)
    rows = await query.order_by("-id").limit(limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return {"items": [{"chain": chain_summary(c)} for c in rows],
            "next_cursor": encode_cursor(rows[-1].id) if more and rows else None}
