"""HTTP routes of receiving (收文): 签收, 登记, 初审, 拟办, 承办, 办结, 答复.

批办 is a signed decision on the 批办 chain, through `POST /v1/approvals/{id}/decisions`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.http import parse_json, route
from documents import handling, receiving
from documents.routing import DOC, TAG, shown, with_document
from documents.schemas import (
    AnswerIn, AssignIn, CompleteIn, ProposeIn, RegisterIn, ReviewIn,
)


async def receive_document(request: Request) -> Response:
    actor, document = await with_document(request)
    document = await receiving.do_receive_document(document, actor=actor)
    return await shown(actor, document)


async def register_document(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, RegisterIn)
    document = await receiving.do_register_document(document, actor=actor,
                                                    series_id=body.series_id)
    return await shown(actor, document)


async def review_document(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, ReviewIn)
    document = await receiving.do_review_document(document, actor=actor,
                                                  accept=body.decision == "accept",
                                                  reason=body.reason)
    return await shown(actor, document)


async def propose_handling(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, ProposeIn)
    document = await receiving.do_propose_handling(document, actor=actor,
                                                   proposal=body.proposal,
                                                   leader_ids=body.leader_ids)
    return await shown(actor, document)


async def assign_handling(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, AssignIn)
    document = await handling.do_assign_handling(document, actor=actor, body=body)
    return await shown(actor, document)


async def complete_handling(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, CompleteIn)
    document = await handling.do_complete_handling(document, actor=actor, result=body.result,
                                                   continues=body.continues)
    return await shown(actor, document)


async def answer_document(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, AnswerIn)
    document = await handling.do_answer_document(document, actor=actor, text=body.text,
                                                 file_ids=body.file_ids)
    return await shown(actor, document)


routes = [
    route(DOC + "/receive", receive_document, "POST", "Sign for it (签收)", tag=TAG),
    route(DOC + "/register", register_document, "POST", "Register it (登记, 收文编号)",
          body=RegisterIn, tag=TAG),
    route(DOC + "/review", review_document, "POST", "First review (初审): accept or return",
          body=ReviewIn, tag=TAG),
    route(DOC + "/propose", propose_handling, "POST", "Propose handling (拟办), ask for 批办",
          body=ProposeIn, tag=TAG),
    route(DOC + "/assign", assign_handling, "POST", "Assign the handling (承办)",
          body=AssignIn, tag=TAG),
    route(DOC + "/complete", complete_handling, "POST", "Handling finished (办结)",
          body=CompleteIn, tag=TAG),
    route(DOC + "/answer", answer_document, "POST", "Answer the sender (答复)", body=AnswerIn,
          tag=TAG),
]
