"""Access tokens are ES256 JWTs checked strictly: every defect is a 401."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from conftest import Server
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwt
from tongban_client import ApiError, TongbanClient

from core.security import token_keys


def claims_of(client: TongbanClient) -> dict[str, Any]:
    assert client.access_token
    return jwt.get_unverified_claims(client.access_token)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def status_with(server: Server, token: str) -> int:
    client = server.client()
    try:
        await client.request("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"})
    except ApiError as error:
        return error.status
    finally:
        await client.aclose()
    return 200


def private_pem(server: Server) -> str:
    return token_keys(server.settings.secret_key).private_pem


async def test_the_genuine_token_works(server: Server, alice: TongbanClient) -> None:
    assert alice.access_token
    assert await status_with(server, alice.access_token) == 200


async def test_alg_none_is_refused(server: Server, alice: TongbanClient) -> None:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims_of(alice)).encode())
    assert await status_with(server, f"{header}.{body}.") == 401


async def test_hs256_signed_with_the_public_key_is_refused(
    server: Server, alice: TongbanClient
) -> None:
    public = token_keys(server.settings.secret_key).public_pem
    import hashlib
    import hmac

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims_of(alice)).encode())
    mac = hmac.new(public.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    assert await status_with(server, f"{header}.{body}.{b64(mac)}") == 401


async def test_a_token_signed_by_a_foreign_key_is_refused(
    server: Server, alice: TongbanClient
) -> None:
    foreign = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    token = jwt.encode(claims_of(alice), foreign.decode(), algorithm="ES256")
    assert await status_with(server, token) == 401


async def test_a_tampered_payload_is_refused(server: Server, alice: TongbanClient) -> None:
    assert alice.access_token
    header, _, signature = alice.access_token.split(".")
    claims = {**claims_of(alice), "sub": "1"}
    body = b64(json.dumps(claims).encode())
    assert await status_with(server, f"{header}.{body}.{signature}") == 401


@pytest.mark.parametrize("change", [
    {"exp": None}, {"exp": int(time.time()) - 10}, {"iss": "someone-else"},
    {"aud": "another-api"}, {"jti": None}, {"iat": None}, {"sub": None},
    {"typ": "refresh"}, {"typ": None}, {"sid": "no-such-session"},
])
async def test_claim_defects_are_refused(
    server: Server, alice: TongbanClient, change: dict[str, Any]
) -> None:
    claims = {**claims_of(alice), **change}
    claims = {key: value for key, value in claims.items() if value is not None}
    token = jwt.encode(claims, private_pem(server), algorithm="ES256")
    assert await status_with(server, token) == 401


async def test_a_refresh_token_cannot_stand_in_for_an_access_token(
    server: Server, alice: TongbanClient
) -> None:
    assert alice.refresh_token
    assert await status_with(server, alice.refresh_token) == 401


async def test_an_access_token_cannot_stand_in_for_a_refresh_token(
    server: Server, alice: TongbanClient
) -> None:
    client = server.client()
    with pytest.raises(ApiError) as caught:
        await client.request("POST", "/v1/auth/refresh",
                             json={"refresh_token": alice.access_token})
    assert caught.value.status == 401
    await client.aclose()


async def test_missing_or_malformed_authorization_is_401(server: Server) -> None:
    client = server.client()
    for header in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
                   {"Authorization": "Bearer not.a.jwt"}):
        with pytest.raises(ApiError) as caught:
            await client.request("GET", "/v1/me", headers=header)
        assert caught.value.status == 401
        assert caught.value.type.startswith("https://")
    await client.aclose()
