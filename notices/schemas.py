"""Request and reply shapes of the notice and meeting routes (replies are built in
`notices.views`; the reply models here describe them for the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from notices.policy import Answer, Kind, State, Urgency

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(max_length=50_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Link = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S{1,490}$")]
AgendaItem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Agenda = Annotated[list[AgendaItem], Field(max_length=50)]
FileIds = Annotated[list[int], Field(max_length=50)]
Minutes = Annotated[int, Field(ge=1, le=10_080)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AudienceIn(Strict):
    """Units (with or without sub-units), people and groups; resolved to people when sent."""

    units: Annotated[list[int], Field(max_length=2000)] = Field(default_factory=list)
    include_subunits: bool = False
    people: Annotated[list[int], Field(max_length=20_000)] = Field(default_factory=list)
    groups: Annotated[list[int], Field(max_length=200)] = Field(default_factory=list)

    @model_validator(mode="after")
    def someone(self) -> AudienceIn:
        if not (self.units or self.people or self.groups):
            raise ValueError("name at least one unit, person or group")
        return self


class MeetingIn(Strict):
    """When and where (会议时间、地点或线上链接), the agenda (议程) and the check-in rules."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: Place | None = None
    online_url: Link | None = None
    agenda: Agenda = Field(default_factory=list)
    checkin_opens_minutes: Annotated[int, Field(ge=0, le=1440)] = 30
    late_after_minutes: Annotated[int, Field(ge=0, le=240)] = 0

    @model_validator(mode="after")
    def sensible(self) -> MeetingIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if not (self.location or self.online_url):
            raise ValueError("give a location or an online_url")
        return self


class NoticeCreate(Strict):
    kind: Literal["notice", "meeting"]
    title: Title
    body: Body = ""
    audience: AudienceIn
    urgency: Literal["normal", "urgent", "critical"] = "normal"
    requires_confirmation: bool = False
    confirm_deadline: AwareDatetime | None = None
    meeting: MeetingIn | None = None
    rsvp_deadline: AwareDatetime | None = None
    remind_before_minutes: Minutes = 30
    file_ids: FileIds = Field(default_factory=list)

    @model_validator(mode="after")
    def consistent(self) -> NoticeCreate:
        if (self.kind == "meeting") != (self.meeting is not None):
            raise ValueError("a meeting needs `meeting` details, and only a meeting has them")
        if self.rsvp_deadline and self.meeting and self.rsvp_deadline > self.meeting.starts_at:
            raise ValueError("rsvp_deadline must not be after the meeting starts")
        if self.rsvp_deadline and not self.meeting:
            raise ValueError("only a meeting takes an rsvp_deadline")
        if self.confirm_deadline and not self.requires_confirmation:
            raise ValueError("confirm_deadline needs requires_confirmation")
        return self


class MeetingChange(Strict):
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    location: Place | None = None
    online_url: Link | None = None
    agenda: Agenda | None = None


class CorrectionIn(Strict):
    """A correction (更正) or a change of a meeting; `note` says why, for everyone."""

    note: Reason
    title: Title | None = None
    body: Body | None = None
    file_ids: FileIds | None = None
    confirm_deadline: AwareDatetime | None = None
    rsvp_deadline: AwareDatetime | None = None
    meeting: MeetingChange | None = None


class ReasonIn(Strict):
    reason: Reason


class RsvpIn(Strict):
    answer: Literal["attend", "decline", "substitute"]
    reason: Reason | None = None
    substitute_id: int | None = None

    @model_validator(mode="after")
    def complete(self) -> RsvpIn:
        if self.answer == "decline" and not self.reason:
            raise ValueError("a decline needs a reason")
        if (self.answer == "substitute") != (self.substitute_id is not None):
            raise ValueError("substitute_id goes with answer `substitute`, and only with it")
        return self


class UnitReplyIn(Strict):
    """A unit's 回执: who attends for the unit (anyone of it, invited or not); nobody, with a
    note saying why."""

    attendees: Annotated[list[Annotated[int, Field(ge=1, le=2_147_483_647)]],
                         Field(max_length=200)]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""

    @model_validator(mode="after")
    def someone_or_why(self) -> UnitReplyIn:
        if not self.attendees and not self.note:
            raise ValueError("name who attends, or say in `note` why nobody will")
        return self


class PersonBrief(BaseModel):
    id: int
    display_name: str


class UnitReplyPublic(BaseModel):
    notice_id: int
    unit: dict[str, object]
    answered: bool
    attendees: list[PersonBrief]
    note: str
    answered_by: PersonBrief | None
    answered_at: str | None


class CheckinIn(Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]


class RemindIn(Strict):
    target: Literal["unread", "unconfirmed", "unanswered"] | None = None


class ListQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: str | None = None


class NoticesQuery(ListQuery):
    box: Literal["inbox", "sent"] = "inbox"


class StatsQuery(Strict):
    unit_id: int | None = None


Status = Literal[
    "unread", "read", "confirmed", "unconfirmed", "expected", "attending", "declined",
    "substituted", "unanswered", "reconfirm", "checked_in", "late", "absent", "substitutes",
    "not_named",
]


class RecipientsQuery(ListQuery):
    status: Status | None = None
    unit_id: int | None = None


class MeetingPublic(BaseModel):
    starts_at: datetime
    ends_at: datetime
    location: str | None
    online_url: str | None
    agenda: list[str]
    checkin_opens_minutes: int
    late_after_minutes: int


class ReceiptPublic(BaseModel):
    """One recipient's receipt (回执): read, confirmed, answered, checked in."""

    person_id: int
    unit_id: int | None
    delivered_at: datetime | None
    read_at: datetime | None
    confirmed_at: datetime | None
    rsvp: Answer | None
    rsvp_reason: str | None
    rsvp_at: datetime | None
    reconfirm: bool = Field(description="A correction asks you to confirm again.")
    substitute_id: int | None
    substitute_for_id: int | None
    checked_in_at: datetime | None
    late: bool


class NoticePublic(BaseModel):
    id: int
    kind: Kind
    title: str
    body: str
    urgency: Urgency
    alert: bool = Field(description="Whether phones should ring loudly for it.")
    state: State
    publisher_id: int
    revision: int
    requires_confirmation: bool
    confirm_deadline: datetime | None
    rsvp_deadline: datetime | None
    remind_before_minutes: int | None
    meeting: MeetingPublic | None
    recipient_count: int
    created_at: datetime
    published_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None


class NoticeItem(NoticePublic):
    receipt: ReceiptPublic | None = Field(
        default=None, description="Mine: in the inbox, and on a notice I was sent (null if I "
                                  "was not); absent from the `sent` box.")


class NoticePage(BaseModel):
    items: list[NoticeItem]
    next_cursor: str | None


class NoticeFileRef(BaseModel):
    id: int
    name: str
    url: str


class CorrectionPublic(BaseModel):
    """A correction (更正) or a move (改期): what changed, from what, to what."""

    number: int
    changed: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
    note: str
    reconfirm: bool
    at: datetime


class NoticeDetail(NoticeItem):
    files: list[NoticeFileRef]
    corrections: list[CorrectionPublic]


class CheckinCode(BaseModel):
    notice_id: int
    code: str = Field(description="Six digits, shown on the organiser's screen; rotates.")
    step_seconds: int
    expires_in: int
    window_open: bool
    opens_at: datetime
    closes_at: datetime
    late_after: datetime


class Reminded(BaseModel):
    notice_id: int
    target: Literal["unread", "unconfirmed", "unanswered"]
    reminded: int


class StatsPerson(BaseModel):
    person_id: int
    display_name: str
    reason: str | None = Field(default=None, description="In `declined`: why (请假理由).")
    substitute_id: int | None = Field(default=None, description="In `substituted`: who goes.")


class UnitStats(BaseModel):
    unit_id: int | None
    unit_name: str | None
    counts: dict[str, int] = Field(description="`total`, `unread`, `read`; `confirmed` and "
                                               "`unconfirmed` when confirmation is asked; for "
                                               "meetings also `expected`, `attending`, "
                                               "`declined`, `substituted`, `unanswered`, "
                                               "`reconfirm`, `checked_in`, `late`, `absent`, "
                                               "`substitutes`.")
    lists: dict[str, list[StatsPerson]] | None = Field(
        description="The same keys as `counts` (but `total`): who. Null when there are too "
                    "many recipients (`lists_omitted`): ask `recipients` per unit instead.")


class NoticeStats(BaseModel):
    notice_id: int
    kind: Kind
    revision: int
    meeting_started: bool
    totals: dict[str, int]
    units: list[UnitStats]
    lists_omitted: bool
    unit_replies: list[UnitReplyPublic] = Field(description="Meetings: each unit's 回执, who "
                                                            "attends for it.")


class RecipientPublic(ReceiptPublic):
    display_name: str
    unit_name: str | None


class RecipientPage(BaseModel):
    items: list[RecipientPublic]
    next_cursor: str | None
