"""What push measures (Prometheus, through `core.metrics`): outcomes per provider and the
outbox's depth, read from the database at each scrape."""

from __future__ import annotations

from core.metrics import counter, gauge, on_scrape
from push.models import PushNotification

OUTCOMES = counter("tongban_push_notifications_total",
                   "Push notifications by provider and outcome (sent, retried, failed, invalid, "
                   "dropped).", ["provider", "outcome"])
CHANNELS_DISABLED = counter("tongban_push_channels_disabled_total",
                            "Push channels disabled because the provider called the token dead.",
                            ["provider"])
OUTBOX_DEPTH = gauge("tongban_push_outbox_depth", "Notifications waiting to be sent.",
                     mode="livemax")


def count_outcome(provider: str, outcome: str) -> None:
    OUTCOMES.labels(provider or "none", outcome).inc()
    if outcome == "invalid":
        CHANNELS_DISABLED.labels(provider or "none").inc()


async def measure_outbox() -> None:
    OUTBOX_DEPTH.set(await PushNotification.filter(state="pending").count())


def install() -> None:
    on_scrape(measure_outbox)
