"""Helpers shared by the operations tests (retention, backup, metrics, restarts)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
from conftest import free_port
from tongban_client import TongbanClient


async def all_messages(client: TongbanClient, conversation_id: int) -> list[dict[str, Any]]:
    """Every message of a conversation, oldest first, page by page."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await client.list_messages(conversation_id, after_seq=after, limit=200)
        found += page["items"]
        if not page["items"] or not page["has_more"]:
            return found
        after = page["items"][-1]["seq"]


def cli_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a `tongban` command: this one without TONGBAN_*, plus `settings`
    (`DATABASE_URL="…"` becomes TONGBAN_DATABASE_URL)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("TONGBAN_") and key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(TONGBAN_DATA_DIR=str(data_dir), TONGBAN_ARGON2_TIME_COST="1",
               TONGBAN_ARGON2_MEMORY_KIB="1024")
    env.update({f"TONGBAN_{key}": value for key, value in settings.items()})
    return env


async def tongban(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run `tongban ARGS…`; its exit status and output (stdout and stderr together)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


class Served:
    """`tongban serve` in a process of its own, its log (stderr) kept in a file."""

    def __init__(self, env: dict[str, str], *, log: Path, workers: int = 1) -> None:
        self.env, self.log, self.workers = env, log, workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 90) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
                "--workers", str(self.workers), env=self.env,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )
        async with httpx.AsyncClient() as http, asyncio.timeout(timeout):
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"tongban serve exited: {self.log.read_text()[-2000:]}")
                try:
                    if (await http.get(f"{self.base_url}/v1/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    await asyncio.sleep(0.1)

    async def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, then its exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(timeout):
            return await self.process.wait()

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def client(self, username: str, password: str) -> TongbanClient:
        client = TongbanClient(self.base_url)
        await client.login(username, password)
        return client

    def log_lines(self) -> list[str]:
        return [line for line in self.log.read_text(encoding="utf-8").splitlines() if line]
