"""HTTP routes of task supervision (督办): tasks, their lifecycle, the ledger and statistics."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from core.clock import utcnow
from core.errors import NotFound
from core.http import IDEMPOTENCY_KEY, Reply, parse_json, parse_query, path_int, reply, route
from core.idempotency import header_key
from directory.auth import Actor, authenticate
from supervision import actions, extensions, ledger, queries
from supervision.models import Task
from supervision.parties import is_lead, is_supervisor
from supervision.schemas import (
    CancelIn, CompleteIn, EntriesQuery, EntryPage, EntryPublic, ExtensionIn, ExtensionPublic,
    ProgressIn, RejectIn, ReviewIn, StatsPublic, StatsQuery, TaskCreate, TaskFilters,
    TaskListQuery, TaskPage, TaskPublic, TrendPublic, TrendQuery, UrgeIn,
)
from supervision.shapes import entry_public, extension_public, task_detail
from supervision.stats import unit_stats
from supervision.trend import unit_trend

MAX_ID = 2_147_483_647


def _id(request: Request, name: str) -> int:
    value = path_int(request, name)
    if value > MAX_ID:
        raise NotFound()
    return value


async def _task(request: Request) -> tuple[Actor, Task]:
    actor = await authenticate(request)
    return actor, await queries.access_task(actor, _id(request, "task_id"))


async def _detail(actor: Actor, task: Task, status: int = 200) -> Response:
    roles = {"lead": await is_lead(actor.id, task), "supervisor": await is_supervisor(actor.id, task)}
    return reply(await task_detail(task, roles=roles), status=status)


async def create_task(request: Request) -> Response:
    actor = await authenticate(request)
    key = header_key(request)
    body = await parse_json(request, TaskCreate)
    parent = await queries.access_task(actor, body.parent_id) if body.parent_id else None
    task = await actions.do_create_task(parent, actor=actor, draft=body, idempotency_key=key)
    return await _detail(actor, task, status=201)


async def show_task(request: Request) -> Response:
    actor, task = await _task(request)
    return await _detail(actor, task)


async def list_tasks(request: Request) -> Response:
    actor = await authenticate(request)
    filters = parse_query(request, TaskListQuery)
    query = await queries.ledger_query(actor, filters)
    return reply(await ledger.list_page(query, limit=filters.limit, cursor=filters.cursor))


async def export_tasks(request: Request) -> Response:
    actor = await authenticate(request)
    query = await queries.ledger_query(actor, parse_query(request, TaskFilters))
    headers = {"Content-Disposition": 'attachment; filename="tasks.csv"'}
    return StreamingResponse(ledger.csv_chunks(query), media_type="text/csv; charset=utf-8",
                             headers=headers)


async def task_stats(request: Request) -> Response:
    actor = await authenticate(request)
    unit = await queries.access_oversight(actor, parse_query(request, StatsQuery).unit)
    return reply(await unit_stats(unit, utcnow()))


async def task_trend(request: Request) -> Response:
    """For a unit you oversee (404 otherwise): per direct sub-unit and month of the due date,
    how many tasks fell due and how many were done on time — per unit, never per person."""
    actor = await authenticate(request)
    query = parse_query(request, TrendQuery)
    unit = await queries.access_oversight(actor, query.unit)
    return reply(await unit_trend(unit, utcnow(), months=query.months))


async def list_entries(request: Request) -> Response:
    _, task = await _task(request)
    query = parse_query(request, EntriesQuery)
    return reply(await ledger.entries_page(task, limit=query.limit, cursor=query.cursor))


async def receive_task(request: Request) -> Response:
    actor, task = await _task(request)
    return await _detail(actor, await actions.do_receive_task(task, actor=actor))


async def report_progress(request: Request) -> Response:
    actor, task = await _task(request)
    body = await parse_json(request, ProgressIn)
    entry = await actions.do_report_progress(
        task, actor=actor, percent=body.percent, note=body.note, file_ids=body.file_ids
    )
    return reply(entry_public(entry), status=201)


async def complete_task(request: Request) -> Response:
    actor, task = await _task(request)
    body = await parse_json(request, CompleteIn)
    await actions.do_submit_task(task, actor=actor, report=body.report, file_ids=body.file_ids)
    return await _detail(actor, task)


async def accept_task(request: Request) -> Response:
    actor, task = await _task(request)
    body = await parse_json(request, ReviewIn)
    return await _detail(actor, await actions.do_accept_task(task, actor=actor,
                                                             comment=body.comment))


async def reject_task(request: Request) -> Response:
    actor, task = await _task(request)
    body = await parse_json(request, RejectIn)
    return await _detail(actor, await actions.do_reject_task(task, actor=actor,
                                                             reason=body.reason))


async def cancel_task(request: Request) -> Response:
    actor, task = await _task(request)
    body = await parse_json(request, CancelIn)
    return await _detail(actor, await actions.do_cancel_task(task, actor=actor,
                                                             reason=body.reason))


async def urge_task(request: Request) -> Response:
    actor, task = await _task(request)
    body = await parse_json(request, UrgeIn)
    entry = await actions.do_urge_task(task, actor=actor, message=body.message)
    return reply(entry_public(entry), status=201)


async def request_extension(request: Request) -> Response:
    actor, task = await _task(request)
    body = await parse_json(request, ExtensionIn)
    extension = await extensions.do_request_extension(
        task, actor=actor, due_at=body.due_at, reason=body.reason
    )
    return reply(extension_public(extension), status=201)


async def _decide(request: Request, *, approve: bool) -> Response:
    actor = await authenticate(request)
    task, extension = await extensions.access_extension(
        actor, _id(request, "task_id"), _id(request, "extension_id")
    )
    body = await parse_json(request, ReviewIn)
    decided = await extensions.do_decide_extension(
        extension, task, actor=actor, approve=approve, comment=body.comment
    )
    return reply(extension_public(decided))


async def approve_extension(request: Request) -> Response:
    return await _decide(request, approve=True)


async def refuse_extension(request: Request) -> Response:
    return await _decide(request, approve=False)


T = "/v1/tasks/{task_id}"
S = "supervision"
TASK_404 = ("No such task, or you are neither among its assignees nor its supervisors (the "
            "creator and leaders of the unit that assigned it).")
LEAD_403 = "Only the task's lead assignees (承办人)."
SUPERVISOR_403 = "Only the task's supervisors (督办人)."
STATE_409 = "The task is not in a state that allows this move, or it changed meanwhile."
UNIT_404 = "No such unit, or not one you may see."
CSV = Reply(description="The ledger, UTF-8 with BOM (opens in Excel).", media_type="text/csv",
            schema={"type": "string"}, headers={"Content-Disposition": "attachment; the name"})

routes = [
    route("/v1/tasks", create_task, "POST", "Assign a task or split off a sub-task (交办/分解)",
          body=TaskCreate, response=TaskPublic, status=201, headers=(IDEMPOTENCY_KEY,), tag=S,
          replies={200: Reply(TaskPublic, "Made before with this Idempotency-Key.")},
          errors={403: "You may assign only within a unit you lead or administer; only a "
                       "parent's lead assignees may split it.",
                  404: "The parent task is not one you may see.",
                  409: "The parent task is not signed for, or changed meanwhile.",
                  422: "A field is not valid: a unit or person unknown, a lead who is not an "
                       "assignee, a due time passed or after the parent's."},
          description="Leaders and unit admins assign to units and people below them; the lead "
                      "assignees of a task split it (`parent_id`). Emits `task.assigned` to the "
                      "assignees and supervisors."),
    route("/v1/tasks", list_tasks, "GET", "The ledger of tasks (台账)", query=TaskListQuery,
          response=TaskPage, tag=S, errors={400: "The cursor is not one this list gave.",
                                            404: UNIT_404},
          description="Tasks I am assigned or supervise, filtered by state, unit, light or "
                      "`status=overdue`."),
    route("/v1/tasks/export", export_tasks, "GET", "The ledger as CSV (UTF-8 with BOM)",
          query=TaskFilters, response=CSV, tag=S, errors={404: UNIT_404},
          description="The same filters as the ledger, every matching task."),
    route("/v1/tasks/stats", task_stats, "GET", "Statistics per sub-unit (督办统计)",
          query=StatsQuery, response=StatsPublic, tag=S, errors={404: UNIT_404},
          description="For a unit you may see: per direct sub-unit, assigned, done on time, "
                      "done late, overdue, open, and due soon (the yellow window)."),
    route("/v1/tasks/trend", task_trend, "GET", "Completion rates per sub-unit by month "
          "(完成率走势)", query=TrendQuery, response=TrendPublic, tag=S, errors={404: UNIT_404}),
    route(T, show_task, "GET", "A task", response=TaskPublic, tag=S, errors={404: TASK_404},
          description="Its assignees and supervisors: the task with `my` parts in it."),
    route(f"{T}/entries", list_entries, "GET", "The task's record (办理记录)", query=EntriesQuery,
          response=EntryPage, tag=S, errors={400: "The cursor is not one this list gave.",
                                             404: TASK_404},
          description="Its assignees and supervisors: every move, oldest first."),
    route(f"{T}/receive", receive_task, "POST", "Sign for a task (签收)", response=TaskPublic,
          tag=S, errors={403: LEAD_403, 404: TASK_404, 409: STATE_409},
          description="A lead assignee. Emits `task.received`."),
    route(f"{T}/progress", report_progress, "POST", "Report progress (进展反馈)", body=ProgressIn,
          response=EntryPublic, status=201, tag=S, errors={
              403: LEAD_403, 404: TASK_404, 409: STATE_409,
              422: "A field is not valid, or a file is not yours to attach."},
          description="A lead assignee. Emits `task.progressed` (and `task.rollup` to a "
                      "parent)."),
    route(f"{T}/complete", complete_task, "POST", "Submit as done with evidence (办结报告)",
          body=CompleteIn, response=TaskPublic, tag=S, errors={
              403: LEAD_403, 404: TASK_404,
              409: STATE_409 + " Or some sub-tasks are not finished.",
              422: "A field is not valid, or a file is not yours to attach."},
          description="A lead assignee. Emits `task.submitted`."),
    route(f"{T}/accept", accept_task, "POST", "Accept the completion (办结)", body=ReviewIn,
          response=TaskPublic, tag=S, errors={403: SUPERVISOR_403, 404: TASK_404,
                                              409: STATE_409},
          description="A supervisor, once submitted. Emits `task.accepted`."),
    route(f"{T}/reject", reject_task, "POST", "Send back for rework (退回)", body=RejectIn,
          response=TaskPublic, tag=S, errors={403: SUPERVISOR_403, 404: TASK_404,
                                              409: STATE_409},
          description="A supervisor, once submitted. Emits `task.rejected`."),
    route(f"{T}/cancel", cancel_task, "POST", "Cancel a task (撤销)", body=CancelIn,
          response=TaskPublic, tag=S, errors={403: SUPERVISOR_403, 404: TASK_404,
                                              409: STATE_409},
          description="A supervisor; open sub-tasks are cancelled too. Emits `task.cancelled`."),
    route(f"{T}/urge", urge_task, "POST", "Urge the assignees (催办)", body=UrgeIn, status=201,
          response=EntryPublic, tag=S, errors={
              403: SUPERVISOR_403, 404: TASK_404, 409: "The task is finished or cancelled.",
              429: "Urged less than an hour ago."},
          description="A supervisor. Emits `task.urged` to the assignees."),
    route(f"{T}/extensions", request_extension, "POST", "Request an extension (延期申请)",
          body=ExtensionIn, response=ExtensionPublic, status=201, tag=S, errors={
              403: LEAD_403, 404: TASK_404,
              409: "A request is already waiting, or the task is finished.",
              422: "A field is not valid, or the new due time is not later (or is after the "
                   "parent's)."},
          description="A lead assignee. Emits `task.extension_requested`."),
    route(f"{T}/extensions/{{extension_id}}/approve", approve_extension, "POST",
          "Approve an extension (延期批准)", body=ReviewIn, response=ExtensionPublic, tag=S,
          errors={403: SUPERVISOR_403, 404: TASK_404 + " Or no such request on it.",
                  409: "The request was already decided, or the task is finished."},
          description="A supervisor: the due time moves. Emits `task.extension_decided`."),
    route(f"{T}/extensions/{{extension_id}}/refuse", refuse_extension, "POST",
          "Refuse an extension (延期不准)", body=ReviewIn, response=ExtensionPublic, tag=S,
          errors={403: SUPERVISOR_403, 404: TASK_404 + " Or no such request on it.",
                  409: "The request was already decided, or the task is finished."},
          description="A supervisor. Emits `task.extension_decided`."),
]
