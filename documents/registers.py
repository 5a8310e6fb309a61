"""Registers (登记簿): a unit's outgoing (发文) and incoming (收文) documents of a year, filtered
by type, urgency, state and overdue; as pages for the API and as CSV for Excel (UTF-8 with a
BOM, times in Beijing time, cells never read as formulas).

The outgoing register holds what the unit numbered that year; the incoming register what was
delivered to it that year, signed for or not.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from core.clock import utcnow
from directory.models import Person
from documents.models import Delivery, Document
from documents.paging import id_page
from documents.policy import (
    CHINA, FINISHED, SECRECY_LABELS, STATE_LABELS, TYPE_LABELS, URGENCY_LABELS, DocType, Secrecy,
    State, Urgency, number_year,
)
from documents.schemas import RegisterFilters
from documents.shapes import Json, summary_public, units

EXPORT_BATCH = 500
EXPORT_LIMIT = 100_000
OUTGOING_COLUMNS = ("发文字号", "标题", "文种", "紧急程度", "密级", "签发人", "成文日期",
                    "编号时间", "主送", "抄送", "份数", "办理时限", "状态", "是否超期")
INCOMING_COLUMNS = ("收文编号", "来文单位", "来文字号", "标题", "文种", "紧急程度", "密级",
                    "送达时间", "签收时间", "登记时间", "承办", "办理时限", "办结时间", "状态",
                    "是否超期")


def register_query(kind: str, filters: RegisterFilters) -> QuerySet[Document]:
    year = filters.year or number_year(utcnow())
    rows = Document.filter(unit_id=filters.unit_id, direction=kind)
    if kind == "outgoing":
        rows = rows.filter(number_year=year)
    else:
        start = datetime(year, 1, 1, tzinfo=CHINA)
        rows = rows.filter(created_at__gte=start, created_at__lt=start.replace(year=year + 1))
    for name in ("doc_type", "urgency", "state"):
        value = getattr(filters, name)
        if value:
            rows = rows.filter(**{name: str(value.value if hasattr(value, "value") else value)})
    if filters.overdue is not None:
        late = Q(deadline__lt=utcnow()) & ~Q(state__in=[s.value for s in FINISHED])
        rows = rows.filter(late if filters.overdue else ~late | Q(deadline__isnull=True))
    return rows


async def register_page(kind: str, query: QuerySet[Document], *, limit: int,
                        cursor: str | None) -> dict[str, Any]:
    async def shape(rows: list[Document]) -> list[Json]:
        return await register_rows(kind, rows)

    return await id_page(query, limit=limit, cursor=cursor, newest_first=False, shape=shape)


async def register_rows(kind: str, documents: list[Document]) -> list[Json]:
    names = await units(u for d in documents for u in
                        (d.unit_id, d.issuing_unit_id, *d.main_units, *d.cc_units))
    signers = {p["id"]: p for p in await Person.filter(
        id__in={d.signed_by_id or d.signer_id for d in documents} - {None}).values(
        "id", "display_name")}
    deliveries = {d.incoming_id: d for d in await Delivery.filter(
        incoming_id__in=[d.id for d in documents])} if kind == "incoming" else {}
    rows = []
    for document in documents:
        row = summary_public(document, names)
        row.update(signer=signers.get(document.signed_by_id or document.signer_id or 0),
                   written_on=document.written_on, issued_at=document.issued_at,
                   main_units=[names.get(u, {"id": u}) for u in document.main_units],
                   cc_units=[names.get(u, {"id": u}) for u in document.cc_units],
                   copies=document.copies)
        if kind == "incoming":
            row.update(_receipt(deliveries[document.id]))
        rows.append(row)
    return rows


def _receipt(delivery: Delivery) -> Json:
    return {"incoming_number": delivery.incoming_number, "delivered_at": delivery.delivered_at,
            "received_at": delivery.received_at, "registered_at": delivery.registered_at,
            "handling": delivery.handling, "handling_due": delivery.handling_due,
            "completed_at": delivery.completed_at}


def when(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    return moment.isoformat()


def _names(items: list[Json]) -> str:
    return "、".join(str(item.get("name", item["id"])) for item in items)


def _labels(row: Json) -> tuple[str, str, str, str]:
    return (TYPE_LABELS[DocType(row["doc_type"])], URGENCY_LABELS[Urgency(row["urgency"])],
            SECRECY_LABELS[Secrecy(row["secrecy"])], STATE_LABELS[State(row["state"])])


def outgoing_cells(row: Json) -> list[Any]:
    kind, urgency, secrecy, state = _labels(row)
    return [row["doc_number"] or "", row["title"], kind, urgency, secrecy,
            (row["signer"] or {}).get("display_name", ""), when(row["written_on"]),
            when(row["issued_at"]), _names(row["main_units"]), _names(row["cc_units"]),
            row["copies"] or "", when(row["deadline"]), state, "是" if row["overdue"] else "否"]


def incoming_cells(row: Json) -> list[Any]:
    kind, urgency, secrecy, state = _labels(row)
    lead = (row["handling"] or {}).get("lead") or {}
    return [row["incoming_number"] or "", (row["issuing_unit"] or {}).get("name", ""),
            row["doc_number"] or "", row["title"], kind, urgency, secrecy,
            when(row["delivered_at"]), when(row["received_at"]), when(row["registered_at"]),
            f"{lead.get('type', '')}:{lead.get('id', '')}" if lead else "",
            when(row["handling_due"] or row["deadline"]), when(row["completed_at"]), state,
            "是" if row["overdue"] else "否"]


async def csv_chunks(kind: str, query: QuerySet[Document]) -> AsyncIterator[bytes]:
    """The register as CSV, streamed in batches of rows (at most EXPORT_LIMIT)."""
    columns, cells = ((OUTGOING_COLUMNS, outgoing_cells) if kind == "outgoing"
                      else (INCOMING_COLUMNS, incoming_cells))
    yield ("\ufeff" + line(columns)).encode()
    sent, after = 0, 0
    while sent < EXPORT_LIMIT:
        batch = await query.filter(id__gt=after).order_by("id").limit(EXPORT_BATCH)
        if not batch:
            return
        rows = await register_rows(kind, batch)
        yield "".join(line(cells(row)) for row in rows).encode()
        sent, after = sent + len(batch), batch[-1].id


def line(cells: Any) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([safe(cell) for cell in cells])
    return out.getvalue()


def safe(value: Any) -> str:
    """Text as a spreadsheet shows it, never as a formula (CSV injection: =, +, -, @)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

