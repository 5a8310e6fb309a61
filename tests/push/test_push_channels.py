"""Push channels: attach, replace, detach; only the owner; logout and revocation detach; my push
settings; a test push; the operators' status."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Org, Server, logged_in
from push_helpers import APP_ID, MakePhone, fake_gateway, phones, settled
from tongban_client import ApiError, TongbanClient

from core.models import AuditEntry
from push.models import PushChannel

__all__ = ["fake_gateway", "phones"]


async def test_attach_channel_replies_without_the_token_and_audits(phones: MakePhone,
                                                                     org: Org) -> None:
    phone = await phones(org.county)
    channel = await phone.client.push_channel(phone.device_id)
    assert channel["provider"] == "gateway" and channel["app_id"] == APP_ID
    assert channel["state"] == "active" and channel["presence"] == "background"
    assert "token" not in channel
    audit = await AuditEntry.filter(action="push.attach", record_id=str(phone.device_id)).first()
    assert audit is not None and phone.token not in audit.detail


async def test_attach_channel_again_replaces_it(phones: MakePhone, org: Org) -> None:
    phone = await phones(org.county)
    await phone.client.attach_push(phone.device_id, "hms", "hms-token-1", "10086")
    assert (await phone.client.push_channel(phone.device_id))["provider"] == "hms"
    assert await PushChannel.filter(device_id=phone.device_id).count() == 1


async def test_attach_channel_takes_the_token_from_another_device(phones: MakePhone,
                                                                 org: Org) -> None:
    first = await phones(org.county)
    second = await phones(org.county)
    await second.client.attach_push(second.device_id, "gateway", first.token, APP_ID)
    assert not await PushChannel.exists(device_id=first.device_id)


async def test_attach_channel_to_someone_elses_device_is_404(phones: MakePhone,
                                                            org: Org) -> None:
    mine, theirs = await phones(org.county), await phones(org.county)
    for call in (mine.client.attach_push(theirs.device_id, "gateway", "x", APP_ID),
                 mine.client.push_channel(theirs.device_id),
                 mine.client.detach_push(theirs.device_id),
                 mine.client.test_push(theirs.device_id)):
        with pytest.raises(ApiError) as caught:
            await call
        assert caught.value.status == 404


async def test_attach_channel_refuses_bad_input(phones: MakePhone, org: Org) -> None:
    phone = await phones(org.county)
    for provider, token in (("pigeon", "x"), ("apns", ""), ("apns", "has space")):
        with pytest.raises(ApiError) as caught:
            await phone.client.attach_push(phone.device_id, provider, token, APP_ID)
        assert caught.value.status == 422


async def test_attach_channel_to_a_revoked_device_is_409(phones: MakePhone, org: Org) -> None:
    phone = await phones(org.county, attach=False)
    await phone.client.revoke_device(phone.device_id)
    with pytest.raises(ApiError) as caught:
        await phone.client.attach_push(phone.device_id, "gateway", phone.token, APP_ID)
    assert caught.value.status == 409


async def test_detach_channel_stops_pushes(phones: MakePhone, org: Org) -> None:
    phone = await phones(org.county)
    await phone.client.detach_push(phone.device_id)
    await phone.client.detach_push(phone.device_id)  # detaching twice is not an error
    with pytest.raises(ApiError) as caught:
        await phone.client.push_channel(phone.device_id)
    assert caught.value.status == 404


async def _until_detached(device_id: int) -> None:
    async with asyncio.timeout(10):
        while await PushChannel.exists(device_id=device_id):
            await asyncio.sleep(0.05)


async def test_logout_detaches_the_channel(phones: MakePhone, org: Org) -> None:
    phone = await phones(org.county)
    await phone.client.logout()
    await _until_detached(phone.device_id)


async def test_device_revocation_detaches_the_channel(phones: MakePhone, org: Org) -> None:
    phone = await phones(org.county)
    await phone.client.revoke_device(phone.device_id)
    await _until_detached(phone.device_id)


async def test_admin_ending_sessions_detaches_the_channel(phones: MakePhone, org: Org,
                                                         admin: TongbanClient) -> None:
    phone = await phones(org.county)
    await admin.revoke_sessions(phone.id)
    await _until_detached(phone.device_id)


async def test_push_settings_default_then_set(phones: MakePhone, org: Org) -> None:
    phone = await phones(org.county)
    assert await phone.client.push_settings() == {
        "urgent_during_quiet": True, "sms_phone": None, "quiet_hours": None}
    await phone.client.set_quiet_hours("22:00", "07:00")
    changed = await phone.client.set_push_settings(urgent_during_quiet=False,
                                                   sms_phone="13800138000")
    assert changed == {"urgent_during_quiet": False, "sms_phone": "13800138000",
                       "quiet_hours": {"start": "22:00", "end": "07:00",
                                       "timezone": "Asia/Shanghai"}}
    with pytest.raises(ApiError) as caught:
        await phone.client.set_push_settings(sms_phone="call me")
    assert caught.value.status == 422


async def test_test_push_reaches_the_phone(phones: MakePhone, org: Org) -> None:
    phone = await phones(org.county)
    queued = await phone.client.test_push(phone.device_id)
    assert queued["device_id"] == phone.device_id
    [push] = await phone.wait(1)
    assert push["type"] == "push.test" and push["content"]["line"] == "通办推送测试"


async def test_push_status_is_for_admins_only(phones: MakePhone, org: Org,
                                             admin: TongbanClient) -> None:
    phone = await phones(org.county)
    await phone.client.test_push(phone.device_id)
    await phone.wait(1)
    await settled()
    status = await admin.push_status()
    [gateway] = [p for p in status["providers"] if p["provider"] == "gateway"]
    assert gateway["sent"] >= 1 and gateway["channels_active"] >= 1
    assert status["outbox_depth"] >= 0
    with pytest.raises(ApiError) as caught:
        await phone.client.push_status()
    assert caught.value.status == 403


async def test_push_channel_presence_follows_the_websocket(phones: MakePhone, org: Org,
                                                          server: Server) -> None:
    phone = await phones(org.county)
    stream = phone.client.events(after=0)
    try:
        await stream.set_presence("foreground")
        reader = asyncio.create_task(stream.__anext__())
        await _until_presence(phone, "foreground")
        await stream.set_presence("background")
        await _until_presence(phone, "background")
        reader.cancel()
    finally:
        await stream.aclose()


async def _until_presence(phone: object, state: str) -> None:
    async with asyncio.timeout(10):
        while (await phone.client.push_channel(phone.device_id))["presence"] != state:  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)


async def test_a_bad_presence_frame_closes_the_socket(server: Server, phones: MakePhone,
                                                    org: Org) -> None:
    import json

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    phone = await phones(org.county)
    async with connect(phone.client.ws_url) as ws:
        await ws.send(json.dumps({"type": "hello", "token": phone.client.access_token,
                                  "after": 0}))
        await ws.recv()  # ready
        await ws.send(json.dumps({"type": "presence", "state": "asleep"}))
        async with asyncio.timeout(5):
            while True:
                try:
                    await ws.recv()
                except ConnectionClosed:
                    break
    assert ws.close_code == 4400


async def test_login_elsewhere_keeps_the_channel(server: Server, phones: MakePhone,
                                                org: Org) -> None:
    phone = await phones(org.county)
    other = await logged_in(server, phone.person)
    await other.logout()
    await settled()
    assert await PushChannel.exists(device_id=phone.device_id)
    await other.aclose()
