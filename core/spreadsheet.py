"""CSV exports (登记簿, 台账, 回执统计表): one convention for every download.

- UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese right;
- every time in Beijing time with its offset written out, `2026-03-01 09:30:00+08:00` (RFC 3339
  with a space), the same in the documents' registers, the notices' receipts and the tasks'
  ledger; dates as `2026-03-01`;
- a cell a spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`, tab or CR) gets a
  leading `'` (CSV injection); numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

BEIJING = timezone(timedelta(hours=8), "CST")
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def beijing(moment: datetime | date | None) -> str:
    """A time in Beijing time with its offset (`2026-03-01 09:30:00+08:00`); a date as is."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(BEIJING).isoformat(sep=" ", timespec="seconds")
    return moment.isoformat()


def cell(value: Any) -> str:
    """One value as the text of a cell, by the rules above."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return beijing(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def line(cells: Iterable[Any]) -> str:
    """One CSV row (with its line ending)."""
    out = io.StringIO()
    csv.writer(out).writerow([cell(value) for value in cells])
    return out.getvalue()


def head(columns: Iterable[str]) -> bytes:
    """The first chunk of an export: the byte-order mark and the column titles."""
    return (BOM + line(columns)).encode()
