"""Verify an issued PDF (公文正本) offline, trusting nothing but the CA certificate you hold.

    from tongban_client.pdfverify import verify_issued_pdf
    report = verify_issued_pdf(pdf_bytes, ca_pem=ca_pem, crl_pem=crl_pem)
    report["valid"], report["problems"], report["decisions"]

Checks: the issuing unit's PAdES signature (intact, chained to `ca_pem`, not revoked when a
CRL is given, covering the whole file with nothing changed after it); the record the PDF
embeds (`tongban-issue.json`), whose content JSON must hash to the document's
`content_sha256`; and every embedded sign-off decision: its device JWS (ES256) verified with
the device key embedded beside it, and what it signed. Needs pyHanko: install
`tongban-client[verify]`. Blocking; run it in a thread from async code.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

from jose import jwk, jws
from jose.exceptions import JOSEError

from tongban_client.keys import jwk_thumbprint

MANIFEST_NAME = "tongban-issue.json"
CONTENT_NAME = "tongban-content.json"
FORMAT = "tongban.issued/1"
Report = dict[str, Any]


def _der_certificate(pem: bytes) -> bytes:
    body = b"".join(line for line in pem.strip().splitlines() if not line.startswith(b"-----"))
    return base64.b64decode(body)


def _context(ca_pem: bytes, crl_pem: bytes | None) -> Any:
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

    crls = [_der_certificate(crl_pem)] if crl_pem else []
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(_der_certificate(ca_pem))], crls=crls,
        allow_fetching=False, revocation_mode="hard-fail" if crls else "soft-fail")


def _embedded(reader: Any) -> dict[str, bytes]:
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return {}
    return {str(names[i]): names[i + 1].get_object()["/EF"]["/F"].get_object().data
            for i in range(0, len(names) - 1, 2)}


def _signature_problems(status: Any) -> list[str]:
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    untouched = status.modification_level is None or status.modification_level.name == "NONE"
    checks = [(status.intact and status.valid, "the signed bytes were changed"),
              (not status.revoked, "the unit's certificate has been revoked"),
              (status.trusted or status.revoked, "the certificate is not from the trusted CA"),
              (whole and untouched, "the file was changed after it was signed")]
    return [message for ok, message in checks if not ok]


def check_decision(entry: dict[str, Any], issued_sha256: str) -> Report:
    """One decision: the JWS verifies with the embedded device key that it names, and the
    signed payload says what the entry says."""
    result = {"step": entry.get("step"), "person": entry.get("person"),
              "decision": entry.get("decision")}
    try:
        public = entry["device"]["public_jwk"]
        if jws.get_unverified_header(entry["jws"]).get("kid") != jwk_thumbprint(public):
            raise ValueError("the JWS names another key")
        payload = json.loads(jws.verify(entry["jws"], jwk.construct(public, "ES256"),
                                        algorithms=["ES256"]))
    except (JOSEError, KeyError, TypeError, ValueError) as exc:
        return {**result, "valid": False, "problem": str(exc), "signed_issued_content": False}
    stated = {"chain": entry.get("chain_id"), "step": entry.get("step_id"),
              "decision": entry.get("decision"), "comment": entry.get("comment"),
              "content_sha256": entry.get("content_sha256")}
    differ = [k for k, v in stated.items() if str(payload.get(k)) != str(v)]
    return {**result, "valid": not differ,
            "problem": f"signed differently: {', '.join(differ)}" if differ else None,
            "signed_issued_content": payload.get("content_sha256") == issued_sha256}


def _record(files: dict[str, bytes]) -> tuple[Report | None, list[Report], list[str]]:
    if MANIFEST_NAME not in files or CONTENT_NAME not in files:
        return None, [], ["the file carries no Tongban record"]
    manifest = json.loads(files[MANIFEST_NAME])
    if manifest.get("format") != FORMAT:
        return None, [], ["unknown record format"]
    document = manifest["document"]
    stated = document.get("content_sha256")
    problems = [] if hashlib.sha256(files[CONTENT_NAME]).hexdigest() == stated else [
        "the embedded content does not hash to the document's content_sha256"]
    decisions = [check_decision(d, stated) for d in manifest["signoff"]["decisions"]]
    problems += [f"decision of {d['step']}: {d['problem']}" for d in decisions
                 if not d["valid"]]
    if not any(d["valid"] and d["signed_issued_content"] and d["decision"] == "approve"
               for d in decisions):
        problems.append("no embedded approval signed the issued content")
    return document, decisions, problems


def verify_issued_pdf(data: bytes, *, ca_pem: bytes, crl_pem: bytes | None = None) -> Report:
    """The report: `valid`, `problems`, `signature`, `document`, `decisions`."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    report: Report = {"valid": False, "file_sha256": hashlib.sha256(data).hexdigest(),
                      "signature": None, "document": None, "decisions": [], "problems": []}
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
        status = validate_pdf_signature(signatures[0], _context(ca_pem, crl_pem)) \
            if signatures else None
    except Exception as exc:  # a damaged file is a failed check, reported as such
        report["problems"] = [f"not a verifiable PDF: {exc}"]
        return report
    if status is None:
        report["problems"] = ["the PDF carries no signature"]
        return report
    subject = status.signing_cert.subject.native
    report["signature"] = {"intact": status.intact, "trusted": status.trusted,
                           "revoked": status.revoked, "unit": subject.get("common_name"),
                           "serial": format(status.signing_cert.serial_number, "x")}
    try:
        document, decisions, problems = _record(_embedded(reader))
    except Exception:  # a forged or damaged record of the wrong shape
        document, decisions, problems = None, [], ["the embedded record is malformed"]
    report |= {"document": document, "decisions": decisions,
               "problems": _signature_problems(status) + problems}
    report["valid"] = not report["problems"]
    return report
