"""The OpenAPI 3.1 document, built from the routes themselves so it cannot drift from them.

Every `ApiRoute` says what it takes and gives (see `core.http.ApiRoute`); this module turns
that into operations, adds what every operation of a kind may answer (401 without a token, 404
for an id that is not yours, 400/413/415/422 for a body), and gathers the pydantic models into
components with one name each: a name two packages both use is qualified by the package
(`SupervisionCompleteIn`, `DocumentsCompleteIn`) so neither overwrites the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from starlette.routing import BaseRoute

from core.http import ApiRoute, Reply
from server.apidoc import INTRO, PROBLEM, TAGS, WEBSOCKET

REF = "#/components/schemas/{model}"
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
AUTH_401 = "No valid access token: log in (or refresh the token) and send it as `Bearer`."
ID_404 = "No such record, or not one you may see (both look the same)."
BODY_ERRORS = {
    400: "The body is not valid JSON.",
    413: "The body is larger than the server takes.",
    415: "The body is not `application/json`.",
    422: "A field is missing or not valid; `errors` names each one.",
}
QUERY_422 = "A query parameter is not valid; `errors` names each one."
COOKIE_403 = ("With a browser session (the console's cookies): the session's CSRF token is "
              "missing from `X-CSRF-Token`, or the request comes from another origin.")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReplySchema(GenerateJsonSchema):
    """In replies every field is always there (null where it has no value), except a field
    whose default is None: that one may be left out."""

    def field_is_required(self, field: Any, total: bool) -> bool:
        if self.mode != "serialization":
            return super().field_is_required(field, total)
        inner = field.get("schema", {})
        return not (inner.get("type") == "default" and inner.get("default", ...) is None)


class Components:
    """Pydantic models gathered once, each under one component name."""

    def __init__(self, wanted: Iterable[tuple[type[BaseModel], JsonSchemaMode]]) -> None:
        keys = list(dict.fromkeys(wanted))
        refs, defs = models_json_schema(keys, ref_template=REF, schema_generator=ReplySchema)
        renames = _renames(defs.get("$defs", {}))
        self.schemas = {renames.get(name, name): _rename(schema, renames)
                        for name, schema in defs.get("$defs", {}).items()}
        self.refs = {key: _rename(ref, renames) for key, ref in refs.items()}

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(self.refs[(model, mode)])

    def inline(self, model: type[BaseModel]) -> dict[str, Any]:
        """The object schema of a (query or path) model, for listing its fields as parameters."""
        ref = self.refs[(model, "validation")]["$ref"].rsplit("/", 1)[-1]
        return dict(self.schemas[ref])


def _renames(defs: Mapping[str, Any]) -> dict[str, str]:
    """pydantic qualifies a clashing name as `package__module__Name`: make it `PackageName`."""
    renames = {}
    for name in defs:
        parts = name.split("__")
        if len(parts) > 1:
            renames[name] = parts[0].title().replace("_", "") + parts[-1]
    if len(set(renames.values())) < len(renames):  # two modules of one package: keep the module
        renames = {n: "".join(p.title().replace("_", "") for p in n.split("__")[:-1])
                   + n.split("__")[-1] for n in renames}
    return {old: re.sub(r"[^A-Za-z0-9._-]", "_", new) for old, new in renames.items()}


def _rename(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                name = value.rsplit("/", 1)[-1]
                value = REF.format(model=renames.get(name, name))
            out[key] = _rename(value, renames)
        return out
    if isinstance(node, list):
        return [_rename(item, renames) for item in node]
    return node


def _models(routes: list[ApiRoute], events: Iterable[type[BaseModel]]) -> list[Any]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for route in routes:
        wanted += [(m, "validation") for m in (route.body, route.query, route.params) if m]
        for reply in _replies(route).values():
            if reply.model is not None:
                wanted.append((reply.model, "serialization"))
    return wanted + [(model, "serialization") for model in events]


def _replies(route: ApiRoute) -> dict[int, Reply]:
    main = route.response if isinstance(route.response, Reply) else Reply(model=route.response)
    return {route.status: main, **route.replies}


def _parameters(route: ApiRoute, components: Components) -> list[dict[str, Any]]:
    typed = components.inline(route.params)["properties"] if route.params else {}
    params = [
        {"name": name, "in": "path", "required": True, "schema": typed.get(name, ID_SCHEMA)}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    if route.query is not None:
        schema = components.inline(route.query)
        required = set(schema.get("required", []))
        for name, field in schema.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in required,
                     "schema": {k: v for k, v in field.items() if k != "description"}}
            if field.get("description"):
                param["description"] = field["description"]
            params.append(param)
    for header in route.headers:
        params.append({"name": header.name, "in": "header", "required": header.required,
                       "description": header.description, "schema": dict(header.schema)})
    return params


def _problems(route: ApiRoute) -> dict[int, str]:
    """The problem statuses of an operation: its own, over those every such operation has."""
    found: dict[int, str] = {}
    if route.auth:
        found[401] = AUTH_401
    if re.search(r"{\w+}", route.path):
        found[404] = ID_404
    if route.body is not None:
        found.update(BODY_ERRORS)
    if route.query is not None:
        found[422] = QUERY_422
    if route.headers:
        found.setdefault(400, "A header is not valid.")
    merged = {**found, **route.errors}
    if route.auth and route.method not in SAFE_METHODS:  # a write may come with cookies
        merged[403] = f"{merged[403]} Or: {COOKIE_403}" if 403 in merged else COOKIE_403
    return merged


def _response(status: int, reply: Reply, components: Components) -> dict[str, Any]:
    out: dict[str, Any] = {"description": reply.description or "Done."}
    if reply.model is not None:
        schema: Mapping[str, Any] | None = components.ref(reply.model, "serialization")
    else:
        schema = reply.schema
    if schema is None and status != 204:
        schema = {"type": "object"}  # not yet declared: tests/contract/test_document.py lists it
    if schema is not None:
        out["content"] = {reply.media_type: {"schema": dict(schema)}}
    if reply.headers:
        out["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                          for name, text in reply.headers.items()}
    return out


def _responses(route: ApiRoute, components: Components) -> dict[str, Any]:
    out = {str(status): _response(status, reply, components)
           for status, reply in sorted(_replies(route).items())}
    for status, when in sorted(_problems(route).items()):
        answer: dict[str, Any] = {
            "description": when, "content": {"application/problem+json": {"schema": PROBLEM_REF}}}
        if status == 429:
            answer["headers"] = {"Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "string"}}}
        out[str(status)] = answer
    return out


def _request_body(route: ApiRoute, components: Components) -> dict[str, Any] | None:
    if route.content is not None:
        return {"required": True, "content": dict(route.content)}
    if route.body is None:
        return None
    return {"required": True, "content": {"application/json": {
        "schema": components.ref(route.body, "validation")}}}


def _operation(route: ApiRoute, components: Components) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": [route.tag] if route.tag else [], "summary": route.summary,
        "description": route.description, "operationId": _operation_id(route),
        "parameters": _parameters(route, components),
    }
    body = _request_body(route, components)
    if body is not None:
        op["requestBody"] = body
    op["responses"] = _responses(route, components)
    op["security"] = [{"bearer": []}, {"browser": []}] if route.auth else []
    return op


def _operation_id(route: ApiRoute) -> str:
    name = getattr(route.endpoint, "__name__", route.name)
    return re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)


def build_openapi(
    routes: list[BaseRoute], *, events: Mapping[str, type[BaseModel]] | None = None
) -> dict[str, Any]:
    """The whole document: operations, components, security, tags, and the websocket protocol."""
    api = [route for route in routes if isinstance(route, ApiRoute)]
    events = dict(events or {})
    components = Components(_models(api, events.values()))
    paths: dict[str, dict[str, Any]] = {}
    for route in api:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, components)
    schemas = {"Problem": PROBLEM, **components.schemas, **_event_schemas(events, components)}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tongban (通办) API", "version": "1", "description": INTRO,
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "servers": [{"url": "/", "description": "This server"}],
        "tags": [tag for tag in TAGS if any(r.tag == tag["name"] for r in api)],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "The `access_token` from `POST /v1/auth/login`, short-lived; "
                               "renew it with `POST /v1/auth/refresh`."},
                "browser": {
                    "type": "apiKey", "in": "cookie", "name": "tb_access",
                    "description": "The web console's session (`POST /v1/auth/browser/login`): "
                                   "the same access token in an httpOnly cookie. Writes must "
                                   "also send the session's CSRF token in `X-CSRF-Token`."}},
        },
        "x-websocket": WEBSOCKET,
    }


def _event_schemas(
    events: Mapping[str, type[BaseModel]], components: Components
) -> dict[str, Any]:
    """One `Event` schema: a feed event whose `data` has the schema of its `kind`."""
    variants = [
        {"type": "object", "title": kind, "required": ["kind", "data"],
         "additionalProperties": True,  # the other fields are the Event's own
         "properties": {"kind": {"const": kind},
                        "data": components.ref(model, "serialization")}}
        for kind, model in sorted(events.items())
    ]
    event: dict[str, Any] = {
        "type": "object",
        "description": "One event of the feed, as sent on `/v1/ws` and by `GET /v1/events`. "
                       "`data` depends on `kind`; a client skips kinds it does not know.",
        "properties": {
            "type": {"const": "event"},
            "id": {"type": "integer", "description": "Global and strictly increasing."},
            "kind": {"type": "string", "enum": sorted(events)} if events else {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "data": {"type": "object"},
        },
        "required": ["id", "kind", "at", "data"],
    }
    if variants:
        event["oneOf"] = variants
    return {"Event": event}
