"""HTTP routes of sign-off chains (签批)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from approvals import absences, actions, inbox, queries, reminders
from approvals.actions import Subject
from approvals.schemas import (
    AbsencePage, AbsencePublic, ChainCreate, ChainPublic, ChainReminded, ContentChange,
    DecisionCreate, DecisionResult, DelegateCreate, InboxPage, InboxQuery, OutOfOfficeCreate,
    PageQuery, ReasonBody, RemindCreate, Resubmit, SignersCreate, VerifyReport,
)
from core.errors import NotFound
from core.http import IDEMPOTENCY_KEY, Reply, parse_json, parse_query, path_int, reply, route
from core.idempotency import header_key
from directory.auth import authenticate


async def start_chain(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, ChainCreate)
    chain = await actions.do_start_chain(
        Subject(body.subject_type, body.subject_id), actor=actor, title=body.title,
        content_sha256=body.content_sha256, steps=[step.plan() for step in body.steps],
        cc=body.cc, urgency=body.urgency, due_at=body.due_at, direct=True,
        idempotency_key=header_key(request),
    )
    return reply(await queries.chain_public(chain), status=201)


def row_id(request: Request, name: str) -> int:
    """A path id; one beyond the INTEGER range names no row (404, not a database error)."""
    value = path_int(request, name)
    if value > 2**31 - 1:
        raise NotFound()
    return value


def chain_id(request: Request) -> int:
    return row_id(request, "chain_id")


async def show_inbox(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, InboxQuery)
    return reply(await inbox.list_inbox(actor, box=query.box, limit=query.limit,
                                        cursor=query.cursor))


async def show_chain(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    return reply(await queries.chain_public(chain))


async def decide_step(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    body = await parse_json(request, DecisionCreate)
    decided = await actions.do_decide_step(
        chain, actor=actor, step_id=body.step_id, verdict=body.decision, comment=body.comment,
        signature=body.signature, return_to=body.return_to_step,
    )
    return reply(queries.decided_public(decided.decision, decided.chain,
                                        decided.current_step_id), status=201)


async def delegate_step(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    body = await parse_json(request, DelegateCreate)
    chain = await actions.do_delegate_step(chain, actor=actor, step_id=body.step_id,
                                           delegate_id=body.delegate_id, reason=body.reason)
    return reply(await queries.chain_public(chain))


async def add_signers(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    body = await parse_json(request, SignersCreate)
    chain = await actions.do_add_signers(chain, actor=actor, step_id=body.step_id,
                                         where=body.where, plan=body.plan())
    return reply(await queries.chain_public(chain))


async def withdraw_chain(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    body = await parse_json(request, ReasonBody)
    chain = await actions.do_withdraw_chain(chain, actor=actor, reason=body.reason)
    return reply(await queries.chain_public(chain))


async def take_back(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    chain = await actions.do_take_back(chain, actor=actor)
    return reply(await queries.chain_public(chain))


async def remind_chain(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    body = await parse_json(request, RemindCreate)
    reminded = await reminders.do_remind_chain(chain, actor=actor, message=body.message)
    return reply({"chain_id": chain.id, "reminded": reminded})


async def change_content(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    body = await parse_json(request, ContentChange)
    chain = await actions.do_edit_ad_hoc_content(
        chain, actor=actor, content_sha256=body.content_sha256,
        restart_step_id=body.restart_step_id,
    )
    return reply(await queries.chain_public(chain))


async def resubmit_chain(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    body = await parse_json(request, Resubmit)
    chain = await actions.do_resubmit_chain(chain, actor=actor,
                                            restart_step_id=body.restart_step_id,
                                            content_sha256=body.content_sha256)
    return reply(await queries.chain_public(chain))


async def verify_chain(request: Request) -> Response:
    actor = await authenticate(request)
    chain = await queries.access_chain(actor, chain_id(request))
    return reply(await queries.verify_chain(chain))


async def set_out_of_office(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, OutOfOfficeCreate)
    absence = await absences.do_set_out_of_office(
        actor=actor, delegate_id=body.delegate_id, starts_at=body.starts_at, ends_at=body.ends_at
    )
    return reply(absences.absence_public(absence), status=201)


async def list_out_of_office(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, PageQuery)
    return reply(await absences.list_absences(actor, limit=query.limit, cursor=query.cursor))


async def cancel_out_of_office(request: Request) -> Response:
    actor = await authenticate(request)
    absence = await absences.access_absence(actor, row_id(request, "absence_id"))
    absence = await absences.do_cancel_out_of_office(absence, actor=actor)
    return reply(absences.absence_public(absence))


CHAIN = "/v1/approvals/{chain_id}"
OUT_OF_OFFICE = "/v1/approvals/out-of-office"
T = "approvals"
CHAIN_404 = ("No such chain, or you are not its initiator, a watcher, nor seated on a step "
             "(nor a reader of its subject).")
RUNNING_409 = "The chain is not running (completed, rejected, returned or withdrawn)."
INITIATOR_403 = "Only the initiator."

routes = [
    route("/v1/approvals", start_chain, "POST", "Start a sign-off chain (发起签批)",
          body=ChainCreate, response=ChainPublic, status=201, headers=(IDEMPOTENCY_KEY,), tag=T,
          replies={200: Reply(ChainPublic, "Started before with this Idempotency-Key.")},
          errors={422: "A field is not valid, a signer does not exist, or a step has nobody."},
          description="Anyone signed in, for an ad-hoc subject (公文 start theirs through "
                      "`/v1/documents/{id}/submit`). Steps run in order; each has a mode: "
                      "`one` 单签, `all` 会签, `any` 或签, `quorum` 票签. Emits "
                      "`approval.pending` to the first step's signers."),
    route("/v1/approvals/inbox", show_inbox, "GET", "My inbox: waiting, done, started (待办)",
          query=InboxQuery, response=InboxPage, tag=T,
          errors={400: "The cursor is not one this box gave."},
          description="`waiting`: seats I must decide, most urgent and soonest due first; "
                      "`done`: my decisions; `started`: chains I began."),
    route(OUT_OF_OFFICE, set_out_of_office, "POST", "Name a delegate while away (外出委托)",
          body=OutOfOfficeCreate, response=AbsencePublic, status=201, tag=T,
          errors={409: "It overlaps another period of yours.",
                  422: "A field is not valid, or the delegate is you or does not exist."},
          description="Steps that open for me in the period go to the delegate instead, on my "
                      "behalf."),
    route(OUT_OF_OFFICE, list_out_of_office, "GET", "My out-of-office periods",
          query=PageQuery, response=AbsencePage, tag=T,
          errors={400: "The cursor is not one this list gave."},
          description="The caller's own periods, current and past."),
    route(OUT_OF_OFFICE + "/{absence_id}", cancel_out_of_office, "DELETE",
          "End an out-of-office period", response=AbsencePublic, tag=T,
          errors={404: "Unless the period is yours."},
          description="The person away ends it early; later steps come to them again."),
    route(CHAIN, show_chain, "GET", "A chain: steps, decisions, history", response=ChainPublic,
          tag=T, errors={404: CHAIN_404},
          description="Its initiator, watchers, anyone seated on a step, and those who may "
                      "see its subject."),
    route(CHAIN + "/decisions", decide_step, "POST", "Decide on a step, signed (同意/不同意/退回)",
          body=DecisionCreate, response=DecisionResult, status=201, tag=T, errors={
              403: "You hold no open seat on that step.", 404: CHAIN_404,
              409: RUNNING_409 + " Or the step closed, the subject changed since you read it "
                                 "(`content-changed`), or the nonce was used before.",
              422: "A field is not valid, or the signature is malformed, not by your device's "
                   "key, for other content or stale (`signature-*`), or the return target is "
                   "not an earlier step."},
          description="A person seated on the open step. `signature` is a compact JWS (ES256) "
                      "made on a registered device over `{chain, step, decision, comment, "
                      "content_sha256, signed_at, nonce}`. Emits `approval.decided`, and "
                      "`approval.pending` when the next step opens, `approval.completed`, "
                      "`rejected` or `returned` when the chain ends a pass."),
    route(CHAIN + "/delegate", delegate_step, "POST", "Hand my place to someone (转交)",
          body=DelegateCreate, response=ChainPublic, tag=T, errors={
              403: "You hold no open seat.", 404: CHAIN_404,
              409: RUNNING_409 + " Or the delegate already holds a seat."},
          description="A person with an open seat hands it on. Emits `approval.delegated` and "
                      "`approval.pending` to the delegate."),
    route(CHAIN + "/add-signers", add_signers, "POST", "Add signers before or after (加签)",
          body=SignersCreate, response=ChainPublic, tag=T, errors={
              403: "You hold no open seat.", 404: CHAIN_404, 409: RUNNING_409},
          description="A person with an open seat adds a step before (they sign first) or "
                      "after the current one. Emits `approval.signers_added`."),
    route(CHAIN + "/withdraw", withdraw_chain, "POST", "Withdraw the chain (撤回)",
          body=ReasonBody, response=ChainPublic, tag=T, errors={
              403: INITIATOR_403, 404: CHAIN_404, 409: RUNNING_409},
          description="The initiator, while it runs or is returned. Emits "
                      "`approval.withdrawn` and `approval.cancelled` to open seats."),
    route(CHAIN + "/take-back", take_back, "POST", "Take back my approval (拿回)",
          response=ChainPublic, tag=T, errors={
              404: CHAIN_404,
              409: RUNNING_409 + " Or there is nothing to take back: the next step has "
                                 "decided."},
          description="A signer whose approval opened the next step, before anyone there "
                      "decided. Emits `approval.taken_back`."),
    route(CHAIN + "/remind", remind_chain, "POST", "Remind who is awaited (催办)",
          body=RemindCreate, response=ChainReminded, tag=T, errors={
              403: INITIATOR_403, 404: CHAIN_404, 409: RUNNING_409,
              429: "Reminded less than the minimum interval ago."},
          description="The initiator. Emits `approval.reminded` to the open seats."),
    route(CHAIN + "/content", change_content, "POST", "The ad-hoc subject changed (实质性修改)",
          body=ContentChange, response=ChainPublic, tag=T, errors={
              403: INITIATOR_403, 404: CHAIN_404, 409: RUNNING_409},
          description="The initiator of an ad-hoc chain gives the new content hash: earlier "
                      "approvals become stale and signing starts again. Emits "
                      "`approval.content_changed`."),
    route(CHAIN + "/resubmit", resubmit_chain, "POST", "Send a returned chain on (重新提交)",
          body=Resubmit, response=ChainPublic, tag=T, errors={
              403: INITIATOR_403, 404: CHAIN_404, 409: "The chain is not returned."},
          description="The initiator of a returned chain. Emits `approval.pending`."),
    route(CHAIN + "/verify", verify_chain, "GET", "Check every signature again",
          response=VerifyReport, tag=T, errors={404: CHAIN_404},
          description="Anyone who may see the chain: every decision's JWS re-checked against "
                      "its device key (revoked keys included) and the content hash."),
]
