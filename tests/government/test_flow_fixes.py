"""Flows that must agree with each other: 办结 and the 督办 task it opened, 转发's rules, and a
delegate's 批办 shown with both names."""

from __future__ import annotations

import hashlib

from government_helpers import (  # noqa: F401 (the `gov` fixture)
    Government, csv_rows, days, government_fixture, refused, reviewed, sent_to_county, upload,
)
from tongban_client import TongbanClient


async def instructed(gov: Government, incoming: dict[str, object]) -> None:
    head = gov["county 县长"]
    await reviewed(gov, incoming)
    await gov["office 文书"].client.propose_handling(incoming["id"], "拟办", [head.id])
    await head.client.instruct_document(incoming["id"], "请水利局办理", key=head.key)


async def test_complete_handling_keeps_the_task_open_only_when_the_work_continues(
    gov: Government,
) -> None:
    incoming = await sent_to_county(gov)
    await instructed(gov, incoming)
    bureau, units = gov["bureau 局长"], gov.units
    assigned = await gov["office 文书"].client.assign_handling(
        incoming["id"], lead={"type": "unit", "id": units["bureau"]}, due_at=days(5))
    task_id = assigned["receipt"]["task_id"]
    await bureau.client.receive_task(task_id)
    await bureau.client.create_task("分片排查", due_at=days(4), units=[units["bureau"]],
                                    parent_id=task_id)
    # a sub-task is still open: the 办结 alone cannot close the task, and nothing changes
    await refused(bureau.client.complete_handling(incoming["id"], "主体完成"), 409,
                  "subtasks-open")
    assert (await bureau.client.get_document(incoming["id"]))["state"] == "handling"
    mark = await bureau.mark()
    done = await bureau.client.complete_handling(incoming["id"], "主体完成，整改持续推进",
                                                 continues=True)
    assert done["state"] == "done"
    task = await bureau.client.get_task(task_id)
    assert task["state"] == "received" and task["continuing"] is True
    assert "task.continued" in await bureau.kinds_since(mark)
    totals = (await gov["county 县长"].client.task_stats(units["county"]))["total"]
    assert (totals["open"], totals["done_on_time"]) == (2, 0)  # open, as it is
    [row] = [r for r in csv_rows(await gov["county 县长"].client.export_tasks(
        unit=units["county"]))[1:] if int(r[0]) == task_id]
    assert row[6] == "是"  # 持续办理


async def test_forwarding_is_the_desks_after_signing_for_and_goes_down_only(
    gov: Government, admin: TongbanClient,
) -> None:
    incoming = await sent_to_county(gov, first_draft="初稿：未定的措辞")
    desk, units = gov["office 文书"].client, gov.units
    await refused(desk.forward_document(incoming["id"], [units["town_a"]], text="转发"), 409)
    await reviewed(gov, incoming)
    for wrong in (units["neighbour"], units["county"], units["city"]):
        await refused(desk.forward_document(incoming["id"], [wrong], text="转发"), 422,
                      "unit_outside")
    own = await upload(gov["office 文书"], "转发正文")
    await refused(desk.forward_document(incoming["id"], [units["town_a"]], text="转发",
                                        body_file_id=own["id"]), 422)
    await refused(gov["town_a 文书"].client.forward_document(
        incoming["id"], [units["town_a"]], text="转发"), 404)
    first = await desk.forward_document(incoming["id"], [units["town_a"]], text="转发",
                                        idempotency_key="forward-once")
    again = await desk.forward_document(incoming["id"], [units["town_a"]], text="转发",
                                        idempotency_key="forward-once")
    assert first["id"] == again["id"] and first["forwards"]["id"] == incoming["id"]
    carried = [f["sha256"] for f in first["attachments"]]
    # the final text only, no earlier draft, and the signed PDF (正本) it was issued as
    assert carried == [incoming["body"]["sha256"], incoming["issued_pdf"]["sha256"]]
    assert hashlib.sha256("初稿：未定的措辞".encode()).hexdigest() not in carried
    shown = await desk.get_document(incoming["id"])
    assert [f["id"] for f in shown["forwarded_as"]] == [first["id"]]


async def test_a_delegates_批办_shows_both_names_in_the_record_and_the_register(
    gov: Government,
) -> None:
    incoming = await sent_to_county(gov)
    await reviewed(gov, incoming)
    head, deputy, desk = gov["county 县长"], gov["county 副县长"], gov["office 文书"].client
    proposed = await desk.propose_handling(incoming["id"], "拟请县长批示", [head.id])
    chain = await head.client.get_chain(proposed["chain"]["id"])
    await head.client.delegate_step(chain["id"], chain["current_step_id"], deputy.id)
    await deputy.client.instruct_document(incoming["id"], "同意，请抓紧办理", key=deputy.key)
    label = f"{deputy.name}（代{head.name}）"
    receipt = (await desk.get_document(incoming["id"]))["receipt"]
    assert receipt["instructed_by"]["label"] == label
    assert receipt["instructed_by"]["on_behalf_of"]["id"] == head.id
    [row] = (await desk.document_register("incoming", gov.units["county"]))["items"]
    assert row["instructed_by"]["label"] == label
    rows = csv_rows(await desk.export_document_register("incoming", gov.units["county"]))
    assert rows[1][10] == label  # 批办
