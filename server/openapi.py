"""The OpenAPI document, built from the routes themselves so it cannot drift from them."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from starlette.routing import BaseRoute

from core.http import ApiRoute

PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status"],
}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(route: ApiRoute, components: dict[str, Any]) -> dict[str, Any]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    if route.query is not None:
        for name, field in route.query.model_fields.items():
            params.append({"name": name, "in": "query", "required": field.is_required(),
                           "schema": {"type": "string"}})
    op: dict[str, Any] = {
        "summary": route.summary, "tags": [route.tag] if route.tag else [],
        "operationId": getattr(route.endpoint, "__name__", route.name), "parameters": params,
        "responses": {str(route.status): _reply(route, components), "default": {
            "description": "A problem (RFC 9457)",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }},
    }
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _schema(route.body, components)}}}
    if route.auth:
        op["security"] = [{"bearer": []}]
    return op


def _reply(route: ApiRoute, components: dict[str, Any]) -> dict[str, Any]:
    if route.status == 204:
        return {"description": "Done"}
    schema = _schema(route.response, components) if route.response else {"type": "object"}
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def build_openapi(routes: list[BaseRoute]) -> dict[str, Any]:
    components: dict[str, Any] = {"Problem": PROBLEM}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, ApiRoute):
            paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tongban (通办) API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
