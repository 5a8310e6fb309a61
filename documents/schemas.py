"""Request shapes of the document routes (公文); replies are shaped in `documents.shapes`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field,
    StringConstraints, model_validator,
)

from approvals.schemas import StepCreate
from documents.artifact.schemas import ArtifactPublic
from documents.policy import DocType, Direction, Purpose, Secrecy, State, Urgency, from_label

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
# Replies. The shapes are built in `documents.shapes`; these models describe them.

class UnitName(BaseModel):
    id: int
    name: str | None = None


class PersonName(BaseModel):
    id: int
    display_name: str


class SignedBy(PersonName):
    """Who signed (签发) or instructed (批办); when a delegate did, for whom, and a label with
    both names (`李四（代张三）`)."""

    on_behalf_of: PersonName | None
    label: str


class StoredFileRef(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class DocumentSummary(BaseModel):
    """A line of a list: the elements that identify a document, with Chinese labels."""

    id: int = Field(description="For a received copy (收文) this is the recipient's own "
                                "record; `source_id` is the sender's document.")
    direction: Direction
    doc_type: DocType
    title: str
    state: State
    urgency: Urgency
    secrecy: Secrecy
    doc_number: str | None = Field(description="发文字号, e.g. 黔府办发〔2026〕12号.")
    unit: UnitName | None
    issuing_unit: UnitName | None
    deadline: datetime | None
    source_id: int | None
    overdue: bool
    created_at: datetime
    updated_at: datetime
    doc_type_label: str
    urgency_label: str
    secrecy_label: str
    state_label: str


class ChainRef(BaseModel):
    id: int
    purpose: Purpose


class DeliveryCounts(BaseModel):
    total: int
    received: int
    bounced: int
    answered: int


class DeliveryPublic(BaseModel):
    """One delivery of an outgoing document (分发) and what became of it."""

    id: int
    unit: UnitName | None
    person: PersonName | None
    recipient_document_id: int = Field(
        description="The record the recipient works with (GET /v1/documents/{id}): a unit's "
                    "own incoming copy (收文), or this document for a person addressed in "
                    "person. Their `document.delivered` event names the same id.")
    delivered_at: datetime
    received_at: datetime | None
    received_by: PersonName | None
    return_reason: str | None
    status: Literal["delivered", "received", "bounced", "answered"]
    answer: str | None
    answer_file_ids: list[int]
    answered_at: datetime | None
    answered_by: PersonName | None


class ReceiptPublic(BaseModel):
    """The receiving side of an incoming copy (收文): sign-for, register, 拟办/批办/承办/办结."""

    delivery_id: int
    source_id: int
    delivered_at: datetime
    received_at: datetime | None
    received_by: PersonName | None
    registered_at: datetime | None
    incoming_number: str | None
    reviewed_at: datetime | None
    return_reason: str | None
    proposal: str | None
    proposed_by: PersonName | None
    instruction: str | None
    instructed_at: datetime | None
    instructed_by: SignedBy | None
    handling: dict[str, Any] | None
    handling_due: datetime | None
    task_id: int | None
    result: str | None
    completed_at: datetime | None
    completed_by: PersonName | None
    answer: str | None
    answer_file_ids: list[int]
    answered_at: datetime | None
    answered_by: PersonName | None


class ForwardsRef(BaseModel):
    id: int
    title: str
    doc_number: str | None
    issuing_unit: UnitName | None
    doc_type: DocType


class ForwardedAs(BaseModel):
    id: int
    title: str
    doc_number: str | None
    state: State


class DocumentPublic(DocumentSummary):
    """A document in full. Outgoing ones carry `deliveries` (and `my_delivery` when one was
    addressed to me in person); incoming ones carry their `receipt`."""

    drafter: PersonName | None
    signer: PersonName | None
    signed_by: SignedBy | None
    signed_at: datetime | None
    signed_sha256: str | None
    main_units: list[UnitName]
    cc_units: list[UnitName]
    written_on: date | None
    note: str
    printed_by: str
    printed_on: date | None
    copies: int | None
    version: int
    content_sha256: str
    body: StoredFileRef | None
    attachments: list[StoredFileRef]
    number_year: int | None
    number_seq: int | None
    issued_at: datetime | None
    archived_at: datetime | None
    chain: ChainRef | None
    forwards: ForwardsRef | None = Field(description="转发: the document this one forwards.")
    forwarded_as: list[ForwardedAs] = Field(description="The drafts made to forward this one.")
    issued_pdf: ArtifactPublic | None = Field(
        None, description="The signed PDF (正本) once issued, for a delivered copy too: where "
                          "to fetch it and its previews, pages, SHA-256, certificate.")
    artifact_problem: dict[str, Any] | None = Field(
        None, description="Only in the reply to issuing: why the PDF could not be rendered "
                          "(a problem object); the number stands, `POST …/render` retries.")
    deliveries: DeliveryCounts | None = None
    my_delivery: DeliveryPublic | None = None
    receipt: ReceiptPublic | None = None


class ForwardedDraftPublic(DocumentPublic):
    """The 转发 draft, in full as `GET /v1/documents/{id}` shows it: among its attachments the
    original's files, and in `forwards` the original's title, number and issuing unit."""


class DocumentPage(BaseModel):
    items: list[DocumentSummary]
    next_cursor: str | None


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None


class Distributed(BaseModel):
    document_id: int
    deliveries: list[DeliveryPublic]


class VersionPublic(BaseModel):
    number: int
    content_sha256: str
    elements: dict[str, Any]
    body_file_id: int | None
    attachment_ids: list[int]
    changed: list[str]
    created_by: PersonName | None
    created_at: datetime


class VersionPage(BaseModel):
    items: list[VersionPublic]
    next_cursor: str | None


class HistoryItem(BaseModel):
    action: str
    actor: PersonName | None
    device_id: int | None
    at: datetime
    detail: dict[str, Any]


class DocumentHistory(BaseModel):
    document_id: int
    items: list[HistoryItem]


class SeriesPublic(BaseModel):
    """A numbering series (机关代字) of a unit."""

    id: int
    unit_id: int
    kind: Direction
    prefix: str
    created_at: datetime


class SeriesList(BaseModel):
    items: list[SeriesPublic]


class Handlers(BaseModel):
    """承办 by name: the lead (主办) and the assisting (协办) units and people."""

    lead: str
    assisting: list[str]


class RegisterRow(DocumentSummary):
    signer: SignedBy | None
    written_on: date | None
    issued_at: datetime | None
    main_units: list[UnitName]
    cc_units: list[UnitName]
    copies: int | None
    incoming_number: str | None = None
    delivered_at: datetime | None = None
    received_at: datetime | None = None
    registered_at: datetime | None = None
    instructed_by: SignedBy | None = None
    handling: dict[str, Any] | None = None
    handlers: Handlers | None = None
    handling_due: datetime | None = None
    completed_at: datetime | None = None


class RegisterPage(BaseModel):
    items: list[RegisterRow]
    next_cursor: str | None


class ReaderPublic(BaseModel):
    person: PersonName
    position: int
    state: Literal["waiting", "pending", "read"]
    opened_at: datetime | None
    read_at: datetime | None
    comment: str


class CirculationPublic(BaseModel):
    """A circulation (传阅): who reads, in which order, and what they wrote (阅示)."""

    id: int
    document_id: int
    created_by: PersonName
    mode: Literal["parallel", "sequential"]
    note: str
    due_at: datetime | None
    state: Literal["open", "finished", "cancelled"]
    created_at: datetime
    finished_at: datetime | None
    overdue: bool
    current: list[PersonName] = Field(description="Whose turn it is now.")
    read_count: int
    readers: list[ReaderPublic]


class CirculationPage(BaseModel):
    items: list[CirculationPublic]
    next_cursor: str | None


class CirculationReminded(BaseModel):
    circulation_id: int
    reminded: list[int]


class TrackedCirculation(CirculationPublic):
    """A circulation I follow (传阅跟踪), with the title of the document going round."""

    document_title: str


class TrackedCirculationPage(BaseModel):
    items: list[TrackedCirculation]
    next_cursor: str | None
