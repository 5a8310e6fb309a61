"""Changes to sent messages: recall (撤回) and urge (加急提醒)."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from core.clock import utcnow
from core.errors import Conflict, Forbidden, TooManyRequests
from core.tx import atomic
from directory.auth import Actor
from messaging.events import MESSAGE_RECALLED, MESSAGE_URGED, conv_audience
from messaging.membership import Seat, read_positions
from messaging.models import Attachment, Message
from messaging.policy import URGE_INTERVAL, may_recall, recall_window, urge_retry_after


async def do_recall_message(message: Message, *, seat: Seat, actor: Actor) -> Message:
    """Recall a message: its sender within the recall window, owners and admins any time.

    The content (text, mentions, attachments) is gone for everyone; a tombstone keeps its seq.
    The audit entry keeps who recalled what and when. Emits `message.recalled` to `conv:{id}`.
    Outside the window: 409. Recalling a recalled message changes nothing.
    """
    now = utcnow()
    if message.recalled_at is not None:
        return message
    _check_recall(message, seat=seat, actor=actor, now=now)
    async with atomic() as work:
        changed = await Message.filter(id=message.id, recalled_at=None).update(
            body="", mentions=[], mention_all=False, file_ids=[], recalled_at=now,
            recalled_by_id=actor.id)
        if changed:
            await Attachment.filter(message_id=message.id).delete()
            work.audit("message.recall", "message", message.id, conversation_id=seat.id,
                       seq=message.seq, sender_id=message.sender_id)
            work.emit(MESSAGE_RECALLED, conv_audience(seat.id), {
                "id": message.id, "conversation_id": seat.id, "seq": message.seq,
                "recalled_by": actor.id, "recalled_at": now})
    await message.refresh_from_db()
    return message


def _check_recall(message: Message, *, seat: Seat, actor: Actor, now: datetime) -> None:
    if may_recall(role=seat.role, is_sender=message.sender_id == actor.id,
                  sent_at=message.created_at, now=now):
        return
    if message.sender_id != actor.id:
        raise Forbidden("Only the sender, the owner and admins may recall a message.")
    window = int(recall_window().total_seconds())
    raise Conflict(f"Messages can be recalled within {window} seconds of sending.",
                   slug="recall-window-passed")


async def do_urge_message(message: Message, *, seat: Seat, actor: Actor) -> list[int]:
    """Re-alert (加急, like DING) the members who have not read the sender's message.

    Only the sender may, at most once per 5 minutes per message (429 with Retry-After). Each
    unread member gets `message.urged` with `alert: true`, which rings through quiet hours.
    Returns who was urged.
    """
    if message.sender_id != actor.id:
        raise Forbidden("Only the sender may urge their message.")
    if message.recalled_at is not None:
        raise Conflict("A recalled message cannot be urged.")
    waiting = await _unread_by(seat, message)
    now = utcnow()
    async with atomic() as work:
        claimed = await Message.filter(
            Q(urged_at=None) | Q(urged_at__lte=now - URGE_INTERVAL), id=message.id
        ).update(urged_at=now)
        if not claimed:
            await message.refresh_from_db(fields=["urged_at"])
            raise TooManyRequests("A message may be urged once every 5 minutes.",
                                  retry_after=urge_retry_after(message.urged_at, now) or 1)
        work.audit("message.urge", "message", message.id, conversation_id=seat.id,
                   person_ids=waiting)
        data = {"conversation_id": seat.id, "message_id": message.id, "seq": message.seq,
                "sender_id": actor.id, "urged_at": now, "alert": True}
        work.emit(MESSAGE_URGED, [f"user:{pid}" for pid in waiting], data)
    return waiting


async def _unread_by(seat: Seat, message: Message) -> list[int]:
    """Members other than the sender who have not read up to the message; 409 if none."""
    positions = await read_positions(seat.conversation)
    waiting = sorted(pid for pid, seq in positions.items()
                     if seq < message.seq and pid != message.sender_id)
    if not waiting:
        raise Conflict("Everyone has read the message.", slug="nobody-to-urge")
    return waiting
