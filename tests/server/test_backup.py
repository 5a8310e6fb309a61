"""Backup while 20 clients send, restore into a fresh folder, and refuse a damaged archive.

The backup is taken of the session's server while it serves; the restore is checked through a
real `tongban serve` on the restored folder, as an office moving to a new machine would.
On PostgreSQL the database part is done with pg_dump/pg_restore, as the README says.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import PASSWORD, Org, Server, logged_in, make_person, unique
from ops_helpers import Served, all_messages, cli_env, tongban
from tongban_client import TongbanClient

SENDERS = 20
MARKER = b"backup-marker:" + b"\xe6\x96\x87" * 2000  # an upload whose bytes the test can find


@dataclass
class Acked:
    conversation_id: int
    message: dict[str, Any]
    at: float  # monotonic time the reply arrived


@dataclass
class BackedUp:
    archive: Path
    database_url: str | None  # the database restored with pg_restore (PostgreSQL), else None
    started: float
    ended: float
    acked: list[Acked]
    members: dict[int, dict[str, Any]]  # conversation id → a member who can read it
    upload: dict[str, Any]
    folder: Path
    failures: list[BaseException] = field(default_factory=list)


async def send_until(client: TongbanClient, conversation_id: int, stop: asyncio.Event,
                     acked: list[Acked], failures: list[BaseException]) -> None:
    n = 0
    while not stop.is_set():
        try:
            message = await client.send_message(conversation_id, f"备份期间{conversation_id}-{n}")
        except Exception as exc:  # counted: the test requires none
            failures.append(exc)
            return
        acked.append(Acked(conversation_id, message, time.monotonic()))
        n += 1


async def pg_dump(url: str, target: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        "pg_dump", "--format=custom", f"--file={target}", url.replace("postgres://", "postgresql://", 1))
    assert await process.wait() == 0


async def on_server(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    await on_server(f"{base}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def pg_restore_into_fresh(url: str, dump: Path) -> str:
    """A new database `<name>_restore` beside the test database, restored from `dump`."""
    base, name = url.rsplit("/", 1)
    fresh = f"{name.split('?')[0]}_restore"
    await on_server(url, f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)',
                    f'CREATE DATABASE "{fresh}"')
    fresh_url = f"{base}/{fresh}"
    process = await asyncio.create_subprocess_exec(
        "pg_restore", "--no-owner", f"--dbname={fresh_url.replace('postgres://', 'postgresql://', 1)}",
        str(dump))
    assert await process.wait() == 0
    return fresh_url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def backed_up(server: Server, admin: TongbanClient, org: Org,
                    tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BackedUp]:
    on_postgres = server.settings.database_url.startswith("postgres")
    if on_postgres and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")
    folder = tmp_path_factory.mktemp("backup")
    unit = await admin.create_unit(unique("备份科"), org.county, "county")
    people = [await make_person(admin, unit["id"]) for _ in range(SENDERS)]
    clients = [await logged_in(server, person) for person in people]
    groups = [people[i:i + 5] for i in range(0, SENDERS, 5)]
    chats = [await clients[i * 5].create_group_chat(f"备份组{i}", [p["id"] for p in group[1:]])
             for i, group in enumerate(groups)]
    upload = await clients[0].upload_file(MARKER, filename="材料.bin",
                                          content_type="application/octet-stream")
    await clients[0].send_message(chats[0]["id"], "附件", file_ids=[upload["id"]])
    stop, acked, failures = asyncio.Event(), [], []
    senders = [asyncio.create_task(send_until(client, chats[n // 5]["id"], stop, acked, failures))
               for n, client in enumerate(clients)]
    await asyncio.sleep(0.5)
    archive, dump = folder / "tongban.tar", folder / "tongban.pgdump"
    env = cli_env(server.settings.data_dir, DATABASE_URL=server.settings.database_url)
    started = time.monotonic()
    if on_postgres:
        await pg_dump(server.settings.database_url, dump)  # first: see README, Operations
    code, out = await tongban(env, "backup", "--out", str(archive))
    ended = time.monotonic()
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*senders)
    assert code == 0, out
    for client in clients:
        await client.aclose()
    restored_db = await pg_restore_into_fresh(server.settings.database_url, dump) \
        if on_postgres else None
    members = {chat["id"]: group[0] for chat, group in zip(chats, groups, strict=True)}
    yield BackedUp(archive, restored_db, started, ended, acked, members, upload, folder, failures)
    if restored_db:
        await drop_database(restored_db)


async def test_a_backup_taken_while_20_clients_send_restores_every_acknowledged_message(
    backed_up: BackedUp,
) -> None:
    assert not backed_up.failures
    assert len({a.message["sender_id"] for a in backed_up.acked}) == SENDERS
    fresh = backed_up.folder / "restored"
    settings = {"DATABASE_URL": backed_up.database_url} if backed_up.database_url else {}
    (code, out), (restored, restore_out) = await asyncio.gather(
        tongban(cli_env(backed_up.folder), "backup", "--verify", str(backed_up.archive)),
        tongban(cli_env(fresh, **settings), "restore", str(backed_up.archive)),
    )
    assert code == 0 and out.startswith("OK"), out
    assert restored == 0, restore_out
    code, out = await tongban(cli_env(fresh, **settings), "audit", "verify")
    assert code == 0 and "intact" in out, out
    served = Served(cli_env(fresh, **settings), log=backed_up.folder / "restored.log")
    await served.start()
    try:
        await check_restored_messages(served, backed_up)
    finally:
        assert await served.terminate() == 0


async def check_restored_messages(served: Served, backed_up: BackedUp) -> None:
    by_conversation: dict[int, list[Acked]] = defaultdict(list)
    for acked in backed_up.acked:
        by_conversation[acked.conversation_id].append(acked)
    restored_total = 0
    for conversation_id, member in backed_up.members.items():
        client = await served.client(member["username"], PASSWORD)
        restored = {m["id"]: m for m in await all_messages(client, conversation_id)}
        sent = sorted(by_conversation[conversation_id], key=lambda a: a.message["seq"])
        kept = [a for a in sent if a.message["id"] in restored]
        # the snapshot is one moment: what it holds of the sends is a prefix, nothing skipped
        assert kept == sent[: len(kept)]
        assert all(restored[a.message["id"]]["body"] == a.message["body"] for a in kept)
        assert all(a.message["id"] in restored for a in sent if a.at < backed_up.started)
        restored_total += len(kept)
        if conversation_id == next(iter(backed_up.members)):
            assert await client.download_file(backed_up.upload["id"]) == MARKER
        await client.aclose()
    assert 0 < restored_total < len(backed_up.acked)  # sends went on after the snapshot


def damaged_copies(archive: Path, folder: Path) -> list[Path]:
    """One copy with a byte of the upload's content flipped, one cut short."""
    content = bytearray(archive.read_bytes())
    flipped, cut = folder / "flipped.tar", folder / "cut.tar"
    at = content.index(MARKER) + len(MARKER) // 2
    content[at] ^= 0x01
    flipped.write_bytes(content)
    cut.write_bytes(archive.read_bytes()[: len(content) * 2 // 3])
    return [flipped, cut]


async def test_a_damaged_archive_is_refused_by_verify_and_by_restore(backed_up: BackedUp) -> None:
    settings = {"DATABASE_URL": backed_up.database_url} if backed_up.database_url else {}
    damaged = damaged_copies(backed_up.archive, backed_up.folder)
    targets = [backed_up.folder / f"restore-{copy.stem}" for copy in damaged]
    results = await asyncio.gather(
        *(tongban(cli_env(backed_up.folder), "backup", "--verify", str(copy)) for copy in damaged),
        *(tongban(cli_env(target, **settings), "restore", str(copy))
          for copy, target in zip(damaged, targets, strict=True)),
        tongban(cli_env(backed_up.folder), "restore", str(backed_up.archive)),
    )
    verified, restored, over_existing = results[:2], results[2:4], results[4]
    assert all(code == 1 and "DAMAGED" in out for code, out in verified), verified
    assert "content does not match its checksum" in verified[0][1]
    assert all(code == 1 and "Nothing was restored" in out for code, out in restored), restored
    assert all(not target.exists() or not any(target.iterdir()) for target in targets)
    code, out = over_existing
    assert code == 2 and "not empty" in out  # never over an existing installation
