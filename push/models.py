"""Push tables: a device's push channel, a person's push settings, the outbox of notifications,
the follower's durable cursor over the event feed, and the SMS escalations (消息必达) made."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class PushChannel(Model):
    """The one push channel of a device: provider, token and app id, and what the server knows
    of the app's state. `session_id` is the login it was attached under: logging out detaches it.
    `foreground_until` is set while a live websocket of that session said `foreground` (renewed
    by the process that holds the socket, so a process that dies lets it lapse)."""

    id = fields.IntField(primary_key=True)
    device_id = fields.IntField(unique=True)
    person_id = fields.IntField(db_index=True)
    session_id = fields.CharField(max_length=32, db_index=True)
    provider = fields.CharField(max_length=16)
    token = fields.CharField(max_length=512)
    app_id = fields.CharField(max_length=128)
    state = fields.CharField(max_length=16, default="active")  # active | disabled
    disabled_reason = fields.CharField(max_length=200, null=True)
    foreground_until = fields.DatetimeField(null=True)
    attached_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "push_channel"


class PushSettings(Model):
    """A person's own push choices: whether 特急/加急 ring through quiet hours (免打扰时段, kept
    by messaging at `/v1/me/quiet-hours`), and the mobile number SMS escalation uses."""

    person_id = fields.IntField(primary_key=True, generated=False)
    urgent_during_quiet = fields.BooleanField(default=True)
    sms_phone = fields.CharField(max_length=32, null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "push_settings"


class PushNotification(Model):
    """One notification for one channel (the outbox row). Written by the follower in the same
    transaction that advances its cursor; claimed by senders with `claimed_until` (a lease)."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.BigIntField(null=True)  # None for a test push (`tongban push test`)
    channel_id = fields.IntField()
    person_id = fields.IntField()
    provider = fields.CharField(max_length=16)
    kind = fields.CharField(max_length=48)  # the rule's kind, e.g. `approval.pending`
    line = fields.CharField(max_length=64)
    collapse_id = fields.CharField(max_length=64)
    data = fields.TextField()  # JSON: record ids only
    title = fields.CharField(max_length=200, default="")  # only with previews allowed
    body = fields.CharField(max_length=500, default="")
    urgent = fields.BooleanField(default=False)
    withdraw = fields.BooleanField(default=False)
    state = fields.CharField(max_length=16, default="pending")  # pending|sent|failed|invalid|dropped
    attempts = fields.IntField(default=0)
    reason = fields.CharField(max_length=300, null=True)
    due_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_notification"
        unique_together = (("event_id", "channel_id"),)
        indexes = (("state", "due_at"), ("collapse_id", "channel_id"))


class PushCursor(Model):
    """How far the follower has turned feed events into notifications, and who holds its lease."""

    name = fields.CharField(max_length=32, primary_key=True)
    position = fields.BigIntField(default=0)
    lease_owner = fields.CharField(max_length=32, null=True)
    lease_until = fields.DatetimeField(null=True)

    class Meta:
        table = "push_cursor"


class PushEscalation(Model):
    """An SMS sent (or refused by a limit) for a 特急 record left unconfirmed: at most one per
    person and record."""

    id = fields.IntField(primary_key=True)
    record = fields.CharField(max_length=64)  # `notice:12`, `document:7`
    person_id = fields.IntField()
    sender_id = fields.IntField(null=True)
    outcome = fields.CharField(max_length=16)  # scheduled | sent | confirmed | limited | no_phone | failed
    reason = fields.CharField(max_length=300, null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "push_escalation"
        unique_together = (("record", "person_id"),)
        indexes = (("person_id", "at"), ("sender_id", "at"))
