"""The prose of the OpenAPI document: the introduction, the tags, problems and the websocket.

Kept apart from the generator so that the words can be read (and edited) as words.
"""

from __future__ import annotations

from typing import Any

INTRO = """\
Tongban (通办) is the backend of a government mobile office: messaging, official documents
(公文) with device-signed sign-off (签批), circulation (传阅), notices and meetings, and task
supervision (督办).

**Calls.** JSON under `/v1/`. Log in with `POST /v1/auth/login` and send the `access_token`
as `Authorization: Bearer …`; renew it with `POST /v1/auth/refresh` before `expires_in`.

**Errors** are `application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail`,
and for 422 `errors`, one entry per field. A record you may not see answers 404, exactly as
one that does not exist. A client's mistake never answers 500.

**Lists** are paged: `limit` and the opaque `cursor` from the previous page's `next_cursor`.

**Retries.** Writes that make a record take an `Idempotency-Key` header (messages take
`client_msg_id` in the body): a retry with the same key returns the first result.

**Events.** Every change a person should hear of is an event in one feed with strictly
increasing ids: pushed on the websocket `/v1/ws` (see `x-websocket` below and the `Event`
schema) or read with `GET /v1/events?after=ID`. Remember the last id you processed and resume
from it: nothing is lost and nothing comes twice.

Guides for each workflow (发文, 收文, 传阅, 签批, notices and meetings, 督办, messaging) are
in the repository's `docs/` folder.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "auth", "description": "Log in, refresh, log out, and who I am (登录)."},
    {"name": "devices", "description": "A phone's signing key (P-256, ES256) for 签批."},
    {"name": "org", "description": "Units, people, positions and groups (组织机构)."},
    {"name": "files", "description": "Uploads (快传) and permission-checked downloads."},
    {"name": "messaging", "description": "Conversations, messages, receipts, recall, urging."},
    {"name": "approvals", "description": "Sign-off chains (签批) with device signatures."},
    {"name": "documents", "description": "Official documents (公文): drafting, numbering, "
                                         "sending (发文), receiving (收文), registers."},
    {"name": "circulation", "description": "Circulating a document to readers (传阅)."},
    {"name": "notices", "description": "Notices (通知公告) and meeting calls (会议通知)."},
    {"name": "supervision", "description": "Supervised tasks (督办): progress, review, stats."},
    {"name": "push", "description": "Push channels to phones that are asleep (离线推送), "
                                    "push settings, operators' status."},
    {"name": "events", "description": "The event feed for clients without a websocket."},
    {"name": "server", "description": "Health, this document and the reference pages."},
]

PROBLEM: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "An error (RFC 9457). `type` ends with a slug that names the kind of error.",
    "properties": {
        "type": {"type": "string", "format": "uri",
                 "examples": ["https://tongban.dev/problems/not-found"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The path that was called."},
        "errors": {
            "type": "array", "description": "For 422: one entry per field that is not valid.",
            "items": {"type": "object", "properties": {
                "loc": {"type": "array", "items": {"type": ["string", "integer"]},
                        "description": "Where: the field's path, e.g. `[\"audience\", \"units\", 0]`."},
                "msg": {"type": "string"}, "type": {"type": "string"},
            }, "required": ["loc", "msg", "type"]},
        },
    },
    "required": ["type", "title", "status"],
}

WEBSOCKET: dict[str, Any] = {
    "path": "/v1/ws",
    "description": (
        "Events pushed to every connected device of every person in their audience. Open the "
        "socket, then send `hello` with the access token (never in the URL) and the id of the "
        "last event you processed (0 at first). The server answers `ready`, then sends every "
        "event after `after` that you may see, then live ones, in strictly increasing `id`. "
        "Send `ping` to keep the line open; a connection that falls too far behind is closed "
        "(4429) and should reconnect with its last id."),
    "client_frames": {
        "hello": {"type": "object", "required": ["type", "token", "after"], "properties": {
            "type": {"const": "hello"}, "token": {"type": "string"},
            "after": {"type": "integer", "minimum": 0}}},
        "ping": {"type": "object", "required": ["type"], "properties": {"type": {"const": "ping"}}},
        "presence": {"type": "object", "required": ["type", "state"], "properties": {
            "type": {"const": "presence"}, "state": {"enum": ["foreground", "background"]}}},
    },
    "server_frames": {
        "ready": {"type": "object", "required": ["type", "last_event_id"], "properties": {
            "type": {"const": "ready"}, "last_event_id": {"type": "integer"}}},
        "event": {"$ref": "#/components/schemas/Event"},
        "pong": {"type": "object", "required": ["type"], "properties": {"type": {"const": "pong"}}},
        "reset": {
            "type": "object", "required": ["type", "oldest_event_id", "last_event_id"],
            "description": "Sent right after `ready` when retention removed events after your "
                           "`after`: refetch your state; the stream goes on after "
                           "`last_event_id`. `oldest_event_id` is the lowest id still served.",
            "properties": {"type": {"const": "reset"}, "oldest_event_id": {"type": "integer"},
                           "last_event_id": {"type": "integer"}}},
    },
    "close_codes": {
        "4400": "A frame that is not JSON or not a known type.",
        "4401": "No hello, a bad one, or an access token that is not valid.",
        "4403": "The page's Origin is not allowed.",
        "4410": "The session ended (logout or revoked).",
        "4429": "Too far behind: reconnect with the last id you processed.",
        "1009": "A frame too big.",
        "1012": "The server is restarting: reconnect at once and resume.",
    },
}
