"""HTTP routes of conversations (会话): creating, listing, members, roles, dissolving, mute."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.errors import Unprocessable, field_error
from core.http import Reply, parse_json, parse_query, path_int, reply, route
from directory.auth import Actor, authenticate
from directory.queries import access_unit
from messaging import actions, queries
from messaging.message_routes import CONV, message_routes, request_seat
from messaging.models import Conversation, MemberRole
from messaging.schemas import (
    ConversationCreate,
    ConversationDetail,
    ConversationPage,
    ConversationUpdate,
    ListQuery,
    MemberPage,
    MembersAdd,
    MembersAdded,
    MuteSet,
    OwnerTransfer,
    RoleChanged,
    RoleSet,
)


async def _shown(actor: Actor, conversation_id: int, status: int = 200) -> Response:
    seat = await queries.access_conversation(actor, conversation_id)
    return reply(await queries.show_conversation(seat), status=status)


async def create_conversation(request: Request) -> Response:
    """201 when made; 200 with the existing one for a direct pair or unit group that exists."""
    actor = await authenticate(request)
    body = await parse_json(request, ConversationCreate)
    conversation, created = await _create(actor, body)
    return await _shown(actor, conversation.id, 201 if created else 200)


async def _create(actor: Actor, body: ConversationCreate) -> tuple[Conversation, bool]:
    if body.kind == "group":
        title = body.title or "群聊"
        return await actions.do_create_group(actor=actor, title=title,
                                             member_ids=body.member_ids), True
    if body.kind == "direct":
        if len(body.member_ids) != 1:
            raise _field("member_ids", "a direct conversation names exactly one other person")
        return await actions.do_open_direct(actor=actor, other_id=body.member_ids[0])
    if body.unit_id is None:
        raise _field("unit_id", "a unit group needs its unit")
    return await actions.do_open_unit_group(await access_unit(actor, body.unit_id), actor=actor)


def _field(name: str, msg: str) -> Unprocessable:
    return Unprocessable("The conversation is not valid.", errors=[field_error([name], msg,
                                                                               "invalid")])


async def list_conversations(request: Request) -> Response:
    actor = await authenticate(request)
    query = parse_query(request, ListQuery)
    return reply(await queries.list_conversations(actor, limit=query.limit, cursor=query.cursor))


async def show_conversation(request: Request) -> Response:
    _, seat = await request_seat(request)
    return reply(await queries.show_conversation(seat))


async def rename_conversation(request: Request) -> Response:
    actor, seat = await request_seat(request)
    body = await parse_json(request, ConversationUpdate)
    await actions.do_rename_conversation(seat, actor=actor, title=body.title)
    return await _shown(actor, seat.id)


async def list_members(request: Request) -> Response:
    _, seat = await request_seat(request)
    query = parse_query(request, ListQuery)
    return reply(await queries.list_members(seat, limit=query.limit, cursor=query.cursor))


async def add_members(request: Request) -> Response:
    actor, seat = await request_seat(request)
    body = await parse_json(request, MembersAdd)
    added = await actions.do_add_members(seat, actor=actor, member_ids=body.member_ids)
    return reply({"conversation_id": seat.id, "added": added})


async def remove_member(request: Request) -> Response:
    actor, seat = await request_seat(request)
    await actions.do_remove_member(seat, actor=actor, person_id=path_int(request, "person_id"))
    return Response(status_code=204)


async def leave_conversation(request: Request) -> Response:
    actor, seat = await request_seat(request)
    await actions.do_leave_conversation(seat, actor=actor)
    return Response(status_code=204)


async def transfer_owner(request: Request) -> Response:
    actor, seat = await request_seat(request)
    body = await parse_json(request, OwnerTransfer)
    await actions.do_transfer_owner(seat, actor=actor, owner_id=body.owner_id)
    return await _shown(actor, seat.id)


async def set_role(request: Request) -> Response:
    actor, seat = await request_seat(request)
    body = await parse_json(request, RoleSet)
    await actions.do_set_role(seat, actor=actor, person_id=body.person_id,
                              role=MemberRole(body.role))
    return reply({"conversation_id": seat.id, "person_id": body.person_id, "role": body.role})


async def dissolve_conversation(request: Request) -> Response:
    actor, seat = await request_seat(request)
    await actions.do_dissolve_conversation(seat, actor=actor)
    return await _shown(actor, seat.id)


async def mute_conversation(request: Request) -> Response:
    actor, seat = await request_seat(request)
    body = await parse_json(request, MuteSet)
    await actions.do_mute_conversation(seat, actor=actor, muted=body.muted)
    return await _shown(actor, seat.id)


T = "messaging"
NOT_MEMBER = "Unless you are a member of the conversation."
ROLE_403 = "Only the owner and admins may do this (群主/管理员)."
GROUP_409 = "The conversation is direct, or the group has been dissolved."

routes = [
    route("/v1/conversations", create_conversation, "POST",
          "Start a direct chat, a group, or open a unit group", body=ConversationCreate,
          response=ConversationDetail, status=201, tag=T,
          replies={200: Reply(ConversationDetail, "The direct chat or unit group that already "
                                                  "exists: it is opened, not made twice.")},
          errors={404: "The unit group of a unit in which you hold no post.",
                  422: "A field is not valid, a member does not exist, or the group is full."},
          description="Anyone signed in. `direct`: `member_ids` is the one other person (the "
                      "same pair always gets the same chat). `group`: you become the owner. "
                      "`unit`: the unit group (单位群) of one of your units. Emits "
                      "`conversation.membership.changed` to the members."),
    route("/v1/conversations", list_conversations, "GET",
          "My conversations with unread counts and last messages", query=ListQuery,
          response=ConversationPage, tag=T,
          errors={400: "The cursor is not one this list gave."},
          description="The caller's conversations, latest activity first."),
    route(CONV, show_conversation, "GET", "A conversation", response=ConversationDetail,
          tag=T, errors={404: NOT_MEMBER},
          description="Any member: my role, unread count and the member count."),
    route(CONV, rename_conversation, "PATCH", "Rename a group", body=ConversationUpdate,
          response=ConversationDetail, tag=T, errors={403: ROLE_403, 404: NOT_MEMBER,
                                                     409: GROUP_409},
          description="The owner and admins. Emits `conversation.changed`."),
    route(f"{CONV}/members", list_members, "GET", "Members and roles", query=ListQuery,
          response=MemberPage, tag=T, errors={400: "The cursor is not one this list gave.",
                                              404: NOT_MEMBER},
          description="Any member."),
    route(f"{CONV}/members", add_members, "POST", "Add members", body=MembersAdd,
          response=MembersAdded, tag=T, errors={403: ROLE_403, 404: NOT_MEMBER, 409: GROUP_409,
                                                422: "A person does not exist, or the group "
                                                     "would be too big."},
          description="The owner and admins of a group. New members see history from now on. "
                      "Emits `conversation.membership.changed`."),
    route(f"{CONV}/members/{{person_id}}", remove_member, "DELETE", "Remove a member",
          status=204, tag=T, errors={403: ROLE_403, 404: NOT_MEMBER + " Or the person is not "
                                                                      "a member.",
                                     409: GROUP_409},
          description="The owner and admins (an admin cannot remove the owner or another "
                      "admin). Emits `conversation.membership.changed`."),
    route(f"{CONV}/leave", leave_conversation, "POST", "Leave a group (退群)", status=204,
          tag=T, errors={404: NOT_MEMBER, 409: GROUP_409 + " Or you own it: transfer it first."},
          description="Any member but the owner."),
    route(f"{CONV}/transfer", transfer_owner, "POST", "Transfer ownership (转让群主)",
          body=OwnerTransfer, response=ConversationDetail, tag=T,
          errors={403: "Only the owner.", 404: NOT_MEMBER, 409: GROUP_409,
                  422: "The new owner is not a member, or is you."},
          description="The owner hands the group to another member and becomes an admin."),
    route(f"{CONV}/roles", set_role, "POST", "Make or unmake an admin", body=RoleSet,
          response=RoleChanged, tag=T, errors={403: "Only the owner.",
                                               404: NOT_MEMBER + " Or the person is not a "
                                                                 "member whose role can change.",
                                               409: GROUP_409},
          description="The owner."),
    route(f"{CONV}/dissolve", dissolve_conversation, "POST", "Dissolve a group (解散)",
          response=ConversationDetail, tag=T, errors={403: "Only the owner.", 404: NOT_MEMBER,
                                                      409: GROUP_409},
          description="The owner: the group stays readable, nobody can send to it any more."),
    route(f"{CONV}/mute", mute_conversation, "POST", "Mute for me (免打扰)", body=MuteSet,
          response=ConversationDetail, tag=T, errors={404: NOT_MEMBER},
          description="Any member, for themselves: no alerts, the unread count still counts."),
    *message_routes,
]
