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
