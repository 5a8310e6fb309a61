"""Request and reply shapes of the messaging routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from messaging.policy import MAX_GROUP_MEMBERS, MAX_MENTIONS, MENTION_ALL, parse_clock

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Ids = Annotated[list[int], Field(max_length=MAX_GROUP_MEMBERS)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationCreate(Strict):
    """`direct`: `member_ids` is the one other person. `group`: everyone but me. `unit`: the
    unit group (单位群) of `unit_id`, which must be one of my units."""

    kind: Literal["direct", "group", "unit"]
    title: Title | None = None
    member_ids: Ids = Field(default_factory=list)
    unit_id: int | None = None


class ConversationUpdate(Strict):
    title: Title


class MembersAdd(Strict):
    member_ids: Annotated[list[int], Field(min_length=1, max_length=MAX_GROUP_MEMBERS)]


class OwnerTransfer(Strict):
    owner_id: int


class RoleSet(Strict):
    person_id: int
    role: Literal["admin", "member"]


class MuteSet(Strict):
    muted: bool


class MessageCreate(Strict):
    """`mentions` holds person ids, or "all" (@所有人, owners and admins only)."""

    client_msg_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    body: str = ""
    mentions: Annotated[list[int | Literal["all"]], Field(max_length=MAX_MENTIONS)] = Field(
        default_factory=list)
    reply_to: int | None = None
    file_ids: Annotated[list[int], Field(max_length=20)] = Field(default_factory=list)

    def people(self) -> list[int]:
        return sorted({m for m in self.mentions if isinstance(m, int)})

    def mentions_all(self) -> bool:
        return MENTION_ALL in self.mentions


class ReadMark(Strict):
    up_to_seq: Annotated[int, Field(ge=0)]


class ListQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: str | None = None


class HistoryQuery(Strict):
    before_seq: Annotated[int, Field(ge=0)] | None = None
    after_seq: Annotated[int, Field(ge=0)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class SearchQuery(ListQuery):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class QuietHoursSet(Strict):
    enabled: bool = True
    start: str
    end: str
    timezone: str = "Asia/Shanghai"

    @field_validator("start", "end")
    @classmethod
    def clock(cls, value: str) -> str:
        parse_clock(value)
        return value

    @field_validator("timezone")
    @classmethod
    def zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError) as exc:
            raise ValueError("not a known IANA time zone") from exc
        return value


class FileRef(BaseModel):
    """A file attached to a record: fetch the bytes with `GET /v1/files/{id}`."""

    id: int
    name: str
    content_type: str
    size: int
    sha256: str


class MessagePublic(BaseModel):
    """A message; once recalled (撤回) its `body` and `files` are gone for everyone."""

    id: int
    conversation_id: int
    seq: int = Field(description="Gap-free and increasing within the conversation.")
    sender_id: int
    client_msg_id: str
    body: str | None
    mentions: list[int]
    mention_all: bool
    reply_to: int | None
    files: list[FileRef]
    created_at: datetime
    recalled: bool
    recalled_at: datetime | None
    recalled_by: int | None


Role = Literal["owner", "admin", "member"]


class ConversationPublic(BaseModel):
    id: int
    kind: Literal["direct", "group", "unit"]
    title: str
    owner_id: int | None
    unit_id: int | None
    dissolved: bool
    dissolved_at: datetime | None
    created_at: datetime
    last_seq: int
    last_message_at: datetime
    my_role: Role
    muted: bool
    read_seq: int
    unread_count: int


class ConversationDetail(ConversationPublic):
    member_count: int


class ConversationItem(ConversationPublic):
    last_message: MessagePublic | None


class ConversationPage(BaseModel):
    items: list[ConversationItem]
    next_cursor: str | None


class MemberPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role


class MemberPage(BaseModel):
    items: list[MemberPublic]
    next_cursor: str | None


class MembersAdded(BaseModel):
    conversation_id: int
    added: list[int] = Field(description="Those who were not members before.")


class RoleChanged(BaseModel):
    conversation_id: int
    person_id: int
    role: Literal["admin", "member"]


class ReadMarked(BaseModel):
    conversation_id: int
    read_seq: int
    unread_count: int


class HistoryPage(BaseModel):
    items: list[MessagePublic]
    has_more: bool
    last_seq: int
    read_seq: int


class MessagePage(BaseModel):
    items: list[MessagePublic]
    next_cursor: str | None


class PersonBrief(BaseModel):
    id: int
    username: str
    display_name: str


class ReceiptsPublic(BaseModel):
    message_id: int
    seq: int
    read: list[PersonBrief]
    unread: list[PersonBrief]
    read_count: int
    unread_count: int


class Urged(BaseModel):
    message_id: int
    urged: list[int] = Field(description="The members alerted again: those who have not read.")


class QuietHoursPublic(BaseModel):
    enabled: bool
    start: str | None = Field(description="HH:MM, 24-hour, in `timezone`.")
    end: str | None
    timezone: str
    active: bool = Field(description="Whether quiet hours are in force right now.")
