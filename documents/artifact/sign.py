"""The PDF signature: PAdES baseline (B-B), by the issuing unit's certificate, as a
certification signature that allows no change afterwards (DocMDP level 1), so an appended
page or an edited object fails verification even when the bytes signed are left intact.
Blocking (pyHanko runs its own event loop): call it in a worker thread."""

from __future__ import annotations

import io

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore

FIELD = "TongbanIssue"


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign_pdf(data: bytes, *, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate,
             ca: x509.Certificate, signer_name: str, reason: str, location: str) -> bytes:
    """`data` with the unit's signature appended as an incremental update."""
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signer = signers.SimpleSigner(
        signing_cert=asn1_certificate(cert), signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(ca)]))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        certify=True, docmdp_permissions=MDPPerm.NO_CHANGES, name=signer_name,
        reason=reason, location=location)
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue()
