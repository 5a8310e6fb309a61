"""The OpenAPI document itself: valid 3.1, and complete enough to write a client from alone."""

from __future__ import annotations

import inspect
from typing import Any

from conftest import Server
from openapi_spec_validator import validate

from core.http import ApiRoute


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, item in document["paths"].items()
            for method, op in item.items()]


def api_routes(server: Server) -> list[ApiRoute]:
    return [route for route in server.app.routes if isinstance(route, ApiRoute)]


async def test_openapi_document_is_valid_openapi_3_1(server: Server) -> None:
    async with server.http() as http:
        document = (await http.get("/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    validate(document)


async def test_openapi_every_operation_is_described_and_typed(server: Server) -> None:
    document = server.app.state.openapi
    missing = []
    for key, op in operations(document):
        success = [s for s in op["responses"] if s.startswith("2")]
        bare = [s for s in success if _bare(op["responses"][s])]
        if not op.get("description") or not op.get("tags") or bare or not success:
            missing.append(f"{key}: description={bool(op.get('description'))} "
                           f"tags={op.get('tags')} untyped success={bare}")
    assert not missing, "\n".join(missing)


def _bare(response: dict[str, Any]) -> bool:
    """A success answer whose body says nothing: `{"type": "object"}` and no properties."""
    for media in response.get("content", {}).values():
        if media.get("schema") == {"type": "object"}:
            return True
    return False


async def test_openapi_errors_are_problems_and_ids_unique(server: Server) -> None:
    document = server.app.state.openapi
    ids = [op["operationId"] for _, op in operations(document)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for key, op in operations(document):
        for status, answer in op["responses"].items():
            if int(status) >= 400:
                assert list(answer["content"]) == ["application/problem+json"], (key, status)
        if op["security"]:
            assert "401" in op["responses"], key


async def test_openapi_query_and_path_parameters_are_typed(server: Server) -> None:
    document = server.app.state.openapi
    for key, op in operations(document):
        for param in op["parameters"]:
            if param["name"] in ("limit", "after") or param["in"] == "path":
                assert _types(param["schema"]) & {"integer", "string"}, (key, param)
            if param["name"] == "limit":
                assert "integer" in _types(param["schema"]), (key, param)


def _types(schema: dict[str, Any]) -> set[str]:
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for option in schema.get("anyOf", []):
        found |= _types(option)
    return found | ({"string"} if "enum" in schema else set())


async def test_openapi_declares_every_header_a_handler_reads(server: Server) -> None:
    """A handler that reads Idempotency-Key or X-Filename has it as a documented parameter."""
    document = server.app.state.openapi
    for route in api_routes(server):
        source = inspect.getsource(route.endpoint).lower()
        declared = {p["name"].lower() for p in
                    document["paths"][route.path][route.method.lower()]["parameters"]
                    if p["in"] == "header"}
        if "header_key(" in source:
            assert "idempotency-key" in declared, route.path
        if "x-filename" in source or "_upload_name(" in source:
            assert "x-filename" in declared, route.path


async def test_openapi_component_names_are_unique_across_packages(server: Server) -> None:
    """A model name two packages use is qualified, so neither overwrites the other."""
    document = server.app.state.openapi
    schemas = document["components"]["schemas"]
    for route in api_routes(server):
        if route.body is None:
            continue
        ref = document["paths"][route.path][route.method.lower()]["requestBody"]["content"][
            "application/json"]["schema"]["$ref"]
        fields = set(schemas[ref.rsplit("/", 1)[-1]].get("properties", {}))
        assert fields == set(route.body.model_json_schema().get("properties", {})), route.path
