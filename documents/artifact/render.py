"""From a gathered record to the signed PDF: the manuscript is composed into pages, written
with its fonts, seals and embedded record, and signed by the unit. All of it is CPU work
outside any transaction, run in a worker thread; at most two renders run at once so issuing
never starves the event loop's other work.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from approvals.models import Chain, Decision, Step
from core.jsonutil import canonical
from directory.models import Device, Person
from documents.artifact.certificates import SigningMaterial
from documents.artifact.fonts import FontSet, Role
from documents.artifact.manifest import CONTENT_NAME, FORMAT, MANIFEST_NAME, encode
from documents.artifact.sources import Record, Texts, manuscript
from documents.artifact.typeset import Measure
from documents.models import Document
from documents.policy import TYPE_LABELS, DocType
from documents.versions import content_document

RENDERS = asyncio.Semaphore(2)


@dataclass
class Rendered:
    data: bytes
    ofd: bytes
    pages: int
    missing: list[str]
    fonts: list[str]
    millis: int


def measure_with(fonts: FontSet) -> Measure:
    """The layout's `Measure` over a font set: advances in ems, 1 em for a missing char."""

    def measure(role: Role, char: str) -> float:
        face = fonts.face_for(role, char)
        return face.advance(char) if face is not None else 1.0

    return measure


def content_bytes(record: Record) -> bytes:
    """The canonical content whose SHA-256 is the version's `content_sha256`."""
    content = record.content
    return canonical(content_document(content.elements, content.body,
                                      content.attachments)).encode()


async def decisions_of(document: Document) -> list[dict[str, Any]]:
    """The device-signed decisions on the document's chains, oldest first (taken-back ones
    left out), with what offline re-checking needs: step, signer, device key, JWS."""
    chains = await Chain.filter(subject_type="document", subject_id=str(document.id)) \
        .values_list("id", flat=True)
    rows = await Decision.filter(chain_id__in=list(chains), retracted_at__isnull=True) \
        .order_by("decided_at", "id")
    steps = dict(await Step.filter(id__in={r.step_id for r in rows}).values_list("id", "label"))
    people = dict(await Person.filter(id__in={r.person_id for r in rows})
                  .values_list("id", "display_name"))
    devices = {d.id: d for d in await Device.filter(id__in={r.device_id for r in rows})}
    return [_entry(r, steps, people, devices) for r in rows]


def _entry(row: Decision, steps: dict[Any, Any], people: dict[Any, Any],
           devices: dict[int, Device]) -> dict[str, Any]:
    device = devices[row.device_id]
    return {
        "id": row.id, "chain_id": row.chain_id, "step_id": row.step_id,
        "step": steps.get(row.step_id), "round": row.round,
        "person": {"id": row.person_id, "name": people.get(row.person_id)},
        "decision": row.verdict, "comment": row.comment,
        "content_sha256": row.content_sha256, "signed_at": row.signed_at.isoformat(),
        "device": {"id": device.id, "thumbprint": device.thumbprint,
                   "public_jwk": device.public_jwk},
        "jws": row.signature,
    }


def manifest(record: Record, decisions: list[dict[str, Any]],
             material: SigningMaterial) -> dict[str, Any]:
    document, unit = record.document, record.unit
    return {
        "format": FORMAT,
        "document": {
            "id": document.id, "number": document.doc_number, "title": document.title,
            "doc_type": document.doc_type,
            "doc_type_label": TYPE_LABELS.get(DocType(document.doc_type)),
            "issuing_unit": {"id": unit.id, "name": unit.name},
            "issued_at": document.issued_at.isoformat() if document.issued_at else None,
            "version": document.version, "content_sha256": document.content_sha256,
        },
        "signoff": {"decisions": decisions},
        "unit_certificate": {"serial": material.serial},
    }


@dataclass
class Job:
    """Everything a render needs, gathered before it starts."""

    record: Record
    texts: Texts
    fonts_dir: Path
    seal: bytes | None
    decisions: list[dict[str, Any]]
    material: SigningMaterial
    when: datetime
    glyph_cache: Path | None = None  # keeps extracted glyphs across restarts


def run(job: Job) -> Rendered:
    """Compose, write and sign (blocking). fontTools, pyHanko and the writer are imported
    here, on the first render, so the server starts without them."""
    from documents.artifact.compose import compose
    from documents.artifact.fonts import load_fonts
    from documents.artifact.ofd import write_ofd
    from documents.artifact.pdf import Embedded, Info, write_pdf
    from documents.artifact.sign import sign_pdf

    started = time.perf_counter()
    fonts = load_fonts(job.fonts_dir)
    if job.glyph_cache is not None:
        fonts.keep_glyphs_in(job.glyph_cache)
    text = manuscript(job.record, job.texts)
    pages = compose(text, measure_with(fonts))
    document, unit = job.record.document, job.record.unit
    files = [Embedded(MANIFEST_NAME, encode(manifest(job.record, job.decisions, job.material)),
                      "application/json", "通办 record: document and sign-off chain"),
             Embedded(CONTENT_NAME, content_bytes(job.record), "application/json",
                      "通办 content whose SHA-256 the sign-off signed")]
    info = Info(title=document.title, author=unit.name, subject=document.doc_number or "",
                keywords=f"{document.doc_number} 公文", created=job.when)
    seals = [job.seal] if job.seal else []
    written = write_pdf(pages, fonts=fonts, seals=seals, info=info, files=files)
    ofd = write_ofd(pages, fonts=fonts, seals=seals, info=info)
    fonts.flush()
    signed = sign_pdf(written.data, key=job.material.key, cert=job.material.cert,
                      ca=job.material.ca, signer_name=unit.name,
                      reason=f"发文 {document.doc_number}", location=unit.name)
    millis = round((time.perf_counter() - started) * 1000)
    return Rendered(signed, ofd, written.pages, written.missing, written.fonts, millis)


async def render(job: Job) -> Rendered:
    async with RENDERS:
        return await asyncio.to_thread(run, job)
