"""The `tongban` command line on a fresh data folder (SQLite)."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TONGBAN_")}
    env.update(TONGBAN_DATA_DIR=str(data_dir), TONGBAN_ARGON2_TIME_COST="1",
               TONGBAN_ARGON2_MEMORY_KIB="1024", **extra)
    return env


async def tongban(data_dir: Path, *args: str, **env: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, env=cli_env(data_dir, **env),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_create_admin_without_a_password_says_how_to_give_one(tmp_path: Path) -> None:
    code, out = await tongban(tmp_path, "create-admin", "chief")
    assert code == 2 and "TONGBAN_ADMIN_PASSWORD" in out and "terminal" in out
    code, out = await tongban(tmp_path, "create-admin", "chief",
                              TONGBAN_ADMIN_PASSWORD="from-the-env-1")
    assert code == 0 and "chief" in out


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux script (a pty)")
async def test_create_admin_asks_for_the_password_on_a_terminal(tmp_path: Path) -> None:
    command = shlex.join([sys.executable, "-m", "server.cli", "create-admin", "chief"])
    process = await asyncio.create_subprocess_exec(
        "script", "-qec", command, "/dev/null", env=cli_env(tmp_path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    assert process.stdin is not None and process.stdout is not None
    for _ in range(2):  # answer each prompt once it is shown
        await asyncio.wait_for(process.stdout.readuntil(b": "), 60)
        process.stdin.write(b"typed-on-a-tty-1\n")
        await process.stdin.drain()
    out = (await asyncio.wait_for(process.stdout.read(), 60)).decode()
    assert await process.wait() == 0 and "chief" in out
    code, out = await tongban(tmp_path, "audit", "verify")
    assert code == 0


async def test_create_admin_then_audit_verify(tmp_path: Path) -> None:
    code, out = await tongban(tmp_path, "create-admin", "chief", "--password", "short")
    assert code == 2 and "8 characters" in out
    code, out = await tongban(tmp_path, "create-admin", "chief", "--password", "long-enough-pw")
    assert code == 0 and "chief" in out
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    code, out = await tongban(tmp_path, "audit", "verify")
    assert code == 0 and "1 entries verified" in out


async def test_import_org_is_all_or_nothing_with_line_numbers(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    good_rows = (EXAMPLES / "org.csv").read_text(encoding="utf-8-sig").splitlines()
    bad.write_text("\n".join([*good_rows, "unit,x1,无父单位,county,nowhere,,,,,,"]) + "\n",
                   encoding="utf-8")
    code, out = await tongban(tmp_path, "import-org", str(bad))
    assert code == 1
    assert f"line {len(good_rows) + 1}" in out and "Nothing was imported" in out
    code, out = await tongban(tmp_path, "import-org", str(EXAMPLES / "org.csv"))
    assert code == 0 and "Imported" in out


@pytest.mark.parametrize("command", [["migrate"], ["demo"]])
async def test_migrate_and_demo_run_on_an_empty_folder(tmp_path: Path, command: list[str]) -> None:
    code, out = await tongban(tmp_path, *command)
    assert code == 0, out
