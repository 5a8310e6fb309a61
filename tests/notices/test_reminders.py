"""Reminders: at the right times on a controllable clock, once across two processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest import Server
from notices_helpers import (
    County,
    county_fixture,  # noqa: F401 (the `county` fixture)
    events_since,
    head,
    make_meeting,
    run_jobs_as_two_processes,
    wait_for_events,
    with_clock_moved,
)
from tongban_client import ApiError
from tongban_client.notices import audience

from core.clock import clock, utcnow
from core.models import Job


async def settle() -> None:
    """Let a job that the server's own scheduler may be running finish."""
    await asyncio.sleep(0.3)
    await run_jobs_as_two_processes()


async def test_meeting_reminder_goes_once_to_attendees_only_at_its_time(
    server: Server, county: County
) -> None:
    sent = await make_meeting(county, people=["town_a", "town_b", "village"],
                              starts_in=timedelta(hours=3), remind_before_minutes=60)
    attendee, decliner, silent = [await county.client(server, n)
                                  for n in ("town_a", "town_b", "village")]
    await attendee.rsvp(sent["id"], "attend")
    await decliner.rsvp(sent["id"], "decline", reason="请假")
    marks = [await head(c) for c in (attendee, decliner, silent)]
    try:
        await with_clock_moved(timedelta(hours=1, minutes=50))  # 70 minutes before: too early
        assert await events_since(attendee, marks[0], "notice.reminder", sent["id"]) == []
        await with_clock_moved(timedelta(minutes=11))  # 59 minutes before
        [reminder] = await wait_for_events(attendee, marks[0], "notice.reminder", sent["id"], 1)
        await settle()
    finally:
        clock.offset = timedelta(0)
    assert reminder["data"]["reason"] == "meeting_soon" and reminder["data"]["alert"] is False
    assert len(await events_since(attendee, marks[0], "notice.reminder", sent["id"])) == 1
    assert await events_since(decliner, marks[1], "notice.reminder", sent["id"]) == []
    assert await events_since(silent, marks[2], "notice.reminder", sent["id"]) == []


async def test_deadline_reminder_goes_once_to_the_unconfirmed_and_alerts_when_urgent(
    server: Server, county: County
) -> None:
    names = ("town_a", "town_b")
    sent = await county.clerk.create_notice(
        "紧急通知", "请于明日前确认", audience(people=[county.id(n) for n in names]),
        urgency="critical", requires_confirmation=True,
        confirm_deadline=utcnow() + timedelta(hours=2), remind_before_minutes=30,
    )
    confirmer, laggard = [await county.client(server, n) for n in names]
    await confirmer.confirm_notice(sent["id"])
    marks = [await head(confirmer), await head(laggard)]
    try:
        await with_clock_moved(timedelta(hours=1, minutes=31))
        [reminder] = await wait_for_events(laggard, marks[1], "notice.reminder", sent["id"], 1)
        await settle()
        await with_clock_moved(timedelta(minutes=1))  # nothing new falls due
    finally:
        clock.offset = timedelta(0)
    assert reminder["data"]["reason"] == "confirm_deadline" and reminder["data"]["alert"] is True
    assert len(await events_since(laggard, marks[1], "notice.reminder", sent["id"])) == 1
    assert await events_since(confirmer, marks[0], "notice.reminder", sent["id"]) == []
    job = await Job.get(key=f"notice:{sent['id']}:remind:confirm_deadline")
    assert job.state == "done"


async def test_moving_a_meeting_moves_its_reminder(server: Server, county: County) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(hours=2),
                              remind_before_minutes=30)
    attendee = await county.client(server, "town_a")
    await attendee.rsvp(sent["id"], "attend")
    start = utcnow() + timedelta(hours=5)
    await county.clerk.change_meeting(sent["id"], "改期", starts_at=start,
                                      ends_at=start + timedelta(hours=1))
    await attendee.rsvp(sent["id"], "attend")
    mark = await head(attendee)
    try:
        await with_clock_moved(timedelta(hours=1, minutes=31))  # the old reminder time
        await settle()
        assert await events_since(attendee, mark, "notice.reminder", sent["id"]) == []
        await with_clock_moved(timedelta(hours=3))  # the new one
        found = await wait_for_events(attendee, mark, "notice.reminder", sent["id"], 1)
    finally:
        clock.offset = timedelta(0)
    assert len(found) == 1


async def test_withdrawing_cancels_the_reminders(server: Server, county: County) -> None:
    sent = await make_meeting(county, people=["town_a"], starts_in=timedelta(hours=2))
    await (await county.client(server, "town_a")).rsvp(sent["id"], "attend")
    await county.clerk.withdraw_notice(sent["id"], "发错了")
    job = await Job.get(key=f"notice:{sent['id']}:remind:meeting_soon")
    assert job.state == "cancelled"


async def test_the_publisher_may_remind_the_unconfirmed_once_per_five_minutes(
    server: Server, county: County
) -> None:
    names = ("town_a", "town_b")
    sent = await county.clerk.create_notice(
        "请确认", "正文", audience(people=[county.id(n) for n in names]), requires_confirmation=True
    )
    confirmer, laggard = [await county.client(server, n) for n in names]
    await confirmer.confirm_notice(sent["id"])
    marks = [await head(confirmer), await head(laggard)]
    first = await county.clerk.remind_notice(sent["id"])
    assert first == {"notice_id": sent["id"], "target": "unconfirmed", "reminded": 1}
    with pytest.raises(ApiError) as refused:
        await county.clerk.remind_notice(sent["id"])
    assert refused.value.status == 429 and 0 < int(refused.value.headers["retry-after"]) <= 300
    clock.advance(timedelta(minutes=5))
    try:
        assert (await county.clerk.remind_notice(sent["id"]))["reminded"] == 1
    finally:
        clock.offset = timedelta(0)
    reminders = await events_since(laggard, marks[1], "notice.reminder", sent["id"])
    assert [r["data"]["reason"] for r in reminders] == ["publisher", "publisher"]
    assert await events_since(confirmer, marks[0], "notice.reminder", sent["id"]) == []


async def test_only_the_publisher_may_remind(server: Server, county: County) -> None:
    sent = await county.clerk.create_notice("通知", "正文", audience(people=[county.id("town_a")]))
    with pytest.raises(ApiError) as refused:
        await (await county.client(server, "town_a")).remind_notice(sent["id"])
    assert refused.value.status == 403
