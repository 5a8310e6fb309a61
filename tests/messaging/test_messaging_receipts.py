"""Receipts (已读/未读): read positions, exact lists, coalesced events to senders."""

from __future__ import annotations

import pytest
from conftest import Org, Server
from messaging_helpers import events_after, group_of, head, people
from tongban_client import ApiError, TongbanClient

from messaging.receipts import coalescer


async def test_receipts_are_exact_after_reads(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 4) as (sender, a, b, c):
        group = await group_of(sender, [a, b, c])
        first = await sender.client.send_message(group["id"], "通知一")
        second = await sender.client.send_message(group["id"], "通知二")
        assert (await a.client.mark_read(group["id"], 2))["unread_count"] == 0
        assert (await b.client.mark_read(group["id"], 1))["read_seq"] == 1
        assert (await b.client.mark_read(group["id"], 0))["read_seq"] == 1  # never backwards
        assert (await c.client.mark_read(group["id"], 99))["read_seq"] == 2  # capped at newest
        await c.client.request("POST", f"/v1/conversations/{group['id']}/read",
                               json={"up_to_seq": 2})
        one = await sender.client.message_receipts(first["id"])
        two = await a.client.message_receipts(second["id"])
        assert sorted(p["id"] for p in one["read"]) == sorted([a.id, b.id, c.id])
        assert one["unread"] == []
        assert sorted(p["id"] for p in two["read"]) == sorted([a.id, c.id])
        assert [p["id"] for p in two["unread"]] == [b.id]
        assert two["read_count"] == 2 and two["unread_count"] == 1


async def test_read_positions_reach_the_sender_coalesced(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 6) as (sender, *readers):
        group = await group_of(sender, readers)
        message = await sender.client.send_message(group["id"], "请各位阅知")
        mark = await head(sender.client)
        window, coalescer.window = coalescer.window, 60.0  # only the explicit flush sends
        try:
            await coalescer.flush()
            for reader in readers:
                await reader.client.mark_read(group["id"], message["seq"])
            await coalescer.flush()
        finally:
            coalescer.window = window
        receipts = await events_after(sender.client, mark, "message.receipts")
        assert len(receipts) == 1
        data = receipts[0]["data"]
        assert sorted(r["person_id"] for r in data["readers"]) == sorted(r.id for r in readers)
        assert data["messages"] == [{"id": message["id"], "seq": 1, "read_count": 5,
                                     "unread_count": 0}]
        mine = await events_after(readers[0].client, mark, "conversation.read")
        assert [e["data"]["read_seq"] for e in mine] == [1]
        assert await events_after(readers[1].client, mark, "message.receipts") == []


async def test_read_with_a_bad_position_is_422(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (me, other):
        group = await group_of(me, [other])
        with pytest.raises(ApiError) as negative:
            await me.client.mark_read(group["id"], -1)
        assert negative.value.status == 422
