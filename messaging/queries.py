"""Permission-checked reads: conversations, my conversation list, members, single messages.

A person who does not belong to a conversation gets 404 for it and for every message in it,
exactly as for one that does not exist. Former members of a dissolved group still belong: its
history stays readable. Someone who left or was removed does not.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from core.errors import BadRequest, NotFound
from core.http import decode_cursor, page
from core.rawsql import fetch
from directory.auth import Actor
from directory.models import Person
from files.models import StoredFile
from messaging.events import message_public
from messaging.membership import Seat, member_ids, member_roles, my_roles, seat_in, unit_state
from messaging.models import Conversation, Member, MemberRole, Message


async def access_conversation(actor: Actor, conversation_id: int) -> Seat:
    """The actor's seat in the conversation; 404 if it is missing or not theirs."""
    seat = await seat_in(conversation_id, actor.id)
    if seat is None:
        raise NotFound("No such conversation.")
    return seat


async def access_message(actor: Actor, message_id: int) -> tuple[Seat, Message]:
    """A message and the actor's seat in its conversation; 404 unless they belong there."""
    message = await Message.get_or_none(id=message_id)
    if message is None:
        raise NotFound("No such message.")
    try:
        return await access_conversation(actor, message.conversation_id), message
    except NotFound as exc:
        raise NotFound("No such message.") from exc


async def files_of(messages: list[Message]) -> dict[int, StoredFile]:
    ids = {file_id for message in messages for file_id in message.file_ids}
    return {f.id: f for f in await StoredFile.filter(id__in=ids)} if ids else {}


async def messages_public(messages: list[Message]) -> list[dict[str, Any]]:
    files = await files_of(messages)
    return [message_public(message, files) for message in messages]


def people_brief(people: list[Person]) -> list[dict[str, Any]]:
    return [{"id": p.id, "username": p.username, "display_name": p.display_name} for p in people]


async def recalled_unread(marks: Iterable[tuple[int, int]]) -> dict[int, int]:
    """For each (conversation, read position): how many recalled messages lie beyond it. A
    recalled message is no longer there to read, so it does not count as unread."""
    pairs = list(marks)
    if not pairs:
        return {}
    beyond = Q(*(Q(conversation_id=cid, seq__gt=seq) for cid, seq in pairs), join_type="OR")
    rows = await Message.filter(beyond, recalled_at__not_isnull=True).annotate(
        n=Count("id")).group_by("conversation_id").values("conversation_id", "n")
    return {int(row["conversation_id"]): int(row["n"]) for row in rows}


def unread(last_seq: int, read_seq: int, recalled: int) -> int:
    return max(0, last_seq - read_seq - recalled)


def conversation_public(conversation: Conversation, seat: Seat,
                        recalled: int = 0) -> dict[str, Any]:
    """A conversation as its member sees it; `recalled`: recalled messages past their read
    position (`recalled_unread`), left out of `unread_count`."""
    return {
        "id": conversation.id, "kind": conversation.kind, "title": conversation.title,
        "owner_id": conversation.owner_id, "unit_id": conversation.unit_id,
        "dissolved": conversation.dissolved_at is not None,
        "dissolved_at": conversation.dissolved_at, "created_at": conversation.created_at,
        "last_seq": conversation.last_seq, "last_message_at": conversation.last_message_at,
        "my_role": seat.role.value, "muted": seat.muted, "read_seq": seat.read_seq,
        "unread_count": unread(conversation.last_seq, seat.read_seq, recalled),
    }


async def show_conversation(seat: Seat) -> dict[str, Any]:
    count = len(await member_ids(seat.conversation))
    recalled = await recalled_unread([(seat.id, seat.read_seq)])
    return {**conversation_public(seat.conversation, seat, recalled.get(seat.id, 0)),
            "member_count": count}


async def list_members(seat: Seat, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """Members by id, with their roles, cursor-paginated."""
    after = decode_cursor(cursor) or 0
    ids = [pid for pid in await member_ids(seat.conversation) if pid > after][: limit + 1]
    people = {p.id: p for p in await Person.filter(id__in=ids)}
    roles = await member_roles(seat.conversation, ids)
    items = [{**people_brief([people[pid]])[0], "role": roles.get(pid, MemberRole.MEMBER).value}
             for pid in ids if pid in people]
    return page(items, limit=limit, key=lambda item: int(item["id"]))


# -- my conversation list ------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def encode_activity(moment: datetime, conversation_id: int) -> str:
    raw = f"{(moment - EPOCH) // MICROSECOND}:{conversation_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_activity(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        micros, _, conversation_id = raw.partition(":")
        return EPOCH + int(micros) * MICROSECOND, int(conversation_id)
    except (binascii.Error, ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor") from exc


async def list_conversations(actor: Actor, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """My conversations, most recently active first, each with `unread_count` and `last_message`.

    A page costs a handful of queries however many conversations the person is in (my roles,
    the page, my state in the page's conversations, their last messages and files); only the
    page's rows become objects.
    """
    roles = await my_roles(actor.id)
    query = Conversation.filter(id__in=list(roles))
    after = decode_activity(cursor)
    if after is not None:
        moment, last_id = after
        query = query.filter(Q(last_message_at__lt=moment)
                             | Q(last_message_at=moment, id__lt=last_id))
    rows = await query.order_by("-last_message_at", "-id").limit(limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    seats = await _seats(actor.id, rows, roles)
    last = await _last_messages(rows)
    recalled = await recalled_unread((row.id, seats[row.id].read_seq) for row in rows
                                     if row.last_seq > seats[row.id].read_seq)
    items = [{**conversation_public(row, seats[row.id], recalled.get(row.id, 0)),
              "last_message": last.get(row.id)} for row in rows]
    next_cursor = encode_activity(rows[-1].last_message_at, rows[-1].id) if more else None
    return {"items": items, "next_cursor": next_cursor}


async def _seats(person_id: int, rows: list[Conversation],
                 roles: dict[int, MemberRole]) -> dict[int, Seat]:
    """My seat in each of these conversations (a unit group's state row made on first use)."""
    states = {cid: (int(seq), bool(muted)) for cid, seq, muted in await Member.filter(
        person_id=person_id, conversation_id__in=[row.id for row in rows],
    ).values_list("conversation_id", "read_seq", "muted")}
    for row in rows:
        if row.id not in states:
            state = await unit_state(row, person_id)
            states[row.id] = (state.read_seq, state.muted)
    return {row.id: Seat(row, person_id, roles[row.id], *states[row.id]) for row in rows}


LAST_MESSAGES = (
    "SELECT m.* FROM msg_conversation c JOIN msg_message m "
    "ON m.conversation_id = c.id AND m.seq = c.last_seq WHERE c.id IN ({})"
)


async def _last_messages(rows: list[Conversation]) -> dict[int, dict[str, Any]]:
    """The newest message of each conversation, by one join on (conversation_id, seq)."""
    ids = [row.id for row in rows if row.last_seq]
    if not ids:
        return {}
    found = await fetch(LAST_MESSAGES.replace("{}", ", ".join("{}" for _ in ids)), ids)
    messages = [Message._init_from_db(**row) for row in found]
    return {m["conversation_id"]: m for m in await messages_public(messages)}

