"""Auth primitives: Argon2 password hashes and ES256 JWTs through python-jose, used narrowly.

Tokens are signed with an ES256 key derived from `TONGBAN_SECRET_KEY`, so every process that
shares the secret shares the key. Decoding always names exactly one algorithm and turns on
every claim check that applies to us; a token of the wrong `typ` is refused, so a refresh token
cannot stand in for an access token or the reverse. `at_hash` is not required: it binds an
OpenID ID token to an access token, and we issue no ID tokens.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jwt
from jose.exceptions import JOSEError

from core.clock import utcnow
from core.errors import Unauthorized

ALGORITHM = "ES256"
DECODE_OPTIONS = {
    "verify_signature": True,
    "verify_aud": True,
    "verify_iat": True,
    "verify_exp": True,
    "verify_nbf": True,
    "verify_iss": True,
    "verify_sub": True,
    "verify_jti": True,
    "require_aud": True,
    "require_iat": True,
    "require_exp": True,
    "require_nbf": True,
    "require_iss": True,
    "require_sub": True,
    "require_jti": True,
    "leeway": 0,
}
VERIFIED_CACHE_SIZE = 20_000
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


@dataclass(frozen=True)
class TokenKeys:
    private_pem: str
    public_pem: str
    kid: str
    verify_key: Any  # parsed once: parsing the PEM on every request cost a quarter of a decode


@lru_cache(maxsize=4)
def token_keys(secret: str) -> TokenKeys:
    """Derive the signing key from the secret (domain-separated), deterministically."""
    seed = hashlib.sha512(b"tongban-jwt-es256|" + secret.encode()).digest()
    scalar = int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    kid = hashlib.sha256(public_pem.encode()).hexdigest()[:16]
    return TokenKeys(private_pem, public_pem, kid, jwk.construct(public_pem, ALGORITHM))


@dataclass(frozen=True)
class TokenIssuer:
    secret: str
    issuer: str
    audience: str
    # Tokens already verified, until they expire: a phone sends the same one for minutes, and
    # the ES256 check was a tenth of a request's CPU. Bounded; cleared when full.
    _verified: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    def issue(self, *, subject: str, typ: str, lifetime: timedelta, **claims: Any) -> tuple[str, datetime]:
        now = utcnow()
        expires = now + lifetime
        body = {
            "iss": self.issuer, "aud": self.audience, "sub": subject, "typ": typ,
            "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()), "jti": uuid.uuid4().hex, **claims,
        }
        keys = token_keys(self.secret)
        headers = {"kid": keys.kid, "typ": "JWT"}
        return jwt.encode(body, keys.private_pem, algorithm=ALGORITHM, headers=headers), expires

    def decode(self, token: str, *, typ: str) -> dict[str, Any]:
        """The verified claims, or Unauthorized for any defect of the token."""
        known = self._verified.get(token)
        if known is not None and known["exp"] > time.time() and known.get("typ") == typ:
            return known
        claims = self._verify(token, typ=typ)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = claims
        return claims

    def _verify(self, token: str, *, typ: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token, token_keys(self.secret).verify_key, algorithms=[ALGORITHM],
                audience=self.audience, issuer=self.issuer, options=DECODE_OPTIONS,
            )
        except (JOSEError, ValueError, TypeError, KeyError) as exc:
            raise Unauthorized("The token is not valid.", slug="invalid-token") from exc
        if claims.get("typ") != typ:
            raise Unauthorized("The token is not valid.", slug="invalid-token")
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("jti"), str):
            raise Unauthorized("The token is not valid.", slug="invalid-token")
        return claims


class Passwords:
    """Argon2id hashes; the cost comes from settings so tests can make it cheap."""

    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str | None, password: str) -> bool:
        """Constant work whether or not the account exists, so timing does not reveal it."""
        try:
            return self._hasher.verify(hashed or self._dummy, password) and hashed is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)


def token_digest(token: str) -> str:
    """How refresh tokens are stored: only their SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()
