"""From a batch of feed events to outbox rows: resolve who each ring reaches, on which channels,
and when (quiet hours hold a push back to the window's end unless it is urgent).

All lookups are made once per batch (channels, settings, quiet hours of every person in it), so
a notice to 100,000 people costs a few queries per 500 events, not several per person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Q

from core.clock import utcnow
from core.jsonutil import dumps, loads
from core.tx import StoredEvent
from push.models import PushChannel, PushNotification, PushSettings
from push.quiet import quiet_until
from push.rules import DETACH_KINDS, Ring, actor_of, as_message, message_targets, ring_for
from push.sources import QuietHours, sources


@dataclass
class Planned:
    """What one event asks for: a ring and the people it reaches."""

    event: StoredEvent
    ring: Ring
    people: list[int]


@dataclass
class Plan:
    rows: list[PushNotification] = field(default_factory=list)
    detach_sessions: list[str] = field(default_factory=list)
    detach_devices: list[int] = field(default_factory=list)
    withdrawn: set[str] = field(default_factory=set)  # collapse ids whose unsent pushes drop
    escalations: list[tuple[str, int, int | None]] = field(default_factory=list)  # record, person, sender


@dataclass
class Context:
    """What the batch's people have: channels, push settings and quiet hours."""

    channels: dict[int, list[PushChannel]]
    settings: dict[int, PushSettings]
    quiet: dict[int, QuietHours]
    notified: dict[str, list[tuple[int, int, str]]]  # collapse id → (channel, person, provider)
    previews: tuple[str, ...]
    now: datetime


async def plan_batch(events: list[StoredEvent], *, previews: tuple[str, ...]) -> Plan:
    plan = Plan()
    planned: list[Planned] = []
    for event in events:
        data = loads(event.data)
        if event.kind in DETACH_KINDS:
            _note_detach(plan, event.kind, data)
            continue
        found = await _planned(event, data)
        if found is not None and found.people:
            planned.append(found)
    context = await _context(planned, previews)
    for item in planned:
        plan.rows.extend(_rows(item, context))
        if item.ring.withdraw:
            plan.withdrawn.add(item.ring.collapse_id)
        if item.ring.escalate:
            plan.escalations.extend((item.ring.escalate, pid, item.ring.sender) for pid in item.people)
    return plan


def _note_detach(plan: Plan, kind: str, data: dict[str, object]) -> None:
    device_id = data.get("device_id")
    if kind == "session.revoked":
        plan.detach_sessions.append(str(data.get("session_id", "")))
    elif isinstance(device_id, int):
        plan.detach_devices.append(device_id)


async def _planned(event: StoredEvent, data: dict[str, object]) -> Planned | None:
    ring = ring_for(event.kind, data)
    if ring is None:
        return None
    if ring.copy_of is not None and event.audience != f"user:{ring.copy_of}":
        return None
    if ring.conversation is not None:
        return await _message(event, ring, data)
    if ring.people is not None:
        return Planned(event, ring, list(ring.people))
    if not event.audience.startswith("user:"):
        return None
    person = int(event.audience.split(":", 1)[1])
    own = person in (actor_of(data), ring.sender)  # the publisher's copy of their own notice
    return Planned(event, ring, [] if own and not ring.withdraw else [person])


async def _message(event: StoredEvent, ring: Ring, data: dict[str, object]) -> Planned | None:
    """A message: recalls withdraw from whoever was rung; new ones ring per `message_targets`."""
    if ring.withdraw:
        return Planned(event, ring, [-1])  # everyone notified under the collapse id
    lookup = sources.conversation
    candidates = [] if ring.mention_all else list(ring.mentions)
    facts = await lookup(ring.conversation or 0, candidates) if lookup else None
    if facts is None or (facts.kind != "direct" and not (ring.mentions or ring.mention_all)):
        return None  # plain group chatter does not ring
    people = message_targets(conversation_kind=facts.kind, members=facts.members,
                             sender=actor_of(data), mentions=ring.mentions,
                             mention_all=ring.mention_all)
    return Planned(event, as_message(ring, conversation_kind=facts.kind), people)


async def _context(planned: list[Planned], previews: tuple[str, ...]) -> Context:
    people = sorted({pid for item in planned if not item.ring.withdraw for pid in item.people})
    channels: dict[int, list[PushChannel]] = {}
    for channel in await PushChannel.filter(person_id__in=people, state="active"):
        channels.setdefault(channel.person_id, []).append(channel)
    settings = {row.person_id: row for row in await PushSettings.filter(person_id__in=people)}
    quiet = await sources.quiet(people) if sources.quiet and people else {}
    return Context(channels, settings, quiet, await _notified(planned), previews, utcnow())


async def _notified(planned: list[Planned]) -> dict[str, list[tuple[int, int, str]]]:
    """For withdrawals: the channels that were sent the push being withdrawn."""
    collapse_ids = sorted({item.ring.collapse_id for item in planned if item.ring.withdraw})
    found: dict[str, list[tuple[int, int, str]]] = {}
    if not collapse_ids:
        return found
    # Sent, or being sent now; one still waiting (quiet hours, a retry) is dropped instead.
    went = Q(state="sent") | Q(state="pending", claimed_until__not_isnull=True)
    rows = await PushNotification.filter(went, collapse_id__in=collapse_ids, withdraw=False).values(
        "collapse_id", "channel_id", "person_id", "provider")
    for row in rows:
        pair = (row["channel_id"], row["person_id"], row["provider"])
        if pair not in found.setdefault(row["collapse_id"], []):
            found[row["collapse_id"]].append(pair)
    return found


def _rows(item: Planned, context: Context) -> list[PushNotification]:
    if item.ring.withdraw:
        return _withdrawals(item, context)
    rows = []
    for person in item.people:
        due = _due(item.ring, context, person)
        for channel in context.channels.get(person, []):
            if channel.foreground_until is None or channel.foreground_until <= context.now:
                rows.append(_row(item, context, channel.id, channel.provider, person, due))
    return rows


def _withdrawals(item: Planned, context: Context) -> list[PushNotification]:
    everyone = item.people == [-1]
    return [
        _row(item, context, channel_id, provider, person, context.now)
        for channel_id, person, provider in context.notified.get(item.ring.collapse_id, [])
        if everyone or person in item.people
    ]


def _due(ring: Ring, context: Context, person: int) -> datetime:
    """Now, or the end of the person's quiet hours for a push that may not ring through them."""
    window = context.quiet.get(person)
    until = quiet_until(window, context.now) if window else None
    if until is None:
        return context.now
    own = context.settings.get(person)
    rings_through = ring.urgent and (own is None or own.urgent_during_quiet)
    return context.now if rings_through else until


def _row(item: Planned, context: Context, channel_id: int, provider: str, person: int,
         due: datetime) -> PushNotification:
    ring = item.ring
    preview = ring.preview if ring.kind in context.previews and not ring.withdraw else {}
    return PushNotification(
        event_id=item.event.id, channel_id=channel_id, person_id=person, provider=provider,
        kind=ring.kind, line=ring.line, collapse_id=ring.collapse_id, data=dumps(ring.ids),
        title=preview.get("title", "")[:200], body=preview.get("body", "")[:500],
        urgent=ring.urgent, withdraw=ring.withdraw, due_at=due, created_at=context.now,
    )
