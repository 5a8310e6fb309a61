"""What push learns from the other packages, wired here because only the composition root may
import them all (`push.sources` says why). Each lookup answers for a batch of people at once.

The badge (the number on the app icon) is the person's own to-do count, computed when a push is
sent so that reads on another device are reflected: unread direct messages and unread mentions,
approval seats waiting for them, notices waiting for their confirmation, and their open tasks.
"""

from __future__ import annotations

from typing import Any, cast

from approvals.models import Assignment
from core.jsonutil import loads
from core.rawsql import fetch
from documents.models import Delivery
from messaging.membership import member_ids
from messaging.models import Conversation, Member
from messaging.models import QuietHours as QuietRow
from notices.models import NoticeRecipient
from push import sources
from supervision.models import TaskAssignee
from supervision.policy import OPEN_STATES


async def conversation_facts(conversation_id: int,
                             candidates: list[int]) -> sources.ConversationFacts | None:
    conversation = await Conversation.get_or_none(id=conversation_id, dissolved_at=None)
    if conversation is None:
        return None
    everyone = await member_ids(conversation)
    people = sorted(set(everyone) & set(candidates)) if candidates else everyone
    muted = set(await Member.filter(conversation_id=conversation_id, person_id__in=people,
                                    muted=True).values_list("person_id", flat=True))
    return sources.ConversationFacts(conversation.kind, {pid: pid in muted for pid in people})


async def quiet_hours(people: list[int]) -> dict[int, sources.QuietHours]:
    found = await QuietRow.filter(person_id__in=people, enabled=True)
    return {row.person_id: sources.QuietHours(row.start, row.end, row.timezone) for row in found}


def _in(people: list[int]) -> str:
    return ", ".join("{}" for _ in people)


async def unread_direct(people: list[int]) -> dict[int, int]:
    found = await fetch(
        "SELECT m.person_id AS pid, SUM(c.last_seq - m.read_seq) AS n FROM msg_member m "
        "JOIN msg_conversation c ON c.id = m.conversation_id WHERE c.kind = 'direct' AND "
        f"c.last_seq > m.read_seq AND m.person_id IN ({_in(people)}) GROUP BY m.person_id",
        people)
    return {int(row["pid"]): int(row["n"]) for row in found}


async def unread_mentions(people: list[int]) -> dict[int, int]:
    found = await fetch(
        "SELECT m.person_id AS pid, g.mentions AS mentions, g.mention_all AS everyone "
        "FROM msg_member m JOIN msg_conversation c ON c.id = m.conversation_id "
        "JOIN msg_message g ON g.conversation_id = m.conversation_id AND g.seq > m.read_seq "
        "WHERE c.kind <> 'direct' AND g.recalled_at IS NULL AND g.sender_id <> m.person_id "
        f"AND (g.mention_all OR g.mentions <> '[]') AND m.person_id IN ({_in(people)})", people)
    counts: dict[int, int] = {}
    for row in found:
        if row["everyone"] or row["pid"] in _ids(row["mentions"]):
            counts[int(row["pid"])] = counts.get(int(row["pid"]), 0) + 1
    return counts


def _ids(value: Any) -> list[int]:
    return list(loads(value)) if isinstance(value, str) else list(value or [])


async def pending_approvals(people: list[int]) -> dict[int, int]:
    return await _count(Assignment.filter(person_id__in=people, state="pending"))


async def unconfirmed_notices(people: list[int]) -> dict[int, int]:
    return await _count(NoticeRecipient.filter(
        person_id__in=people, confirmed_at=None, notice__requires_confirmation=True,
        notice__state="published"))


async def open_tasks(people: list[int]) -> dict[int, int]:
    return await _count(TaskAssignee.filter(
        person_id__in=people, task__state__in=[state.value for state in OPEN_STATES]))


async def _count(query: Any) -> dict[int, int]:
    found: dict[int, int] = {}
    for pid in await query.values_list("person_id", flat=True):
        found[int(pid)] = found.get(int(pid), 0) + 1
    return found


async def notice_pending(notice_id: int, people: list[int]) -> set[int]:
    """Still unconfirmed: no 确认收到 (and, for a meeting, no answer either)."""
    rows = await NoticeRecipient.filter(
        notice_id=notice_id, person_id__in=people, confirmed_at=None, rsvp=None,
        notice__state="published").values_list("person_id", flat=True)
    return {int(cast(int, pid)) for pid in rows}


async def document_pending(document_id: int, people: list[int]) -> set[int]:
    """Not yet signed for (签收): a unit's incoming copy, or one delivered to a person."""
    unit = await Delivery.filter(incoming_id=document_id, received_at=None).exists()
    if unit:
        return set(people)
    named = await Delivery.filter(document_id=document_id, person_id__in=people,
                                  received_at=None).values_list("person_id", flat=True)
    return {int(cast(int, pid)) for pid in named}


def wire_push_sources() -> None:
    sources.register_conversations(conversation_facts)
    sources.register_quiet_hours(quiet_hours)
    for name, source in (("direct", unread_direct), ("mentions", unread_mentions),
                         ("approvals", pending_approvals), ("notices", unconfirmed_notices),
                         ("tasks", open_tasks)):
        sources.register_badge(name, source)
    sources.register_pending("notice", notice_pending)
    sources.register_pending("document", document_pending)
