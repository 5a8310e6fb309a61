"""Search by Chinese substrings, attachments readable by members, quiet hours and alerts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import Org, Server
from messaging_helpers import events_after, group_of, head, people
from tongban_client import ApiError, TongbanClient
from tongban_client.messaging import message_alert


async def test_search_messages_finds_chinese_substrings_only_in_my_conversations(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (me, colleague, outsider):
        mine = await group_of(me, [colleague])
        theirs = await group_of(outsider, [colleague])
        await colleague.client.send_message(mine["id"], "明天上午开会议")
        await colleague.client.send_message(mine["id"], "会议纪要已上传")
        await colleague.client.send_message(theirs["id"], "他们的会议安排")
        short = await me.client.search_messages("会议")
        assert [m["body"] for m in short["items"]] == ["会议纪要已上传", "明天上午开会议"]
        longer = await me.client.search_messages("上午开会")
        assert [m["body"] for m in longer["items"]] == ["明天上午开会议"]
        assert (await outsider.client.search_messages("会议"))["items"][0]["body"] == "他们的会议安排"
        assert len((await outsider.client.search_messages("会议"))["items"]) == 1
        paged = await me.client.search_messages("会议", limit=1)
        rest = await me.client.search_messages("会议", limit=1, cursor=paged["next_cursor"])
        assert [m["body"] for m in rest["items"]] == ["明天上午开会议"]
        assert rest["next_cursor"] is None
        assert (await me.client.search_messages('"%_\\'))["items"] == []


async def test_attachments_are_readable_by_members_only(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (sender, member, outsider):
        group = await group_of(sender, [member])
        upload = await sender.client.upload_file("纪要正文".encode(), "会议纪要.docx")
        message = await sender.client.send_message(group["id"], "", file_ids=[upload["id"]])
        assert [f["name"] for f in message["files"]] == ["会议纪要.docx"]
        assert await member.client.download_file(upload["id"]) == "纪要正文".encode()
        with pytest.raises(ApiError) as outside:
            await outsider.client.download_file(upload["id"])
        assert outside.value.status == 404
        with pytest.raises(ApiError) as not_mine:
            await member.client.send_message(group["id"], "转发", file_ids=[upload["id"]])
        assert not_mine.value.status == 422 and not_mine.value.errors[0]["loc"] == ["file_ids"]


async def test_quiet_hours_leave_messages_silent_but_urges_ring(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (sender, sleeper):
        assert (await sleeper.client.get_quiet_hours())["enabled"] is False
        quiet = await sleeper.client.set_quiet_hours("00:00", "23:59", timezone="UTC")
        assert quiet["active"] is (datetime.now(UTC).strftime("%H:%M") < "23:59")
        with pytest.raises(ApiError) as bad:
            await sleeper.client.set_quiet_hours("25:00", "07:00")
        assert bad.value.status == 422
        group = await group_of(sender, [sleeper])
        mark = await head(sleeper.client)
        message = await sender.client.send_message(group["id"], "夜间消息")
        await sender.client.urge_message(message["id"])
        events = await events_after(sleeper.client, mark)
        created = next(e for e in events if e["kind"] == "message.created")
        urged = next(e for e in events if e["kind"] == "message.urged")
        noon = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
        settings = await sleeper.client.get_quiet_hours()
        assert "alert" not in created["data"]
        assert message_alert(created, me=sleeper.id, quiet=settings, muted=False, at=noon) is False
        assert message_alert(urged, me=sleeper.id, quiet=settings, muted=False, at=noon) is True
        awake = {**settings, "enabled": False}
        assert message_alert(created, me=sleeper.id, quiet=awake, muted=False) is True
        assert message_alert(created, me=sleeper.id, quiet=awake, muted=True) is False
