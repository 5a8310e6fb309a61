"""The audit chain: every action leaves an entry; editing or deleting one breaks `audit verify`."""

from __future__ import annotations

import asyncio
import os
import sys

from conftest import Org, Server
from tongban_client import TongbanClient

from core.models import AuditEntry


async def audit_verify(server: Server) -> tuple[int, str]:
    env = {**os.environ, "TONGBAN_DATABASE_URL": server.settings.database_url,
           "TONGBAN_DATA_DIR": str(server.settings.data_dir),
           "TONGBAN_SECRET_KEY": server.settings.secret_key}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "audit", "verify", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_actions_are_recorded_with_who_and_from_where(
    admin: TongbanClient, org: Org
) -> None:
    unit = await admin.create_unit("审计测试科", org.county, "county")
    entry = await AuditEntry.filter(action="org.unit.create", record_id=str(unit["id"])).first()
    assert entry is not None
    me = await admin.me()
    assert entry.actor_id == me["id"] and entry.session_id == me["session_id"]
    assert entry.address == "127.0.0.1"


async def test_the_intact_chain_verifies(server: Server, admin: TongbanClient) -> None:
    code, out = await audit_verify(server)
    assert code == 0, out
    assert "intact" in out


async def test_an_edited_entry_is_named(server: Server, admin: TongbanClient, org: Org) -> None:
    await admin.create_unit("篡改目标", org.county, "county")
    target = await AuditEntry.filter(action="org.unit.create").order_by("-seq").first()
    assert target is not None
    await AuditEntry.filter(id=target.id).update(detail='{"name":"伪造"}')
    try:
        code, out = await audit_verify(server)
    finally:
        await AuditEntry.filter(id=target.id).update(detail=target.detail)
    assert code == 1
    assert f"seq={target.seq}" in out and "edited" in out
    assert (await audit_verify(server))[0] == 0


async def test_a_deleted_entry_is_detected(server: Server, admin: TongbanClient, org: Org) -> None:
    await admin.create_unit("删除目标一", org.county, "county")
    await admin.create_unit("删除目标二", org.county, "county")
    victim = await AuditEntry.filter(action="org.unit.create").order_by("-seq").offset(1).first()
    assert victim is not None
    saved = {field: getattr(victim, field) for field in AuditEntry._meta.fields_map}
    await victim.delete()
    try:
        code, out = await audit_verify(server)
    finally:
        await AuditEntry.create(**saved)
    assert code == 1
    assert f"seq={victim.seq + 1}" in out and "deleted" in out
    assert (await audit_verify(server))[0] == 0
