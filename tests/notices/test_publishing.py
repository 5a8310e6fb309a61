"""Sending notices: audiences resolved to exactly the people addressed at sending time."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Org, Server, logged_in, make_person, unique
from notices_helpers import (
    County,
    audit_actions,
    county_audience,
    county_fixture,  # noqa: F401 (the `county` fixture)
    events_since,
    head,
    next_event,
)
from tongban_client import ApiError, TongbanClient
from tongban_client.notices import audience

SUBTREE = ("county", "town_a", "town_b", "village")


async def test_publish_to_a_county_and_its_townships_reaches_exactly_that_subtree(
    server: Server, admin: TongbanClient, county: County
) -> None:
    clients = {name: await county.client(server, name) for name in (*SUBTREE, "other")}
    marks = {name: await head(client) for name, client in clients.items()}
    sent = await county.clerk.create_notice(
        "关于做好防汛工作的通知", "各乡镇：……", county_audience(county), urgency="urgent"
    )
    late = await make_person(admin, county.ids["town_a"])  # joins after sending
    assert sent["state"] == "published" and sent["recipient_count"] == len(SUBTREE)
    for name in SUBTREE:
        [event] = await events_since(clients[name], marks[name], "notice.published", sent["id"])
        assert event["data"]["title"] == "关于做好防汛工作的通知" and event["data"]["alert"]
        shown = await clients[name].get_notice(sent["id"])
        assert shown["receipt"]["person_id"] == county.id(name) and shown["receipt"]["delivered_at"]
    assert await events_since(clients["other"], marks["other"], "notice.published") == []
    for outsider in (clients["other"], await logged_in(server, late)):
        with pytest.raises(ApiError) as refused:
            await outsider.get_notice(sent["id"])
        assert refused.value.status == 404
    assert await audit_actions(sent["id"]) == ["notice.publish"]


async def test_a_recipients_phone_gets_the_notice_pushed_over_the_websocket(
    server: Server, county: County
) -> None:
    phone = await county.client(server, "village")
    stream = phone.events(after=await head(phone))
    try:
        sent = await county.clerk.create_notice("推送测试", "正文", county_audience(county))
        event = await next_event(stream)
    finally:
        await stream.aclose()
    assert (event["kind"], event["data"]["notice_id"]) == ("notice.published", sent["id"])


async def test_statistics_keep_the_unit_people_were_in_when_it_was_sent(
    admin: TongbanClient, county: County
) -> None:
    sent = await county.clerk.create_notice("通知", "正文", county_audience(county))
    [position] = county.people["village"]["positions"]
    await admin.post(f"/v1/org/people/{county.id('village')}/positions",
                     {"unit_id": county.ids["town_b"], "title": "调任"})
    await admin.delete(f"/v1/org/positions/{position['id']}")
    stats = await county.clerk.notice_stats(sent["id"])
    by_unit = {unit["unit_id"]: unit for unit in stats["units"]}
    village = by_unit[county.ids["village"]]
    assert village["counts"]["total"] == 1
    assert [p["person_id"] for p in village["lists"]["unread"]] == [county.id("village")]
    assert stats["totals"] == {"total": 4, "unread": 4, "read": 0}


async def test_publish_to_a_unit_without_subunits_reaches_only_its_own_people(
    server: Server, county: County
) -> None:
    sent = await county.clerk.create_notice("乡镇通知", "正文",
                                            audience([county.ids["town_a"]]))
    assert sent["recipient_count"] == 1
    villager = await county.client(server, "village")
    with pytest.raises(ApiError) as refused:
        await villager.get_notice(sent["id"])
    assert refused.value.status == 404


async def test_publish_to_people_and_groups_resolves_each_person_once(
    server: Server, county: County
) -> None:
    group = await county.clerk.create_group(unique("专班"), [county.id("town_a"), county.id("other")])
    sent = await county.clerk.create_notice(
        "专班通知", "正文", audience(people=[county.id("other")], groups=[group["id"]])
    )
    assert sent["recipient_count"] == 2  # the clerk, a member, is not their own recipient
    stats = await county.clerk.notice_stats(sent["id"])
    assert {u["unit_id"] for u in stats["units"]} == {county.ids["town_a"], county.ids["other"]}


async def test_publish_outside_the_publishers_area_is_forbidden(county: County, org: Org) -> None:
    with pytest.raises(ApiError) as refused:
        await county.clerk.create_notice("越权", "正文", audience([org.other_county]))
    assert refused.value.status == 403


async def test_publish_by_someone_without_a_publishing_post_is_forbidden(
    server: Server, county: County
) -> None:
    staff = await county.client(server, "town_a")
    with pytest.raises(ApiError) as refused:
        await staff.create_notice("通知", "正文", audience(people=[county.id("town_b")]))
    assert refused.value.status == 403


@pytest.mark.parametrize("body, field", [
    ({"units": [999_999]}, "units"),
    ({"people": [999_999]}, "people"),
    ({"groups": [999_999]}, "groups"),
])
async def test_publish_to_unknown_units_people_or_groups_is_422(
    county: County, body: dict[str, list[int]], field: str
) -> None:
    with pytest.raises(ApiError) as refused:
        await county.clerk.create_notice("通知", "正文", audience(**body))  # type: ignore[arg-type]
    assert refused.value.status == 422 and refused.value.errors[0]["loc"] == ["audience", field]


async def test_publish_with_bad_fields_is_422(county: County) -> None:
    bad = [
        {"kind": "notice", "title": "", "audience": {"people": [county.id("town_a")]}},
        {"kind": "notice", "title": "无人", "audience": {}},
        {"kind": "meeting", "title": "无时间", "audience": {"people": [county.id("town_a")]}},
        {"kind": "notice", "title": "t", "audience": {"people": [1]}, "unknown": 1},
        {"kind": "notice", "title": "t", "audience": {"people": [county.id("town_a")]},
         "requires_confirmation": True, "confirm_deadline": "2020-01-01T00:00:00+00:00"},
        {"kind": "notice", "title": "t", "audience": {"people": [county.id("town_a")]},
         "requires_confirmation": True, "confirm_deadline": "2099-01-01T00:00:00"},
    ]
    for body in bad:
        with pytest.raises(ApiError) as refused:
            await county.clerk.post("/v1/notices", body)
        assert refused.value.status == 422, body


async def test_publish_again_with_the_same_idempotency_key_returns_the_first_notice(
    county: County
) -> None:
    first = await county.clerk.create_notice("通知", "正文", audience(people=[county.id("town_a")]),
                                             idempotency_key="retry-1")
    again = await county.clerk.create_notice("通知", "正文", audience(people=[county.id("town_a")]),
                                             idempotency_key="retry-1")
    assert again["id"] == first["id"]
    sent = await county.clerk.list_notices("sent")
    assert [item["id"] for item in sent["items"]].count(first["id"]) == 1


async def test_two_concurrent_sends_with_one_idempotency_key_make_one_notice(
    server: Server, county: County
) -> None:
    reader = await county.client(server, "town_b")
    mark = await head(reader)
    send = [county.clerk.create_notice("通知", "正文", audience(people=[county.id("town_b")]),
                                       idempotency_key="twice-at-once") for _ in range(2)]
    first, second = await asyncio.gather(*send)
    assert first["id"] == second["id"]
    assert len(await events_since(reader, mark, "notice.published", first["id"])) == 1
    assert (await county.clerk.get_notice(first["id"]))["recipient_count"] == 1


async def test_inbox_lists_notices_addressed_to_me_newest_first_with_my_receipt(
    server: Server, county: County
) -> None:
    ids = [(await county.clerk.create_notice(f"通知{n}", "正文",
                                             audience(people=[county.id("town_b")])))["id"]
           for n in range(3)]
    reader = await county.client(server, "town_b")
    first = await reader.list_notices(limit=2)
    rest = await reader.list_notices(limit=2, cursor=first["next_cursor"])
    listed = [item["id"] for item in first["items"] + rest["items"]]
    assert listed[:3] == ids[::-1]
    assert first["items"][0]["receipt"]["person_id"] == county.id("town_b")


async def test_an_audience_that_names_only_the_publisher_is_422_and_leaves_nothing(
    county: County
) -> None:
    before = (await county.clerk.list_notices("sent"))["items"]
    with pytest.raises(ApiError) as refused:
        await county.clerk.create_notice("自己", "正文", audience(people=[county.clerk_person["id"]]))
    assert refused.value.status == 422
    assert (await county.clerk.list_notices("sent"))["items"] == before
