"""The push follower: one reader of the event feed, across all processes, under a lease.

It reads events after its durable cursor, turns them into outbox rows (`push.planning`) and, in
the same transaction, writes the rows and moves the cursor, with a conditional update that only
succeeds while it still holds the lease at the position it read from. So an event is mapped
once: a follower that lost its lease (paused, partitioned) rolls its batch back, and a process
killed mid-batch leaves the cursor where the last committed batch put it. Ids commit in order
(`core.tx`), so the feed after the cursor has no gap that a late commit could fill.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.clock import utcnow
from core.feed import head_id, read_all
from core.looping import PollingLoop
from core.rawsql import changed
from push.escalation import note_escalations
from push.models import PushChannel, PushCursor, PushNotification
from push.planning import Plan, plan_batch

log = logging.getLogger(__name__)
CURSOR = "follower"
LEASE = timedelta(seconds=30)


class LostLease(Exception):
    """Another process took the follower over: this batch is rolled back."""


class Follower(PollingLoop):
    label = "push follower"

    def __init__(self, *, batch: int, previews: tuple[str, ...], poll_seconds: float,
                 on_rows: asyncio.Event | None = None, lease: timedelta = LEASE,
                 escalate_after: timedelta | None = None) -> None:
        self.lease = lease
        super().__init__(poll_seconds=poll_seconds)
        self.batch, self.previews = batch, previews
        self.escalate_after = escalate_after  # None: no SMS sender, no escalation
        self.owner = uuid.uuid4().hex
        self.on_rows = on_rows  # set when rows were written (wakes this process's sender)

    async def stop(self) -> None:
        """Stop, and hand the lease back so another process takes over at once."""
        running = self._task is not None
        await super().stop()
        if running:
            with contextlib.suppress(Exception):
                await changed("UPDATE push_cursor SET lease_until = NULL WHERE name = {} AND "
                              "lease_owner = {}", CURSOR, self.owner)

    async def run_pass(self) -> None:
        while await self.step() >= self.batch:
            pass

    async def step(self) -> int:
        """Map one batch if this process holds the lease; how many events it mapped."""
        position = await self._lease()
        if position is None:
            return 0
        events = await read_all(after=position, limit=self.batch)
        if not events:
            return 0
        plan = await plan_batch(events, previews=self.previews)
        try:
            await self._write(plan, position, events[-1].id)
        except LostLease:
            log.info("push follower lost its lease at %s", position)
            return 0
        if plan.rows and self.on_rows is not None:
            self.on_rows.set()
        return len(events)

    async def _lease(self) -> int | None:
        """Take or renew the lease; the cursor's position if held."""
        await _ensure_cursor()
        now = utcnow()
        held = await changed(
            "UPDATE push_cursor SET lease_owner = {}, lease_until = {} WHERE name = {} AND "
            "(lease_owner = {} OR lease_until IS NULL OR lease_until < {})",
            self.owner, _db_time(now + self.lease), CURSOR, self.owner, _db_time(now))
        if not held:
            return None
        cursor = await PushCursor.get(name=CURSOR)
        return int(cursor.position)

    async def _write(self, plan: Plan, position: int, last: int) -> None:
        async with in_transaction():
            moved = await changed(
                "UPDATE push_cursor SET position = {} WHERE name = {} AND lease_owner = {} "
                "AND position = {}", last, CURSOR, self.owner, position)
            if not moved:
                raise LostLease()
            await _detach(plan)
            if plan.rows:
                await PushNotification.bulk_create(plan.rows, batch_size=500)
            await _drop_withdrawn(plan)  # after the insert: an original of this batch too
            if self.escalate_after is not None:
                await note_escalations(plan.escalations, after=self.escalate_after)


async def _ensure_cursor() -> None:
    """The first follower ever starts at the head: history does not ring."""
    if await PushCursor.exists(name=CURSOR):
        return
    with contextlib.suppress(IntegrityError):
        await PushCursor.create(name=CURSOR, position=await head_id())


async def _detach(plan: Plan) -> None:
    """Logout (`session.revoked`) and device revocation (`device.revoked`) detach channels."""
    if plan.detach_sessions:
        await PushChannel.filter(session_id__in=plan.detach_sessions).delete()
    if plan.detach_devices:
        await PushChannel.filter(device_id__in=plan.detach_devices).delete()


async def _drop_withdrawn(plan: Plan) -> None:
    """A push withdrawn before it went out (held by quiet hours, retrying) is never sent."""
    if plan.withdrawn:
        await PushNotification.filter(
            collapse_id__in=sorted(plan.withdrawn), withdraw=False, state="pending"
        ).update(state="dropped", reason="withdrawn before it was sent")


def _db_time(moment: object) -> object:
    field = PushCursor._meta.fields_map["lease_until"]
    return field.to_db_value(moment, PushCursor)
