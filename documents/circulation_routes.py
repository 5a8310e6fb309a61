"""HTTP routes of circulation (传阅)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.errors import NotFound
from core.http import IDEMPOTENCY_KEY, Reply, parse_json, parse_query, reply, route
from core.idempotency import header_key
from directory.auth import Actor
from documents import circulating
from documents.models import Circulation, Document
from documents.paging import id_page
from documents.routing import DOC, TAG, row_id, with_document
from documents.schemas import (
    CirculationCreate, CirculationPage, CirculationPublic, CirculationReminded, PageQuery, ReadIn,
    RemindIn,
)
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


DOC_404 = "No such document, or not one you may see."
CIRCULATION_404 = ("No such circulation on this document, or you are neither its circulator, "
                   "a reader, nor at the document's desk.")

routes = [
    route(DOC + "/circulations", start_circulation, "POST", "Circulate it (传阅)",
          body=CirculationCreate, response=CirculationPublic, status=201,
          headers=(IDEMPOTENCY_KEY,), tag=TAG,
          replies={200: Reply(CirculationPublic, "Started before with this Idempotency-Key.")},
          errors={403: "Only the desk, a leader of the unit, or a handler may circulate it.",
                  404: DOC_404, 409: "The document is not issued or received yet, or is "
                                     "archived.",
                  422: "A field is not valid: a reader twice, a due time passed, or an "
                       "internal (内部) document to readers outside the unit."},
          description="`parallel`: every reader at once; `sequential`: one after another. "
                      "Emits `document.circulation.turn` to whose turn it is."),
    route(DOC + "/circulations", list_circulations, "GET", "Its circulations, newest first",
          query=PageQuery, response=CirculationPage, tag=TAG,
          errors={400: "The cursor is not one this list gave.", 404: DOC_404},
          description="Anyone who may see the document."),
    route(CIRCULATION, show_circulation, "GET", "Where a circulation is: readers, 阅示",
          response=CirculationPublic, tag=TAG, errors={404: CIRCULATION_404},
          description="The circulator, its readers and the document's desk."),
    route(CIRCULATION + "/read", read_circulation, "POST", "I have read it (阅), with 阅示",
          body=ReadIn, response=CirculationPublic, tag=TAG, errors={
              403: "Only a reader whose turn it is.", 404: CIRCULATION_404,
              409: "You have read it already, or the circulation is over."},
          description="A reader, in turn. Emits `document.circulation.read` to the circulator, "
                      "`document.circulation.turn` to the next reader, and "
                      "`document.circulation.finished` after the last."),
    route(CIRCULATION + "/remind", remind_circulation, "POST", "Remind who has not read (催阅)",
          body=RemindIn, response=CirculationReminded, tag=TAG, errors={
              403: "Only the circulator.", 404: CIRCULATION_404,
              409: "The circulation is over.", 429: "Reminded a short while ago."},
          description="Emits `document.circulation.reminded` to readers whose turn it is."),
]
