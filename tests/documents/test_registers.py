"""Registers (登记簿): outgoing and incoming per unit and year, filtered by type, urgency, state and
overdue, and exported as CSV that Excel opens right (UTF-8 with BOM)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from documents_helpers import (
    MakeOffice, MakeOfficial, exchange, office, officials, refused, signed,
)

from core.clock import clock
from documents.policy import CHINA

__all__ = ["office", "officials"]


async def test_the_outgoing_register_filters_and_exports(office: MakeOffice,
                                                         officials: MakeOfficial) -> None:
    unit = await office()
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    series = await clerk.client.create_document_series(unit, "测登记发")
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    kinds = [("通知", "平件", {}), ("函", "特急", {"deadline": soon}), ("通知", "加急",
                                                                    {"deadline": soon})]
    made = []
    for doc_type, urgency, extra in kinds:
        document = await signed(drafter, signer, unit, doc_type=doc_type, urgency=urgency,
                                title=f"=关于{urgency}{doc_type}的事项", **extra)
        made.append(await clerk.client.issue_document(document["id"], series["id"]))
    await signed(drafter, signer, unit)  # signed but not numbered: not in the register
    everything = await clerk.client.document_register("outgoing", unit)
    assert [r["doc_number"] for r in everything["items"]] == [d["doc_number"] for d in made]
    notices = await clerk.client.document_register("outgoing", unit, doc_type="通知")
    assert len(notices["items"]) == 2
    critical = await clerk.client.document_register("outgoing", unit, urgency="critical")
    assert [r["doc_type"] for r in critical["items"]] == ["letter"]
    paged = await clerk.client.document_register("outgoing", unit, limit=2)
    rest = await clerk.client.document_register("outgoing", unit, limit=2,
                                                cursor=paged["next_cursor"])
    assert len(paged["items"]) == 2 and len(rest["items"]) == 1
    last_year = await clerk.client.document_register("outgoing", unit,
                                                     year=datetime.now(CHINA).year - 1)
    assert last_year["items"] == []
    clock.advance(timedelta(hours=2))
    try:
        late = await clerk.client.document_register("outgoing", unit, overdue=True)
        on_time = await clerk.client.document_register("outgoing", unit, overdue=False)
        exported = await clerk.client.export_document_register("outgoing", unit, overdue=True)
    finally:
        clock.offset = timedelta(0)
    assert sorted(r["urgency"] for r in late["items"]) == ["critical", "urgent"]
    assert [r["urgency"] for r in on_time["items"]] == ["normal"]
    assert exported.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0][:3] == ["发文字号", "标题", "文种"]
    assert [row[0] for row in rows[1:]] == [made[1]["doc_number"], made[2]["doc_number"]]
    assert rows[1][1].startswith("'=") and rows[1][2] == "函" and rows[1][3] == "特急"
    assert rows[1][-1] == "是"


async def test_the_incoming_register_shows_the_units_own_numbers(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    ex = await exchange(office, officials)
    client, doc = ex.their_clerk.client, ex.incoming["id"]
    await client.receive_document(doc)
    await client.register_document(doc)
    register = await client.document_register("incoming", ex.receiver)
    [row] = register["items"]
    year = datetime.now(CHINA).year
    assert row["incoming_number"] == f"收文〔{year}〕1号" and row["state"] == "registered"
    assert row["doc_number"] == ex.outgoing["doc_number"]
    assert row["issuing_unit"]["id"] == ex.sender
    registered = await client.document_register("incoming", ex.receiver, state="delivered")
    assert registered["items"] == []
    exported = await client.export_document_register("incoming", ex.receiver)
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0][0] == "收文编号" and rows[1][0] == f"收文〔{year}〕1号"
    assert rows[1][2] == ex.outgoing["doc_number"]


async def test_registers_are_only_for_the_units_own_people(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    clerk, plain, stranger = await officials(unit, ["clerk"]), await officials(unit), \
        await officials(await office(), ["clerk"])
    assert (await clerk.client.document_register("incoming", unit))["items"] == []
    for viewer in (plain, stranger):
        await refused(viewer.client.document_register("outgoing", unit), 404)
        await refused(viewer.client.export_document_register("outgoing", unit), 404)
    await refused(clerk.client.document_register("sideways", unit), 404)
    await refused(clerk.client.document_register("outgoing", unit, year=1999), 422)
    await refused(clerk.client.document_register("outgoing", unit, urgency="soon"), 422)
