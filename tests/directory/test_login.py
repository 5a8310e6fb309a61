"""Login, refresh rotation, logout and login rate limits (DESIGN: Auth and devices)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PASSWORD, Org, Server, logged_in, make_person
from tongban_client import ApiError, SessionEnded, TongbanClient


async def test_login_returns_the_contract_shape(server: Server, person: dict[str, Any]) -> None:
    client = server.client()
    reply = await client.request("POST", "/v1/auth/login",
                                 json={"username": person["username"], "password": PASSWORD})
    assert reply["token_type"] == "bearer"
    assert reply["expires_in"] > 0
    assert reply["user"] == {"id": person["id"], "username": person["username"],
                             "display_name": person["display_name"]}
    assert reply["access_token"] != reply["refresh_token"]
    await client.aclose()


async def test_login_with_a_wrong_password_is_401(server: Server, person: dict[str, Any]) -> None:
    client = server.client()
    with pytest.raises(ApiError) as caught:
        await client.login(person["username"], "not-the-password")
    assert caught.value.status == 401
    assert caught.value.type.endswith("/bad-credentials")
    await client.aclose()


async def test_me_shows_positions_and_units(alice: TongbanClient, org: Org) -> None:
    me = await alice.me()
    assert me["units"] == [{"id": org.county, "name": "测试县"}]
    assert me["positions"][0]["title"] == "科员"


async def test_refresh_rotates_and_the_old_token_stops_working(alice: TongbanClient) -> None:
    old = alice.refresh_token
    await alice.refresh()
    assert alice.refresh_token != old
    assert (await alice.me())["id"]
    with pytest.raises(ApiError) as caught:
        await alice.request("POST", "/v1/auth/refresh", json={"refresh_token": old})
    assert caught.value.status == 401


async def test_reusing_a_refresh_token_ends_the_whole_session(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    victim = await logged_in(server, await make_person(admin, org.county))
    stolen = victim.refresh_token
    await victim.refresh()  # the legitimate rotation
    thief = server.client()
    with pytest.raises(ApiError) as caught:
        await thief.request("POST", "/v1/auth/refresh", json={"refresh_token": stolen})
    assert caught.value.type.endswith("/refresh-reuse")
    with pytest.raises(SessionEnded):
        await victim.me()  # the access token dies with the session, and so does refreshing
    await victim.aclose()
    await thief.aclose()


async def test_logout_ends_the_session_at_once(server: Server, person: dict[str, Any]) -> None:
    client = await logged_in(server, person)
    token = client.access_token
    await client.logout()
    bare = server.client()
    with pytest.raises(ApiError) as caught:
        await bare.request("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert caught.value.status == 401
    await client.aclose()
    await bare.aclose()


async def test_failed_logins_are_limited_per_account_with_retry_after(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    target = await make_person(admin, org.county)
    client = server.client(address="10.1.0.1")
    for _ in range(5):
        with pytest.raises(ApiError) as caught:
            await client.login(target["username"], "wrong-guess")
        assert caught.value.status == 401
    with pytest.raises(ApiError) as caught:
        await client.login(target["username"], PASSWORD)  # even the right password waits
    assert caught.value.status == 429
    assert int(caught.value.headers["retry-after"]) > 0
    await client.aclose()


async def test_failed_logins_are_limited_per_address(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    client = server.client(address="10.2.0.2")
    for attempt in range(20):
        with pytest.raises(ApiError):
            await client.login(f"nobody{attempt}", "wrong-guess")
    someone = await make_person(admin, org.county)
    with pytest.raises(ApiError) as caught:
        await client.login(someone["username"], PASSWORD)
    assert caught.value.status == 429
    other_address = server.client(address="10.2.0.3")
    await other_address.login(someone["username"], PASSWORD)
    await client.aclose()
    await other_address.aclose()
