"""Devices: register a P-256 public key, list, revoke; other people's devices do not exist."""

from __future__ import annotations

import pytest
from conftest import Org, Server, logged_in, make_person
from tongban_client import ApiError, DeviceKey, TongbanClient


async def test_register_list_and_revoke_a_device(alice: TongbanClient) -> None:
    key = DeviceKey.generate()
    device = await alice.register_device("我的手机", "ios", key)
    assert device["thumbprint"] == key.thumbprint()
    assert "d" not in device["public_jwk"]
    listed = await alice.list_devices()
    assert [d["id"] for d in listed] == [device["id"]]
    await alice.revoke_device(device["id"])
    [revoked] = await alice.list_devices()
    assert revoked["revoked_at"] is not None
    assert (await alice.me())["device_id"] == device["id"]  # the session is bound to it


@pytest.mark.parametrize("jwk", [
    {"kty": "RSA", "n": "x", "e": "AQAB"},
    {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
    {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
    {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43},  # not on the curve
])
async def test_keys_that_are_not_p256_public_keys_are_422(
    alice: TongbanClient, jwk: dict[str, str]
) -> None:
    with pytest.raises(ApiError) as caught:
        await alice.post("/v1/devices", {"name": "x", "platform": "android", "public_jwk": jwk})
    assert caught.value.status == 422


async def test_a_private_key_is_refused(alice: TongbanClient) -> None:
    key = DeviceKey.generate()
    private = {**key.public_jwk(), "d": "c2VjcmV0"}
    with pytest.raises(ApiError) as caught:
        await alice.post("/v1/devices", {"name": "x", "platform": "android", "public_jwk": private})
    assert caught.value.status == 422


async def test_the_same_key_cannot_be_registered_twice(alice: TongbanClient) -> None:
    key = DeviceKey.generate()
    await alice.register_device("一号机", "android", key)
    with pytest.raises(ApiError) as caught:
        await alice.register_device("二号机", "android", key)
    assert caught.value.status == 409


async def test_someone_elses_device_is_404(
    server: Server, admin: TongbanClient, org: Org, alice: TongbanClient
) -> None:
    other = await logged_in(server, await make_person(admin, org.county))
    theirs = await other.register_device("他的手机", "android", DeviceKey.generate())
    with pytest.raises(ApiError) as caught:
        await alice.revoke_device(theirs["id"])
    assert caught.value.status == 404
    assert await alice.list_devices() == []
    await other.aclose()
