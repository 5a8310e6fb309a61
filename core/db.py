"""Tortoise set-up for SQLite (WAL) and PostgreSQL, and migrations through tortoise's own engine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.api import migrate as tortoise_migrate

from core.config import private_dir

# Kept explicit: busy_timeout lets several processes share one SQLite file; NORMAL is safe in WAL.
SQLITE_PRAGMAS = {"journal_mode": "WAL", "synchronous": "NORMAL", "busy_timeout": "10000"}


def normalise_url(url: str) -> str:
    """Give SQLite URLs our pragmas (unless set) and PostgreSQL URLs the asyncpg scheme."""
    if url.startswith("postgresql://"):
        return "postgres://" + url[len("postgresql://") :]
    if not url.startswith("sqlite://"):
        return url
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    for key, value in SQLITE_PRAGMAS.items():
        params.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(params)))


def tortoise_config(database_url: str, apps: Mapping[str, str]) -> dict[str, Any]:
    """A tortoise config with one app per package; each package keeps its own migrations."""
    return {
        "connections": {"default": normalise_url(database_url)},
        "apps": {
            label: {
                "models": [module],
                "migrations": f"{label}.migrations",
                "default_connection": "default",
            }
            for label, module in apps.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(config: dict[str, Any]) -> None:
    """Apply every pending migration of every app, in a context of its own."""
    private_sqlite_file(config["connections"]["default"])
    async with TortoiseContext():
        await tortoise_migrate(config=config)


_context: TortoiseContext | None = None


def private_sqlite_file(url: str) -> None:
    """Make a SQLite database file (and its WAL and shared-memory files, which SQLite creates
    with the database's mode) readable by the server's user only: 0600, in a 0700 folder."""
    if not url.startswith("sqlite://"):
        return
    parts = urlsplit(url)
    name = parts.netloc + parts.path
    if not name or name == ":memory:":
        return
    path = Path(name)
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for existing in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if existing.exists():
            existing.chmod(0o600)


async def open_db(config: dict[str, Any], *, run_migrations: bool = True) -> None:
    """Open the process's database context.

    It is the global fallback context, because uvicorn runs the lifespan and the requests in
    different tasks, and a task-local context would be invisible to the requests.
    """
    global _context
    private_sqlite_file(config["connections"]["default"])
    if run_migrations:
        await migrate(config)
    await close_db()
    _context = TortoiseContext()
    with _context:  # current only while initialising; the global fallback serves afterwards
        await _context.init(config=config, _enable_global_fallback=True)


async def close_db() -> None:
    global _context
    if _context is not None:
        await _context.close_connections()
        _context = None


def connection() -> BaseDBAsyncClient:
    return connections.get("default")


def dialect() -> str:
    return connection().capabilities.dialect
