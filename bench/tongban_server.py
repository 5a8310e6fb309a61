"""Launcher: the real Tongban app on uvicorn as `tongban serve` runs it, settings from `TONGBAN_*`.

Run by `ws_fanout.py` as `python -m bench.tongban_server --port P` in its own process. It
migrates, makes sure the benchmark administrator exists, then serves on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn

from bench.loops import LOOPS
from core.config import Settings, load_settings
from core.db import close_db, open_db
from directory.bootstrap import create_admin
from server.app import create_app
from server.apps import database_config
from server.serving import uvicorn_options

ADMIN_USERNAME = "benchadmin"
ADMIN_PASSWORD = "bench-admin-password"


async def prepare(settings: Settings) -> None:
    await open_db(database_config(settings.database_url))
    try:
        await create_admin(ADMIN_USERNAME, ADMIN_PASSWORD, settings=settings)
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description="Tongban for the benchmark")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", default="auto", choices=LOOPS)
    args = parser.parse_args()
    settings = load_settings()
    asyncio.run(prepare(settings))
    uvicorn.run(
        create_app(settings), host="127.0.0.1", port=args.port, loop=args.loop,
        log_level="warning", access_log=False, lifespan="on", **uvicorn_options(settings),
    )


if __name__ == "__main__":
    main()
