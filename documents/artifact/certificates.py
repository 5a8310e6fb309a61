"""Units' signing certificates: issued by the deployment CA (`ca`), recorded here so they can
be listed, chosen and revoked, and the revocation list built from the records.

The CA and a unit's first certificate are created when first needed (`TONGBAN_CA_AUTO`, on by
default) so a fresh server issues signed documents; `tongban ca init` and `tongban ca issue`
do the same on purpose. Key generation and file writes happen before the recording
transaction; a file lock keeps two processes from creating two CAs.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from core.clock import utcnow
from core.config import Settings
from core.errors import Conflict, NotFound
from core.tx import atomic
from directory.models import Unit
from documents.artifact import ca
from documents.artifact.models import UnitCertificate

RECORD = "unit_certificate"


@dataclass(frozen=True)
class SigningMaterial:
    """What signing a unit's PDF needs, loaded once per render."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    ca: x509.Certificate
    serial: str


def secret_of(settings: Settings) -> bytes:
    return ca.passphrase(settings.secret_key, settings.ca_passphrase)


@contextmanager
def _ca_lock(settings: Settings) -> Iterator[None]:
    folder = ca.ca_dir(settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(os.open(folder / ".lock", os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def init_ca(settings: Settings, *, name: str) -> x509.Certificate:
    """Create the deployment CA (blocking; `FileExistsError` when there is one)."""
    with _ca_lock(settings):
        return ca.init_ca(ca.ca_dir(settings.data_dir), name=name, secret=secret_of(settings),
                          now=utcnow())


def _ensure_ca(settings: Settings) -> None:
    with _ca_lock(settings):
        if not (ca.ca_dir(settings.data_dir) / "ca.crt").exists():
            ca.init_ca(ca.ca_dir(settings.data_dir), name="通办", secret=secret_of(settings),
                       now=utcnow())


async def do_issue_certificate(unit: Unit, *, actor_id: int | None,
                               settings: Settings) -> UnitCertificate:
    """A new signing certificate for the unit (it signs from now on; older ones stay valid
    until they expire or are revoked). Who may: system administrators, or the system itself
    when a unit first issues. Emits nothing."""
    if settings.ca_auto:
        await asyncio.to_thread(_ensure_ca, settings)
    issued = await asyncio.to_thread(
        ca.issue_unit, ca.ca_dir(settings.data_dir), unit_id=unit.id, unit_name=unit.name,
        secret=secret_of(settings), now=utcnow())
    relative = str(issued.key_path.relative_to(ca.ca_dir(settings.data_dir)))
    async with atomic() as work:
        record = await UnitCertificate.create(
            unit_id=unit.id, serial=issued.serial, fingerprint=issued.fingerprint,
            cert_pem=issued.cert_pem.decode(), key_path=relative, not_before=issued.not_before,
            not_after=issued.not_after, issued_at=utcnow())
        work.audit("certificate.issue", RECORD, record.id, unit_id=unit.id,
                   serial=issued.serial, by=actor_id)
    return record


async def current_certificate(unit_id: int, now: datetime) -> UnitCertificate | None:
    return await UnitCertificate.filter(
        unit_id=unit_id, revoked_at__isnull=True, not_before__lte=now, not_after__gt=now,
    ).order_by("-issued_at", "-id").first()


async def signing_material(unit: Unit, settings: Settings) -> SigningMaterial:
    """The unit's current key and certificate; a first one is issued when the CA is automatic
    (409 otherwise, saying what to run)."""
    record = await current_certificate(unit.id, utcnow())
    if record is None:
        if not settings.ca_auto:
            raise Conflict(f"Unit {unit.id} has no valid signing certificate: run "
                           f"`tongban ca issue {unit.id}`.", slug="no-unit-certificate")
        record = await do_issue_certificate(unit, actor_id=None, settings=settings)
    return await asyncio.to_thread(_load, settings, record)


def _load(settings: Settings, record: UnitCertificate) -> SigningMaterial:
    folder = ca.ca_dir(settings.data_dir)
    key = ca.load_key(folder / record.key_path, secret_of(settings))
    cert = x509.load_pem_x509_certificate(record.cert_pem.encode())
    return SigningMaterial(key, cert, ca.ca_certificate(folder), record.serial)


async def access_certificate(serial: str) -> UnitCertificate:
    record = await UnitCertificate.get_or_none(serial=serial.lower())
    if record is None:
        raise NotFound("No such certificate.")
    return record


async def do_revoke_certificate(record: UnitCertificate, *, actor_id: int | None, reason: str,
                                settings: Settings) -> UnitCertificate:
    """Revoke a unit's certificate: PDFs it signed stop verifying (the key may be out of our
    hands), and the unit's next document gets a new one. Who may: system administrators.
    Emits nothing; the revocation list is rebuilt after commit."""
    async with atomic() as work:
        changed = await UnitCertificate.filter(id=record.id, revoked_at__isnull=True).update(
            revoked_at=utcnow(), revoke_reason=reason)
        if not changed:
            raise Conflict("The certificate is already revoked.", slug="already-revoked")
        work.audit("certificate.revoke", RECORD, record.id, serial=record.serial,
                   reason=reason, by=actor_id)
    await record.refresh_from_db()
    await revocation_list(settings, rebuild=True)
    return record


async def revocation_list(settings: Settings, *, rebuild: bool = False) -> bytes:
    """The CA's CRL (PEM), rebuilt when asked or when the kept one is a day old."""
    path = ca.ca_dir(settings.data_dir) / "crl.pem"
    fresh = path.exists() and (utcnow().timestamp() - path.stat().st_mtime) < 86400
    if fresh and not rebuild:
        return await asyncio.to_thread(path.read_bytes)
    rows = await UnitCertificate.filter(revoked_at__isnull=False).values_list("serial", "revoked_at")
    return await asyncio.to_thread(
        ca.build_crl, ca.ca_dir(settings.data_dir), revoked=[(s, t) for s, t in rows],
        secret=secret_of(settings), now=utcnow())


def certificate_public(record: UnitCertificate) -> dict[str, object]:
    return {"serial": record.serial, "unit_id": record.unit_id,
            "fingerprint_sha256": record.fingerprint, "not_before": record.not_before,
            "not_after": record.not_after, "issued_at": record.issued_at,
            "revoked_at": record.revoked_at, "revoke_reason": record.revoke_reason or None,
            "certificate_pem": record.cert_pem}
