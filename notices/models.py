"""Notices and meetings (通知公告 / 会议通知): the notice, its recipients, its corrections and files."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from directory.models import Person, Unit


class Notice(Model):
    """A notice or a meeting call, sent once to an audience resolved to people at sending time.

    Meeting columns are empty for plain notices. `state` moves publishing → published →
    withdrawn or cancelled (or publishing → failed when a send is abandoned half-way).
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    urgency = fields.CharField(max_length=16, default="normal")
    state = fields.CharField(max_length=16, default="publishing", db_index=True)
    publisher: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="published_notices", on_delete=fields.RESTRICT
    )
    audience: dict[str, object] = fields.JSONField()
    idempotency_key = fields.CharField(max_length=128, null=True)
    requires_confirmation = fields.BooleanField(default=False)
    confirm_deadline = fields.DatetimeField(null=True)
    rsvp_deadline = fields.DatetimeField(null=True)
    remind_before_minutes = fields.IntField(default=30)
    revision = fields.IntField(default=1)
    recipient_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    published_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)  # withdrawn, cancelled or failed
    end_reason = fields.TextField(null=True)
    last_reminded_at = fields.DatetimeField(null=True)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    location = fields.CharField(max_length=200, null=True)
    online_url = fields.CharField(max_length=500, null=True)
    agenda: list[str] = fields.JSONField(default=list)
    checkin_secret = fields.CharField(max_length=64, null=True)
    checkin_opens_minutes = fields.IntField(default=30)
    late_after_minutes = fields.IntField(default=0)

    publisher_id: int

    class Meta:
        table = "notice"
        unique_together = (("publisher", "idempotency_key"),)


class NoticeRecipient(Model):
    """One person addressed by a notice, with the unit they were in when it was sent (送达回执)."""

    id = fields.BigIntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "notices.Notice", related_name="recipients", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="notice_receipts", on_delete=fields.RESTRICT
    )
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="notice_receipts", null=True, on_delete=fields.RESTRICT
    )  # the unit they were in when it was sent, kept when they move
    delivered_at = fields.DatetimeField(null=True)
    read_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    rsvp = fields.CharField(max_length=16, null=True)  # attend / decline / substitute
    rsvp_reason = fields.TextField(null=True)
    rsvp_at = fields.DatetimeField(null=True)
    reconfirm = fields.BooleanField(default=False)  # asked to answer again after a change
    substitute_id = fields.IntField(null=True)  # the person sent in this one's place
    substitute_for_id = fields.BigIntField(null=True)  # the recipient row this one replaces
    checked_in_at = fields.DatetimeField(null=True)
    late = fields.BooleanField(default=False)

    notice_id: int
    person_id: int
    unit_id: int | None

    class Meta:
        table = "notice_recipient"
        unique_together = (("notice", "person"),)
        # The second index covers every status column, so the per-unit statistics of a
        # notice are read from the index alone.
        indexes = (
            ("person_id", "notice_id"),
            ("notice_id", "unit_id", "read_at", "confirmed_at", "rsvp", "reconfirm",
             "checked_in_at", "late", "substitute_for_id"),
        )


class NoticeRevision(Model):
    """A correction (更正) or a change of a meeting's time or place: what changed, and why."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "notices.Notice", related_name="revisions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    changed: list[str] = fields.JSONField()
    before: dict[str, object] = fields.JSONField()
    after: dict[str, object] = fields.JSONField()
    note = fields.TextField()
    reconfirm = fields.BooleanField(default=False)
    author_id = fields.IntField()
    at = fields.DatetimeField()

    notice_id: int

    class Meta:
        table = "notice_revision"
        unique_together = (("notice", "number"),)


class NoticeFile(Model):
    """An attachment or meeting material (材料), by the id of an uploaded file."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "notices.Notice", related_name="files", on_delete=fields.CASCADE
    )
    file_id = fields.IntField(db_index=True)
    name = fields.CharField(max_length=255, default="")
    position = fields.IntField(default=0)

    notice_id: int

    class Meta:
        table = "notice_file"
        unique_together = (("notice", "file_id"),)



class NoticeUnitReply(Model):
    """A unit's 回执 to a meeting call addressed to it: who attends for the unit, filled in by
    its contact (the desk's clerk, a leader or admin: `directory.routing` R9), replaced whole
    by each new reply until answers close."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "notices.Notice", related_name="unit_replies", on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="notice_replies", on_delete=fields.RESTRICT
    )
    attendees: list[int] = fields.JSONField(default=list)
    note = fields.TextField(default="")
    answered_by_id = fields.IntField()
    answered_at = fields.DatetimeField()

    notice_id: int
    unit_id: int

    class Meta:
        table = "notice_unit_reply"
        unique_together = (("notice", "unit"),)
