"""Receiving (收文) refusals and the other branches: 初审 returns to the sender, a leader sends
the 拟办 back, steps out of order, people who are not the desk or not the handlers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from documents_helpers import (
    MakeOffice, MakeOfficial, exchange, instructed, office, officials, refused, upload_text,
)

__all__ = ["office", "officials"]


def in_a_week() -> str:
    return (datetime.now(UTC) + timedelta(days=7)).isoformat()


async def test_a_record_that_does_not_belong_goes_back_with_the_reasons(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    ex = await exchange(office, officials)
    client, doc = ex.their_clerk.client, ex.incoming["id"]
    await refused(client.register_document(doc), 409, "document-state")
    await client.receive_document(doc)
    await refused(client.receive_document(doc), 409)
    await refused(client.review_document(doc), 409, "document-state")
    await client.register_document(doc)
    await refused(client.review_document(doc, "return"), 422)
    mark = await ex.drafter.mark()
    bounced = await client.review_document(doc, "return", reason="不属于本单位职责范围")
    assert bounced["state"] == "bounced"
    assert bounced["receipt"]["return_reason"] == "不属于本单位职责范围"
    [event] = [e for e in await ex.drafter.events_since(mark) if e["kind"].startswith("document.")]
    assert event["kind"] == "document.bounced"
    assert event["data"]["reason"] == "不属于本单位职责范围"
    assert event["data"]["unit_id"] == ex.receiver
    [delivery] = (await ex.clerk.client.document_deliveries(ex.outgoing["id"]))["items"]
    assert delivery["status"] == "bounced"
    assert (await client.archive_document(doc))["state"] == "archived"


async def test_a_leader_may_send_the_proposal_back(office: MakeOffice,
                                                   officials: MakeOfficial) -> None:
    ex = await exchange(office, officials)
    client, doc = ex.their_clerk.client, ex.incoming["id"]
    for call in (client.receive_document, client.register_document, client.review_document):
        await call(doc)
    colleague = await officials(ex.receiver)
    await refused(client.propose_handling(doc, "拟办", [colleague.id]), 422, "not-a-leader")
    await refused(client.propose_handling(doc, "拟办", [ex.signer.id]), 422, "not-a-leader")
    await client.propose_handling(doc, "拟请领导阅示", [ex.their_leader.id])
    mark = await ex.their_clerk.mark()
    await ex.their_leader.client.instruct_document(doc, "请先征求财政意见", key=ex.their_leader.key,
                                                   decision="return")
    back = await client.get_document(doc)
    assert back["state"] == "reviewed" and back["receipt"]["instruction"] is None
    kinds = [e["kind"] for e in await ex.their_clerk.events_since(mark)
             if e["kind"].startswith("document.")]
    assert kinds == ["document.instruction_returned"]
    again = await client.propose_handling(doc, "已征求财政意见，拟请领导阅示", [ex.their_leader.id])
    assert again["state"] == "proposed" and again["chain"]["id"] != back["chain"]["id"]


async def test_handling_stays_within_the_unit_and_with_its_handlers(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    ex = await exchange(office, officials)
    doc, client = ex.incoming["id"], ex.their_clerk.client
    section = await office(parent_id=ex.receiver)
    head, member = await officials(section, ["leader"]), await officials(section)
    outsider_unit = await office("city")
    outsider = await officials(outsider_unit, ["leader"])
    await refused(client.assign_handling(doc, lead={"type": "unit", "id": section},
                                         due_at=in_a_week()), 409, "document-state")
    await instructed(ex)
    await refused(client.assign_handling(doc, lead={"type": "unit", "id": outsider_unit},
                                         due_at=in_a_week()), 422, "unit-outside")
    await refused(client.assign_handling(doc, lead={"type": "person", "id": outsider.id},
                                         due_at=in_a_week()), 422, "person-outside")
    await refused(client.assign_handling(doc, lead={"type": "unit", "id": section},
                                         due_at="2001-01-01T00:00:00+00:00"), 422)
    await refused(head.client.assign_handling(doc, lead={"type": "unit", "id": section},
                                              due_at=in_a_week()), 404)
    await client.assign_handling(doc, lead={"type": "unit", "id": section},
                                 assisting_people=[member.id], due_at=in_a_week())
    await refused(member.client.complete_handling(doc, "办完了"), 403, "not-a-handler")
    await refused(client.answer_document(doc, "答复", file_ids=[999_999]), 422)
    done = await head.client.complete_handling(doc, "已办结")
    assert done["receipt"]["completed_by"]["id"] == head.id
    await refused(head.client.answer_document(doc, "答复"), 403, "not-a-clerk")
    await client.answer_document(doc, "已办理完毕")
    await refused(client.answer_document(doc, "再答复"), 409, "already-answered")
    await refused(outsider.client.get_document(doc), 404)


async def test_only_the_receiving_desk_works_the_record(office: MakeOffice,
                                                        officials: MakeOfficial) -> None:
    ex = await exchange(office, officials)
    doc = ex.incoming["id"]
    await refused(ex.clerk.client.receive_document(doc), 404)  # the sender's desk
    await refused(ex.drafter.client.get_document(doc), 404)
    await refused(ex.their_leader.client.receive_document(doc), 404)
    second_clerk = await officials(ex.receiver, ["clerk"])
    assert (await second_clerk.client.receive_document(doc))["state"] == "received"
    body = ex.incoming["body"]["id"]
    assert await second_clerk.client.download_file(body)
    stranger = await officials(await office())
    await refused(stranger.client.download_file(body), 404)
    annex = await upload_text(ex.their_clerk, "不该出现的附件")
    await refused(ex.their_clerk.client.edit_document(doc, attachment_ids=[annex["id"]]), 409)
