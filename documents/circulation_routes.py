"""HTTP routes of circulation (传阅)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.errors import NotFound
from core.http import parse_json, parse_query, reply, route
from core.idempotency import header_key
from directory.auth import Actor
from documents import circulating
from documents.models import Circulation, Document
from documents.paging import id_page
from documents.routing import DOC, TAG, row_id, with_document
from documents.schemas import CirculationCreate, PageQuery, ReadIn, RemindIn
from documents.shapes import circulation_public, circulations_public

CIRCULATION = DOC + "/circulations/{circulation_id}"


async def with_circulation(request: Request) -> tuple[Actor, Document, Circulation]:
    actor, document = await with_document(request)
    circulation = await Circulation.get_or_none(id=row_id(request, "circulation_id"),
                                                document_id=document.id)
    if circulation is None:
        raise NotFound("No such circulation.")
    return actor, document, circulation


async def start_circulation(request: Request) -> Response:
    actor, document = await with_document(request)
    key = header_key(request)
    body = await parse_json(request, CirculationCreate)
    circulation = await circulating.do_start_circulation(
        document, actor=actor, readers=body.reader_ids, mode=body.mode, due_at=body.due_at,
        note=body.note, idempotency_key=key)
    return reply(await circulation_public(circulation), status=201)


async def list_circulations(request: Request) -> Response:
    _, document = await with_document(request)
    query = parse_query(request, PageQuery)
    return reply(await id_page(Circulation.filter(document_id=document.id), limit=query.limit,
                               cursor=query.cursor, newest_first=True, shape=circulations_public))


async def show_circulation(request: Request) -> Response:
    _, _, circulation = await with_circulation(request)
    return reply(await circulation_public(circulation))


async def read_circulation(request: Request) -> Response:
    actor, _, circulation = await with_circulation(request)
    body = await parse_json(request, ReadIn)
    circulation = await circulating.do_read_circulation(circulation, actor=actor,
                                                        comment=body.comment)
    return reply(await circulation_public(circulation))


async def remind_circulation(request: Request) -> Response:
    actor, _, circulation = await with_circulation(request)
    body = await parse_json(request, RemindIn)
    reminded = await circulating.do_remind_circulation(circulation, actor=actor,
                                                       message=body.message)
    return reply({"circulation_id": circulation.id, "reminded": reminded})


routes = [
    route(DOC + "/circulations", start_circulation, "POST", "Circulate it (传阅)",
          body=CirculationCreate, status=201, tag=TAG),
    route(DOC + "/circulations", list_circulations, "GET", "Its circulations, newest first",
          query=PageQuery, tag=TAG),
    route(CIRCULATION, show_circulation, "GET", "Where a circulation is: readers, 阅示",
          tag=TAG),
    route(CIRCULATION + "/read", read_circulation, "POST", "I have read it (阅), with 阅示",
          body=ReadIn, tag=TAG),
    route(CIRCULATION + "/remind", remind_circulation, "POST", "Remind who has not read (催阅)",
          body=RemindIn, tag=TAG),
]
