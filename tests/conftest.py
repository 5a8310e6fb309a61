"""Test harness: one server per test session, on SQLite by default.

Set `TONGBAN_TEST_DATABASE_URL` (PostgreSQL) and `TONGBAN_TEST_BUS_URL` (Redis) to run the same
suite against real engines. The app runs in the test's event loop behind a real uvicorn on a
free loopback port (for websockets); HTTP calls go in-process through httpx's ASGI transport.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from tongban_client import EventStream, TongbanClient

from contract import Contract, report
from core.config import Settings
from server.app import create_app
from server.serving import uvicorn_options

ADMIN_PASSWORD = "admin-password-1"
CONTRACT: Contract | None = None  # set with the session's server; checks every reply it sends
PASSWORD = "password-123"
_names = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_for_tests(data_dir: Path, **changes: Any) -> Settings:
    url = os.environ.get("TONGBAN_TEST_DATABASE_URL") or f"sqlite://{data_dir / 'test.sqlite3'}"
    base = Settings(
        data_dir=data_dir, database_url=url,
        bus_url=os.environ.get("TONGBAN_TEST_BUS_URL", "memory://"),
        secret_key="test-secret-key-for-tongban", argon2_time_cost=1, argon2_memory_kib=1024,
        login_attempts_per_account=5, login_attempts_per_address=20,
        allowed_origins=("https://app.tongban.test",), feed_poll_seconds=0.5,
        audit_checkpoint_dir=data_dir / "checkpoints", parse_seconds=3.0,
        header_timeout_seconds=2.0, body_timeout_seconds=2.0,
    )
    return base.with_overrides(**changes)


async def reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


class Server:
    """The app under test, served by uvicorn in this event loop."""

    def __init__(self, app: Starlette, port: int, settings: Settings) -> None:
        self.app, self.port, self.settings = app, port, settings
        self.base_url = f"http://127.0.0.1:{port}"
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
            **uvicorn_options(self.settings),
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server and self._task:
            self._server.should_exit = True
            await self._task

    def client(self, *, address: str = "127.0.0.1", origin: str | None = None) -> TongbanClient:
        transport = httpx.ASGITransport(
            app=self.app, raise_app_exceptions=False, client=(address, 40000)
        )
        return TongbanClient(self.base_url, transport=checked(transport), origin=origin)

    def http(self) -> httpx.AsyncClient:
        """A bare httpx client of the app (for requests the client library would not make)."""
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=checked(transport), base_url=self.base_url)


def checked(transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """`transport`, with every response held to the OpenAPI document (see tests/contract.py)."""
    return CONTRACT.wrap(transport) if CONTRACT is not None else transport


class OtherProcess:
    """Another server process on the same database, bus and secret (a scaled-out deployment)."""

    def __init__(self, server: Server) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "TONGBAN_DATABASE_URL": server.settings.database_url,
            "TONGBAN_BUS_URL": server.settings.bus_url,
            "TONGBAN_SECRET_KEY": server.settings.secret_key,
            "TONGBAN_DATA_DIR": str(server.settings.data_dir),
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", "127.0.0.1",
            "--port", str(self.port), "--ws", "websockets-sansio", "--log-level", "warning",
            env=self.env,
        )
        # A loaded machine (CI runs beside other work) may take many seconds to import it all.
        deadline = asyncio.get_running_loop().time() + 90
        async with httpx.AsyncClient() as http:
            while asyncio.get_running_loop().time() < deadline and self.process.returncode is None:
                try:
                    if (await http.get(f"{self.base_url}/v1/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        await self.stop()  # never leave it running behind a failed test
        raise RuntimeError("the second server did not start")

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    async def client_for(self, person: dict[str, Any]) -> TongbanClient:
        """A client of this process, logged in as `person` (made by `make_person`)."""
        client = TongbanClient(self.base_url, transport=checked(httpx.AsyncHTTPTransport()))
        await client.login(person["username"], PASSWORD)
        return client

    async def __aenter__(self) -> OtherProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def read_feed(client: TongbanClient, after: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Every event after `after` that the client may see, and the feed position reached."""
    found: list[dict[str, Any]] = []
    while True:
        page = await client.fetch_events(after=after, limit=500)
        found += page["events"]
        if not page["events"]:
            return found, int(page["last_event_id"])
        after = page["last_event_id"]


async def take(stream: EventStream, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The next `count` events of a stream, failing the test if they do not come in time."""

    async def collect() -> list[dict[str, Any]]:
        return [await stream.__anext__() for _ in range(count)]

    return await asyncio.wait_for(collect(), timeout)


def _whole_run(config: pytest.Config) -> bool:
    """Only a run of the whole suite can say that an operation is called by no test."""
    if os.environ.get("TONGBAN_CONTRACT_COVERAGE") == "1":
        return True
    narrowed = ("keyword", "markexpr", "lf", "deselect", "exitfirst")
    return (config.args_source == pytest.Config.ArgsSource.TESTPATHS
            and not any(getattr(config.option, name, None) for name in narrowed))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if CONTRACT is None:
        return
    if CONTRACT.failures:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if _whole_run(session.config) and exitstatus == 0 and CONTRACT.uncovered():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if CONTRACT is None:
        return
    for line in report(CONTRACT):
        terminalreporter.write_line(line)
    uncovered = CONTRACT.uncovered()
    if _whole_run(config) and uncovered:
        terminalreporter.write_line(f"Operations in the OpenAPI document that no test calls "
                                    f"({len(uncovered)}):", red=True)
        for key in uncovered:
            terminalreporter.write_line(f"  {key}", red=True)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    settings = settings_for_tests(tmp_path_factory.mktemp("tongban"))
    if settings.database_url.startswith("postgres"):
        await reset_postgres(settings.database_url)
    instance = Server(create_app(settings), free_port(), settings)
    global CONTRACT
    CONTRACT = Contract(instance.app.state.openapi)
    await instance.start()
    from directory.bootstrap import create_admin

    await create_admin("root", ADMIN_PASSWORD, settings=settings)
    yield instance
    await instance.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def admin(server: Server) -> AsyncIterator[TongbanClient]:
    client = server.client()
    await client.login("root", ADMIN_PASSWORD)
    yield client
    await client.aclose()


class Org:
    """A small tree made once per session: 省 → 市 → 县 → 乡 (and a second county)."""

    def __init__(self, ids: dict[str, int]) -> None:
        self.ids = ids

    def __getattr__(self, name: str) -> int:
        return self.ids[name]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def org(admin: TongbanClient) -> Org:
    province = await admin.create_unit("测试省", None, "province")
    city = await admin.create_unit("测试市", province["id"], "city")
    county = await admin.create_unit("测试县", city["id"], "county")
    township = await admin.create_unit("测试镇", county["id"], "township")
    other = await admin.create_unit("邻县", city["id"], "county")
    return Org({"province": province["id"], "city": city["id"], "county": county["id"],
                "township": township["id"], "other_county": other["id"]})


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names):04d}"


async def make_person(
    admin: TongbanClient, unit_id: int, *, roles: list[str] | None = None,
    display_name: str | None = None, position: str = "科员",
) -> dict[str, Any]:
    """A person created through the API; returns their public record plus `username`."""
    username = unique("user")
    return await admin.create_person(
        username, display_name or f"测试{username}", PASSWORD, unit_id, position, roles or []
    )


async def logged_in(server: Server, person: dict[str, Any], **options: Any) -> TongbanClient:
    client = server.client(**options)
    await client.login(person["username"], PASSWORD)
    return client


@pytest_asyncio.fixture(loop_scope="session")
async def person(admin: TongbanClient, org: Org) -> dict[str, Any]:
    return await make_person(admin, org.county)


@pytest_asyncio.fixture(loop_scope="session")
async def alice(server: Server, person: dict[str, Any]) -> AsyncIterator[TongbanClient]:
    client = await logged_in(server, person)
    yield client
    await client.aclose()
