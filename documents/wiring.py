"""What this package contributes at start-up: the document subject handler for the approval
engine, the file reference that lets readers of a document download its files, and the
circulation due-time job."""

from __future__ import annotations

from approvals.handlers import register_subject
from core.scheduler import register_job
from documents.artifact.queries import may_download_issued
from documents.attachments import may_download
from documents.circulating import CIRCULATION_DUE, circulation_due
from documents.subject import DocumentSubject
from files.access import register_reference

SUBJECT = DocumentSubject()


def wire() -> None:
    """Register this package's subject handler, file references and jobs (idempotent)."""
    register_subject("document", SUBJECT)
    register_reference(may_download)
    register_reference(may_download_issued)
    register_job(CIRCULATION_DUE, circulation_due)
