"""Login limits that hold under concurrency and across processes (issue 15)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from conftest import PASSWORD, Org, OtherProcess, Server, make_person
from tongban_client import ApiError, TongbanClient

from core.models import LimitCounter


async def login_status(client: TongbanClient, username: str, password: str) -> int:
    try:
        await client.login(username, password)
    except ApiError as error:
        return error.status
    return 200


async def test_a_concurrent_burst_gets_only_the_limits_worth_of_tries(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    target = await make_person(admin, org.county)
    clients = [server.client(address=f"10.15.1.{n % 200 + 1}") for n in range(200)]
    statuses = Counter(await asyncio.gather(
        *(login_status(client, target["username"], "wrong-guess") for client in clients)
    ))
    assert statuses == {401: server.settings.login_attempts_per_account, 429: 195}
    assert await login_status(clients[0], target["username"], PASSWORD) == 429
    assert server.app.state.auth.counts["login_limited"] >= 196
    await asyncio.gather(*(client.aclose() for client in clients))


async def test_a_burst_from_one_address_over_many_accounts_is_limited_too(
    server: Server, admin: TongbanClient
) -> None:
    client = server.client(address="10.15.2.1")
    statuses = Counter(await asyncio.gather(
        *(login_status(client, f"nobody-{n}", "wrong-guess") for n in range(60))
    ))
    assert statuses == {401: server.settings.login_attempts_per_address, 429: 40}
    await client.aclose()


async def test_a_success_gives_its_try_back(server: Server, admin: TongbanClient, org: Org) -> None:
    someone = await make_person(admin, org.county)
    client = server.client(address="10.15.3.1")
    for _ in range(server.settings.login_attempts_per_address + 5):
        await client.login(someone["username"], PASSWORD)  # never 429: successes do not count
    for _ in range(server.settings.login_attempts_per_account - 1):
        assert await login_status(client, someone["username"], "typo") == 401
    await client.login(someone["username"], PASSWORD)  # and a success forgives the typos
    assert await login_status(client, someone["username"], "typo") == 401
    await client.aclose()


async def test_the_limit_is_shared_by_every_server_process(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    target = await make_person(admin, org.county)
    try:
        async with OtherProcess(server) as other, httpx.AsyncClient() as http:
            for _ in range(server.settings.login_attempts_per_account):
                reply = await http.post(f"{other.base_url}/v1/auth/login",
                                        json={"username": target["username"], "password": "x"})
                assert reply.status_code == 401
            reply = await http.post(f"{other.base_url}/v1/auth/login",
                                    json={"username": target["username"], "password": "x"})
            assert reply.status_code == 429 and int(reply.headers["retry-after"]) > 0
        here = server.client(address="10.15.4.1")
        assert await login_status(here, target["username"], PASSWORD) == 429
        await here.aclose()
    finally:  # the other process saw every try come from 127.0.0.1, as do other tests' logins
        await LimitCounter.filter(name="login:addr:127.0.0.1").delete()
