"""A scripted day in a county office (chat, 签批, 收文, notices, a meeting, 督办): exactly the
rule table's pushes reach the phones, and no default payload carries a title, a sender or a body."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import Org, unique
from push_helpers import MakePhone, Phone, fake_gateway, phones, rows_for, settled
from tongban_client import TongbanClient
from tongban_client.approvals import approval_step
from tongban_client.notices import audience, meeting

from core.clock import utcnow

SECRET_WORDS = ("绝密防汛方案", "张局长请阅", "防汛会商会", "请于今日确认")

__all__ = ["fake_gateway", "phones"]


async def _units(admin: TongbanClient, org: Org) -> tuple[int, int]:
    county = await admin.create_unit(unique("推送县办"), org.county, "county")
    city = await admin.create_unit(unique("推送市办"), org.city, "city")
    return int(county["id"]), int(city["id"])


async def _chat(a: Phone, b: Phone, leader: Phone) -> None:
    direct = await a.client.open_direct(b.id)
    await a.client.send_message(direct["id"], "张局长请阅：绝密防汛方案")  # b: chat.direct
    group = await a.client.create_group_chat("防汛专班", [b.id, leader.id])
    await a.client.send_message(group["id"], "大家好")  # plain chatter: nobody
    await a.client.send_message(group["id"], "请领导审阅", mentions=[leader.id])  # leader
    await b.client.mute_conversation(group["id"])
    await a.client.send_message(group["id"], "全体注意", mentions=["all"])  # leader, not b


async def _sign_off(drafter: Phone, signer: Phone, clerk: Phone, county: int, city: int) -> None:
    """签批 then 发文: the signer is asked to sign; the receiving desk to sign for it (签收)."""
    body = await drafter.client.upload_file("正文：绝密防汛方案".encode(), "正文.txt", "text/plain")
    document = await drafter.client.create_document(
        county, "notice", "关于绝密防汛方案的通知", body_file_id=body["id"], signer_id=signer.id,
        main_units=[city])
    await drafter.client.submit_document(document["id"], [approval_step("签发", "one",
                                                                        people=[signer.id])])
    await signer.wait(3)  # two mentions and the approval, before it is decided
    await signer.client.sign_document(document["id"], key=signer.key, comment="同意")
    series = await clerk.client.create_document_series(county, unique("推发"))
    await clerk.client.issue_document(document["id"], series["id"])
    await clerk.client.distribute_document(document["id"])


async def _notices(clerk: Phone, a: Phone, b: Phone) -> None:
    await clerk.client.create_notice("请于今日确认", "防汛值班安排", audience(people=[a.id, b.id]),
                                     requires_confirmation=True)  # a, b
    await clerk.client.create_notice("防汛知识", "仅供阅读", audience(people=[a.id]))  # nobody
    starts = utcnow() + timedelta(days=2)
    call = await clerk.client.create_meeting(
        "防汛会商会", "请准时参加", audience(people=[b.id]),
        meeting(starts, starts + timedelta(hours=1), location="三楼会议室"))  # b
    later = starts + timedelta(hours=3)
    await clerk.client.correct_notice(call["id"], "时间调整", meeting=meeting(
        later, later + timedelta(hours=1), location="三楼会议室"))  # b again: it moved


async def _tasks(admin: TongbanClient, a: Phone) -> None:
    task = await admin.create_task("防汛物资清点", people=[a.id], due_at=utcnow() + timedelta(days=3))
    await admin.urge_task(task["id"], "请抓紧")  # a: task.urged


async def test_a_scripted_day_rings_exactly_the_rule_table(phones: MakePhone, org: Org,
                                                          admin: TongbanClient) -> None:
    county, city = await _units(admin, org)
    drafter, a, b = await phones(county), await phones(county), await phones(county)
    signer, clerk = await phones(county, ["leader"]), await phones(county, ["clerk"])
    their_clerk = await phones(city, ["clerk"])
    await _chat(a, b, signer)
    await _sign_off(drafter, signer, clerk, county, city)
    await _notices(clerk, a, b)
    await _tasks(admin, a)
    await settled()
    assert sorted(b.kinds()) == ["chat.direct", "notice.meeting", "notice.meeting",
                                 "notice.notice"]
    assert sorted(signer.kinds()) == ["approval.pending", "chat.mention", "chat.mention"]
    assert sorted(a.kinds()) == ["notice.notice", "task.assigned", "task.urged"]
    assert their_clerk.kinds() == ["document.to_receive"]
    assert drafter.pushes() == [] and clerk.pushes() == [], (await rows_for(clerk), clerk.pushes())
    _no_title_or_body(a, b, signer, their_clerk)
    _decided_approval_withdrawn(signer)


def _no_title_or_body(*people: Phone) -> None:
    for phone in people:
        for push in phone.pushes():
            text = json.dumps(push, ensure_ascii=False)
            assert not any(word in text for word in SECRET_WORDS), text
            assert "title" not in push["content"]


def _decided_approval_withdrawn(signer: Phone) -> None:
    [asked] = [p for p in signer.pushes() if p["type"] == "approval.pending"
               and not p["content"]["withdraw"]]
    withdrawn = [p for p in signer.pushes() if p["content"]["withdraw"]]
    assert [p["event_id"] for p in withdrawn] == [asked["event_id"]]
    assert asked["content"]["line"] == "您有一份待签批文件"
