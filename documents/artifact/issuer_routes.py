"""HTTP routes of issuing units: letterhead (发文机关标志, 署名), seal, signing certificates,
and the CA's public certificate and revocation list (served to anyone, for offline checks)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute

from core.config import Settings
from core.errors import Forbidden, NotFound, UnsupportedMediaType
from core.http import Reply, parse_json, reply, route
from directory.auth import Actor, authenticate
from documents.artifact import ca
from documents.artifact.certificates import (
    access_certificate, certificate_public, do_issue_certificate, do_revoke_certificate,
    revocation_list,
)
from documents.artifact.issuers import (
    access_unit, do_remove_seal, do_save_issuer, do_set_seal, issuer_public, profile_of,
)
from documents.artifact.models import UnitCertificate
from documents.artifact.schemas import (
    CertificateList, CertificatePublic, IssuerEdit, IssuerPublic, RevokeIn, SerialPath,
)
from documents.routing import TAG, root, row_id
from files.models import StoredFile

ISSUER = "/v1/documents/issuers/{unit_id}"
PEM = "application/x-pem-file"
BINARY = {"type": "string", "format": "binary"}
PEM_TEXT = {"type": "string"}
ADMINS = {403: "Only administrators of the unit (system admins, unit admins above it)."}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def show_issuer(request: Request) -> Response:
    """The unit's 发文机关标志, 署名 and seal as issuing uses them; its administrators, desk and leaders
    may look."""
    actor = await authenticate(request)
    unit = await access_unit(actor, row_id(request, "unit_id"))
    return reply(issuer_public(unit, await profile_of(unit)))


async def edit_issuer(request: Request) -> Response:
    """Administrators of the unit set the 发文机关标志 (with 「文件」 or not), the 署名 and the seal's
    diameter; unset fields keep their value."""
    actor = await authenticate(request)
    unit = await access_unit(actor, row_id(request, "unit_id"))
    body = await parse_json(request, IssuerEdit)
    profile = await do_save_issuer(unit, actor=actor, changes=body.changes())
    return reply(issuer_public(unit, profile))


async def upload_seal(request: Request) -> Response:
    """The seal as the raw body, `Content-Type: image/png`."""
    actor = await authenticate(request)
    unit = await access_unit(actor, row_id(request, "unit_id"))
    if request.headers.get("content-type", "").split(";")[0].strip() != "image/png":
        raise UnsupportedMediaType("Send the seal as the body, Content-Type: image/png.",
                                   slug="seal-not-png")
    profile = await do_set_seal(unit, actor=actor, chunks=request.stream(), root=root(request))
    return reply(issuer_public(unit, profile))


async def show_seal(request: Request) -> Response:
    """The seal image, to the unit's administrators, desk and leaders."""
    actor = await authenticate(request)
    unit = await access_unit(actor, row_id(request, "unit_id"))
    profile = await profile_of(unit)
    if not profile.seal_file_id:
        raise NotFound("The unit has no seal.", slug="no-seal")
    stored = await StoredFile.get(id=profile.seal_file_id)
    return FileResponse(root(request) / stored.path, media_type="image/png",
                        headers={"Cache-Control": "private, no-store"})


async def remove_seal(request: Request) -> Response:
    """Administrators of the unit stop sealing: its documents are laid out unsealed (GB/T 9704
    7.3.5.2)."""
    actor = await authenticate(request)
    unit = await access_unit(actor, row_id(request, "unit_id"))
    return reply(issuer_public(unit, await do_remove_seal(unit, actor=actor)))


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only a system administrator manages signing certificates.",
                        slug="not-admin")


async def list_certificates(request: Request) -> Response:
    """The unit's signing certificates from the deployment CA, newest first (at most 50), with
    their revocation."""
    actor = await authenticate(request)
    unit = await access_unit(actor, row_id(request, "unit_id"))
    rows = await UnitCertificate.filter(unit_id=unit.id).order_by("-issued_at", "-id").limit(50)
    return reply({"items": [certificate_public(row) for row in rows]})


async def issue_certificate(request: Request) -> Response:
    """A system administrator issues the unit a new key and certificate; it signs from now on,
    older ones stay valid until revoked or expired."""
    actor = await authenticate(request)
    unit = await access_unit(actor, row_id(request, "unit_id"))
    _require_admin(actor)
    record = await do_issue_certificate(unit, actor_id=actor.id, settings=_settings(request))
    return reply(certificate_public(record), status=201)


async def revoke_certificate(request: Request) -> Response:
    """A system administrator revokes a certificate: the PDFs it signed fail verification from
    now on, and the unit's next document gets a new certificate."""
    actor = await authenticate(request)
    _require_admin(actor)
    record = await access_certificate(request.path_params["serial"])
    body = await parse_json(request, RevokeIn)
    record = await do_revoke_certificate(record, actor_id=actor.id, reason=body.reason,
                                         settings=_settings(request))
    return reply(certificate_public(record))


async def ca_certificate(request: Request) -> Response:
    """The CA certificate verifiers trust (public; no sign-in)."""
    folder = ca.ca_dir(_settings(request).data_dir)
    if not (folder / "ca.crt").exists():
        raise NotFound("This deployment has no CA yet.", slug="no-ca")
    return FileResponse(folder / "ca.crt", media_type=PEM,
                        headers={"Content-Disposition": 'attachment; filename="tongban-ca.crt"'})


async def ca_crl(request: Request) -> Response:
    """The current revocation list (public; no sign-in)."""
    if not (ca.ca_dir(_settings(request).data_dir) / "ca.crt").exists():
        raise NotFound("This deployment has no CA yet.", slug="no-ca")
    return Response(await revocation_list(_settings(request)), media_type=PEM,
                    headers={"Content-Disposition": 'attachment; filename="tongban-ca.crl"'})


routes: list[BaseRoute] = [
    route(ISSUER, show_issuer, "GET", "An issuing unit's letterhead (发文机关标志, 署名) and "
          "seal", response=IssuerPublic, tag=TAG),
    route(ISSUER, edit_issuer, "PATCH", "Set the letterhead and seal size (unit admins)",
          body=IssuerEdit, response=IssuerPublic, errors=ADMINS, tag=TAG),
    route(ISSUER + "/seal", upload_seal, "PUT", "Upload the unit's seal: PNG with "
          "transparency, red (unit admins)", response=IssuerPublic,
          content={"image/png": {"schema": BINARY}},
          errors={**ADMINS, 413: "Larger than 4 MiB.", 415: "Not a PNG (seal-not-png).",
                  422: "Not fit to seal with: size, shape, no transparency, blank, not red "
                       "(seal-size, seal-shape, seal-not-transparent, seal-blank, "
                       "seal-not-red)."}, tag=TAG),
    route(ISSUER + "/seal", show_seal, "GET", "The unit's seal image",
          response=Reply(media_type="image/png", schema=BINARY, description="The seal."),
          errors={404: "Not your unit, or it has no seal (no-seal)."}, tag=TAG),
    route(ISSUER + "/seal", remove_seal, "DELETE", "Stop sealing (documents are laid out "
          "unsealed)", response=IssuerPublic, errors=ADMINS, tag=TAG),
    route(ISSUER + "/certificates", list_certificates, "GET", "The unit's signing "
          "certificates, newest first", response=CertificateList, tag=TAG),
    route(ISSUER + "/certificates", issue_certificate, "POST", "Issue the unit a new signing "
          "certificate (system admins)", response=CertificatePublic, status=201,
          errors={403: "Only system administrators (not-admin)."}, tag=TAG),
    route("/v1/ca/certificates/{serial}/revoke", revoke_certificate, "POST", "Revoke a unit's "
          "certificate (system admins)", body=RevokeIn, params=SerialPath,
          response=CertificatePublic,
          errors={403: "Only system administrators (not-admin).",
                  404: "No certificate with this serial.",
                  409: "Already revoked (already-revoked)."}, tag=TAG),
    route("/v1/ca/certificate", ca_certificate, "GET", "The deployment CA's certificate "
          "(PEM), to verify issued PDFs offline", auth=False,
          response=Reply(media_type=PEM, schema=PEM_TEXT, description="PEM."),
          errors={404: "The deployment has no CA yet (no-ca)."}, tag=TAG),
    route("/v1/ca/crl", ca_crl, "GET", "The CA's certificate revocation list (PEM)",
          auth=False, response=Reply(media_type=PEM, schema=PEM_TEXT, description="PEM."),
          errors={404: "The deployment has no CA yet (no-ca)."}, tag=TAG),
]
