"""A county government at work, end to end through the client (issue 12's "done when"):

the province addresses 县政府 and it reaches 县政府办公室; the 县办 clerk asks the 县长 for
批示; the 县长 directs 县水利局 and two townships to handle it and the 督办 task opens there;
the document is 转发 to the townships with its own number, its 签发 made by a delegate; 办结
closes the task; the registers show names and 「代」; every CSV writes time the same way; a
unit's 回执 names who attends and a substitute stands in; a room change keeps confirmations.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from government_helpers import (
    Government, csv_rows, days, government_fixture, reviewed, sent_to_county,  # noqa: F401
)
from tongban_client.notices import audience, meeting

BEIJING = timedelta(hours=8)


async def test_a_county_receives_instructs_forwards_and_closes_a_provincial_document(
    gov: Government,
) -> None:
    desk, head, deputy = gov["office 文书"], gov["county 县长"], gov["county 副县长"]
    bureau, town_a, town_b = gov["bureau 局长"], gov["town_a 文书"], gov["town_b 文书"]
    county, units = gov.units["county"], gov.units

    # addressed to the county (a government without clerks), it reaches its office's desk
    incoming = await sent_to_county(gov)
    assert incoming["unit"]["id"] == county and incoming["state"] == "delivered"
    await reviewed(gov, incoming)

    # the desk asks the 县长, who sits in the county and not in its office, for 批示
    await desk.client.propose_handling(incoming["id"], "拟请县长阅示", [head.id])
    await head.client.instruct_document(incoming["id"], "请县水利局牵头，永兴镇、兴隆镇配合办理",
                                        key=head.key)
    # ...and the 县长 directs a department and two subordinate governments
    marks = {o.id: await o.mark() for o in (bureau, town_a, town_b)}
    assigned = await head.client.assign_handling(
        incoming["id"], lead={"type": "unit", "id": units["bureau"]}, due_at=days(7),
        assisting_units=[units["town_a"], units["town_b"]])
    task_id = assigned["receipt"]["task_id"]
    task = await bureau.client.get_task(task_id)
    assert (task["unit"]["id"], task["origin_unit"]["id"], task["state"]) == (
        units["bureau"], county, "assigned")
    assert task["source"]["type"] == "document" and task["my"]["lead"]
    for official in (bureau, town_a, town_b):  # the task opens where the 批示 points
        assert "task.assigned" in await official.kinds_since(marks[official.id])
        assert task_id in [t["id"] for t in (await official.client.list_tasks())["items"]]

    # 转发 to the townships: a new document with its own number, carrying the original
    forward = await desk.client.forward_document(
        incoming["id"], [units["town_a"], units["town_b"]], signer_id=head.id,
        text="现将《关于做好防汛工作的通知》转发给你们，请结合实际认真贯彻落实。")
    assert forward["forwards"]["doc_number"] == incoming["doc_number"]
    assert incoming["doc_number"] in forward["title"]
    carried = {f["sha256"] for f in forward["attachments"]}
    assert incoming["body"]["sha256"] in carried
    submitted = await desk.client.submit_document(forward["id"])
    chain = await head.client.get_chain(submitted["chain"]["id"])
    await head.client.delegate_step(chain["id"], chain["current_step_id"], deputy.id,
                                    reason="外出开会")
    await deputy.client.sign_document(forward["id"], key=deputy.key, comment="同意转发")
    series = await desk.client.create_document_series(county, "湄府办发")
    issued = await desk.client.issue_document(forward["id"], series["id"])
    assert issued["doc_number"].startswith("湄府办发〔") and issued["doc_number"] != \
        incoming["doc_number"]
    assert issued["signed_by"]["label"] == f"{deputy.name}（代{head.name}）"
    await desk.client.distribute_document(forward["id"])
    for clerk in (town_a, town_b):  # each township sees the forward and the original in it
        [got] = (await clerk.client.list_documents(direction="incoming", q="湄府办发"))["items"]
        shown = await clerk.client.get_document(got["id"])
        assert shown["doc_number"] == issued["doc_number"]
        assert shown["forwards"]["doc_number"] == incoming["doc_number"]
        [original_body] = [f for f in shown["attachments"]
                           if f["sha256"] == incoming["body"]["sha256"]]
        assert await clerk.client.download_file(original_body["id"])

    # 办结 by the lead handler closes the 督办 task, and the statistics count it done
    await bureau.client.complete_handling(incoming["id"], "已完成河道清障和隐患排查")
    closed = await bureau.client.get_task(task_id)
    assert (closed["state"], closed["progress"], closed["percent"]) == ("done", 100, 100)
    stats = await head.client.task_stats(county)
    assert stats["total"]["done_on_time"] == 1 and stats["total"]["open"] == 0

    # registers by name, the delegate's signature as 「代」, one time convention everywhere
    [row] = (await desk.client.document_register("incoming", county))["items"]
    assert row["instructed_by"]["label"] == head.name
    assert row["handlers"]["lead"] == (await gov.admin.get_unit(units["bureau"]))["name"]
    incoming_csv = csv_rows(await desk.client.export_document_register("incoming", county))
    outgoing_csv = csv_rows(await desk.client.export_document_register("outgoing", county))
    ledger_csv = csv_rows(await head.client.export_tasks(unit=county))
    assert f"{deputy.name}（代{head.name}）" in outgoing_csv[1]
    assert head.name in incoming_csv[1] and "主办：" in " ".join(incoming_csv[1])
    assert not any(":" in cell and cell.split(":")[0] in ("person", "unit")
                   for table in (incoming_csv, outgoing_csv, ledger_csv) for row in table
                   for cell in row)
    times = [incoming_csv[1][7], outgoing_csv[1][7], ledger_csv[1][10]]
    assert all(datetime.fromisoformat(t).utcoffset() == BEIJING for t in times)


async def test_a_unit_answers_a_meeting_call_with_a_substitute_and_a_room_change_keeps_it(
    gov: Government,
) -> None:
    caller, desk = gov["province 文书"], gov["office 文书"]
    deputy, bureau, director = gov["county 副县长"], gov["bureau 局长"], gov["office 主任"]
    county = gov.units["county"]
    starts, mark = days(2), await desk.mark()
    call = await caller.client.create_meeting(
        "全省防汛工作视频会议", "请各县政府确定参会人员。", audience([county]),
        meeting(starts, starts + timedelta(hours=2), location="省政府三楼会议室"),
        requires_confirmation=True)

    assert "notice.unit_reply_requested" in await desk.kinds_since(mark)
    # the county's desk (not invited itself) answers for the county: the 副县长, and the
    # 水利局长, who was not invited; the other county leaders are not sent
    reply = await desk.client.reply_for_unit(call["id"], county, [deputy.id, bureau.id],
                                             note="副县长带队")
    assert [a["id"] for a in reply["attendees"]] == [deputy.id, bureau.id]
    assert (await bureau.client.get_notice(call["id"]))["receipt"]["rsvp"] == "attend"
    totals = (await caller.client.notice_stats(call["id"]))["totals"]
    assert (totals["attending"], totals["not_named"], totals["expected"]) == (2, 2, 2)
    assert totals["absent"] == 0  # nobody is absent before the meeting starts

    # the 副县长 sends the 办公室主任 in their place (of the county, though not invited)
    await deputy.client.confirm_notice(call["id"])
    await deputy.client.rsvp(call["id"], "substitute", reason="另有公务",
                             substitute_id=director.id)
    await bureau.client.confirm_notice(call["id"])
    stand_in = (await director.client.get_notice(call["id"]))["receipt"]
    assert stand_in["substitute_for_id"] is not None

    # a new room: everyone is told, nobody's confirmation or answer is wiped
    mark = await bureau.mark()
    await caller.client.change_meeting(call["id"], "改在二楼会议室", location="省政府二楼会议室")
    assert "notice.corrected" in await bureau.kinds_since(mark)
    kept = (await bureau.client.get_notice(call["id"]))["receipt"]
    assert kept["rsvp"] == "attend" and kept["confirmed_at"] and not kept["reconfirm"]
    totals = (await caller.client.notice_stats(call["id"]))["totals"]
    assert (totals["confirmed"], totals["substituted"], totals["substitutes"]) == (2, 1, 1)
