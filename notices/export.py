"""CSV export of a notice's receipts (回执统计表), streamed a batch at a time, in the convention
of every export (`core.spreadsheet`: UTF-8 with a BOM, Beijing time with its offset). People
appear by name: the substitute (代参人) and whom a substitute stands in for (代替)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from core.spreadsheet import head, line
from directory.models import Person
from notices.models import Notice, NoticeRecipient
from notices.stats import all_recipients

COLUMNS = (
    ("unit_name", "单位"), ("display_name", "姓名"), ("delivered_at", "送达时间"),
    ("read_at", "阅读时间"), ("confirmed_at", "确认时间"), ("rsvp", "参会回执"),
    ("rsvp_reason", "理由"), ("substitute", "代参人"), ("substitute_for", "代替"),
    ("checked_in_at", "签到时间"), ("late", "迟到"),
)
ANSWERS = {"attend": "参加", "decline": "请假", "substitute": "委派代参",
           "not_named": "单位未派"}


def cell(name: str, value: Any) -> Any:
    """A value as the export shows it (answers and flags in words)."""
    if name == "rsvp":
        return ANSWERS.get(str(value), str(value)) if value else ""
    if name == "late":
        return "是" if value else ""
    return value


async def _names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the substitute's name and the name of whom a substitute stands in for."""
    replaced = dict(await NoticeRecipient.filter(
        id__in=[r["substitute_for_id"] for r in rows if r["substitute_for_id"]]
    ).values_list("id", "person_id"))
    ids = {*(r["substitute_id"] for r in rows if r["substitute_id"]), *replaced.values()}
    names = dict(await Person.filter(id__in=ids).values_list("id", "display_name")) if ids else {}
    return [{**r, "substitute": names.get(r["substitute_id"] or 0, ""),
             "substitute_for": names.get(replaced.get(r["substitute_for_id"] or 0, 0), "")}
            for r in rows]


async def csv_chunks(notice: Notice) -> AsyncIterator[bytes]:
    yield head(label for _, label in COLUMNS)
    async for batch in all_recipients(notice):
        rows = await _names(batch)
        yield "".join(line(cell(name, row[name]) for name, _ in COLUMNS) for row in rows).encode()
