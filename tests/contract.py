"""Holds every HTTP answer the suite receives to the OpenAPI document the server publishes.

`Contract` wraps the transport of every client the tests make (see `conftest.Server.client`):
each response is matched to its operation and checked for a declared status, the declared
media type, the declared response headers and a body valid against the schema. Response objects
are checked *closed*: a field the document does not list is a failure, so a reply cannot grow
an undocumented field (the published document stays open, so clients may ignore new fields).

It also records which operations were called. At the end of a whole run, `conftest` asks for
`uncovered()`: operations no test called. A call to a path and method the document does not
describe fails at once, unless it is answered by a 404/405 problem (a test of unknown routes).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

METHODS = ("get", "put", "post", "patch", "delete")
TEST_ONLY = "/v1/_test/"  # routes a test adds to the app under test, never part of the API


class ContractError(AssertionError):
    """A response the OpenAPI document does not describe."""


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.template}"


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"({\w+})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def closed(node: Any) -> Any:
    """The schema with `additionalProperties: false` on every object that lists properties."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: closed(value) for key, value in node.items()}
    if "properties" in out and "additionalProperties" not in out and "oneOf" not in out:
        out["additionalProperties"] = False
    return out


@dataclass
class Contract:
    document: dict[str, Any]
    operations: list[Operation] = field(default_factory=list)
    called: Counter[str] = field(default_factory=Counter)
    checked: int = 0
    failures: list[str] = field(default_factory=list)
    _validators: dict[tuple[str, str, str], Draft202012Validator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.components = closed(self.document["components"])
        for template, item in self.document["paths"].items():
            for method in METHODS:
                if method in item:
                    self.operations.append(
                        Operation(method, template, _pattern(template), item[method]))
        # literal segments first, so /v1/tasks/stats is not taken for /v1/tasks/{task_id}
        self.operations.sort(key=lambda op: op.template.count("{"))

    def find(self, method: str, path: str) -> tuple[Operation | None, bool]:
        """The operation for a call, and whether the path is known under another method.

        A literal path wins over a template, as in the router: `/v1/documents/series` is that
        route, never `/v1/documents/{document_id}` with an id of "series"."""
        on_path = [op for op in self.operations if op.pattern.match(path)]
        on_path = [op for op in on_path if op.template == path] or on_path
        match = next((op for op in on_path if op.method == method.lower()), None)
        return match, bool(on_path)

    def check(self, request: httpx.Request, response: httpx.Response) -> None:
        """Raise `ContractError` (and remember it) when `response` is not as documented."""
        try:
            self._check(request, response)
        except ContractError as exc:
            self.failures.append(str(exc))
            raise

    def _check(self, request: httpx.Request, response: httpx.Response) -> None:
        if not request.url.path.startswith("/v1/") or request.url.path.startswith(TEST_ONLY):
            return  # /metrics, /console: not the API; routes a test mounts to provoke errors
        op, path_known = self.find(request.method, request.url.path)
        where = f"{request.method} {request.url.path} → {response.status_code}"
        if op is None:
            expected = 405 if path_known else 404
            if response.status_code != expected or not _is_problem(response):
                raise ContractError(f"{where}: no such operation in the OpenAPI document")
            return
        self.called[op.key] += 1
        self.checked += 1
        declared = op.spec["responses"].get(str(response.status_code))
        if declared is None:
            raise ContractError(
                f"{where}: status not declared for {op.key} "
                f"(declared: {', '.join(op.spec['responses'])}); body: {response.text[:300]}")
        self._check_headers(where, declared, response)
        self._check_body(where, op, declared, response)

    def _check_headers(self, where: str, declared: dict[str, Any], response: httpx.Response) -> None:
        for name in declared.get("headers", {}):
            if name not in response.headers:
                raise ContractError(f"{where}: declared header {name} is missing")

    def _check_body(self, where: str, op: Operation, declared: dict[str, Any],
                    response: httpx.Response) -> None:
        content = declared.get("content")
        if not content:
            if response.content:
                raise ContractError(f"{where}: a body where none is declared")
            return
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media not in content:
            if "*/*" in content or f"{media.split('/')[0]}/*" in content:
                return  # any media type: the bytes of a file, as uploaded
            raise ContractError(f"{where}: content type {media!r}, declared {list(content)}")
        if not media.endswith("json"):
            return
        validator = self._validator(op, str(response.status_code), media, content[media])
        error = best_match(validator.iter_errors(json.loads(response.content)))
        if error is not None:
            at = "/".join(str(p) for p in error.absolute_path)
            raise ContractError(f"{where}: body does not match the document at /{at}: "
                                f"{error.message[:400]}")

    def _validator(self, op: Operation, status: str, media: str,
                   content: dict[str, Any]) -> Draft202012Validator:
        key = (op.key, status, media)
        if key not in self._validators:
            schema = {**closed(content.get("schema", {})), "components": self.components}
            self._validators[key] = Draft202012Validator(schema)
        return self._validators[key]

    def uncovered(self) -> list[str]:
        return sorted(op.key for op in self.operations if op.key not in self.called)

    def wrap(self, transport: httpx.AsyncBaseTransport) -> CheckedTransport:
        return CheckedTransport(transport, self)


def _is_problem(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/problem+json")


class CheckedTransport(httpx.AsyncBaseTransport):
    """A transport that hands every response to the contract before the client sees it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, contract: Contract) -> None:
        self.inner, self.contract = inner, contract

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        await response.aclose()
        checked = httpx.Response(response.status_code, headers=response.headers, content=body,
                                 request=request, extensions=response.extensions)
        self.contract.check(request, checked)
        return checked

    async def aclose(self) -> None:
        await self.inner.aclose()


class CheckedSyncTransport(httpx.BaseTransport):
    """The same check for a blocking client (the guide runner's)."""

    def __init__(self, inner: httpx.BaseTransport, contract: Contract) -> None:
        self.inner, self.contract = inner, contract

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        response.close()
        checked = httpx.Response(response.status_code, headers=response.headers, content=body,
                                 request=request, extensions=response.extensions)
        self.contract.check(request, checked)
        return checked

    def close(self) -> None:
        self.inner.close()


def report(contract: Contract) -> Iterator[str]:
    yield (f"OpenAPI contract: {contract.checked} responses checked against "
           f"{len(contract.operations)} operations; {len(contract.called)} operations called")
    for failure in contract.failures:
        yield f"  not as documented: {failure}"
