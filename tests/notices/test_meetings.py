"""Meetings: check-in with rotating codes, moves that ask for confirmation again, cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import Server
from notices_helpers import (
    County,
    audit_actions,
    county_fixture,  # noqa: F401 (the `county` fixture)
    events_since,
    head,
    make_meeting,
)
from tongban_client import ApiError

from core.clock import clock, utcnow
from notices.checkin_code import code_at


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_checkin_with_the_current_code_counts_and_a_late_one_is_marked_late(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a", "town_b", "village"],
                              starts_in=timedelta(minutes=10))
    early, late = await county.client(server, "town_a"), await county.client(server, "town_b")
    mark = await head(county.clerk)
    shown = await county.clerk.checkin_code(sent["id"])
    assert shown["window_open"] and len(shown["code"]) == 6 and 0 < shown["expires_in"] <= 30
    checked = await early.check_in(sent["id"], shown["code"])
    assert checked["checked_in_at"] and not checked["late"]
    assert (await early.check_in(sent["id"], "000000"))["checked_in_at"] == checked["checked_in_at"]
    clock.advance(timedelta(minutes=11))
    try:
        code = (await county.clerk.checkin_code(sent["id"]))["code"]
        assert (await late.check_in(sent["id"], code))["late"] is True
        totals = (await county.clerk.notice_stats(sent["id"]))["totals"]
    finally:
        clock.offset = timedelta(0)
    assert (totals["checked_in"], totals["late"], totals["absent"], totals["expected"]) == (2, 1, 1, 3)
    told = await events_since(county.clerk, mark, "notice.checked_in", sent["id"])
    assert sorted(e["data"]["person_id"] for e in told) == sorted([county.id("town_a"),
                                                                   county.id("town_b")])
    assert await audit_actions(sent["id"]) == ["notice.publish", "notice.checkin", "notice.checkin"]


async def test_nobody_counts_as_absent_before_the_meeting_starts(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a", "town_b"], starts_in=timedelta(hours=1))
    before = await county.clerk.notice_stats(sent["id"])
    assert before["totals"]["absent"] == 0 and before["totals"]["expected"] == 2
    assert all(unit["lists"]["absent"] == [] for unit in before["units"])
    assert (await county.clerk.notice_recipients(sent["id"], status="absent"))["items"] == []
    clock.advance(timedelta(hours=1, seconds=1))
    try:
        after = await county.clerk.notice_stats(sent["id"])
        listed = await county.clerk.notice_recipients(sent["id"], status="absent")
    finally:
        clock.offset = timedelta(0)
    assert after["meeting_started"] and after["totals"]["absent"] == 2
    assert len(listed["items"]) == 2


async def test_checkin_accepts_the_previous_code_but_not_an_expired_or_wrong_one(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a", "town_b"], starts_in=timedelta(minutes=5))
    attendee, other = await county.client(server, "town_a"), await county.client(server, "town_b")
    old = (await county.clerk.checkin_code(sent["id"]))["code"]
    clock.advance(timedelta(seconds=61))  # two steps on: the old code has expired
    try:
        for wrong in (old, other_code((await county.clerk.checkin_code(sent["id"]))["code"])):
            if wrong == (await county.clerk.checkin_code(sent["id"]))["code"]:
                continue  # one in a million: the new code happens to equal the old
            with pytest.raises(ApiError) as refused:
                await attendee.check_in(sent["id"], wrong)
            assert refused.value.status == 422 and refused.value.errors[0]["loc"] == ["code"]
        previous = (await county.clerk.checkin_code(sent["id"]))["code"]
        clock.advance(timedelta(seconds=30))  # the code just shown turned: still accepted
        assert (await other.check_in(sent["id"], previous))["checked_in_at"]
        totals = (await county.clerk.notice_stats(sent["id"]))["totals"]
    finally:
        clock.offset = timedelta(0)
    assert totals["checked_in"] == 1
    assert (await attendee.get_notice(sent["id"]))["receipt"]["checked_in_at"] is None


async def test_checkin_guessing_is_stopped_after_five_wrong_codes(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(minutes=5))
    guesser = await county.client(server, "town_a")
    code = (await county.clerk.checkin_code(sent["id"]))["code"]
    statuses = []
    for _ in range(6):
        try:
            await guesser.check_in(sent["id"], other_code(other_code(code)))
        except ApiError as refused:
            statuses.append(refused.status)
            retry_after = refused.headers.get("retry-after")
    assert statuses == [422] * 5 + [429] and retry_after and int(retry_after) > 0


async def test_checkin_outside_the_window_is_409(server: Server, county: County) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1))
    code = (await county.clerk.checkin_code(sent["id"]))["code"]
    with pytest.raises(ApiError) as refused:
        await (await county.client(server, "town_a")).check_in(sent["id"], code)
    assert refused.value.status == 409


async def test_checkin_code_is_for_the_organiser_only(server: Server, county: County) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(minutes=5))
    with pytest.raises(ApiError) as refused:
        await (await county.client(server, "town_a")).checkin_code(sent["id"])
    assert refused.value.status == 403


async def test_the_code_follows_rfc_6238_from_the_meetings_secret(county: County) -> None:
    from notices.models import Notice

    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(minutes=5))
    notice = await Notice.get(id=sent["id"])
    shown = await county.clerk.checkin_code(sent["id"])
    assert shown["code"] in (code_at(notice.checkin_secret or "", utcnow()),
                             code_at(notice.checkin_secret or "", utcnow() - timedelta(seconds=30)))


async def test_a_time_change_resets_confirmations_and_notifies_everyone(
    server: Server, county: County
) -> None:
    names = ["town_a", "town_b", "village"]
    sent = await make_meeting(county, people=names, starts_in=timedelta(days=2),
                              requires_confirmation=True)
    clients = {n: await county.client(server, n) for n in names}
    await clients["town_a"].rsvp(sent["id"], "attend")
    await clients["town_a"].confirm_notice(sent["id"])
    await clients["town_b"].rsvp(sent["id"], "decline", reason="出差")
    marks = {n: await head(c) for n, c in clients.items()}
    new_start = utcnow() + timedelta(days=3)
    moved = await county.clerk.change_meeting(
        sent["id"], "因故推迟一天", starts_at=new_start, ends_at=new_start + timedelta(hours=1)
    )
    assert moved["revision"] == 2 and moved["corrections"][0]["reconfirm"] is True
    for name, client in clients.items():
        [event] = await events_since(client, marks[name], "notice.corrected", sent["id"])
        assert event["data"]["reconfirm"] and event["data"]["changed"] == ["starts_at", "ends_at"]
        assert event["data"]["note"] == "因故推迟一天"
    receipt = (await clients["town_a"].get_notice(sent["id"]))["receipt"]
    assert (receipt["rsvp"], receipt["reconfirm"], receipt["confirmed_at"]) == (None, True, None)
    totals = (await county.clerk.notice_stats(sent["id"]))["totals"]
    assert (totals["attending"], totals["declined"], totals["reconfirm"], totals["confirmed"]) == (
        0, 1, 1, 0)
    await clients["town_a"].rsvp(sent["id"], "attend")
    assert (await county.clerk.notice_stats(sent["id"]))["totals"]["reconfirm"] == 0
    assert "notice.correct" in await audit_actions(sent["id"])


async def test_a_correction_of_the_agenda_does_not_ask_for_confirmation_again(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=2))
    client = await county.client(server, "town_a")
    await client.rsvp(sent["id"], "attend")
    changed = await county.clerk.change_meeting(sent["id"], "增加议题", agenda=["一", "二", "三"])
    assert changed["meeting"]["agenda"] == ["一", "二", "三"]
    assert (await client.get_notice(sent["id"]))["receipt"]["rsvp"] == "attend"


async def test_cancelling_a_meeting_tells_everyone_and_stops_answers(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(days=1))
    client = await county.client(server, "town_a")
    mark = await head(client)
    cancelled = await county.clerk.cancel_meeting(sent["id"], "上级会议改期")
    assert cancelled["state"] == "cancelled"
    [event] = await events_since(client, mark, "notice.cancelled", sent["id"])
    assert event["data"]["reason"] == "上级会议改期"
    assert (await client.get_notice(sent["id"]))["state"] == "cancelled"
    with pytest.raises(ApiError) as refused:
        await client.rsvp(sent["id"], "attend")
    assert refused.value.status == 409
    with pytest.raises(ApiError) as again:
        await county.clerk.cancel_meeting(sent["id"], "再次")
    assert again.value.status == 409
