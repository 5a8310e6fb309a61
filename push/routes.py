"""HTTP routes of push: a device's push channel, my push settings, a test push, and the
operators' status."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.http import parse_json, path_int, reply, route
from directory.auth import authenticate
from directory.queries import access_device
from push import actions, queries
from push.schemas import (
    ChannelIn,
    ChannelPublic,
    PushSettingsIn,
    PushSettingsPublic,
    PushStatus,
    TestQueued,
)


async def attach_channel(request: Request) -> Response:
    actor = await authenticate(request)
    device = await access_device(actor, path_int(request, "device_id"))
    body = await parse_json(request, ChannelIn)
    channel = await actions.do_attach_channel(device, actor=actor, provider=body.provider,
                                              token=body.token, app_id=body.app_id)
    return reply(queries.channel_public(channel))


async def show_channel(request: Request) -> Response:
    actor = await authenticate(request)
    device = await access_device(actor, path_int(request, "device_id"))
    return reply(queries.channel_public(await queries.access_channel(device)))


async def detach_channel(request: Request) -> Response:
    actor = await authenticate(request)
    device = await access_device(actor, path_int(request, "device_id"))
    await actions.do_detach_channel(device, actor=actor)
    return Response(status_code=204)


async def test_channel(request: Request) -> Response:
    actor = await authenticate(request)
    device = await access_device(actor, path_int(request, "device_id"))
    channel = await queries.access_channel(device)
    row = await actions.do_queue_test(channel, actor_id=actor.id)
    request.app.state.push.wake()
    return reply({"notification_id": row.id, "device_id": device.id}, status=202)


async def show_push_settings(request: Request) -> Response:
    actor = await authenticate(request)
    return reply(await queries.my_settings(actor))


async def set_push_settings(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, PushSettingsIn)
    await actions.do_set_push_settings(actor=actor, urgent_during_quiet=body.urgent_during_quiet,
                                       sms_phone=body.sms_phone)
    return reply(await queries.my_settings(actor))


async def show_push_status(request: Request) -> Response:
    actor = await authenticate(request)
    queries.require_admin(actor)
    return reply(await queries.push_status())


DEVICE_404 = "Unless the device is yours."

routes = [
    route("/v1/devices/{device_id}/push", attach_channel, "PUT", "Attach a push channel",
          body=ChannelIn, response=ChannelPublic, tag="push",
          errors={404: DEVICE_404, 409: "The device is revoked."},
          description="The device's owner attaches its push registration (离线推送); one channel "
                      "per device, replaced by a second call. Logging out of this session or "
                      "revoking the device detaches it. 404 unless it is your device."),
    route("/v1/devices/{device_id}/push", show_channel, "GET", "The device's push channel",
          response=ChannelPublic, tag="push",
          errors={404: DEVICE_404 + " Also when no channel is attached."},
          description="Its owner only: the provider, the state (`disabled` once the provider "
                      "called the token dead) and the presence the server knows."),
    route("/v1/devices/{device_id}/push", detach_channel, "DELETE", "Detach the push channel",
          status=204, tag="push", errors={404: DEVICE_404},
          description="Its owner only: nothing more is pushed to the device. Detaching a device "
                      "with no channel is not an error."),
    route("/v1/devices/{device_id}/push/test", test_channel, "POST", "Send a test push",
          response=TestQueued, status=202, tag="push",
          errors={404: DEVICE_404 + " Also when no channel is attached."},
          description="Its owner only: queues a push with the line 「通办推送测试」 to the device."),
    route("/v1/me/push-settings", show_push_settings, "GET", "My push settings",
          response=PushSettingsPublic, tag="push",
          description="Anyone signed in, for themselves: whether urgent items ring through quiet "
                      "hours, the SMS escalation number, and the quiet hours in force."),
    route("/v1/me/push-settings", set_push_settings, "PUT", "Set my push settings",
          body=PushSettingsIn, response=PushSettingsPublic, tag="push",
          description="Anyone signed in, for themselves. Quiet hours themselves are set at "
                      "`PUT /v1/me/quiet-hours`."),
    route("/v1/admin/push/status", show_push_status, "GET", "Push status (operators)",
          response=PushStatus, tag="push", errors={403: "Unless you are an administrator."},
          description="Administrators only: per provider, pushes sent, retried, failed, invalid "
                      "and dropped, channels active and disabled, and the outbox depth."),
]
