"""Registers (登记簿): a unit's outgoing (发文) and incoming (收文) documents of a year, filtered
by type, urgency, state and overdue; as pages for the API and as CSV for Excel (the convention of
`core.spreadsheet`: UTF-8 with a BOM, Beijing time with its offset, cells never read as
formulas). People and units appear by name, a delegate's signature as 「代」 with both names.

The outgoing register holds what the unit numbered that year; the incoming register what was
delivered to it that year, signed for or not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from core.clock import utcnow
from core.spreadsheet import head, line
from documents.models import Delivery, Document
from documents.paging import id_page
from documents.policy import (
    CHINA, FINISHED, SECRECY_LABELS, STATE_LABELS, TYPE_LABELS, URGENCY_LABELS, DocType, Secrecy,
    State, Urgency, number_year,
)
from documents.schemas import RegisterFilters
from documents.shapes import Json, people, signature, summary_public, units

EXPORT_BATCH = 500
EXPORT_LIMIT = 100_000
OUTGOING_COLUMNS = ("发文字号", "标题", "文种", "紧急程度", "密级", "签发人", "成文日期",
                    "编号时间", "主送", "抄送", "份数", "办理时限", "状态", "是否超期")
INCOMING_COLUMNS = ("收文编号", "来文单位", "来文字号", "标题", "文种", "紧急程度", "密级",
                    "送达时间", "签收时间", "登记时间", "批办", "承办", "办理时限", "办结时间",
                    "状态", "是否超期")


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
    deliveries = {d.incoming_id: d for d in await Delivery.filter(
        incoming_id__in=[d.id for d in documents])} if kind == "incoming" else {}
    handled = [(d.handling or {}) for d in deliveries.values()]
    names = await units([*(u for d in documents for u in
                           (d.unit_id, d.issuing_unit_id, *d.main_units, *d.cc_units)),
                         *(u for h in handled for u in _party_ids(h, "unit"))])
    who = await people([*(i for d in documents for i in (d.signed_by_id, d.signer_id,
                                                         d.signed_for_id)),
                        *(i for d in deliveries.values() for i in (d.instructed_by_id,
                                                                   d.instructed_for_id)),
                        *(i for h in handled for i in _party_ids(h, "person"))])
    rows = []
    for document in documents:
        row = summary_public(document, names)
        signed = signature(who, document.signed_by_id, document.signed_for_id)
        row.update(signer=signed or signature(who, document.signer_id, None),
                   written_on=document.written_on, issued_at=document.issued_at,
                   main_units=[names.get(u, {"id": u}) for u in document.main_units],
                   cc_units=[names.get(u, {"id": u}) for u in document.cc_units],
                   copies=document.copies)
        if kind == "incoming":
            row.update(_receipt(deliveries[document.id], names, who))
        rows.append(row)
    return rows


def _party_ids(handling: dict[str, Any], kind: str) -> list[int]:
    """The units (or people) a handling names: the lead and the assisting ones."""
    lead = handling.get("lead") or {}
    found = [lead["id"]] if lead.get("type") == kind else []
    return [*found, *handling.get(f"assisting_{kind}s" if kind == "unit" else
                                  "assisting_people", [])]


def _receipt(delivery: Delivery, names: dict[int, Json], who: dict[int, Json]) -> Json:
    return {"incoming_number": delivery.incoming_number, "delivered_at": delivery.delivered_at,
            "received_at": delivery.received_at, "registered_at": delivery.registered_at,
            "instructed_by": signature(who, delivery.instructed_by_id,
                                       delivery.instructed_for_id),
            "handling": delivery.handling, "handlers": _handlers(delivery.handling, names, who),
            "handling_due": delivery.handling_due, "completed_at": delivery.completed_at}


def _handlers(handling: dict[str, Any] | None, names: dict[int, Json],
              who: dict[int, Json]) -> Json | None:
    """承办 by name: the lead (主办) and the assisting (协办) units and people."""
    if not handling:
        return None
    lead = handling.get("lead") or {}
    table = names if lead.get("type") == "unit" else who
    return {"lead": _name(table.get(lead.get("id", 0)), lead.get("id")),
            "assisting": [*(_name(names.get(u), u) for u in handling.get("assisting_units", [])),
                          *(_name(who.get(p), p) for p in handling.get("assisting_people", []))]}


def _name(found: Json | None, ident: Any) -> str:
    return str((found or {}).get("name") or (found or {}).get("display_name") or ident)


def _handled_by(handlers: Json | None) -> str:
    if not handlers:
        return ""
    assisting = "、".join(handlers["assisting"])
    return f"主办：{handlers['lead']}" + (f"；协办：{assisting}" if assisting else "")


def _names(items: list[Json]) -> str:
    return "、".join(str(item.get("name", item["id"])) for item in items)


def _labels(row: Json) -> tuple[str, str, str, str]:
    return (TYPE_LABELS[DocType(row["doc_type"])], URGENCY_LABELS[Urgency(row["urgency"])],
            SECRECY_LABELS[Secrecy(row["secrecy"])], STATE_LABELS[State(row["state"])])


def outgoing_cells(row: Json) -> list[Any]:
    kind, urgency, secrecy, state = _labels(row)
    return [row["doc_number"] or "", row["title"], kind, urgency, secrecy,
            (row["signer"] or {}).get("label", ""), row["written_on"], row["issued_at"],
            _names(row["main_units"]), _names(row["cc_units"]), row["copies"] or "",
            row["deadline"], state, "是" if row["overdue"] else "否"]


def incoming_cells(row: Json) -> list[Any]:
    kind, urgency, secrecy, state = _labels(row)
    return [row["incoming_number"] or "", (row["issuing_unit"] or {}).get("name", ""),
            row["doc_number"] or "", row["title"], kind, urgency, secrecy,
            row["delivered_at"], row["received_at"], row["registered_at"],
            (row["instructed_by"] or {}).get("label", ""), _handled_by(row["handlers"]),
            row["handling_due"] or row["deadline"], row["completed_at"], state,
            "是" if row["overdue"] else "否"]


async def csv_chunks(kind: str, query: QuerySet[Document]) -> AsyncIterator[bytes]:
    """The register as CSV, streamed in batches of rows (at most EXPORT_LIMIT)."""
    columns, cells = ((OUTGOING_COLUMNS, outgoing_cells) if kind == "outgoing"
                      else (INCOMING_COLUMNS, incoming_cells))
    yield head(columns)
    sent, after = 0, 0
    while sent < EXPORT_LIMIT:
        batch = await query.filter(id__gt=after).order_by("id").limit(EXPORT_BATCH)
        if not batch:
            return
        rows = await register_rows(kind, batch)
        yield "".join(line(cells(row)) for row in rows).encode()
        sent, after = sent + len(batch), batch[-1].id

