"""What messaging emits, and the public shapes of its records (replies and event payloads).

Kinds:
- `message.created`, `message.recalled` → `conv:{id}`, serialised once for every member. They
  carry no per-person `alert`: a phone rings unless its person muted the conversation or is in
  quiet hours (`GET /v1/me/quiet-hours`), and always when mentioned — see `tongban_client`'s
  `message_alert`. Deciding per person on the server would mean one event per member.
- `message.urged` → `user:{id}` of each member who has not read it, with `alert: true`
  (加急 rings through quiet hours and mute).
- `message.receipts` → `user:{sender}`: read positions of others over the sender's messages,
  coalesced per conversation (see `messaging.receipts`).
- `conversation.read` → `user:{id}`: my own read position, for my other devices.
- `conversation.membership.changed` → `user:{id}` of who joined or left (a refresh kind: their
  sockets start or stop hearing `conv:{id}` at once); `conversation.changed` → `conv:{id}`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from core.tx import Work
from files.models import StoredFile
from messaging.models import Conversation, Message
from messaging.schemas import MessagePublic, QuietHoursPublic

MESSAGE_CREATED = "message.created"
MESSAGE_RECALLED = "message.recalled"
MESSAGE_URGED = "message.urged"
MESSAGE_RECEIPTS = "message.receipts"
CONVERSATION_READ = "conversation.read"
MEMBERSHIP_CHANGED = "conversation.membership.changed"
CONVERSATION_CHANGED = "conversation.changed"


def conv_audience(conversation_id: int) -> str:
    return f"conv:{conversation_id}"


def file_brief(stored: StoredFile) -> dict[str, Any]:
    return {"id": stored.id, "name": stored.name, "content_type": stored.content_type,
            "size": stored.size, "sha256": stored.sha256}


def message_public(message: Message, files: dict[int, StoredFile]) -> dict[str, Any]:
    """A message as clients see it; a recalled one is a tombstone without its content."""
    recalled = message.recalled_at is not None
    return {
        "id": message.id, "conversation_id": message.conversation_id, "seq": message.seq,
        "sender_id": message.sender_id, "client_msg_id": message.client_msg_id,
        "body": None if recalled else message.body,
        "mentions": [] if recalled else list(message.mentions),
        "mention_all": False if recalled else message.mention_all,
        "reply_to": message.reply_to_id,
        "files": [] if recalled else [file_brief(files[f]) for f in message.file_ids if f in files],
        "created_at": message.created_at, "recalled": recalled,
        "recalled_at": message.recalled_at, "recalled_by": message.recalled_by_id,
    }


def notify_membership(work: Work, conversation: Conversation, person_ids: list[int], *,
                      change: str, by: int | None) -> None:
    """Tell each person they joined or left; their sockets re-read their audiences."""
    for person_id in person_ids:
        work.emit(MEMBERSHIP_CHANGED, f"user:{person_id}", {
            "conversation_id": conversation.id, "kind": conversation.kind,
            "title": conversation.title, "person_id": person_id, "change": change, "by": by,
        })


def notify_changed(work: Work, conversation: Conversation, *, change: str,
                   **detail: Any) -> None:
    work.emit(CONVERSATION_CHANGED, conv_audience(conversation.id),
              {"conversation_id": conversation.id, "change": change, **detail})


def _open(name: str, **fields: Any) -> type[BaseModel]:
    """A payload model that names its fields and lets later fields through."""
    return create_model(name, __config__=ConfigDict(extra="allow"), **fields)


class ReaderSeq(BaseModel):
    person_id: int
    read_seq: int


class MessageCount(BaseModel):
    id: int
    seq: int
    read_count: int
    unread_count: int


EVENTS: dict[str, type[BaseModel]] = {
    MESSAGE_CREATED: MessagePublic,
    MESSAGE_RECALLED: _open("MessageRecalledData", conversation_id=(int, ...), id=(int, ...),
                            seq=(int, ...), recalled_at=(datetime, ...),
                            recalled_by=(int, ...)),
    MESSAGE_URGED: _open("MessageUrgedData", conversation_id=(int, ...), message_id=(int, ...),
                         seq=(int, ...), sender_id=(int, ...), urged_at=(datetime, ...),
                         alert=(bool, ...)),
    MESSAGE_RECEIPTS: _open("MessageReceiptsData", conversation_id=(int, ...),
                            readers=(list[ReaderSeq], ...), messages=(list[MessageCount], ...)),
    CONVERSATION_READ: _open("ConversationReadData", conversation_id=(int, ...),
                             read_seq=(int, ...)),
    MEMBERSHIP_CHANGED: _open("MembershipChangedData", conversation_id=(int, ...),
                              kind=(str, ...), title=(str, ...), person_id=(int | None, None),
                              change=(str, ...), by=(int | None, ...)),
    CONVERSATION_CHANGED: _open("ConversationChangedData", conversation_id=(int, ...),
                                change=(str, ...)),
    "conversation.muted": _open("ConversationMutedData", conversation_id=(int, ...),
                                muted=(bool, ...)),
    "quiet_hours.changed": QuietHoursPublic,
}
