"""The push machinery of one server process, built once by the composition root: presence of
this process's websockets, the follower (only the lease holder maps events), the sender and the
SMS escalation job."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import timedelta

from core.config import Settings
from core.tx import StoredEvent
from push.escalation import Escalator
from push.follower import Follower
from push.presence import Presence
from push.providers.base import Provider
from push.rules import DETACH_KINDS, RULES
from push.sender import Sender
from push.sms import SmsSender

WATCHED = set(RULES) | set(DETACH_KINDS)


class PushService:
    def __init__(self, settings: Settings, *, providers: Mapping[str, Provider],
                 sms: SmsSender | None) -> None:
        self.settings = settings
        self.presence = Presence()
        lease = timedelta(seconds=settings.push_lease_seconds)
        self.sender = Sender(providers, batch=settings.push_batch,
                             poll_seconds=settings.push_poll_seconds,
                             give_up_seconds=settings.push_give_up_seconds, lease=lease,
                             concurrency=settings.push_connections)
        self.follower = Follower(batch=settings.push_batch, previews=settings.push_preview_kinds,
                                 poll_seconds=settings.push_poll_seconds,
                                 on_rows=self.sender.wake_event, lease=lease / 2)
        self.sms: SmsSender | None = None
        self.escalator: Escalator | None = None
        if sms is not None:
            self.use_sms(sms)

    def use_sms(self, sms: SmsSender) -> None:
        """Escalate 特急 items by SMS through `sms` (at start-up, from the settings)."""
        self.sms = sms
        self.escalator = Escalator(sms, per_person=self.settings.push_sms_per_person_day,
                                   per_sender=self.settings.push_sms_per_sender_day)
        self.escalator.install()
        self.follower.escalate_after = timedelta(minutes=self.settings.push_escalate_minutes)

    def use_provider(self, provider: Provider) -> None:
        """Send through `provider` for its name (replacing one the settings made)."""
        self.sender.providers[provider.name] = provider

    async def start(self) -> None:
        self.presence.start()
        self.follower.start()
        self.sender.start()

    async def stop(self) -> None:
        await self.sender.stop()
        await self.follower.stop()
        await self.presence.stop()
        for provider in self.sender.providers.values():
            with contextlib.suppress(Exception):
                await provider.close()
        if self.sms is not None:
            with contextlib.suppress(Exception):
                await self.sms.close()

    def on_events(self, events: list[StoredEvent]) -> None:
        """Feed listener: wake the follower when something may ring (any process's events)."""
        if any(event.kind in WATCHED for event in events):
            self.follower.wake()

    def wake(self) -> None:
        """Something was queued directly (a test push): send now."""
        self.sender.wake_event.set()
