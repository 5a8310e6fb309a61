"""ASGI entry point for uvicorn workers: `server.asgi:app`.

Migrations already ran in `tongban serve`, so workers only open the database.
"""

from __future__ import annotations

from server.app import create_app

app = create_app(run_migrations=False)
