"""`tongban push status` and `tongban push test DEVICE` against the session's database."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from conftest import Org, Server
from fakes import FakeGateway
from push_helpers import MakePhone, fake_gateway, phones, settled

__all__ = ["fake_gateway", "phones"]


async def tongban(server: Server, *args: str, **extra: str) -> tuple[int, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TONGBAN_")}
    env.update(TONGBAN_DATA_DIR=str(server.settings.data_dir),
               TONGBAN_DATABASE_URL=server.settings.database_url,
               TONGBAN_SECRET_KEY=server.settings.secret_key, **extra)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_push_test_sends_from_the_command_line(server: Server, phones: MakePhone, org: Org,
                                                    fake_gateway: FakeGateway) -> None:
    phone = await phones(org.county)
    code, out = await tongban(server, "push", "test", str(phone.device_id),
                              TONGBAN_PUSH_GATEWAY_URL=fake_gateway.notify_url)
    assert code == 0, out
    assert f"to device {phone.device_id} via gateway: sent" in out
    [push] = phone.pushes()
    assert push["type"] == "push.test"


async def test_push_test_without_a_channel_or_provider_says_why(
        server: Server, phones: MakePhone, org: Org, fake_gateway: FakeGateway) -> None:
    phone = await phones(org.county, attach=False)
    code, out = await tongban(server, "push", "test", str(phone.device_id))
    assert code == 1 and "no push channel" in out
    await phone.client.attach_push(phone.device_id, "apns", "a" * 64, "cn.gov.tongban")
    code, out = await tongban(server, "push", "test", str(phone.device_id))
    assert code == 1 and "'apns' is not configured" in out


async def test_push_status_prints_counts_per_provider(server: Server, phones: MakePhone,
                                                     org: Org) -> None:
    phone = await phones(org.county)
    await phone.client.test_push(phone.device_id)
    await phone.wait(1)
    await settled()
    code, out = await tongban(server, "push", "status")
    assert code == 0 and "Outbox depth:" in out and "gateway: sent " in out
    code, out = await tongban(server, "push", "status", "--json")
    status = json.loads(out)
    assert any(p["provider"] == "gateway" and p["sent"] >= 1 for p in status["providers"])
