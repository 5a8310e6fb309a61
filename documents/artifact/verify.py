"""Verifying an issued PDF from the file alone: the unit's PAdES signature (intact, trusted
to the deployment's CA, not revoked, covering the whole file with no change after it), the
record it carries (number, unit, content hash recomputed) and each embedded sign-off decision.
Blocking (pyHanko): call it in a worker thread. Used by `tongban verify-pdf` and
`POST /v1/documents/verify`; the server adds whether the file is the one it issued.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from documents.artifact.manifest import (
    CONTENT_NAME, FORMAT, MANIFEST_NAME, check_decision, content_sha256,
)

Report = dict[str, Any]


def embedded_files(reader: PdfFileReader) -> dict[str, bytes]:
    """The files embedded in the document (name → bytes)."""
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return {}
    found = {}
    for i in range(0, len(names) - 1, 2):
        spec = names[i + 1].get_object()
        found[str(names[i])] = spec["/EF"]["/F"].get_object().data
    return found


def _context(roots: list[x509.Certificate], crls: list[bytes]) -> ValidationContext:
    trust = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
             for c in roots]
    ders = [x509.load_pem_x509_crl(c).public_bytes(serialization.Encoding.DER)
            if c.lstrip().startswith(b"-----") else c for c in crls]
    return ValidationContext(trust_roots=trust, crls=ders, allow_fetching=False,
                             revocation_mode="hard-fail" if crls else "soft-fail")


def _signature(status: PdfSignatureStatus, revocation_checked: bool) -> Report:
    cert = status.signing_cert
    covers = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    changed = status.modification_level is not None and status.modification_level.name != "NONE"
    return {
        "present": True, "intact": status.intact, "valid": status.valid,
        "trusted": status.trusted, "revoked": status.revoked,
        "revocation_checked": revocation_checked, "covers_whole_file": covers,
        "modified_after_signing": changed or not covers,
        "signed_at": status.signer_reported_dt.isoformat() if status.signer_reported_dt
        else None,
        "certificate": {
            "subject": cert.subject.human_friendly, "issuer": cert.issuer.human_friendly,
            "serial": format(cert.serial_number, "x"),
            "fingerprint_sha256": cert.sha256_fingerprint.replace(" ", "").lower(),
            "not_before": cert.not_valid_before.isoformat(),
            "not_after": cert.not_valid_after.isoformat(),
        },
        "unit": _unit(cert),
    }


def _unit(cert: asn1_x509.Certificate) -> Report:
    subject = cert.subject.native
    serial = str(subject.get("serial_number", ""))
    unit_id = int(serial.split(":", 1)[1]) if serial.startswith("unit:") else None
    return {"id": unit_id, "name": subject.get("common_name")}


def _problems(signature: Report) -> list[str]:
    checks = [
        (signature["intact"] and signature["valid"],
         "the signed bytes were changed: the signature does not match the file"),
        (not signature["revoked"], "the unit's certificate has been revoked"),
        (signature["trusted"] or signature["revoked"],
         "the signing certificate is not issued by a trusted CA"),
        (not signature["modified_after_signing"],
         "the file was changed after it was signed (content added or replaced)"),
    ]
    return [message for ok, message in checks if not ok]


def _record(files: dict[str, bytes]) -> tuple[Report, list[Report], list[str]]:
    """The document, its content check and its decisions, from the embedded files."""
    try:
        manifest = json.loads(files[MANIFEST_NAME])
        content = files[CONTENT_NAME]
    except (KeyError, ValueError):
        return {}, [], ["the file carries no Tongban record (tongban-issue.json)"]
    if manifest.get("format") != FORMAT:
        return {}, [], [f"unknown record format {manifest.get('format')!r}"]
    document = manifest.get("document", {})
    stated = document.get("content_sha256")
    problems = [] if content_sha256(content) == stated else [
        "the embedded content does not hash to the document's content_sha256"]
    decisions = [check_decision(d, stated) for d in manifest.get("signoff", {})
                 .get("decisions", [])]
    problems += [f"decision by {d.get('person', {}).get('name')}: {d['problem']}"
                 for d in decisions if not d["valid"]]
    if not any(d["valid"] and d["signed_issued_content"] and d["decision"] == "approve"
               for d in decisions):
        problems.append("no embedded approval signed the issued content")
    return document, decisions, problems


def verify_pdf(data: bytes, *, roots: list[x509.Certificate], crls: list[bytes]) -> Report:
    """The verification report of a PDF; `valid` only when every check passes."""
    report: Report = {"file_sha256": hashlib.sha256(data).hexdigest(), "valid": False,
                      "signature": {"present": False}, "document": None,
                      "content": None, "decisions": [], "problems": []}
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # any file a client sends: unreadable is a failed check, not a 500
        report["problems"] = [f"not a readable PDF: {exc}"]
        return report
    if not signatures:
        report["problems"] = ["the PDF carries no signature"]
        return report
    try:
        status = validate_pdf_signature(signatures[0], _context(roots, crls))
    except Exception as exc:  # a malformed signature dictionary is a failed check too
        report["problems"] = [f"the signature cannot be validated: {exc}"]
        return report
    report["signature"] = _signature(status, bool(crls))
    problems = _problems(report["signature"])
    try:
        files = embedded_files(reader)
    except Exception:  # a damaged name tree: no record to read
        files = {}
    try:
        document, decisions, record_problems = _record(files)
    except Exception:  # a forged or damaged record of the wrong shape
        document, decisions, record_problems = {}, [], ["the embedded record is malformed"]
    report |= {"document": document or None, "decisions": decisions,
               "content": {"sha256": document.get("content_sha256"),
                           "hash_matches": not any("content_sha256" in p
                                                   for p in record_problems)}
               if document else None}
    report["problems"] = problems + record_problems
    report["valid"] = not report["problems"]
    return report
