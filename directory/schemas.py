"""Request and reply shapes of the directory, login and device routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from directory.policy import Role, parse_level

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9_.\-]{2,64}$")
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


class LoginRequest(Strict):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class RefreshRequest(Strict):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserPublic


class BrowserSession(BaseModel):
    """A browser session (web console): the tokens went into httpOnly cookies; the CSRF token
    is repeated here and in the readable `tb_csrf` cookie."""

    user: UserPublic
    expires_in: int
    csrf_token: str


class DeviceCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    platform: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    public_jwk: dict[str, Any]


class PublicJwk(BaseModel):
    """A P-256 public key as a JWK (the device signs 签批 decisions with the private half)."""

    kty: Literal["EC"]
    crv: Literal["P-256"]
    x: str
    y: str


class DevicePublic(BaseModel):
    id: int
    name: str
    platform: str
    public_jwk: PublicJwk
    thumbprint: str = Field(description="RFC 7638 thumbprint of the key.")
    created_at: datetime
    revoked_at: datetime | None


class UnitCreate(Strict):
    name: Name
    parent_id: int | None = None
    level: int | str

    @field_validator("level")
    @classmethod
    def known_level(cls, value: int | str) -> int:
        level = parse_level(value)
        if level is None:
            raise ValueError("level must be 1–6 or province, city, county, township, village, grid")
        return int(level)


class UnitUpdate(Strict):
    name: Name


class UnitPublic(BaseModel):
    id: int
    name: str
    level: int
    level_name: str
    parent_id: int | None
    path: list[int]
    desk_id: int | None = None


class DeskIn(Strict):
    """The unit's document desk (its 办公室/办公厅: a unit under it at its level), or null."""

    desk_unit_id: Annotated[int, Field(ge=1, le=2_147_483_647)] | None


class Named(BaseModel):
    id: int
    name: str


class PersonBrief(BaseModel):
    id: int
    display_name: str


class LeaderPublic(BaseModel):
    person: PersonBrief
    title: str


class UnitRoutingPublic(BaseModel):
    """Who serves a unit: its desk and the clerks who work it, its leaders, and the units it
    serves as desk (see `directory.routing`)."""

    unit: UnitPublic
    desk: Named | None
    desk_clerks: list[PersonBrief]
    leaders: list[LeaderPublic]
    serves: list[Named]


class PersonCreate(Strict):
    username: Username
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    password: Password
    unit_id: int
    position: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    roles: list[Literal["unit_admin", "clerk", "leader"]] = Field(default_factory=list)


class PositionCreate(Strict):
    unit_id: int
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    roles: list[Literal["unit_admin", "clerk", "leader"]] = Field(default_factory=list)


class PositionPublic(BaseModel):
    """A post a person holds in a unit (职务), with the roles it gives there."""

    id: int
    unit_id: int
    unit_name: str
    title: str
    roles: list[Literal["unit_admin", "clerk", "leader"]]
    is_primary: bool


class PersonPublic(BaseModel):
    id: int
    username: str
    display_name: str
    positions: list[PositionPublic] = Field(default_factory=list)


class PersonPage(BaseModel):
    items: list[PersonPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


class Named(BaseModel):
    id: int
    name: str


class MePublic(PersonPublic):
    """The caller: their positions, units and groups, and this session."""

    is_admin: bool
    units: list[Named]
    groups: list[Named]
    desks: list[Named] = Field(description="The units whose document desk (文书) I work: "
                                           "my own, and those my unit serves as desk.")
    session_id: str
    device_id: int | None


class UnitTree(UnitPublic):
    """A unit with its direct children and the units above it, top first."""

    children: list[UnitPublic]
    ancestors: list[Named]


class PositionAdded(BaseModel):
    id: int
    unit_id: int
    title: str
    roles: list[Literal["unit_admin", "clerk", "leader"]]


class GroupPublic(BaseModel):
    id: int
    name: str
    owner_id: int
    member_ids: list[int]


class SessionsEnded(BaseModel):
    ended: int = Field(description="How many sessions were open and are now ended.")


class DevicePage(BaseModel):
    items: list[DevicePublic]


class GroupCreate(Strict):
    name: Name
    member_ids: Annotated[list[int], Field(min_length=1, max_length=5000)]


class ListQuery(Strict):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: str | None = None


class PeopleQuery(ListQuery):
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""


class UnitPeopleQuery(ListQuery):
    include_subunits: bool = False


class EventsQuery(Strict):
    after: Annotated[int, Field(ge=0)] = 0
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


ROLES = Role.ALL
