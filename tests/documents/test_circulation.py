"""Circulation (传阅): in parallel or in order, each reader's read time and 阅示, reminders to
those who have not read, the circulator seeing where it is, and the due-time job."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from documents_helpers import (
    Exchange, MakeOffice, MakeOfficial, Official, exchange, office, officials, refused,
)

from core.clock import clock
from core.models import AuditEntry
from core.scheduler import Scheduler

__all__ = ["office", "officials"]


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def kinds(official: Official, since: int, document_id: int) -> list[str]:
    return [e["kind"] for e in await official.events_since(since)
            if e["kind"].startswith("document.circulation")
            and e["data"]["document_id"] == document_id]


async def received(ex: Exchange) -> int:
    await ex.their_clerk.client.receive_document(ex.incoming["id"])
    return int(ex.incoming["id"])


async def test_a_parallel_circulation_shows_who_read_what_and_reminds_the_rest(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    ex = await exchange(office, officials)
    doc, clerk = await received(ex), ex.their_clerk
    first, second = await officials(ex.receiver), await officials(ex.receiver)
    stranger = await officials(await office())
    marks = {o.id: await o.mark() for o in (clerk, first, second, stranger)}
    await refused(first.client.get_document(doc), 404)
    circulation = await clerk.client.circulate_document(doc, [first.id, second.id],
                                                        due_at=later(days=2), note="请阅")
    cid = circulation["id"]
    assert [r["state"] for r in circulation["readers"]] == ["pending", "pending"]
    assert (await first.client.get_document(doc))["id"] == doc
    read = await first.client.read_circulation(doc, cid, comment="已阅，同意")
    assert [p["id"] for p in read["current"]] == [second.id] and read["read_count"] == 1
    mine = read["readers"][0]
    assert (mine["state"], mine["comment"]) == ("read", "已阅，同意") and mine["read_at"]
    await refused(first.client.read_circulation(doc, cid), 409, "already-read")
    await refused(first.client.remind_circulation(doc, cid), 403, "not-circulator")
    reminded = await clerk.client.remind_circulation(doc, cid, message="请尽快阅")
    assert reminded["reminded"] == [second.id]
    error = await refused(clerk.client.remind_circulation(doc, cid), 429)
    assert 0 < int(error.headers["retry-after"]) <= 301
    await second.client.read_circulation(doc, cid)
    shown = await clerk.client.get_circulation(doc, cid)
    assert shown["state"] == "finished" and shown["current"] == []
    assert await kinds(clerk, marks[clerk.id], doc) == [
        "document.circulation.read", "document.circulation.read",
        "document.circulation.finished"]
    assert await kinds(first, marks[first.id], doc) == ["document.circulation.turn"]
    assert await kinds(second, marks[second.id], doc) == [
        "document.circulation.turn", "document.circulation.reminded"]
    assert await kinds(stranger, marks[stranger.id], doc) == []
    await refused(stranger.client.get_circulation(doc, cid), 404)
    listed = await clerk.client.document_circulations(doc)
    assert [c["id"] for c in listed["items"]] == [cid]


async def test_a_sequential_circulation_reaches_each_reader_in_turn(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    ex = await exchange(office, officials)
    doc, clerk = await received(ex), ex.their_clerk
    first, second = await officials(ex.receiver), await officials(ex.receiver)
    mark = await second.mark()
    circulation = await clerk.client.circulate_document(doc, [first.id, second.id],
                                                        mode="sequential")
    cid = circulation["id"]
    assert [r["state"] for r in circulation["readers"]] == ["pending", "waiting"]
    await refused(second.client.get_document(doc), 404)
    assert await kinds(second, mark, doc) == []
    await first.client.read_circulation(doc, cid, comment="阅")
    assert await kinds(second, mark, doc) == ["document.circulation.turn"]
    assert (await second.client.get_document(doc))["id"] == doc
    final = await second.client.read_circulation(doc, cid)
    assert final["state"] == "finished"
    actions = await AuditEntry.filter(record_type="document", record_id=str(doc)) \
        .order_by("seq").values_list("action", flat=True)
    assert list(actions).count("document.circulation_read") == 2


async def test_circulation_is_refused_to_the_wrong_people_and_states(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    ex = await exchange(office, officials, secrecy="内部")
    doc = ex.incoming["id"]
    reader, outsider = await officials(ex.receiver), await officials(await office())
    clerk = ex.their_clerk.client
    await refused(clerk.circulate_document(doc, [reader.id]), 409, "document-state")
    await received(ex)
    await refused(clerk.circulate_document(doc, [outsider.id]), 422, "internal-recipients")
    await refused(clerk.circulate_document(doc, [reader.id, reader.id]), 422)
    await refused(clerk.circulate_document(doc, [reader.id], due_at=later(days=-1)), 422)
    await refused(clerk.circulate_document(doc, [reader.id], mode="round-robin"), 422)
    circulation = await clerk.circulate_document(doc, [reader.id], idempotency_key="c-1")
    again = await clerk.circulate_document(doc, [reader.id], idempotency_key="c-1")
    assert again["id"] == circulation["id"]
    assert len((await clerk.document_circulations(doc))["items"]) == 1
    await refused(reader.client.circulate_document(doc, [reader.id]), 403)
    await refused(outsider.client.read_circulation(doc, circulation["id"]), 404)
    await refused(clerk.read_circulation(doc, circulation["id"]), 403, "not-a-reader")
    await refused(clerk.get_circulation(doc, 99_999_999), 404)


async def test_the_due_time_reminds_the_readers_left_and_tells_the_circulator(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    ex = await exchange(office, officials)
    doc, clerk = await received(ex), ex.their_clerk
    reader, done = await officials(ex.receiver), await officials(ex.receiver)
    circulation = await clerk.client.circulate_document(doc, [reader.id, done.id],
                                                        due_at=later(hours=1))
    await done.client.read_circulation(doc, circulation["id"])
    marks = {o.id: await o.mark() for o in (clerk, reader, done)}
    clock.advance(timedelta(hours=1, minutes=1))
    try:
        await Scheduler(owner="documents-test").run_due()
        heard: dict[int, list[str]] = {}
        for _ in range(100):  # the server's own scheduler may be the one that ran it
            heard = {o.id: await kinds(o, marks[o.id], doc) for o in (clerk, reader, done)}
            if heard[clerk.id]:
                break
            await asyncio.sleep(0.05)
        assert heard[clerk.id] == ["document.circulation.overdue"]
        assert heard[reader.id] == ["document.circulation.reminded"]
        assert heard[done.id] == []
        shown: dict[str, Any] = await clerk.client.get_circulation(doc, circulation["id"])
        assert shown["overdue"] is True
    finally:
        clock.offset = timedelta(0)
