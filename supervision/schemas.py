"""Request and reply shapes of the supervision routes (督办)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator,
)

from supervision.policy import Light, TaskState

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
# Kept in UTC from here on: SQLite compares stored times as text, so one offset for all.
When = Annotated[AwareDatetime, AfterValidator(lambda moment: moment.astimezone(UTC))]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
FileIds = Annotated[list[Id], Field(max_length=50)]
Priority = Literal["normal", "high", "urgent"]  # 一般 / 重要 / 紧急
Status = Literal[
    "assigned", "received", "in_progress", "submitted", "done", "cancelled", "open", "overdue"
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


class AssigneesIn(Strict):
    """Units (each resolved to its leaders and clerks) and people the task is assigned to."""

    units: Annotated[list[Id], Field(max_length=200)] = Field(default_factory=list)
    people: Annotated[list[Id], Field(max_length=200)] = Field(default_factory=list)

    @model_validator(mode="after")
    def someone(self) -> AssigneesIn:
        if not self.units and not self.people:
            raise ValueError("assign the task to at least one unit or person")
        return self


class LeadIn(Strict):
    """The lead (牵头/主办): a unit or a person among the assignees; the rest assist (协办)."""

    type: Literal["unit", "person"]
    id: Id


class SourceIn(Strict):
    """Where the task comes from (来源): a document, a meeting, a leader's instruction…"""

    type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,31}$")]
    id: Annotated[str, StringConstraints(max_length=64)] | int | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class TaskCreate(Strict):
    title: Title
    description: Annotated[str, StringConstraints(max_length=20_000)] = ""
    assignees: AssigneesIn
    lead: LeadIn | None = None
    due_at: When
    priority: Priority = "normal"
    parent_id: Id | None = None
    source: SourceIn | None = None
    file_ids: FileIds = Field(default_factory=list)


class ProgressIn(Strict):
    percent: Annotated[int, Field(ge=0, le=100)]
    note: Note = ""
    file_ids: FileIds = Field(default_factory=list)


class CompleteIn(Strict):
    """The completion report (办结报告) and its evidence."""

    report: Required
    file_ids: FileIds = Field(default_factory=list)


class ReviewIn(Strict):
    comment: Note = ""


class RejectIn(Strict):
    reason: Required


class CancelIn(Strict):
    reason: Required


class UrgeIn(Strict):
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ExtensionIn(Strict):
    due_at: When
    reason: Required


class ExtensionDecisionIn(Strict):
    decision: Literal["approve", "refuse"]
    comment: Note = ""


class TaskFilters(Strict):
    """Filters of the ledger (台账) and its CSV export."""

    status: Status | None = None
    unit: Id | None = None
    parent: Id | None = None
    overdue: bool | None = None
    light: Literal["green", "yellow", "red"] | None = None
    priority: Priority | None = None


class TaskListQuery(TaskFilters):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: str | None = None


class StatsQuery(Strict):
    unit: Id


class TrendQuery(Strict):
    unit: Id
    months: Annotated[int, Field(ge=1, le=24)] = 6


class EntriesQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: str | None = None


class Named(BaseModel):
    id: int
    name: str


class LeadRef(BaseModel):
    """Who leads the task (牵头): a unit or a person."""

    type: Literal["unit", "person"]
    id: int
    name: str


class SourceRef(BaseModel):
    """Where the task comes from, e.g. the 公文 that asked for it."""

    type: str
    id: str | None
    title: str | None


class TaskSummary(BaseModel):
    """A line of the ledger (台账)."""

    id: int
    title: str
    state: TaskState
    priority: Priority
    light: Light | None = Field(description="红黄绿灯 while open; null once done or cancelled.")
    overdue: bool
    due_at: datetime
    progress: int = Field(description="0–100: the task's own or its sub-tasks' roll-up.")
    percent: int = Field(description="The same figure as `progress`.")
    reported_percent: int = Field(description="The lead's own last report (进展反馈).")
    rollup_percent: int | None
    continuing: bool
    parent_id: int | None
    unit_id: int
    origin_unit_id: int
    acting_unit_id: int | None
    lead: LeadRef
    unit: Named
    origin_unit: Named
    acting_unit: Named | None = Field(description="The desk that assigned it for the "
                                                  "government (代), if any.")
    assigned_by: str = Field(description="交办单位 as shown, e.g. 贵州省（办公厅代）.")
    source: SourceRef | None
    created_at: datetime
    original_due_at: datetime
    received_at: datetime | None
    submitted_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None
    late_seconds: int | None
    creator_id: int


class AssigneeRef(BaseModel):
    person_id: int
    display_name: str
    role: Literal["lead", "assist"]
    via_unit_id: int | None


class ExtensionPublic(BaseModel):
    """A request for more time (延期申请) and its decision."""

    id: int
    task_id: int
    state: Literal["pending", "approved", "refused"]
    reason: str
    old_due_at: datetime
    new_due_at: datetime
    requested_by: int
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    comment: str


class ChildCounts(BaseModel):
    total: int
    done: int
    cancelled: int
    open: int


class MyParts(BaseModel):
    lead: bool
    supervisor: bool


class TaskPublic(TaskSummary):
    description: str
    assignees: list[AssigneeRef]
    file_ids: list[int]
    pending_extension: ExtensionPublic | None
    children: ChildCounts
    overdue_at: datetime | None
    last_urged_at: datetime | None
    my: MyParts


class TaskPage(BaseModel):
    items: list[TaskSummary]
    next_cursor: str | None


class EntryPublic(BaseModel):
    """One line of the task's record (办理记录)."""

    id: int
    task_id: int
    kind: str = Field(description="`created`, `received`, `progress`, `submitted`, `accepted`, "
                                  "`rejected`, `urged`, `extension_*`, `reminded_*` …")
    actor_id: int | None
    percent: int | None
    note: str
    file_ids: list[int]
    at: datetime


class EntryPage(BaseModel):
    items: list[EntryPublic]
    next_cursor: str | None


class Counts(BaseModel):
    assigned: int
    done_on_time: int
    done_late: int
    overdue: int
    open: int  # not finished and not overdue: due soon (yellow) or green
    due_soon: int  # open and due within the yellow window (临近到期, yellow light)
    cancelled: int
    completion_rate: float | None
    average_lateness_hours: float | None


class StatsRow(Counts):
    unit: Named


class StatsPublic(BaseModel):
    unit: Named
    as_of: datetime
    yellow_days: int
    total: Counts
    own: Counts
    children: list[StatsRow]


class TrendPoint(BaseModel):
    month: str  # YYYY-MM, Beijing time
    assigned: int
    done: int
    done_on_time: int
    completion_rate: float | None


class TrendSeries(BaseModel):
    unit: Named
    points: list[TrendPoint]


class TrendPublic(BaseModel):
    """完成率走势: per direct sub-unit, one point per month over the tasks due that month."""

    unit: Named
    as_of: datetime
    months: list[str]
    total: list[TrendPoint]
    children: list[TrendSeries]
