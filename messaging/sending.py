"""Sending a message: checks in the request, then the write in a shared group commit.

Every send is checked first where it arrived (membership, mentions, reply, attachments, size),
so a refusal costs no transaction. The write itself — allocate the seq, move the sender's read
position, insert the message and its attachments, audit, emit — is handed to one
`GroupCommitter`, which runs the writes of concurrent senders in one transaction with one
commit (DESIGN.md: the commit, not the row, is what a write costs).

Gap-free seqs: the seq comes from `UPDATE msg_conversation SET last_seq = last_seq + 1 …
RETURNING last_seq` in the same transaction as the insert. The UPDATE holds the row until commit
(PostgreSQL) or the database (SQLite), so the next sender waits and gets the next number, and a
rolled-back send gives its number back with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError

from core.batch import GroupCommitter
from core.clock import utcnow
from core.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    field_error,
)
from core.jsonutil import dumps
from core.rawsql import fetch
from core.tx import atomic
from directory.auth import Actor
from directory.models import Position
from files.models import StoredFile
from files.queries import claim_files
from messaging.events import MESSAGE_CREATED, conv_audience, message_public
from messaging.membership import Seat, member_roles
from messaging.models import Attachment, Message
from messaging.policy import MAX_BODY_CHARS, has_membership_rows, is_manager

committer = GroupCommitter(max_batch=200)
NEXT_SEQ = (
    "UPDATE msg_conversation SET last_seq = last_seq + 1, last_message_at = {} "
    "WHERE id = {} AND dissolved_at IS NULL RETURNING last_seq"
)
SENDER_READ = (
    "UPDATE msg_member SET read_seq = {} WHERE conversation_id = {} AND person_id = {} "
    "RETURNING id"
)
INSERT_MESSAGE = (
    "INSERT INTO msg_message (conversation_id, seq, sender_id, client_msg_id, body, mentions, "
    "mention_all, reply_to_id, file_ids, created_at) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id"
)


@dataclass(frozen=True)
class Draft:
    """What a sender asks to send (validated for shape by the route's schema)."""

    client_msg_id: str
    body: str = ""
    mentions: list[int] = field(default_factory=list)
    mention_all: bool = False
    reply_to: int | None = None
    file_ids: list[int] = field(default_factory=list)


async def do_send_message(seat: Seat, *, actor: Actor, draft: Draft) -> tuple[Message, bool]:
    """Send a message to a conversation the actor belongs to; any member may.

    A retry with the same `client_msg_id` returns the first message and stores nothing new.
    `@all` is for owners and admins. Emits `message.created` to `conv:{id}`; returns the
    message and whether this call created it.
    """
    try:
        files = await _check(seat, actor, draft)
    except ApiError as refusal:  # a retry gets the first message even if it would now fail
        return await _first(seat.id, actor.id, draft.client_msg_id, refusal), False
    for _ in range(3):
        try:
            return await _submit(seat, actor.id, draft, files), True
        except IntegrityError:
            # Retries are rare, so they are not looked up before writing: the unique key on
            # (conversation, sender, client_msg_id) refuses the copy. On PostgreSQL the first
            # may still be committing when the copy fails; the next try then waits for it.
            if (existing := await _existing(seat.id, actor.id, draft.client_msg_id)):
                return existing, False
        except ApiError as refusal:
            return await _first(seat.id, actor.id, draft.client_msg_id, refusal), False
    raise Conflict("The message could not be stored, try again.")


async def _first(conversation_id: int, sender_id: int, client_msg_id: str,
                 refusal: ApiError) -> Message:
    """The message a retry repeats, or the refusal when this is no retry."""
    existing = await _existing(conversation_id, sender_id, client_msg_id)
    if existing is None:
        raise refusal
    return existing


async def _submit(seat: Seat, sender_id: int, draft: Draft, files: list[StoredFile]) -> Message:
    return await committer.submit(lambda: _write(seat, sender_id, draft, files), key=seat.id)


async def _existing(conversation_id: int, sender_id: int, client_msg_id: str) -> Message | None:
    return await Message.get_or_none(conversation_id=conversation_id, sender_id=sender_id,
                                     client_msg_id=client_msg_id)


async def _check(seat: Seat, actor: Actor, draft: Draft) -> list[StoredFile]:
    if seat.conversation.dissolved_at is not None:
        raise Conflict("The group has been dissolved.", slug="conversation-dissolved")
    if len(draft.body) > MAX_BODY_CHARS:
        raise PayloadTooLarge(f"A message holds at most {MAX_BODY_CHARS} characters.",
                              errors=[field_error(["body"], "too long", "too_long")])
    if not draft.body.strip() and not draft.file_ids:
        raise _invalid("body", "a message needs text or files", "empty")
    if draft.mention_all and not is_manager(seat.role):
        raise Forbidden("Only the owner and admins may mention everyone (@all).")
    await _check_mentions(seat, draft.mentions)
    if draft.reply_to is not None and not await Message.exists(
            id=draft.reply_to, conversation_id=seat.id):
        raise _invalid("reply_to", "no such message in this conversation", "unknown_message")
    return await claim_files(actor, draft.file_ids) if draft.file_ids else []


async def _check_mentions(seat: Seat, mentions: list[int]) -> None:
    if not mentions:
        return
    members = await member_roles(seat.conversation, mentions)
    strangers = sorted(set(mentions) - set(members))
    if strangers:
        raise _invalid("mentions", f"not members: {strangers}", "not_member")


def _invalid(name: str, msg: str, kind: str) -> Unprocessable:
    return Unprocessable("The message is not valid.", errors=[field_error([name], msg, kind)])


async def _write(seat: Seat, sender_id: int, draft: Draft, files: list[StoredFile]) -> Message:
    """The part that runs in the shared transaction; safe to run again after a rollback.

    Plain SQL, because this is the hot path: a tortoise query costs ~120 µs of Python, a
    statement through the same connection ~20 µs (see bench/messaging_sends.py).
    """
    async with atomic() as work:
        now = utcnow()
        rows = await fetch(NEXT_SEQ, [now, seat.id])
        if not rows:
            raise Conflict("The group has been dissolved.", slug="conversation-dissolved")
        seq = int(rows[0]["last_seq"])
        await _still_member(seat, sender_id, seq)
        message = Message(
            conversation_id=seat.id, seq=seq, sender_id=sender_id, created_at=now,
            client_msg_id=draft.client_msg_id, body=draft.body, mentions=draft.mentions,
            mention_all=draft.mention_all, reply_to_id=draft.reply_to,
            file_ids=[f.id for f in files],
        )
        message.id = int((await fetch(INSERT_MESSAGE, _insert_values(message)))[0]["id"])
        if files:
            await Attachment.bulk_create([Attachment(message_id=message.id, file_id=f.id,
                                                     conversation_id=seat.id) for f in files])
        work.audit("message.send", "message", message.id, conversation_id=seat.id, seq=seq)
        work.emit(MESSAGE_CREATED, conv_audience(seat.id),
                  message_public(message, {f.id: f for f in files}))
        return message


def _insert_values(message: Message) -> list[object]:
    return [message.conversation_id, message.seq, message.sender_id, message.client_msg_id,
            message.body, dumps(message.mentions), message.mention_all, message.reply_to_id,
            dumps(message.file_ids), message.created_at]


async def _still_member(seat: Seat, sender_id: int, seq: int) -> None:
    """Re-check membership in the transaction, moving the sender's read position to `seq`."""
    if not has_membership_rows(seat.conversation.kind) and not await Position.exists(
            person_id=sender_id, unit_id=seat.conversation.unit_id):
        raise NotFound("No such conversation.")
    if not await fetch(SENDER_READ, [seq, seat.id, sender_id]):
        raise NotFound("No such conversation.")
