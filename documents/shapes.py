"""Reply shapes of documents: the record, its versions, deliveries and circulations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.clock import utcnow
from core.jsonutil import loads
from core.models import AuditEntry
from directory.models import Person, Unit
from documents.artifact.queries import artifact_of, artifact_public
from documents.models import (
    Circulation, CirculationReader, Delivery, Document, DocumentVersion,
)
from documents.paging import id_page
from documents.policy import (
    SECRECY_LABELS, STATE_LABELS, TYPE_LABELS, URGENCY_LABELS, DocType, Secrecy, State, Urgency,
    is_overdue,
)
from documents.versions import current_content, version_public
from files.queries import file_public

Json = dict[str, Any]


async def people(ids: Iterable[int | None]) -> dict[int, Json]:
    wanted = {i for i in ids if i}
    rows = await Person.filter(id__in=wanted).values("id", "display_name") if wanted else []
    return {row["id"]: row for row in rows}


async def units(ids: Iterable[int | None]) -> dict[int, Json]:
    wanted = {i for i in ids if i}
    rows = await Unit.filter(id__in=wanted).values("id", "name") if wanted else []
    return {row["id"]: row for row in rows}


def signature(who: dict[int, Json], by: int | None, stood_for: int | None) -> Json | None:
    """Who signed (签发) or instructed (批办), and, when a delegate did it, for whom: the label
    shows both names with 「代」 (`李四（代张三）`)."""
    if not by:
        return None
    signer = who.get(by, {"id": by, "display_name": ""})
    principal = who.get(stood_for or 0)
    label = signer["display_name"]
    if principal:
        label = f"{label}（代{principal['display_name']}）"
    return {**signer, "on_behalf_of": principal, "label": label}


def labels(document: Document) -> Json:
    return {
        "doc_type_label": TYPE_LABELS[DocType(document.doc_type)],
        "urgency_label": URGENCY_LABELS[Urgency(document.urgency)],
        "secrecy_label": SECRECY_LABELS[Secrecy(document.secrecy)],
        "state_label": STATE_LABELS[State(document.state)],
    }


def summary_public(document: Document, names: dict[int, Json]) -> Json:
    """A document in lists and registers."""
    return {
        "id": document.id, "direction": document.direction, "doc_type": document.doc_type,
        "title": document.title, "state": document.state, "urgency": document.urgency,
        "secrecy": document.secrecy, "doc_number": document.doc_number,
        "unit": names.get(document.unit_id), "issuing_unit": names.get(document.issuing_unit_id),
        "deadline": document.deadline, "source_id": document.source_id,
        "overdue": is_overdue(document.deadline, document.state, utcnow()),
        "created_at": document.created_at, "updated_at": document.updated_at, **labels(document),
    }


async def summaries(documents: list[Document]) -> list[Json]:
    names = await units(u for d in documents for u in (d.unit_id, d.issuing_unit_id))
    return [summary_public(d, names) for d in documents]


async def document_public(document: Document, *, viewer_id: int) -> Json:
    """The record in full: elements, current files, chain, and the delivery side it shows."""
    content = await current_content(document)
    names = await units([document.unit_id, document.issuing_unit_id, *document.main_units,
                         *document.cc_units])
    who = await people([document.drafter_id, document.signer_id, document.signed_by_id,
                        document.signed_for_id])
    return {
        **summary_public(document, names),
        "drafter": who.get(document.drafter_id or 0), "signer": who.get(document.signer_id or 0),
        "signed_by": signature(who, document.signed_by_id, document.signed_for_id),
        "signed_at": document.signed_at,
        "signed_sha256": document.signed_sha256,
        "main_units": [names.get(u, {"id": u}) for u in document.main_units],
        "cc_units": [names.get(u, {"id": u}) for u in document.cc_units],
        "written_on": document.written_on, "note": document.note,
        "printed_by": document.printed_by, "printed_on": document.printed_on,
        "copies": document.copies, "version": document.version,
        "content_sha256": document.content_sha256,
        "body": file_public(content.body) if content.body else None,
        "attachments": [file_public(f) for f in content.attachments],
        "number_year": document.number_year, "number_seq": document.number_seq,
        "issued_at": document.issued_at, "archived_at": document.archived_at,
        "chain": {"id": document.chain_id, "purpose": document.chain_purpose}
        if document.chain_id else None,
        "issued_pdf": await _issued_pdf(document),
        **await forwarding_public(document),
        **await _delivery_side(document, viewer_id),
    }


async def _issued_pdf(document: Document) -> Json | None:
    """The signed PDF (正本), for the document and for each copy delivered of it."""
    artifact = await artifact_of(document)
    return artifact_public(document.id, artifact) if artifact else None


async def forwarding_public(document: Document) -> Json:
    """转发 both ways: the document this one forwards (its title, number and issuing unit, seen
    by whoever sees this one; its files are this one's attachments), and the drafts made to
    forward this one."""
    original = await Document.get_or_none(id=document.forwards_id) if document.forwards_id \
        else None
    made = await Document.filter(forwards_id=document.id, source_id=None).order_by("id")
    issuer = (await units([original.issuing_unit_id])).get(original.issuing_unit_id) \
        if original else None
    return {
        "forwards": {"id": original.id, "title": original.title,
                     "doc_number": original.doc_number, "issuing_unit": issuer,
                     "doc_type": original.doc_type} if original else None,
        "forwarded_as": [{"id": d.id, "title": d.title, "doc_number": d.doc_number,
                          "state": d.state} for d in made],
    }


async def _delivery_side(document: Document, viewer_id: int) -> Json:
    if document.direction == "incoming":
        delivery = await Delivery.get(incoming_id=document.id)
        return {"receipt": await receipt_public(delivery)}
    rows = await Delivery.filter(document_id=document.id).values(
        "person_id", "received_at", "return_reason", "answered_at")
    mine = await Delivery.get_or_none(document_id=document.id, person_id=viewer_id)
    return {
        "deliveries": {"total": len(rows), "received": sum(1 for r in rows if r["received_at"]),
                       "bounced": sum(1 for r in rows if r["return_reason"]),
                       "answered": sum(1 for r in rows if r["answered_at"])},
        "my_delivery": (await deliveries_public([mine]))[0] if mine else None,
    }


async def receipt_public(delivery: Delivery) -> Json:
    """The receiving desk's record of an incoming document (收文处理单)."""
    who = await people([delivery.received_by_id, delivery.proposed_by_id,
                        delivery.instructed_by_id, delivery.instructed_for_id,
                        delivery.completed_by_id, delivery.answered_by_id,
                        delivery.delivered_by_id])
    return {
        "delivery_id": delivery.id, "source_id": delivery.document_id,
        "delivered_at": delivery.delivered_at, "received_at": delivery.received_at,
        "received_by": who.get(delivery.received_by_id or 0),
        "registered_at": delivery.registered_at, "incoming_number": delivery.incoming_number,
        "reviewed_at": delivery.reviewed_at, "return_reason": delivery.return_reason,
        "proposal": delivery.proposal, "proposed_by": who.get(delivery.proposed_by_id or 0),
        "instruction": delivery.instruction, "instructed_at": delivery.instructed_at,
        "instructed_by": signature(who, delivery.instructed_by_id, delivery.instructed_for_id),
        "handling": delivery.handling, "handling_due": delivery.handling_due,
        "task_id": delivery.task_id, "result": delivery.result,
        "completed_at": delivery.completed_at,
        "completed_by": who.get(delivery.completed_by_id or 0),
        **_answer(delivery, who),
    }


def _answer(delivery: Delivery, who: dict[int, Json]) -> Json:
    return {"answer": delivery.answer, "answer_file_ids": delivery.answer_file_ids,
            "answered_at": delivery.answered_at,
            "answered_by": who.get(delivery.answered_by_id or 0)}


async def deliveries_public(rows: list[Delivery]) -> list[Json]:
    """The sender's view of deliveries: who got it, who signed for it and when, whether it
    came back (初审退回) and the answer (答复). `recipient_document_id` is the record the
    recipient opens: a unit's own incoming copy (收文), or the document itself for a person."""
    who = await people(i for r in rows for i in (r.person_id, r.received_by_id,
                                                 r.answered_by_id))
    names = await units(r.unit_id for r in rows)
    return [{
        "id": r.id, "unit": names.get(r.unit_id or 0), "person": who.get(r.person_id or 0),
        "recipient_document_id": r.incoming_id or r.document_id,
        "delivered_at": r.delivered_at, "received_at": r.received_at,
        "received_by": who.get(r.received_by_id or 0), "return_reason": r.return_reason,
        "status": _status(r), **_answer(r, who),
    } for r in rows]


def _status(delivery: Delivery) -> str:
    if delivery.answered_at:
        return "answered"
    if delivery.return_reason:
        return "bounced"
    return "received" if delivery.received_at else "delivered"


async def deliveries_page(document: Document, *, limit: int, cursor: str | None) -> Json:
    return await id_page(Delivery.filter(document_id=document.id), limit=limit, cursor=cursor,
                         newest_first=False, shape=deliveries_public)


async def versions_page(document: Document, *, limit: int, cursor: str | None) -> Json:
    """The history of versions, newest first: who changed what and when."""
    async def shape(rows: list[DocumentVersion]) -> list[Json]:
        who = await people(v.created_by_id for v in rows)
        return [version_public(v, who) for v in rows]

    return await id_page(DocumentVersion.filter(document_id=document.id), limit=limit,
                         cursor=cursor, newest_first=True, shape=shape, field="number")


async def circulations_public(rows: list[Circulation]) -> list[Json]:
    return [await circulation_public(row) for row in rows]


async def circulation_public(circulation: Circulation) -> Json:
    """Where a circulation stands: every reader, whose turn it is, who has read and what
    they wrote (阅示)."""
    readers = await CirculationReader.filter(circulation_id=circulation.id).order_by("position")
    who = await people([circulation.created_by_id, *(r.person_id for r in readers)])
    now = utcnow()
    return {
        "id": circulation.id, "document_id": circulation.document_id,
        "created_by": who.get(circulation.created_by_id), "mode": circulation.mode,
        "note": circulation.note, "due_at": circulation.due_at, "state": circulation.state,
        "created_at": circulation.created_at, "finished_at": circulation.finished_at,
        "overdue": bool(circulation.due_at and circulation.due_at < now
                        and circulation.state == "open"),
        "current": [who.get(r.person_id) for r in readers if r.state == "pending"],
        "read_count": sum(1 for r in readers if r.state == "read"),
        "readers": [{"person": who.get(r.person_id), "position": r.position, "state": r.state,
                     "opened_at": r.opened_at, "read_at": r.read_at, "comment": r.comment}
                    for r in readers],
    }


HISTORY_LIMIT = 200


async def history(document: Document) -> list[Json]:
    """What happened to the document, from the audit log (the latest HISTORY_LIMIT entries):
    who did what, when, from which device."""
    rows = await AuditEntry.filter(record_type="document", record_id=str(document.id)) \
        .order_by("-seq").limit(HISTORY_LIMIT)
    who = await people(row.actor_id for row in rows)
    return [{"action": row.action, "actor": who.get(row.actor_id or 0),
             "device_id": row.device_id, "at": row.at, "detail": loads(row.detail)}
            for row in reversed(rows)]
