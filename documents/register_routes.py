"""HTTP routes of the registers (登记簿): pages and CSV export."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from core.errors import NotFound
from core.http import Reply, parse_query, reply, route
from directory.auth import authenticate
from documents import registers
from documents.queries import require_unit_desk
from documents.routing import TAG
from documents.schemas import RegisterFilters, RegisterPage, RegisterQuery

KINDS = ("outgoing", "incoming")
REGISTER = "/v1/documents/registers/{kind}"


def register_kind(request: Request) -> str:
    kind = request.path_params["kind"]
    if kind not in KINDS:
        raise NotFound("No such register: use outgoing or incoming.")
    return str(kind)


async def show_register(request: Request) -> Response:
    actor = await authenticate(request)
    kind = register_kind(request)
    query = parse_query(request, RegisterQuery)
    await require_unit_desk(actor, query.unit_id)
    rows = registers.register_query(kind, query)
    return reply(await registers.register_page(kind, rows, limit=query.limit,
                                               cursor=query.cursor))


async def export_register(request: Request) -> Response:
    actor = await authenticate(request)
    kind = register_kind(request)
    filters = parse_query(request, RegisterFilters)
    await require_unit_desk(actor, filters.unit_id)
    rows = registers.register_query(kind, filters)
    name = f"{kind}-register-{filters.unit_id}.csv"
    return StreamingResponse(registers.csv_chunks(kind, rows),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


class RegisterKind(BaseModel):
    kind: Literal["outgoing", "incoming"] = Field(description="发文 or 收文 register.")


CSV = Reply(description="The register, UTF-8 with BOM (opens in Excel).", media_type="text/csv",
            schema={"type": "string"}, headers={"Content-Disposition": "attachment; the name"})
DESK = {403: "Only the document desk (文书) or a leader of the unit.",
        404: "No such unit or register kind, or not a unit you may see."}

routes = [
    route(REGISTER, show_register, "GET", "A unit's outgoing or incoming register (登记簿)",
          query=RegisterQuery, params=RegisterKind, response=RegisterPage, tag=TAG,
          errors={400: "The cursor is not one this list gave.", **DESK},
          description="The desk and leaders of the unit: a year's documents in number order."),
    route(REGISTER + "/export", export_register, "GET", "The register as CSV (UTF-8 with BOM)",
          query=RegisterFilters, params=RegisterKind, response=CSV, tag=TAG, errors=DESK,
          description="The same rows as the register, every one of the year."),
]
