"""Factories for the push tests: the fake providers installed into the session's server, phones
(a person, a signed-in client, a registered device with a push channel on the fake gateway),
and waiting for what the fake gateway received."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from conftest import Server, logged_in, make_person
from fakes import FakeGateway, FakeSms
from tongban_client import DeviceKey, TongbanClient

from core.clock import utcnow
from core.feed import head_id
from push.models import PushCursor, PushNotification
from push.providers import http
from push.providers.gateway import GatewayProvider
from push.sms import WebhookSms

Json = dict[str, Any]
SMS_TOKEN = "sms-webhook-token"
APP_ID = "cn.gov.tongban"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fake_gateway(server: Server) -> AsyncIterator[FakeGateway]:
    """A Matrix-shaped push gateway on loopback, used by the server as provider `gateway`."""
    fake = FakeGateway()
    await fake.start()
    provider = GatewayProvider.from_url(fake.notify_url, timeout=5.0, connections=100)
    server.app.state.push.use_provider(provider)
    yield fake
    await provider.close()
    await fake.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fake_sms(server: Server) -> AsyncIterator[FakeSms]:
    """An SMS webhook on loopback, used by the server for escalation."""
    fake = FakeSms(token=SMS_TOKEN)
    await fake.start()
    sms = WebhookSms(fake.sms_url, token=SMS_TOKEN, pool=http.Pool(timeout=5.0, connections=5))
    server.app.state.push.use_sms(sms)
    yield fake
    await sms.close()
    await fake.stop()


@dataclass
class Phone:
    """A person signed in on a phone whose push channel points at the fake gateway."""

    person: Json
    client: TongbanClient
    key: DeviceKey
    device_id: int
    token: str
    gateway: FakeGateway

    @property
    def id(self) -> int:
        return int(self.person["id"])

    def pushes(self) -> list[Json]:
        """Every notification the gateway got for this phone, oldest first."""
        return [got.body["notification"] for got in self.gateway.script.received
                if any(d.get("pushkey") == self.token
                       for d in got.body.get("notification", {}).get("devices", []))]

    def kinds(self) -> list[str]:
        return [push["type"] for push in self.pushes() if not push["content"]["withdraw"]]

    async def wait(self, count: int, timeout: float = 10.0) -> list[Json]:
        """The first `count` pushes to this phone, once they have all come."""
        async with asyncio.timeout(timeout):
            while len(self.pushes()) < count:
                await asyncio.sleep(0.02)
        return self.pushes()[:count]


MakePhone = Callable[..., Awaitable[Phone]]


@pytest_asyncio.fixture(loop_scope="session")
async def phones(server: Server, admin: TongbanClient,
                 fake_gateway: FakeGateway) -> AsyncIterator[MakePhone]:
    """`await phones(unit_id, roles=[…])`: one more official with a phone attached for push."""
    made: list[Phone] = []

    async def make(unit_id: int, roles: list[str] | None = None, *,
                   attach: bool = True) -> Phone:
        person = await make_person(admin, unit_id, roles=roles or [])
        client = await logged_in(server, person)
        key = DeviceKey.generate()
        device = await client.register_device("办公手机", "android", key)
        token = f"pushkey-{uuid.uuid4().hex}"
        if attach:
            await client.attach_push(device["id"], "gateway", token, APP_ID)
        made.append(Phone(person, client, key, int(device["id"]), token, fake_gateway))
        return made[-1]

    yield make
    for phone in made:
        await phone.client.aclose()


async def settled(timeout: float = 10.0) -> None:
    """Wait until the follower has mapped the whole feed and nothing due is left unsent."""
    async with asyncio.timeout(timeout):
        while True:
            cursor = await PushCursor.get_or_none(name="follower")
            due = await PushNotification.filter(state="pending", due_at__lte=utcnow()).count()
            if cursor is not None and cursor.position >= await head_id() and due == 0:
                return
            await asyncio.sleep(0.05)


async def rows_for(phone: Phone) -> list[PushNotification]:
    return await PushNotification.filter(person_id=phone.id).order_by("id")
