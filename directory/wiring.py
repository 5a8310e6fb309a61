"""What the directory contributes at start-up."""

from __future__ import annotations

from core.feed import REFRESH_KINDS, register_audience_resolver
from directory.queries import audiences_for


def wire() -> None:
    """People hear their units' and groups' events; membership changes re-read audiences."""
    register_audience_resolver(audiences_for)
    REFRESH_KINDS.add("org.membership.changed")
