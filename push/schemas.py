"""Request and reply shapes of the push routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ProviderName = Literal["apns", "hms", "fcm", "gateway"]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512,
                                         pattern=r"^[\x21-\x7e]+$")]
AppId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128,
                                         pattern=r"^[\x21-\x7e]+$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9]{5,20}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelIn(Strict):
    """The phone's push registration: which provider, its device token (APNs device token, HMS
    token, FCM registration token, or the gateway's pushkey) and the app id (bundle id, HMS app
    id, FCM app, or the gateway's app id)."""

    provider: ProviderName
    token: Token
    app_id: AppId


class ChannelPublic(BaseModel):
    device_id: int
    provider: ProviderName
    app_id: str
    state: Literal["active", "disabled"] = Field(
        description="`disabled` once the provider called the token dead: attach a fresh one.")
    disabled_reason: str | None
    presence: Literal["foreground", "background"] = Field(
        description="`foreground` while a websocket of this login says the app is in front.")
    attached_at: datetime
    updated_at: datetime


class QuietHoursBrief(BaseModel):
    start: str
    end: str
    timezone: str


class PushSettingsIn(Strict):
    urgent_during_quiet: bool = Field(
        default=True, description="特急/加急 and sender-marked urgent items ring through quiet "
                                  "hours (免打扰时段) unless this is false.")
    sms_phone: Phone | None = Field(
        default=None, description="Mobile number for SMS escalation of 特急 items left "
                                  "unconfirmed (消息必达); null for none.")


class PushSettingsPublic(BaseModel):
    urgent_during_quiet: bool
    sms_phone: str | None
    quiet_hours: QuietHoursBrief | None = Field(
        description="Your quiet hours, set at `PUT /v1/me/quiet-hours`; null when off.")


class TestQueued(BaseModel):
    notification_id: int
    device_id: int


class ProviderStatus(BaseModel):
    provider: str
    pending: int
    sent: int
    retried: int = Field(description="Retries made (429, 5xx, timeouts) across all pushes.")
    failed: int = Field(description="Refused for good or given up after the retry bound.")
    invalid: int = Field(description="Pushes whose token the provider called dead.")
    dropped: int = Field(description="Not sent: withdrawn first, or the channel went away.")
    channels_active: int
    channels_disabled: int


class PushStatus(BaseModel):
    outbox_depth: int = Field(description="Notifications waiting to be sent (all providers).")
    providers: list[ProviderStatus]
