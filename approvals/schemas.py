"""Request and reply shapes of the approval routes (签批)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints,
    field_validator, model_validator,
)

from approvals.planning import StepPlan
from approvals.states import ChainState, Mode, SeatState, StepState, Verdict, Where

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Comment = Annotated[str, StringConstraints(max_length=2000)]
Reason = Annotated[str, StringConstraints(max_length=500)]
Urgency = Literal["normal", "urgent", "critical"]  # 平件, 急件, 特急
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]  # a row id (INTEGER on both engines)
PersonIds = Annotated[list[Id], Field(max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


class PositionRef(Strict):
    """People holding a post in a unit: by title, by role, or (neither) its leader (负责人)."""

    unit_id: Id
    title: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    role: Literal["leader", "clerk", "unit_admin"] | None = None


class Assignees(Strict):
    people: PersonIds = []
    positions: Annotated[list[PositionRef], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _someone(self) -> Assignees:
        if not self.people and not self.positions:
            raise ValueError("name at least one person or position")
        return self


class StepCreate(Strict):
    """A step: 票签 (`quorum`) takes N of M (an integer) or a share of M (0 < share < 1)."""

    label: Label
    mode: Mode
    assignees: Assignees
    quorum: StrictInt | StrictFloat | None = None

    @model_validator(mode="after")
    def _quorum(self) -> StepCreate:
        if (self.mode is Mode.QUORUM) != (self.quorum is not None):
            raise ValueError("give a quorum with mode 'quorum', and only then")
        if isinstance(self.quorum, int) and self.quorum < 1:
            raise ValueError("a quorum count is at least 1")
        if isinstance(self.quorum, float) and not 0 < self.quorum < 1:
            raise ValueError("a quorum share lies strictly between 0 and 1")
        return self

    def plan(self) -> StepPlan:
        count = self.quorum if isinstance(self.quorum, int) else None
        share = self.quorum if isinstance(self.quorum, float) else None
        return StepPlan(self.label, self.mode, list(self.assignees.people),
                        [p.model_dump() for p in self.assignees.positions], count, share)


class ChainCreate(Strict):
    subject_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.\-]{0,31}$")]
    subject_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    content_sha256: Sha256
    steps: Annotated[list[StepCreate], Field(min_length=1, max_length=20)]
    cc: PersonIds = []
    urgency: Urgency = "normal"
    due_at: AwareDatetime | None = None

    @field_validator("subject_id", mode="before")
    @classmethod
    def _text_id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class DecisionCreate(Strict):
    step_id: Id
    decision: Verdict
    comment: Comment = ""
    signature: Annotated[str, StringConstraints(min_length=1, max_length=8192)]
    return_to_step: Id | None = None  # 退回 to this earlier step; none: to the initiator


class DelegateCreate(Strict):
    step_id: Id
    delegate_id: Id
    reason: Reason = ""


class SignersCreate(StepCreate):
    """加签: a step of new signers before or after the open step."""

    step_id: Id
    where: Where
    label: Label = "加签"
    mode: Mode = Mode.ALL


class ReasonBody(Strict):
    reason: Reason = ""


class RemindCreate(Strict):
    message: Reason = ""


class ContentChange(Strict):
    """A substantive edit of an ad-hoc subject: the new hash, and where the chain starts again."""

    content_sha256: Sha256
    restart_step_id: Id | None = None


class Resubmit(Strict):
    restart_step_id: Id | None = None
    content_sha256: Sha256 | None = None


class OutOfOfficeCreate(Strict):
    delegate_id: Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _order(self) -> OutOfOfficeCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class PageQuery(Strict):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None


class InboxQuery(PageQuery):
    box: Literal["waiting", "done", "started"] = "waiting"


class PersonRef(BaseModel):
    id: int
    display_name: str


class ChainSummary(BaseModel):
    id: int
    subject_type: str = Field(description="`document` for 公文 sign-off, `ad-hoc` otherwise.")
    subject_id: str
    title: str
    state: ChainState
    urgency: Urgency
    due_at: datetime | None
    initiator_id: int
    created_at: datetime
    finished_at: datetime | None
    current_step_id: int | None = Field(default=None, description="The open step, if any "
                                                                  "(absent in inbox lists).")


class PersonName(BaseModel):
    id: int
    display_name: str


class AssigneePublic(BaseModel):
    """A seat on a step (this round): who, how they got it, whether they have decided."""

    id: int
    person: PersonName
    state: SeatState
    via: Literal["assigned", "delegated", "out_of_office", "added"]
    on_behalf_of: PersonName | None
    opened_at: datetime | None
    decided_at: datetime | None


class PlannedSigners(BaseModel):
    people: list[int]
    positions: list[Any]


class StepPublic(BaseModel):
    id: int
    position: int
    label: str
    mode: Mode
    quorum: int | float | None = Field(description="票签: a count, or a share of the seats.")
    state: StepState
    round: int
    planned: PlannedSigners
    added_by: int | None
    opened_at: datetime | None
    approvals: int
    assignees: list[AssigneePublic]


class DecisionPublic(BaseModel):
    """A signed decision; `signature` is the compact JWS made on the device."""

    id: int
    step_id: int
    round: int
    person: PersonName
    decision: Verdict
    on_behalf_of: PersonName | None
    comment: str
    content_sha256: str
    stale: bool = Field(description="The subject changed after this decision was made.")
    signed_at: datetime
    decided_at: datetime
    device_id: int | None
    return_to_step: int | None
    retracted: bool = Field(description="Taken back (拿回) by its signer.")
    signature: str


class HistoryEntry(BaseModel):
    action: str
    actor_id: int | None
    device_id: int | None
    at: datetime
    detail: dict[str, Any]


class ChainPublic(ChainSummary):
    """A chain with its steps (current round's assignees), decisions, watchers and history."""

    content_sha256: str
    initiator: PersonName
    steps: list[StepPublic]
    decisions: list[DecisionPublic]
    watchers: list[PersonName] = Field(default_factory=list, description="Copied (抄送).")
    history: list[HistoryEntry] = Field(default_factory=list)


class DecisionMade(BaseModel):
    id: int
    step_id: int
    round: int
    person_id: int
    on_behalf_of: int | None
    decision: Verdict
    comment: str
    content_sha256: str
    signed_at: datetime
    decided_at: datetime
    device_id: int | None
    return_to_step: int | None


class DecisionResult(BaseModel):
    decision: DecisionMade
    chain: ChainSummary


class StepBrief(BaseModel):
    id: int
    label: str
    mode: Mode | None = None


class InboxItem(BaseModel):
    """`waiting`: a seat to decide; `done`: a decision made; `started`: a chain I began."""

    chain: ChainSummary
    assignment_id: int | None = None
    step: StepBrief | None = None
    on_behalf_of: int | None = None
    via: str | None = None
    opened_at: datetime | None = None
    decision_id: int | None = None
    decision: Verdict | None = None
    comment: str | None = None
    decided_at: datetime | None = None


class InboxCounts(BaseModel):
    waiting: int
    done: int
    started: int


class InboxPage(BaseModel):
    box: Literal["waiting", "done", "started"]
    items: list[InboxItem]
    next_cursor: str | None
    counts: InboxCounts


class AbsencePublic(BaseModel):
    """A time away (外出委托) and the delegate named for it (also the data of the delegate's
    `approval.out_of_office` event)."""

    id: int
    person_id: int
    delegate_id: int
    starts_at: datetime
    ends_at: datetime
    cancelled_at: datetime | None


class AbsencePage(BaseModel):
    items: list[AbsencePublic]
    next_cursor: str | None


class ChainReminded(BaseModel):
    chain_id: int
    reminded: list[int]


class SignatureCheck(BaseModel):
    decision_id: int
    step_id: int
    round: int
    person_id: int
    decision: Verdict
    device_id: int | None
    valid: bool
    problems: list[str]
    subject_changed: bool
    retracted: bool


class VerifyReport(BaseModel):
    chain_id: int
    ok: bool
    content_sha256: str
    state: ChainState
    decisions: list[SignatureCheck]
