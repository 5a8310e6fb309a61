"""Directory tables: the unit tree, people and their positions, groups, sessions and devices."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Unit(Model):
    """An org unit. `path` is the materialised path (`/1/5/9/`), so a subtree is one prefix scan.

    `desk` is the unit whose clerks work this unit's document desk (a government's 办公室/办公厅,
    see `directory.routing`); None when the unit's own clerks do.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128)
    level = fields.SmallIntField()  # 1 province … 6 grid (see directory.policy.LEVELS)
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    path = fields.CharField(max_length=255, db_index=True, default="")
    depth = fields.SmallIntField(default=1)
    desk: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="served_units", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    parent_id: int | None
    desk_id: int | None

    class Meta:
        table = "dir_unit"


class Person(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64, db_index=True)
    password_hash = fields.CharField(max_length=255)
    is_admin = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "dir_person"


class Position(Model):
    """A post a person holds in a unit, whose `roles` grant powers there (`unit_admin`, `clerk`, `leader`)."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="positions", on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "directory.Unit", related_name="positions", on_delete=fields.RESTRICT
    )
    title = fields.CharField(max_length=64, default="")
    roles: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    is_primary = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    person_id: int
    unit_id: int

    class Meta:
        table = "dir_position"
        unique_together = (("person", "unit", "title"),)


class Group(Model):
    """A named set of people (e.g. 防汛工作专班), usable as an audience."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128)
    owner: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="owned_groups", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    owner_id: int

    class Meta:
        table = "dir_group"


class GroupMember(Model):
    id = fields.IntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "directory.Group", related_name="members", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="memberships", on_delete=fields.CASCADE
    )

    group_id: int
    person_id: int

    class Meta:
        table = "dir_group_member"
        unique_together = (("group", "person"),)


class Device(Model):
    """A phone's registered signing key (P-256 public JWK), kept after revocation for verification."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="devices", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=64)
    platform = fields.CharField(max_length=32)
    public_jwk: dict[str, str] = fields.JSONField()  # type: ignore[assignment]
    thumbprint = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    person_id: int

    class Meta:
        table = "dir_device"


class Session(Model):
    """A login. Refresh tokens rotate within it, and revoking it ends its access tokens and sockets."""

    id = fields.CharField(max_length=32, primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="sessions", on_delete=fields.CASCADE
    )
    device: fields.ForeignKeyNullableRelation[Device] = fields.ForeignKeyField(
        "directory.Device", related_name="sessions", null=True, on_delete=fields.SET_NULL
    )
    address = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=32, null=True)

    person_id: int
    device_id: int | None

    class Meta:
        table = "dir_session"


class RefreshToken(Model):
    """One link of a session's refresh chain, stored only as a SHA-256 digest."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "directory.Session", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    digest = fields.CharField(max_length=64, unique=True)
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    session_id: str

    class Meta:
        table = "dir_refresh_token"
