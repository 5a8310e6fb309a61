"""Device keys: a P-256 key pair kept on the phone, used to sign sign-off decisions (ES256 JWS)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jose import jws

COORDINATE_BYTES = 32  # P-256
# RFC 7638 §3.2: the members that go into a thumbprint, per key type.
THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
    "OKP": ("crv", "kty", "x"),
}


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of a public JWK, base64url without padding."""
    members = THUMBPRINT_MEMBERS[jwk["kty"]]
    canonical = json.dumps(
        {name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True
    )
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


class DeviceKey:
    """A device's P-256 private key. Create with `generate()` or `load(path)`."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("a device key must be on P-256")
        self._key = private_key

    @classmethod
    def generate(cls) -> DeviceKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_private_jwk(cls, jwk: dict[str, Any]) -> DeviceKey:
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or "d" not in jwk:
            raise ValueError("expected a private P-256 JWK")
        public = ec.EllipticCurvePublicNumbers(_int(jwk["x"]), _int(jwk["y"]), ec.SECP256R1())
        return cls(ec.EllipticCurvePrivateNumbers(_int(jwk["d"]), public).private_key())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DeviceKey:
        return cls.from_private_jwk(json.loads(Path(path).read_text(encoding="utf-8")))

    def public_jwk(self) -> dict[str, str]:
        numbers = self._key.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": _b64_int(numbers.x), "y": _b64_int(numbers.y)}

    def thumbprint(self) -> str:
        return jwk_thumbprint(self.public_jwk())

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the private JWK to `path`, mode 0600, atomically.

        An existing file holding another key is kept (FileExistsError) unless `overwrite`;
        one holding this same key is left as it is.
        """
        target = Path(path)
        temp = _write_private_temp(target, json.dumps(self._private_jwk()).encode("utf-8"))
        try:
            if overwrite:
                os.replace(temp, target)
            else:
                self._install_no_clobber(temp, target)
            _fsync_dir(target.parent)
        finally:
            temp.unlink(missing_ok=True)

    def _install_no_clobber(self, temp: Path, target: Path) -> None:
        # A hard link fails if the target exists, so two processes saving at once cannot
        # silently replace each other's key (a check followed by os.replace could).
        try:
            os.link(temp, target)
        except FileExistsError:
            if DeviceKey.load(target).thumbprint() != self.thumbprint():
                raise FileExistsError(f"{target} already holds another device key") from None

    def sign(self, payload: dict[str, Any]) -> str:
        """Compact JWS (ES256, raw r||s signature) over `payload`, `kid` = the key's thumbprint."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        token: str = jws.sign(
            body, self._private_jwk(), headers={"kid": self.thumbprint()}, algorithm="ES256"
        )
        return token

    def sign_decision(
        self,
        *,
        chain: int | str,
        step: int | str,
        decision: str,
        comment: str,
        content_sha256: str,
        nonce: str | None = None,
        signed_at: datetime | str | None = None,
    ) -> str:
        """Sign one sign-off decision in the shape the server verifies."""
        payload = {
            "chain": chain,
            "step": step,
            "decision": decision,
            "comment": comment,
            "content_sha256": content_sha256,
            "signed_at": _iso_utc(signed_at),
            "nonce": nonce or b64url_encode(secrets.token_bytes(16)),
        }
        return self.sign(payload)

    def _private_jwk(self) -> dict[str, str]:
        return {**self.public_jwk(), "d": _b64_int(self._key.private_numbers().private_value)}


def _b64_int(value: int) -> str:
    return b64url_encode(value.to_bytes(COORDINATE_BYTES, "big"))


def _int(text: str) -> int:
    return int.from_bytes(b64url_decode(text), "big")


def _iso_utc(value: datetime | str | None) -> str:
    if isinstance(value, str):
        return value
    moment = value or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def _write_private_temp(target: Path, data: bytes) -> Path:
    # mkstemp creates the file with mode 0600, so the key is never readable by others.
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
