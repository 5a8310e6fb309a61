"""Request and reply shapes of the artifact routes: issuers, certificates, the PDF, previews,
search and verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from documents.artifact.seal import MAX_MM, MIN_MM

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssuerEdit(Strict):
    """发文机关标志 (`mark`, shown with `mark_suffix` 「文件」 or without), 发文机关署名, and the
    seal's diameter in millimetres."""

    mark: Name | None = None
    mark_suffix: Literal["文件", ""] | None = None
    signature: Name | None = None
    seal_diameter_mm: Annotated[float, Field(ge=MIN_MM, le=MAX_MM)] | None = None

    def changes(self) -> dict[str, Any]:
        given = self.model_dump(exclude_unset=True, exclude_none=True)
        if "seal_diameter_mm" in given:
            given["seal_mm"] = given.pop("seal_diameter_mm")
        return given


class SealPublic(BaseModel):
    sha256: str | None
    diameter_mm: float


class IssuerPublic(BaseModel):
    unit_id: int
    unit_name: str
    mark: str
    mark_suffix: str
    signature: str
    seal: SealPublic | None
    seal_diameter_mm: float
    updated_at: datetime


class SerialPath(Strict):
    serial: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{1,64}$")]


class RevokeIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class CertificatePublic(BaseModel):
    serial: str
    unit_id: int
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    issued_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None
    certificate_pem: str


class CertificateList(BaseModel):
    items: list[CertificatePublic]


class ArtifactPublic(BaseModel):
    """The signed PDF (正本) of an issued document."""

    file_id: int
    sha256: str
    size: int
    pages: int
    version: int
    content_sha256: str
    certificate_serial: str
    missing_glyphs: list[str]
    rendered_at: datetime
    pdf_url: str
    ofd_file_id: int | None
    ofd_url: str | None
    previews_url: str


class PreviewQuery(Strict):
    width: Annotated[int, Field(ge=100, le=4000)] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Annotated[str, StringConstraints(max_length=64)] | None = None


class ImageQuery(Strict):
    width: Annotated[int, Field(ge=100, le=4000)] | None = None


class PreviewPage(BaseModel):
    page: int
    width: int
    height: int
    url: str


class PreviewList(BaseModel):
    document_id: int
    pages: int
    sha256: str
    items: list[PreviewPage]
    next_cursor: str | None


class SearchQuery(Strict):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class SearchHit(BaseModel):
    page: int
    snippet: str
    boxes: list[list[float]]


class SearchReply(BaseModel):
    document_id: int
    q: str
    hits: list[SearchHit]


class VerifyReport(BaseModel):
    """What `POST /v1/documents/verify` found; `valid` only when every check passed."""

    model_config = ConfigDict(extra="allow")

    valid: bool
    file_sha256: str
    signature: dict[str, Any]
    document: dict[str, Any] | None
    content: dict[str, Any] | None
    decisions: list[dict[str, Any]]
    problems: list[str]
    issued_record: dict[str, Any] | None = None
