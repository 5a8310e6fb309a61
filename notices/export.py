"""CSV export of a notice's receipts (回执统计表), UTF-8 with a BOM so spreadsheet programs
read the Chinese correctly, streamed a batch at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from notices.models import Notice
from notices.stats import all_recipients

BOM = "\ufeff"
COLUMNS = (
    ("unit_name", "单位"), ("display_name", "姓名"), ("person_id", "人员编号"),
    ("delivered_at", "送达时间"), ("read_at", "阅读时间"), ("confirmed_at", "确认时间"),
    ("rsvp", "参会回执"), ("rsvp_reason", "理由"), ("substitute_id", "代参人编号"),
    ("substitute_for_id", "代替回执编号"), ("checked_in_at", "签到时间"), ("late", "迟到"),
)
ANSWERS = {"attend": "参加", "decline": "请假", "substitute": "委派代参"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(name: str, value: Any) -> str:
    """A value as text, never something a spreadsheet would run as a formula."""
    if value is None:
        return ""
    if name == "rsvp":
        return ANSWERS.get(str(value), str(value))
    if name == "late":
        return "是" if value else ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


async def csv_chunks(notice: Notice) -> AsyncIterator[bytes]:
    yield (BOM + _lines([[label for _, label in COLUMNS]])).encode()
    async for batch in all_recipients(notice):
        yield _lines([[cell(name, item[name]) for name, _ in COLUMNS] for item in batch]).encode()
