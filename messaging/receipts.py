"""Receipts (已读/未读): read positions, who has read a message, and telling the senders.

Each member has one read position per conversation (`Member.read_seq`): everything up to it is
read. Reading only moves it forward, by a conditional UPDATE. Senders learn of reads through
`message.receipts` events, coalesced: a read is noted in memory after its commit, and once per
`window` a flush sends each sender one event per conversation with the read counts of their
recent messages. A 500-member group reading one message gives its sender one event, not 500.
The note lives in this process only: if it dies within the window the sender misses that
update, but the receipt lists (`GET /v1/messages/{id}/receipts`) are always exact.
"""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from core.tx import atomic
from directory.auth import Actor
from directory.models import Person
from messaging.events import CONVERSATION_READ, MESSAGE_RECEIPTS
from messaging.membership import Seat, read_positions
from messaging.models import Conversation, Member, Message
from messaging.queries import people_brief

log = logging.getLogger(__name__)
RECENT_MESSAGES = 50  # per sender and flush: the counts a phone is likely to show


async def do_read_conversation(seat: Seat, *, actor: Actor, up_to_seq: int) -> int:
    """Mark everything up to `up_to_seq` read (capped at the newest); never moves backwards.

    My other devices hear `conversation.read`; the senders hear, coalesced, `message.receipts`.
    Returns my read position afterwards.
    """
    await seat.conversation.refresh_from_db(fields=["last_seq"])
    target = min(up_to_seq, seat.conversation.last_seq)
    async with atomic() as work:
        moved = await Member.filter(conversation_id=seat.id, person_id=actor.id,
                                    read_seq__lt=target).update(read_seq=target)
        if moved:
            work.emit(CONVERSATION_READ, f"user:{actor.id}",
                      {"conversation_id": seat.id, "read_seq": target})
    if moved:
        coalescer.note(seat.id, actor.id, seat.read_seq, target)
        return target
    mine = await Member.get_or_none(conversation_id=seat.id, person_id=actor.id)
    return mine.read_seq if mine else 0


async def receipts_of(seat: Seat, message: Message) -> dict[str, Any]:
    """Who has read the message and who has not: every current member but its sender."""
    positions = await read_positions(seat.conversation)
    positions.pop(message.sender_id, None)
    readers = sorted(pid for pid, seq in positions.items() if seq >= message.seq)
    waiting = sorted(pid for pid, seq in positions.items() if seq < message.seq)
    people = {p.id: p for p in await Person.filter(id__in=readers + waiting)}
    return {
        "message_id": message.id, "seq": message.seq,
        "read": people_brief([people[pid] for pid in readers if pid in people]),
        "unread": people_brief([people[pid] for pid in waiting if pid in people]),
        "read_count": len(readers), "unread_count": len(waiting),
    }


@dataclass
class _Pending:
    low: int  # the lowest read position any noted reader moved from
    high: int
    readers: dict[int, int] = field(default_factory=dict)


class ReceiptCoalescer:
    """Collects read-position moves per conversation and flushes them as few events."""

    def __init__(self, window: float = 1.0) -> None:
        self.window = window
        self._pending: dict[int, _Pending] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    def note(self, conversation_id: int, person_id: int, old: int, new: int) -> None:
        pending = self._pending.get(conversation_id)
        if pending is None:
            self._pending[conversation_id] = pending = _Pending(old, new)
        pending.low, pending.high = min(pending.low, old), max(pending.high, new)
        pending.readers[person_id] = max(new, pending.readers.get(person_id, 0))
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.window, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Send what was noted so far (also called directly by tests and at will)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, {}
        for conversation_id, noted in pending.items():
            try:
                await _notify_senders(conversation_id, noted)
            except Exception:
                log.exception("receipts of conversation %s were not sent", conversation_id)


async def _notify_senders(conversation_id: int, noted: _Pending) -> None:
    conversation = await Conversation.get_or_none(id=conversation_id)
    if conversation is None:
        return
    recent = await Message.filter(
        conversation_id=conversation_id, seq__gt=noted.low, seq__lte=noted.high,
        recalled_at=None,
    ).order_by("-seq").limit(RECENT_MESSAGES * 4).values_list("id", "seq", "sender_id")
    if not recent:
        return
    positions = await read_positions(conversation)
    by_sender: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for message_id, seq, sender_id in recent:
        if len(by_sender[sender_id]) < RECENT_MESSAGES:
            by_sender[sender_id].append((message_id, seq))
    async with atomic() as work:
        for sender_id, messages in by_sender.items():
            others = {pid: seq for pid, seq in positions.items() if pid != sender_id}
            work.emit(MESSAGE_RECEIPTS, f"user:{sender_id}", _counts(
                conversation_id, messages, others, noted.readers))


def _counts(conversation_id: int, messages: list[tuple[int, int]], others: dict[int, int],
            readers: dict[int, int]) -> dict[str, Any]:
    ordered = sorted(others.values())
    return {
        "conversation_id": conversation_id,
        "readers": [{"person_id": pid, "read_seq": seq} for pid, seq in sorted(readers.items())],
        "messages": [
            {"id": message_id, "seq": seq, "read_count": len(ordered) - bisect_left(ordered, seq),
             "unread_count": bisect_left(ordered, seq)}
            for message_id, seq in messages
        ],
    }


coalescer = ReceiptCoalescer()
