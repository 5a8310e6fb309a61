"""Tables of the issued artifact: each issuing unit's letterhead and seal, the units'
certificates from the deployment CA, and the signed PDF of each issued document."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IssuerProfile(Model):
    """How a unit appears on what it issues: its 发文机关标志 (the red name, with 「文件」 or
    not), its 发文机关署名 and its seal (a PNG with transparency, `seal_mm` across)."""

    id = fields.IntField(primary_key=True)
    unit_id = fields.IntField(unique=True)
    mark = fields.CharField(max_length=64, default="")  # empty: the unit's name
    mark_suffix = fields.CharField(max_length=8, default="文件")
    signature = fields.CharField(max_length=64, default="")  # empty: the unit's name
    seal_file_id = fields.IntField(null=True)
    seal_sha256 = fields.CharField(max_length=64, null=True)
    seal_mm = fields.FloatField(default=42.0)
    updated_by_id = fields.IntField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "doc_issuer"


class UnitCertificate(Model):
    """A signing certificate the deployment CA issued to a unit, the newest unrevoked one
    signing. Its key is a file under the CA folder (`key_path`, relative to it)."""

    id = fields.IntField(primary_key=True)
    unit_id = fields.IntField(db_index=True)
    serial = fields.CharField(max_length=64, unique=True)
    fingerprint = fields.CharField(max_length=64)
    cert_pem = fields.TextField()
    key_path = fields.CharField(max_length=255)
    not_before = fields.DatetimeField()
    not_after = fields.DatetimeField()
    issued_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "doc_unit_cert"


class Artifact(Model):
    """The signed PDF of an issued document (正本): which version it renders, its file (and
    the OFD export's), and what rendering found (characters no font had, the faces used)."""

    id = fields.IntField(primary_key=True)
    document_id = fields.IntField(unique=True)
    file_id = fields.IntField()
    ofd_file_id = fields.IntField(null=True)  # the same pages as OFD (GB/T 33190), unsigned
    sha256 = fields.CharField(max_length=64)
    size = fields.IntField()
    pages = fields.SmallIntField()
    version = fields.IntField()
    content_sha256 = fields.CharField(max_length=64)
    certificate_serial = fields.CharField(max_length=64)
    missing: list[str] = fields.JSONField(default=list)
    fonts: list[str] = fields.JSONField(default=list)
    render_ms = fields.IntField()
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "doc_artifact"
