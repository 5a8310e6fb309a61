"""Signed checkpoints: the attacks an insider with write access to the database can make on the
audit chain — cut its tail, edit and rehash, delete and renumber — pass `audit verify` alone
and are named by `audit verify --checkpoints` (issue 15). Driven through the CLI on a SQLite
folder of its own, so the session's chain stays whole."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import Server

from core.signednote import NoteKey

HERE = Path(__file__).resolve().parent


async def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


def env_for(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TONGBAN_")}
    env.update(TONGBAN_DATA_DIR=str(data_dir), TONGBAN_ARGON2_TIME_COST="1",
               TONGBAN_ARGON2_MEMORY_KIB="1024")
    return env


async def tongban(data_dir: Path, *args: str) -> tuple[int, str]:
    return await run("-m", "server.cli", *args, env=env_for(data_dir))


async def attack(data_dir: Path, *command: str) -> None:
    url = f"sqlite://{data_dir / 'tongban.sqlite3'}"
    code, out = await run(str(HERE / "audit_tools.py"), url, *command, env=env_for(data_dir))
    assert code == 0, out


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chain of 21 entries with two checkpoints, at 20 and at 21."""
    data = tmp_path_factory.mktemp("audit")
    await attack(data, "seed", "20")
    assert (await tongban(data, "audit", "checkpoint", "--out", str(data / "cp")))[0] == 0
    await attack(data, "seed", "1")
    code, out = await tongban(data, "audit", "checkpoint", "--out", str(data / "cp"))
    assert code == 0 and "entry 21" in out, out
    return data


def copy_of(signed: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(signed, tmp_path / "copy"))


async def verify(data: Path) -> tuple[int, str]:
    return await tongban(data, "audit", "verify", "--checkpoints", str(data / "cp"))


async def test_a_checkpoint_is_a_signed_note_that_its_verifier_key_opens(signed: Path) -> None:
    notes = sorted((signed / "cp").glob("*.note"))
    assert len(notes) == 2 and (signed / "audit-signing.key").stat().st_mode & 0o777 == 0o600
    code, out = await verify(signed)
    assert code == 0 and "2 signed checkpoint(s) agree" in out, out
    key = NoteKey.from_signer((signed / "audit-signing.key").read_text())
    verifier = NoteKey.from_verifier(key.verifier())
    origin, size = verifier.open(notes[-1].read_text()).splitlines()[:2]
    assert origin == "tongban/audit" and int(size) == 21
    assert "\n\n\u2014 tongban/audit " in notes[-1].read_text()


async def test_truncation_is_detected(signed: Path, tmp_path: Path) -> None:
    data = copy_of(signed, tmp_path)
    await attack(data, "truncate")
    code, out = await verify(data)
    assert code == 1 and "TRUNCATED" in out, out


async def test_an_edit_rehashed_through_the_whole_chain_is_detected(
    signed: Path, tmp_path: Path
) -> None:
    data = copy_of(signed, tmp_path)
    await attack(data, "rehash")
    assert (await tongban(data, "audit", "verify"))[0] == 0  # the chain alone cannot tell
    code, out = await verify(data)
    assert code == 1 and out.count("REWRITTEN") == 2 and "at or before seq" in out, out
    code, out = await tongban(data, "audit", "checkpoint", "--out", str(data / "cp"))
    assert code == 1 and "No checkpoint was signed" in out  # and it will not be vouched for
    assert len(list((data / "cp").glob("*.note"))) == 2


async def test_deletion_and_renumbering_is_detected(signed: Path, tmp_path: Path) -> None:
    data = copy_of(signed, tmp_path)
    await attack(data, "renumber")
    code, out = await verify(data)
    assert code == 1 and "RENUMBERED" in out and "TRUNCATED" in out, out


async def test_a_forged_checkpoint_is_named(signed: Path, tmp_path: Path) -> None:
    data = copy_of(signed, tmp_path)
    forger = NoteKey.generate("tongban/audit")
    (data / "cp" / "audit-999999999999-forged.note").write_text(
        forger.sign("tongban/audit\n999999999999\nAAAA\nrow 1\ntime now\n"))
    code, out = await verify(data)
    assert code == 1 and "FORGED OR DAMAGED: checkpoint audit-999999999999-forged.note" in out


async def test_checkpoints_are_also_written_on_a_schedule(server: Server) -> None:
    folder = server.settings.audit_checkpoint_dir
    assert folder is not None
    for _ in range(100):
        if list(folder.glob("*.note")):
            break
        await asyncio.sleep(0.1)
    env = {**env_for(server.settings.data_dir),
           "TONGBAN_DATABASE_URL": server.settings.database_url}
    code, out = await run("-m", "server.cli", "audit", "verify", "--checkpoints", str(folder),
                          env=env)
    assert code == 0 and "1 signed checkpoint(s) agree" in out, out
