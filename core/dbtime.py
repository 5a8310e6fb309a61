"""Database time: every statement and commit tortoise runs, timed into one histogram.

Tortoise offers no hook around its queries, so the execute methods and the commit of the client
classes we use (SQLite via aiosqlite, PostgreSQL via asyncpg) are wrapped, once per process, by
`instrument()`. Each call is observed in `tongban_db_query_seconds{op}` (`select`, `insert`,
`update`, `delete`, `commit`, `other`) and added to the current request's record, so the access
log says how much of a request was spent waiting on the database. On SQLite the commit is where
the time goes (DESIGN.md: "the cost of a write is the commit"), hence its own label.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from core.context import current_request
from core.metrics import DB_SECONDS

EXECUTE_METHODS = ("execute_insert", "execute_many", "execute_query", "execute_query_dict",
                   "execute_script")
OPS = ("select", "insert", "update", "delete")
_timers = {op: DB_SECONDS.labels(op=op) for op in (*OPS, "commit", "other")}


def statement_op(query: object) -> str:
    head = query.lstrip()[:6].lower() if isinstance(query, str) else ""
    return head if head in OPS else "other"


def _observe(op: str, seconds: float) -> None:
    _timers[op].observe(seconds)
    request = current_request()
    if request is not None:
        request.db_seconds += seconds


def _timed(method: Callable[..., Awaitable[Any]], fixed_op: str | None) -> Callable[..., Any]:
    @functools.wraps(method)
    async def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(self, *args, **kwargs)
        finally:
            op = fixed_op or statement_op(args[0] if args else kwargs.get("query"))
            _observe(op, time.perf_counter() - started)

    timed.__tongban_timed__ = True  # type: ignore[attr-defined]
    return timed


def _wrap_class(cls: type) -> None:
    for name in (*EXECUTE_METHODS, "commit"):
        method = cls.__dict__.get(name)
        if method is not None and not getattr(method, "__tongban_timed__", False):
            setattr(cls, name, _timed(method, "commit" if name == "commit" else None))


def _client_classes() -> list[type]:
    from tortoise.backends.sqlite import client as sqlite

    found: list[type] = [sqlite.SqliteClient, sqlite.SqliteTransactionWrapper]
    try:
        from tortoise.backends.asyncpg import client as pg
        from tortoise.backends.base_postgres import client as base_pg
    except ImportError:  # asyncpg is an optional extra
        return found
    return [*found, base_pg.BasePostgresClient, pg.AsyncpgDBClient, pg.TransactionWrapper]


def instrument() -> None:
    """Wrap the clients' execute methods and commits (idempotent)."""
    for cls in _client_classes():
        _wrap_class(cls)
