"""HTTP routes of notices and meetings (通知公告 / 会议通知)."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from core.clock import utcnow
from core.http import IDEMPOTENCY_KEY, Reply, parse_json, parse_query, path_int, reply, route
from core.idempotency import header_key
from directory.auth import Actor, authenticate
from notices import actions, queries, stats, unit_replies
from notices.export import csv_chunks
from notices.models import Notice
from notices.policy import Answer
from notices.schemas import (
    CheckinCode,
    CheckinIn,
    CorrectionIn,
    NoticeCreate,
    NoticeDetail,
    NoticePage,
    NoticeStats,
    NoticesQuery,
    ReasonIn,
    ReceiptPublic,
    RecipientPage,
    RecipientsQuery,
    Reminded,
    RemindIn,
    RsvpIn,
    StatsQuery,
    UnitReplyIn,
    UnitReplyPublic,
)
from notices.views import notice_detail, receipt_public

TAG = "notices"


class EndAction(Protocol):
    async def __call__(self, notice: Notice, *, actor: Actor, reason: str) -> Notice: ...


def _wake_scheduler(request: Request) -> None:
    """Big sends are written by jobs: start them now rather than at the next poll."""
    scheduler = getattr(request.app.state, "scheduler", None)
    if scheduler is not None:
        scheduler.wake()


async def create_notice(request: Request) -> Response:
    actor = await authenticate(request)
    draft = await parse_json(request, NoticeCreate)
    notice = await actions.do_publish_notice(
        draft, actor=actor, idempotency_key=header_key(request)
    )
    _wake_scheduler(request)
    return reply(await notice_detail(notice, None), status=201)


async def list_notices(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, NoticesQuery)
    lister = queries.list_sent if query.box == "sent" else queries.list_inbox
    return reply(await lister(actor, limit=query.limit, cursor=query.cursor))


async def show_notice(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_notice(actor, path_int(request, "notice_id"))
    return reply(await notice_detail(access.notice, access.receipt))


async def read_notice(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_notice(actor, path_int(request, "notice_id"))
    return reply(receipt_public(await actions.do_read_notice(access, actor=actor)))


async def confirm_notice(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_notice(actor, path_int(request, "notice_id"))
    return reply(receipt_public(await actions.do_confirm_notice(access, actor=actor)))


async def answer_rsvp(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_notice(actor, path_int(request, "notice_id"))
    body = await parse_json(request, RsvpIn)
    row = await actions.do_answer_rsvp(
        access, actor=actor, answer=Answer(body.answer), reason=body.reason,
        substitute_id=body.substitute_id,
    )
    return reply(receipt_public(row))


async def check_in(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_notice(actor, path_int(request, "notice_id"))
    body = await parse_json(request, CheckinIn)
    return reply(receipt_public(await actions.do_check_in(access, actor=actor, code=body.code)))


async def show_checkin_code(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_own_notice(actor, path_int(request, "notice_id"))
    return reply(queries.checkin_code_for(access.notice, utcnow()),
                 headers={"Cache-Control": "no-store"})


async def correct_notice(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_own_notice(actor, path_int(request, "notice_id"))
    body = await parse_json(request, CorrectionIn)
    notice = await actions.do_correct_notice(access.notice, actor=actor, change=body)
    _wake_scheduler(request)
    return reply(await notice_detail(notice, access.receipt))


async def withdraw_notice(request: Request) -> Response:
    return await _end_notice(request, actions.do_withdraw_notice)


async def cancel_meeting(request: Request) -> Response:
    return await _end_notice(request, actions.do_cancel_meeting)


async def _end_notice(request: Request, end: EndAction) -> Response:
    actor = await authenticate(request)
    access = await queries.access_own_notice(actor, path_int(request, "notice_id"))
    body = await parse_json(request, ReasonIn)
    notice = await end(access.notice, actor=actor, reason=body.reason)
    _wake_scheduler(request)
    return reply(await notice_detail(notice, access.receipt))


async def remind_notice(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_own_notice(actor, path_int(request, "notice_id"))
    body = await parse_json(request, RemindIn)
    result = await actions.do_remind_notice(access.notice, actor=actor, target=body.target)
    _wake_scheduler(request)
    return reply(result)


async def show_stats(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_own_notice(actor, path_int(request, "notice_id"))
    query = parse_query(request, StatsQuery)
    return reply(await stats.notice_stats(access.notice, unit_id=query.unit_id))


async def list_recipients(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_own_notice(actor, path_int(request, "notice_id"))
    query = parse_query(request, RecipientsQuery)
    return reply(await stats.recipients_page(
        access.notice, status=query.status, unit_id=query.unit_id, limit=query.limit,
        cursor=query.cursor,
    ))


async def show_unit_reply(request: Request) -> Response:
    """A unit's 回执 to a meeting call that addresses it: who attends for the unit, who
    answered and when. For the publisher and the unit's contacts."""
    actor = await authenticate(request)
    access = await queries.access_notice(actor, path_int(request, "notice_id"))
    unit = await unit_replies.access_unit(access, path_int(request, "unit_id"), actor=actor)
    return reply(await unit_replies.unit_reply_public(access.notice, unit))


async def reply_for_unit(request: Request) -> Response:
    """单位回执: the unit's contact (a clerk of its desk, a leader or an admin) names who
    attends for the unit — anyone of it or of a unit under it, invited or not — replacing any
    earlier reply. Those named attend; the unit's other recipients become `not_named`."""
    actor = await authenticate(request)
    access = await queries.access_notice(actor, path_int(request, "notice_id"))
    unit = await unit_replies.access_unit(access, path_int(request, "unit_id"), actor=actor)
    body = await parse_json(request, UnitReplyIn)
    await unit_replies.do_reply_for_unit(access.notice, unit, actor=actor,
                                         attendees=body.attendees, note=body.note)
    return reply(await unit_replies.unit_reply_public(access.notice, unit))


async def export_stats(request: Request) -> Response:
    actor = await authenticate(request)
    access = await queries.access_own_notice(actor, path_int(request, "notice_id"))
    name = quote(f"回执-{access.notice.id}.csv")
    return StreamingResponse(
        csv_chunks(access.notice), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


N = "/v1/notices/{notice_id}"
NOT_YOURS = "No such notice, or you are neither its publisher nor a recipient."
PUBLISHER_403 = "Only the publisher."
RECIPIENT_403 = "Only a recipient."
ENDED_409 = "The notice was withdrawn or the meeting cancelled."
CSV = Reply(description="One row per recipient, UTF-8 with BOM (opens in Excel).",
            media_type="text/csv", schema={"type": "string"},
            headers={"Content-Disposition": "attachment; the file name"})

routes = [
    route("/v1/notices", create_notice, "POST", "Send a notice or meeting call (发布通知/会议)",
          body=NoticeCreate, response=NoticeDetail, status=201, headers=(IDEMPOTENCY_KEY,),
          tag=TAG, replies={200: Reply(NoticeDetail, "Sent before with this Idempotency-Key: "
                                                     "that notice, nothing new.")},
          errors={403: "Only clerks, leaders and unit admins, and only to units within their "
                       "area.",
                  409: "These recipients are being delivered to by another request.",
                  422: "A field is not valid, the audience names nobody, or a time has passed."},
          description="The audience (units with or without sub-units, people, groups) is "
                      "resolved to people now. Emits `notice.published` to each recipient."),
    route("/v1/notices", list_notices, "GET", "My inbox or sent notices", query=NoticesQuery,
          response=NoticePage, tag=TAG, errors={400: "The cursor is not one this list gave."},
          description="`box=inbox`: notices sent to me, with my receipt. `box=sent`: mine."),
    route(N, show_notice, "GET", "A notice with its files, corrections and my receipt",
          response=NoticeDetail, tag=TAG, errors={404: NOT_YOURS},
          description="Its publisher and its recipients."),
    route(N + "/read", read_notice, "POST", "Mark read (已读)", response=ReceiptPublic, tag=TAG,
          errors={403: RECIPIENT_403, 404: NOT_YOURS},
          description="A recipient; reading twice changes nothing. Emits `notice.receipt`."),
    route(N + "/confirm", confirm_notice, "POST", "Confirm receipt (确认收到)",
          response=ReceiptPublic, tag=TAG, errors={
              403: RECIPIENT_403, 404: NOT_YOURS,
              409: "The notice asks for no confirmation, or it has ended."},
          description="A recipient, when `requires_confirmation`. Emits `notice.receipt`."),
    route(N + "/rsvp", answer_rsvp, "POST", "Answer a meeting call (参会回执)", body=RsvpIn,
          response=ReceiptPublic, tag=TAG, errors={
              403: RECIPIENT_403, 404: NOT_YOURS,
              409: "Not a meeting, the meeting has ended, answers are closed, you sent a "
                   "substitute, or the substitute is already invited.",
              422: "A field is not valid, or the substitute may not stand in for you."},
          description="A recipient of a meeting call: attend, decline (with a reason) or send a "
                      "substitute (委派代参), who then receives the call. Emits "
                      "`notice.receipt`, and `notice.rsvp` to the publisher."),
    route(N + "/checkin", check_in, "POST", "Check in with the code shown (签到)",
          body=CheckinIn, response=ReceiptPublic, tag=TAG, errors={
              403: RECIPIENT_403, 404: NOT_YOURS,
              409: "Check-in is not open now, the meeting ended, or you sent a substitute.",
              422: "The code is wrong or has expired.",
              429: "Too many wrong codes; wait a little."},
          description="An invited person at the meeting, with the code on the organiser's "
                      "screen. Emits `notice.checked_in` to the publisher."),
    route(N + "/checkin-code", show_checkin_code, "GET", "The rotating check-in code (organiser)",
          response=CheckinCode, tag=TAG, errors={
              403: PUBLISHER_403, 404: NOT_YOURS, 409: "Not a meeting, or it has ended."},
          description="The publisher of a meeting call."),
    route(N + "/corrections", correct_notice, "POST", "Correct or move (更正/改期), publisher",
          body=CorrectionIn, response=NoticeDetail, tag=TAG, errors={
              403: PUBLISHER_403, 404: NOT_YOURS,
              409: "The notice has ended, or changed meanwhile.",
              422: "A field is not valid, or the correction changes nothing."},
          description="The publisher. Emits `notice.corrected` to every recipient; with "
                      "`reconfirm` they are asked to confirm again."),
    route(N + "/withdraw", withdraw_notice, "POST", "Withdraw (撤回), publisher", body=ReasonIn,
          response=NoticeDetail, tag=TAG, errors={
              403: PUBLISHER_403, 404: NOT_YOURS, 409: "It has already ended."},
          description="The publisher. Emits `notice.withdrawn` to every recipient."),
    route(N + "/cancel", cancel_meeting, "POST", "Cancel a meeting (取消会议), publisher",
          body=ReasonIn, response=NoticeDetail, tag=TAG, errors={
              403: PUBLISHER_403, 404: NOT_YOURS,
              409: "Not a meeting (withdraw a notice instead), or it has already ended."},
          description="The publisher. Emits `notice.cancelled` to every recipient."),
    route(N + "/remind", remind_notice, "POST", "Remind those who owe an answer (提醒)",
          body=RemindIn, response=Reminded, tag=TAG, errors={
              403: PUBLISHER_403, 404: NOT_YOURS, 409: "It has ended.",
              422: "Nothing to remind of: no confirmation asked, or not a meeting.",
              429: "You reminded them less than 5 minutes ago."},
          description="The publisher. Emits `notice.reminder` to those who have not read, "
                      "confirmed or answered (`target`)."),
    route(N + "/stats", show_stats, "GET", "Counts and lists per unit (统计), publisher",
          query=StatsQuery, response=NoticeStats, tag=TAG,
          errors={403: PUBLISHER_403, 404: NOT_YOURS}, description="The publisher."),
    route(N + "/recipients", list_recipients, "GET", "Recipients and receipts, publisher",
          query=RecipientsQuery, response=RecipientPage, tag=TAG, errors={
              400: "The cursor is not one this list gave.", 403: PUBLISHER_403,
              404: NOT_YOURS}, description="The publisher; filter by `status` and `unit_id`."),
    route(N + "/units/{unit_id}/reply", show_unit_reply, "GET",
          "A unit's 回执: who attends for it (its contact, publisher)", response=UnitReplyPublic,
          tag=TAG, errors={
              403: "unless you published the call or answer for the unit",
              404: "when the call does not address the unit, or you may not see it"}),
    route(N + "/units/{unit_id}/reply", reply_for_unit, "PUT",
          "Answer for a unit (单位回执): who attends, by its contact", body=UnitReplyIn,
          response=UnitReplyPublic, tag=TAG, errors={
              403: "unless you answer for the unit (its desk's clerk, a leader or an admin)",
              404: "when the call does not address the unit, or you may not see it",
              409: "when the call is not a live meeting, or answers have closed",
              422: "when an attendee is not of the unit, or named twice"}),
    route(N + "/stats.csv", export_stats, "GET", "Receipts as CSV (UTF-8 with BOM), publisher",
          response=CSV, tag=TAG, errors={403: PUBLISHER_403, 404: NOT_YOURS},
          description="The publisher."),
]
