"""The `tongban` command line on a fresh data folder (SQLite)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


async def tongban(data_dir: Path, *args: str) -> tuple[int, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TONGBAN_")}
    env.update(TONGBAN_DATA_DIR=str(data_dir), TONGBAN_ARGON2_TIME_COST="1",
               TONGBAN_ARGON2_MEMORY_KIB="1024")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


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
