"""Cursors of the approval lists: opaque to clients, and a damaged one is a 400, never a
database error (an id beyond the INTEGER range would be one on PostgreSQL)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from approvals.events import URGENCY
from core.errors import BadRequest
from core.http import decode_cursor
from core.jsonutil import loads


def encode_inbox_cursor(values: list[Any]) -> str:
    """The waiting box's keyset: urgency, deadline, id of the last item of a page."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def inbox_cursor(cursor: str) -> tuple[int, datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        urgency, due, last = loads(raw)
        found = int(urgency), datetime.fromisoformat(due), _row_id(int(last))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    if found[1].tzinfo is None or not 0 <= found[0] < len(URGENCY):
        raise _bad_cursor()
    return found


def after_id(cursor: str | None) -> int | None:
    """The id an id-ordered page continues after; one out of range is a damaged cursor."""
    after = decode_cursor(cursor)
    return None if after is None else _row_id(after)


def _row_id(value: int) -> int:
    if not 0 <= value <= 2**31 - 1:
        raise _bad_cursor()
    return value


def _bad_cursor() -> BadRequest:
    return BadRequest("The cursor is not valid.", slug="invalid-cursor")
