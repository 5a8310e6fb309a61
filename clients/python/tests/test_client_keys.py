from __future__ import annotations

import base64
import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from jose import jws
from jose.exceptions import JWSError

from tongban_client import DeviceKey, jwk_thumbprint
from tongban_client.keys import b64url_decode

# RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ"
        "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
        "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vM"
        "QFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
# RFC 8037 appendix A.3: an Ed25519 public key and its thumbprint.
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
# RFC 7515 appendix A.3: the ES256 example key.
RFC7515_EC_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
}


def test_thumbprint_matches_rfc7638_example() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == RFC7638_THUMBPRINT


def test_thumbprint_matches_rfc8037_example() -> None:
    assert jwk_thumbprint(RFC8037_JWK) == RFC8037_THUMBPRINT


def test_ec_thumbprint_hashes_the_canonical_members_in_order() -> None:
    key = DeviceKey.generate()
    jwk = key.public_jwk()
    canonical = f'{{"crv":"P-256","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
    digest = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=")
    assert key.thumbprint() == digest.decode()
    assert len(key.thumbprint()) == 43


def test_public_jwk_has_no_private_part() -> None:
    jwk = DeviceKey.generate().public_jwk()
    assert set(jwk) == {"kty", "crv", "x", "y"}
    assert (jwk["kty"], jwk["crv"]) == ("EC", "P-256")
    assert len(b64url_decode(jwk["x"])) == len(b64url_decode(jwk["y"])) == 32


def test_private_jwk_from_rfc7515_loads_with_its_public_point() -> None:
    key = DeviceKey.from_private_jwk(RFC7515_EC_JWK)
    assert key.public_jwk() == {k: v for k, v in RFC7515_EC_JWK.items() if k != "d"}


def test_save_and_load_round_trip_with_mode_0600(tmp_path: Path) -> None:
    key = DeviceKey.generate()
    path = tmp_path / "device.jwk"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["d"]
    assert DeviceKey.load(path).public_jwk() == key.public_jwk()
    assert [p.name for p in tmp_path.iterdir()] == ["device.jwk"]


def test_save_refuses_to_replace_another_key(tmp_path: Path) -> None:
    path = tmp_path / "device.jwk"
    first = DeviceKey.generate()
    first.save(path)
    with pytest.raises(FileExistsError):
        DeviceKey.generate().save(path)
    assert DeviceKey.load(path).thumbprint() == first.thumbprint()
    assert [p.name for p in tmp_path.iterdir()] == ["device.jwk"]


def test_save_same_key_again_is_harmless(tmp_path: Path) -> None:
    key = DeviceKey.generate()
    key.save(tmp_path / "device.jwk")
    key.save(tmp_path / "device.jwk")
    assert DeviceKey.load(tmp_path / "device.jwk").thumbprint() == key.thumbprint()


def test_save_with_overwrite_replaces_the_key(tmp_path: Path) -> None:
    path = tmp_path / "device.jwk"
    DeviceKey.generate().save(path)
    second = DeviceKey.generate()
    second.save(path, overwrite=True)
    assert DeviceKey.load(path).thumbprint() == second.thumbprint()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_load_rejects_a_public_jwk(tmp_path: Path) -> None:
    path = tmp_path / "public.jwk"
    path.write_text(json.dumps(DeviceKey.generate().public_jwk()))
    with pytest.raises(ValueError):
        DeviceKey.load(path)


def test_sign_gives_es256_jws_that_jose_verifies() -> None:
    key = DeviceKey.generate()
    token = key.sign({"hello": "世界"})
    payload = jws.verify(token, key.public_jwk(), algorithms=["ES256"])
    assert json.loads(payload) == {"hello": "世界"}
    assert jws.get_unverified_header(token) == {
        "alg": "ES256",
        "typ": "JWT",
        "kid": key.thumbprint(),
    }
    assert len(b64url_decode(token.split(".")[2])) == 64  # raw r||s, not DER


def test_signature_does_not_verify_with_another_key() -> None:
    token = DeviceKey.generate().sign({"a": 1})
    with pytest.raises(JWSError):
        jws.verify(token, DeviceKey.generate().public_jwk(), algorithms=["ES256"])


def test_sign_decision_builds_the_payload_the_server_checks() -> None:
    key = DeviceKey.generate()
    token = key.sign_decision(
        chain=12, step=3, decision="approve", comment="同意", content_sha256="ab" * 32
    )
    payload = json.loads(jws.verify(token, key.public_jwk(), algorithms=["ES256"]))
    assert set(payload) == {
        "chain", "step", "decision", "comment", "content_sha256", "signed_at", "nonce"
    }  # fmt: skip
    assert (payload["chain"], payload["step"], payload["comment"]) == (12, 3, "同意")
    signed_at = datetime.fromisoformat(payload["signed_at"])
    assert signed_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - signed_at) < timedelta(minutes=1)
    assert len(b64url_decode(payload["nonce"])) == 16


def test_sign_decision_nonces_differ_and_times_are_normalised_to_utc() -> None:
    key = DeviceKey.generate()
    beijing = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    tokens = [
        key.sign_decision(
            chain=1, step=1, decision="reject", comment="", content_sha256="0" * 64,
            signed_at=beijing,
        )
        for _ in range(2)
    ]  # fmt: skip
    payloads = [json.loads(jws.get_unverified_claims(t)) for t in tokens]
    assert payloads[0]["nonce"] != payloads[1]["nonce"]
    assert payloads[0]["signed_at"] == "2026-03-01T01:30:00+00:00"


def test_sign_decision_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError):
        DeviceKey.generate().sign_decision(
            chain=1, step=1, decision="approve", comment="", content_sha256="0" * 64,
            signed_at=datetime(2026, 3, 1, 9, 30),
        )  # fmt: skip
