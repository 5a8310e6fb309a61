"""Receipts: read, confirm, RSVP (attend, decline, substitute) change the statistics exactly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import Server, make_person
from notices_helpers import (
    County,
    audit_actions,
    county_fixture,  # noqa: F401 (the `county` fixture)
    events_since,
    head,
    make_meeting,
)
from tongban_client import ApiError, TongbanClient
from tongban_client.notices import audience

from core.clock import clock


async def test_read_and_confirm_change_the_statistics_exactly(
    server: Server, county: County
) -> None:
    people = ["town_a", "town_b", "village"]
    sent = await county.clerk.create_notice(
        "请确认收到", "正文", audience(people=[county.id(n) for n in people]),
        requires_confirmation=True,
    )
    reader, confirmer = await county.client(server, "town_a"), await county.client(server, "town_b")
    mark = await head(reader)
    first = await reader.read_notice(sent["id"])
    again = await reader.read_notice(sent["id"])
    confirmed = await confirmer.confirm_notice(sent["id"])
    assert first["read_at"] and again["read_at"] == first["read_at"] and not first["confirmed_at"]
    assert confirmed["read_at"] and confirmed["confirmed_at"]
    totals = (await county.clerk.notice_stats(sent["id"]))["totals"]
    assert totals == {"total": 3, "unread": 1, "read": 2, "confirmed": 1, "unconfirmed": 2}
    [receipt] = await events_since(reader, mark, "notice.receipt", sent["id"])  # once, not twice
    assert receipt["data"]["person_id"] == county.id("town_a")
    assert await audit_actions(sent["id"]) == ["notice.publish", "notice.read", "notice.confirm"]


async def test_the_publisher_hears_each_confirmation_once(server: Server, county: County) -> None:
    sent = await county.clerk.create_notice(
        "请确认（发布人实时看到）", "正文", audience(people=[county.id("town_a")]),
        requires_confirmation=True,
    )
    mark = await head(county.clerk)
    confirmer = await county.client(server, "town_a")
    await confirmer.confirm_notice(sent["id"])
    await confirmer.confirm_notice(sent["id"])  # a double tap: still one event
    [event] = await events_since(county.clerk, mark, "notice.confirmed", sent["id"])
    assert event["data"]["person_id"] == county.id("town_a") and event["data"]["confirmed_at"]


async def test_confirm_a_notice_that_asks_for_no_confirmation_is_409(
    server: Server, county: County
) -> None:
    sent = await county.clerk.create_notice("知悉即可", "正文", audience(people=[county.id("town_a")]))
    with pytest.raises(ApiError) as refused:
        await (await county.client(server, "town_a")).confirm_notice(sent["id"])
    assert refused.value.status == 409


async def test_rsvp_attend_decline_and_substitute_change_the_statistics_exactly(
    server: Server, admin: TongbanClient, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a", "town_b", "village"],
                              starts_in=timedelta(days=1))
    deputy = await make_person(admin, county.ids["village"], display_name="村副主任")
    attendee, decliner, sender = [await county.client(server, n)
                                  for n in ("town_a", "town_b", "village")]
    await attendee.rsvp(sent["id"], "attend")
    await decliner.rsvp(sent["id"], "decline", reason="同日参加省里培训")
    await sender.rsvp(sent["id"], "substitute", reason="另有公务", substitute_id=deputy["id"])
    stats = await county.clerk.notice_stats(sent["id"])
    totals = stats["totals"]
    assert (totals["total"], totals["attending"], totals["declined"], totals["substituted"],
            totals["substitutes"], totals["unanswered"], totals["expected"]) == (4, 1, 1, 1, 1, 1, 2)
    village = next(u for u in stats["units"] if u["unit_id"] == county.ids["village"])
    assert village["counts"]["substitutes"] == 1  # the deputy stands in for the village
    town_b = next(u for u in stats["units"] if u["unit_id"] == county.ids["town_b"])
    assert town_b["lists"]["declined"] == [{"person_id": county.id("town_b"),
                                            "display_name": county.people["town_b"]["display_name"],
                                            "reason": "同日参加省里培训"}]


async def test_a_substitute_becomes_a_recipient_with_the_same_rights(
    server: Server, admin: TongbanClient, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1))
    deputy_person = await make_person(admin, county.ids["town_a"])
    original = await county.client(server, "town_a")
    from conftest import logged_in

    deputy = await logged_in(server, deputy_person)
    mark = await head(deputy)
    with pytest.raises(ApiError) as before:
        await deputy.get_notice(sent["id"])
    assert before.value.status == 404
    answered = await original.rsvp(sent["id"], "substitute", substitute_id=deputy_person["id"])
    assert answered["rsvp"] == "substitute" and answered["substitute_id"] == deputy_person["id"]
    [invite] = await events_since(deputy, mark, "notice.published", sent["id"])
    assert invite["data"]["substitute_for"] == county.id("town_a")
    shown = await deputy.get_notice(sent["id"])
    assert shown["receipt"]["substitute_for_id"] is not None
    assert (await deputy.rsvp(sent["id"], "attend"))["rsvp"] == "attend"
    with pytest.raises(ApiError) as again:
        await original.rsvp(sent["id"], "attend")
    assert again.value.status == 409
    with pytest.raises(ApiError) as twice:  # the deputy cannot be invited twice
        await deputy.rsvp(sent["id"], "substitute", substitute_id=deputy_person["id"])
    assert twice.value.status == 422
    await deputy.aclose()


async def test_a_substitute_comes_from_the_recipients_unit_invited_or_not(
    server: Server, admin: TongbanClient, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a", "village", "town_b"],
                              starts_in=timedelta(days=1))
    town_a, town_b = await county.client(server, "town_a"), await county.client(server, "town_b")
    with pytest.raises(ApiError) as outside:  # someone of another township
        await town_b.rsvp(sent["id"], "substitute", substitute_id=county.id("town_a"))
    assert outside.value.status == 422
    assert outside.value.errors[0]["type"] == "substitute_outside_unit"
    # the village head is invited already, and of a unit under town_a: they stand in
    answered = await town_a.rsvp(sent["id"], "substitute", substitute_id=county.id("village"))
    assert answered["substitute_id"] == county.id("village")
    stand_in = (await (await county.client(server, "village")).get_notice(sent["id"]))["receipt"]
    assert stand_in["rsvp"] == "attend" and stand_in["substitute_for_id"] is not None
    totals = (await county.clerk.notice_stats(sent["id"]))["totals"]
    assert (totals["total"], totals["substituted"], totals["substitutes"], totals["expected"]) \
        == (3, 1, 1, 2)


async def test_rsvp_after_the_deadline_is_409(server: Server, county: County) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1),
                              rsvp_deadline=(clock.now() + timedelta(hours=1)).isoformat())
    client = await county.client(server, "town_a")
    clock.advance(timedelta(hours=1, seconds=1))
    try:
        with pytest.raises(ApiError) as refused:
            await client.rsvp(sent["id"], "attend")
    finally:
        clock.offset = timedelta(0)
    assert refused.value.status == 409


@pytest.mark.parametrize("body", [
    {"answer": "decline"},
    {"answer": "substitute"},
    {"answer": "attend", "substitute_id": 1},
    {"answer": "maybe"},
])
async def test_rsvp_with_an_incomplete_answer_is_422(
    server: Server, county: County, body: dict[str, object]
) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1))
    with pytest.raises(ApiError) as refused:
        await (await county.client(server, "town_a")).post(f"/v1/notices/{sent['id']}/rsvp", body)
    assert refused.value.status == 422


async def test_a_recipient_never_sees_another_recipients_rsvp_reason(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a", "town_b"], starts_in=timedelta(days=1))
    decliner, other = await county.client(server, "town_a"), await county.client(server, "town_b")
    marks = {"other": await head(other), "clerk": await head(county.clerk)}
    await decliner.rsvp(sent["id"], "decline", reason="身体不适住院")
    shown = await other.get_notice(sent["id"])
    assert "身体不适住院" not in str(shown) and shown["receipt"]["person_id"] == county.id("town_b")
    assert "身体不适住院" not in str(await other.list_notices())
    assert "身体不适住院" not in str(await events_since(other, marks["other"]))
    for forbidden in (other.notice_stats, other.notice_recipients, other.export_notice_stats):
        with pytest.raises(ApiError) as refused:
            await forbidden(sent["id"])
        assert refused.value.status == 403
    [told] = await events_since(county.clerk, marks["clerk"], "notice.rsvp", sent["id"])
    assert told["data"]["rsvp_reason"] == "身体不适住院"
    declined = await county.clerk.notice_recipients(sent["id"], status="declined")
    assert [(r["person_id"], r["rsvp_reason"]) for r in declined["items"]] == [
        (county.id("town_a"), "身体不适住院")]


async def test_non_recipients_get_404_for_everything(server: Server, county: County) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1))
    outsider = await county.client(server, "other")
    calls = [
        outsider.get_notice(sent["id"]), outsider.read_notice(sent["id"]),
        outsider.confirm_notice(sent["id"]), outsider.rsvp(sent["id"], "attend"),
        outsider.check_in(sent["id"], "123456"), outsider.checkin_code(sent["id"]),
        outsider.notice_stats(sent["id"]), outsider.notice_recipients(sent["id"]),
        outsider.export_notice_stats(sent["id"]), outsider.remind_notice(sent["id"]),
        outsider.withdraw_notice(sent["id"], "x"), outsider.cancel_meeting(sent["id"], "x"),
        outsider.correct_notice(sent["id"], "x", title="改"),
        outsider.get_notice(999_999), outsider.get_notice("abc"),
    ]
    for call in calls:
        with pytest.raises(ApiError) as refused:
            await call
        assert refused.value.status == 404


async def test_the_same_answer_twice_changes_nothing_the_second_time(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1))
    client = await county.client(server, "town_a")
    mark = await head(county.clerk)
    first = await client.rsvp(sent["id"], "decline", reason="出差")
    again = await client.rsvp(sent["id"], "decline", reason="出差")
    assert again["rsvp_at"] == first["rsvp_at"]
    assert len(await events_since(county.clerk, mark, "notice.rsvp", sent["id"])) == 1
    changed = await client.rsvp(sent["id"], "attend")
    assert (changed["rsvp"], changed["rsvp_reason"]) == ("attend", None)
