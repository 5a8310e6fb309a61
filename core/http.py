"""HTTP plumbing shared by every package: JSON in and out, problems, cursors, documented routes."""

from __future__ import annotations

import base64
import binascii
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.errors import (
    ApiError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge, Unprocessable,
    UnsupportedMediaType,
)
from core.inputs import INT64_MAX, check_values, checked_id, decode_json
from core.jsonutil import dumps

M = TypeVar("M", bound=BaseModel)
Endpoint = Callable[[Request], Awaitable[Response]]
JSON_LIMIT_DEFAULT = 1024 * 1024


class JSONReply(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode()


def reply(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="json")
    return JSONReply(content, status_code=status, headers=headers)


def problem_reply(error: ApiError, instance: str | None = None) -> Response:
    return Response(
        dumps(error.problem(instance)).encode(),
        status_code=error.status,
        headers=error.headers,
        media_type="application/problem+json",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_json(request: Request, model: type[M]) -> M:
    """Read, decode and validate a JSON body against `model`, as 400/413/415/422 problems."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    limit = getattr(request.app.state, "json_limit", JSON_LIMIT_DEFAULT)
    raw = await read_body(request, limit) or b"{}"
    decode_json(raw)  # syntax, depth, text and integer range, before the model sees it
    try:  # strict, as JSON: no 0 for false nor false for 0, no "5" for 5; ISO times as text
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise Unprocessable("Some fields are not valid.", errors=field_errors(exc)) from exc


def validate(model: type[M], data: Any) -> M:
    try:
        found = model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable("Some fields are not valid.", errors=field_errors(exc)) from exc
    check_values(found.model_dump())  # e.g. a query's 2^64 parsed into an int
    return found


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
        for item in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def parse_query(request: Request, model: type[M]) -> M:
    """Validate the query string against `model` (text, so "5" is 5 and "true" is true)."""
    params = dict(request.query_params)
    check_values(params)
    return validate(model, params)


def path_int(request: Request, name: str) -> int:
    """A numeric path parameter; anything else is a record that cannot exist (404)."""
    value = request.path_params.get(name)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and checked_id(value) is not None:
        return value
    methods = allowed_methods(request, unless_bound=str(value))
    if methods:  # `PATCH /v1/documents/series`: a route that exists, not a record that doesn't
        raise MethodNotAllowed("This route does not take that method.",
                               headers={"Allow": ", ".join(sorted(methods))})
    raise NotFound()


def allowed_methods(request: Request, *, unless_bound: str | None = None) -> set[str]:
    """The methods of every route at this path (for `Allow`), leaving out the routes that
    would take `unless_bound` as a path parameter."""
    path, methods = request.scope.get("path", ""), set[str]()
    for candidate in request.app.router.routes:
        found = candidate.path_regex.match(path) if isinstance(candidate, Route) else None
        if found and (unless_bound is None or unless_bound not in found.groupdict().values()):
            methods |= candidate.methods or set()
    return methods


def encode_cursor(value: int | str) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """Cursors are opaque to clients; a damaged one is a 400, not a 500."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        value = int(text) if text.isascii() and text.isdigit() else None
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor") from exc
    if value is None or value > INT64_MAX:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor")
    return value


def page(items: list[Any], *, limit: int, key: Callable[[Any], int]) -> dict[str, Any]:
    """`items` fetched with `limit + 1`: the extra one only says that there is more."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": encode_cursor(key(items[-1])) if more and items else None}


@dataclass(frozen=True)
class Header:
    """A request header an operation reads, declared as a parameter in the OpenAPI document."""

    name: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "Chosen by the client, 1 to 128 characters: a retry with the same key returns the first "
    "result and makes nothing new (400 if the key is empty or too long).",
    {"type": "string", "minLength": 1, "maxLength": 128},
)


@dataclass(frozen=True)
class Reply:
    """One documented answer of an operation: what comes back with a status, and when.

    `model` is the JSON body; `media_type` with `schema` describe any other body (a CSV, a
    file's bytes); `headers` names response headers and what they carry.
    """

    model: type[BaseModel] | None = None
    description: str = ""
    media_type: str = "application/json"
    schema: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class ApiRoute(Route):
    """A route that also describes itself for the OpenAPI document.

    `summary` is a line; `description` (default: the endpoint's docstring) states the rule in a
    sentence. `response`/`status` is the usual answer and `replies` any other success;
    `errors` maps each problem status the operation itself gives to when it does ("404 unless
    you are a member"): the generator adds the ones every operation of its kind may give (401
    without a token, 422 for a bad body or query, 404 for an id that is not yours). `headers`
    declares request headers it reads, `path` the type of path parameters other than ids, and
    `content` a request body other than JSON (an upload).
    """

    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        method: str,
        summary: str,
        description: str = "",
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        params: type[BaseModel] | None = None,
        response: type[BaseModel] | Reply | None = None,
        status: int = 200,
        replies: Mapping[int, Reply] | None = None,
        errors: Mapping[int, str] | None = None,
        headers: tuple[Header, ...] = (),
        content: Mapping[str, Any] | None = None,
        auth: bool = True,
        tag: str = "",
    ) -> None:
        super().__init__(path, endpoint, methods=[method])
        self.method = method
        self.summary = summary
        self.description = description or inspect.getdoc(endpoint) or ""
        self.body = body
        self.query = query
        self.params = params
        self.response = response
        self.status = status
        self.replies = dict(replies or {})
        self.errors = dict(errors or {})
        self.headers = headers
        self.content = content
        self.auth = auth
        self.tag = tag


def route(path: str, endpoint: Endpoint, method: str, summary: str, **options: Any) -> ApiRoute:
    return ApiRoute(path, endpoint, method=method, summary=summary, **options)
