"""HTTP routes of login, the caller's own account and devices, and the org directory."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.errors import NotFound
from core.http import parse_json, parse_query, path_int, reply, route
from directory import actions, login, queries
from directory.auth import Actor, authenticate, client_address
from directory.browser_routes import routes as browser_routes
from directory.login import AuthKit, TokenGrant
from directory.models import Session, Unit
from directory.schemas import (
    DeskIn, DeviceCreate, DevicePage, DevicePublic, GroupCreate, GroupPublic, LoginRequest,
    MePublic, PeopleQuery, PersonCreate, PersonPage, PersonPublic, PositionAdded, PositionCreate,
    RefreshRequest, SessionsEnded, TokenPair, UnitCreate, UnitPeopleQuery, UnitPublic,
    UnitRoutingPublic, UnitTree,
    UnitUpdate,
)


def _kit(request: Request) -> AuthKit:
    kit: AuthKit = request.app.state.auth
    return kit


def _pair(grant: TokenGrant) -> dict[str, object]:
    person = grant.person
    return {
        "access_token": grant.access_token, "refresh_token": grant.refresh_token,
        "token_type": "bearer", "expires_in": grant.expires_in,
        "user": {"id": person.id, "username": person.username,
                 "display_name": person.display_name},
    }


async def login_person(request: Request) -> Response:
    body = await parse_json(request, LoginRequest)
    grant = await login.do_login(
        body.username, body.password, kit=_kit(request), address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    return reply(_pair(grant))


async def refresh_session(request: Request) -> Response:
    body = await parse_json(request, RefreshRequest)
    return reply(_pair(await login.do_refresh(body.refresh_token, kit=_kit(request))))


async def logout_session(request: Request) -> Response:
    actor = await authenticate(request)
    session = await Session.get(id=actor.session_id)
    await login.do_end_session(session, reason="logout")
    return Response(status_code=204)


async def show_me(request: Request) -> Response:
    actor = await authenticate(request)
    return reply(await queries.me_public(actor))


async def register_device(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, DeviceCreate)
    device = await actions.do_register_device(
        actor=actor, name=body.name, platform=body.platform, public_jwk=body.public_jwk
    )
    return reply(queries.device_public(device), status=201)


async def list_devices(request: Request) -> Response:
    actor = await authenticate(request)
    return reply({"items": await queries.list_devices(actor)})


async def revoke_device(request: Request) -> Response:
    actor = await authenticate(request)
    device = await queries.access_device(actor, path_int(request, "device_id"))
    return reply(queries.device_public(await actions.do_revoke_device(device, actor=actor)))


async def show_unit(request: Request) -> Response:
    actor = await authenticate(request)
    unit = await queries.access_unit(actor, path_int(request, "unit_id"))
    return reply(await queries.unit_with_children(unit))


async def list_unit_people(request: Request) -> Response:
    actor = await authenticate(request)
    unit = await queries.access_unit(actor, path_int(request, "unit_id"))
    query = parse_query(request, UnitPeopleQuery)
    return reply(await queries.list_unit_people(
        unit, include_subunits=query.include_subunits, limit=query.limit, cursor=query.cursor
    ))


async def search_people(request: Request) -> Response:
    await authenticate(request)
    query = parse_query(request, PeopleQuery)
    return reply(await queries.list_people(q=query.q, limit=query.limit, cursor=query.cursor))


async def show_person(request: Request) -> Response:
    actor = await authenticate(request)
    person = await queries.access_person(actor, path_int(request, "person_id"))
    [public] = await queries.people_public([person])
    return reply(public)


async def create_unit(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, UnitCreate)
    parent = await _parent_unit(actor, body.parent_id)
    unit = await actions.do_create_unit(parent, actor=actor, name=body.name, level=int(body.level))
    return reply(queries.unit_public(unit), status=201)


async def _parent_unit(actor: Actor, parent_id: int | None) -> Unit | None:
    if parent_id is None:
        return None
    try:
        return await queries.access_unit(actor, parent_id)
    except NotFound as exc:
        raise NotFound("The parent unit does not exist.") from exc


async def rename_unit(request: Request) -> Response:
    actor = await authenticate(request)
    unit = await queries.access_unit(actor, path_int(request, "unit_id"))
    body = await parse_json(request, UnitUpdate)
    return reply(queries.unit_public(await actions.do_rename_unit(unit, actor=actor, name=body.name)))


async def show_unit_routing(request: Request) -> Response:
    """Who serves the unit: the document desk it names (its 办公室/办公厅) and the clerks who
    work it (what is addressed to the unit reaches them), its leaders by position (whom the desk
    asks for 批办), and the units it serves as their desk. Visible to every official."""
    actor = await authenticate(request)
    unit = await queries.access_unit(actor, path_int(request, "unit_id"))
    return reply(await queries.unit_routing(unit))


async def set_unit_desk(request: Request) -> Response:
    """Name the unit's document desk: a unit under it at its own level (its office), or null
    for none. Desks do not chain. From then on documents, tasks and meeting calls addressed to
    the unit reach the desk's clerks too."""
    actor = await authenticate(request)
    unit = await queries.access_unit(actor, path_int(request, "unit_id"))
    body = await parse_json(request, DeskIn)
    desk = None
    if body.desk_unit_id is not None:
        try:
            desk = await queries.access_unit(actor, body.desk_unit_id)
        except NotFound as exc:
            raise NotFound("The desk unit does not exist.") from exc
    unit = await actions.do_set_desk(unit, actor=actor, desk=desk)
    return reply(await queries.unit_routing(unit))


async def create_person(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, PersonCreate)
    unit = await queries.access_unit(actor, body.unit_id)
    person = await actions.do_create_person(
        unit, actor=actor, passwords=_kit(request).passwords, username=body.username,
        display_name=body.display_name, password=body.password, title=body.position,
        roles=list(body.roles),
    )
    [public] = await queries.people_public([person])
    return reply(public, status=201)


async def add_position(request: Request) -> Response:
    actor = await authenticate(request)
    person = await queries.access_person(actor, path_int(request, "person_id"))
    body = await parse_json(request, PositionCreate)
    unit = await queries.access_unit(actor, body.unit_id)
    position = await actions.do_add_position(
        person, actor=actor, unit=unit, title=body.title, roles=list(body.roles)
    )
    return reply({"id": position.id, "unit_id": unit.id, "title": position.title,
                  "roles": position.roles}, status=201)


async def remove_position(request: Request) -> Response:
    actor = await authenticate(request)
    position = await queries.access_position(actor, path_int(request, "position_id"))
    await actions.do_remove_position(position, actor=actor)
    return Response(status_code=204)


async def create_group(request: Request) -> Response:
    actor = await authenticate(request)
    body = await parse_json(request, GroupCreate)
    group = await actions.do_create_group(actor=actor, name=body.name, member_ids=body.member_ids)
    return reply({"id": group.id, "name": group.name, "owner_id": group.owner_id,
                  "member_ids": sorted(set(body.member_ids) | {actor.id})}, status=201)


async def revoke_person_sessions(request: Request) -> Response:
    actor = await authenticate(request)
    person = await queries.access_person(actor, path_int(request, "person_id"))
    ended = await actions.do_revoke_sessions(person, actor=actor)
    return reply({"ended": ended})


OUTSIDE_403 = "You are neither an administrator nor a unit admin above that unit (单位管理员)."
UNIT_404 = "No such unit, or one you may not see."

routes = [
    *browser_routes,
    route("/v1/auth/login", login_person, "POST", "Log in (登录)", body=LoginRequest,
          response=TokenPair, auth=False, tag="auth",
          description="Anyone with a username and password. The access token is short-lived "
                      "(`expires_in` seconds); the refresh token renews it once.",
          errors={401: "Wrong username or password (the same answer for both).",
                  429: "Too many failed attempts for this account or from this address; "
                       "`Retry-After` says when to try again."}),
    route("/v1/auth/refresh", refresh_session, "POST", "Rotate the refresh token",
          body=RefreshRequest, response=TokenPair, auth=False, tag="auth",
          description="A new pair for a refresh token; the old refresh token stops working. "
                      "A refresh token used twice ends the whole session (it was stolen).",
          errors={401: "The refresh token is not valid, already used, or its session ended."}),
    route("/v1/auth/logout", logout_session, "POST", "End this session", status=204, tag="auth",
          description="Ends the session of the presented token at once; its websockets close "
                      "(4410)."),
    route("/v1/me", show_me, "GET", "The caller, their positions and units", response=MePublic,
          tag="auth", description="Who the token belongs to: positions, units, groups."),
    route("/v1/devices", register_device, "POST", "Register a device key", body=DeviceCreate,
          response=DevicePublic, status=201, tag="devices",
          description="A phone registers the public half of its P-256 key; its 签批 decisions "
                      "are then signed with it. Emits `device.added` to the owner.",
          errors={409: "This key is already registered.",
                  422: "Not a P-256 public JWK (or it holds the private part `d`)."}),
    route("/v1/devices", list_devices, "GET", "My devices", response=DevicePage, tag="devices",
          description="The caller's devices, revoked ones included."),
    route("/v1/devices/{device_id}", revoke_device, "DELETE", "Revoke a device",
          response=DevicePublic, tag="devices", errors={404: "Unless the device is yours."},
          description="Its owner revokes it: it signs nothing more, and signatures made before "
                      "stay verifiable. Emits `device.revoked`."),
    route("/v1/org/units", create_unit, "POST", "Create a unit", body=UnitCreate, status=201,
          response=UnitPublic, tag="org", errors={
              403: OUTSIDE_403 + " Only an administrator makes a top-level unit.",
              404: "The parent unit does not exist.",
              422: "A field is not valid, the level is not below the parent's, or units would "
                   "nest deeper than six levels."},
          description="Administrators anywhere, unit admins within their subtree."),
    route("/v1/org/units/{unit_id}", show_unit, "GET", "A unit with its children",
          response=UnitTree, tag="org", errors={404: UNIT_404},
          description="Anyone signed in: the unit, its direct children and its ancestors."),
    route("/v1/org/units/{unit_id}", rename_unit, "PATCH", "Rename a unit", body=UnitUpdate,
          response=UnitPublic, tag="org", errors={403: OUTSIDE_403, 404: UNIT_404},
          description="Administrators, and unit admins within their subtree."),
    route("/v1/org/units/{unit_id}/routing", show_unit_routing, "GET",
          "Who serves the unit: its document desk (办公室/办公厅), desk clerks, leaders",
          response=UnitRoutingPublic, tag="org", errors={404: "when the unit does not exist"}),
    route("/v1/org/units/{unit_id}/desk", set_unit_desk, "PUT",
          "Name the unit's document desk (admins, unit admins)", body=DeskIn,
          response=UnitRoutingPublic, tag="org", errors={
              403: "unless you are an administrator, or a unit admin over the unit",
              404: "when the unit or the desk unit does not exist",
              422: "when the desk is not a unit under it at its level, or desks would chain"}),
    route("/v1/org/units/{unit_id}/people", list_unit_people, "GET", "People of a unit",
          query=UnitPeopleQuery, response=PersonPage, tag="org", errors={
              400: "The cursor is not one this list gave.", 404: UNIT_404},
          description="Anyone signed in; `include_subunits=true` adds everyone below."),
    route("/v1/org/people", search_people, "GET", "Search people by name", query=PeopleQuery,
          response=PersonPage, tag="org", errors={400: "The cursor is not one this list gave."},
          description="Anyone signed in: `q` finds Chinese substrings of names and usernames."),
    route("/v1/org/people", create_person, "POST", "Create a person", body=PersonCreate,
          response=PersonPublic, status=201, tag="org", errors={
              403: OUTSIDE_403, 404: UNIT_404, 409: "The username is taken."},
          description="Administrators, and unit admins for a unit within their subtree."),
    route("/v1/org/people/{person_id}", show_person, "GET", "A person", response=PersonPublic,
          tag="org", description="Anyone signed in: name and positions."),
    route("/v1/org/people/{person_id}/positions", add_position, "POST", "Add a position",
          body=PositionCreate, response=PositionAdded, status=201, tag="org", errors={
              403: OUTSIDE_403, 409: "The person already holds this position."},
          description="Administrators, and unit admins within their subtree."),
    route("/v1/org/positions/{position_id}", remove_position, "DELETE", "Remove a position",
          status=204, tag="org", errors={403: OUTSIDE_403},
          description="Administrators, and unit admins within their subtree."),
    route("/v1/org/people/{person_id}/revoke-sessions", revoke_person_sessions, "POST",
          "End every session of a person (admin)", response=SessionsEnded, tag="org",
          errors={403: "Unless you administer a unit the person belongs to."},
          description="Administrators and unit admins: every session of the person ends at "
                      "once, websockets included (4410)."),
    route("/v1/org/groups", create_group, "POST", "Create a group", body=GroupCreate,
          response=GroupPublic, status=201, tag="org",
          errors={422: "A field is not valid, or a member does not exist."},
          description="Anyone signed in: a named set of people, usable as an audience."),
]
