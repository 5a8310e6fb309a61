"""Outbox senders: any process claims due notifications, sends them, and records the outcome.

A claim is one atomic UPDATE that sets `claimed_until` (a lease) on rows nobody holds — with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two processes never claim the same row, and under
SQLite's single writer on SQLite. A process killed after the provider answered but before the
outcome was written leaves a lease that lapses and the row is sent again: the provider gets the
same collapse id (APNs `apns-collapse-id`, FCM/HMS collapse keys, the gateway's `event_id`), so
the phone shows one notification, never two.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.clock import utcnow
from core.db import dialect
from core.jsonutil import loads
from core.looping import PollingLoop
from core.rawsql import fetch
from push.metrics import count_outcome
from push.models import PushChannel, PushNotification
from push.providers.base import Notification, Outcome, Provider
from push.sources import badges_of

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BASE_DELAY, MAX_DELAY = 2.0, 900.0  # seconds: 2 s, 4 s, 8 s … at most 15 minutes
CONCURRENCY = 100  # requests in flight per process (TONGBAN_PUSH_CONNECTIONS)


_RANDOM = random.Random()


def backoff(attempts: int, retry_after: float | None, *, rng: random.Random = _RANDOM) -> float:
    """Seconds before the next try: exponential with jitter, never sooner than the provider asked."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))
    return max(rng.uniform(ceiling / 2, ceiling), retry_after or 0.0)


@dataclass
class Claimed:
    row: dict[str, Any]
    channel: PushChannel | None


class Sender(PollingLoop):
    label = "push sender"

    def __init__(self, providers: Mapping[str, Provider], *, batch: int, poll_seconds: float,
                 give_up_seconds: float, lease: timedelta = LEASE,
                 concurrency: int = CONCURRENCY) -> None:
        self.providers = dict(providers)
        self.lease, self.concurrency = lease, concurrency
        super().__init__(poll_seconds=poll_seconds)
        self.batch, self.give_up = batch, give_up_seconds
        self.owner = uuid.uuid4().hex
        self._limit = asyncio.Semaphore(concurrency)

    async def run_pass(self) -> None:
        while await self.run_due() >= min(self.batch, self.concurrency):
            pass

    async def run_due(self) -> int:
        """Claim, send and record one batch of due notifications; how many were claimed."""
        rows = await self._claim(utcnow())
        await self._deliver(rows)
        return len(rows)

    async def send_now(self, notification_id: int) -> str | None:
        """Claim this one notification, send it and say how it went (`tongban push test`)."""
        rows = await self._claim(utcnow(), only=notification_id)
        await self._deliver(rows)
        found = await PushNotification.get_or_none(id=notification_id)
        return None if found is None else f"{found.state}{': ' + found.reason if found.reason else ''}"

    async def _deliver(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        claimed = await _with_channels(rows)
        badges = await badges_of(sorted({item.row["person_id"] for item in claimed}))
        # Recorded a slice at a time (one UPDATE for what was sent): a crash re-sends at most
        # the slice in flight, and the database sees one statement per slice, not per push.
        for start in range(0, len(claimed), self.concurrency):
            part = claimed[start:start + self.concurrency]
            outcomes = await asyncio.gather(*(self._send(item, badges) for item in part))
            await self._record_all(part, outcomes)

    async def _record_all(self, part: list[Claimed], outcomes: list[Outcome]) -> None:
        sent = [item for item, outcome in zip(part, outcomes, strict=True)
                if outcome.verdict == "sent" and _active(item)]
        if sent:
            await PushNotification.filter(
                id__in=[item.row["id"] for item in sent], claimed_by=self.owner
            ).update(state="sent", reason=None, claimed_until=None, sent_at=utcnow())
            for item in sent:
                count_outcome(item.row["provider"], "sent")
        done = {item.row["id"] for item in sent}
        for item, outcome in zip(part, outcomes, strict=True):
            if item.row["id"] not in done:
                await self._record(item, outcome)

    async def _claim(self, now: datetime, *, only: int | None = None) -> list[dict[str, Any]]:
        # No more than can be in flight at once: a claim is sent well within its lease.
        lock = " FOR UPDATE SKIP LOCKED" if dialect() == "postgres" else ""
        which = "id = {}" if only is not None else "due_at <= {}"  # one: whenever it is due
        return await fetch(
            "UPDATE push_notification SET claimed_until = {}, claimed_by = {}, "
            f"attempts = attempts + 1 WHERE id IN (SELECT id FROM push_notification WHERE {which} "
            "AND state = 'pending' AND (claimed_until IS NULL OR "
            f"claimed_until < {{}}) ORDER BY due_at, id LIMIT {{}}{lock}) RETURNING *",
            [_db_time(now + self.lease), self.owner, only if only is not None else _db_time(now),
             _db_time(now), min(self.batch, self.concurrency)])

    async def _send(self, item: Claimed, badges: dict[int, int]) -> Outcome:
        channel = item.channel
        if channel is None or channel.state != "active":
            return Outcome("failed", "dropped: the channel was detached or disabled")
        provider = self.providers.get(channel.provider)
        if provider is None:
            return Outcome("failed", f"no provider {channel.provider!r} is configured")
        async with self._limit:
            try:
                return await provider.send(notification(item.row, channel, badges))
            except Exception as exc:  # a provider bug must not stall the outbox
                log.exception("push provider %s raised", channel.provider)
                return Outcome("retry", f"provider error: {type(exc).__name__}")

    async def _record(self, item: Claimed, outcome: Outcome) -> None:
        row, now = item.row, utcnow()
        provider = item.channel.provider if item.channel else row["provider"]
        mine = PushNotification.filter(id=row["id"], claimed_by=self.owner)
        if outcome.verdict == "retry" and not self._expired(row, now):
            delay = backoff(int(row["attempts"]), outcome.retry_after)
            await mine.update(due_at=now + timedelta(seconds=delay), claimed_until=None,
                              reason=outcome.reason[:300])
            count_outcome(provider, "retried")
            return
        state = {"sent": "sent", "invalid": "invalid"}.get(outcome.verdict, "failed")
        if not _active(item):
            state = "dropped"
        reason = _final_reason(outcome, int(row["attempts"]))
        await mine.update(state=state, reason=reason, claimed_until=None,
                          sent_at=now if state == "sent" else None)
        if state == "invalid" and item.channel is not None:
            await _disable(item.channel, outcome.reason)
        count_outcome(provider, state)

    def _expired(self, row: dict[str, Any], now: datetime) -> bool:
        created = _aware(row["created_at"])
        return (now - created).total_seconds() >= self.give_up


def notification(row: dict[str, Any], channel: PushChannel, badges: dict[int, int]) -> Notification:
    """The provider-neutral push: kind, ids, badge and the generic line (previews if allowed)."""
    return Notification(
        token=channel.token, app_id=channel.app_id, kind=row["kind"], line=row["line"],
        badge=badges.get(row["person_id"], 0), collapse_id=row["collapse_id"],
        data={**loads(row["data"]), "notification_id": int(row["id"])},
        urgent=bool(row["urgent"]), withdraw=bool(row["withdraw"]),
        title=row["title"] or "", body=row["body"] or "",
    )


def _final_reason(outcome: Outcome, attempts: int) -> str | None:
    if outcome.verdict == "sent":
        return None
    if outcome.verdict == "retry":
        return f"gave up after {attempts} attempts: {outcome.reason}"[:300]
    return outcome.reason[:300] or outcome.verdict


def _active(item: Claimed) -> bool:
    return item.channel is not None and item.channel.state == "active"


async def _with_channels(rows: list[dict[str, Any]]) -> list[Claimed]:
    ids = sorted({row["channel_id"] for row in rows})
    channels = {channel.id: channel for channel in await PushChannel.filter(id__in=ids)}
    return [Claimed(row, channels.get(row["channel_id"])) for row in rows]


async def _disable(channel: PushChannel, reason: str) -> None:
    """The provider called the token dead: stop using the channel (the app attaches anew)."""
    await PushChannel.filter(id=channel.id, token=channel.token).update(
        state="disabled", disabled_reason=(reason or "invalid token")[:200], updated_at=utcnow())


def _aware(value: Any) -> datetime:
    field = PushNotification._meta.fields_map["created_at"]
    moment = field.to_python_value(value)
    assert isinstance(moment, datetime)
    return moment


def _db_time(moment: datetime) -> Any:
    return PushNotification._meta.fields_map["due_at"].to_db_value(moment, PushNotification)
