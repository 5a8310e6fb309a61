"""The ledger (台账): pages of tasks for the API, and the same rows as CSV for spreadsheets (the
convention of `core.spreadsheet`: Beijing time with its offset, names rather than ids)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from tortoise.queryset import QuerySet

from core.http import decode_cursor, page
from core.spreadsheet import head, line
from supervision.models import Task, TaskEntry
from supervision.shapes import entry_public, tasks_public

EXPORT_BATCH = 500
EXPORT_LIMIT = 100_000  # rows per export; narrow the filters for more
STATE_LABELS = {
    "assigned": "待签收", "received": "已签收", "in_progress": "办理中", "submitted": "待审核",
    "done": "已办结", "cancelled": "已撤销",
}
LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
PRIORITY_LABELS = {"normal": "一般", "high": "重要", "urgent": "紧急"}
SOURCE_LABELS = {"document": "公文", "meeting": "会议", "instruction": "领导批示"}
COLUMNS = (
    "编号", "事项", "优先级", "状态", "预警", "是否超期", "持续办理", "牵头", "责任单位",
    "交办单位", "截止时间", "原定截止时间", "进度(%)", "签收时间", "办结报告时间", "办结时间",
    "超期(小时)", "上级事项", "来源",
)


async def list_page(query: QuerySet[Task], *, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the ledger, newest first; `next_cursor` continues it."""
    after = decode_cursor(cursor)
    if after is not None:
        query = query.filter(id__lt=after)
    result = page(await query.limit(limit + 1), limit=limit, key=lambda task: task.id)
    result["items"] = await tasks_public(result["items"])
    return result


async def entries_page(task: Task, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the task's record (办理记录), oldest first."""
    query = TaskEntry.filter(task_id=task.id)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.filter(id__gt=after)
    result = page(await query.order_by("id").limit(limit + 1), limit=limit, key=lambda e: e.id)
    result["items"] = [entry_public(entry) for entry in result["items"]]
    return result


async def csv_chunks(query: QuerySet[Task]) -> AsyncIterator[bytes]:
    """The ledger as CSV in UTF-8 with a BOM (so that Excel reads the Chinese right), streamed
    in batches; at most EXPORT_LIMIT rows."""
    yield head(COLUMNS)
    sent, after = 0, None
    while sent < EXPORT_LIMIT:
        batch = query.filter(id__lt=after) if after is not None else query
        tasks = await batch.limit(min(EXPORT_BATCH, EXPORT_LIMIT - sent))
        if not tasks:
            return
        rows = await tasks_public(tasks)
        yield "".join(line(_cells(row)) for row in rows).encode()
        sent, after = sent + len(tasks), tasks[-1].id


def _cells(row: dict[str, Any]) -> list[Any]:
    late = row["late_seconds"]
    source = row["source"]
    return [
        row["id"], row["title"], PRIORITY_LABELS.get(row["priority"], row["priority"]),
        STATE_LABELS.get(row["state"], row["state"]), LIGHT_LABELS.get(row["light"] or "", ""),
        "是" if row["overdue"] else "否", "是" if row["continuing"] else "否",
        row["lead"]["name"], row["unit"]["name"], row["assigned_by"], row["due_at"],
        row["original_due_at"], row["progress"], row["received_at"], row["submitted_at"],
        row["finished_at"], round(late / 3600, 2) if late else "", row["parent_id"] or "",
        _source(source),
    ]


def _source(source: dict[str, Any] | None) -> str:
    """来源 by kind and title (`公文：关于…的通知`), never as `type:id`."""
    if not source:
        return ""
    kind = SOURCE_LABELS.get(source["type"], source["type"])
    return f"{kind}：{source['title']}" if source["title"] else kind
