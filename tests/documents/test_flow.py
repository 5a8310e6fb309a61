"""One 请示 from draft to archive across two units, through the client: drafted in a county
office, 核稿 and 签发 signed on devices, numbered, distributed to the city, signed for,
registered, reviewed, instructed (批办, signed), handled (承办, a supervision task), answered and
archived. Every step is in the audit chain; each person hears what they should and no more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from documents_helpers import (
    MakeOffice, MakeOfficial, audit_actions, docx_bytes, office, officials, refused,
    step, upload_text,
)

from core.audit import verify_chain
from documents.policy import CHINA

__all__ = ["office", "officials"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def related(events: list[dict[str, Any]], documents: set[int], chains: set[int],
            task: int) -> list[str]:
    """The kinds of the events about this flow, in order."""
    kinds = []
    for event in events:
        data, kind = event["data"], event["kind"]
        if (kind.startswith("document.") and data.get("document_id") in documents
                or kind.startswith("approval.") and data.get("chain_id") in chains
                or kind.startswith("task.") and (data.get("task") or {}).get("id") == task):
            kinds.append(kind)
    return kinds


async def test_a_request_walks_from_draft_to_archive_across_two_units(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    county, city = await office("county"), await office("city", name="测试市政府办公室")
    works = await office(parent_id=city, name="测试市城建科")
    drafter, reviewer = await officials(county, name="拟稿人"), await officials(county)
    county_leader = await officials(county, ["leader"], name="县长")
    county_clerk = await officials(county, ["clerk"])
    city_clerk = await officials(city, ["clerk"])
    city_leader = await officials(city, ["leader"], name="市长")
    works_head = await officials(works, ["leader"])
    stranger = await officials(await office("city"))
    everyone = [drafter, reviewer, county_leader, county_clerk, city_clerk, city_leader,
                works_head, stranger]
    marks = {o.id: await o.mark() for o in everyone}

    # 拟稿 in the county office, with a DOCX body
    body = await drafter.client.upload_file(
        docx_bytes("关于请求拨付城区防汛排涝资金的请示",
                   "为做好今年汛期城区排涝工作，特请示如下。"),
        "请示.docx", DOCX)
    outgoing = await drafter.client.create_document(
        county, "请示", "关于请求拨付城区防汛排涝资金的请示", signer_id=county_leader.id,
        main_units=[city], body_file_id=body["id"], written_on="2026-06-01")

    # 核稿 and 签发, each signed on the signer's device over the version's hash
    submitted = await drafter.client.submit_document(outgoing["id"],
                                                     [step("核稿", people=[reviewer.id])])
    signoff_chain = submitted["chain"]["id"]
    await reviewer.sign(outgoing["id"], comment="核稿无误")
    await county_leader.sign(outgoing["id"], comment="同意上报")
    report = await drafter.client.verify_chain(signoff_chain)
    assert report["ok"] and len(report["decisions"]) == 2

    # 编号 and 分发 by the county desk
    series = await county_clerk.client.create_document_series(county, "测县府请")
    issued = await county_clerk.client.issue_document(outgoing["id"], series["id"])
    year = datetime.now(CHINA).year
    assert issued["doc_number"] == f"测县府请〔{year}〕1号"
    await county_clerk.client.distribute_document(outgoing["id"])

    # 签收: the sender sees who signed for it and when
    [incoming] = (await city_clerk.client.list_documents(direction="incoming"))["items"]
    assert incoming["state"] == "delivered" and incoming["doc_number"] == issued["doc_number"]
    await refused(city_leader.client.get_document(incoming["id"]), 404)
    received = await city_clerk.client.receive_document(incoming["id"])
    assert received["receipt"]["received_by"]["id"] == city_clerk.id
    [delivery] = (await county_clerk.client.document_deliveries(outgoing["id"]))["items"]
    assert delivery["received_by"]["id"] == city_clerk.id and delivery["received_at"]
    assert delivery["status"] == "received"

    # 登记, 初审, 拟办 at the city desk
    registered = await city_clerk.client.register_document(incoming["id"])
    assert registered["receipt"]["incoming_number"] == f"收文〔{year}〕1号"
    await city_clerk.client.review_document(incoming["id"], "accept")
    proposed = await city_clerk.client.propose_handling(
        incoming["id"], "拟请市长阅示，建议由城建科牵头办理", [city_leader.id])
    assert proposed["state"] == "proposed" and proposed["chain"]["purpose"] == "instruct"
    instruct_chain = proposed["chain"]["id"]

    # 批办: the city leader's instruction, signed on the device
    await city_leader.client.instruct_document(incoming["id"], "请城建科牵头抓紧办理",
                                               key=city_leader.key)
    instructed = await city_clerk.client.get_document(incoming["id"])
    assert instructed["state"] == "instructed"
    assert instructed["receipt"]["instruction"] == "请城建科牵头抓紧办理"
    assert instructed["receipt"]["instructed_by"]["id"] == city_leader.id

    # 承办 by the works section, with a deadline: a supervision task
    due = datetime.now(UTC) + timedelta(days=7)
    assigned = await city_clerk.client.assign_handling(
        incoming["id"], lead={"type": "unit", "id": works}, due_at=due)
    task_id = assigned["receipt"]["task_id"]
    task = await works_head.client.get(f"/v1/tasks/{task_id}")
    assert task["source"] == {"type": "document", "id": str(incoming["id"]),
                              "title": incoming["title"]}
    assert task["due_at"] == due.isoformat()
    assert (await works_head.client.get_document(incoming["id"]))["state"] == "handling"

    # 办结 by the lead handler, 答复 to the sender, 归档 at both ends
    await works_head.client.complete_handling(incoming["id"], "已拨付防汛资金二百万元")
    assert (await works_head.client.get(f"/v1/tasks/{task_id}"))["state"] == "done"
    answer_file = await upload_text(city_clerk, "关于拨付防汛资金的复函", "复函.txt")
    await city_clerk.client.answer_document(incoming["id"], "经研究，同意拨付",
                                            file_ids=[answer_file["id"]])
    [answered] = (await county_clerk.client.document_deliveries(outgoing["id"]))["items"]
    assert answered["status"] == "answered" and answered["answer"] == "经研究，同意拨付"
    assert await county_clerk.client.download_file(answer_file["id"])
    await refused(stranger.client.download_file(answer_file["id"]), 404)
    await city_clerk.client.archive_document(incoming["id"])
    await county_clerk.client.archive_document(outgoing["id"])
    await refused(city_clerk.client.complete_handling(incoming["id"], "再办结"), 409,
                  "document-archived")

    # every step in the audit chain, and the chain intact
    assert await audit_actions(outgoing["id"]) == [
        "document.create", "document.submit", "document.sign", "document.issue",
        "document.render", "document.distribute", "document.archive"]
    assert await audit_actions(incoming["id"]) == [
        "document.deliver", "document.receive", "document.register", "document.review",
        "document.propose", "document.instruct", "document.assign", "document.complete",
        "document.answer", "document.archive"]
    assert (await verify_chain()).ok
    shown = (await city_clerk.client.document_history(incoming["id"]))["items"]
    instructing = next(item for item in shown if item["action"] == "document.instruct")
    assert instructing["actor"]["id"] == city_leader.id and instructing["device_id"]
    assert instructing["detail"]["comment"] == "请城建科牵头抓紧办理"
    await refused(stranger.client.document_history(incoming["id"]), 404)

    # each person heard what they should, and nobody else did
    scope = ({outgoing["id"], incoming["id"]}, {signoff_chain, instruct_chain}, task_id)
    heard = {o.id: related(await o.events_since(marks[o.id]), *scope) for o in everyone}
    assert heard[drafter.id] == [
        "approval.decided", "approval.decided", "approval.completed", "document.signed",
        "document.issued", "document.rendered", "document.received", "document.answered"]
    assert heard[reviewer.id] == ["approval.pending"]
    assert heard[county_leader.id] == ["approval.pending"]
    assert heard[county_clerk.id] == [
        "document.signed", "document.issued", "document.rendered", "document.received", "document.answered"]
    assert heard[city_clerk.id] == [
        "document.delivered", "approval.decided", "approval.completed", "document.instructed",
        "document.completed"]
    assert heard[city_leader.id] == ["approval.pending", "task.assigned", "task.closed",
                                     "document.completed"]
    assert heard[works_head.id] == ["task.assigned", "document.assigned", "task.closed"]
    assert heard[stranger.id] == []
    for outsider in (stranger, reviewer):
        await refused(outsider.client.get_document(incoming["id"]), 404)

