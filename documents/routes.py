"""HTTP routes of documents (公文): drafting, versions, sign-off, numbering, distribution and
archive; receiving, circulation and registers come from their own modules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from core.errors import NotFound
from core.http import IDEMPOTENCY_KEY, Reply, parse_json, parse_query, reply, route
from core.idempotency import header_key
from directory.auth import authenticate
from documents import desk, numbering, queries, search, sending, shapes, signoff
from documents.artifact.actions import ensure_artifact, render_after_issue
from documents.artifact.routes import routes as artifact_routes
from documents.circulation_routes import routes as circulation_routes
from documents.drafting import do_create_document, do_edit_document
from documents.forwarding import do_forward_document
from documents.models import DocumentVersion
from documents.receiving_routes import routes as receiving_routes
from documents.register_routes import routes as register_routes
from documents.routing import DOC, TAG, root, row_id, shown, with_document
from documents.schemas import (
    DeliveryPage, DeskPublic, DistributeIn, Distributed, DocumentCreate, DocumentEdit,
    DocumentHistory, DocumentPage, DocumentPublic, DocumentQuery, ForwardedDraftPublic, ForwardIn,
    IssueIn, PageQuery, SeriesCreate, SeriesList, SeriesPublic, SeriesQuery, SubmitIn,
    TrackedCirculationPage, TrackedQuery, VersionPage, VersionPublic,
)
from documents.versions import version_public


async def create_document(request: Request) -> Response:
    actor = await authenticate(request)
    key = header_key(request)
    body = await parse_json(request, DocumentCreate)
    document = await do_create_document(actor=actor, draft=body, files_root=root(request),
                                        idempotency_key=key)
    return await shown(actor, document, 201)


async def list_documents(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, DocumentQuery)
    return reply(await search.list_documents(actor, query))


async def show_document(request: Request) -> Response:
    actor, document = await with_document(request)
    return await shown(actor, document)


async def edit_document(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, DocumentEdit)
    document = await do_edit_document(document, actor=actor, edit=body, files_root=root(request))
    return await shown(actor, document)


async def list_versions(request: Request) -> Response:
    _, document = await with_document(request)
    query = parse_query(request, PageQuery)
    return reply(await shapes.versions_page(document, limit=query.limit, cursor=query.cursor))


async def show_version(request: Request) -> Response:
    _, document = await with_document(request)
    version = await DocumentVersion.get_or_none(document_id=document.id,
                                                number=row_id(request, "number"))
    if version is None:
        raise NotFound("No such version.")
    return reply(version_public(version, await shapes.people([version.created_by_id])))


async def show_history(request: Request) -> Response:
    _, document = await with_document(request)
    return reply({"document_id": document.id, "items": await shapes.history(document)})


async def submit_document(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, SubmitIn)
    document = await signoff.do_submit_document(document, actor=actor, steps=body.chain,
                                                cc=body.cc)
    return await shown(actor, document)


async def issue_document(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, IssueIn)
    series = await queries.access_series(actor, body.series_id)
    document = await sending.do_issue_document(document, actor=actor, series=series)
    problem = await render_after_issue(document, actor=actor,
                                       settings=request.app.state.settings, root=root(request))
    public = await shapes.document_public(document, viewer_id=actor.id)
    return reply({**public, "artifact_problem": problem} if problem else public)


async def distribute_document(request: Request) -> Response:
    actor, document = await with_document(request)
    body = await parse_json(request, DistributeIn)
    await ensure_artifact(document, actor=actor, settings=request.app.state.settings,
                          root=root(request))
    made = await sending.do_distribute_document(document, actor=actor, units=body.units,
                                                people=body.people)
    return reply({"document_id": document.id,
                  "deliveries": await shapes.deliveries_public(made)}, status=201)


async def forward_document(request: Request) -> Response:
    """转发: the receiving unit's desk makes a new outgoing draft that carries this received
    document — its body, attachments and any other file it references become the draft's
    attachments — to units under the receiving unit. The draft then takes its own sign-off,
    number and distribution; the units it reaches see the original's title and number in
    `forwards`, and its files."""
    actor, original = await with_document(request)
    key = header_key(request)
    body = await parse_json(request, ForwardIn)
    limit = request.app.state.settings.upload_limit_bytes
    document = await do_forward_document(original, actor=actor, request=body,
                                         files_root=root(request), upload_limit=limit,
                                         idempotency_key=key)
    return await shown(actor, document, 201)


async def list_deliveries(request: Request) -> Response:
    _, document = await with_document(request)
    query = parse_query(request, PageQuery)
    return reply(await shapes.deliveries_page(document, limit=query.limit, cursor=query.cursor))


async def archive_document(request: Request) -> Response:
    actor, document = await with_document(request)
    document = await sending.do_archive_document(document, actor=actor)
    return await shown(actor, document)


async def create_series(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, SeriesCreate)
    series = await numbering.do_create_series(actor=actor, unit_id=body.unit_id,
                                              prefix=body.prefix, kind=body.kind)
    return reply(numbering.series_public(series), status=201)


async def show_desk(request: Request) -> Response:
    actor = await authenticate(request)
    return reply(await desk.desk_counts(actor))


async def list_tracked_circulations(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, TrackedQuery)
    return reply(await desk.list_tracked_circulations(actor, state=query.state,
                                                      limit=query.limit, cursor=query.cursor))


async def list_series(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, SeriesQuery)
    await queries.require_unit_desk(actor, query.unit_id)
    return reply({"items": await numbering.list_series(query.unit_id)})


DOC_404 = ("No such document, or not one you may see: you drafted or sign it, sit at its "
           "unit's desk (文书), handle it, or it was delivered or circulated to you.")
DESK_403 = "Only the document desk (文书, clerks) of its unit."
STATE_409 = "The document is not in a state that allows this, or it is archived."

routes: list[BaseRoute] = [
    route("/v1/documents", create_document, "POST", "Draft a document (拟稿)",
          body=DocumentCreate, response=DocumentPublic, status=201, headers=(IDEMPOTENCY_KEY,),
          tag=TAG, replies={200: Reply(DocumentPublic, "Drafted before with this "
                                                       "Idempotency-Key.")},
          errors={403: "You hold no post in the drafting unit.",
                  422: "A field is not valid: classified (涉密) documents are refused, a "
                       "deadline has passed or is missing, a unit is unknown or named twice."},
          description="Anyone with a post in the unit drafts an outgoing document with the "
                      "GB/T 9704 elements; the body and attachments are file ids from "
                      "`POST /v1/files`."),
    route("/v1/documents", list_documents, "GET", "My documents; `q` searches titles, numbers "
          "and body text", query=DocumentQuery, response=DocumentPage, tag=TAG,
          errors={400: "The cursor is not one this list gave."},
          description="Documents I may see, newest first; filter by direction and state."),
    route("/v1/documents/series", create_series, "POST", "Add a numbering series (机关代字)",
          body=SeriesCreate, response=SeriesPublic, status=201, tag=TAG,
          errors={403: DESK_403, 404: "No such unit, or not one you may see.",
                  409: "The unit already has this series."},
          description="The unit's desk adds a prefix such as 黔府办发; numbers in it are "
                      "unique and gap-free per year."),
    route("/v1/documents/series", list_series, "GET", "A unit's numbering series",
          query=SeriesQuery, response=SeriesList, tag=TAG,
          errors={403: DESK_403, 404: "No such unit, or not one you may see."},
          description="The unit's desk: its outgoing and incoming series."),
    route("/v1/documents/desk", show_desk, "GET", "What waits at my document desks (待办), "
          "by unit and state", response=DeskPublic, tag=TAG,
          description="Anyone: counts for each desk the caller works, and the 传阅 waiting "
                      "for the caller's reading."),
    route("/v1/documents/circulations", list_tracked_circulations, "GET",
          "传阅 I follow: started by me or of my desks' documents, newest first",
          query=TrackedQuery, response=TrackedCirculationPage, tag=TAG,
          errors={400: "The cursor is not one this list gave."},
          description="Circulations the caller started, or of documents of the desks the "
                      "caller works; others' are not listed."),
    *register_routes,
    *artifact_routes,
    route(DOC, show_document, "GET", "A document in full", response=DocumentPublic, tag=TAG,
          errors={404: DOC_404}, description="Anyone who may see it (see 404)."),
    route(DOC, edit_document, "PATCH", "Change a draft: a new version (修改)", body=DocumentEdit,
          response=DocumentPublic, tag=TAG, errors={
              403: "Only its drafter or its unit's desk.", 404: DOC_404, 409: STATE_409,
              422: "A field is not valid (as when drafting)."},
          description="While a draft (or returned): a new version is kept with what changed. "
                      "After signing, a change sends it back for signing again (重新签发)."),
    route(DOC + "/versions", list_versions, "GET", "Versions: who changed what, when",
          query=PageQuery, response=VersionPage, tag=TAG,
          errors={400: "The cursor is not one this list gave.", 404: DOC_404},
          description="Anyone who may see it: newest first."),
    route(DOC + "/versions/{number}", show_version, "GET", "One version",
          response=VersionPublic, tag=TAG, errors={404: DOC_404 + " Or no such version."},
          description="Anyone who may see it: the elements and files of that version."),
    route(DOC + "/history", show_history, "GET", "What happened to it: who did what, when",
          response=DocumentHistory, tag=TAG, errors={404: DOC_404},
          description="Anyone who may see it: its audit entries, oldest first."),
    route(DOC + "/submit", submit_document, "POST", "Start sign-off (核稿 → 会签 → 签发)",
          body=SubmitIn, response=DocumentPublic, tag=TAG, errors={
              403: "Only its drafter or its unit's desk.", 404: DOC_404, 409: STATE_409,
              422: "The chain is not valid: the last step must be 签发 by the document's "
                   "signer, alone."},
          description="Starts the sign-off chain (签批) over the current version's hash. Emits "
                      "`approval.pending` to the first step; `document.signed` or "
                      "`document.returned` when the chain ends."),
    route(DOC + "/issue", issue_document, "POST", "Give the document number (编号)",
          body=IssueIn, response=DocumentPublic, tag=TAG, errors={
              403: DESK_403, 404: DOC_404, 409: STATE_409 + " (It must be signed.)",
              422: "The series is not one of this unit's outgoing series."},
          description="The desk, once signed (签发): the next number of the series and year, "
                      "e.g. 黔府办发〔2026〕12号. Emits `document.issued`."),
    route(DOC + "/distribute", distribute_document, "POST", "Deliver to units and people (分发)",
          body=DistributeIn, response=Distributed, status=201, tag=TAG, errors={
              403: DESK_403, 404: DOC_404, 409: STATE_409 + " (It must be issued.)",
              422: "No recipients, an unknown unit, a unit without a desk, or an internal "
                   "(内部) document to outside recipients."},
          description="The desk, once issued: each unit's desk and each person named gets an "
                      "incoming copy (收文) of their own. `deliveries[].id` is the delivery; "
                      "the recipient's copy is the `document_id` of their "
                      "`document.delivered` event. Emits `document.delivered`."),
    route(DOC + "/forward", forward_document, "POST", "Forward a received document (转发): a "
          "new draft carrying it", body=ForwardIn, response=ForwardedDraftPublic, status=201,
          headers=(IDEMPOTENCY_KEY,), tag=TAG, errors={
              403: "unless you work the desk of the unit that received it",
              409: "unless it was signed for (签收) and not returned to its sender",
              422: "when a unit is not under the receiving unit, or a file is not yours"}),
    route(DOC + "/deliveries", list_deliveries, "GET", "Who got it, who signed for it, when",
          query=PageQuery, response=DeliveryPage, tag=TAG,
          errors={400: "The cursor is not one this list gave.", 404: DOC_404},
          description="Anyone who may see the outgoing document."),
    route(DOC + "/archive", archive_document, "POST", "Archive (归档): read-only from now",
          response=DocumentPublic, tag=TAG, errors={403: DESK_403, 404: DOC_404,
                                                    409: STATE_409},
          description="The desk, once distributed (outgoing) or done (incoming)."),
    *receiving_routes,
    *circulation_routes,
]
