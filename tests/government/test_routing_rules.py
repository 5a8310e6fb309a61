"""Every rule of the routing table (`directory.routing`) through the API: who may, and who may
not — 404 for whom the record is not theirs to see, 403 for who sees it but may not act, 422
for a request naming the wrong people or units (DESIGN: HTTP conventions)."""

from __future__ import annotations

from datetime import timedelta

from government_helpers import (  # noqa: F401 (the `gov` fixture)
    Government, days, government_fixture, refused, reviewed, sent_to_county, upload,
)
from tongban_client import TongbanClient
from tongban_client.notices import audience, meeting


async def test_r8_a_desk_is_named_by_admins_as_an_office_under_the_unit(
    gov: Government, admin: TongbanClient,
) -> None:
    units = gov.units
    routing = await gov["county 科员"].client.unit_routing(units["county"])
    assert routing["desk"]["id"] == units["office"]
    assert [c["id"] for c in routing["desk_clerks"]] == [gov["office 文书"].id]
    assert {p["person"]["id"] for p in routing["leaders"]} == {gov["county 县长"].id,
                                                              gov["county 副县长"].id}
    office = await admin.unit_routing(units["office"])
    assert office["serves"] == [{"id": units["county"], "name": routing["unit"]["name"]}]
    me = await gov["office 文书"].client.me()
    assert {d["id"] for d in me["desks"]} == {units["office"], units["county"]}
    for desk, slug in ((units["town_a"], "desk_level"), (units["neighbour"], "desk_outside_unit"),
                       (units["county"], "desk_outside_unit")):
        await refused(admin.set_unit_desk(units["county"], desk), 422, slug)
    await refused(admin.set_unit_desk(units["office"], units["office"]), 422)
    await refused(gov["office 文书"].client.set_unit_desk(units["county"], None), 403)
    await refused(admin.set_unit_desk(units["county"], 2_000_000_000), 404)


async def test_r1_r2_what_is_addressed_to_the_government_is_worked_by_its_desk_only(
    gov: Government,
) -> None:
    incoming = await sent_to_county(gov)  # the county has no clerk: its office's desk has it
    for stranger in ("county 县长", "town_a 文书", "neighbour 文书", "office 主任"):
        await refused(gov[stranger].client.receive_document(incoming["id"]), 404)
    await reviewed(gov, incoming)
    desk = gov["office 文书"].client
    await desk.propose_handling(incoming["id"], "拟请县长阅示", [gov["county 县长"].id])
    head = gov["county 县长"].client  # on the 批办 chain now, the 县长 sees the record…
    assert (await head.get_document(incoming["id"]))["id"] == incoming["id"]
    for desk_work in (head.forward_document(incoming["id"], [gov.units["town_a"]], text="转发"),
                      head.create_document_series(gov.units["county"], "湄府发")):
        await refused(desk_work, 403)  # …but the desk's work stays the desk's
    clerkless = await gov.admin.create_unit("无文书单位", gov.units["city"], "county")
    sender = gov["province 文书"].client
    body = await upload(gov["province 文书"], "正文")
    draft = await sender.create_document(gov.units["province"], "letter", "函",
                                         body_file_id=body["id"],
                                         signer_id=gov["province 秘书长"].id)
    await sender.submit_document(draft["id"])
    await gov["province 秘书长"].client.sign_document(draft["id"], key=gov["province 秘书长"].key)
    series = await sender.create_document_series(gov.units["province"], "黔办函")
    await sender.issue_document(draft["id"], series["id"])
    await refused(sender.distribute_document(draft["id"], units=[clerkless["id"]]), 422,
                  "no_document_desk")


async def test_r3_the_desk_asks_the_leaders_of_the_government_it_serves_only(
    gov: Government,
) -> None:
    incoming = await sent_to_county(gov)
    await reviewed(gov, incoming)
    desk = gov["office 文书"].client
    for not_theirs in ("city 市长", "town_a 镇长", "neighbour 县长", "county 科员"):
        await refused(desk.propose_handling(incoming["id"], "拟办", [gov[not_theirs].id]), 422,
                      "not_a_leader")
    proposed = await desk.propose_handling(incoming["id"], "拟办",
                                           [gov["county 县长"].id, gov["county 副县长"].id])
    assert proposed["state"] == "proposed"


async def test_r4_a_批示_directs_the_governments_departments_and_townships_not_beyond(
    gov: Government,
) -> None:
    incoming = await sent_to_county(gov)
    await reviewed(gov, incoming)
    desk, head = gov["office 文书"].client, gov["county 县长"]
    await desk.propose_handling(incoming["id"], "拟办", [head.id])
    await head.client.instruct_document(incoming["id"], "请办理", key=head.key)
    units = gov.units
    await refused(head.client.assign_handling(
        incoming["id"], lead={"type": "unit", "id": units["bureau"]}, due_at=days(3),
        assisting_units=[units["neighbour"]]), 422, "unit_outside")
    await refused(head.client.assign_handling(
        incoming["id"], lead={"type": "person", "id": gov["neighbour 文书"].id},
        due_at=days(3)), 422, "person_outside")
    await refused(gov["town_a 镇长"].client.assign_handling(
        incoming["id"], lead={"type": "unit", "id": units["town_a"]}, due_at=days(3)), 404)
    assigned = await desk.assign_handling(
        incoming["id"], lead={"type": "unit", "id": units["town_a"]}, due_at=days(3),
        assisting_units=[units["bureau"]])
    task = await gov["town_a 镇长"].client.get_task(assigned["receipt"]["task_id"])
    # assigned by the desk, in the name of the 县长 who gave the 批示
    assert task["origin_unit"]["id"] == units["county"] and task["acting_unit"] is None


async def test_r5_the_desk_drafts_in_the_governments_name_and_others_do_not(
    gov: Government,
) -> None:
    draft = await gov["office 文书"].client.create_document(gov.units["county"], "notice",
                                                           "关于开展安全生产检查的通知")
    assert draft["unit"]["id"] == gov.units["county"]
    await refused(gov["bureau 文书"].client.create_document(gov.units["county"], "notice",
                                                          "越权拟稿"), 403, "not-in-unit")


async def test_r6_the_office_assigns_for_the_government_attributed_to_both(
    gov: Government,
) -> None:
    director, units = gov["office 主任"], gov.units
    task = await director.client.create_task(
        "汛期隐患排查整治", due_at=days(10), units=[units["town_a"], units["bureau"]],
        lead=("unit", units["town_a"]))
    assert task["origin_unit"]["id"] == units["county"]
    assert task["acting_unit"]["id"] == units["office"]
    assert task["assigned_by"] == f"{task['origin_unit']['name']}（{task['acting_unit']['name']}代）"
    assert task["my"]["supervisor"]
    await director.client.urge_task(task["id"], "请加快进度")  # it supervises, too
    await refused(gov["office 文书"].client.create_task(
        "越权交办", due_at=days(3), units=[units["town_a"]]), 403)
    await refused(director.client.create_task(
        "跨县交办", due_at=days(3), units=[units["neighbour"]]), 403)


async def test_r7_the_office_oversees_the_governments_statistics_a_township_does_not(
    gov: Government,
) -> None:
    stats = await gov["office 主任"].client.task_stats(gov.units["county"])
    assert stats["unit"]["id"] == gov.units["county"]
    await refused(gov["town_a 镇长"].client.task_stats(gov.units["county"]), 404)
    await refused(gov["office 文书"].client.task_stats(gov.units["county"]), 404)


async def test_r9_the_units_contact_answers_for_it_and_nobody_else_does(
    gov: Government,
) -> None:
    starts = days(1)
    call = await gov["province 文书"].client.create_meeting(
        "视频会议", "请确定参会人员。", audience([gov.units["county"]]),
        meeting(starts, starts + timedelta(hours=1), location="会议室"))
    county, attendee = gov.units["county"], [gov["county 副县长"].id]
    await refused(gov["county 科员"].client.reply_for_unit(call["id"], county, attendee), 403)
    await refused(gov["neighbour 文书"].client.reply_for_unit(call["id"], county, attendee), 404)
    await refused(gov["office 文书"].client.reply_for_unit(call["id"], gov.units["bureau"],
                                                         attendee), 404)
    await refused(gov["office 文书"].client.reply_for_unit(
        call["id"], county, [gov["neighbour 县长"].id]), 422, "attendee_outside_unit")
    answered = await gov["county 县长"].client.reply_for_unit(call["id"], county, attendee)
    assert answered["answered_by"]["id"] == gov["county 县长"].id
    seen = await gov["province 文书"].client.unit_reply(call["id"], county)
    assert [a["id"] for a in seen["attendees"]] == attendee
