"""The few statements tortoise cannot express (or not cheaply), for SQLite and PostgreSQL alike.

`{}` marks a parameter in a template; it becomes `?` on SQLite and `$1, $2, …` on PostgreSQL.
Statements run on the current connection, so inside `atomic()` they join its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from core.db import connection, dialect


@lru_cache(maxsize=256)
def _bound(template: str, postgres: bool) -> str:
    if not postgres:
        return template.replace("{}", "?")
    parts = template.split("{}")
    return "".join(part + (f"${n}" if n < len(parts) else "") for n, part in enumerate(parts, 1))


def bind(template: str) -> str:
    return _bound(template, dialect() == "postgres")


async def fetch(template: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of a statement as dicts."""
    # execute_query_dict always fetches: asyncpg's execute_query drops RETURNING rows of UPDATEs
    return await connection().execute_query_dict(bind(template), list(values))


async def rows(template: str, *values: Any) -> list[dict[str, Any]]:
    return await fetch(template, values)


async def changed(template: str, *values: Any) -> int:
    """How many rows a write changed."""
    count, _ = await connection().execute_query(bind(template), list(values))
    return int(count)
