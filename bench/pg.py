"""A fresh PostgreSQL database of its own for a benchmark, on this machine's local server."""

from __future__ import annotations

SERVER = "postgresql://postgres@127.0.0.1:5432"


async def fresh_database(url: str) -> None:
    """Create the database named at the end of `url` if missing, and empty its public schema."""
    import asyncpg

    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(f"{SERVER}/{name}")
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
