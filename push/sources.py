"""What push needs to know of other packages, filled in by the composition root at start-up.

Push sits beside messaging, approvals, notices, documents and supervision, not above them, so it
never imports them: `server` registers here who belongs to a conversation (and who muted it),
each person's quiet hours, the counts that make up the badge, and who has not yet confirmed a
record (for SMS escalation). Each lookup takes many people at once, so a batch costs one query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ConversationFacts:
    kind: str  # direct | group | unit
    members: dict[int, bool]  # person id → muted


@dataclass(frozen=True)
class QuietHours:
    start: str  # "22:00", local wall-clock time
    end: str
    timezone: str


ConversationLookup = Callable[[int, list[int]], Awaitable[ConversationFacts | None]]
QuietLookup = Callable[[list[int]], Awaitable[dict[int, QuietHours]]]
BadgeSource = Callable[[list[int]], Awaitable[dict[int, int]]]
PendingLookup = Callable[[int, list[int]], Awaitable[set[int]]]


@dataclass
class Sources:
    """`conversation(id, candidates)`: the conversation's kind and, among `candidates` (or
    everyone when empty), its members with their mute flag. `pending[record_type](id, people)`:
    those of `people` who have not yet confirmed the record."""

    conversation: ConversationLookup | None = None
    quiet: QuietLookup | None = None
    badges: dict[str, BadgeSource] | None = None
    pending: dict[str, PendingLookup] | None = None


sources = Sources(badges={}, pending={})


def register_conversations(lookup: ConversationLookup) -> None:
    sources.conversation = lookup


def register_quiet_hours(lookup: QuietLookup) -> None:
    sources.quiet = lookup


def register_badge(name: str, source: BadgeSource) -> None:
    """A count that adds to the badge: unread direct and mention messages, pending approvals…"""
    assert sources.badges is not None
    sources.badges[name] = source


def register_pending(record_type: str, lookup: PendingLookup) -> None:
    assert sources.pending is not None
    sources.pending[record_type] = lookup


async def badges_of(person_ids: list[int]) -> dict[int, int]:
    """Each person's to-do count now, across every registered source."""
    total = dict.fromkeys(person_ids, 0)
    if not person_ids:
        return total
    for source in (sources.badges or {}).values():
        for person_id, count in (await source(person_ids)).items():
            total[person_id] = total.get(person_id, 0) + count
    return total
