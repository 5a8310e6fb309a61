"""Reminders (催办): the initiator nudges whoever the chain is waiting for, at most so often."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from tortoise.expressions import Q

from approvals import events
from approvals.models import Assignment, Chain
from approvals.states import ChainState, Refusal, SeatState
from core.clock import utcnow
from core.errors import ApiError, Conflict, Forbidden, TooManyRequests
from core.tx import atomic
from directory.auth import Actor

REMIND_INTERVAL = timedelta(minutes=10)


async def do_remind_chain(chain: Chain, *, actor: Actor, message: str) -> list[int]:
    """催办: the initiator reminds the people whose decision is awaited.

    Once per `REMIND_INTERVAL` per chain, claimed in the database so every server process
    agrees (429 with Retry-After before then). Emits `approval.reminded` to those people;
    returns who they are.
    """
    if chain.initiator_id != actor.id:
        raise Forbidden("Only the initiator may send reminders.", slug=Refusal.NOT_INITIATOR.value)
    now = utcnow()
    async with atomic() as work:
        claimed = await Chain.filter(
            Q(reminded_at=None) | Q(reminded_at__lte=now - REMIND_INTERVAL),
            id=chain.id, state=ChainState.RUNNING.value,
        ).update(reminded_at=now)
        if not claimed:
            raise await _not_now(chain.id, now)
        waiting = [int(str(p)) for p in await Assignment.filter(
            chain_id=chain.id, state=SeatState.PENDING.value).values_list("person_id", flat=True)]
        events.notify_chain(work, "reminded", chain, events.users(waiting), message=message,
                            by=actor.id)
        work.audit("approval.remind", "approval_chain", chain.id, people=waiting)
    return waiting


async def _not_now(chain_id: int, now: datetime) -> ApiError:
    chain = await Chain.get(id=chain_id)
    if chain.state != ChainState.RUNNING.value:
        return Conflict(f"The chain is {chain.state}: nobody is waiting.",
                        slug=Refusal.CHAIN_CLOSED.value)
    assert chain.reminded_at is not None
    wait = (chain.reminded_at + REMIND_INTERVAL - now).total_seconds()
    return TooManyRequests("A reminder was sent a moment ago.", retry_after=math.ceil(wait))
