"""Tables of official documents (公文): records, versions, files, number series, deliveries,
access, circulation (传阅) and the search text."""

from __future__ import annotations

from datetime import date

from tortoise import fields
from tortoise.models import Model

from directory.models import Person, Unit


class NumberSeries(Model):
    """A numbering series of a unit: 机关代字 for outgoing numbers (黔府办发), or the unit's own
    incoming register (收文). Counters run per year in `SeriesCounter`."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="document_series", on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=16)  # outgoing | incoming
    prefix = fields.CharField(max_length=32)
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    unit_id: int

    class Meta:
        table = "doc_series"
        unique_together = (("unit", "kind", "prefix"),)


class SeriesCounter(Model):
    """The last number given in a series and year, moved only by `… SET last_number + 1`
    inside the issuing transaction, so numbers are unique and gap-free."""

    id = fields.IntField(primary_key=True)
    series: fields.ForeignKeyRelation[NumberSeries] = fields.ForeignKeyField(
        "documents.NumberSeries", related_name="counters", on_delete=fields.CASCADE
    )
    year = fields.SmallIntField()
    last_number = fields.IntField(default=0)

    series_id: int

    class Meta:
        table = "doc_series_counter"
        unique_together = (("series", "year"),)


class Document(Model):
    """A document with the GB/T 9704 elements.

    Outgoing (发文) it belongs to the drafting unit, and each unit it is delivered to gets an
    incoming (收文) record of its own, `source` pointing back. The current elements are kept
    here, and every change of them, of the body or of the attachments is also an immutable
    `DocumentVersion` whose hash `content_sha256` repeats here. The series, year and number
    are the ones this unit gave it (发文字号 outgoing, 收文编号 incoming), unique together.
    """

    id = fields.IntField(primary_key=True)
    direction = fields.CharField(max_length=16)
    doc_type = fields.CharField(max_length=16)
    title = fields.CharField(max_length=200)
    state = fields.CharField(max_length=16)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="documents", on_delete=fields.RESTRICT
    )
    issuing_unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="issued_documents", on_delete=fields.RESTRICT
    )
    drafter: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="drafted_documents", null=True,
        on_delete=fields.RESTRICT,
    )
    urgency = fields.CharField(max_length=16, default="normal")
    secrecy = fields.CharField(max_length=16, default="none")
    deadline = fields.DatetimeField(null=True)
    signer_id = fields.IntField(null=True)  # 签发人 named on the draft
    signed_by_id = fields.IntField(null=True)  # who approved the 签发 step
    signed_for_id = fields.IntField(null=True)  # whom they signed for (代签: a delegate's seat)
    signed_at = fields.DatetimeField(null=True)
    signed_sha256 = fields.CharField(max_length=64, null=True)
    main_units: list[int] = fields.JSONField(default=list)  # 主送
    cc_units: list[int] = fields.JSONField(default=list)  # 抄送
    written_on: date | None = fields.DateField(null=True)  # type: ignore[assignment]
    note = fields.TextField(default="")  # 附注
    printed_by = fields.CharField(max_length=128, default="")  # 印发机关
    printed_on: date | None = fields.DateField(null=True)  # type: ignore[assignment]
    copies = fields.IntField(null=True)  # 份数
    version = fields.IntField(default=1)
    content_sha256 = fields.CharField(max_length=64)
    chain_id = fields.IntField(null=True)
    chain_purpose = fields.CharField(max_length=16, null=True)
    series_id = fields.IntField(null=True)
    number_year = fields.SmallIntField(null=True)
    number_seq = fields.IntField(null=True)
    doc_number = fields.CharField(max_length=64, null=True)  # 发文字号
    issued_at = fields.DatetimeField(null=True)
    source: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "documents.Document", related_name="copies_delivered", null=True,
        on_delete=fields.RESTRICT,
    )
    forwards: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "documents.Document", related_name="forwarded_as", null=True,
        on_delete=fields.RESTRICT,
    )  # 转发: the received document this one forwards (its files ride along as attachments)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    archived_at = fields.DatetimeField(null=True)

    unit_id: int
    issuing_unit_id: int
    drafter_id: int | None
    source_id: int | None
    forwards_id: int | None

    class Meta:
        table = "doc_document"
        unique_together = (("series_id", "number_year", "number_seq"),)
        indexes = (("unit_id", "direction", "id"), ("chain_id",))


class DocumentVersion(Model):
    """One immutable version: the elements, the body and the attachments in order, and the hash
    over all of them. `changed` names what differs from the version before."""

    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "documents.Document", related_name="versions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    content_sha256 = fields.CharField(max_length=64)
    elements: dict[str, object] = fields.JSONField()
    body_file_id = fields.IntField(null=True)
    attachment_ids: list[int] = fields.JSONField(default=list)
    changed: list[str] = fields.JSONField(default=list)
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    document_id: int

    class Meta:
        table = "doc_version"
        unique_together = (("document", "number"),)


class DocumentFile(Model):
    """A file a document references (body, attachment, answer), for downloads through it."""

    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "documents.Document", related_name="files", on_delete=fields.CASCADE
    )
    file_id = fields.IntField(db_index=True)
    role = fields.CharField(max_length=16)  # body | attachment | answer

    document_id: int

    class Meta:
        table = "doc_file"
        unique_together = (("document", "file_id", "role"),)


class DocumentAccess(Model):
    """Someone who may read a document besides its unit's clerks, and why: drafter, signer,
    chain (核稿/会签/签发/批办), recipient, handler (承办), reader (传阅)."""

    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "documents.Document", related_name="access", on_delete=fields.CASCADE
    )
    person_id = fields.IntField()
    reason = fields.CharField(max_length=16)

    document_id: int

    class Meta:
        table = "doc_access"
        unique_together = (("document", "person_id", "reason"),)
        indexes = (("person_id", "document_id"),)


class Delivery(Model):
    """A document delivered to a unit (with its incoming record) or to a person, and what the
    receiving side did: 签收, 登记, 初审, 拟办, 批办, 承办, 办结, 答复."""

    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "documents.Document", related_name="deliveries", on_delete=fields.CASCADE
    )
    unit_id = fields.IntField(null=True)
    person_id = fields.IntField(null=True)
    incoming: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "documents.Document", related_name="delivery", null=True, unique=True,
        on_delete=fields.CASCADE,
    )
    delivered_at = fields.DatetimeField()
    delivered_by_id = fields.IntField()
    received_at = fields.DatetimeField(null=True)
    received_by_id = fields.IntField(null=True)
    registered_at = fields.DatetimeField(null=True)
    incoming_number = fields.CharField(max_length=64, null=True)  # 收文编号
    reviewed_at = fields.DatetimeField(null=True)
    return_reason = fields.TextField(null=True)  # 初审退回
    proposal = fields.TextField(null=True)  # 拟办意见
    proposed_by_id = fields.IntField(null=True)
    instruction = fields.TextField(null=True)  # 批办意见
    instructed_by_id = fields.IntField(null=True)
    instructed_for_id = fields.IntField(null=True)  # whom they instructed for (代批)
    instructed_at = fields.DatetimeField(null=True)
    handling: dict[str, object] | None = fields.JSONField(null=True)  # 承办: lead, assisting
    handling_due = fields.DatetimeField(null=True)
    task_id = fields.IntField(null=True)  # the supervision task (督办) opened for it
    result = fields.TextField(null=True)  # 办结
    completed_at = fields.DatetimeField(null=True)
    completed_by_id = fields.IntField(null=True)
    answer = fields.TextField(null=True)  # 答复
    answer_file_ids: list[int] = fields.JSONField(default=list)
    answered_at = fields.DatetimeField(null=True)
    answered_by_id = fields.IntField(null=True)

    document_id: int
    incoming_id: int | None

    class Meta:
        table = "doc_delivery"
        unique_together = (("document", "unit_id"), ("document", "person_id"))


class Circulation(Model):
    """传阅: a document sent round readers, all at once or one after another, due by a time."""

    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "documents.Document", related_name="circulations", on_delete=fields.CASCADE
    )
    created_by_id = fields.IntField()
    mode = fields.CharField(max_length=16)  # parallel | sequential
    note = fields.TextField(default="")
    due_at = fields.DatetimeField(null=True)
    state = fields.CharField(max_length=16, default="open")  # open | finished
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)

    document_id: int

    class Meta:
        table = "doc_circulation"
        indexes = (("document_id", "id"),)


class CirculationReader(Model):
    """One reader of a circulation: waiting (not yet their turn), pending, or read with 阅示."""

    id = fields.IntField(primary_key=True)
    circulation: fields.ForeignKeyRelation[Circulation] = fields.ForeignKeyField(
        "documents.Circulation", related_name="readers", on_delete=fields.CASCADE
    )
    person_id = fields.IntField()
    position = fields.SmallIntField()
    state = fields.CharField(max_length=16)  # waiting | pending | read
    opened_at = fields.DatetimeField(null=True)
    read_at = fields.DatetimeField(null=True)
    comment = fields.TextField(default="")

    circulation_id: int

    class Meta:
        table = "doc_circulation_reader"
        unique_together = (("circulation", "person_id"),)
        indexes = (("person_id", "state"),)


class DocumentText(Model):
    """What search looks in: title, numbers and the text extracted from the files. The row's
    id is the document's, the FTS5 / pg_trgm indexes are made in migration 0002."""

    id = fields.IntField(primary_key=True)
    unit_id = fields.IntField()
    title = fields.TextField(default="")
    number = fields.TextField(default="")
    body = fields.TextField(default="")

    class Meta:
        table = "doc_text"



# The issued artifact's tables live with their code; listed here so they belong to this app.
from documents.artifact.models import Artifact, IssuerProfile, UnitCertificate  # noqa: E402, F401
