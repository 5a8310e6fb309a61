"""A server process of its own with the demo province (`tongban serve --demo`), for the tests
that need a database nobody else writes to: the guides (which use the demo's people, as a
newcomer following them would) and the fuzz run (which leaves junk behind)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from conftest import free_port, reset_postgres

DEMO_ADMIN, DEMO_PASSWORD = "admin", "tongban2026"


def server_env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TONGBAN_")}
    env.update({
        "TONGBAN_DATA_DIR": str(data_dir), "TONGBAN_DATABASE_URL": database_url,
        "TONGBAN_BUS_URL": "memory://", "TONGBAN_SECRET_KEY": "own-secret-key-for-tongban-tests",
        "TONGBAN_ARGON2_TIME_COST": "1", "TONGBAN_ARGON2_MEMORY_KIB": "1024",
        "TONGBAN_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
        "TONGBAN_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000000",
    })
    return env


async def own_database(data_dir: Path, suffix: str) -> str:
    """SQLite in `data_dir`; on PostgreSQL a database of its own beside the suite's."""
    base = os.environ.get("TONGBAN_TEST_DATABASE_URL")
    if not base:
        return f"sqlite://{data_dir / 'tongban.sqlite3'}"
    import asyncpg

    root, _, name = base.rpartition("/")
    own = f"{name.split('?')[0]}_{suffix}"
    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", own):
            await conn.execute(f'CREATE DATABASE "{own}"')
    finally:
        await conn.close()
    url = f"{root}/{own}"
    await reset_postgres(url)
    return url


@asynccontextmanager
async def demo_server(data_dir: Path, suffix: str) -> AsyncIterator[str]:
    """`tongban serve --demo` on a free port; yields its base URL."""
    env = server_env(data_dir, await own_database(data_dir, suffix))
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "serve", "--demo", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", env=env,
        stdout=asyncio.subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_up(base_url, process)
        yield base_url
    finally:
        process.terminate()
        await process.wait()


async def wait_until_up(base_url: str, process: asyncio.subprocess.Process) -> None:
    deadline = asyncio.get_running_loop().time() + 120
    async with httpx.AsyncClient() as http:
        while asyncio.get_running_loop().time() < deadline and process.returncode is None:
            try:
                if (await http.get(f"{base_url}/v1/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server process did not start")
