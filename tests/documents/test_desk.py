"""The document desk's to-do counts (待办), as the web console's 办公台 shows them."""

from __future__ import annotations

from documents_helpers import (
    MakeOffice, MakeOfficial, exchange,
    office, officials,  # noqa: F401 (fixtures)
)


async def test_the_desk_counts_what_waits_at_each_step(office: MakeOffice,
                                                       officials: MakeOfficial) -> None:
    ex = await exchange(office, officials)
    desk = await ex.their_clerk.client.document_desk()
    [mine] = desk["desks"]
    assert mine["unit"]["id"] == ex.receiver
    assert mine["incoming"]["delivered"] == 1 and mine["incoming"]["received"] == 0
    await ex.their_clerk.client.receive_document(ex.incoming["id"])
    [mine] = (await ex.their_clerk.client.document_desk())["desks"]
    assert (mine["incoming"]["delivered"], mine["incoming"]["received"]) == (0, 1)
    [sender] = (await ex.clerk.client.document_desk())["desks"]
    assert sender["outgoing"]["signed"] == 0 and sender["incoming"]["delivered"] == 0


async def test_someone_without_a_desk_has_no_desks(office: MakeOffice,
                                                   officials: MakeOfficial) -> None:
    ex = await exchange(office, officials)
    desk = await ex.their_leader.client.document_desk()
    assert desk == {"desks": [], "reading": 0}


async def test_the_desk_tracks_circulations_of_its_documents(office: MakeOffice,
                                                             officials: MakeOfficial) -> None:
    ex = await exchange(office, officials)
    doc = ex.incoming["id"]
    first, second = await officials(ex.receiver), await officials(ex.receiver)
    await ex.their_clerk.client.receive_document(doc)
    started = await ex.their_clerk.client.circulate_document(doc, [first.id, second.id],
                                                             mode="sequential")
    await first.client.read_circulation(doc, started["id"], comment="已阅")
    [tracked] = (await ex.their_clerk.client.tracked_circulations(state="open"))["items"]
    assert tracked["document_title"] == ex.incoming["title"]
    assert [p["id"] for p in tracked["current"]] == [second.id]  # who holds it now
    assert tracked["read_count"] == 1
    assert (await second.client.tracked_circulations())["items"] == []  # a reader follows none
    assert (await ex.clerk.client.tracked_circulations())["items"] == []  # the sender's desk
