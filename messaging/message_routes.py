"""HTTP routes of messages (sending, history, receipts, recall, urge, search) and quiet hours."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.http import Reply, parse_json, parse_query, path_int, reply, route
from directory.auth import Actor, authenticate
from messaging import history, message_actions, queries, quiet, receipts
from messaging.events import message_public
from messaging.membership import Seat
from messaging.models import Message
from messaging.queries import access_conversation, access_message, messages_public
from messaging.schemas import (
    HistoryPage,
    HistoryQuery,
    MessageCreate,
    MessagePage,
    MessagePublic,
    QuietHoursPublic,
    QuietHoursSet,
    ReadMark,
    ReadMarked,
    ReceiptsPublic,
    SearchQuery,
    Urged,
)
from messaging.sending import Draft, do_send_message


async def request_seat(request: Request) -> tuple[Actor, Seat]:
    """The caller and their seat in the conversation of the path (404 if not theirs)."""
    actor = await authenticate(request)
    return actor, await access_conversation(actor, path_int(request, "conversation_id"))


async def _message(request: Request) -> tuple[Actor, Seat, Message]:
    actor = await authenticate(request)
    seat, message = await access_message(actor, path_int(request, "message_id"))
    return actor, seat, message


async def _one(message: Message) -> dict[str, object]:
    [public] = await messages_public([message])
    return public


async def send_message(request: Request) -> Response:
    """201 with the new message; 200 with the first one when `client_msg_id` was seen before."""
    actor, seat = await request_seat(request)
    body = await parse_json(request, MessageCreate)
    draft = Draft(client_msg_id=body.client_msg_id, body=body.body, mentions=body.people(),
                  mention_all=body.mentions_all(), reply_to=body.reply_to,
                  file_ids=body.file_ids)
    message, created = await do_send_message(seat, actor=actor, draft=draft)
    return reply(await _one(message), status=201 if created else 200)


async def list_messages(request: Request) -> Response:
    _, seat = await request_seat(request)
    query = parse_query(request, HistoryQuery)
    return reply(await history.list_history(
        seat, before_seq=query.before_seq, after_seq=query.after_seq, limit=query.limit))


async def read_conversation(request: Request) -> Response:
    actor, seat = await request_seat(request)
    body = await parse_json(request, ReadMark)
    read_seq = await receipts.do_read_conversation(seat, actor=actor, up_to_seq=body.up_to_seq)
    recalled = await queries.recalled_unread([(seat.id, read_seq)])
    return reply({"conversation_id": seat.id, "read_seq": read_seq,
                  "unread_count": queries.unread(seat.conversation.last_seq, read_seq,
                                                 recalled.get(seat.id, 0))})


async def show_message(request: Request) -> Response:
    _, _, message = await _message(request)
    return reply(await _one(message))


async def show_receipts(request: Request) -> Response:
    """Who has read a message and who has not (已读/未读 lists): for every member."""
    _, seat, message = await _message(request)
    return reply(await receipts.receipts_of(seat, message))


async def recall_message(request: Request) -> Response:
    actor, seat, message = await _message(request)
    recalled = await message_actions.do_recall_message(message, seat=seat, actor=actor)
    return reply(message_public(recalled, {}))


async def urge_message(request: Request) -> Response:
    actor, seat, message = await _message(request)
    urged = await message_actions.do_urge_message(message, seat=seat, actor=actor)
    return reply({"message_id": message.id, "urged": urged})


async def search_messages(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, SearchQuery)
    return reply(await history.search_messages(actor, q=query.q, limit=query.limit,
                                               cursor=query.cursor))


async def show_quiet_hours(request: Request) -> Response:
    return reply(await quiet.get_quiet_hours(await authenticate(request)))


async def set_quiet_hours(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, QuietHoursSet)
    return reply(await quiet.do_set_quiet_hours(
        actor=actor, enabled=body.enabled, start=body.start, end=body.end,
        timezone=body.timezone))


CONV = "/v1/conversations/{conversation_id}"
T = "messaging"
NOT_MEMBER = "Unless you are a member of the conversation."
MESSAGE_404 = "No such message, or not in a conversation you are a member of."
message_routes = [
    route(f"{CONV}/messages", send_message, "POST", "Send a message (idempotent by client_msg_id)",
          body=MessageCreate, response=MessagePublic, status=201, tag=T,
          replies={200: Reply(MessagePublic, "A message with this `client_msg_id` was sent "
                                             "before: that message, nothing new.")},
          errors={403: "@all (`mentions: [\"all\"]`) is for the owner and admins only.",
                  404: NOT_MEMBER, 409: "The group has been dissolved.",
                  413: "The body is too long (or the request too big).",
                  422: "Empty (no text, no files), a reply to a message not in this "
                       "conversation, a mention of a non-member, or a file you may not use."},
          description="Any member. The message gets the next `seq` of the conversation. "
                      "Emits `message.created` to the conversation."),
    route(f"{CONV}/messages", list_messages, "GET", "History by seq, either way",
          query=HistoryQuery, response=HistoryPage, tag=T, errors={404: NOT_MEMBER},
          description="Any member: `before_seq` pages back, `after_seq` catches up."),
    route(f"{CONV}/read", read_conversation, "POST", "Mark read up to a seq (已读)",
          body=ReadMark, response=ReadMarked, tag=T, errors={404: NOT_MEMBER},
          description="Any member, for themselves; never moves back. Emits `conversation.read` "
                      "to the reader's devices and `message.receipts` to the senders."),
    route("/v1/messages/search", search_messages, "GET", "Search my conversations' messages",
          query=SearchQuery, response=MessagePage, tag=T,
          errors={400: "The cursor is not one this search gave."},
          description="Chinese substrings of the text of messages in conversations you are in."),
    route("/v1/messages/{message_id}", show_message, "GET", "One message", response=MessagePublic,
          tag=T, errors={404: MESSAGE_404},
          description="Any member of its conversation."),
    route("/v1/messages/{message_id}/receipts", show_receipts, "GET",
          "Who has read a message and who has not (已读/未读)", response=ReceiptsPublic,
          tag=T, errors={404: MESSAGE_404}),
    route("/v1/messages/{message_id}/recall", recall_message, "POST", "Recall a message (撤回)",
          response=MessagePublic, tag=T, errors={
              403: "Only the sender, the group's owner and admins.", 404: MESSAGE_404,
              409: "The recall window after sending has passed."},
          description="Emits `message.recalled` to the conversation."),
    route("/v1/messages/{message_id}/urge", urge_message, "POST",
          "Re-alert the members who have not read it (加急)", response=Urged, tag=T, errors={
              403: "Only the sender.", 404: MESSAGE_404,
              409: "The message was recalled, or everyone has read it.",
              429: "A message may be urged once every 5 minutes."},
          description="Emits `message.urged` to each member who has not read it."),
    route("/v1/me/quiet-hours", show_quiet_hours, "GET", "My quiet hours (免打扰时段)",
          response=QuietHoursPublic, tag=T, description="The caller's own setting."),
    route("/v1/me/quiet-hours", set_quiet_hours, "PUT", "Set my quiet hours",
          body=QuietHoursSet, response=QuietHoursPublic, tag=T,
          description="During quiet hours events still arrive but phones are not alerted."),
]
