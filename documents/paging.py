"""Keyset pages by id, the one way document lists are cut into pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.queryset import QuerySet

from core.http import decode_cursor, page

MAX_ID = 2_147_483_647


def cursor_id(cursor: str | None) -> int | None:
    """A decoded cursor, held within the INTEGER range: a forged one is just past the end."""
    value = decode_cursor(cursor)
    return None if value is None else max(0, min(value, MAX_ID))


async def id_page(query: QuerySet[Any], *, limit: int, cursor: str | None, newest_first: bool,
                  shape: Callable[[list[Any]], Awaitable[list[Any]]],
                  field: str = "id") -> dict[str, Any]:
    """One page of rows by `field` (descending when `newest_first`), shaped for the reply."""
    edge = cursor_id(cursor)
    if edge is not None:
        query = query.filter(**{f"{field}__{'lt' if newest_first else 'gt'}": edge})
    order = f"-{field}" if newest_first else field
    rows = await query.order_by(order).limit(limit + 1)
    result = page(rows, limit=limit, key=lambda row: getattr(row, field))
    result["items"] = await shape(result["items"])
    return result
