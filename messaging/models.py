"""Tables of messaging: conversations, their members, messages, attachments, quiet hours.

Search over message bodies uses an FTS5 trigram table on SQLite and a pg_trgm index on
PostgreSQL; both are created by raw SQL in the migrations (see `messaging.search`).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from directory.models import Person, Unit
from files.models import StoredFile


class ConversationKind(StrEnum):
    DIRECT = "direct"  # 单聊: exactly one per pair of people
    GROUP = "group"  # 群聊: title, owner, admins, members
    UNIT = "unit"  # 单位群: members are the people holding a post in the unit


class MemberRole(StrEnum):
    OWNER = "owner"  # 群主
    ADMIN = "admin"  # 群管理员
    MEMBER = "member"


class Conversation(Model):
    """A conversation. `last_seq` is the seq of its newest message (allocated by an UPDATE).

    `direct_key` ("smaller id:larger id") and `unit` are unique, so there is one direct
    conversation per pair and one unit group per unit however concurrently they are created.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)
    title = fields.CharField(max_length=128, default="")
    owner: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="owned_conversations", null=True,
        on_delete=fields.RESTRICT,
    )
    unit: fields.OneToOneNullableRelation[Unit] = fields.OneToOneField(
        "directory.Unit", related_name="conversation", null=True, on_delete=fields.RESTRICT
    )
    direct_key = fields.CharField(max_length=32, null=True, unique=True)
    last_seq = fields.BigIntField(default=0)
    last_message_at = fields.DatetimeField()
    dissolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    owner_id: int | None
    unit_id: int | None

    class Meta:
        table = "msg_conversation"


class Member(Model):
    """A person's place in a conversation: role, read position (已读位置) and mute.

    For unit groups the row only keeps the person's state; whether they belong is decided by
    their positions in the unit, so membership follows the unit without any copying.
    """

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "messaging.Conversation", related_name="members", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="conversation_memberships", on_delete=fields.CASCADE
    )
    role = fields.CharField(max_length=16, default=MemberRole.MEMBER.value)
    read_seq = fields.BigIntField(default=0)
    muted = fields.BooleanField(default=False)
    joined_at = fields.DatetimeField(auto_now_add=True)

    conversation_id: int
    person_id: int

    class Meta:
        table = "msg_member"
        unique_together = (("conversation", "person"),)
        indexes = (("person_id", "conversation_id"),)


class Message(Model):
    """One message. `seq` is gap-free per conversation. A recall empties it, leaving a tombstone."""

    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "messaging.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    seq = fields.BigIntField()
    sender: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="sent_messages", on_delete=fields.RESTRICT
    )
    client_msg_id = fields.CharField(max_length=64)
    body = fields.TextField(default="")
    mentions: list[int] = fields.JSONField(default=list)  # type: ignore[assignment]
    mention_all = fields.BooleanField(default=False)
    reply_to_id = fields.BigIntField(null=True)
    file_ids: list[int] = fields.JSONField(default=list)  # type: ignore[assignment]
    created_at = fields.DatetimeField()
    recalled_at = fields.DatetimeField(null=True)
    recalled_by_id = fields.IntField(null=True)
    urged_at = fields.DatetimeField(null=True)

    conversation_id: int
    sender_id: int

    class Meta:
        table = "msg_message"
        unique_together = (("conversation", "seq"), ("conversation", "sender", "client_msg_id"))


class Attachment(Model):
    """A file attached to a message, so the file is readable by the conversation's members."""

    id = fields.BigIntField(primary_key=True)
    message: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "messaging.Message", related_name="attachments", on_delete=fields.CASCADE
    )
    file: fields.ForeignKeyRelation[StoredFile] = fields.ForeignKeyField(
        "files.StoredFile", related_name="message_attachments", on_delete=fields.RESTRICT
    )
    conversation_id = fields.IntField()

    message_id: int
    file_id: int

    class Meta:
        table = "msg_attachment"
        indexes = (("file_id", "conversation_id"),)


class QuietHours(Model):
    """A person's do-not-disturb hours (免打扰时段), as local wall-clock times in `timezone`."""

    id = fields.IntField(primary_key=True)
    person: fields.OneToOneRelation[Person] = fields.OneToOneField(
        "directory.Person", related_name="quiet_hours", on_delete=fields.CASCADE
    )
    enabled = fields.BooleanField(default=True)
    start = fields.CharField(max_length=5)  # "22:00"
    end = fields.CharField(max_length=5)  # "07:00"; before start means overnight
    timezone = fields.CharField(max_length=64, default="Asia/Shanghai")
    updated_at = fields.DatetimeField(auto_now=True)

    person_id: int

    class Meta:
        table = "msg_quiet_hours"
