"""Validation of a device's P-256 public JWK and its RFC 7638 thumbprint."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from core.errors import Unprocessable, field_error


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _refuse(msg: str) -> Unprocessable:
    return Unprocessable(msg, errors=[field_error(["public_jwk"], msg, "invalid_jwk")])


def public_p256(jwk: dict[str, Any]) -> dict[str, str]:
    """The canonical public JWK, or 422 if it is not a P-256 public key on the curve."""
    if "d" in jwk:
        raise _refuse("Send the public key only: the JWK contains a private part (d).")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise _refuse("The key must be an EC key on P-256 (kty EC, crv P-256).")
    x, y = jwk.get("x"), jwk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise _refuse("The key must carry x and y.")
    try:
        xb, yb = _b64url(x), _b64url(y)
    except (binascii.Error, ValueError) as exc:
        raise _refuse("x and y must be base64url.") from exc
    if len(xb) != 32 or len(yb) != 32:
        raise _refuse("x and y must be 32 bytes each.")
    try:
        ec.EllipticCurvePublicNumbers(
            int.from_bytes(xb, "big"), int.from_bytes(yb, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError as exc:
        raise _refuse("The point is not on the P-256 curve.") from exc
    return {"kty": "EC", "crv": "P-256", "x": x, "y": y}


def thumbprint(jwk: dict[str, str]) -> str:
    members = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")
