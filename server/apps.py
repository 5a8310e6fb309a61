"""Which packages' models make up the database, in dependency order."""

from __future__ import annotations

from importlib import import_module

from tortoise.models import Model

from core.config import storage_location
from core.db import tortoise_config

# Dependency order: `server → documents → {approvals, supervision} → files → directory → core`
# and `server → {messaging, notices} → files → directory → core`.
PACKAGES = (
    "core", "directory", "files", "approvals", "supervision", "messaging", "notices",
    "documents", "push",
)
FEATURES = PACKAGES[1:]  # packages with routes and wiring


def _has_models(package: str) -> bool:
    module = import_module(f"{package}.models")
    return any(
        isinstance(value, type) and issubclass(value, Model) and value.__module__ == module.__name__
        for value in vars(module).values()
    )


# A package becomes a tortoise app (with its own migrations) once it defines tables.
APPS = {package: f"{package}.models" for package in PACKAGES if _has_models(package)}


def database_config(database_url: str | None = None) -> dict[str, object]:
    # storage_location, not load_settings: importing this must not create the secret key (a
    # restore needs its empty data folder left empty)
    return tortoise_config(database_url or storage_location()[1], APPS)


# For tortoise's own CLI: `tortoise -c server.apps.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = database_config()
