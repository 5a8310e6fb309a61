"""Sending: order and delivery, gap-free seqs under concurrency, idempotent retries, limits."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Org, Server
from messaging_helpers import SecondServer, events_after, group_of, head, people, seqs, take
from tongban_client import ApiError, TongbanClient

from core.models import AuditEntry


async def test_send_message_reaches_an_offline_member_in_order_after_reconnect(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (owner, online, offline):
        group = await group_of(owner, [online, offline])
        stream = offline.client.events(after=await head(offline.client))
        await owner.client.send_message(group["id"], "第1条")
        [first] = await take(stream, 1, kind="message.created")
        await stream.drop_connection()
        for n in range(2, 12):  # sent while the phone is away, by two people
            sender = owner if n % 2 else online
            await sender.client.send_message(group["id"], f"第{n}条")
        rest = await take(stream, 10, kind="message.created")
        bodies = [e["data"]["body"] for e in [first, *rest]]
        assert bodies == [f"第{n}条" for n in range(1, 12)]
        assert [e["data"]["seq"] for e in [first, *rest]] == list(range(1, 12))
        assert stream.connects >= 2
        await stream.aclose()


async def test_send_message_concurrently_gives_gap_free_seqs(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 4) as folks:
        group = await group_of(folks[0], folks[1:])
        sends = [folks[n % 4].client.send_message(group["id"], f"并发{n}") for n in range(80)]
        replies = await asyncio.gather(*sends)
        assert sorted(r["seq"] for r in replies) == list(range(1, 81))
        history = await folks[1].client.list_messages(group["id"], limit=200)
        assert seqs(history) == list(range(1, 81))
        assert {m["body"] for m in history["items"]} == {f"并发{n}" for n in range(80)}
        sent = await AuditEntry.filter(action="message.send",
                                       record_id__in=[str(r["id"]) for r in replies]).count()
        assert sent == 80


async def test_send_message_from_two_server_processes_gives_gap_free_seqs(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (here, there), SecondServer(server) as other:
        group = await group_of(here, [there])
        remote = await other.client_for(there.person)
        try:
            replies = await asyncio.gather(*[
                (here.client if n % 2 else remote).send_message(group["id"], f"两进程{n}")
                for n in range(60)])
        finally:
            await remote.aclose()
        assert sorted(r["seq"] for r in replies) == list(range(1, 61))
        assert seqs(await here.client.list_messages(group["id"], limit=200)) == list(range(1, 61))


async def test_send_message_retry_returns_the_first_message(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (me, other):
        group = await group_of(me, [other])
        mark = await head(other.client)
        first = await me.client.send_message(group["id"], "只发一次", client_msg_id="retry-1")
        again = await me.client.send_message(group["id"], "只发一次", client_msg_id="retry-1")
        racing = await asyncio.gather(*[
            me.client.send_message(group["id"], "并发重试", client_msg_id="retry-2")
            for _ in range(6)])
        assert again["id"] == first["id"] and again["seq"] == first["seq"]
        assert len({r["id"] for r in racing}) == 1
        assert seqs(await other.client.list_messages(group["id"])) == [1, 2]
        created = await events_after(other.client, mark, "message.created")
        assert [e["data"]["seq"] for e in created] == [1, 2]


async def test_send_message_over_the_text_cap_is_413(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (me, other):
        group = await group_of(me, [other])
        with pytest.raises(ApiError) as long_text:
            await me.client.send_message(group["id"], "字" * 5001)
        assert long_text.value.status == 413
        with pytest.raises(ApiError) as huge_body:
            await me.client.send_message(group["id"], "字" * 400_000)  # past the JSON limit
        assert huge_body.value.status == 413
        with pytest.raises(ApiError) as empty:
            await me.client.send_message(group["id"], "   ")
        assert empty.value.status == 422
        assert (await me.client.list_messages(group["id"]))["items"] == []


async def test_send_message_with_mentions_and_replies(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (owner, member, outsider):
        group = await group_of(owner, [member])
        first = await member.client.send_message(group["id"], "请示")
        answer = await owner.client.send_message(
            group["id"], "同意", mentions=[member.id, "all"], reply_to=first["id"])
        assert answer["mentions"] == [member.id] and answer["mention_all"] is True
        assert answer["reply_to"] == first["id"]
        with pytest.raises(ApiError) as not_manager:
            await member.client.send_message(group["id"], "大家看", mentions=["all"])
        assert not_manager.value.status == 403
        with pytest.raises(ApiError) as stranger:
            await owner.client.send_message(group["id"], "你好", mentions=[outsider.id])
        assert stranger.value.status == 422 and stranger.value.errors[0]["loc"] == ["mentions"]
        with pytest.raises(ApiError) as bad_reply:
            await owner.client.send_message(group["id"], "回复", reply_to=10**12)
        assert bad_reply.value.status == 422


async def test_list_messages_pages_by_seq_both_ways(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (me, other):
        group = await group_of(me, [other])
        for n in range(1, 8):
            await me.client.send_message(group["id"], f"第{n}条")
        newest = await other.client.list_messages(group["id"], limit=3)
        assert seqs(newest) == [5, 6, 7] and newest["has_more"] is True
        older = await other.client.list_messages(group["id"], before_seq=5, limit=3)
        assert seqs(older) == [2, 3, 4] and older["has_more"] is True
        oldest = await other.client.list_messages(group["id"], before_seq=2, limit=3)
        assert seqs(oldest) == [1] and oldest["has_more"] is False
        forward = await other.client.list_messages(group["id"], after_seq=4, limit=2)
        assert seqs(forward) == [5, 6] and forward["has_more"] is True
        tail = await other.client.list_messages(group["id"], after_seq=6, limit=2)
        assert seqs(tail) == [7] and tail["has_more"] is False
        assert tail["last_seq"] == 7 and tail["read_seq"] == 0
