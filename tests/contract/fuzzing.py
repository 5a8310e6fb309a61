"""The fuzz run's machinery, in a module of its own so that worker processes can import it:
each worker fuzzes a share of the operations (every other one), and the test adds up what they
found. Two processes keep both cores busy: while one waits for the server, the other generates.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import hypothesis
import hypothesis.errors
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from servers import DEMO_ADMIN, DEMO_PASSWORD

SEED = 20261130
EXAMPLES_PER_MODE = 23  # positive and negative cases per operation (fewer if exhausted)
MINIMUM_REQUESTS = 5000
# uvicorn (h11) refuses a request line and headers past 16 KiB with its own text/plain 400,
# before any route runs; such cases test uvicorn, not this API, and are counted apart.
MAX_URL = 8000
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Calls that end the caller's session: the run logs in again after each of them.
SESSION_ENDERS = {"POST /v1/auth/logout", "POST /v1/org/people/{person_id}/revoke-sessions"}
# Bodies of a binary type schemathesis has no serializer for (POST /v1/documents/verify takes a
# PDF) go as the raw bytes it generates, as for application/octet-stream.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")


@dataclass
class Run:
    """What the run did: requests sent, and each distinct failure once. (One thread: CPython
    3.11's ast module, which hypothesis uses to describe strategies, is not thread-safe; the
    lock and thread-local session keep it correct should that change.)"""

    base_url: str
    sent: int = 0
    too_long: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    local: threading.local = field(default_factory=threading.local)

    def login(self) -> str:
        reply = self.http().post(f"{self.base_url}/v1/auth/login",
                                 json={"username": DEMO_ADMIN, "password": DEMO_PASSWORD})
        reply.raise_for_status()
        self.local.token = reply.json()["access_token"]
        return str(self.local.token)

    def http(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()  # keep-alive, one per thread
            # uvicorn closes a connection idle for 5 s; generation on a loaded machine can
            # take longer, so a kept connection may be gone: retry on a fresh one.
            retry = Retry(total=2, connect=2, read=2, status=0, allowed_methods=None)
            self.local.session.mount("http://", HTTPAdapter(max_retries=retry))
        return self.local.session  # type: ignore[no-any-return]

    def call(self, case: schemathesis.Case, key: str) -> None:
        if url_length(case, self.base_url) > MAX_URL:
            with self.lock:
                self.too_long += 1  # refused by uvicorn's HTTP parser before the app sees it
            return
        token = getattr(self.local, "token", None) or self.login()
        headers = {"Authorization": f"Bearer {token}"}
        response = case.call(base_url=self.base_url, session=self.http(), headers=headers,
                             timeout=30)
        failure = check(case, response, headers)
        with self.lock:
            self.sent += 1
            if failure:
                label = f"{key} → {response.status_code}: {failure}"
                self.failures.setdefault(label, case.as_curl_command(headers=headers))
        if key in SESSION_ENDERS or response.status_code == 401:
            self.login()


def check(case: schemathesis.Case, response: Any, headers: dict[str, str]) -> str | None:
    """What is wrong with `response` (the failures' titles and the first detail), or None."""
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group of failures
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        titles = [line[2:] for line in lines if line.startswith("- ")]
        detail = next((line for line in lines[1:] if not line.startswith("- ")), "")
        return "; ".join(titles or lines[:1]) + (f" ({detail[:200]})" if detail else "")
    return None


def url_length(case: schemathesis.Case, base_url: str) -> int:
    sent = case.as_transport_kwargs(base_url=base_url)
    query = urlencode(sent.get("params") or {}, doseq=True)
    return len(sent["url"]) + len(query) + sum(len(f"{k}{v}") for k, v in
                                               (sent.get("headers") or {}).items())


def fuzz_operation(run: Run, operation: Any, mode: GenerationMode) -> None:
    key = f"{operation.method.upper()} {operation.path}"

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_MODE, database=None, deadline=None, derandomize=False,
        suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def explore(case: schemathesis.Case) -> None:
        run.call(case, key)

    try:
        explore()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing invalid can be made for it (no parameters, no body)
    except Exception as exc:  # the run could not test it: a failure, named, not a lost worker
        run.failures.setdefault(f"{key} ({mode.name.lower()}) not fuzzed: {exc!r}"[:300], "")


def fuzz_share(base_url: str, document: dict[str, Any], share: int, shares: int,
               verbose: bool = False) -> tuple[int, int, dict[str, str]]:
    """Fuzz every `shares`-th operation from `share` on; returns (sent, too long, failures)."""
    schema = schemathesis.openapi.from_dict(document)
    run, started = Run(base_url), time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()][share::shares]
    for done, operation in enumerate(operations, 1):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(run, operation, mode)
        if verbose and done % 10 == 0:
            print(f"share {share}: {time.monotonic() - started:.0f}s, {done}/{len(operations)} "
                  f"operations, {run.sent} requests, {len(run.failures)} failures", flush=True)
    return run.sent, run.too_long, run.failures


