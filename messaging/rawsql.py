"""The few statements tortoise cannot express, written once for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.db import connection, dialect


def bind(template: str) -> str:
    """`{}` marks a parameter: `?` for SQLite, `$1, $2, …` for PostgreSQL."""
    if dialect() != "postgres":
        return template.replace("{}", "?")
    parts = template.split("{}")
    return "".join(part + (f"${n}" if n < len(parts) else "") for n, part in enumerate(parts, 1))


async def fetch(template: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of a statement (in the current transaction, if any) as dicts."""
    # execute_query_dict always fetches: asyncpg's execute_query drops RETURNING rows of UPDATEs
    return await connection().execute_query_dict(bind(template), list(values))
