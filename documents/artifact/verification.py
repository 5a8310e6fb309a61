"""Verification as the server offers it: the offline checks of `verify` against this
deployment's CA and current revocation list, and whether the file is the PDF this server
issued for that document (its SHA-256) with the content of the issued version."""

from __future__ import annotations

import asyncio
from typing import Any

from core.config import Settings
from documents.artifact import ca
from documents.artifact.certificates import revocation_list
from documents.artifact.models import Artifact
from documents.models import Document


async def anchors(settings: Settings) -> tuple[list[Any], list[bytes]]:
    """The CA certificate and CRL to trust (none before the CA exists)."""
    try:
        root = await asyncio.to_thread(ca.ca_certificate, ca.ca_dir(settings.data_dir))
    except ca.CaMissing:
        return [], []
    return [root], [await revocation_list(settings)]


async def verify_upload(data: bytes, *, settings: Settings) -> dict[str, Any]:
    from documents.artifact.verify import verify_pdf  # pyHanko: loaded on first use

    roots, crls = await anchors(settings)
    report = await asyncio.to_thread(verify_pdf, data, roots=roots, crls=crls)
    report["issued_record"] = await _issued_record(report)
    if report["issued_record"] and not report["issued_record"]["file_matches"]:
        report["problems"].append("this is not the file this server issued for the document")
        report["valid"] = False
    return report


async def _issued_record(report: dict[str, Any]) -> dict[str, Any] | None:
    """Compare with what this server issued; reveals nothing the file does not carry."""
    stated = report.get("document") or {}
    if not isinstance(stated.get("id"), int):
        return None
    document = await Document.get_or_none(id=stated["id"])
    artifact = await Artifact.get_or_none(document_id=stated["id"])
    if document is None or artifact is None or document.doc_number != stated.get("number"):
        return {"found": False, "file_matches": False, "content_matches": False}
    return {"found": True, "file_matches": artifact.sha256 == report["file_sha256"],
            "content_matches": artifact.content_sha256 == stated.get("content_sha256")}
