"""Recall (撤回) within the window and by managers; urge (加急) only the unread, rate-limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import Org, Server
from messaging_helpers import events_after, group_of, head, people
from tongban_client import ApiError, TongbanClient

from core.clock import clock
from core.models import AuditEntry


async def test_recall_message_inside_the_window_removes_the_content_everywhere(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (sender, other):
        group = await group_of(sender, [other])
        upload = await sender.client.upload_file("机密".encode(), "密件.txt", "text/plain")
        message = await sender.client.send_message(group["id"], "发错了的撤回测试",
                                                   file_ids=[upload["id"]])
        assert await other.client.download_file(upload["id"]) == "机密".encode()
        mark = await head(other.client)
        recalled = await sender.client.recall_message(message["id"])
        assert recalled["recalled"] is True and recalled["body"] is None
        assert recalled["recalled_by"] == sender.id
        history = await other.client.list_messages(group["id"])
        assert [(m["seq"], m["body"], m["files"]) for m in history["items"]] == [(1, None, [])]
        [event] = await events_after(other.client, mark, "message.recalled")
        assert event["data"]["seq"] == 1 and "body" not in event["data"]
        assert (await other.client.search_messages("撤回测试"))["items"] == []
        with pytest.raises(ApiError) as gone:
            await other.client.download_file(upload["id"])
        assert gone.value.status == 404
        entry = await AuditEntry.get(action="message.recall", record_id=str(message["id"]))
        assert entry.actor_id == sender.id


async def test_recall_message_no_longer_counts_as_unread(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (sender, other):
        group = await group_of(sender, [other])
        first = await sender.client.send_message(group["id"], "第一条")
        second = await sender.client.send_message(group["id"], "发错了")
        await sender.client.send_message(group["id"], "第三条")
        await sender.client.recall_message(second["id"])
        assert (await other.client.get_conversation(group["id"]))["unread_count"] == 2
        [listed] = [c for c in (await other.client.list_conversations())["items"]
                    if c["id"] == group["id"]]
        assert listed["unread_count"] == 2
        assert (await other.client.mark_read(group["id"], first["seq"]))["unread_count"] == 1
        await sender.client.recall_message(first["id"])  # already read: nothing changes
        assert (await other.client.get_conversation(group["id"]))["unread_count"] == 1


async def test_recall_message_outside_the_window_is_409_but_owners_may(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (owner, sender, other):
        group = await group_of(owner, [sender, other])
        message = await sender.client.send_message(group["id"], "两分钟以前")
        with pytest.raises(ApiError) as stranger:
            await other.client.recall_message(message["id"])
        assert stranger.value.status == 403
        clock.advance(timedelta(minutes=3))
        try:
            with pytest.raises(ApiError) as late:
                await sender.client.recall_message(message["id"])
            assert late.value.status == 409
            assert (await other.client.get_message(message["id"]))["body"] == "两分钟以前"
            by_owner = await owner.client.recall_message(message["id"])
            assert by_owner["recalled"] is True and by_owner["recalled_by"] == owner.id
        finally:
            clock.offset = timedelta(0)


async def test_urge_message_alerts_only_the_unread_and_is_rate_limited(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (sender, reader, laggard):
        group = await group_of(sender, [reader, laggard])
        message = await sender.client.send_message(group["id"], "请尽快回复")
        await reader.client.mark_read(group["id"], message["seq"])
        with pytest.raises(ApiError) as not_sender:
            await reader.client.urge_message(message["id"])
        assert not_sender.value.status == 403
        mark = await head(sender.client)
        assert (await sender.client.urge_message(message["id"]))["urged"] == [laggard.id]
        [urged] = await events_after(laggard.client, mark, "message.urged")
        assert urged["data"]["alert"] is True and urged["data"]["message_id"] == message["id"]
        assert await events_after(reader.client, mark, "message.urged") == []
        with pytest.raises(ApiError) as too_soon:
            await sender.client.urge_message(message["id"])
        assert too_soon.value.status == 429
        assert 0 < (too_soon.value.retry_after or 0) <= 300
        clock.advance(timedelta(minutes=5, seconds=1))
        try:
            assert (await sender.client.urge_message(message["id"]))["urged"] == [laggard.id]
        finally:
            clock.offset = timedelta(0)
        await laggard.client.mark_read(group["id"], message["seq"])
        with pytest.raises(ApiError) as nobody:
            await sender.client.urge_message(message["id"])
        assert nobody.value.status == 409
        assert await AuditEntry.filter(action="message.urge",
                                       record_id=str(message["id"])).count() == 2
