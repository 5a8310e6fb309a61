"""Corrections, withdrawal, attachments, CSV export, and sends too big for one transaction."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from conftest import Server
from notices_helpers import (
    County,
    audit_actions,
    county_audience,
    county_fixture,  # noqa: F401 (the `county` fixture)
    events_since,
    head,
    make_meeting,
    wait_for_events,
)
from tongban_client import ApiError
from tongban_client.notices import audience

from notices import fanout


async def test_a_correction_notifies_everyone_and_says_what_changed(
    server: Server, county: County
) -> None:
    names = ("town_a", "town_b")
    sent = await county.clerk.create_notice("关于召开会议的通知", "旧正文",
                                            audience(people=[county.id(n) for n in names]))
    clients = [await county.client(server, n) for n in names]
    marks = [await head(c) for c in clients]
    corrected = await county.clerk.correct_notice(sent["id"], "标题有误", title="关于召开防汛会议的通知",
                                                  body="新正文")
    assert corrected["revision"] == 2 and corrected["title"] == "关于召开防汛会议的通知"
    [revision] = corrected["corrections"]
    assert revision["before"] == {"title": "关于召开会议的通知", "body": "旧正文"}
    assert revision["changed"] == ["title", "body"] and revision["reconfirm"] is False
    for client, mark in zip(clients, marks):
        [event] = await events_since(client, mark, "notice.corrected", sent["id"])
        assert event["data"]["changed"] == ["title", "body"] and event["data"]["note"] == "标题有误"
        assert event["data"]["before"] == {"title": "关于召开会议的通知"}  # long fields only named
        assert (await client.get_notice(sent["id"]))["body"] == "新正文"
    assert await audit_actions(sent["id"]) == ["notice.publish", "notice.correct"]


async def test_a_correction_that_changes_nothing_or_is_not_the_publishers_is_refused(
    server: Server, county: County
) -> None:
    sent = await county.clerk.create_notice("通知", "正文", audience(people=[county.id("town_a")]))
    with pytest.raises(ApiError) as same:
        await county.clerk.correct_notice(sent["id"], "无变化", title="通知")
    assert same.value.status == 422
    with pytest.raises(ApiError) as meeting_only:
        await county.clerk.change_meeting(sent["id"], "通知没有时间", location="别处")
    assert meeting_only.value.status == 422
    for emptied in ({"note": "清空", "title": None}, {"note": "清空", "body": None}):
        with pytest.raises(ApiError) as removed:
            await county.clerk.post(f"/v1/notices/{sent['id']}/corrections", emptied)
        assert removed.value.status == 422
    with pytest.raises(ApiError) as not_theirs:
        await (await county.client(server, "town_a")).correct_notice(sent["id"], "改", title="改")
    assert not_theirs.value.status == 403


async def test_moving_a_meeting_to_end_before_it_starts_is_422(county: County) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1))
    with pytest.raises(ApiError) as refused:
        await county.clerk.change_meeting(sent["id"], "错", ends_at=sent["meeting"]["starts_at"])
    assert refused.value.status == 422


async def test_withdrawal_removes_the_notice_from_recipients_with_a_notice_of_it(
    server: Server, county: County
) -> None:
    sent = await county.clerk.create_notice("误发通知", "正文", county_audience(county))
    reader = await county.client(server, "town_a")
    mark = await head(reader)
    withdrawn = await county.clerk.withdraw_notice(sent["id"], "发送范围有误")
    assert withdrawn["state"] == "withdrawn"
    [event] = await events_since(reader, mark, "notice.withdrawn", sent["id"])
    assert event["data"] == {"notice_id": sent["id"], "kind": "notice", "title": "误发通知",
                             "reason": "发送范围有误", "alert": False}
    with pytest.raises(ApiError) as gone:
        await reader.get_notice(sent["id"])
    assert gone.value.status == 404
    assert sent["id"] not in [item["id"] for item in (await reader.list_notices())["items"]]
    assert (await county.clerk.get_notice(sent["id"]))["state"] == "withdrawn"
    with pytest.raises(ApiError) as twice:
        await county.clerk.withdraw_notice(sent["id"], "再撤")
    assert twice.value.status == 409
    assert await audit_actions(sent["id"]) == ["notice.publish", "notice.withdrawn"]


async def test_the_csv_export_lists_every_receipt_in_utf8_with_a_bom(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a", "town_b"], starts_in=timedelta(days=1))
    await (await county.client(server, "town_a")).rsvp(sent["id"], "decline", reason="=出差")
    data = await county.clerk.export_notice_stats(sent["id"])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["单位", "姓名", "送达时间"]
    by_person = {row[1]: row for row in rows[1:]}
    declined = by_person[county.people["town_a"]["display_name"]]
    assert declined[5:7] == ["请假", "'=出差"]  # never a spreadsheet formula
    assert datetime.fromisoformat(declined[2]).utcoffset() == timedelta(hours=8)  # Beijing
    assert len(rows) == 3


async def test_attachments_are_readable_by_recipients_but_not_by_others(
    server: Server, county: County
) -> None:
    upload = await county.clerk.upload_file("会议材料".encode(), "会议材料.txt", "text/plain")
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1),
                              file_ids=[upload["id"]])
    assert sent["files"] == [{"id": upload["id"], "name": "会议材料.txt",
                              "url": f"/v1/files/{upload['id']}"}]
    reader, outsider = await county.client(server, "town_a"), await county.client(server, "other")
    assert await reader.download_file(upload["id"]) == "会议材料".encode()
    with pytest.raises(ApiError) as refused:
        await outsider.download_file(upload["id"])
    assert refused.value.status == 404
    await county.clerk.withdraw_notice(sent["id"], "撤回")
    with pytest.raises(ApiError) as gone:
        await reader.download_file(upload["id"])
    assert gone.value.status == 404


async def test_attaching_someone_elses_upload_is_422(server: Server, county: County) -> None:
    theirs = await (await county.client(server, "town_a")).upload_file(b"x", "x.txt", "text/plain")
    with pytest.raises(ApiError) as refused:
        await county.clerk.create_notice("通知", "正文", audience(people=[county.id("town_b")]),
                                         file_ids=[theirs["id"]])
    assert refused.value.status == 422


async def test_a_send_too_big_for_one_transaction_is_delivered_by_jobs_in_chunks(
    server: Server, county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "INLINE_LIMIT", 1)
    monkeypatch.setattr(fanout, "CHUNK", 2)
    names = ("county", "town_a", "town_b", "village")
    clients = {n: await county.client(server, n) for n in names}
    marks = {n: await head(c) for n, c in clients.items()}
    sent = await county.clerk.create_notice("大范围通知", "正文", county_audience(county))
    for name in names:  # the server's scheduler, woken by the send, writes them
        found = await wait_for_events(clients[name], marks[name], "notice.published", sent["id"], 1)
        assert len(found) == 1
    listed = await county.clerk.notice_recipients(sent["id"], limit=3)
    rest = await county.clerk.notice_recipients(sent["id"], cursor=listed["next_cursor"])
    items = listed["items"] + rest["items"]
    assert sorted(item["person_id"] for item in items) == sorted(county.id(n) for n in names)
    assert all(datetime.fromisoformat(item["delivered_at"]) for item in items)
    names_by_id = {county.id(n): county.people[n]["display_name"] for n in names}
    assert all(item["display_name"] == names_by_id[item["person_id"]] and item["unit_name"]
               for item in items)
    await county.clerk.withdraw_notice(sent["id"], "撤回")
    for name in names:
        found = await wait_for_events(clients[name], marks[name], "notice.withdrawn", sent["id"], 1)
        assert len(found) == 1
