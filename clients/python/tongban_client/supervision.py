"""Client methods: Task supervision (督办)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from tongban_client.base import ApiBase

Json = dict[str, Any]
Id = int | str
When = datetime | str


def _when(value: When) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


def _given(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


class SupervisionApi(ApiBase):
    """Task supervision (督办): assign, sign for, report, complete, review, extend, urge, count."""

    async def create_task(
        self,
        title: str,
        *,
        due_at: When,
        units: Sequence[Id] = (),
        people: Sequence[Id] = (),
        lead: tuple[str, Id] | None = None,
        description: str = "",
        priority: str = "normal",
        parent_id: Id | None = None,
        source: Json | None = None,
        file_ids: Sequence[Id] = (),
        idempotency_key: str | None = None,
    ) -> Json:
        """Assign a task (交办) to units and people; `lead=("unit", id)` or `("person", id)`
        names the lead when there are several. With `parent_id`, split a sub-task off a task
        you lead (分解). A retry with the same `idempotency_key` returns the same task."""
        body: Json = {
            "title": title, "description": description, "due_at": _when(due_at),
            "assignees": {"units": list(units), "people": list(people)}, "priority": priority,
            "file_ids": list(file_ids),
        }
        body |= _given(parent_id=parent_id, source=source)
        if lead is not None:
            body["lead"] = {"type": lead[0], "id": lead[1]}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return cast(Json, await self.request("POST", "/v1/tasks", json=body, headers=headers))

    async def get_task(self, task_id: Id) -> Json:
        return await self._object("GET", f"/v1/tasks/{task_id}")

    async def list_tasks(
        self,
        *,
        status: str | None = None,
        unit: Id | None = None,
        parent: Id | None = None,
        overdue: bool | None = None,
        light: str | None = None,
        priority: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Json:
        """One page of the ledger (台账): `{items, next_cursor}`. Without `unit` or `parent`,
        the tasks you are an assignee or a supervisor of."""
        params = _given(status=status, unit=unit, parent=parent, overdue=overdue, light=light,
                        priority=priority, limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/tasks", params=params)

    async def export_tasks(self, **filters: Any) -> bytes:
        """The ledger as CSV bytes (UTF-8 with a BOM); takes the filters of `list_tasks`
        (`status`, `unit`, `parent`, `overdue`, `light`, `priority`)."""
        params = _given(**filters)
        return await self.request_bytes("GET", "/v1/tasks/export", params=params)

    async def task_stats(self, unit_id: Id) -> Json:
        """Statistics of a unit and its subtree, per direct sub-unit (督办统计)."""
        return await self._object("GET", "/v1/tasks/stats", params={"unit": unit_id})

    async def task_trend(self, unit_id: Id, months: int = 6) -> Json:
        """Completion rates per sub-unit by month of the tasks due then (完成率走势)."""
        return await self._object("GET", "/v1/tasks/trend",
                                  params={"unit": unit_id, "months": months})

    async def task_entries(
        self, task_id: Id, *, limit: int | None = None, cursor: str | None = None
    ) -> Json:
        """The task's record (办理记录), oldest first: `{items, next_cursor}`."""
        params = _given(limit=limit, cursor=cursor)
        return await self._object("GET", f"/v1/tasks/{task_id}/entries", params=params)

    async def receive_task(self, task_id: Id) -> Json:
        """Sign for a task (签收)."""
        return await self._object("POST", f"/v1/tasks/{task_id}/receive")

    async def report_progress(
        self, task_id: Id, percent: int, note: str = "", file_ids: Sequence[Id] = ()
    ) -> Json:
        """Report progress (进展反馈); returns the record entry."""
        body = {"percent": percent, "note": note, "file_ids": list(file_ids)}
        return await self._object("POST", f"/v1/tasks/{task_id}/progress", body)

    async def complete_task(
        self, task_id: Id, report: str, file_ids: Sequence[Id] = ()
    ) -> Json:
        """Submit the task as done, with the report and evidence (办结报告)."""
        body = {"report": report, "file_ids": list(file_ids)}
        return await self._object("POST", f"/v1/tasks/{task_id}/complete", body)

    async def accept_task(self, task_id: Id, comment: str = "") -> Json:
        """Supervisor: accept the completion (办结)."""
        return await self._object("POST", f"/v1/tasks/{task_id}/accept", {"comment": comment})

    async def reject_task(self, task_id: Id, reason: str) -> Json:
        """Supervisor: send the completion back for rework (退回重办)."""
        return await self._object("POST", f"/v1/tasks/{task_id}/reject", {"reason": reason})

    async def cancel_task(self, task_id: Id, reason: str) -> Json:
        """Supervisor: cancel the task and its unfinished sub-tasks (撤销)."""
        return await self._object("POST", f"/v1/tasks/{task_id}/cancel", {"reason": reason})

    async def urge_task(self, task_id: Id, message: str) -> Json:
        """Supervisor: urge the assignees (催办), at most once an hour per task (429 otherwise)."""
        return await self._object("POST", f"/v1/tasks/{task_id}/urge", {"message": message})

    async def request_extension(self, task_id: Id, due_at: When, reason: str) -> Json:
        """Ask for a later due time (延期申请)."""
        body = {"due_at": _when(due_at), "reason": reason}
        return await self._object("POST", f"/v1/tasks/{task_id}/extensions", body)

    async def approve_extension(self, task_id: Id, extension_id: Id, comment: str = "") -> Json:
        """Supervisor: approve an extension request; the due time moves."""
        path = f"/v1/tasks/{task_id}/extensions/{extension_id}/approve"
        return await self._object("POST", path, {"comment": comment})

    async def refuse_extension(self, task_id: Id, extension_id: Id, comment: str = "") -> Json:
        """Supervisor: refuse an extension request."""
        path = f"/v1/tasks/{task_id}/extensions/{extension_id}/refuse"
        return await self._object("POST", path, {"comment": comment})
