"""The payloads of the directory's events (emitted in `directory.actions` and
`directory.login`), described for the OpenAPI document.

| kind | to | when |
|---|---|---|
| `org.unit.changed` | the unit | created, renamed, a child or person added (`change`) |
| `org.membership.changed` | the person | a position in a unit or a group began or ended |
| `org.group.changed` | the group | a group was made |
| `device.added` / `device.revoked` | the owner | a signing key registered or revoked |
| `session.revoked` | the person | a session ended (logout, admin revocation, refresh reuse) |
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class UnitChanged(Open):
    unit_id: int
    name: str
    change: str = Field(description="`created`, `renamed`, `child_added`, `person_added` …")


class MembershipChanged(Open):
    person_id: int
    change: str = Field(description="`joined` or `left`; `unit_id` or `group_id` says where.")


class GroupChanged(Open):
    group_id: int
    name: str
    change: Literal["created"]


class DeviceAdded(Open):
    device_id: int
    name: str
    platform: str
    session_id: str


class DeviceRevoked(Open):
    device_id: int


class SessionRevoked(Open):
    """Your session ended; its websockets close with 4410. Log in again."""

    session_id: str
    reason: str


EVENTS: dict[str, type[BaseModel]] = {
    "org.unit.changed": UnitChanged, "org.membership.changed": MembershipChanged,
    "org.group.changed": GroupChanged, "device.added": DeviceAdded,
    "device.revoked": DeviceRevoked, "session.revoked": SessionRevoked,
}
