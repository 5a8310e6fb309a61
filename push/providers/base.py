"""What every push provider is given and what it answers: the seam between push's outbox worker
and the vendor protocols (APNs, Huawei Push Kit, FCM HTTP v1, a Matrix-shaped push gateway)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Verdict = Literal["sent", "retry", "invalid", "failed"]


@dataclass(frozen=True)
class Notification:
    """One notification for one device's channel. `line` is the generic lock-screen text
    (「您有一份待签批文件」); `title`/`body` are empty unless the deployment allows previews for
    this kind. `collapse_id` lets a later notification (or a withdrawal) replace this one."""

    token: str
    app_id: str
    kind: str  # the rule's kind, e.g. "document.to_sign"
    line: str
    badge: int
    collapse_id: str
    data: dict[str, str | int] = field(default_factory=dict)  # record ids only
    urgent: bool = False  # 特急/加急: the provider's highest priority
    withdraw: bool = False  # replace the notification under collapse_id with a silent update
    title: str = ""
    body: str = ""


@dataclass(frozen=True)
class Outcome:
    """`sent`; `retry` (429/5xx/timeout; `retry_after` seconds if the provider said);
    `invalid` (the token is dead: disable the channel); `failed` (a permanent refusal)."""

    verdict: Verdict
    reason: str = ""
    retry_after: float | None = None


class Provider(Protocol):
    name: str  # "apns" | "hms" | "fcm" | "gateway"

    async def send(self, notification: Notification) -> Outcome: ...

    async def close(self) -> None: ...
