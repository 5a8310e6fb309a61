"""What the edge accepts, checked once for every route before its handler runs.

`core.http` calls these for every JSON body, query, path id and cursor, and the gateway for every
websocket frame, so no package needs code of its own for them:
- JSON that parses, nests at most `MAX_DEPTH` containers deep and has no NaN/Infinity (400);
- text that is valid Unicode without NUL: a lone surrogate (`"\\ud800"`) cannot be encoded for
  the database, and PostgreSQL refuses NUL in text (422 naming the field);
- integers the database can hold, −2^63 … 2^63−1 (422 naming the field); smaller columns
  (32-bit ids) are covered by the net below, since only the column knows its width.

The net, `data_problem`, turns what a column refuses (too long, out of its range, not text) into a
422 instead of a 500: tortoise checks lengths before it sends SQL, PostgreSQL answers with a data
exception (SQLSTATE class 22), SQLite with OverflowError. Nothing was written: the action's
transaction rolls back as the error leaves it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

from core.errors import ApiError, BadRequest, NotFound, Unprocessable, field_error

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MAX = 2**31 - 1  # most ids are INTEGER columns
MAX_DEPTH = 32  # our deepest body (an audience inside a notice) is 4 levels
MAX_ERRORS = 20
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
Loc = tuple[str | int, ...]


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text as the API accepts it: 400 if it is not JSON or nests too deeply, 422 if
    a string or integer in it could not be stored."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise too_deep(max_depth) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}", slug="malformed-json") from exc
    check_values(data, max_depth=max_depth)
    return data


def too_deep(max_depth: int) -> BadRequest:
    return BadRequest(f"JSON may nest at most {max_depth} levels deep.", slug="json-too-deep")


def check_values(data: Any, *, max_depth: int = MAX_DEPTH, loc: Loc = ()) -> None:
    """Refuse (422, every field named) strings and integers the database cannot hold."""
    errors = [error for _, error in zip(range(MAX_ERRORS), _bad_values(data, max_depth, loc))]
    if errors:
        raise Unprocessable("Some values cannot be accepted.", errors=errors)


def _bad_values(data: Any, max_depth: int, loc: Loc) -> Iterator[dict[str, Any]]:
    """Walk without recursion (the input decides the depth), containers first checked for it."""
    stack: list[tuple[Loc, Any, int]] = [(loc, data, 0)]
    while stack:
        where, value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= max_depth:
                raise too_deep(max_depth)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and BAD_TEXT.search(key):
                    yield _text_error((*where, key))
                stack.append(((*where, key), item, depth + 1))
        else:
            error = scalar_error(value, where)
            if error:
                yield error


def scalar_error(value: Any, where: Loc) -> dict[str, Any] | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return field_error(where, "The number is out of range (−2^63 … 2^63−1).", "int_range")
    if isinstance(value, float) and not math.isfinite(value):
        return field_error(where, "The number is not finite.", "float_finite")
    if isinstance(value, str) and BAD_TEXT.search(value):
        return _text_error(where)
    return None


def _text_error(where: Loc) -> dict[str, Any]:
    return field_error(where, "Text must be valid Unicode without NUL characters.", "string_text")


def checked_id(value: int) -> int | None:
    """A row id as the database can hold it, else None (a record that cannot exist)."""
    return value if 0 <= value <= INT64_MAX else None


def data_problem(exc: BaseException, path_ids: Iterable[str] = ()) -> ApiError | None:
    """The 422 for a value a column refused, or None if `exc` is not about the client's data.

    A path id beyond its column (an INTEGER id past 2^31−1 on PostgreSQL) names no record: 404.
    """
    from tortoise.exceptions import OperationalError, ValidationError

    if any(value.isascii() and value.isdigit() and int(value) > INT32_MAX for value in path_ids):
        if isinstance(exc, (OperationalError, OverflowError)):
            return NotFound()
    if isinstance(exc, ValidationError):
        return Unprocessable(f"A value does not fit: {str(exc)[:200]}", slug="value-does-not-fit")
    if isinstance(exc, OverflowError):
        return Unprocessable("A number is out of range.", slug="value-does-not-fit")
    if isinstance(exc, OperationalError) and _is_data_exception(exc.__cause__):
        return Unprocessable("A value does not fit what it is stored in.",
                             slug="value-does-not-fit")
    return None


def _is_data_exception(cause: BaseException | None) -> bool:
    """PostgreSQL's SQLSTATE class 22 (data exception): a value, never the statement, is wrong."""
    sqlstate = getattr(cause, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("22")
