"""Request shapes of the document routes (公文); replies are shaped in `documents.shapes`."""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field,
    StringConstraints, model_validator,
)

from approvals.schemas import StepCreate
from documents.policy import DocType, State, Urgency, from_label

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
When = Annotated[AwareDatetime, AfterValidator(lambda moment: moment.astimezone(UTC))]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Units = Annotated[list[Id], Field(max_length=200)]
People = Annotated[list[Id], Field(max_length=200)]
FileIds = Annotated[list[Id], Field(max_length=50)]
TypeIn = Annotated[DocType, BeforeValidator(lambda v: from_label("doc_type", v))]
UrgencyIn = Annotated[Urgency, BeforeValidator(lambda v: from_label("urgency", v))]
# Classified levels pass the schema so that the action can refuse them with their own problem.
SecrecyIn = Annotated[
    Literal["none", "internal", "secret", "confidential", "top_secret"],
    BeforeValidator(lambda v: from_label("secrecy", v)),
]
Prefix = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32,
                                          pattern=r"^[^\s〔〕\[\]]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)


class Elements(Strict):
    """The GB/T 9704 elements a draft may carry; all optional on an edit."""

    doc_type: TypeIn | None = None
    title: Title | None = None
    urgency: UrgencyIn | None = None
    secrecy: SecrecyIn | None = None
    deadline: When | None = None  # 办理时限, required where urgent
    signer_id: Id | None = None  # 签发人, required on 请示/报告
    main_units: Units | None = None  # 主送
    cc_units: Units | None = None  # 抄送
    written_on: date | None = None  # 成文日期
    note: Text | None = None  # 附注
    printed_by: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None \
        = None  # 印发机关
    printed_on: date | None = None  # 印发日期
    copies: Annotated[int, Field(ge=1, le=1_000_000)] | None = None  # 份数
    body_file_id: Id | None = None
    attachment_ids: FileIds | None = None

    def given(self) -> dict[str, Any]:
        """The fields the request named (a null clears a field that may be empty)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class DocumentCreate(Elements):
    """A new draft (拟稿) in `unit_id`, the drafting and issuing unit (发文机关)."""

    unit_id: Id
    doc_type: TypeIn
    title: Title

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in super().given().items() if name != "unit_id"}


class DocumentEdit(Elements):
    @model_validator(mode="after")
    def _something(self) -> DocumentEdit:
        for name in ("doc_type", "title", "urgency", "secrecy", "main_units", "cc_units",
                     "note", "printed_by", "attachment_ids"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class SubmitIn(Strict):
    """Start sign-off: the steps (核稿 → 会签 → 签发); a 签发 step for the named 签发人 is added
    at the end when none is given."""

    chain: Annotated[list[StepCreate], Field(max_length=20)] = Field(default_factory=list)
    cc: People = Field(default_factory=list)


class SeriesCreate(Strict):
    unit_id: Id
    prefix: Prefix  # 机关代字, e.g. 黔府办发
    kind: Literal["outgoing", "incoming"] = "outgoing"


class SeriesQuery(Strict):
    unit_id: Id


class IssueIn(Strict):
    series_id: Id


class DistributeIn(Strict):
    """Units get an incoming record at their document desk; people get the document itself.
    Neither given: the 主送 and 抄送 units."""

    units: Units = Field(default_factory=list)
    people: People = Field(default_factory=list)


class RegisterIn(Strict):
    series_id: Id | None = None  # the unit's incoming series; none: its default 收文 series


class ReviewIn(Strict):
    """初审: accept, or return it to the sender with the reasons."""

    decision: Literal["accept", "return"]
    reason: Text = ""

    @model_validator(mode="after")
    def _reason(self) -> ReviewIn:
        if self.decision == "return" and not self.reason:
            raise ValueError("say why the document goes back (reason)")
        return self


class ProposeIn(Strict):
    """拟办: the proposed handling, and the leaders asked for 批办 (any one of them decides)."""

    proposal: Required
    leader_ids: Annotated[list[Id], Field(min_length=1, max_length=20)]


class HandlingParty(Strict):
    type: Literal["unit", "person"]
    id: Id


class AssignIn(Strict):
    """承办: the lead (主办) and the assisting (协办) units and people, with a deadline."""

    lead: HandlingParty
    assisting_units: Units = Field(default_factory=list)
    assisting_people: People = Field(default_factory=list)
    due_at: When
    note: Text = ""


class CompleteIn(Strict):
    """办结: the result; `continues` when the work goes on past it (the 督办 task stays open)."""

    result: Required  # 办结情况
    continues: bool = False


class AnswerIn(Strict):
    text: Required  # 答复
    file_ids: FileIds = Field(default_factory=list)


class ForwardIn(Strict):
    """转发: the new document's own words (`text`, or an uploaded `body_file_id`), the units it
    goes to (主送, 抄送: under the receiving unit), and optionally its own attachments, title
    (default 关于转发《…》的通知), type (default 通知), 签发人, urgency and deadline."""

    main_units: Annotated[list[Id], Field(min_length=1, max_length=200)]
    cc_units: Units = Field(default_factory=list)
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=20_000)] | None = None
    body_file_id: Id | None = None
    attachment_ids: FileIds = Field(default_factory=list)
    title: Title | None = None
    doc_type: TypeIn = DocType.NOTICE
    signer_id: Id | None = None
    urgency: UrgencyIn | None = None
    deadline: When | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _one_body(self) -> ForwardIn:
        if self.text is not None and self.body_file_id is not None:
            raise ValueError("give the forward's words as text or as body_file_id, not both")
        return self


class ForwardedDraftPublic(BaseModel):
    """The 转发 draft, in full as `GET /v1/documents/{id}` shows it: among its attachments the
    original's files, and in `forwards` the original's title, number and issuing unit."""

    model_config = ConfigDict(extra="allow")

    id: int
    direction: Literal["outgoing"]
    state: str
    title: str
    unit: dict[str, Any]
    forwards: dict[str, Any]
    attachments: list[dict[str, Any]]


class CirculationCreate(Strict):
    reader_ids: Annotated[list[Id], Field(min_length=1, max_length=200)]
    mode: Literal["parallel", "sequential"] = "parallel"
    due_at: When | None = None
    note: Text = ""


class ReadIn(Strict):
    comment: Text = ""  # 阅示


class PageQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: str | None = None


class TrackedQuery(PageQuery):
    state: Literal["open", "finished"] | None = None


class DocumentQuery(PageQuery):
    """`q` searches titles, numbers and body text (Chinese substrings)."""

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    direction: Literal["outgoing", "incoming"] | None = None
    state: State | None = None


class RegisterFilters(Strict):
    """登记簿 filters: the unit and year, then type, urgency, state and overdue."""

    unit_id: Id
    year: Annotated[int, Field(ge=2000, le=2999)] | None = None
    doc_type: TypeIn | None = None
    urgency: UrgencyIn | None = None
    state: State | None = None
    overdue: bool | None = None


class RegisterQuery(RegisterFilters):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: str | None = None


class RemindIn(Strict):
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class DeskUnit(BaseModel):
    id: int
    name: str


class Desk(BaseModel):
    """One desk: counts of documents waiting in each state (incoming and outgoing)."""

    unit: DeskUnit
    incoming: dict[str, int]
    outgoing: dict[str, int]


class DeskPublic(BaseModel):
    """What waits at my document desks (待办), and the 传阅 waiting for my reading."""

    desks: list[Desk]
    reading: int
