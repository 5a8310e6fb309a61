"""Client methods: the issued document itself (版式文件) — the signed PDF, page previews,
search in it, verification, and the issuing units' letterheads, seals and certificates."""

from __future__ import annotations

from typing import Any, cast

from tongban_client.base import ApiBase

Json = dict[str, Any]
Id = int | str


class IssuedApi(ApiBase):
    """The 正本 of issued documents. Verify a PDF without trusting the server with
    `tongban_client.pdfverify.verify_issued_pdf` (needs the `verify` extra)."""

    async def download_document_pdf(self, document_id: Id) -> bytes:
        """The signed PDF of an issued document (or of the document a delivery copies)."""
        return await self.request_bytes("GET", f"/v1/documents/{document_id}/pdf")

    async def download_document_ofd(self, document_id: Id) -> bytes:
        """The same pages as OFD (GB/T 33190), unsigned (the PDF is the signed 正本)."""
        return await self.request_bytes("GET", f"/v1/documents/{document_id}/ofd")

    async def document_artifact(self, document_id: Id) -> Json:
        """About the signed PDF: pages, SHA-256, certificate serial, missing glyphs."""
        return cast(Json, await self.request("GET", f"/v1/documents/{document_id}/artifact"))

    async def render_document(self, document_id: Id) -> Json:
        """Render, seal and sign the PDF again after issuing failed to (the unit's desk)."""
        return cast(Json, await self.request("POST", f"/v1/documents/{document_id}/render"))

    async def document_previews(self, document_id: Id, *, width: int | None = None,
                                limit: int | None = None, cursor: str | None = None) -> Json:
        """The pages as images: `{pages, items: [{page, width, height, url}], next_cursor}`."""
        params = {k: v for k, v in {"width": width, "limit": limit, "cursor": cursor}.items()
                  if v is not None}
        return cast(Json, await self.request("GET", f"/v1/documents/{document_id}/previews",
                                             params=params))

    async def document_preview(self, document_id: Id, page: int, *,
                               width: int | None = None) -> bytes:
        """One page as JPEG, watermarked with my name, unit and the time."""
        params = {"width": width} if width else None
        return await self.request_bytes(
            "GET", f"/v1/documents/{document_id}/previews/{page}", params=params)

    async def search_document_pdf(self, document_id: Id, q: str) -> Json:
        """Where `q` occurs in the PDF: `{hits: [{page, snippet, boxes}]}`; boxes are
        fractions of the page from its top left, to highlight on any preview size."""
        return cast(Json, await self.request(
            "GET", f"/v1/documents/{document_id}/pdf/search", params={"q": q}))

    async def verify_document_pdf(self, data: bytes) -> Json:
        """Ask the server to verify a PDF (it also says whether it is the file it issued)."""
        return cast(Json, await self.request(
            "POST", "/v1/documents/verify", content=data,
            headers={"Content-Type": "application/pdf"}))

    async def ca_certificate(self) -> bytes:
        """The deployment CA's certificate (PEM): obtain it once, out of band if you can."""
        return await self.request_bytes("GET", "/v1/ca/certificate")

    async def ca_crl(self) -> bytes:
        """The CA's current certificate revocation list (PEM)."""
        return await self.request_bytes("GET", "/v1/ca/crl")

    async def get_issuer(self, unit_id: Id) -> Json:
        return cast(Json, await self.request("GET", f"/v1/documents/issuers/{unit_id}"))

    async def edit_issuer(self, unit_id: Id, **changes: Any) -> Json:
        """Set `mark` (发文机关标志), `mark_suffix` (「文件」 or ""), `signature` (署名),
        `seal_diameter_mm`."""
        return cast(Json, await self.request("PATCH", f"/v1/documents/issuers/{unit_id}",
                                             json=changes))

    async def upload_seal(self, unit_id: Id, png: bytes) -> Json:
        """The unit's seal: a red PNG with a transparent background."""
        return cast(Json, await self.request(
            "PUT", f"/v1/documents/issuers/{unit_id}/seal", content=png,
            headers={"Content-Type": "image/png"}))

    async def issue_unit_certificate(self, unit_id: Id) -> Json:
        return cast(Json, await self.request(
            "POST", f"/v1/documents/issuers/{unit_id}/certificates"))

    async def unit_certificates(self, unit_id: Id) -> Json:
        return cast(Json, await self.request(
            "GET", f"/v1/documents/issuers/{unit_id}/certificates"))

    async def revoke_certificate(self, serial: str, *, reason: str = "") -> Json:
        return cast(Json, await self.request(
            "POST", f"/v1/ca/certificates/{serial}/revoke", json={"reason": reason}))
