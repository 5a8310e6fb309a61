"""The events documents emit, all to `user:{id}` audiences of the people concerned (a unit's
audience would reach everyone in it; a document reaches its desk and the people named).

| kind | to | when |
|---|---|---|
| `document.signed` | drafter, desk of the drafting unit | the 签发 step approved it |
| `document.returned` | drafter, desk | the chain sent it back (退回) or refused it (不同意) |
| `document.issued` | drafter, desk | numbered (编号) |
| `document.rendered` | drafter, desk | its signed PDF (正本) is ready: `file_id`, `pages`, `sha256` |
| `document.delivered` | desk of each receiving unit; people addressed in person | 分发 |
| `document.received` | drafter, desk of the sender | 签收 (who signed for it, when) |
| `document.bounced` | drafter, desk of the sender | 初审 returned it, with the reasons |
| `document.instructed` | desk of the receiving unit | the leader's 批办 |
| `document.instruction_returned` | desk of the receiving unit | the leader sent the 拟办 back |
| `document.assigned` | the handlers (承办) | lead and assisting units' people, people |
| `document.completed` | desk, the instructing leader | 办结 |
| `document.answered` | drafter, desk of the sender | 答复 |
| `document.circulation.turn` | a reader | their turn to read (传阅) |
| `document.circulation.read` | the circulator | a reader read it, with the 阅示 |
| `document.circulation.finished` | the circulator | everyone has read it |
| `document.circulation.reminded` | readers whose turn it is and who have not read | 催阅 |
| `document.circulation.overdue` | the circulator | the due time passed with readers left |

Every payload is `{"document_id": …, "document": <summary>, "by": <person id or null>, …}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.tx import Work
from directory.desks import desk_people
from documents.models import Document


def summary(document: Document) -> dict[str, Any]:
    return {
        "id": document.id, "direction": document.direction, "doc_type": document.doc_type,
        "title": document.title, "state": document.state, "urgency": document.urgency,
        "doc_number": document.doc_number, "unit_id": document.unit_id,
        "source_id": document.source_id,
    }


def notify(work: Work, kind: str, document: Document, people: Iterable[int], *,
           by: int | None, **extra: Any) -> None:
    """Emit `document.<kind>` to each of `people` (once each)."""
    targets = [f"user:{pid}" for pid in dict.fromkeys(people)]
    if targets:
        work.emit(f"document.{kind}", targets, {
            "document_id": document.id, "document": summary(document), "by": by, **extra})


async def desk(unit_id: int) -> list[int]:
    """The document desk of a unit: its clerks and its named desk's (routing rule R1)."""
    return await desk_people(unit_id)


async def owners(document: Document) -> list[int]:
    """An outgoing document's drafter and its unit's desk."""
    drafter = [document.drafter_id] if document.drafter_id else []
    return [*drafter, *await desk(document.unit_id)]


class DocumentBrief(BaseModel):
    id: int
    direction: Literal["outgoing", "incoming"]
    doc_type: str
    title: str
    state: str
    urgency: str
    doc_number: str | None
    unit_id: int
    source_id: int | None


class DocumentEventData(BaseModel):
    """Every document event: the document in brief and who did it; the fields its kind adds
    (see the table above) follow."""

    model_config = ConfigDict(extra="allow")
    document_id: int = Field(description="The record you open: for `document.delivered` to a "
                                         "unit's desk, that unit's own incoming copy (收文).")
    document: DocumentBrief
    by: int | None


class DeliveredData(DocumentEventData):
    delivery_id: int
    source_id: int | None = Field(default=None, description="The sender's document (to a desk).")


class RenderedData(DocumentEventData):
    file_id: int = Field(description="The signed PDF (正本), also at `GET …/pdf`.")
    pages: int
    sha256: str


class CirculationEventData(DocumentEventData):
    circulation_id: int


KINDS = ("signed", "returned", "issued", "received", "bounced", "instructed",
         "instruction_returned", "assigned", "completed", "answered")
CIRCULATION_KINDS = ("turn", "read", "finished", "reminded", "overdue")
EVENTS: dict[str, type[BaseModel]] = {
    **{f"document.{kind}": DocumentEventData for kind in KINDS},
    "document.delivered": DeliveredData,
    "document.rendered": RenderedData,
    **{f"document.circulation.{kind}": CirculationEventData for kind in CIRCULATION_KINDS},
}
