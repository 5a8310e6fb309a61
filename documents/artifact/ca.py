"""The deployment's own certificate authority and its units' signing keys (no database here).

Layout under `$TONGBAN_DATA_DIR/ca/` (back it up with the rest of the data folder):
- `ca.crt` — the CA certificate (public; verifiers trust it), `ca.key` — its key;
- `units/<unit id>/<serial>.key` and `.crt` — each unit's signing key and certificate;
- `crl.pem` — the latest revocation list (also served at `GET /v1/ca/crl`).
Every key is PKCS#8, encrypted with a passphrase derived from `TONGBAN_CA_PASSPHRASE` (else
from the secret key; keep either off the data folder's backups to make stolen backups useless),
and written 0600 (certificates too: the data folder is private; they are served over HTTP).
Keys are ECDSA P-256 (PAdES and pyHanko support it; it signs in
microseconds).
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_YEARS, UNIT_YEARS = 20, 5
CRL_DAYS = 7
# Where a verifier finds the revocation list: the server's `GET /v1/ca/crl`, or the file a
# receiver was given. Verifiers are given the list (they never fetch), but a certificate must
# name a distribution point for it to apply.
CRL_URI = "urn:tongban:ca:crl"
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning


class CaMissing(RuntimeError):
    """The CA has not been initialised (`tongban ca init`)."""


@dataclass(frozen=True)
class Issued:
    """A unit's new certificate and where its key went."""

    serial: str
    cert_pem: bytes
    key_path: Path
    not_before: datetime
    not_after: datetime
    fingerprint: str


def ca_dir(data_dir: Path) -> Path:
    return data_dir / "ca"


def passphrase(secret: str, override: str = "") -> bytes:
    """The key-encryption passphrase: the configured one, else derived from the secret key."""
    if override:
        return override.encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tongban-ca",
                   info=b"unit and CA keys at rest").derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


def _folder(folder: Path) -> None:
    """Make `folder` and its missing parents, each 0700."""
    if not folder.exists():
        _folder(folder.parent)
        folder.mkdir(mode=0o700, exist_ok=True)


def _write(path: Path, data: bytes, mode: int) -> None:
    _folder(path.parent)
    temp = path.with_suffix(path.suffix + f".{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temp, path)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey, secret: bytes) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(secret))
    _write(path, data, 0o600)


def load_key(path: Path, secret: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=secret)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def init_ca(directory: Path, *, name: str, secret: bytes, now: datetime) -> x509.Certificate:
    """Create the CA key and self-signed certificate; refuses to replace an existing CA."""
    if (directory / "ca.crt").exists():
        raise FileExistsError(f"A CA already exists in {directory}.")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(f"{name} 公文签章 CA", name)
    public = key.public_key()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))
    _write_key(directory / "ca.key", key, secret)
    _write(directory / "ca.crt", cert.public_bytes(serialization.Encoding.PEM), 0o600)
    return cert


def load_ca(directory: Path, secret: bytes) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if not (directory / "ca.crt").exists():
        raise CaMissing("No CA: run `tongban ca init`.")
    cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    return cert, load_key(directory / "ca.key", secret)


def ca_certificate(directory: Path) -> x509.Certificate:
    if not (directory / "ca.crt").exists():
        raise CaMissing("No CA: run `tongban ca init`.")
    return x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())


def issue_unit(directory: Path, *, unit_id: int, unit_name: str, secret: bytes,
               now: datetime) -> Issued:
    """A new key and certificate for a unit, signed by the CA, written under `units/`."""
    ca_cert, ca_key = load_ca(directory, secret)
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    serial = x509.random_serial_number()
    organisation = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    subject = x509.Name([*_name(unit_name, str(organisation)),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, f"unit:{unit_id}")])
    not_after = min(now + timedelta(days=365 * UNIT_YEARS), ca_cert.not_valid_after_utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(public).serial_number(serial)
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING,
                                                  ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_cert.public_key()), critical=False)  # type: ignore[arg-type]
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(CRL_URI)], None, None, None)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    hexserial = format(serial, "x")
    folder = directory / "units" / str(unit_id)
    _write_key(folder / f"{hexserial}.key", key, secret)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    _write(folder / f"{hexserial}.crt", pem, 0o600)
    return Issued(hexserial, pem, folder / f"{hexserial}.key", cert.not_valid_before_utc,
                  not_after, cert.fingerprint(hashes.SHA256()).hex())


def build_crl(directory: Path, *, revoked: list[tuple[str, datetime]], secret: bytes,
              now: datetime) -> bytes:
    """The CA's revocation list (PEM) over `(serial hex, revoked at)`, kept as `crl.pem`."""
    ca_cert, ca_key = load_ca(directory, secret)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(now - timedelta(minutes=5))
               .next_update(now + timedelta(days=CRL_DAYS))
               .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   ca_cert.public_key()), critical=False))  # type: ignore[arg-type]
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(int(serial, 16))
            .revocation_date(when).build())
    pem = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    _write(directory / "crl.pem", pem, 0o600)
    return pem
