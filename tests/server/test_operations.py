"""Seeing and restarting a running server: /metrics, JSON logs, /v1/ready, SIGTERM.

Most of it runs against real `tongban serve` processes on the session's database: one with two
workers (metrics added up across processes, JSON logs on stderr), one that is sent SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from conftest import PASSWORD, Org, Server, make_person, take, unique
from ops_helpers import Served, cli_env
from prometheus_client.parser import text_string_to_metric_families
from tongban_client import Backoff, TongbanClient

TOKEN = "operator-token-for-scrapes"
Samples = list[tuple[str, dict[str, str], float]]


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, through prometheus-client's own parser."""
    return [(sample.name, sample.labels, sample.value)
            for family in text_string_to_metric_families(text) for sample in family.samples]


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(value for sample, found, value in samples
               if sample == name and all(found.get(k) == v for k, v in labels.items()))


async def scrape(base_url: str, token: str | None = TOKEN) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as http:
        reply = await http.get(f"{base_url}/metrics", headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    return parse(reply.text)


async def fresh_connection_get(url: str, token: str) -> httpx.Response:
    """A request on a new connection, so the kernel may hand it to either worker."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        return await http.get(url)


# -- in-process: access rules, readiness, request ids -----------------------------------------


async def test_metrics_are_served_to_loopback_and_refused_to_other_addresses(
    server: Server,
) -> None:
    outside = server.client(address="203.0.113.9")
    reply = await outside._http.get("/metrics")
    assert reply.status_code == 403
    assert reply.headers["content-type"] == "application/problem+json"
    inside = server.client()
    reply = await inside._http.get("/metrics")
    assert reply.status_code == 200
    assert total(parse(reply.text), "tongban_http_requests_total", route="/metrics") >= 1
    for client in (outside, inside):
        await client.aclose()


async def test_ready_checks_the_database_and_the_bus(server: Server) -> None:
    client = server.client()
    reply = await client._http.get("/v1/ready")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ready", "checks": {"database": "ok", "bus": "ok"}}
    assert "/v1/ready" in (await client._http.get("/v1/openapi.json")).json()["paths"]
    await client.aclose()


async def test_every_reply_carries_a_request_id_and_a_sane_one_is_kept(server: Server) -> None:
    client = server.client()
    made = (await client._http.get("/v1/health")).headers["x-request-id"]
    kept = await client._http.get("/v1/health", headers={"X-Request-ID": "trace-4f2a9c01"})
    odd = await client._http.get("/v1/health", headers={"X-Request-ID": "bad id\x7f"})
    assert len(made) == 32 and kept.headers["x-request-id"] == "trace-4f2a9c01"
    assert odd.headers["x-request-id"] != "bad id\x7f"
    missing = await client._http.get("/v1/no-such-thing")
    assert missing.status_code == 404 and missing.headers["x-request-id"]
    await client.aclose()


# -- two workers: metrics added up, JSON logs --------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def two_workers(server: Server,
                      tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    log = tmp_path_factory.mktemp("ops") / "two-workers.log"
    env = cli_env(server.settings.data_dir, DATABASE_URL=server.settings.database_url,
                  BUS_URL=server.settings.bus_url, SECRET_KEY=server.settings.secret_key,
                  LOG_FORMAT="json", METRICS_TOKEN=TOKEN, METRICS_ALLOW="10.0.0.0/8",
                  LOGIN_ATTEMPTS_PER_ACCOUNT="1")
    served = Served(env, log=log, workers=2)
    await served.start()
    yield served
    code = await served.terminate()
    assert code == 0, served.log.read_text()[-3000:]


async def test_metrics_add_up_both_workers_and_move_with_traffic(
    two_workers: Served, admin: TongbanClient, org: Org
) -> None:
    async with httpx.AsyncClient() as http:
        refused = await http.get(f"{two_workers.base_url}/metrics")  # loopback is not allowed here
    assert refused.status_code == 403
    people = [await make_person(admin, org.county) for _ in range(2)]
    alice = await two_workers.client(people[0]["username"], PASSWORD)
    chat = await alice.create_group_chat("指标", [people[1]["id"]])
    before = await scrape(two_workers.base_url)
    stream = alice.events(after=(await alice.fetch_events())["last_event_id"])
    waiting = asyncio.create_task(take(stream, 3, timeout=20))
    for _ in range(20):
        assert (await fresh_connection_get(f"{two_workers.base_url}/v1/me",
                                           alice.access_token or "")).status_code == 200
    for n in range(3):
        await alice.send_message(chat["id"], f"指标消息{n}")
    await waiting
    failures = await wrong_logins(two_workers.base_url, people[1]["username"], attempts=6)
    after = await eventually(two_workers.base_url, lambda s: total(
        s, "tongban_events_delivered_total") > total(before, "tongban_events_delivered_total"))

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved("tongban_http_requests_total", route="/v1/me", status="200") == 20
    assert moved("tongban_http_request_duration_seconds_count", route="/v1/me") == 20
    assert moved("tongban_events_written_total") >= 3
    assert moved("tongban_db_query_seconds_count", op="commit") >= 3
    assert moved("tongban_login_failures_total") == failures.count(401) >= 1
    assert moved("tongban_http_rate_limited_total", route="/v1/auth/login") == \
        failures.count(429) >= 1
    assert total(after, "tongban_websockets_open") == 1
    pids = {labels["pid"] for name, labels, _ in after if name == "tongban_feed_lag_events"}
    assert len(pids) == 2, "each worker reports its own feed lag"
    assert {"tongban_feed_head_id", "tongban_scheduler_oldest_due_seconds"} <= \
        {name for name, _, _ in after}
    await stream.aclose()
    await alice.aclose()


async def wrong_logins(base_url: str, username: str, *, attempts: int) -> list[int]:
    """Statuses of logins with a wrong password, each on a new connection (either worker)."""
    statuses = []
    for _ in range(attempts):
        async with httpx.AsyncClient() as http:
            reply = await http.post(f"{base_url}/v1/auth/login",
                                    json={"username": username, "password": "not-the-password"})
        statuses.append(reply.status_code)
    return statuses


async def eventually(base_url: str, condition: Any, timeout: float = 10) -> Samples:
    deadline = time.monotonic() + timeout
    while True:
        samples = await scrape(base_url)
        if condition(samples) or time.monotonic() > deadline:
            return samples
        await asyncio.sleep(0.2)


async def test_logs_are_json_lines_without_tokens_passwords_or_bodies(
    two_workers: Served, admin: TongbanClient, org: Org
) -> None:
    person = await make_person(admin, org.county)
    client = await two_workers.client(person["username"], PASSWORD)
    body = f"绝密正文{unique('正文')}"
    chat = await client.create_group_chat("日志", [person["id"]])
    await client.send_message(chat["id"], body)
    reply = await client._http.get("/v1/me", headers={
        "X-Request-ID": "find-me-0001", "Authorization": f"Bearer {client.access_token}"})
    assert reply.headers["x-request-id"] == "find-me-0001"
    await asyncio.sleep(0.5)  # let the workers flush their last lines
    lines = two_workers.log_lines()
    records = [json.loads(line) for line in lines]  # every line: fails if one is not JSON
    text = "\n".join(lines)
    for secret in (client.access_token, client.refresh_token, PASSWORD, body):
        assert secret and secret not in text
    [me] = [r for r in records if r.get("request_id") == "find-me-0001"]
    assert me["route"] == "/v1/me" and me["status"] == 200 and me["actor_id"] == person["id"]
    assert me["logger"] == "tongban.access" and me["duration_ms"] >= me["db_ms"] >= 0
    assert any(r.get("route") == "/v1/conversations/{conversation_id}/messages"
               and r["actor_id"] == person["id"] and r["status"] == 201 for r in records)
    await client.aclose()


# -- SIGTERM -----------------------------------------------------------------------------------


async def slow_body(chunks: int, pause: float) -> AsyncIterator[bytes]:
    for _ in range(chunks):
        await asyncio.sleep(pause)
        yield b"x" * 1024


async def test_sigterm_finishes_requests_closes_sockets_with_1012_and_clients_resume(
    server: Server, admin: TongbanClient, org: Org, tmp_path: Path
) -> None:
    unit = await admin.create_unit(unique("重启科"), org.county, "county")
    member = await make_person(admin, unit["id"])
    env = cli_env(server.settings.data_dir, DATABASE_URL=server.settings.database_url,
                  BUS_URL=server.settings.bus_url, SECRET_KEY=server.settings.secret_key,
                  LOG_FORMAT="json")
    first = Served(env, log=tmp_path / "first.log")
    await first.start()
    client = await first.client(member["username"], PASSWORD)
    stream = client.events(after=(await client.fetch_events())["last_event_id"],
                           backoff=Backoff(initial=0.2, cap=1.0))
    waiting = asyncio.create_task(take(stream, 1, timeout=120))
    async with asyncio.timeout(10):
        while stream.server_last_event_id is None:
            await asyncio.sleep(0.05)
    upload = asyncio.create_task(client._http.post(
        "/v1/files", content=slow_body(8, 0.25),
        headers={"Content-Type": "application/octet-stream", "X-Filename": "slow.bin",
                 "Authorization": f"Bearer {client.access_token}"}))
    await asyncio.sleep(0.5)  # the upload is in flight
    assert first.process is not None
    first.process.send_signal(15)
    async with asyncio.timeout(10):
        while stream.last_close_code is None:
            await asyncio.sleep(0.05)
    assert stream.last_close_code == 1012
    try:
        async with httpx.AsyncClient() as http:
            await http.get(f"{first.base_url}/v1/health")
        refused = False
    except httpx.TransportError:
        refused = True
    assert refused, "a stopping server accepts no new connection"
    assert (await upload).status_code == 201  # the request in flight was finished
    assert await first.terminate() == 0
    second = Served(env, log=tmp_path / "second.log")
    second.port, second.base_url = first.port, first.base_url  # the same address, restarted
    await second.start()
    try:
        await admin.patch(f"/v1/org/units/{unit['id']}", {"name": "重启之后"})
        [event] = await waiting
        assert event["data"]["name"] == "重启之后" and stream.connects >= 2
    finally:
        await stream.aclose()
        await client.aclose()
        assert await second.terminate() == 0
