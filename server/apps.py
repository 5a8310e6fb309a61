"""Which packages' models make up the database, in dependency order."""

from __future__ import annotations

from core.config import load_settings
from core.db import tortoise_config

APPS = {
    "core": "core.models",
    "directory": "directory.models",
}


def database_config(database_url: str | None = None) -> dict[str, object]:
    return tortoise_config(database_url or load_settings().database_url, APPS)


# For tortoise's own CLI: `tortoise -c server.apps.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = database_config()
