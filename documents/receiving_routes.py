"""HTTP routes of receiving (收文): 签收, 登记, 初审, 拟办, 承办, 办结, 答复.

批办 is a signed decision on the 批办 chain, through `POST /v1/approvals/{id}/decisions`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.http import parse_json, route
from documents import handling, receiving
from documents.routing import DOC, TAG, shown, with_document
from documents.schemas import (
    AnswerIn, AssignIn, CompleteIn, DocumentPublic, ProposeIn, RegisterIn, ReviewIn,
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


INCOMING_404 = "No such document, or not an incoming copy you may see."
DESK_403 = "Only the document desk (文书, clerks) of the receiving unit."
STATE_409 = "The incoming copy is not at the step this move is for, or it is archived."

routes = [
    route(DOC + "/receive", receive_document, "POST", "Sign for it (签收)",
          response=DocumentPublic, tag=TAG, errors={
              403: DESK_403 + " Or, for a copy addressed in person, only that person.",
              404: INCOMING_404, 409: STATE_409 + " Or it was signed for already."},
          description="The receiving desk (or the person it was addressed to). Emits "
                      "`document.received` to the sender's drafter and desk."),
    route(DOC + "/register", register_document, "POST", "Register it (登记, 收文编号)",
          body=RegisterIn, response=DocumentPublic, tag=TAG, errors={
              403: DESK_403, 404: INCOMING_404, 409: STATE_409,
              422: "The series is not one of this unit's incoming series."},
          description="The desk gives the incoming number."),
    route(DOC + "/review", review_document, "POST", "First review (初审): accept or return",
          body=ReviewIn, response=DocumentPublic, tag=TAG, errors={
              403: DESK_403, 404: INCOMING_404, 409: STATE_409},
          description="The desk accepts it, or returns it to the sender with reasons (emits "
                      "`document.bounced`)."),
    route(DOC + "/propose", propose_handling, "POST", "Propose handling (拟办), ask for 批办",
          body=ProposeIn, response=DocumentPublic, tag=TAG, errors={
              403: DESK_403, 404: INCOMING_404, 409: STATE_409,
              422: "A field is not valid, or the leader is not a leader of the unit."},
          description="The desk proposes (拟办) and asks a leader to instruct (批办) through a "
                      "one-step signed chain: the leader gets `approval.pending`; their "
                      "decision emits `document.instructed` or `document.instruction_returned`."),
    route(DOC + "/assign", assign_handling, "POST", "Assign the handling (承办)",
          body=AssignIn, response=DocumentPublic, tag=TAG, errors={
              403: DESK_403, 404: INCOMING_404, 409: STATE_409,
              422: "A field is not valid, or a unit or person is outside the receiving unit."},
          description="The desk, once instructed: lead and assisting units and people; a "
                      "supervised task (督办) is made for it. Emits `document.assigned`."),
    route(DOC + "/complete", complete_handling, "POST", "Handling finished (办结)",
          body=CompleteIn, response=DocumentPublic, tag=TAG, errors={
              403: "Only a handler (承办) or the desk.", 404: INCOMING_404, 409: STATE_409},
          description="Emits `document.completed` to the desk and the instructing leader."),
    route(DOC + "/answer", answer_document, "POST", "Answer the sender (答复)", body=AnswerIn,
          response=DocumentPublic, tag=TAG, errors={
              403: DESK_403, 404: INCOMING_404,
              409: STATE_409 + " Or it was answered already.",
              422: "A field is not valid, or a file is not yours to attach."},
          description="The desk answers a 请示 (or any copy): the text and files reach the "
                      "sender's deliveries. Emits `document.answered`."),
]
