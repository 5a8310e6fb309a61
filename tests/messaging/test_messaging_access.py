"""Strangers: 404 on every conversation and message route, and none of their events."""

from __future__ import annotations

import pytest
from conftest import Org, Server
from messaging_helpers import events_after, group_of, head, people
from tongban_client import ApiError, TongbanClient


async def test_non_member_gets_404_everywhere_and_no_events(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    async with people(server, admin, org.county, 3) as (owner, member, stranger):
        mark = await head(stranger.client)
        group = await group_of(owner, [member])
        message = await member.client.send_message(group["id"], "内部讨论")
        cid, mid = group["id"], message["id"]
        calls = [
            ("GET", f"/v1/conversations/{cid}", None),
            ("PATCH", f"/v1/conversations/{cid}", {"title": "x"}),
            ("GET", f"/v1/conversations/{cid}/members", None),
            ("POST", f"/v1/conversations/{cid}/members", {"member_ids": [stranger.id]}),
            ("DELETE", f"/v1/conversations/{cid}/members/{member.id}", None),
            ("POST", f"/v1/conversations/{cid}/leave", None),
            ("POST", f"/v1/conversations/{cid}/transfer", {"owner_id": stranger.id}),
            ("POST", f"/v1/conversations/{cid}/roles", {"person_id": member.id, "role": "admin"}),
            ("POST", f"/v1/conversations/{cid}/dissolve", None),
            ("POST", f"/v1/conversations/{cid}/mute", {"muted": True}),
            ("POST", f"/v1/conversations/{cid}/messages", {"client_msg_id": "x", "body": "hi"}),
            ("GET", f"/v1/conversations/{cid}/messages", None),
            ("POST", f"/v1/conversations/{cid}/read", {"up_to_seq": 1}),
            ("GET", f"/v1/messages/{mid}", None),
            ("GET", f"/v1/messages/{mid}/receipts", None),
            ("POST", f"/v1/messages/{mid}/recall", None),
            ("POST", f"/v1/messages/{mid}/urge", None),
        ]
        for method, path, body in calls:
            with pytest.raises(ApiError) as refused:
                await stranger.client.request(method, path, json=body)
            assert refused.value.status == 404, (method, path)
        assert await events_after(stranger.client, mark) == []
        listed = await stranger.client.list_conversations()
        assert cid not in [c["id"] for c in listed["items"]]
        assert (await member.client.list_messages(cid))["items"][0]["body"] == "内部讨论"
