"""How pushes go out: not to a phone in the foreground, held back by quiet hours unless urgent,
badges counted at send time, recalls withdrawn, 5xx/429 retried, dead tokens disabled, failures
given up after a bound, previews only where allowed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

from conftest import Org, Server, logged_in
from fakes import Answer
from fakes.gateway import REJECTED
from push_helpers import MakePhone, Phone, fake_gateway, phones, rows_for, settled
from tongban_client import TongbanClient
from tongban_client.notices import audience

from core.clock import utcnow
from push.models import PushChannel, PushNotification

__all__ = ["fake_gateway", "phones"]


async def _pair(phones: MakePhone, org: Org) -> tuple[Phone, Phone, int]:
    a, b = await phones(org.county), await phones(org.county)
    direct = await a.client.open_direct(b.id)
    return a, b, int(direct["id"])


async def test_no_push_to_a_phone_in_the_foreground(phones: MakePhone, org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    stream = b.client.events(after=0)
    reader = asyncio.create_task(_drain(stream))
    try:
        await stream.set_presence("foreground")
        await _presence(b, "foreground")
        await a.client.send_message(direct, "在吗")
        await settled()
        assert b.pushes() == []
        await stream.set_presence("background")
        await _presence(b, "background")
        await a.client.send_message(direct, "请回电")
        [push] = await b.wait(1)
        assert push["type"] == "chat.direct"
    finally:
        reader.cancel()
        await stream.aclose()


async def _drain(stream: object) -> None:
    async for _ in stream:  # type: ignore[attr-defined]
        pass


async def _presence(phone: Phone, state: str) -> None:
    async with asyncio.timeout(10):
        while (await phone.client.push_channel(phone.device_id))["presence"] != state:
            await asyncio.sleep(0.02)


async def _quiet_now(phone: Phone) -> None:
    """Quiet hours from an hour ago to an hour ahead (Beijing time)."""
    local = utcnow().astimezone(ZoneInfo("Asia/Shanghai"))
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    await phone.client.set_quiet_hours(start.strftime("%H:%M"), end.strftime("%H:%M"))


async def test_quiet_hours_hold_back_all_but_urgent(phones: MakePhone, org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    await _quiet_now(b)
    message = await a.client.send_message(direct, "明早开会")
    await settled()
    assert b.pushes() == []
    [held] = await rows_for(b)
    assert held.state == "pending" and held.due_at > utcnow() + timedelta(minutes=50)
    await a.client.urge_message(message["id"])  # 加急 rings through quiet hours
    [push] = await b.wait(1)
    assert push["type"] == "chat.urge" and push["prio"] == "high"


async def test_urgent_stays_quiet_for_those_who_opt_out(phones: MakePhone, org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    await _quiet_now(b)
    await b.client.set_push_settings(urgent_during_quiet=False)
    message = await a.client.send_message(direct, "明早开会")
    await a.client.urge_message(message["id"])
    await settled()
    assert b.pushes() == []


async def test_badge_is_the_to_do_count_after_reads_elsewhere(server: Server, phones: MakePhone,
                                                             org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    await a.client.send_message(direct, "第一条")
    await b.wait(1)
    await a.client.send_message(direct, "第二条")
    first, second = await b.wait(2)
    assert sorted([first["counts"]["unread"], second["counts"]["unread"]]) == [1, 2]
    desktop = await logged_in(server, b.person)  # b reads on another device
    await desktop.mark_read(direct, 2)
    await desktop.aclose()
    clerk = await phones(org.county, ["clerk"], attach=False)
    await clerk.client.create_notice("请确认", "值班表", audience(people=[b.id]),
                                     requires_confirmation=True)
    third = (await b.wait(3))[2]
    assert third["type"] == "notice.notice" and third["counts"]["unread"] == 1


async def test_recall_withdraws_the_push(phones: MakePhone, org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    message = await a.client.send_message(direct, "发错了")
    [pushed] = await b.wait(1)
    await a.client.recall_message(message["id"])
    _, withdrawn = await b.wait(2)
    assert withdrawn["content"]["withdraw"] is True
    assert withdrawn["event_id"] == pushed["event_id"] == f"msg:{message['id']}"
    assert "line" not in withdrawn["content"]


async def test_a_held_push_recalled_is_never_sent(phones: MakePhone, org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    await _quiet_now(b)
    message = await a.client.send_message(direct, "发错了")
    await settled()
    await a.client.recall_message(message["id"])
    await settled()
    assert [row.state for row in await rows_for(b)] == ["dropped"]


async def test_5xx_and_429_are_retried_until_sent(phones: MakePhone, org: Org,
                                                 admin: TongbanClient) -> None:
    a, b, direct = await _pair(phones, org)
    b.gateway.script.queue(b.token, Answer(503))
    b.gateway.script.queue(b.token, Answer(429, headers={"Retry-After": "1"}))
    await a.client.send_message(direct, "请回电")
    async with asyncio.timeout(20):
        while [row.state for row in await rows_for(b)] != ["sent"]:
            await asyncio.sleep(0.1)
    [row] = await rows_for(b)
    assert row.attempts == 3
    status = await admin.push_status()
    assert next(p for p in status["providers"] if p["provider"] == "gateway")["retried"] >= 2


async def test_a_dead_token_disables_the_channel(phones: MakePhone, org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    b.gateway.script.always(b.token, REJECTED)
    await a.client.send_message(direct, "第一条")
    await _until_state(b, "disabled")
    channel = await b.client.push_channel(b.device_id)
    assert channel["disabled_reason"] and b.token not in channel["disabled_reason"]
    await a.client.send_message(direct, "第二条")
    await settled()
    assert [row.state for row in await rows_for(b)] == ["invalid"]
    await b.client.attach_push(b.device_id, "gateway", b.token + "-new", "cn.gov.tongban")
    assert (await b.client.push_channel(b.device_id))["state"] == "active"


async def _until_state(phone: Phone, state: str) -> None:
    async with asyncio.timeout(10):
        while (await PushChannel.get(device_id=phone.device_id)).state != state:
            await asyncio.sleep(0.05)


@asynccontextmanager
async def _giving_up_after(server: Server, seconds: float) -> AsyncIterator[None]:
    sender = server.app.state.push.sender
    before, sender.give_up = sender.give_up, seconds
    try:
        yield
    finally:
        sender.give_up = before


async def test_a_push_failing_too_long_is_given_up_with_its_reason(
        server: Server, phones: MakePhone, org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    b.gateway.script.always(b.token, Answer(500))
    async with _giving_up_after(server, 1.0):
        await a.client.send_message(direct, "请回电")
        async with asyncio.timeout(20):
            while [row.state for row in await rows_for(b)] != ["failed"]:
                await asyncio.sleep(0.1)
    [row] = await rows_for(b)
    assert row.reason and row.reason.startswith("gave up after") and "500" in row.reason


async def test_previews_only_for_the_kinds_allowed(server: Server, phones: MakePhone,
                                                  org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    follower = server.app.state.push.follower
    before, follower.previews = follower.previews, ("chat.direct",)
    try:
        await a.client.send_message(direct, "今晚加班")
        [push] = await b.wait(1)
    finally:
        follower.previews = before
    assert push["content"]["line"] == "今晚加班"
    await a.client.send_message(direct, "明天见")
    assert (await b.wait(2))[1]["content"]["line"] == "您有一条新消息"


async def test_muted_conversation_never_rings(phones: MakePhone, org: Org) -> None:
    a, b, direct = await _pair(phones, org)
    await b.client.mute_conversation(direct)
    await a.client.send_message(direct, "在吗")
    await settled()
    assert b.pushes() == [] and await PushNotification.filter(person_id=b.id).count() == 0
