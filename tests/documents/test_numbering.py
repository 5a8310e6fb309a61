"""Numbering (编号): per unit series and year, unique and gap-free, also when fifty documents
are issued at the same moment (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import asyncio

from documents_helpers import MakeOffice, MakeOfficial, draft, office, officials, refused

from core.models import AuditEntry

__all__ = ["office", "officials"]
COUNT = 50


async def test_fifty_documents_issued_at_once_get_fifty_consecutive_numbers(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    series = await clerk.client.create_document_series(unit, "测并发")

    async def ready() -> int:
        document = await draft(drafter, unit, signer_id=signer.id)
        await drafter.client.submit_document(document["id"])
        await signer.sign(document["id"])
        return int(document["id"])

    ids = list(await asyncio.gather(*(ready() for _ in range(COUNT))))
    issued = await asyncio.gather(*(clerk.client.issue_document(i, series["id"]) for i in ids))
    numbers = sorted(d["number_seq"] for d in issued)
    assert numbers == list(range(1, COUNT + 1))
    assert len({d["doc_number"] for d in issued}) == COUNT
    assert all(d["doc_number"] == f"测并发〔{d['number_year']}〕{d['number_seq']}号"
               for d in issued)
    audited = await AuditEntry.filter(action="document.issue",
                                      record_id__in=[str(i) for i in ids]).count()
    assert audited == COUNT
    register = await clerk.client.document_register("outgoing", unit, limit=200)
    assert sorted(r["doc_number"] for r in register["items"]) == sorted(
        d["doc_number"] for d in issued)


async def test_each_series_counts_on_its_own(office: MakeOffice,
                                             officials: MakeOfficial) -> None:
    unit = await office()
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    first = await clerk.client.create_document_series(unit, "测甲发")
    second = await clerk.client.create_document_series(unit, "测乙发")
    seqs = []
    for series in (first, second, first):
        document = await draft(drafter, unit, signer_id=signer.id)
        await drafter.client.submit_document(document["id"])
        await signer.sign(document["id"])
        seqs.append((await clerk.client.issue_document(document["id"], series["id"]))
                    ["number_seq"])
    assert seqs == [1, 1, 2]
    stranger_unit = await office()
    stranger = await officials(stranger_unit, ["clerk"])
    await refused(stranger.client.document_series(unit), 404)
    await refused(stranger.client.create_document_series(unit, "测丙发"), 403)
    listed = await clerk.client.document_series(unit)
    assert [s["prefix"] for s in listed["items"]] == ["测甲发", "测乙发"]
