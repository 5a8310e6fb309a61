"""Tables of sign-off chains (签批): chains, steps, assignments, signed decisions and
out-of-office periods."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from directory.models import Device, Person


class Chain(Model):
    """A sign-off chain about one subject (`subject_type`, `subject_id`) at one content hash.

    `version` is bumped by every move (see `approvals.engine`). `watchers` are the people
    copied on it (抄送), fixed when it starts.
    """

    id = fields.IntField(primary_key=True)
    subject_type = fields.CharField(max_length=32)
    subject_id = fields.CharField(max_length=64)
    title = fields.CharField(max_length=200)
    initiator: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="started_chains", on_delete=fields.RESTRICT
    )
    content_sha256 = fields.CharField(max_length=64)
    watchers: list[int] = fields.JSONField(default=list)
    state = fields.CharField(max_length=16, default="running")
    urgency = fields.SmallIntField(default=0)  # 0 平件 normal, 1 急件 urgent, 2 特急 critical
    due_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=0)
    reminded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    initiator_id: int

    class Meta:
        table = "appr_chain"
        indexes = (("subject_type", "subject_id"), ("initiator_id", "id"))


class Step(Model):
    """One step (核稿, 会签, 签发 …): its mode, its planned assignees and where it stands."""

    id = fields.IntField(primary_key=True)
    chain: fields.ForeignKeyRelation[Chain] = fields.ForeignKeyField(
        "approvals.Chain", related_name="steps", on_delete=fields.CASCADE
    )
    position = fields.SmallIntField()
    label = fields.CharField(max_length=32)
    mode = fields.CharField(max_length=8)
    quorum_count = fields.SmallIntField(null=True)
    quorum_share = fields.FloatField(null=True)
    assignees: dict[str, list[object]] = fields.JSONField()
    state = fields.CharField(max_length=16, default="waiting")
    round = fields.SmallIntField(default=0)
    added_by_id = fields.IntField(null=True)  # 加签: who inserted it
    opened_at = fields.DatetimeField(null=True)

    chain_id: int

    class Meta:
        table = "appr_step"
        indexes = (("chain_id", "position"),)


class Assignment(Model):
    """A person's seat on a step in one round, `on_behalf_of` someone when it came by delegation.

    `urgency` and `sort_due` copy the chain's, so the inbox is one indexed, keyset-paged scan.
    """

    id = fields.IntField(primary_key=True)
    chain: fields.ForeignKeyRelation[Chain] = fields.ForeignKeyField(
        "approvals.Chain", related_name="assignments", on_delete=fields.CASCADE
    )
    step: fields.ForeignKeyRelation[Step] = fields.ForeignKeyField(
        "approvals.Step", related_name="assignments", on_delete=fields.CASCADE
    )
    round = fields.SmallIntField()
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="assignments", on_delete=fields.RESTRICT
    )
    on_behalf_of: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="delegated_assignments", null=True,
        on_delete=fields.RESTRICT,
    )
    via = fields.CharField(max_length=16, default="assigned")
    state = fields.CharField(max_length=16, default="pending")
    urgency = fields.SmallIntField(default=0)
    sort_due = fields.DatetimeField()
    opened_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    chain_id: int
    step_id: int
    person_id: int
    on_behalf_of_id: int | None

    class Meta:
        table = "appr_assignment"
        indexes = (("person_id", "state", "urgency", "sort_due"), ("chain_id", "round"))


class Decision(Model):
    """A signed decision: the compact JWS as received, the device that made it, and the fields
    it signed, so anyone can check it again later (`verify`)."""

    id = fields.IntField(primary_key=True)
    chain: fields.ForeignKeyRelation[Chain] = fields.ForeignKeyField(
        "approvals.Chain", related_name="decisions", on_delete=fields.CASCADE
    )
    step: fields.ForeignKeyRelation[Step] = fields.ForeignKeyField(
        "approvals.Step", related_name="decisions", on_delete=fields.CASCADE
    )
    assignment: fields.ForeignKeyRelation[Assignment] = fields.ForeignKeyField(
        "approvals.Assignment", related_name="decisions", on_delete=fields.CASCADE
    )
    round = fields.SmallIntField()
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="decisions", on_delete=fields.RESTRICT
    )
    on_behalf_of_id = fields.IntField(null=True)
    verdict = fields.CharField(max_length=8)
    comment = fields.TextField()
    content_sha256 = fields.CharField(max_length=64)
    signed_at = fields.DatetimeField()
    nonce = fields.CharField(max_length=128, unique=True)
    device: fields.ForeignKeyRelation[Device] = fields.ForeignKeyField(
        "directory.Device", related_name="decisions", on_delete=fields.RESTRICT
    )
    signature = fields.TextField()
    return_to_step_id = fields.IntField(null=True)
    decided_at = fields.DatetimeField()
    retracted_at = fields.DatetimeField(null=True)  # 拿回: taken back by its signer

    chain_id: int
    step_id: int
    assignment_id: int
    person_id: int
    device_id: int

    class Meta:
        table = "appr_decision"
        indexes = (("chain_id", "id"), ("person_id", "id"))


class OutOfOffice(Model):
    """A period in which steps that open for `person` go to `delegate` (外出委托)."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="absences", on_delete=fields.CASCADE
    )
    delegate: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="covering", on_delete=fields.RESTRICT
    )
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)

    person_id: int
    delegate_id: int

    class Meta:
        table = "appr_out_of_office"
        indexes = (("person_id", "ends_at"),)

