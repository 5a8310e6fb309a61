"""Conversations: direct pairs, groups and their roles, unit groups, dissolving, mute, listing."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Org, Server, logged_in, make_person, unique
from messaging_helpers import events_after, group_of, head, people, take
from tongban_client import ApiError, TongbanClient

from core.models import AuditEntry


async def test_open_direct_concurrently_makes_exactly_one_per_pair(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (me, other):
        opened = await asyncio.gather(*[me.client.open_direct(other.id) for _ in range(5)],
                                      *[other.client.open_direct(me.id) for _ in range(5)])
        assert len({c["id"] for c in opened}) == 1
        assert opened[0]["kind"] == "direct" and opened[0]["member_count"] == 2
        with pytest.raises(ApiError) as myself:
            await me.client.open_direct(me.id)
        assert myself.value.status == 422
        with pytest.raises(ApiError) as leave:
            await me.client.leave_conversation(opened[0]["id"])
        assert leave.value.status == 409


async def test_create_group_tells_each_member_and_audits(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (owner, a, b):
        mark = await head(a.client)
        group = await group_of(owner, [a, b], "防汛工作群")
        assert group["my_role"] == "owner" and group["member_count"] == 3
        joined = await events_after(a.client, mark, "conversation.membership.changed")
        assert [(e["data"]["conversation_id"], e["data"]["change"]) for e in joined] == [
            (group["id"], "joined")]
        entry = await AuditEntry.get(action="conversation.create", record_id=str(group["id"]))
        assert entry.actor_id == owner.id
        members = await a.client.list_members(group["id"])
        roles = {m["id"]: m["role"] for m in members["items"]}
        assert roles == {owner.id: "owner", a.id: "member", b.id: "member"}


async def test_add_members_starts_delivery_to_the_new_member_at_once(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (owner, member, newcomer):
        group = await group_of(owner, [member])
        stream = newcomer.client.events(after=await head(newcomer.client))
        await owner.client.send_message(group["id"], "加人之前")
        with pytest.raises(ApiError) as plain:
            await member.client.add_members(group["id"], [newcomer.id])
        assert plain.value.status == 403
        added = await owner.client.add_members(group["id"], [newcomer.id, member.id])
        assert added["added"] == [newcomer.id]
        await owner.client.send_message(group["id"], "加人之后")
        [joined] = await take(stream, 1, kind="conversation.membership.changed")
        [message] = await take(stream, 1, kind="message.created")
        assert joined["data"]["change"] == "joined" and message["data"]["body"] == "加人之后"
        listed = await newcomer.client.list_conversations()
        mine = next(c for c in listed["items"] if c["id"] == group["id"])
        assert mine["unread_count"] == 1  # history is visible, but only news is unread
        await stream.aclose()


async def test_remove_member_and_leave_end_access(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 4) as (owner, admin_member, plain, leaver):
        group = await group_of(owner, [admin_member, plain, leaver])
        await owner.client.set_member_role(group["id"], admin_member.id, "admin")
        with pytest.raises(ApiError) as upward:
            await admin_member.client.remove_member(group["id"], owner.id)
        assert upward.value.status == 403
        mark = await head(plain.client)
        await admin_member.client.remove_member(group["id"], plain.id)
        await leaver.client.leave_conversation(group["id"])
        left = await events_after(plain.client, mark, "conversation.membership.changed")
        assert [e["data"]["change"] for e in left] == ["left"]
        for gone in (plain, leaver):
            with pytest.raises(ApiError) as missing:
                await gone.client.list_messages(group["id"])
            assert missing.value.status == 404
        with pytest.raises(ApiError) as owner_leaves:
            await owner.client.leave_conversation(group["id"])
        assert owner_leaves.value.status == 409
        entry = await AuditEntry.get(action="conversation.members.removed",
                                     record_id=str(group["id"]))
        assert entry.actor_id == admin_member.id


async def test_transfer_owner_then_old_owner_may_leave(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (owner, heir):
        group = await group_of(owner, [heir])
        with pytest.raises(ApiError) as not_owner:
            await heir.client.transfer_owner(group["id"], heir.id)
        assert not_owner.value.status == 403
        shown = await owner.client.transfer_owner(group["id"], heir.id)
        assert shown["owner_id"] == heir.id and shown["my_role"] == "admin"
        await owner.client.leave_conversation(group["id"])
        assert (await heir.client.get_conversation(group["id"]))["my_role"] == "owner"


async def test_dissolve_group_keeps_history_readable_and_refuses_changes(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (owner, member, other):
        group = await group_of(owner, [member])
        await member.client.send_message(group["id"], "散会前的记录")
        with pytest.raises(ApiError) as not_owner:
            await member.client.dissolve_conversation(group["id"])
        assert not_owner.value.status == 403
        dissolved = await owner.client.dissolve_conversation(group["id"])
        assert dissolved["dissolved"] is True
        history = await member.client.list_messages(group["id"])
        assert [m["body"] for m in history["items"]] == ["散会前的记录"]
        for attempt in (member.client.send_message(group["id"], "还能发吗"),
                        owner.client.add_members(group["id"], [other.id]),
                        owner.client.rename_conversation(group["id"], "新名字")):
            with pytest.raises(ApiError) as refused:
                await attempt
            assert refused.value.status == 409


async def test_unit_group_membership_follows_the_unit(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    unit = await admin.create_unit(unique("办公室"), org.county, "county")
    leader = await make_person(admin, unit["id"], roles=["leader"])
    clerk = await make_person(admin, unit["id"])
    outsider = await make_person(admin, org.township)
    boss, staff, stranger = [await logged_in(server, p) for p in (leader, clerk, outsider)]
    group = await staff.open_unit_group(unit["id"])
    assert group["kind"] == "unit" and group["title"] == unit["name"]
    assert (await boss.open_unit_group(unit["id"]))["id"] == group["id"]
    assert (await boss.get_conversation(group["id"]))["my_role"] == "admin"
    with pytest.raises(ApiError) as not_in_unit:
        await stranger.open_unit_group(unit["id"])
    assert not_in_unit.value.status == 404
    await boss.send_message(group["id"], "全体注意", mentions=["all"])
    stream = stranger.events(after=await head(stranger))
    position = await admin.post(f"/v1/org/people/{outsider['id']}/positions",
                                {"unit_id": unit["id"], "title": "借调"})
    await take(stream, 1, kind="org.membership.changed")
    await boss.send_message(group["id"], "欢迎新同事")
    [welcome] = await take(stream, 1, kind="message.created")
    assert welcome["data"]["body"] == "欢迎新同事"
    listed = await stranger.list_conversations()
    assert next(c for c in listed["items"] if c["id"] == group["id"])["unread_count"] == 1
    await admin.delete(f"/v1/org/positions/{position['id']}")
    with pytest.raises(ApiError) as gone:
        await stranger.list_messages(group["id"])
    assert gone.value.status == 404
    await stream.aclose()
    for client in (boss, staff, stranger):
        await client.aclose()


async def test_mute_conversation_is_mine_alone(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (me, other):
        group = await group_of(me, [other])
        assert (await me.client.mute_conversation(group["id"]))["muted"] is True
        assert (await other.client.get_conversation(group["id"]))["muted"] is False
        listed = await me.client.list_conversations()
        assert next(c for c in listed["items"] if c["id"] == group["id"])["muted"] is True


async def test_list_conversations_gives_unread_counts_and_last_messages(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 2) as (me, other):
        older = await group_of(other, [me], "旧群")
        newer = await group_of(other, [me], "新群")
        for n in range(3):
            await other.client.send_message(older["id"], f"旧{n}")
        await other.client.send_message(newer["id"], "最新")
        await me.client.mark_read(older["id"], 1)
        first = await me.client.list_conversations(limit=1)
        assert [c["id"] for c in first["items"]] == [newer["id"]]
        assert first["items"][0]["last_message"]["body"] == "最新"
        assert first["items"][0]["unread_count"] == 1
        second = await me.client.list_conversations(limit=1, cursor=first["next_cursor"])
        assert [c["id"] for c in second["items"]] == [older["id"]]
        assert second["items"][0]["unread_count"] == 2
        assert second["items"][0]["last_message"]["body"] == "旧2"
